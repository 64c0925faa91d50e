"""Run directory names: readable, short enough for any file system, and never shared by two runs.

``<HYPOTHESIS>/<point>/<arm>-seed<k>``. The point part is ``point_slug`` (``scenario=gs1_custom``)
when that text names the typed matrix values exactly; otherwise (``2`` and ``"2"``, ``x/y`` and
``x y``, a 300-character value) it is cut short and ends in ``~`` plus a hash of the exact typed
point. ``~`` never appears in an exact slug, so an exact name and a hashed one cannot meet.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, Protocol

from investigate.store.records import point_slug

SAFE = re.compile(r"[A-Za-z0-9_.+-]+")  # no '=' or ',' (they separate pairs) and no '~' (the hash mark)
MAX_NAME = 96  # well under the 255 bytes a path component may have
HASH_CHARS = 10


class RunIdentity(Protocol):
    hypothesis: str
    point: dict[str, Any]
    arm: str
    seed: int


def point_dir(point: dict[str, Any]) -> str:
    """The directory name of a matrix point (see the module docstring)."""
    slug = point_slug(point)
    if len(slug) <= MAX_NAME and all(_exact(key, value) for key, value in point.items()):
        return slug
    return _shortened(slug, _digest(point))


def arm_dir(arm: str, seed: int) -> str:
    name = f"{arm}-seed{seed}"
    return name if len(name) <= MAX_NAME else _shortened(name, _digest([arm, seed]))


def run_rel_dir(run: RunIdentity, length: int = HASH_CHARS) -> str:
    """``H-X/<point>/<arm>-seed<k>``; a longer ``length`` lengthens the hash of a hashed point."""
    point = point_dir(run.point)
    if length != HASH_CHARS and "~" in point:
        point = _shortened(point.rsplit("~", 1)[0], _digest(run.point), length)
    return f"{run.hypothesis}/{point}/{arm_dir(run.arm, run.seed)}"


def identity(run: RunIdentity) -> str:
    """Equal for two runs exactly when they are the same (hypothesis, typed point, arm, seed)."""
    return json.dumps([run.hypothesis, _typed(run.point), run.arm, run.seed], sort_keys=True)


def unique_dirs(runs: Iterable[RunIdentity]) -> list[str]:
    """One relative directory per run, distinct for distinct runs, whatever their values sanitise to.

    Distinct points already get distinct names unless two 10-character hashes collide; then the
    colliding names take the full hash, and a counter as the last resort.
    """
    runs = list(runs)
    names = [run_rel_dir(run) for run in runs]
    owners: dict[str, str] = {}
    for index, run in enumerate(runs):
        ident = identity(run)
        name = names[index]
        if owners.setdefault(name, ident) != ident:
            name = run_rel_dir(run, length=64)
            suffix = 2
            while owners.setdefault(name, ident) != ident:
                name = f"{run_rel_dir(run, length=64)}-{suffix}"
                suffix += 1
            names[index] = name
    return names


def _exact(key: str, value: Any) -> bool:
    """True when ``key=value`` as written reads back, as YAML reads it, to this very typed value."""
    import yaml

    text = str(value)
    if not SAFE.fullmatch(key) or not SAFE.fullmatch(text):
        return False
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return type(parsed) is type(value) and parsed == value


def _typed(value: Any) -> Any:
    # JSON alone would spell 1 and 1.0 apart but True and 1 apart only by luck: keep the type name.
    if isinstance(value, dict):
        return {str(k): _typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_typed(v) for v in value]
    return [type(value).__name__, repr(value)]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(_typed(value), sort_keys=True).encode()).hexdigest()


def _shortened(text: str, digest: str, length: int = HASH_CHARS) -> str:
    keep = max(MAX_NAME - length - 1, 1)
    return f"{text[:keep]}~{digest[:length]}"
