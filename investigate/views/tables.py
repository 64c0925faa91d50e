"""Flat rows for the faces that show evidence as tables: the Python API's DataFrames, the web UI's
pages and the MCP server's answers. Each row is plain JSON-able data; the renderers only lay it out.

A run row spreads the record over columns: one per matrix key, ``param.<name>`` for each merged
param (nested ones as ``param.a.b``) and ``metric.<name>`` for each metric, so a notebook can group
and plot without parsing. An effect row is one contrast as ``show`` prints it: a difference of
means with its 95 % interval.
"""

from __future__ import annotations

from typing import Any

from investigate.formats.schema import RunRecord
from investigate.rules.counting import latest_records, record_key
from investigate.rules.evidence import Effect
from investigate.rules.verdict import Verdict
from investigate.views.rundiff import flatten

RUN_COLUMNS = ("run_id", "hypothesis", "arm", "seed")  # then matrix keys, param.*, metric.*
RUN_TAIL = ("status", "counts", "duration_s", "cache_key", "reused_from", "started_at", "run_dir")


def run_row(record: RunRecord, counts: bool | None = None) -> dict[str, Any]:
    """One run as a flat row; ``counts``: whether it is among the runs the verdict reads."""
    row: dict[str, Any] = {name: getattr(record, name) for name in RUN_COLUMNS}
    row.update(record.point)
    # a matrix key is a param too: it stays under its own name only; nested params get dotted names
    shared = {k: v for k, v in record.params.items() if k not in record.point}
    row.update({f"param.{k}": v for k, v in flatten(shared).items()})
    row.update({f"metric.{k}": v for k, v in record.metrics.items()})
    tail = {name: getattr(record, name) for name in RUN_TAIL if name != "counts"}
    return {**row, **tail, "counts": counts}


def run_rows(records: list[RunRecord]) -> list[dict[str, Any]]:
    """Rows for ``records`` in their order, each marked with whether it counts towards a verdict."""
    counting = {id(r) for r in latest_records(records)}
    return [run_row(r, id(r) in counting) for r in records]


def column_order(rows: list[dict[str, Any]], matrix_keys: list[str]) -> list[str]:
    """Fixed columns first, then the matrix keys, params and metrics in the order first seen."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    head = [*RUN_COLUMNS, *(k for k in matrix_keys if k in seen)]
    middle = [c for c in seen if c not in head and c not in RUN_TAIL]
    params = [c for c in middle if c.startswith("param.")]
    metrics = [c for c in middle if c.startswith("metric.")]
    others = [c for c in middle if c not in params and c not in metrics]  # matrix keys of older files
    return [*head, *others, *params, *metrics, *RUN_TAIL]


def effect_row(e: Effect) -> dict[str, Any]:
    low, high = e.mean_ci if e.mean_ci else (None, None)
    return {
        "metric": e.metric,
        "arm": e.arm,
        "against": e.against,
        "declared_control": e.declared,
        "point": e.point,
        "n_arm": e.n_arm,
        "n_against": e.n_against,
        "paired": e.paired,
        "mean_diff": e.mean_diff,
        "ci95_low": low,
        "ci95_high": high,
        "resolved": e.resolved,
        "median_diff": e.median_diff,
    }


def effect_rows(verdict: Verdict) -> list[dict[str, Any]]:
    """Every contrast the verdict's conditions compare (each once), as ``show`` lists them."""
    verdict.with_effects()
    rows: dict[str, dict[str, Any]] = {}
    for rule in verdict.rules.values():
        for cond in rule.conditions:
            for e in cond.effects:
                row = effect_row(e)
                key = repr((row["metric"], row["arm"], row["against"], row["point"], cond.rule.where))
                rows.setdefault(key, {"where": cond.rule.where, **row})
    return list(rows.values())


def evidence_rows(verdict: Verdict) -> list[dict[str, Any]]:
    """Each rule's leaf conditions: the sentence that decided it, its value, and the runs it read."""
    rows = []
    for name, rule in verdict.rules.items():
        for cond in rule.conditions:
            rows.append({
                "rule": name,
                "condition": cond.label + cond.scope,
                "value": cond.value,
                "decisive": cond.decisive,
                "evidence": cond.evidence,
                "runs": len(cond.run_ids),
            })  # fmt: skip
    return rows


def verdict_row(verdict: Verdict) -> dict[str, Any]:
    assert verdict.raw_outcome is not None
    return {
        "hypothesis": verdict.hypothesis,
        "kind": verdict.kind,
        "verdict": verdict.outcome.value,
        "raw_outcome": verdict.raw_outcome.value,
        "decided_by": verdict.decided_by,
        "flags": [f.text() for f in verdict.flags],
        "runs": len(verdict.records),
        "failed": len(verdict.failed),
        "rests_on": len(verdict.run_ids),
    }


def same_point(records: list[RunRecord], record: RunRecord) -> list[RunRecord]:
    """The other runs of ``record``'s hypothesis at its matrix point (other arms and seeds)."""
    _, _, point, _ = record_key(record)
    return [r for r in records if r.run_id != record.run_id and record_key(r)[2] == point]
