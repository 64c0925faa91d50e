"""Grouping scan points into training samples.

gridsize 1: each point is its own sample. gridsize g > 1: a seed point's K nearest neighbours
(KD-tree, self dropped) are drawn from, g*g of them at random, and become the channels of one
sample; the group sits at their mean position and each member keeps its offset from it.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from . import params


class GroupingError(ValueError):
    """The scan cannot be grouped as asked (e.g. fewer points than neighbours requested)."""


def group_indices(coords: np.ndarray, gridsize: int, K: int, n_groups: int, rng: np.random.Generator) -> np.ndarray:
    """(n_groups, g*g) indices into coords."""
    n = len(coords)
    if gridsize == 1:
        return rng.choice(n, size=min(n_groups, n), replace=False)[:, None]
    c = gridsize * gridsize
    if K < c:
        raise GroupingError(f"K={K} neighbours cannot supply gridsize**2={c} group members")
    if n < K + 1:
        # cKDTree.query would quietly pad with index n and distance inf; say what is wrong
        raise GroupingError(
            f"only {n} scan points but {K + 1} coordinates requested (K={K} neighbours plus the point itself)"
        )
    _, nn = cKDTree(coords).query(coords, k=K + 1)
    seeds = rng.choice(n, size=min(n_groups, n), replace=False)
    members = np.empty((len(seeds), c), np.int64)
    for row, i in enumerate(seeds):
        neighbours = nn[i][nn[i] != i][:K]  # drop self (duplicates may shuffle its slot)
        members[row] = rng.choice(neighbours, size=c, replace=False)
    return members


def relative_coords(coords: np.ndarray, members: np.ndarray):
    """Group offsets (mean position, (G, 2)) and relative coords -(coords - mean), (G, c, 2)."""
    pos = coords[members]
    offsets = pos.mean(axis=1)
    return offsets, -(pos - offsets[:, None, :])


def load_grouped(data: dict, indices: np.ndarray, n_groups: int, rng: np.random.Generator) -> dict:
    """Legacy loader: reads gridsize and K from params.cfg, like the original.

    `data` holds X (n, N, N), Y (n, N, N) complex, coords (n, 2); `indices` the split's points.
    Returns X, Y as (G, N, N, c) with the group members as channels.
    """
    gridsize, K = int(params.cfg["gridsize"]), int(params.cfg["K"])
    coords = data["coords"][indices]
    members = group_indices(coords, gridsize, K, n_groups, rng)
    offsets, rel = relative_coords(coords, members)
    take = indices[members]  # back to indices into the full data
    out = {"members": take, "offsets": offsets, "rel": rel.astype(np.float32), "positions": data["coords"][take]}
    for key in ("X", "Y"):
        if key in data:
            out[key] = np.moveaxis(data[key][take], 1, -1)  # (G, c, N, N) -> (G, N, N, c)
    return out


def group_spans(positions: np.ndarray) -> np.ndarray:
    """(G,) largest distance between two members of each group; positions (G, c, 2)."""
    positions = np.asarray(positions, np.float64)
    diff = positions[:, :, None, :] - positions[:, None, :, :]
    return np.sqrt((diff**2).sum(-1)).max(axis=(1, 2))


def span_bound(gridsize: int, step: float) -> float:
    """Members of a gridsize x gridsize group of genuine neighbours on a scan of pitch `step` lie
    within the group's diagonal, sqrt(2) (g - 1) step; twice that allows an irregular scan."""
    return 2.0 * np.sqrt(2.0) * (gridsize - 1) * float(step)


def neighbour_check(positions: np.ndarray, gridsize: int, step: float) -> dict:
    """grouping_ok: there are groups and every one spans at most span_bound (its members are
    spatial neighbours); with the largest span and the bound, as measured."""
    bound = span_bound(gridsize, step)
    if len(positions) == 0:
        return {"grouping_ok": False, "max_group_span_px": None, "group_span_bound_px": bound}
    span = float(group_spans(positions).max())
    return {"grouping_ok": bool(span <= bound), "max_group_span_px": span, "group_span_bound_px": bound}
