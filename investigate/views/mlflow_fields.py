"""One record as the params, metrics and tags MLflow accepts, every name made legal before anything is sent.

MLflow refuses a metric, param or tag name outside ``[/\\w.\\- :]``, one that is not its own
normalised path (``""``, ``.``, ``a//b``, ``/x``, ``..x``) and one over 250 characters, and it
refuses them only after the run exists. So each name is checked here first and, where MLflow would
refuse it, **renamed**: every other character becomes ``_``, a name that would still be refused as a
path loses its slashes and gets a leading ``_``, a long one is cut; when the new name meets another
name of the same record, it gets ``-`` and six hex digits of the original name's SHA-256. Nothing
is dropped: the tag ``investigate.renamed`` maps each new name to the original (JSON, per kind), so
``loss(val)`` is the metric ``loss_val_`` with ``{"metric": {"loss_val_": "loss(val)"}}`` beside it.
Values are cut to MLflow's limits (params 6000 characters, tags 8000) with ``…``, and text that is
not valid UTF-8 (lone surrogates from JSON) has those code points replaced.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from investigate.formats.schema import RunRecord
from investigate.rules.evidence import number
from investigate.views.rundiff import flatten

ID_TAG = "investigate.run_id"
RENAMED_TAG = "investigate.renamed"
MAX_KEY = 250  # MLflow's limit on a metric, param or tag name
MAX_PARAM = 6000  # ... on a param value
MAX_TAG = 8000  # ... on a tag value
_LEGAL = re.compile(r"[/\w.\- :]")
_ILLEGAL = re.compile(r"[^/\w.\- :]")


def legal_name(name: str) -> bool:
    """Whether MLflow takes ``name`` as a metric, param or tag name (its rules, checked up front)."""
    if len(name) > MAX_KEY or _ILLEGAL.search(name):
        return False
    normal = posixpath.normpath(name)
    return normal == name and normal != "." and not normal.startswith(("..", "/"))


def _renamed(name: str) -> str:
    text = _ILLEGAL.sub("_", name)
    if not legal_name(text[:MAX_KEY]):
        text = "_" + text.replace("/", "_")  # a path MLflow would normalise: keep it flat and not dotted
    return text[:MAX_KEY]


def _salted(name: str, original: str) -> str:
    digest = hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{name[: MAX_KEY - 7]}-{digest}"


def clean_text(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters and encodable as UTF-8."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def value_text(value: Any, limit: int = MAX_PARAM) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return clean_text(text, limit)


@dataclass
class Names:
    """The legal names of one kind (metric, param, tag) within one record, and what was renamed."""

    taken: set[str] = field(default_factory=set)
    renamed: dict[str, str] = field(default_factory=dict)  # new name -> original

    def add(self, original: str) -> str:
        name = original if legal_name(original) else _renamed(original)
        if name in self.taken:
            name = _salted(name, original)
        if name != original:
            self.renamed[name] = original
        self.taken.add(name)
        return name


@dataclass
class RunFields:
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]


def record_fields(rec: RunRecord, verdict: str, initiative: str | None) -> RunFields:
    """What MLflow is sent for one record: all names legal, all strings within MLflow's limits."""
    fixed = {
        ID_TAG: rec.run_id,
        "hypothesis": rec.hypothesis,
        "arm": rec.arm,
        "point": json.dumps(rec.point, sort_keys=True, default=str),
        "seed": str(rec.seed),
        "status": rec.status,
        "verdict": verdict,
        "cache_key": rec.cache_key,
        "entry": rec.entry,
        "run_dir": rec.run_dir,
    }
    if initiative:
        fixed["initiative"] = initiative
    if rec.reused_from:
        fixed["reused_from"] = rec.reused_from
    commit = rec.provenance.get("git_commit")
    if commit:
        fixed["git_commit"] = fixed["mlflow.source.git.commit"] = str(commit)
    if rec.error:
        fixed["error"] = rec.error[-MAX_TAG:]
    param_names, metric_names, tag_names = Names(), Names(), Names(set(fixed) | {RENAMED_TAG})
    params = {param_names.add(k): value_text(v) for k, v in flatten(rec.params).items()}
    metrics: dict[str, float] = {}
    tags = {k: clean_text(v, MAX_TAG) for k, v in fixed.items()}
    # The metric keys first, so that a text metric's tag metric.<name> matches its key when legal.
    for key in sorted(rec.metrics, key=lambda k: not legal_name(str(k))):
        value, x = rec.metrics[key], number(rec.metrics[key], bools=True)
        if x is None:  # text, null, or an integer beyond a float
            tags[tag_names.add(f"metric.{key}")] = value_text(value)
        else:
            metrics[metric_names.add(str(key))] = x
    renamed = {kind: names.renamed for kind, names in (("param", param_names), ("metric", metric_names),
                                                         ("tag", tag_names)) if names.renamed}  # fmt: skip
    if renamed:
        tags[RENAMED_TAG] = json.dumps(renamed, sort_keys=True, ensure_ascii=False)
    return RunFields(params, metrics, tags)
