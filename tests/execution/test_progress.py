"""What ``run`` prints: failure reasons and log paths, verdict changes, the ETA and the heartbeat."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from investigate.cli.main import main
from investigate.execution import progress
from investigate.execution.progress import Progress, clock, failure_reason
from investigate.formats.schema import RunRecord
from tests.conftest import EXPERIMENTS, hypothesis

GROW = "run: exps.core:grow\nmatrix: {r: [0.5, 2.0]}\n"
CONFIRMED = "verdict:\n  confirmed: {metric: has_nan, equals: true, over: any}\n"


def record(seed: int, status: str = "ok", duration: float = 10.0, error: str | None = None) -> RunRecord:
    return RunRecord(
        run_id=f"S/H-X/all/a-seed{seed}", hypothesis="H-X", entry="m:f", arm="a", point={}, seed=seed, params={},
        status=status, started_at="t", duration_s=duration, cache_key="k", error=error,
        run_dir=f"reports/S/H-X/all/a-seed{seed}",
    )  # fmt: skip


@pytest.fixture
def root(make_ws) -> Path:
    return make_ws(
        {
            "exps/__init__.py": "",
            "exps/core.py": EXPERIMENTS,
            "hypotheses/H-GROW.yaml": hypothesis("H-GROW", GROW, CONFIRMED),
            "hypotheses/H-BOOM.yaml": hypothesis("H-BOOM", "run: exps.core:boom\nparams: {what: config}\n"),
            "hypotheses/H-NAP.yaml": hypothesis("H-NAP", "run: exps.core:nap\nparams: {sleep: 1.5}\ntimeout_s: 30\n"),
            "hypotheses/H-SLOW.yaml": hypothesis("H-SLOW", "run: exps.core:nap\nparams: {sleep: 30}\ntimeout_s: 1\n"),
        }
    )


def test_a_failed_run_says_why_and_where_its_log_is(root: Path, capsys) -> None:
    assert main(["--workspace", str(root), "run", "H-BOOM", "H-SLOW"]) == 4
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("[1/2] H-BOOM"))
    match = re.search(r"error \d+\.\ds — ValueError: boom: config \(exps/core.py:\d+\) \(log: (\S+)\)$", line)
    assert match is not None, line
    assert "ValueError: boom: config" in (root / match.group(1)).read_text()
    assert "timeout" in err and "— timed out after 1s (log: " in err
    # and again in the end summary, one line per failure
    end = err.split("runs recorded in", 1)[1]
    assert "H-BOOM all default seed0 error: ValueError: boom: config (exps/core.py:14) (log: reports/" in end
    assert "H-SLOW all default seed0 timeout: timed out after 1s (log: reports/" in end


def test_run_prints_the_verdicts_it_changed(root: Path, capsys) -> None:
    assert main(["--workspace", str(root), "run", "H-GROW", "H-BOOM"]) == 4
    err = capsys.readouterr().err
    assert "verdicts changed:\n  H-GROW: untested → confirmed\n" in err
    assert "H-BOOM" not in err.split("verdicts changed:", 1)[1].split("\nerror:", 1)[0]  # untested both times
    assert main(["--workspace", str(root), "run", "H-GROW"]) == 0  # all cached: nothing changes
    assert "verdicts unchanged: H-GROW confirmed" in capsys.readouterr().err


def test_without_a_tty_a_heartbeat_says_the_run_is_alive(root: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(progress, "HEARTBEAT_S", 0.2)
    assert main(["--workspace", str(root), "run", "H-NAP"]) == 0
    beats = [x for x in capsys.readouterr().err.splitlines() if x.startswith("[0/1 done")]
    assert beats and re.fullmatch(r"\[0/1 done, 1 running, \d+s elapsed, ETA \?\]", beats[0]), beats


def test_the_heartbeat_carries_the_eta_once_a_run_finished() -> None:
    out = io.StringIO()
    bar = Progress(3, stream=out, jobs=1, heartbeat_s=0.2)
    bar.started("H-X all a seed0")
    bar.started("H-X all a seed1")
    bar.done(record(0, duration=10.0), cached=False)
    time.sleep(0.25)
    bar.tick()
    bar.tick()  # not due again yet
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[1/3] H-X all a seed0 ok 10.0s")
    assert lines[1:] == ["[1/3 done, 1 running, 0s elapsed, ETA 20s]"]


def test_the_eta_is_the_median_duration_times_the_rounds_left() -> None:
    bar = Progress(10, stream=io.StringIO(), jobs=2, heartbeat_s=0)
    assert bar.eta_s() is None
    bar.done(record(0, duration=10.0), cached=False)
    bar.done(record(1, duration=20.0), cached=False)
    bar.done(record(3, duration=15.0), cached=False)
    bar.done(record(2), cached=True)  # a cache hit took no time: not in the median
    assert bar.eta_s() == 15.0 * 3  # 6 runs left on 2 slots: 3 rounds of 15 s
    bar.tick()
    assert "done," not in bar.stream.getvalue()  # heartbeat_s=0: none


def test_before_a_run_ends_the_eta_comes_from_earlier_runs_and_falls_while_one_runs(monkeypatch) -> None:
    now = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    bar = Progress(3, stream=io.StringIO(), jobs=1, heartbeat_s=0)
    bar.expect([30.0, 40.0, 500.0])  # the store's earlier runs of these entry points: median 40 s
    bar.started("H-X all a seed0")
    assert bar.eta_s() == 40.0 * 3
    now[0] += 25.0
    assert bar.eta_s() == 15.0 + 40.0 * 2  # what is left of the run in flight, then two more
    now[0] += 60.0
    assert bar.eta_s() == 40.0 * 2  # past its expected time: the ones not started remain


def test_run_takes_the_eta_from_the_stores_earlier_runs(root: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(progress, "HEARTBEAT_S", 0.2)
    assert main(["--workspace", str(root), "run", "H-NAP"]) == 0
    capsys.readouterr()
    assert main(["--workspace", str(root), "run", "H-NAP", "--force"]) == 0
    beats = [x for x in capsys.readouterr().err.splitlines() if x.startswith("[0/1 done")]
    assert beats and re.fullmatch(r"\[0/1 done, 1 running, \d+s elapsed, ETA \d+s\]", beats[0]), beats


def test_failure_reason_is_the_last_non_empty_line() -> None:
    assert failure_reason(record(0, "error", error="Traceback\n  File x\nKeyError: 'k'\n\n")) == "KeyError: 'k'"
    assert failure_reason(record(0, "interrupted")) == "interrupted (no error text)"


def test_clock() -> None:
    assert [clock(5.5), clock(190), clock(3 * 3600 + 125)] == ["5s", "3m10s", "3h02m"]
    assert [clock(5.5, precise=False), clock(421, precise=False)] == ["6s", "8m"]


def test_a_verdict_that_cannot_be_evaluated_does_not_stop_the_runs(make_ws, capsys) -> None:
    root = make_ws(
        {
            "exps/__init__.py": "",
            "exps/core.py": EXPERIMENTS,
            "hypotheses/H-MISS.yaml": hypothesis("H-MISS", GROW, "verdict:\n  confirmed: {metric: nope, equals: 1}\n"),
        }
    )
    assert main(["--workspace", str(root), "run", "H-MISS"]) == 0
    assert "H-MISS: untested → not evaluable" in capsys.readouterr().err
    assert main(["--workspace", str(root), "run", "H-MISS", "--force"]) == 0  # the runs may be what fixes it
    assert "verdicts unchanged: H-MISS not evaluable" in capsys.readouterr().err


def test_the_terminal_bar_shows_the_eta() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    bar = Progress(3, stream=Terminal(), jobs=1)
    bar.done(record(0, duration=10.0), cached=False)
    assert bar._live is not None and bar._live.tasks[0].fields["eta"] == "ETA 20s"
    bar.close()
