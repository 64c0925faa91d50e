"""Hypotheses by id, each validated the first time it is used.

Validating 10,000 hypothesis files costs a second; ``status`` and ``list`` over a cached store need
none of the models, only each hypothesis' id, title and initiative. A file the index remembers
as valid under this code (same stat, same package fingerprint) is therefore registered with that
head and its parsed data, and turned into a model only when something asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

from investigate.formats.schema import Hypothesis


class Head(NamedTuple):
    """What listing a hypothesis needs, without validating it."""

    id: str
    title: str
    initiative: str | None

    @classmethod
    def of(cls, hyp: Hypothesis) -> Head:
        return cls(hyp.id, hyp.title, hyp.initiative)


class Hypotheses(Mapping[str, Hypothesis]):
    """A read-only mapping of id -> Hypothesis in load order; deferred entries validate on first access."""

    def __init__(self) -> None:
        self._models: dict[str, Hypothesis | None] = {}  # None: not validated yet
        self._deferred: dict[str, tuple[Head, Callable[[], Hypothesis]]] = {}

    @classmethod
    def of(cls, models: list[Hypothesis]) -> Hypotheses:
        out = cls()
        for hyp in models:
            out.put(hyp)
        return out

    def put(self, hyp: Hypothesis) -> None:
        self._models[hyp.id] = hyp

    def defer(self, head: Head, make: Callable[[], Hypothesis]) -> None:
        """Register a hypothesis known to validate; ``make`` builds the model when it is first needed."""
        self._models[head.id] = None
        self._deferred[head.id] = (head, make)

    def head(self, hyp_id: str) -> Head:
        deferred = self._deferred.get(hyp_id)
        return deferred[0] if deferred is not None else Head.of(self[hyp_id])

    def __getitem__(self, hyp_id: str) -> Hypothesis:
        model = self._models[hyp_id]
        if model is None:
            model = self._deferred.pop(hyp_id)[1]()
            self._models[hyp_id] = model
        return model

    def __contains__(self, hyp_id: object) -> bool:
        return hyp_id in self._models

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)

    def __repr__(self) -> str:
        return f"Hypotheses({sorted(self._models)})"
