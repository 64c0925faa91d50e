"""Output and template paths that cannot work are one-line user errors, said before any rendering."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from investigate.cli.main import main

FIXTURE = Path(__file__).parents[1] / "fixtures" / "summary_ws"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "ws", ignore=shutil.ignore_patterns("golden"))
    (tmp_path / "ws" / "afile").write_text("x")
    (tmp_path / "ws" / "adir").mkdir()
    (tmp_path / "ws" / "binary.j2").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    return tmp_path / "ws"


def fails(capsys, *argv: str) -> str:
    assert main(list(argv)) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "adir"], "error: -o adir: is a directory; give a file name"),
        (["-o", "afile/s.md"], "error: -o afile/s.md: cannot be created: afile is a file, not a directory"),
        (["--html", "adir"], "error: --html adir: is a directory; give a file name"),
        (["-o", "same.html", "--html", "same.html"], "error: -o and --html are the same file (same.html): give each its own"),
        (["--template", "binary.j2"], "error: template binary.j2: not UTF-8 text (byte 0); is it a template?"),
        (["--template", "adir"], "error: template adir is a directory; give the template file"),
        (["--template", "nothere.j2"], "error: template nothere.j2 does not exist"),
    ],
)  # fmt: skip
def test_summary_refuses_outputs_and_templates_that_cannot_work(ws: Path, capsys, monkeypatch, extra, message) -> None:
    monkeypatch.chdir(ws)
    err = fails(capsys, "--workspace", str(ws), "summary", "DEMO-001", "--no-figures", *extra)
    assert err == message.format(ws=ws)
    assert not (ws / "same.html").exists()


def test_schema_refuses_a_directory(ws: Path, capsys) -> None:
    assert (
        fails(capsys, "schema", "-o", str(ws / "adir")) == f"error: -o {ws / 'adir'}: is a directory; give a file name"
    )
