"""The web UI over HTTP against a real server: pages, filters and pages of runs, new records shown
without a restart, read-only routes, and artifacts served only from inside reports/."""

from __future__ import annotations

import os
import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from tests.records import write_run
from tests.web.server import get, serving


@pytest.fixture
def workspace(recorded_numpy_ws: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(recorded_numpy_ws, root)
    return root


def run_links(html: bytes) -> list[str]:
    return re.findall(r'href="/run/([^"]+)"', html.decode())


def test_pages_filters_live_records_and_read_only(workspace: Path) -> None:
    with serving(workspace) as base:
        for path in (
            "/",
            "/initiative/TOY-GD-001",
            "/hypothesis/H-STEP-SIZE",
            "/runs",
            "/compare/H-STEP-SIZE",
            "/diff",
        ):
            status, body = get(base + path)
            assert status == 200, (path, body[:300])
        status, body = get(base + "/hypothesis/H-STEP-SIZ")
        assert status == 404 and b"did you mean H-STEP-SIZE" in body

        status, body = get(base + "/runs?hypothesis=H-STEP-SIZE&arm=raw&m.L=5.0")
        assert len(run_links(body)) == 2 and all("L=5.0/raw-seed" in r for r in run_links(body))
        assert b"2 matching runs" in body
        _, page1 = get(base + "/runs?hypothesis=H-STEP-SIZE&per=5")
        _, page3 = get(base + "/runs?hypothesis=H-STEP-SIZE&per=5&page=3")
        assert len(run_links(page1)) == 5 and len(run_links(page3)) == 2
        assert b'id="next"' in page1 and b'id="next"' not in page3
        _, everything = get(base + "/runs?per=500")
        assert len(run_links(everything)) == 15

        # a run recorded while the server is up shows on the next load
        write_run(workspace, "H-INIT-SCALE", "default", 9, {"has_nan": True, "final_loss": float("nan")})
        _, after = get(base + "/runs?hypothesis=H-INIT-SCALE")
        assert len(run_links(after)) == 4 and b"4 matching runs" in after
        _, hyp_page = get(base + "/hypothesis/H-INIT-SCALE")
        assert b">confirmed<" in hyp_page  # the new diverging seed decides `has_nan over any`

        request = urllib.request.Request(base + "/runs", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 405


def test_artifacts_only_from_inside_reports(workspace: Path, tmp_path: Path) -> None:
    run_dir = next((workspace / "reports").glob("*/H-STEP-SIZE/L=1.0/raw-seed0"))
    below = run_dir.relative_to(workspace / "reports").as_posix()
    secret = tmp_path / "secret.txt"
    secret.write_text("not evidence")
    os.symlink(secret, run_dir / "linked.txt")
    os.symlink(tmp_path, run_dir / "linked_dir")
    with serving(workspace) as base:
        status, body = get(f"{base}/artifact/{below}/history.json")
        assert status == 200 and b"loss" in body
        for path in (f"{below}/linked.txt", f"{below}/linked_dir/secret.txt", f"{below}/../../../../../secret.txt",
                     f"{below}/%2e%2e/%2e%2e/x", f"{below}/nothing.png", below):  # fmt: skip
            status, body = get(f"{base}/artifact/{path}")
            assert status == 404 and b"secret" not in body and b"not evidence" not in body, path
        status, body = get(f"{base}/run/{below}")
        assert status == 200 and f"/artifact/{below}/history.json".encode() in body
