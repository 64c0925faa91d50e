"""safe_file: a regular file below reports/, reached without following any link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from investigate.web.artifacts import Refused, is_image, safe_file


def test_plain_files_pass_links_and_escapes_are_refused(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    (reports / "s" / "H-X").mkdir(parents=True)
    (reports / "s" / "H-X" / "a.png").write_bytes(b"png")
    (tmp_path / "outside.txt").write_text("x")
    os.symlink(tmp_path / "outside.txt", reports / "s" / "H-X" / "link.png")
    os.symlink(reports / "s" / "H-X", reports / "s" / "alias")  # a link inside, to inside: still refused
    assert safe_file(reports, "s/H-X/a.png") == (reports / "s" / "H-X" / "a.png").resolve()
    cases = {
        "s/H-X/link.png": "symbolic link",
        "s/alias/a.png": "symbolic link",
        "s/H-X/../../../outside.txt": "not a path inside",
        "/etc/passwd": "not a path inside",
        "s/H-X": "not a regular file",
        "s/H-X/missing.png": "no such file",
        "s/H-X/a.png/x": "no such file",
        "": "not a path inside",
    }
    for path, reason in cases.items():
        with pytest.raises(Refused, match=reason):
            safe_file(reports, path)
    assert is_image("x/Loss.PNG") and not is_image("history.json")
