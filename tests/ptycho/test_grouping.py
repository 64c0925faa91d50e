import numpy as np
import pytest
from scipy.spatial import cKDTree

from ptycho import grouping


def test_gs1_is_direct():
    coords = np.random.default_rng(0).random((20, 2)) * 100
    idx = grouping.group_indices(coords, 1, 4, 10, np.random.default_rng(0))
    assert idx.shape == (10, 1) and len(set(idx[:, 0])) == 10


def test_gs2_members_are_nearest_neighbours():
    coords = np.random.default_rng(0).random((60, 2)) * 100
    members = grouping.group_indices(coords, 2, 5, 30, np.random.default_rng(1))
    assert members.shape == (30, 4)
    _, nn = cKDTree(coords).query(coords, k=6)
    for row in members:
        # every group lies among the 5 nearest neighbours of some seed point, excluding it
        assert any(set(row) <= set(nn[i][1:]) and i not in row for i in range(60))
    offsets, rel = grouping.relative_coords(coords, members)
    np.testing.assert_allclose(rel.mean(axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(offsets[:, None, :] - rel, coords[members])


def test_too_few_points_is_a_clear_error():
    coords = np.array([[10.0, 10.0], [20.0, 20.0]])
    with pytest.raises(grouping.GroupingError, match="only 2 scan points but 5"):
        grouping.group_indices(coords, 2, 4, 2, np.random.default_rng(0))
