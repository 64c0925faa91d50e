"""Were a hypothesis' rules written before the runs they decide? (``post_hoc``)

Each record stores ``rules_hash``: a hash of the hypothesis' verdict block and ``fix.verified_by``
as they were when the run was recorded (and, in a git repository, the file's blob id,
``rules_blob``, so the old text can be shown). A verdict whose counted runs were recorded under
other rules is flagged ``post_hoc``: the rules may have been fitted to the evidence. Re-running the
hypothesis records its runs again (cache hits included) under the current rules and clears it.
Records from before this field existed say nothing either way.

The hash is over the rules' meaning, not their text: the parsed models with defaults left out,
so a comment, a reordered key or spelling out a default does not count as a change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from investigate.formats.schema import Hypothesis, RunRecord


def rules_hash(hyp: Hypothesis) -> str:
    """sha256 (first 16 hex digits) of what decides the verdict: ``verdict`` and ``fix.verified_by``."""
    rules = {
        "verdict": hyp.verdict.model_dump(mode="json", by_alias=True, exclude_defaults=True) if hyp.verdict else None,
        "fix": hyp.fix.verified_by.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        if hyp.fix and hyp.fix.verified_by
        else None,
        "kind": hyp.kind,
    }
    text = json.dumps(rules, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PostHoc:
    """The counted runs recorded under other rules than the current ones."""

    current: str
    old: tuple[str, ...]  # the other hashes, oldest record first
    blobs: tuple[str, ...]  # their files' git blob ids, where recorded
    runs: int  # how many counted runs were recorded under other rules
    total: int

    def text(self) -> str:
        return (
            f"{self.runs} of {self.total} runs were recorded under other rules (hash {', '.join(self.old)}; now "
            f"{self.current}): the rules changed after the evidence; re-run to decide under the current ones"
        )


def post_hoc(hyp: Hypothesis, records: Iterable[RunRecord]) -> PostHoc | None:
    """The change, if any counted run was recorded under other rules (records without a hash say nothing)."""
    current = rules_hash(hyp)
    hashed = [r for r in records if r.rules_hash is not None]
    other = [r for r in hashed if r.rules_hash != current]
    if not other:
        return None
    old = tuple(dict.fromkeys(str(r.rules_hash) for r in other))
    blobs = tuple(dict.fromkeys(r.rules_blob for r in other if r.rules_blob))
    return PostHoc(current, old, blobs, len(other), len(hashed))
