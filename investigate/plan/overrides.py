"""``run -p/--set KEY=VALUE``: a one-off variant of an experiment's params, from the command line.

The value is read as YAML reads a value in a hypothesis file (``lr=1e-3`` is a float, ``clip=true``
a bool, ``sizes=[16, 32]`` a list, ``name=gs2`` text), as Hydra's overrides do. ``KEY`` is a
merged param, dotted for a nested one (``optim.lr=0.1``); a key the params do not have is refused
with the closest names, unless written ``+KEY`` (add it). The override is applied after the
matrix point, the arm and ``--profile``, so it wins; the run's params (and so its cache key) hold
it, and its record keeps it under ``overrides``.

A run with overrides is not the hypothesis' experiment, so its record is not evidence for the
hypothesis' verdict (``rules.counting`` leaves it out); it is kept, listed by ``diff`` and found
by the cache like any other run.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from investigate.core.errors import InvestigateError, UnknownIdError
from investigate.formats.yamlio import loads


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["lr=0.1", "+note=x"]`` -> ``{"lr": 0.1, "+note": "x"}`` (values typed as YAML)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.lstrip("+") or any(not part for part in key.lstrip("+").split(".")):
            raise InvestigateError(f"-p/--set expects KEY=VALUE (KEY dotted for a nested param), got {item!r}")
        try:
            out[key] = loads(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise InvestigateError(f"-p/--set {item!r}: the value is not YAML: {exc}") from None
    return out


def apply_overrides(params: dict[str, Any], overrides: dict[str, Any], owner: str) -> dict[str, Any]:
    """``params`` with each override set; the input is not changed."""
    out = copy.deepcopy(params)
    for raw_key, value in overrides.items():
        adding = raw_key.startswith("+")
        parts = raw_key.lstrip("+").split(".")
        node = out
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None and adding:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                shown = "absent" if child is None else type(child).__name__
                raise InvestigateError(f"{owner}: -p/--set {raw_key}: {where} is {shown}, not a mapping of params")
            node = child
        if parts[-1] not in node and not adding:
            prefix = ".".join(parts[:-1])
            known = [f"{prefix}.{k}" if prefix else str(k) for k in node]
            error = UnknownIdError("param", ".".join(parts), known)
            raise InvestigateError(f"{owner}: -p/--set: {error} (write +{'.'.join(parts)}=... to add it)")
        node[parts[-1]] = value
    return out
