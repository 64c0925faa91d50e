"""JSON Schemas of the hypothesis and initiative files, exported from the pydantic models.

Editors use them for completion and checks while typing: the YAML language server reads
``# yaml-language-server: $schema=<path or URL>`` on a file's first line (docs/format.md). The
schema says what the models accept key by key; rules that span keys (one comparison per
condition, ``control`` naming an arm, ids matching file names) stay with ``investigate validate``.
"""

from __future__ import annotations

from typing import Any

from investigate.formats.schema import HYPOTHESIS_ID, INITIATIVE_ID, Hypothesis, Initiative

DIALECT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("hypothesis", "initiative")

# Shown on hover in an editor; docs/format.md has the full reference with examples.
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Hypothesis": {
        "id": "H-UPPER-CASE id; the file name is the id + .yaml",
        "initiative": "the initiative (plans/<ID>/initiative.yaml) this hypothesis belongs to",
        "statement": "the suspected cause, in words",
        "prediction": "what the runs will show if the statement is true (and if it is false)",
        "kind": "causal (default): the arms must differ; derivation: checks something true by construction",
        "verdict": "rules per outcome: the first that holds wins (confirmed, then ruled_out); else inconclusive",
        "fix": "a fix for a confirmed cause, and the rule its runs must meet (outcome fixed)",
        "notes": "free text; never read by the tool",
    },
    "Experiment": {
        "run": "python entry point 'module:function', called as fn(params, ctx) -> dict of metrics",
        "command": "command line, split like a shell line into arguments (no shell unless shell: true), with "
        "{param}, {run_dir}, {seed} and {workspace} placeholders ({{ }} for literal braces; a token that is only "
        "a placeholder with an empty or null value is dropped); writes metrics.json into {run_dir}",
        "params": "params shared by every run",
        "matrix": "key: [values]; one run per combination (a matrix point)",
        "arms": "arm name: params merged over params and the point (control and treatment)",
        "control": "the control arm: effects of the other arms are reported against it",
        "seeds": "the seeds each (point, arm) runs with (default [0])",
        "timeout_s": "seconds before a run is stopped and recorded as timeout (default 900)",
        "metrics": "the metrics the experiment reports; rules naming any other metric are an error",
        "shell": "command only: run it through /bin/sh -c, each placeholder value shell-quoted (default false)",
        "python": "the interpreter: replaces a leading python/python3 of 'command', or runs a 'run' entry "
        "(a path from the workspace root, or a name on PATH)",
        "env": "environment variables for the run: NAME: value; values may hold placeholders",
        "cwd": "where the run's process starts: workspace (default, the workspace root) or run (its run directory)",
    },
    "Rule": {
        "all": "every part holds",
        "any": "at least one part holds",
        "not": "the part does not hold (untested stays untested)",
        "arm": "only runs of this arm",
        "vs": "compare mean(arm) - mean(vs) at each matrix point instead of the metric itself",
        "where": "only runs whose matrix point (or params) has these values",
        "metric": "the metric the condition reads",
        "equals": "value equals (booleans only equal booleans)",
        "lt": "value < x",
        "le": "value <= x",
        "gt": "value > x",
        "ge": "value >= x",
        "between": "low <= value <= high",
        "over": "all (default) / any / {fraction: f} of the runs, or the mean / median of their values",
    },
    "Fix": {"description": "what the fix changes", "verified_by": "the rule the fixed runs must meet"},
    "Initiative": {
        "id": "UPPER-CASE id; the plan directory name",
        "hypotheses": "the hypotheses of this initiative, in the order the summary lists them",
        "decision_tree": "nodes asking a question each, with an edge per outcome of their hypothesis",
        "summary": "the narrative of the final summary; numbers always come from runs",
    },
    "DecisionTree": {"start": "the node the walk starts at", "nodes": "node id: node"},
    "DecisionNode": {
        "hypothesis": "the hypothesis whose verdict picks the edge",
        "confirmed": "next node (or a terminal label) when confirmed",
        "ruled_out": "next node when ruled out",
        "fixed": "next node when fixed (default: the confirmed edge)",
        "inconclusive": "next node when inconclusive",
    },
    "Narrative": {
        "claims": "hypothesis: the outcome the narrative relies on; a contradiction is shown and listed as a gap",
        "verification": "the Verification Evidence table (and its figures)",
        "artifacts": "links listed under Key Artifacts",
    },
    "Verification": {
        "hypothesis": "whose runs fill the table",
        "arm": "one arm's runs",
        "arms": "several arms side by side",
        "row": "the matrix key whose values are the rows (default scenario)",
        "rows": "the row values, in order",
        "metrics": "one column (and one figure) per metric",
    },
}


def json_schema(kind: str) -> dict[str, Any]:
    """The schema of a hypothesis or initiative file, with descriptions and id patterns."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    model = Hypothesis if kind == "hypothesis" else Initiative
    schema = model.model_json_schema(by_alias=True)
    for name, definition in [(model.__name__, schema), *schema.get("$defs", {}).items()]:
        for field, text in DESCRIPTIONS.get(name, {}).items():
            prop = definition.get("properties", {}).get(field)
            if prop is not None:
                prop.setdefault("description", text)
    pattern = HYPOTHESIS_ID if kind == "hypothesis" else INITIATIVE_ID
    # \A and \Z are Python's; JSON Schema patterns are ECMA-262, where ^ and $ anchor the same way
    schema["properties"]["id"]["pattern"] = "^" + pattern.pattern.removeprefix(r"\A").removesuffix(r"\Z") + "$"
    return {"$schema": DIALECT, "$id": f"investigate-{kind}.schema.json", **schema}
