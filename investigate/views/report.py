"""Render an initiative's final summary from its narrative, its runs and the verdicts.

The narrative (outcome, root cause, remaining issues) is the human's text from the initiative
file; every number, status and date comes from run records, so re-rendering the same records gives
the same bytes. Nothing here reads the clock, and every list is sorted or in file order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2

from investigate.core.errors import InvestigateError
from investigate.formats.schema import Initiative, Outcome, RunRecord, Verification
from investigate.rules.audit import acknowledged, claim_findings, evidence_findings, static_findings
from investigate.rules.counting import latest_records
from investigate.rules.verdict import Verdict, evaluate_workspace, initiative_hypotheses
from investigate.rules.verification import aggregate, figure_data, table
from investigate.store.records import read_records
from investigate.views import mdtext
from investigate.views.explain import describe_run, effect_text
from investigate.views.mdtext import Markdown, compose
from investigate.views.statsreport import statistics_context
from investigate.views.summarymedia import is_image, media, stamp_links
from investigate.views.tree import TreeWalk, render_mermaid, render_text, walk

__all__ = ["aggregate", "build_context", "completion_date", "environment", "render", "render_summary"]

DEFAULT_TEMPLATE = "final_summary.md.j2"
RESULT_LABELS = {
    Outcome.confirmed: "CONFIRMED",
    Outcome.ruled_out: "RULED OUT",
    Outcome.fixed: "FIXED",
    Outcome.inconclusive: "INCONCLUSIVE",
    Outcome.untested: "UNTESTED",
}


def environment(template: Path | None = None) -> tuple[jinja2.Environment, str]:
    """StrictUndefined so a misspelt variable fails loudly; no autoescape, the output is markdown."""
    if template is None:
        loader: jinja2.BaseLoader = jinja2.PackageLoader("investigate", "templates")
        name = DEFAULT_TEMPLATE
    else:
        _check_template(template)
        loader, name = jinja2.FileSystemLoader(str(template.parent)), template.name
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - the output is markdown; HTML escaping would corrupt it
        keep_trailing_newline=True,
        finalize=mdtext.finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Every value is text unless it is Markdown on purpose (mdtext); a table cell is one line, '|' escaped.
    env.filters.update({"cell": mdtext.cell, "code": mdtext.code, "trim": mdtext.trim})
    return env, name


def _check_template(template: Path) -> None:
    if template.is_dir():
        raise InvestigateError(f"template {template} is a directory; give the template file")
    if not template.is_file():
        raise InvestigateError(f"template {template} does not exist")
    try:
        template.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InvestigateError(f"template {template}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InvestigateError(f"template {template}: not UTF-8 text (byte {exc.start}); is it a template?") from None


class _Linker:
    """Paths relative to the output file's directory (or the workspace root without one)."""

    def __init__(self, root: Path, out: Path | None) -> None:
        self.root, self.base = root, (out.resolve().parent if out else root)

    def __call__(self, path: str | Path) -> Markdown:
        return mdtext.link_target(self.relative(path))

    def relative(self, path: str | Path) -> str:
        full = Path(path) if Path(path).is_absolute() else self.root / path
        return Path(os.path.relpath(full, self.base)).as_posix()


def build_context(
    ws: Any,
    initiative_id: str,
    records: list[RunRecord] | None = None,
    out: Path | None = None,
    figures: bool = True,
) -> dict[str, Any]:
    """Everything the template may use; see the module docstring for where each value comes from.

    ``figures``: list the verification figures (``write_figures`` draws them) so the text links them.
    """
    initiative = ws.initiative(initiative_id)
    needed = initiative_hypotheses(initiative)  # this initiative's records only
    records = read_records(ws, needed) if records is None else records
    verdicts = evaluate_workspace(ws, records, needed)
    link = _Linker(Path(ws.root), out)
    narrative = initiative.summary
    gaps: list[str] = []
    warnings: list[str] = []
    hypotheses = [
        _hypothesis_row(ws, hid, verdicts.get(hid), narrative, link, gaps, warnings) for hid in initiative.hypotheses
    ]
    tables = []
    for index, (spec, _where) in enumerate(narrative.verification_tables if narrative else []):
        spec_verdict = verdicts.get(spec.hypothesis)
        spec_records = spec_verdict.records if spec_verdict else []
        drawn = _figures(ws, initiative, spec, spec_records, link, prefix=f"{index + 1}-" if index else "")
        tables.append({**table(spec, spec_records, link, gaps), "figures": drawn if figures else []})
    verification = tables[0] if tables else None
    walked = walk(initiative, {h: v.outcome for h, v in verdicts.items()})
    tree = _tree_context(walked, gaps)
    gaps.extend(_audit_gaps(ws, initiative, verdicts))
    mine = latest_records(r for r in records if r.hypothesis in initiative.hypotheses)
    decided = sum(h["outcome"] not in ("untested", "inconclusive") for h in hypotheses)
    status = (
        narrative.status if narrative and narrative.status else f"{decided} of {len(hypotheses)} hypotheses decided"
    )
    return {
        "initiative": {"id": initiative.id, "title": initiative.title},
        "status": status,
        "date": completion_date(mine, records),
        "links_from_root": out is None,  # stdout: links are relative to the workspace root
        # The narrative is the human's markdown, by design; everything else is text (mdtext).
        "narrative": {
            k: Markdown(getattr(narrative, k)) if narrative and getattr(narrative, k) is not None else None
            for k in ("outcome", "root_cause", "fix", "remaining", "conclusion")
        },
        "warnings": warnings,
        "contradicted": [h["id"] for h in hypotheses if h["warning"]],
        "hypotheses": hypotheses,
        "fixes": [h for h in hypotheses if h["fix"]],
        "verification": verification,
        "verifications": tables,  # every table, each with its figures; the first is `verification`
        "figures": [f for t in tables for f in t["figures"]],
        **media(ws, initiative, verdicts, link, figures_dir(ws, initiative.id), figures),
        "tree": tree,
        "tree_walk": walked,
        "artifacts": [
            {"label": a.label, "path": link(a.path), "shown": link.relative(a.path), "image": is_image(a.path)}
            for a in (narrative.artifacts if narrative else [])
        ],
        "gaps": gaps,
        "runs": _run_counts(mine),
        # BH q-values across the deciding contrasts, and acknowledged findings (views.statsreport)
        "statistics": statistics_context(ws, initiative, verdicts),
    }


def completion_date(latest: list[RunRecord], every: list[RunRecord]) -> str:
    """The day the newest of the runs the verdicts rest on was executed.

    A cache hit is a record written when ``run`` reused an earlier run: its ``started_at`` is the
    day of that ``run`` call (often the day the summary is rendered), so the original's counts.
    """
    by_dir = {r.run_dir: r for r in every}
    days = [(by_dir.get(r.reused_from or "") or r).started_at[:10] for r in latest]
    return max(days, default="no runs recorded")


def figures_dir(ws: Any, initiative_id: str) -> Path:
    return Path(ws.reports_dir) / initiative_id / "figures"


def _figures(
    ws: Any, initiative: Initiative, spec: Verification, records: list[RunRecord], link: _Linker, prefix: str = ""
) -> list[dict[str, Any]]:
    hyp = ws.hypotheses.get(spec.hypothesis)
    arm_order = hyp.experiment.arm_names if hyp is not None and hyp.experiment is not None else []
    base = figures_dir(ws, initiative.id)
    return [
        {
            "metric": data.metric,
            "path": link(base / (prefix + data.filename)),
            "file": base / (prefix + data.filename),
            "alt": f"{data.metric} by arm and {data.row_key}, each dot a seed",
            "data": data,
        }
        for data in figure_data(spec, records, arm_order)
    ]


def _hypothesis_row(
    ws: Any, hid: str, verdict: Verdict | None, narrative: Any, link: _Linker, gaps: list[str], warnings: list[str]
) -> dict[str, Any]:
    """One row of the hypotheses table; adds what it finds missing to ``gaps`` and ``warnings``."""
    hyp = ws.hypotheses.get(hid)
    outcome = verdict.outcome if verdict else Outcome.untested
    claimed = narrative.claims.get(hid) if narrative else None
    warning = None
    # A fixed cause is a confirmed cause, so a "confirmed" claim still stands.
    if claimed is not None and claimed is not outcome and (claimed, outcome) != (Outcome.confirmed, Outcome.fixed):
        warning = f"⚠ The narrative relies on {hid} being {claimed.value}; the runs say: {outcome.value}."
        warnings.append(warning)
        gaps.append(f"The narrative's claim that {hid} is {claimed.value} does not hold: the runs say {outcome.value}.")
    flags = verdict.flags if verdict else []
    if outcome is Outcome.untested:
        evidence: str = compose("no decisive runs yet — {}", mdtext.code(f"investigate run {hid}"))
        gaps.append(compose("{} is untested — run {}.", hid, mdtext.code(f"investigate run {hid}")))
    else:
        evidence = "; ".join(verdict.evidence) if verdict else ""
        if flags and verdict is not None and verdict.raw_outcome is not None:
            said = f"the {verdict.decided_by} rule alone says {verdict.raw_outcome.value}"
            for flag in flags:
                gaps.append(f"{hid} is flagged {flag.kind} ({said}, so it counts as inconclusive): {flag.detail}.")
        elif outcome is Outcome.inconclusive:
            gaps.append(f"{hid} is inconclusive: neither rule holds ({evidence}).")
    for rec in sorted(verdict.failed if verdict else [], key=lambda r: r.run_id):
        gaps.append(describe_run(rec) + ".")
    newest = max(verdict.records, key=lambda r: (r.started_at, r.run_id)) if verdict and verdict.records else None
    return {
        "id": hid,
        "title": hyp.title if hyp else hid,
        # the newest invocation's directory of this hypothesis: reports/<stamp>/<HYPOTHESIS>
        "runs_link": link(Path(newest.run_dir).parent.parent) if newest and newest.run_dir else None,
        "runs_label": Path(newest.run_dir).parent.parent.parent.name if newest and newest.run_dir else None,
        "runs_links": stamp_links(verdict.records, link) if verdict else [],  # every invocation, oldest first
        "outcome": outcome.value,
        "result": RESULT_LABELS[outcome] + (" ⚑" if flags else ""),
        "flags": [f.kind for f in flags],
        "evidence": evidence,
        "effect": _effect_cell(verdict) if verdict and outcome is not Outcome.untested else "—",
        "warning": warning,
        "link": link(ws.source_path(hid)) if hyp else "",
        "fix": hyp.fix.description if hyp and hyp.fix else None,
        "fix_verified": verdict.fix_verified if verdict else None,
    }


MAX_EFFECTS = 3


def _effect_cell(verdict: Verdict) -> str:
    """The deciding conditions' effects against their controls, pooled over points, each once."""
    seen: dict[tuple[Any, ...], str] = {}
    for cond in verdict.with_effects().deciding_conditions():
        for e in cond.effects:
            key = (e.metric, frozenset((e.arm, e.against)), repr(cond.rule.where))
            if e.point is None or all(x.point is not None for x in cond.effects if x.against == e.against):
                seen.setdefault(key, effect_text(e))
    if not seen:
        return "— (no second arm compared)"
    texts = list(seen.values())
    shown = "; ".join(texts[:MAX_EFFECTS])
    if len(texts) <= MAX_EFFECTS:
        return shown
    more = mdtext.code(f"investigate show {verdict.hypothesis}")
    return compose("{}; {} more in {}", shown, len(texts) - MAX_EFFECTS, more)


def _audit_gaps(ws: Any, initiative: Initiative, verdicts: dict[str, Verdict]) -> list[str]:
    """What ``investigate audit`` finds beyond the flags (already listed with their hypotheses)."""
    lines: list[str] = []
    unsupported: list[str] = []
    for hid in initiative.hypotheses:
        hyp, verdict = ws.hypotheses.get(hid), verdicts.get(hid)
        if hyp is None or verdict is None:
            continue
        found = [acknowledged(hyp, f) for f in static_findings(hyp) + evidence_findings(hyp, verdict)]
        flagged = {fl.kind for fl in verdict.flags}
        lines.extend(f"Audit: {f.line()}." for f in found if f.kind not in flagged and f.acknowledged is None)
    for finding in claim_findings(initiative, ws.hypotheses, verdicts):
        if finding.kind == "claim_unsupported":
            unsupported.append(finding.hypothesis)
    if unsupported:
        lines.append(
            compose(
                "No declared control supports the narrative's claims about {} ({} says why for each).",
                ", ".join(unsupported),
                mdtext.code(f"investigate audit {initiative.id}"),
            )
        )
    return lines


def _tree_context(walked: TreeWalk | None, gaps: list[str]) -> dict[str, Any] | None:
    if walked is None:
        return None
    if walked.next_node:
        gaps.append(compose("The decision tree stops at {}: {}.", walked.next_node, mdtext.code(walked.next_command)))
    return {
        "path": " → ".join(walked.path),
        "text": render_text(walked).rstrip("\n"),
        "mermaid": Markdown(render_mermaid(walked).rstrip("\n")),  # its labels are made safe in tree
        "next_node": walked.next_node,
        "next_command": walked.next_command,
        "note": walked.note,
    }


def _run_counts(records: list[RunRecord]) -> dict[str, int]:
    ok = sum(r.status == "ok" for r in records)
    return {"total": len(records), "ok": ok, "failed": len(records) - ok}


def render_summary(
    ws: Any,
    initiative_id: str,
    out: Path | None = None,
    template: Path | None = None,
    records: list[RunRecord] | None = None,
    figures: bool = True,
) -> str:
    return render(ws, initiative_id, out, template, records, figures)[0]


def render(
    ws: Any,
    initiative_id: str,
    out: Path | None = None,
    template: Path | None = None,
    records: list[RunRecord] | None = None,
    figures: bool = True,
) -> tuple[str, dict[str, Any]]:
    """The summary's text and the context it was rendered from (figures, tree, contradictions)."""
    env, name = environment(template)
    context = build_context(ws, initiative_id, records, out, figures)
    try:
        return env.get_template(name).render(**context), context
    except jinja2.UndefinedError as exc:
        raise InvestigateError(f"template {name}: {exc.message}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise InvestigateError(f"template {exc.filename or name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:  # e.g. an {% include %} of a file that is not there
        raise InvestigateError(f"template {name}: {exc.message or exc}") from None
