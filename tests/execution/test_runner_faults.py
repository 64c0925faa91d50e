"""Faults the runner must survive: colliding names, long values, a full disk, broken results, floods.

Each case ends with every run recorded, or with one clear error and no half record; none hangs.
"""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.execution import logtail
from investigate.store import records as store
from investigate.store.lost import find_lost
from investigate.store.records import read_records
from investigate.workspace.load import load_workspace
from tests.conftest import EXPERIMENTS, hypothesis
from tests.execution.executors.test_local import wait_dead

EXTRA = """
import json, subprocess, sys, time
from pathlib import Path


def label(params, ctx):
    return {"L": str(params["L"]), "type": type(params["L"]).__name__}


def stubborn(params, ctx):
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code])
    ctx.save_json("grandchild.json", {"pid": child.pid})
    return {"spawned": True}


def slow_if(params, ctx):
    if Path(params["flag"]).exists():
        time.sleep(30)
    return {"value": 1.5}
"""

FLOOD = "import sys\nsys.stdout.write('x' * int(sys.argv[1]) + 'THE END')\nsys.exit(1)\n"


def make(make_ws, experiment: str, extra: dict[str, str] | None = None) -> Path:
    files = {
        "exps/__init__.py": "",
        "exps/core.py": EXPERIMENTS,
        "exps/extra.py": EXTRA,
        "flood.py": FLOOD,
        "hypotheses/H-A.yaml": hypothesis("H-A", experiment),
    }
    return make_ws({**files, **(extra or {})})


def records(root: Path):
    return read_records(load_workspace(root))


def run_jsons(root: Path) -> list[Path]:
    return sorted((root / "reports").glob("*/*/*/*/run.json"))


# ---- 1. lost records: every planned run gets a directory of its own -------------------------------


def test_number_and_string_of_the_same_text_both_recorded(make_ws) -> None:
    root = make(make_ws, 'run: exps.extra:label\nmatrix: {L: [2, "2"]}\n')
    assert main(["--workspace", str(root), "run", "H-A"]) == 0
    assert len(run_jsons(root)) == 2
    assert sorted(r.metrics["type"] for r in records(root)) == ["int", "str"]
    assert not list((root / "reports").glob("*/.lock"))  # ended with every run recorded: nothing to search


def test_values_that_sanitise_alike_run_in_parallel_without_clobbering(make_ws) -> None:
    root = make(make_ws, 'run: exps.extra:label\nmatrix: {L: [1.0, "1.0", 2, "2", "x/y", "x_y", "x y"]}\n')
    assert main(["--workspace", str(root), "run", "H-A", "--jobs", "2"]) == 0
    recs = records(root)
    assert len(run_jsons(root)) == 7 and all(r.status == "ok" for r in recs)
    assert sorted(r.metrics["L"] for r in recs) == sorted(["1.0", "1.0", "2", "2", "x/y", "x_y", "x y"])


def test_repeated_seeds_run_once(make_ws) -> None:
    root = make(make_ws, "run: exps.extra:label\nmatrix: {L: [1]}\n")
    assert main(["--workspace", str(root), "run", "H-A", "--seeds", "0,0"]) == 0
    (rec,) = records(root)
    assert rec.reused_from is None and rec.status == "ok"


# ---- 2. hangs: a long value, a full disk, a refused path, a broken result -------------------------


def test_a_300_character_value_runs_in_a_shortened_directory(make_ws) -> None:
    root = make(make_ws, "run: exps.extra:label\nmatrix: {L: [" + "a" * 300 + "]}\n")
    assert main(["--workspace", str(root), "run", "H-A"]) == 0
    (rec,) = records(root)
    assert rec.status == "ok" and rec.point == {"L": "a" * 300}
    assert max(len(part) for part in Path(rec.run_dir).parts) <= 100


def test_a_full_disk_stops_with_one_clear_error_and_no_half_record(make_ws, monkeypatch, capsys) -> None:
    root = make(make_ws, "run: exps.extra:label\nmatrix: {L: [1, 2, 3]}\n")
    real = store.write_atomic

    def full_disk(path: Path, data: bytes) -> None:
        if path.name == "run.json":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(store, "write_atomic", full_disk)
    assert main(["--workspace", str(root), "run", "H-A", "--jobs", "2"]) == 1
    err = capsys.readouterr().err
    assert "error: cannot write " in err and "run.json: [Errno 28] No space left on device" in err
    assert run_jsons(root) == [] and not list((root / "reports").glob("**/.run.json.*"))
    lost = find_lost(load_workspace(root))  # what started and could not be recorded says so
    assert 1 <= len(lost) <= 2 and all(run.hypothesis == "H-A" for run in lost)


def test_a_refused_path_is_a_clear_error(make_ws, monkeypatch, capsys) -> None:
    root = make(make_ws, "run: exps.extra:label\nmatrix: {L: [1]}\n")

    def refuse(run_dir: Path, spec: dict, about: dict) -> Path:
        raise OSError(errno.ENAMETOOLONG, "File name too long", str(run_dir / "_started.json"))

    monkeypatch.setattr("investigate.execution.runner.write_marker", refuse)
    assert main(["--workspace", str(root), "run", "H-A"]) == 1
    assert "_started.json: [Errno 36] File name too long" in capsys.readouterr().err


def test_a_bug_while_recording_one_run_is_that_runs_error(make_ws, monkeypatch, capsys) -> None:
    import investigate.execution.recording as recording

    root = make(make_ws, "run: exps.extra:label\nmatrix: {L: [1, 2, 3]}\n")
    real = recording.outcome_status

    def broken(run, run_dir, outcome):
        if run.point == {"L": 2}:
            raise RuntimeError("result reader broke")
        return real(run, run_dir, outcome)

    monkeypatch.setattr(recording, "outcome_status", broken)
    assert main(["--workspace", str(root), "run", "H-A", "--jobs", "2"]) == 4
    by_l = {r.point["L"]: r for r in records(root)}
    assert by_l[1].status == by_l[3].status == "ok"
    assert by_l[2].status == "error" and "result reader broke" in by_l[2].error


def test_a_run_that_cannot_start_is_recorded_and_the_rest_go_on(make_ws, monkeypatch) -> None:
    import investigate.execution.runner as runner

    root = make(make_ws, "run: exps.extra:label\nmatrix: {L: [1, 2]}\n")
    real = runner.write_marker

    def broken(run_dir: Path, spec: dict, about: dict) -> Path:
        if about["point"] == {"L": 1}:
            raise ValueError("spec cannot be written")
        return real(run_dir, spec, about)

    monkeypatch.setattr(runner, "write_marker", broken)
    assert main(["--workspace", str(root), "run", "H-A"]) == 4
    by_l = {r.point["L"]: r for r in records(root)}
    assert by_l[1].status == "error" and "could not start: ValueError('spec cannot be written')" in by_l[1].error
    assert by_l[2].status == "ok"


def test_a_command_whose_program_does_not_exist_is_an_error(make_ws) -> None:
    root = make(make_ws, 'command: "no-such-program-here {run_dir}"\n')
    assert main(["--workspace", str(root), "run", "H-A"]) == 4
    (rec,) = records(root)
    assert rec.status == "error" and "could not start 'no-such-program-here'" in rec.error


# ---- 3. process faults that need no second process ------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_grandchild_that_ignores_sigterm_dies_with_its_finished_run(make_ws) -> None:
    root = make(make_ws, "run: exps.extra:stubborn\n")
    assert main(["--workspace", str(root), "run", "H-A"]) == 0
    (rec,) = records(root)
    assert rec.status == "ok"
    assert wait_dead(json.loads((root / rec.run_dir / "grandchild.json").read_text())["pid"])


# ---- 4. a forced re-run that times out leaves the earlier ok record intact ------------------------


def test_a_forced_rerun_that_times_out_is_a_record_of_its_own(make_ws, tmp_path: Path) -> None:
    flag = tmp_path / "slow.flag"
    root = make(make_ws, f"run: exps.extra:slow_if\nparams: {{flag: {flag}}}\ntimeout_s: 1\n")
    assert main(["--workspace", str(root), "run", "H-A"]) == 0
    first = run_jsons(root)[0].read_bytes()
    flag.write_text("")
    assert main(["--workspace", str(root), "run", "H-A", "--force"]) == 4
    old, new = records(root)
    assert (old.status, old.metrics, new.status) == ("ok", {"value": 1.5}, "timeout")
    assert old.cache_key == new.cache_key and old.run_dir != new.run_dir
    assert (root / old.run_dir / "run.json").read_bytes() == first


# ---- 6. output floods stay out of run.json --------------------------------------------------------


def test_a_flood_of_output_without_newlines_is_cut_to_its_end(make_ws) -> None:
    root = make(make_ws, 'command: "python flood.py 5000000"\n')
    assert main(["--workspace", str(root), "run", "H-A"]) == 4
    (rec,) = records(root)
    assert rec.status == "error" and rec.error.endswith("THE END")
    assert len(rec.error) <= logtail.LIMIT + 200
    assert run_jsons(root)[0].stat().st_size < 3 * logtail.LIMIT


def test_tail_reads_only_the_end_of_the_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(b"y" * 3_000_000 + b"last words")
    read: list[int] = []

    class Counting:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def seek(self, *args):
            return self.handle.seek(*args)

        def read(self, size=-1):
            data = self.handle.read(size)
            read.append(len(data))
            return data

    monkeypatch.setattr(logtail, "open", lambda p, mode: Counting(open(p, mode)), raising=False)
    text = logtail.tail(path)
    assert text.endswith("last words") and "bytes of log.txt before this" in text
    assert sum(read) <= logtail.LIMIT


def test_clip_keeps_the_end() -> None:
    assert logtail.clip("short") == "short"
    clipped = logtail.clip("a" * 10_000 + "Error: the cause")
    assert clipped.endswith("Error: the cause") and len(clipped) < logtail.LIMIT + 100
