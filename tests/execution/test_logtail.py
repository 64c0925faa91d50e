"""ANSI escapes are stripped from a run's log.txt, also when a sequence spans a chunk boundary."""

from __future__ import annotations

from pathlib import Path

from investigate.cli.main import main
from investigate.execution import logtail
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import hypothesis

COLOURED = r"""
import sys


def coloured(params, ctx):
    print("\x1b[32mepoch 1\x1b[0m loss \x1b[1;31m0.5\x1b[0m")
    print("\x1b]0;a title\x07\x1b[2Kdone\x1b[A")
    sys.stdout.flush()
    raise ValueError("\x1b[31mbad\x1b[0m value")
"""


def test_a_runs_log_keeps_the_text_without_escapes(make_ws) -> None:
    files = {"exps/__init__.py": "", "exps/col.py": COLOURED}
    root = make_ws({**files, "hypotheses/H-COL.yaml": hypothesis("H-COL", "run: exps.col:coloured")})
    assert main(["--workspace", str(root), "run", "H-COL"]) == 4
    (rec,) = read_records(load_workspace(root), "H-COL")
    log = (root / rec.run_dir / "log.txt").read_text()
    assert "\x1b" not in log and "epoch 1 loss 0.5\ndone\n" in log
    assert rec.error_line == "ValueError: bad value (exps/col.py:8)"


def test_a_sequence_cut_by_a_chunk_boundary_is_still_removed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(logtail, "CHUNK", 7)
    path = tmp_path / "log.txt"
    path.write_bytes(b"abc\x1b[38;5;196mred\x1b[0m plain " * 5 + b"tail")
    logtail.strip_ansi(path)
    assert path.read_bytes() == b"abcred plain " * 5 + b"tail"
    untouched = tmp_path / "clean.txt"
    untouched.write_bytes(b"no escapes")
    before = untouched.stat().st_mtime_ns
    logtail.strip_ansi(untouched)
    assert untouched.stat().st_mtime_ns == before
