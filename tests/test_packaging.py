"""The distribution is the framework alone: the reference subject is a user's code, not ours to ship."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_only_the_framework(tmp_path: Path) -> None:
    src = tmp_path / "src"
    # build from a copy: an in-tree build would leave build/ and egg-info behind
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "reports", "*.egg-info", "build"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("investigate-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("investigate-")}
    assert tops == {"investigate"}, tops
    assert "investigate/templates/final_summary.md.j2" in names
