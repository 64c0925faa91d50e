"""Scan density, position jitter and probe knowledge: the NETWORK-VALUE axes of the simulator."""

import numpy as np
import pytest

from ptycho import grouping, sim


def _probe():
    return sim.make_probe(32, "ideal", 10.0, True)


def test_grid_scan_keeps_the_pattern_count_and_grows_the_object():
    for step in (4, 16):
        size, coords = sim.grid_scan(100, 32, 5, step)
        assert len(coords) == 100 and coords.min() >= 16 + 5 and coords.max() <= size - 16 - 5
        nearest = np.sort(np.abs(np.diff(np.unique(coords[:, 1]))))
        assert nearest[0] == step
    assert sim.grid_scan(100, 32, 5, 16)[0] > sim.grid_scan(100, 32, 5, 4)[0]


def test_overlap_fraction_falls_with_the_step_and_is_measured():
    probe = _probe()
    same = np.array([[40.0, 40.0], [40.0, 40.0]])
    assert sim.overlap_fraction(same, probe) == pytest.approx(1.0)
    fractions = [sim.overlap_fraction(sim.grid_scan(64, 32, 5, s)[1], probe) for s in (2, 8, 16, 24)]
    assert fractions == sorted(fractions, reverse=True)
    assert fractions[0] > 0.8 and fractions[-1] == 0.0  # dense raster vs disjoint disks


def test_position_jitter_moves_the_true_positions_only():
    probe = _probe()
    kw = {"size": 96, "N": 32, "n_images": 64, "probe": probe, "nphotons": 1e6, "buffer": 5, "seed": 3}
    plain = sim.simulate_lines(**kw)
    moved = sim.simulate_lines(**kw, position_jitter=1.0)
    assert np.array_equal(plain["coords"], moved["coords"]) and np.array_equal(plain["object"], moved["object"])
    error = moved["true_coords"] - moved["coords"]
    assert 0.5 < np.sqrt(np.mean(error**2)) < 1.5 and not np.array_equal(plain["X"], moved["X"])
    assert np.array_equal(plain["true_coords"], plain["coords"])


def test_interpolated_extraction_is_exact_at_integer_centres():
    obj = sim.lines_object(64, np.random.default_rng(0))
    centres = np.array([[30.0, 31.0], [33.0, 40.0]])
    exact = sim.extract_patches(obj, centres, 16)
    spline = sim._interpolated_patches(obj, centres, 16)
    assert np.allclose(exact, spline, atol=1e-4)
    shifted = sim.extract_patches(obj, centres + 0.5, 16)
    assert not np.allclose(shifted, exact, atol=1e-3)


def test_perturbed_probe_is_deterministic_energy_preserving_and_scaled_by_the_error():
    probe = _probe()
    assert sim.perturbed_probe(probe, 0.0, 1) is probe
    a, b = sim.perturbed_probe(probe, 0.1, 1), sim.perturbed_probe(probe, 0.1, 1)
    assert np.array_equal(a, b) and not np.array_equal(a, sim.perturbed_probe(probe, 0.1, 2))
    assert np.sum(np.abs(a) ** 2) == pytest.approx(np.sum(np.abs(probe) ** 2), rel=1e-4)
    small = np.linalg.norm(a - probe) / np.linalg.norm(probe)
    big = np.linalg.norm(sim.perturbed_probe(probe, 0.3, 1) - probe) / np.linalg.norm(probe)
    assert 0.05 < small < big


def test_neighbour_check_fails_on_no_groups_and_far_members():
    near = np.array([[[0, 0], [0, 4], [4, 0], [4, 4]]], float)
    far = np.array([[[0, 0], [0, 40], [40, 0], [40, 40]]], float)
    assert grouping.neighbour_check(near, 2, 4)["grouping_ok"] is True
    assert grouping.neighbour_check(far, 2, 4)["grouping_ok"] is False
    assert grouping.neighbour_check(np.empty((0, 4, 2)), 2, 4)["grouping_ok"] is False
