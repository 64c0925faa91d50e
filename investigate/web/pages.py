"""Each page's data: a function of the workspace and the request, returning the template's context.

The numbers come from the same views the CLI prints (verdicts, effects, compare, diff, the tree);
this module only chooses what a page shows.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

import yaml
from pydantic import BaseModel
from starlette.requests import Request

from investigate.core.errors import InvestigateError, UnknownIdError
from investigate.execution.logtail import tail
from investigate.rules.conditions import fmt
from investigate.rules.counting import latest_records
from investigate.rules.verdict import evaluate, evaluate_workspace, initiative_hypotheses
from investigate.store.records import read_records
from investigate.views import compare as compare_view
from investigate.views.explain import verdict_lines
from investigate.views.rundiff import diff_runs, flatten, resolve_run
from investigate.views.runlist import RunFilter, run_page, where_from
from investigate.views.svgtree import render_svg
from investigate.views.tables import effect_rows, evidence_rows, same_point, verdict_row
from investigate.views.tree import walk
from investigate.web.artifacts import is_image
from investigate.workspace.load import Workspace

PER_PAGE = 50
MAX_SUGGESTED = 300
LOG_TAIL = 8192


def shown(value: Any) -> str:
    """A value as a table cell: numbers as ``fmt`` writes them, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value):
        return fmt(value)
    return value if isinstance(value, str) else fmt(value)


def query(request: Request, **changes: Any) -> str:
    """This page's query string with ``changes`` applied (None removes a key)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


def _verdict(ws: Workspace, hyp_id: str) -> Any:
    return evaluate(ws.hypothesis(hyp_id), latest_records(read_records(ws, hyp_id)), ws, counted=True)


def _spelled(model: BaseModel) -> dict[str, Any]:
    """As the file spells it (aliases such as ``all``), without the defaults it left out."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)


def index(ws: Workspace, request: Request) -> dict[str, Any]:
    initiatives = [ws.initiatives[i] for i in sorted(ws.initiatives)]
    grouped = {h for ini in initiatives for h in ini.hypotheses}
    loose = [ws.hypotheses.head(h) for h in sorted(ws.hypotheses) if h not in grouped]
    return {"title": ws.root.name, "request": request, "initiatives": initiatives, "loose": loose}


def initiative(ws: Workspace, request: Request) -> dict[str, Any]:
    ini = ws.initiative(request.path_params["id"])
    ids = initiative_hypotheses(ini)  # its tree's nodes may name hypotheses beyond its list
    verdicts = evaluate_workspace(ws, read_records(ws, ids), ids)
    walked = walk(ini, {h: v.outcome for h, v in verdicts.items()})
    listed = [h for h in ini.hypotheses if h in verdicts]
    rows = [{**verdict_row(verdicts[h]), "title": ws.hypotheses.head(h).title} for h in listed]
    return {
        "title": ini.id,
        "request": request,
        "ini": ini,
        "svg": render_svg(walked) if walked else None,
        "next": walked.next_command if walked else None,
        "rows": rows,
    }


def hypothesis(ws: Workspace, request: Request) -> dict[str, Any]:
    hyp = ws.hypothesis(request.path_params["id"])
    verdict = _verdict(ws, hyp.id)
    rules = _spelled(hyp.verdict) if hyp.verdict else {}
    if hyp.fix is not None:
        rules["fix"] = _spelled(hyp.fix)
    experiment = _spelled(hyp.experiment) if hyp.experiment else None
    return {
        "title": hyp.id,
        "request": request,
        "hyp": hyp,
        "file": ws.relative(ws.source_path(hyp.id)),
        "experiment": yaml.safe_dump(experiment, sort_keys=False) if experiment else None,
        "rules": yaml.safe_dump(rules, sort_keys=False, allow_unicode=True) if rules else None,
        "verdict": verdict_row(verdict),
        "explained": "\n".join(verdict_lines(verdict, effects=True)),
        "evidence": evidence_rows(verdict),
        "effects": effect_rows(verdict),
        "latest": sorted(verdict.records, key=lambda r: r.started_at, reverse=True)[:PER_PAGE],
    }


def runs(ws: Workspace, request: Request) -> dict[str, Any]:
    params = request.query_params
    hyp_id = params.get("hypothesis") or None
    if hyp_id is not None:
        hyp_id = ws.hypothesis(hyp_id).id
    filt = RunFilter(hyp_id, params.get("arm") or None, params.get("status") or None, where_from(params))
    try:
        page_no = max(1, int(params.get("page", "1")))
        per = max(1, min(int(params.get("per", str(PER_PAGE))), 500))
    except ValueError:
        raise InvestigateError("page and per must be whole numbers") from None
    page = run_page(ws, filt, (page_no - 1) * per, per)
    exp = ws.hypothesis(hyp_id).experiment if hyp_id else None
    keys = list(exp.matrix) if exp else sorted({k for r in page.records for k in r.point})
    return {
        "title": f"runs of {hyp_id}" if hyp_id else "runs",
        "request": request,
        "filt": filt,
        "page": page,
        "page_no": page_no,
        "per": per,
        "keys": keys,
        "matrix": exp.matrix if exp else {},
        "arms": exp.arm_names if exp else [],
        "statuses": ["ok", "error", "timeout", "interrupted"],
        # suggestions for the hypothesis field; a store of thousands would make every page megabytes
        "hypotheses": sorted(ws.hypotheses) if len(ws.hypotheses) <= MAX_SUGGESTED else [],
    }


def _record(ws: Workspace, run_id: str) -> tuple[Any, list[Any]]:
    parts = run_id.strip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise UnknownIdError("run", run_id, [])
    hyp_id = parts[1] if len(parts) > 1 else ""
    if hyp_id not in ws.hypotheses:
        raise UnknownIdError("run", run_id, [])
    records = read_records(ws, hyp_id)
    return resolve_run(ws, run_id, records), records


def run(ws: Workspace, request: Request) -> dict[str, Any]:
    rec, records = _record(ws, request.path_params["run_id"])
    run_dir = ws.root / rec.run_dir
    log = tail(run_dir / "log.txt", LOG_TAIL) if (run_dir / "log.txt").is_file() else None
    reports = ws.relative(ws.reports_dir)
    below = rec.run_dir.removeprefix(reports + "/") if rec.run_dir.startswith(reports + "/") else None
    artifacts = [
        {"name": name, "url": f"/artifact/{below}/{name}" if below else None, "image": is_image(name)}
        for name in rec.artifacts
    ]
    return {
        "title": rec.run_id,
        "request": request,
        "rec": rec,
        "params": flatten(rec.params),
        "provenance": flatten(rec.provenance),
        "log": log,
        "artifacts": artifacts,
        "neighbours": same_point(records, rec)[-20:],
    }


def compare(ws: Workspace, request: Request) -> dict[str, Any]:
    hyp = ws.hypothesis(request.path_params["id"])
    records = read_records(ws, hyp.id)
    metrics = request.query_params.getlist("metric") or compare_view.metrics_of(hyp, records)
    result = compare_view.compare(hyp, records, metrics, request.query_params.get("control") or None)
    return {"title": f"compare {hyp.id}", "request": request, "hyp": hyp, "result": result}


def diff(ws: Workspace, request: Request) -> dict[str, Any]:
    a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
    if not a or not b:
        return {"title": "diff", "request": request, "result": None, "a": a, "b": b}
    rec_a, _ = _record(ws, a)
    rec_b, _ = _record(ws, b)
    result = diff_runs(rec_a, rec_b)
    return {"title": "diff", "request": request, "result": result, "a": a, "b": b}
