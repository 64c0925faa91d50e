"""One page of the runs list: filtered by hypothesis, arm, status and matrix values, newest first.

``read_records`` answers for a set of hypotheses, so that is how far paging can be pushed down
today: a page reads the hypotheses in id order (in batches that double) only until it has
``offset + limit`` matching runs (one more, to know whether a next page exists), never the whole
store. A page deep into a store of many hypotheses still reads every hypothesis before it; a store
query with the filters, an order and LIMIT/OFFSET would make every page cost the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from investigate.formats.schema import RunRecord
from investigate.plan.expand import accepts
from investigate.rules.conditions import fmt
from investigate.rules.counting import latest_records
from investigate.store.records import read_records

if TYPE_CHECKING:
    from investigate.workspace.load import Workspace

MAX_LIMIT = 500
FIRST_BATCH = 8  # hypotheses read by the first question to the store


@dataclass
class RunFilter:
    hypothesis: str | None = None
    arm: str | None = None
    status: str | None = None
    where: dict[str, str] = field(default_factory=dict)  # matrix key -> value as text

    def keeps(self, record: RunRecord) -> bool:
        if self.arm and record.arm != self.arm:
            return False
        if self.status and record.status != self.status:
            return False
        # `5`, `5.0` and `5e0` all name the matrix value 5.0, as `run --where` reads them
        return all(
            key in record.point and (_text(record.point[key]) == value or accepts(record.point[key], [value]))
            for key, value in self.where.items()
        )


@dataclass
class RunPage:
    records: list[RunRecord]
    counts: set[str]  # run ids among the records a verdict reads
    offset: int
    limit: int
    has_more: bool
    total: int | None  # known when the filter names one hypothesis
    hypotheses_read: int


def _text(value: Any) -> str:
    return value if isinstance(value, str) else fmt(value)


def _batches(ids: list[str], first: int) -> Iterator[list[str]]:
    """``ids`` in consecutive slices doubling in size: a page reads few hypotheses more than it
    needs, and a deep page asks the store a few large questions instead of thousands of small ones."""
    start, size = 0, first
    while start < len(ids):
        yield ids[start : start + size]
        start, size = start + size, size * 2


def run_page(ws: Workspace, filt: RunFilter, offset: int = 0, limit: int = 50) -> RunPage:
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    ids = [filt.hypothesis] if filt.hypothesis else sorted(ws.hypotheses)
    wanted = offset + limit + 1
    found: list[RunRecord] = []
    counts: set[str] = set()
    seen = 0
    read = 0
    total = None
    for batch in _batches(ids, FIRST_BATCH):
        by_hypothesis: dict[str, list[RunRecord]] = {h: [] for h in batch}
        for record in read_records(ws, batch):  # oldest first, hypotheses mixed
            by_hypothesis.setdefault(record.hypothesis, []).append(record)
        for hyp_id in batch:
            records = by_hypothesis[hyp_id]
            read += 1
            kept = [r for r in reversed(records) if filt.keeps(r)]  # newest first
            if filt.hypothesis:
                total = len(kept)
            if seen + len(kept) > offset:
                start = max(0, offset - seen)
                found.extend(kept[start : start + wanted - max(seen, offset)])
                counts.update(r.run_id for r in latest_records(records))
            seen += len(kept)
            if seen >= wanted:
                break
        if seen >= wanted:
            break
    page = found[:limit]
    return RunPage(page, counts & {r.run_id for r in page}, offset, limit, len(found) > limit, total, read)


def where_from(items: Mapping[str, str]) -> dict[str, str]:
    """Query parameters ``m.<key>=<value>`` as matrix filters."""
    return {k[2:]: v for k, v in items.items() if k.startswith("m.") and len(k) > 2 and v != ""}
