"""What each MCP tool answers, as plain JSON-able data: the CLI's queries over one workspace.

Kept apart from the server so the answers are the same functions the web UI and API build on
(``views``), and so each can be tested without a client. Reading tools reload the hypothesis files
on each call and read records through ``read_records``: an agent sees its own edits and runs.
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from investigate.agents.staging import stage_and_write
from investigate.core.errors import InvestigateError
from investigate.core.limits import MAX_RUNS
from investigate.rules.audit import audit as audit_findings
from investigate.rules.audit import audit_scope
from investigate.rules.counting import latest_records
from investigate.rules.verdict import evaluate, evaluate_workspace, initiative_hypotheses
from investigate.store.records import read_records
from investigate.views import compare as compare_view
from investigate.views.cacheplan import cache_plan
from investigate.views.rundiff import diff_runs, resolve_run
from investigate.views.tables import effect_rows, run_rows, verdict_row
from investigate.views.tree import walk
from investigate.workspace.load import Workspace, load_workspace

DEFAULT_BUDGET = 24  # runs one call may execute (cache hits are free) unless the call asks for fewer


@dataclass
class Settings:
    allow_run: bool = False  # `--allow-run` or [tool.investigate] mcp_allow_run = true
    allow_write: bool = False  # `--allow-write` or [tool.investigate] mcp_allow_write = true
    max_runs: int = DEFAULT_BUDGET  # the most runs one call may execute ([tool.investigate] mcp_max_runs)


def settings_for(ws: Workspace, allow_run: bool, allow_write: bool) -> Settings:
    table = ws.settings
    budget = table.get("mcp_max_runs", DEFAULT_BUDGET)
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= MAX_RUNS:
        raise InvestigateError(f"pyproject.toml: tool.investigate.mcp_max_runs: expected 1-{MAX_RUNS}, got {budget!r}")
    return Settings(
        allow_run=allow_run or table.get("mcp_allow_run") is True,
        allow_write=allow_write or table.get("mcp_allow_write") is True,
        max_runs=budget,
    )


class Tools:
    def __init__(self, root: Path, settings: Settings) -> None:
        self.root, self.settings = root, settings

    def ws(self) -> Workspace:
        return load_workspace(self.root)

    def list_hypotheses(self) -> list[dict[str, Any]]:
        ws = self.ws()
        verdicts = evaluate_workspace(ws, read_records(ws))
        return [
            {**verdict_row(v), "title": ws.hypotheses.head(h).title, "initiative": ws.hypotheses.head(h).initiative}
            for h, v in verdicts.items()
        ]

    def list_initiatives(self) -> list[dict[str, Any]]:
        ws = self.ws()
        return [
            {"id": i.id, "title": i.title, "hypotheses": list(i.hypotheses)}
            for i in (ws.initiatives[k] for k in sorted(ws.initiatives))
        ]

    def show(self, id: str) -> dict[str, Any]:  # noqa: A002 - the tool's argument name
        ws = self.ws()
        if id in ws.initiatives:
            ini = ws.initiative(id)
            ids = initiative_hypotheses(ini)  # its tree's nodes may name hypotheses beyond its list
            outcomes = {h: v.outcome for h, v in evaluate_workspace(ws, read_records(ws, ids), ids).items()}
            walked = walk(ini, outcomes)
            return {
                "initiative": ini.id,
                "title": ini.title,
                "hypotheses": {h: o.value for h, o in outcomes.items()},
                "tree": walked.to_dict() if walked else None,
                "summary": ini.summary.model_dump(mode="json") if ini.summary else None,
            }
        hyp = ws.hypothesis(id)
        verdict = _verdict(ws, hyp.id)
        return {
            "hypothesis": hyp.id,
            "title": hyp.title,
            "initiative": hyp.initiative,
            "file": ws.relative(ws.source_path(hyp.id)),
            "statement": hyp.statement.strip(),
            "prediction": hyp.prediction.strip(),
            "experiment": hyp.experiment.model_dump(mode="json", by_alias=True) if hyp.experiment else None,
            "rules": hyp.verdict.model_dump(mode="json", by_alias=True, exclude_none=True) if hyp.verdict else None,
            "verdict": verdict.to_dict(),
            "effects": effect_rows(verdict),
        }

    def runs(self, id: str, latest: bool = True) -> list[dict[str, Any]]:  # noqa: A002
        ws = self.ws()
        records = read_records(ws, ws.hypothesis(id).id)
        rows = run_rows(records)
        return [r for r in rows if r["counts"]] if latest else rows

    def audit(self, id: str | None = None) -> list[dict[str, str]]:  # noqa: A002
        ws = self.ws()
        return [f.to_dict() for f in audit_findings(ws, read_records(ws, audit_scope(ws, id)), id)]

    def compare(self, id: str, metrics: list[str] | None = None, control: str | None = None) -> dict[str, Any]:  # noqa: A002
        ws = self.ws()
        hyp = ws.hypothesis(id)
        records = read_records(ws, hyp.id)
        result = compare_view.compare(hyp, records, metrics or compare_view.metrics_of(hyp, records), control)
        return compare_view.public(result)

    def diff(self, run_a: str, run_b: str) -> dict[str, Any]:
        ws = self.ws()  # a run id is looked up under its own hypothesis first
        return diff_runs(resolve_run(ws, run_a), resolve_run(ws, run_b)).to_dict()

    def plan(self, id: str, where: dict[str, list[str]] | None = None, seeds: list[int] | None = None,  # noqa: A002
             profile: str | None = None) -> dict[str, Any]:  # fmt: skip
        """``run --dry-run``: the planned runs, hit or miss and why."""
        from investigate.plan.select import select_runs

        ws = self.ws()
        rows = cache_plan(ws, select_runs(ws, [id], (), where, seeds, profile))
        misses = sum(not r["hit"] for r in rows)
        return {"runs": rows, "would_execute": misses, "cache_hits": len(rows) - misses}

    def run(self, id: str, where: dict[str, list[str]] | None = None, seeds: list[int] | None = None,  # noqa: A002
            profile: str | None = None, max_runs: int | None = None) -> dict[str, Any]:  # fmt: skip
        """Execute the runs (cache hits reused) if allowed and within the budget; the new verdict."""
        if not self.settings.allow_run:
            raise InvestigateError(
                "running is off: start the server with `investigate mcp --allow-run` or set "
                "[tool.investigate] mcp_allow_run = true (plan shows what would run)"
            )
        from investigate.execution.invoke import execute
        from investigate.plan.select import select_runs

        ws = self.ws()
        budget = min(max_runs or self.settings.max_runs, self.settings.max_runs)
        runs = select_runs(ws, [id], (), where, seeds, profile)
        misses = sum(not r["hit"] for r in cache_plan(ws, runs))
        if misses > budget:
            raise InvestigateError(
                f"{id}: {misses} runs would execute, over the budget of {budget} (narrow with where/seeds, "
                f"or raise [tool.investigate] mcp_max_runs)"
            )
        before = _verdict(ws, id).outcome.value
        # stdout is the protocol's channel: anything the runner prints goes to stderr instead
        with redirect_stdout(sys.stderr if sys.stderr else io.StringIO()):
            summary = execute(ws, runs, ["investigate", "mcp", "run", id])
        verdict = _verdict(ws, id)
        return {
            "hypothesis": id,
            "recorded": len(summary.records),
            "executed": len(summary.executed),
            "failed": [{"run_id": r.run_id, "status": r.status, "error": r.error} for r in summary.failed],
            "interrupted": summary.interrupted,
            "verdict_before": before,
            "verdict": verdict.to_dict(),
        }

    def write_hypothesis(self, yaml_text: str) -> dict[str, Any]:
        """Create a new hypothesis file, once ``validate`` passes with it; never over an existing file."""
        if not self.settings.allow_write:
            raise InvestigateError(
                "writing is off: start the server with `investigate mcp --allow-write` or set "
                "[tool.investigate] mcp_allow_write = true"
            )
        ws = self.ws()
        path = stage_and_write(ws, yaml_text)
        return {"written": ws.relative(path), "validate": "ok"}


def _verdict(ws: Workspace, hyp_id: str) -> Any:
    hyp = ws.hypothesis(hyp_id)
    return evaluate(hyp, latest_records(read_records(ws, hyp.id)), ws, counted=True)
