"""Corrections for many looks: Holm within one condition, Benjamini–Hochberg across an initiative.

- ``holm``: Holm's step-down adjustment controls the family-wise error rate (the chance of any
  false claim among the points) under any dependence between the points. ``over: any`` and
  ``fraction`` claims that some points hold are made with it; ``over: all`` needs every point
  and is an intersection–union test, valid unadjusted.
- ``bh_qvalues``: Benjamini–Hochberg q-values across every deciding contrast of an initiative,
  reported (never deciding) so a reader sees the false-discovery rate of the whole set of claims.
(``qvalues.initiative_qvalues`` gives the rows the summary and ``status --json`` show.)
"""

from __future__ import annotations

from collections.abc import Sequence


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input's order (reject where adjusted ≤ α)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def bh_qvalues(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg q-values, in the input's order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i], reverse=True)
    q = [1.0] * m
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k  # 1-based rank from the smallest
        running = min(running, pvalues[i] * m / rank)
        q[i] = min(1.0, running)
    return q
