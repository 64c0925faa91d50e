"""``Investigation``: one workspace, asked the questions the CLI answers, with DataFrames back.

Hypothesis and initiative files are loaded once (``reload()`` reads them again); run records are
read on every call through ``read_records``, so a notebook cell sees runs recorded since the last.
"""

from __future__ import annotations

import builtins
import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.api.display import HypothesisView, TreeView
from investigate.api.frames import frame
from investigate.core.errors import InvestigateError
from investigate.formats.schema import RunRecord
from investigate.rules.audit import audit, audit_scope
from investigate.rules.counting import latest_records
from investigate.rules.verdict import Verdict, evaluate, evaluate_workspace, initiative_hypotheses
from investigate.store.records import read_records
from investigate.views.tables import column_order, effect_rows, run_rows, verdict_row
from investigate.views.tree import walk
from investigate.workspace.load import Workspace, load_workspace

if TYPE_CHECKING:
    import pandas as pd

Where = Mapping[str, Any]


def open(path: str | Path = ".") -> Investigation:  # noqa: A001 - reads as `investigate.api.open(".")`
    """The workspace at ``path`` or the nearest directory above it that is one."""
    return Investigation(path)


class Investigation:
    def __init__(self, path: str | Path = ".") -> None:
        self.path = Path(path)
        self.ws: Workspace = load_workspace(self.path)

    def __repr__(self) -> str:
        return f"Investigation({str(self.ws.root)!r}: {len(self.ws.hypotheses)} hypotheses)"

    def _now(self) -> Workspace:
        """The loaded files with a fresh look at the store. The store checks its index against the
        files once per workspace object (``memo``); a notebook keeps this one for hours."""
        return dataclasses.replace(self.ws, memo={})

    def reload(self) -> Investigation:
        """Read the hypothesis and initiative files again (after editing them)."""
        self.ws = load_workspace(self.path)
        return self

    # ---- the files ----------------------------------------------------------------------------

    def hypotheses(self) -> pd.DataFrame:
        """One row per hypothesis: id, title, initiative, kind, matrix keys, arms, seeds."""
        rows = []
        for hyp_id in sorted(self.ws.hypotheses):
            hyp = self.ws.hypotheses[hyp_id]
            exp = hyp.experiment
            rows.append({
                "id": hyp.id,
                "title": hyp.title,
                "initiative": hyp.initiative,
                "kind": hyp.kind,
                "matrix": list(exp.matrix) if exp else [],
                "arms": exp.arm_names if exp else [],
                "seeds": list(exp.seeds) if exp else [],
                "file": self.ws.relative(self.ws.source_path(hyp.id)),
            })  # fmt: skip
        return frame(rows, ["id", "title", "initiative", "kind", "matrix", "arms", "seeds", "file"])

    def initiatives(self) -> pd.DataFrame:
        rows = [
            {"id": ini.id, "title": ini.title, "hypotheses": list(ini.hypotheses), "has_tree": bool(ini.decision_tree)}
            for ini in (self.ws.initiatives[i] for i in sorted(self.ws.initiatives))
        ]
        return frame(rows, ["id", "title", "hypotheses", "has_tree"])

    def hypothesis(self, hypothesis: str) -> HypothesisView:
        """One hypothesis with its verdict, evidence and effects (rendered as HTML in Jupyter)."""
        hyp = self.ws.hypothesis(hypothesis)
        return HypothesisView(hyp, self.verdict(hyp.id))

    def tree(self, initiative: str) -> TreeView:
        """An initiative's decision tree walked with the current verdicts (inline SVG in Jupyter)."""
        ini = self.ws.initiative(initiative)
        ids = initiative_hypotheses(ini)  # its tree's nodes may name hypotheses beyond its list
        verdicts = evaluate_workspace(self.ws, read_records(self._now(), ids), ids)
        outcomes = {h: v.outcome for h, v in verdicts.items()}
        return TreeView(ini.id, walk(ini, outcomes))

    # ---- the evidence -------------------------------------------------------------------------

    def records(self, hypothesis: str | Sequence[str] | None = None) -> builtins.list[RunRecord]:
        """The run records themselves, oldest first (of one hypothesis, several, or all)."""
        if hypothesis is None:
            return read_records(self._now())
        ids = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis)
        return read_records(self._now(), [self.ws.hypothesis(hyp_id).id for hyp_id in ids])

    def runs(
        self,
        hypothesis: str | Sequence[str] | None = None,
        status: str | Sequence[str] | None = None,
        where: Where | None = None,
        latest: bool = False,
        initiative: str | None = None,
    ) -> pd.DataFrame:
        """Every run (oldest first) as a row; ``latest``: only those the verdicts count.

        ``hypothesis``: one id or several (default: all); ``initiative``: its hypotheses.

        ``status`` keeps runs with that status (or any of several); ``where`` keeps runs whose
        matrix point (or, for a key that is not a matrix key, merged params) has those values,
        a list meaning any of them: ``where={"scenario": ["gs1_ideal", "gs2_ideal"]}``.
        """
        if initiative is not None:
            if hypothesis is not None:
                raise InvestigateError("runs(): give hypothesis or initiative, not both")
            hypothesis = list(self.ws.initiative(initiative).hypotheses)
        records = self.records(hypothesis)
        _check_where(records, where or {})
        statuses = [status] if isinstance(status, str) else list(status) if status is not None else None
        rows = run_rows(records)
        kept = [
            row
            for row, rec in zip(rows, records, strict=True)
            if (statuses is None or rec.status in statuses)
            and _matches(rec, where or {})
            and (not latest or row["counts"])
        ]
        return frame(kept, column_order(kept, self._matrix_keys(hypothesis)))

    def verdict(self, hypothesis: str) -> Verdict:
        hyp = self.ws.hypothesis(hypothesis)
        return evaluate(hyp, latest_records(read_records(self._now(), hyp.id)), self.ws, counted=True)

    def verdicts(self) -> pd.DataFrame:
        """One row per hypothesis: verdict, what the rules alone said, the deciding rule, flags, run counts."""
        verdicts = evaluate_workspace(self.ws, read_records(self._now()))
        rows = [{**verdict_row(v), "title": self.ws.hypotheses.head(h).title} for h, v in verdicts.items()]
        return frame(rows, None if rows else ["hypothesis", "verdict"])

    def effects(self, hypothesis: str) -> pd.DataFrame:
        """The contrasts the verdict's conditions compare, with 95 % intervals, as ``show`` prints them."""
        rows = effect_rows(self.verdict(hypothesis))
        columns = ["where", "metric", "arm", "against", "point", "mean_diff", "ci95_low", "ci95_high"]
        return frame(rows, None if rows else columns)

    def audit(self, target: str | None = None) -> pd.DataFrame:
        """Every weakness of the evidence (``investigate audit``): hypothesis, kind, detail."""
        findings = audit(self.ws, read_records(self._now(), audit_scope(self.ws, target)), target)
        return frame([f.to_dict() for f in findings], ["hypothesis", "kind", "detail"])

    # ---- running ------------------------------------------------------------------------------

    def plan(
        self,
        hypothesis: str | builtins.list[str],
        *,
        where: Mapping[str, Any] | None = None,
        seeds: builtins.list[int] | None = None,
        profile: str | None = None,
        force: bool = False,
    ) -> pd.DataFrame:
        """``run --dry-run``: each planned run with its cache key, hit or miss, and why."""
        from investigate.views.cacheplan import cache_plan

        runs = self._select(hypothesis, where, seeds, profile)
        rows = cache_plan(self._now(), runs, force)
        return frame(rows, ["label", "hypothesis", "arm", "point", "seed", "cache_key", "hit", "reuses", "text"])

    def run(
        self,
        hypothesis: str | builtins.list[str],
        *,
        where: Mapping[str, Any] | None = None,
        seeds: builtins.list[int] | None = None,
        profile: str | None = None,
        force: bool = False,
        jobs: int = 1,
        executor: str | None = None,
    ) -> pd.DataFrame:
        """Run (or reuse from the cache) the hypothesis' runs with the CLI's runner; their rows.

        Failed runs are rows with status ``error`` or ``timeout`` (the CLI exits 4 for them). Ctrl-C
        stops the runs and, once what finished is recorded, raises KeyboardInterrupt as usual.
        """
        from investigate.execution.invoke import execute

        runs = self._select(hypothesis, where, seeds, profile)
        ids = list(dict.fromkeys(r.hypothesis for r in runs))
        summary = execute(self._now(), runs, ["investigate.api.run", *ids], jobs=jobs, force=force, executor=executor)
        if summary.interrupted:
            raise KeyboardInterrupt
        rows = run_rows(summary.records)
        return frame(rows, column_order(rows, self._matrix_keys(ids)))

    # ---- helpers ------------------------------------------------------------------------------

    def _select(
        self,
        hypothesis: str | builtins.list[str],
        where: Mapping[str, Any] | None,
        seeds: builtins.list[int] | None,
        profile: str | None,
    ) -> builtins.list[Any]:
        from investigate.plan.select import select_runs

        ids = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis)
        text_where = {
            k: [str(x) for x in (v if isinstance(v, (list, tuple)) else [v])] for k, v in (where or {}).items()
        }
        return select_runs(self.ws, ids, (), text_where, seeds, profile)

    def _matrix_keys(self, hypothesis: str | Sequence[str] | None) -> builtins.list[str]:
        if hypothesis is None:
            ids = sorted(self.ws.hypotheses)
        else:
            ids = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis)
        keys: dict[str, None] = {}
        for hyp_id in ids:
            exp = self.ws.hypotheses[hyp_id].experiment if hyp_id in self.ws.hypotheses else None
            keys.update(dict.fromkeys(exp.matrix if exp else []))
        return list(keys)


def _matches(record: RunRecord, where: Where) -> bool:
    for key, wanted in where.items():
        accepted = list(wanted) if isinstance(wanted, (list, tuple, set)) else [wanted]
        source = record.point if key in record.point else record.params
        if key not in source or source[key] not in accepted:
            return False
    return True


def _check_where(records: list[RunRecord], where: Where) -> None:
    """A key no run has would silently give an empty frame: say so, with the keys that exist."""
    if not records:
        return
    known = sorted({k for r in records for k in (*r.point, *r.params)})
    for key in where:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise InvestigateError(f"where: {key!r} is neither a matrix key nor a param of any run{hint}")
