import numpy as np

from ptycho import infer, params, sim


def test_canvas_formulas():
    pos = np.array([[42.0, 50.0], [350.0, 382.0]])
    assert infer.required_canvas(pos, 64) == 64 + 2 * 382
    assert infer.required_canvas(np.array([[10.5, 0.0]]), 64) == 86  # ceil(85) made even
    params.cfg.update({"N": 64, "gridsize": 2, "offset": 4, "max_position_jitter": 10})
    assert infer.legacy_padded_size() == 78
    j = infer.jitter_for(828, 64, 2, 4, 10)
    params.cfg["max_position_jitter"] = j
    assert infer.legacy_padded_size() == 828


def _truth_patches():
    rng = np.random.default_rng(0)
    obj = sim.lines_object(96, rng)
    coords = sim.random_scan(96, 16, 200, 2, rng)
    return obj, coords, sim.extract_patches(obj, coords, 16)


def test_stitching_truth_recovers_object_exactly():
    obj, coords, patches = _truth_patches()
    out = infer.reassemble(patches, coords, 96, 8, infer.required_canvas(coords, 16))
    covered = out["count"] > 0
    assert covered.mean() > 0.5 and out["signal_lost_fraction"] == 0
    np.testing.assert_allclose(out["image"][covered], obj[covered], rtol=1e-6)
    assert np.isnan(out["image"][~covered]).all()


def test_legacy_canvas_loses_signal_and_epsilon_mode():
    _obj, coords, patches = _truth_patches()
    small = infer.reassemble(patches, coords, 96, 8, 16 + 10)
    assert small["signal_lost_fraction"] > 0.9
    eps = infer.reassemble(patches, coords, 96, 8, infer.required_canvas(coords, 16), "epsilon")
    assert np.isfinite(eps["image"]).all()
    assert (eps["image"][eps["count"] == 0] == 0).all()  # uncovered pixels become fake zeros


def test_probe_weighted_stitching_recovers_truth_and_weights_by_illumination():
    obj, coords, patches = _truth_patches()
    probe = sim.make_probe(16, "custom", 4.0, False)
    out = infer.reassemble(patches, coords, 96, 8, infer.required_canvas(coords, 16), "probe", probe)
    lit = np.isfinite(out["image"])
    # the whole patch is used, so more of the object is covered than by the 8x8 crops
    assert lit.sum() > (infer.reassemble(patches, coords, 96, 8, 200)["count"] > 0).sum()
    np.testing.assert_allclose(out["image"][lit], obj[lit], rtol=1e-5)

    # two estimates of one pixel: the brighter-lit one dominates in proportion to |P|^2
    probe = np.zeros((4, 4), np.complex64)
    probe[1, 1], probe[1, 2] = 3.0, 1.0
    two = np.zeros((2, 4, 4), np.complex64)
    two[0, 1, 1], two[1, 1, 2] = 10.0, 20.0
    pos = np.array([[2.0, 2.0], [2.0, 1.0]])  # pixel (1,1) of the first = pixel (1,2) of the second
    image = infer.reassemble(two, pos, 6, 4, 20, "probe", probe)["image"]
    assert image[1, 1] == np.complex64((9 * 10 + 1 * 20) / 10)


def test_probe_weighting_needs_the_probe():
    _obj, coords, patches = _truth_patches()
    with np.testing.assert_raises(ValueError):
        infer.reassemble(patches, coords, 96, 8, 200, "probe")
