"""``investigate clean``: what goes (superseded records, empty stamps, with --lost the leftovers of dead
invocations) and what always stays (what verdicts read, what kept records reuse, what summaries link)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.core.locks import FileLock
from investigate.store.lost import STAMP_LOCK, write_marker
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import EXPERIMENTS, hypothesis

FLAKY = """
from pathlib import Path


def flaky(params, ctx):
    if not Path("fixed.flag").exists():
        raise RuntimeError("not fixed yet")
    return {"v": 1}
"""
GROW = "run: exps.core:grow\nparams: {r: 0.5, steps: 10}\n"


@pytest.fixture
def root(make_ws) -> Path:
    return make_ws(
        {
            "exps/__init__.py": "",
            "exps/core.py": EXPERIMENTS,
            "exps/flaky.py": FLAKY,
            "hypotheses/H-A.yaml": hypothesis("H-A", GROW, "verdict:\n  confirmed: {metric: x, ge: 0}\n"),
            "hypotheses/H-TWIN.yaml": hypothesis("H-TWIN", GROW),
            "hypotheses/H-F.yaml": hypothesis("H-F", "run: exps.flaky:flaky\n"),
        }
    )


def cli(root: Path, *argv: str) -> int:
    return main(["--workspace", str(root), *argv])


def by_hyp(root: Path) -> dict[str, list]:
    out: dict[str, list] = {}
    for rec in read_records(load_workspace(root)):
        out.setdefault(rec.hypothesis, []).append(rec)
    return out


def status(root: Path, capsys) -> dict:
    capsys.readouterr()
    assert cli(root, "status", "--json") == 0
    return json.loads(capsys.readouterr().out)


def history(root: Path) -> dict[str, str]:
    """A1 (H-A, key K1), T1 (H-TWIN, a cache hit of A1), F1 (H-F, error), F2 (H-F, ok), A2 (H-A, key K2)."""
    assert cli(root, "run", "H-A") == 0
    assert cli(root, "run", "H-TWIN") == 0
    assert cli(root, "run", "H-F") == 4
    (root / "fixed.flag").touch()
    assert cli(root, "run", "H-F") == 0
    path = root / "hypotheses" / "H-A.yaml"
    path.write_text(path.read_text().replace("steps: 10", "steps: 20"))
    assert cli(root, "run", "H-A") == 0
    recs = by_hyp(root)
    (t1,) = recs["H-TWIN"]
    a1, a2 = recs["H-A"]
    f1, f2 = recs["H-F"]
    assert t1.reused_from == a1.run_dir and f1.status == "error" and a1.cache_key != a2.cache_key
    return {"A1": a1.run_dir, "A2": a2.run_dir, "T1": t1.run_dir, "F1": f1.run_dir, "F2": f2.run_dir}


def test_superseded_records_go_and_what_verdicts_read_stays(root: Path, capsys) -> None:
    runs = history(root)
    before = status(root, capsys)
    assert cli(root, "clean", "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"would remove {runs['F1']}  (failed: error, superseded by ok run " in out
    assert "kept 1 superseded records that a kept record reuses" in out  # A1: T1 points at it
    assert runs["A1"] not in out and all((root / d).is_dir() for d in runs.values())  # dry: nothing removed

    assert cli(root, "run", "H-TWIN", "--force") == 0  # T2 executes: T1, the pointer, is superseded
    capsys.readouterr()
    assert cli(root, "clean") == 0
    out = capsys.readouterr().out
    for name, kind in (("F1", "failed"), ("T1", "pointer"), ("A1", "old-key")):
        assert f"removed {runs[name]}  ({kind}: " in out
        assert not (root / runs[name]).exists()
    assert "removed: 1 failed runs, 1 cache-hit pointers, 1 old-key runs, " in out
    assert "(3 stamp directories)" in out  # the stamps of A1, T1 and F1 held nothing else
    assert not (root / runs["A1"].rsplit("/", 3)[0]).exists()
    assert sorted(r.hypothesis for rs in by_hyp(root).values() for r in rs) == ["H-A", "H-F", "H-TWIN"]
    assert status(root, capsys) == before  # no verdict moved
    assert cli(root, "run", "H-A", "H-TWIN", "H-F", "--dry-run") == 0
    assert "0 would execute" in capsys.readouterr().err  # and the cache still serves every run
    assert cli(root, "clean") == 0
    assert "removed: nothing; 0 bytes" in capsys.readouterr().out


def test_a_record_a_summary_links_is_kept(root: Path, capsys) -> None:
    runs = history(root)
    stamp, rest = runs["F1"].removeprefix("reports/").split("/", 1)
    summary = root / "reports" / "INIT-1" / "final_summary.md"
    summary.parent.mkdir()
    summary.write_text(f"see [the failure](../{stamp}/{rest}/log.txt).\n")
    assert cli(root, "clean") == 0
    out = capsys.readouterr().out
    assert "kept 1 superseded records that a summary or initiative file links" in out
    assert (root / runs["F1"]).is_dir()


def test_json_output(root: Path, capsys) -> None:
    runs = history(root)
    capsys.readouterr()
    assert cli(root, "clean", "--dry-run", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dry_run"] is True and data["kept"] == {"linked": 0, "reused": 1}
    assert data["counts"]["failed"] == 1 and data["counts"]["empty-dir"] >= 1
    removed = {r["path"]: r for r in data["removed"]}
    assert removed[runs["F1"]]["kind"] == "failed" and removed[runs["F1"]]["bytes"] > 0


def lost_run(root: Path, stamp: str) -> Path:
    run_dir = root / "reports" / stamp / "H-A" / "all" / "default-seed0"
    run_dir.mkdir(parents=True)
    about = {"hypothesis": "H-A", "arm": "default", "point": {}, "seed": 0, "cache_key": "k", "started_at": "t0"}
    write_marker(run_dir, {"kind": "run"}, about)
    (root / "reports" / stamp / STAMP_LOCK).touch()  # its invocation died holding it
    return run_dir


def test_lost_runs_and_stale_locks_go_only_with_lost(root: Path, capsys) -> None:
    assert cli(root, "run", "H-A") == 0
    lost = lost_run(root, "2020-01-01T000000Z")
    key_locks = list((root / "reports" / ".locks").glob("*.lock"))
    assert key_locks
    assert cli(root, "clean") == 0
    assert lost.is_dir() and all(p.exists() for p in key_locks)
    capsys.readouterr()
    assert cli(root, "clean", "--lost") == 0
    out = capsys.readouterr().out
    assert "removed reports/2020-01-01T000000Z/H-A/all/default-seed0  (lost: started t0 by pid " in out
    assert not (root / "reports" / "2020-01-01T000000Z").exists()  # marker, lock and the empty stamp
    assert not any(p.exists() for p in key_locks)
    assert len(read_records(load_workspace(root))) == 1


def test_clean_refuses_while_a_run_is_in_progress(root: Path, capsys) -> None:
    runs = history(root)
    stamp = root / runs["A2"].rsplit("/", 3)[0]
    holder = FileLock(stamp / STAMP_LOCK)
    assert holder.try_acquire()  # as a live `investigate run` holds its stamp
    try:
        assert cli(root, "clean") == 1
        assert "an investigate run is in progress" in capsys.readouterr().err
        assert cli(root, "clean", "--dry-run") == 0
        assert "note: an investigate run is in progress" in capsys.readouterr().out
    finally:
        holder.release()
    assert (root / runs["F1"]).is_dir()
