"""``investigate serve`` in a real browser: Selenium drives Debian's chromium (system chromedriver, no
downloads) from an initiative to a hypothesis to a run, and the screenshot is checked non-blank.

Without chromium and chromedriver this skips, unless CI is set: then it fails (.ci/run installs both).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.server import serving

pytest.importorskip("selenium")
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def system_browser() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None
    )
    if browser is None or driver is None:
        if os.environ.get("CI"):
            pytest.fail("chromium or chromedriver is missing, and CI is set: the browser test must run in CI")
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    return browser, driver


def png(width: int, height: int) -> bytes:
    """A small gradient PNG, written by hand: an artifact for the run page to show."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def workspace(recorded_numpy_ws: Path, tmp_path: Path) -> Path:
    """The recorded toy workspace, one run of which also saved a figure."""
    root = tmp_path / "ws"
    shutil.copytree(recorded_numpy_ws, root)
    run_json = next((root / "reports").glob("*/H-STEP-SIZE/L=5.0/raw-seed0/run.json"))
    (run_json.parent / "loss.png").write_bytes(png(64, 48))
    data = json.loads(run_json.read_text())
    data["artifacts"].append("loss.png")
    run_json.write_text(json.dumps(data, indent=2, allow_nan=True))
    return root


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    binary, driver_path = system_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def pixel_variance(shot: bytes) -> float:
    import numpy as np
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float).var())


def test_initiative_to_hypothesis_to_run(workspace: Path, browser: webdriver.Chrome, tmp_path: Path) -> None:
    with serving(workspace) as base:
        browser.get(base + "/")
        browser.find_element(By.LINK_TEXT, "TOY-GD-001").click()
        assert browser.find_element(By.CSS_SELECTOR, "svg.decision-tree").is_displayed()
        browser.find_element(By.LINK_TEXT, "H-STEP-SIZE").click()
        assert browser.find_element(By.ID, "verdict").text == "fixed"
        evidence = browser.find_element(By.ID, "evidence").text
        assert "clipped.has_nan = false in 6/6 runs" in evidence
        assert "clipped − raw" in browser.find_element(By.ID, "effects").text
        runs = browser.find_elements(By.CSS_SELECTOR, "#runs a")
        assert len(runs) == 12
        target = next(a for a in runs if a.text.endswith("L=5.0/raw-seed0"))
        target.click()
        assert browser.find_element(By.ID, "status").text == "ok"
        metrics = browser.find_element(By.ID, "metrics").text
        assert "has_nan true" in metrics
        image = browser.find_element(By.CSS_SELECTOR, "img.artifact")
        assert browser.execute_script("return arguments[0].naturalWidth", image) == 64
        shot = browser.get_screenshot_as_png()
        (tmp_path / "run.png").write_bytes(shot)
        assert pixel_variance(shot) > 100, "the screenshot is (nearly) blank"
        # a diff link to another run at the same point
        browser.find_element(By.PARTIAL_LINK_TEXT, "clipped seed 0").click()
        diff = browser.find_element(By.TAG_NAME, "main").text
        assert "arm 'raw' → 'clipped'" in diff and "has_nan true → false" in diff
