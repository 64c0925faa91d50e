"""``investigate isolate``: delta debugging between a good and a bad configuration, every test a recorded run."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from investigate.core.errors import InvestigateError
from investigate.core.jsonout import dumps
from investigate.execution.executors.choose import add_arguments as add_executor_arguments
from investigate.workspace.load import Workspace

if TYPE_CHECKING:
    from investigate.isolate import Delta, IsolationResult
    from investigate.isolate.inputs import IsolationSpec
    from investigate.isolate.runs import RunBatch

SHOWN_KEYS = 4  # keys listed per table row before "(+n more)"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "isolate",
        help="find the minimal difference that makes a good configuration fail",
        description="Delta debugging between two configurations: find a 1-minimal set of the keys "
        "that differ which, switched to the bad values, makes the good configuration fail the test. "
        "Each tested configuration is an ordinary run (own subprocess, cached, recorded under "
        "reports/<stamp>/ISOLATE-.../ with provenance). A run that errors is unresolved, never pass "
        "or fail. Configurations are YAML files of params, or arm names of --hypothesis H-X.",
    )
    parser.add_argument("--good", required=True, metavar="G", help="the configuration that passes (file or arm)")
    parser.add_argument("--bad", required=True, metavar="B", help="the configuration that fails (file or arm)")
    parser.add_argument("--entry", metavar="MODULE:FN", help="experiment entry point (or a command template)")
    parser.add_argument("--hypothesis", metavar="H-X", help="take arms, entry point, timeout, seeds and test from H-X")
    parser.add_argument(
        "--where", action="append", default=[], metavar="KEY=VALUE", help="the matrix point of H-X's arms"
    )
    parser.add_argument(
        "--test", metavar="RULE", help="a run passes when this holds, e.g. '{metric: trains_clean, equals: true}' "
        "(default: H-X's fix.verified_by)",
    )  # fmt: skip
    parser.add_argument(
        "--replicates", type=int, default=1, metavar="R", help="at most R seeds per configuration (flaky failures)"
    )
    parser.add_argument(
        "--confidence", type=float, default=0.99, help="posterior confidence a replicated outcome needs (0.99)"
    )
    parser.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="configurations run in parallel")
    add_executor_arguments(parser)
    parser.add_argument("--by-section", action="store_true", help="isolate top-level sections first, then keys")
    parser.add_argument("--force", action="store_true", help="ignore the cache and execute every run")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds per run (default: H-X's, else 900)")
    parser.add_argument("--python", metavar="PATH", help="the runs' interpreter (default: H-X's python)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="a variable of the runs' environment"
    )
    parser.add_argument("--cwd", choices=("workspace", "run"), help="where each run starts (default: H-X's cwd)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--write-hypothesis", metavar="H-NEW", help="write hypotheses/H-NEW.yaml for the culprit")
    parser.add_argument("--initiative", metavar="X", help="initiative of the written hypothesis (default: H-X's)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ws: Workspace) -> int:
    from investigate.execution.executors.choose import opened
    from investigate.isolate import compute_deltas, isolate
    from investigate.isolate.inputs import build_spec
    from investigate.isolate.runs import RunBatch
    from investigate.isolate.search import IsolationError

    if args.jobs < 1:
        raise InvestigateError("--jobs must be at least 1")
    target = _hypothesis_target(ws, args)  # refuse before any run, not after the search
    spec = build_spec(
        ws, args.good, args.bad, entry=args.entry, hypothesis=args.hypothesis, test=args.test,
        where=args.where, timeout_s=args.timeout, settings=_settings(args),
    )  # fmt: skip
    deltas = compute_deltas(spec.good, spec.bad)
    t0 = time.monotonic()
    with opened(ws, args) as make_executor:  # one cluster for every round of the search
        batch = RunBatch(
            ws, args.argv, spec, deltas, jobs=args.jobs, force=args.force, replicates=args.replicates,
            confidence=args.confidence, executor=make_executor,
        )  # fmt: skip
        try:
            result = isolate(deltas, batch=batch, jobs=args.jobs, by_section=args.by_section)
        except IsolationError as exc:
            raise IsolationError(f"{exc}\n{_endpoints_text(batch, deltas)}") from None
    wall = time.monotonic() - t0
    written = None
    if target is not None:
        written = _write_hypothesis(ws, target, result, spec, args)
    data = _json(spec, result, batch, wall, written)
    if args.json:
        print(dumps(data))
    else:
        print(_text(data))
    return 0


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    env = {}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvestigateError(f"--env expects KEY=VALUE, got {item!r}")
        env[name] = value
    return {"python": args.python, "cwd": args.cwd, "env": env}


def _hypothesis_target(ws: Workspace, args: argparse.Namespace) -> Path | None:
    if not args.write_hypothesis:
        return None
    from investigate.formats.schema import HYPOTHESIS_ID

    if not HYPOTHESIS_ID.match(args.write_hypothesis):
        raise InvestigateError(f"--write-hypothesis {args.write_hypothesis!r} is not a hypothesis id like H-CONFIG")
    path = ws.hypotheses_dir / f"{args.write_hypothesis}.yaml"
    if path.exists() or args.write_hypothesis in ws.hypotheses:
        raise InvestigateError(f"--write-hypothesis: {ws.relative(path)} already exists; pick another id")
    if args.initiative:
        ws.initiative(args.initiative)  # an unknown initiative is a user error now, not after the runs
    return path


def _write_hypothesis(
    ws: Workspace, path: Path, result: IsolationResult, spec: IsolationSpec, args: argparse.Namespace
) -> str:
    from investigate.isolate import hypothesis_yaml
    from investigate.workspace.load import load_workspace

    initiative = args.initiative or (spec.hypothesis.initiative if spec.hypothesis is not None else None)
    text = hypothesis_yaml(
        result, spec.entry, spec.good, spec.bad, args.write_hypothesis, rule=spec.rules, initiative=initiative,
        seeds=spec.seeds if len(spec.seeds) > 1 else (0, 1, 2), timeout_s=spec.timeout_s,
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
            handle.write(text)
    except FileExistsError:
        raise InvestigateError(f"--write-hypothesis: {ws.relative(path)} already exists; pick another id") from None
    try:
        load_workspace(ws.root)  # the new file must pass `investigate validate` with the rest
    except InvestigateError:
        path.unlink()
        raise
    return ws.relative(path)


def _endpoints_text(batch: RunBatch, deltas: list[Delta]) -> str:
    lines = []
    for name, keys in (("good", frozenset()), ("bad", frozenset(d.key for d in deltas))):
        tested = batch.tested.get(keys)
        if tested is not None:
            note = f" ({tested.note})" if tested.note else ""
            lines.append(f"  {name}: {tested.outcome.value}{note}; runs: {', '.join(tested.run_ids) or '-'}")
    return "\n".join(lines)


def _json(
    spec: IsolationSpec, result: IsolationResult, batch: RunBatch, wall: float, written: str | None
) -> dict[str, Any]:
    from investigate.isolate.runs import arm_name

    data = result.to_json()
    for row, entry in zip(data["table"], result.table, strict=True):
        row["arm"] = arm_name(entry.config, result.deltas)
    return {
        "good": spec.good_name,
        "bad": spec.bad_name,
        "entry": spec.entry,
        "label": spec.label,
        "test": [r.as_condition() for r in spec.rules],
        "replicates": batch.replicates,
        **data,
        "differing_keys": [d.key for d in result.deltas],
        "executed": batch.executed,
        "cached": len(batch.records) - batch.executed,
        "wall_seconds": round(wall, 2),
        "hypothesis_written": written,
    }


def _keys_text(keys: list[str], every: list[str]) -> str:
    """The switched keys, or the ones left at good when those are fewer (a big set reads "all but ...")."""
    if len(keys) == len(every):
        return "all"
    rest = [k for k in every if k not in keys]
    chosen, prefix = (rest, "all but ") if len(rest) < len(keys) else (keys, "")
    more = f" (+{len(chosen) - SHOWN_KEYS} more)" if len(chosen) > SHOWN_KEYS else ""
    return (prefix + ", ".join(chosen[:SHOWN_KEYS]) + more) if chosen else "-"


def _change(culprit: dict[str, Any]) -> str:
    good = "absent" if culprit.get("absent") == "good" else json.dumps(culprit["good"])
    bad = "absent" if culprit.get("absent") == "bad" else json.dumps(culprit["bad"])
    return f"{culprit['key']}: {good} -> {bad}"


def _text(data: dict[str, Any]) -> str:
    n = data["n_deltas"]
    test = " and ".join(f"{c['metric']} " + " ".join(f"{k} {json.dumps(v)}" for k, v in c.items() if k != "metric")
                        for c in data["test"])  # fmt: skip
    lines = [
        f"isolate: {'1 key differs' if n == 1 else f'{n} keys differ'} between good ({data['good']}) "
        f"and bad ({data['bad']})",
        f"entry {data['entry']}; a run passes when {test}; runs recorded as {data['label']}",
        "",
        f"{'#':>3}  {'outcome':<10} {'arm':<13} {'keys':>4}  switched to bad / runs",
    ]
    for index, row in enumerate(data["table"], 1):
        keys = row["keys"]
        shown = _keys_text(keys, data["differing_keys"])
        lines.append(f"{index:>3}  {row['outcome']:<10} {row['arm']:<13} {len(keys):>4}  {shown or '-'}")
        ids = row["run_ids"]
        more = f" (+{len(ids) - 1} more, all in --json)" if len(ids) > 1 else ""
        lines.append(f"{'':>34}runs: {ids[0] if ids else '-'}{more}")
        if row.get("note"):
            lines.append(f"{'':>34}{row['note']}")
    minimal = {True: "1-minimal: removing any one key makes it pass", False: "not proven minimal", None: "unverified"}
    lines += ["", f"minimal failure-inducing difference ({minimal[data['minimal']]}):"]
    lines += [f"  {_change(culprit)}" for culprit in data["culprits"]]
    if data["culprit_sections"] is not None:
        lines.append(f"  (sections: {', '.join(data['culprit_sections'])})")
    others = [found for found in data["culprit_sets"] if found != data["culprits"]]
    if others:
        lines.append("also failing alone, 1-minimal by the table's own tests:")
        lines += ["  " + ", ".join(f"{_change(c)}" for c in found) for found in others]
    lines.append(
        f"{data['tests']} configurations tested, {data['runs']} runs ({data['executed']} executed, "
        f"{data['cached']} cached) in {data['wall_seconds']:.1f} s"
    )
    if data["hypothesis_written"]:
        lines.append(f"wrote {data['hypothesis_written']}")
    return "\n".join(lines)
