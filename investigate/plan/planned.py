"""One planned run: (hypothesis, arm, matrix point, seed) with everything its process needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from investigate.store.rundirs import point_dir, run_rel_dir


@dataclass
class PlannedRun:
    hypothesis: str
    entry: str  # "module:function" or the command template
    kind: str  # "run" | "command"
    arm: str
    point: dict[str, Any]
    seed: int
    params: dict[str, Any]
    timeout_s: float
    argv: list[str] = field(default_factory=list)  # command template tokens, formatted per run
    cache_key: str = ""
    key_parts: dict[str, Any] = field(default_factory=dict)  # what the key hashes, for explaining misses
    runtime: dict[str, Any] = field(default_factory=dict)  # shell/python/env/cwd that differ from the defaults
    overrides: dict[str, Any] = field(default_factory=dict)  # run -p/--set KEY=VALUE, as given (plan.overrides)

    @property
    def label(self) -> str:
        return f"{self.hypothesis} {point_dir(self.point)} {self.arm} seed{self.seed}"

    def rel_dir(self) -> str:
        """Distinct for distinct runs; ``rundirs.unique_dirs`` also settles the rare hash collision."""
        return run_rel_dir(self)
