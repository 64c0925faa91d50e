"""Configurations as flat dotted keys, the deltas between two of them, and applying a subset of deltas.

A configuration is a plain (possibly nested) dict. Nested dicts flatten to dotted keys
(``{"model": {"lr": 0.1}}`` → ``{"model.lr": 0.1}``) so that one changed leaf is one delta,
not its whole section. A key present on one side only is a delta whose other side is ``ABSENT``;
applying it removes the key. Lists and other values are leaves: a changed list is one delta.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from investigate.core.errors import InvestigateError


class _Absent:
    """The value of a key that one configuration does not have; compared by identity (``is ABSENT``)."""

    def __repr__(self) -> str:
        return "<absent>"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "ABSENT"  # pickling (e.g. to a worker process) keeps the identity

    def __copy__(self) -> _Absent:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Absent:
        return self


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Delta:
    """One differing key: its value in the good and in the bad configuration (``ABSENT`` if missing)."""

    key: str
    good: Any
    bad: Any

    @property
    def section(self) -> str:
        """The top-level section, the prefix before the first dot (the key itself when it has none)."""
        return self.key.split(".", 1)[0]


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys. An empty dict stays a leaf so that it survives a round trip."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if not isinstance(key, str) or not key or "." in key:
            # A dot inside a key would make the dotted form ambiguous, so refuse it instead of guessing.
            raise InvestigateError(f"configuration key {prefix + str(key)!r}: keys must be non-empty text without '.'")
        path = prefix + key
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys back to nested dicts; keys whose value is ``ABSENT`` are left out."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        if value is ABSENT:
            continue
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise InvestigateError(f"configuration key {key!r} lies under {part!r}, which is not a section")
            node = child
        node[leaf] = value
    return nested


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python, but a YAML user who wrote `true` and `1` changed something.
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else bool(a == b)


def compute_deltas(good: Mapping[str, Any], bad: Mapping[str, Any]) -> list[Delta]:
    """Every key whose value differs, in the bad configuration's key order, then keys only the good has.

    The order matters: dd splits the list into contiguous chunks, so keys written next to each
    other (one section) tend to be tested together, which is where interacting settings live.
    """
    g, b = flatten(good), flatten(bad)
    keys = list(b) + [k for k in g if k not in b]
    deltas = [Delta(k, g.get(k, ABSENT), b.get(k, ABSENT)) for k in keys]
    return [d for d in deltas if d.good is ABSENT or d.bad is ABSENT or not _same(d.good, d.bad)]


def apply_deltas(good: Mapping[str, Any], deltas: Collection[Delta], keys: Collection[str]) -> dict[str, Any]:
    """The good configuration with the deltas named in ``keys`` switched to their bad values (nested)."""
    by_key = {d.key: d for d in deltas}
    unknown = sorted(set(keys) - set(by_key))
    if unknown:
        raise InvestigateError(f"not a delta between the configurations: {', '.join(unknown)}")
    flat = flatten(good)
    for key in keys:
        flat[key] = by_key[key].bad
    return unflatten(flat)


def sections(deltas: Collection[Delta]) -> dict[str, list[str]]:
    """Delta keys grouped by top-level section, in first-seen order."""
    groups: dict[str, list[str]] = {}
    for d in deltas:
        groups.setdefault(d.section, []).append(d.key)
    return groups
