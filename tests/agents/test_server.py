"""``investigate mcp`` end to end: the SDK's own stdio client starts the server as a subprocess on a
recorded fixture workspace and calls every tool; running and writing are refused until allowed."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parents[2]

NEW_HYPOTHESIS = """\
id: H-LONGER-RUN
title: More steps make the clipped iteration diverge
initiative: TOY-GD-001
statement: s
prediction: p
experiment:
  run: toy.experiments:gradient_descent
  params: {lr: 0.5, L: 5.0, steps: 4000, dim: 8}
  arms: {raw: {clip_lr: false}, clipped: {clip_lr: true}}
  control: raw
  seeds: [0, 1]
verdict:
  confirmed: {arm: clipped, metric: has_nan, equals: true, over: any}
  ruled_out: {arm: clipped, metric: has_nan, equals: false, over: all}
"""


@pytest.fixture
def workspace(recorded_numpy_ws: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(recorded_numpy_ws, root)
    return root


def session_calls(workspace: Path, flags: list[str], calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Start the server with ``flags``, make ``calls`` in order; each answer as (is_error, text)."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "investigate", "mcp", *flags],
        cwd=str(workspace),
        env={"PYTHONPATH": str(ROOT)},
    )
    answers: list[Any] = []

    async def go() -> None:
        with anyio.fail_after(240):
            await exchange()

    async def exchange() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            answers.append(sorted(t.name for t in (await session.list_tools()).tools))
            for name, arguments in calls:
                result = await session.call_tool(name, arguments)
                answers.append((result.is_error, result.content[0].text))

    anyio.run(go)
    return answers


def data(answer: tuple[bool, str]) -> Any:
    is_error, text = answer
    assert not is_error, text
    return json.loads(text)


def test_read_only_tools(workspace: Path) -> None:
    run_a = next((workspace / "reports").glob("*/H-STEP-SIZE/L=5.0/raw-seed0"))
    run_b = run_a.with_name("clipped-seed0")
    answers = session_calls(
        workspace,
        [],
        [
            ("list_hypotheses", {}),
            ("list_initiatives", {}),
            ("show", {"id": "H-STEP-SIZE"}),
            ("show", {"id": "TOY-GD-001"}),
            ("show", {"id": "H-STEP-SIZ"}),
            ("audit", {}),
            ("compare", {"id": "H-STEP-SIZE", "metrics": ["has_nan"]}),
            ("diff", {"run_a": str(run_a.relative_to(workspace)), "run_b": str(run_b.relative_to(workspace))}),
            ("plan", {"id": "H-STEP-SIZE", "where": {"L": ["5"]}, "seeds": [0, 9]}),
            ("run", {"id": "H-INIT-SCALE"}),
            ("write_hypothesis", {"yaml_text": NEW_HYPOTHESIS}),
            ("runs", {"id": "H-STEP-SIZE"}),
        ],
    )
    tools, listed, initiatives, shown, tree, unknown, audit, compared, diffed, planned, refused, no_write, rows = (
        answers
    )
    assert tools == ["audit", "compare", "diff", "list_hypotheses", "list_initiatives", "plan", "run", "runs",
                     "show", "write_hypothesis"]  # fmt: skip
    verdicts = {row["hypothesis"]: row["verdict"] for row in data(listed)}
    assert verdicts == {"H-INIT-SCALE": "ruled_out", "H-STEP-SIZE": "fixed"}
    assert data(initiatives)[0]["hypotheses"] == ["H-STEP-SIZE", "H-INIT-SCALE"]
    hyp = data(shown)
    assert hyp["verdict"]["outcome"] == "fixed" and hyp["rules"]["confirmed"]["all"][0]["arm"] == "clipped"
    pooled = [e for e in hyp["effects"] if e["point"] is None and e["metric"] == "has_nan"]
    assert pooled and pooled[0]["mean_diff"] == pytest.approx(-2 / 6)
    assert data(tree)["tree"]["initiative"] == "TOY-GD-001"
    assert unknown[0] is True and "did you mean H-STEP-SIZE" in unknown[1]
    assert all(
        {"hypothesis", "kind", "detail"} <= set(f) <= {"hypothesis", "kind", "detail", "acknowledged"}
        for f in data(audit)
    )
    assert data(compared)["metrics"]["has_nan"]["effects"]
    assert {"key": "arm", "a": "raw", "b": "clipped"} in data(diffed)["record"]
    assert {"key": "has_nan", "a": True, "b": False} in data(diffed)["metrics"]
    plan = data(planned)
    assert (plan["cache_hits"], plan["would_execute"]) == (2, 2)  # seed 0 recorded, seed 9 new, per arm
    assert refused[0] is True and "--allow-run" in refused[1]
    assert no_write[0] is True and "--allow-write" in no_write[1]
    assert not (workspace / "hypotheses" / "H-LONGER-RUN.yaml").exists()
    # strict JSON: the diverged runs' NaN loss is the string "NaN", never a bare token
    runs = json.loads(rows[1], parse_constant=lambda token: pytest.fail(f"non-JSON token {token}"))
    diverged = [r for r in runs if r["arm"] == "raw" and r["L"] == 5.0]
    assert len(runs) == 12 and diverged and all(r["metric.final_loss"] == "NaN" for r in diverged)


def test_run_within_budget_and_validated_writes(workspace: Path) -> None:
    invalid = NEW_HYPOTHESIS.replace("toy.experiments:gradient_descent", "toy.experiments:gradient_descnt")
    answers = session_calls(
        workspace,
        ["--allow-run", "--allow-write"],
        [
            ("run", {"id": "H-STEP-SIZE", "seeds": [3, 4], "max_runs": 5}),  # 12 new runs
            ("run", {"id": "H-INIT-SCALE", "seeds": [5], "max_runs": 1}),
            ("write_hypothesis", {"yaml_text": invalid}),
            ("write_hypothesis", {"yaml_text": "id: H-BROKEN\nx: ["}),
            ("write_hypothesis", {"yaml_text": NEW_HYPOTHESIS}),
            ("write_hypothesis", {"yaml_text": NEW_HYPOTHESIS}),
            ("show", {"id": "H-LONGER-RUN"}),
        ],
    )
    _, over_budget, ran, bad_entry, bad_yaml, written, again, shown = answers
    assert over_budget[0] is True and "12 runs would execute, over the budget of 5" in over_budget[1]
    assert not list((workspace / "reports").glob("*/H-STEP-SIZE/*/*-seed3"))
    result = data(ran)
    assert result["executed"] == 1 and result["verdict"]["outcome"] == "ruled_out"
    assert len(list((workspace / "reports").glob("*/H-INIT-SCALE/*/default-seed5/run.json"))) == 1
    assert bad_entry[0] is True and "gradient_descnt" in bad_entry[1] and "nothing written" in bad_entry[1]
    assert bad_yaml[0] is True
    assert data(written) == {"written": "hypotheses/H-LONGER-RUN.yaml", "validate": "ok"}
    assert (workspace / "hypotheses" / "H-LONGER-RUN.yaml").read_text() == NEW_HYPOTHESIS
    assert again[0] is True and "exists already" in again[1]
    assert data(shown)["verdict"]["outcome"] == "untested"
    assert not list((workspace / "hypotheses").glob(".*"))  # no staging file left behind
