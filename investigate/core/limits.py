"""Bounds on what a workspace may ask of this tool, so hostile or mistaken input fails early.

A few hundred bytes of YAML can describe billions of values (aliases) or runs (a matrix), so every
bound is checked on sizes *before* anything of that size is built. The defaults are far above what
a real investigation needs; ``[tool.investigate] max_runs`` and ``max_yaml_bytes`` raise two of them.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_YAML_BYTES = 1_000_000  # per hypothesis or initiative file
MAX_YAML_NODES = 100_000  # values in one file once aliases are expanded
MAX_YAML_DEPTH = 100  # nested lists and mappings; JSON encoders and validators recurse per level
MAX_RUNS = 10_000  # runs one experiment may expand to
MAX_RECORD_BYTES = 64_000_000  # one run.json; the writer keeps logs to a tail, so a real one is far smaller


def run_count(matrix_sizes: Sequence[int], n_arms: int, n_seeds: int) -> int:
    """matrix points × arms × seeds, from the lengths alone (nothing is expanded)."""
    total = n_arms * n_seeds
    for size in matrix_sizes:
        total *= size
    return total


def too_many_runs(matrix_sizes: Sequence[int], n_arms: int, n_seeds: int, limit: int) -> str | None:
    """Why an experiment of these dimensions may not be expanded, or None when it may."""
    total = run_count(matrix_sizes, n_arms, n_seeds)
    if total <= limit:
        return None
    shown = "×".join(str(size) for size in matrix_sizes[:8]) + ("×…" if len(matrix_sizes) > 8 else "")
    matrix = f"matrix {shown}" if matrix_sizes else "no matrix"
    return (
        f"the experiment expands to {total:,} runs ({matrix}, {_count(n_arms, 'arm')}, {_count(n_seeds, 'seed')}); "
        f"the limit is {limit:,} (raise [tool.investigate] max_runs)"
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
