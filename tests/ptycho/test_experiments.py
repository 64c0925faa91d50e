import importlib.util
import math

import numpy as np
import pytest

from investigate.execution.context import RunContext
from ptycho import experiments, params

# only the tests that train need TensorFlow; the scan/canvas/grouping/gauge ones run everywhere
needs_tf = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow not installed")


def _run(fn, p, tmp_path, seed=0, name="run"):
    params.reset()  # each real run is its own process; emulate that
    d = tmp_path / name
    d.mkdir()
    return fn(p, RunContext(run_dir=d, seed=seed)), d


KEYS = {
    "amp_pred_mean",
    "amp_true_mean",
    "pearson_r",
    "least_squares_scalar",
    "mae",
    "rmse",
    "has_nan",
    "first_nan_epoch",
    "trains_clean",
    "fits_canvas",
    "required_canvas",
    "padded_size",
    "signal_lost_fraction",
    "learned_intensity_scale",
    "train_seconds",
    "epochs_run",
    "n_params",
}


@needs_tf
def test_sim_lines_quick_end_to_end_and_deterministic(tmp_path):
    p = {"profile": "quick", "scenario": "gs2_custom"}
    a, d = _run(experiments.sim_lines_scenario, p, tmp_path, name="a")
    assert KEYS <= set(a)
    assert a["trains_clean"] and a["has_nan"] is False and a["fits_canvas"]
    for f in ("history.json", "stats.json", "amplitude.npy", "phase.npy", "reconstruction.png"):
        assert (d / f).exists()
    b, _ = _run(experiments.sim_lines_scenario, p, tmp_path, name="b")
    for k in ("pearson_r", "amp_pred_mean", "learned_intensity_scale"):
        assert math.isclose(a[k], b[k], rel_tol=1e-4), k


@needs_tf
def test_stale_config_is_reported_as_a_shape_failure(tmp_path):
    r, _ = _run(
        experiments.sim_lines_scenario,
        {"profile": "quick", "scenario": "gs1_ideal", "sync_legacy_config": False},
        tmp_path,
    )
    assert r["trains_clean"] is False and "Dimensions must be equal" in r["failure"]


def test_cheap_canvas_mode_and_legacy_overflow(tmp_path):
    r, _ = _run(
        experiments.sim_lines_scenario, {"profile": "quick", "train": False, "canvas_padding": "legacy"}, tmp_path
    )
    assert r["fits_canvas"] is False and r["required_canvas"] > r["padded_size"]


@needs_tf
def test_dose_quick_trains(tmp_path):
    r, _ = _run(experiments.dose_scenario, {"profile": "quick", "nphotons": 1e6}, tmp_path)
    assert r["trains_clean"] and r["grouping_ok"]


def test_dose_kdtree_misreading(tmp_path):
    bad, _ = _run(experiments.dose_scenario, {"profile": "quick", "nimgs_as": "points"}, tmp_path, name="b")
    assert bad["grouping_ok"] is False and "only 2 scan points" in bad["failure"]


def test_unknown_param_names_a_suggestion(tmp_path):
    with pytest.raises(ValueError, match="did you mean 'sync_legacy_config'"):
        _run(experiments.sim_lines_scenario, {"sync_legacy_cfg": True}, tmp_path)


def test_jitter_fix_reaches_the_canvas_only_through_the_inference_bridge(tmp_path):
    base = {"profile": "quick", "train": False, "canvas_padding": "jitter"}
    synced, _ = _run(experiments.sim_lines_scenario, base, tmp_path, name="a")
    train_only, _ = _run(experiments.sim_lines_scenario, {**base, "sync_legacy_config": "train"}, tmp_path, name="b")
    assert synced["fits_canvas"] is True and train_only["fits_canvas"] is False


def test_data_gauge_legacy_normalisation_erases_the_object_scale(tmp_path):
    legacy, _ = _run(experiments.data_gauge, {"profile": "quick", "object_norm": "patch_max"}, tmp_path, name="a")
    raw, _ = _run(experiments.data_gauge, {"profile": "quick", "object_norm": "none", "gain": 3.0}, tmp_path, name="b")
    assert legacy["diffraction_gain_ratio"] == pytest.approx(1.0, abs=1e-6) and not legacy["scale_visible"]
    assert raw["diffraction_gain_ratio"] == pytest.approx(3.0, rel=1e-3) and raw["scale_visible"]


@needs_tf
def test_refinement_reports_network_and_refined_numbers(tmp_path):
    p = {
        "profile": "quick",
        "scenario": "gs1_ideal",
        "object_norm": "none",
        "amp_activation": "softplus",
        "scale_trainable": False,
        "refine_iterations": 10,
        "depth": 2,
        "save_artifacts": False,
    }
    out, _ = _run(experiments.sim_lines_scenario, p, tmp_path)
    assert out["trains_clean"] and out["scale_drift"] == pytest.approx(0, abs=1e-6)
    assert out["fourier_error_refined"] < out["fourier_error_network"]
    assert out["pearson_r"] > out["network_pearson_r"]
    assert -1 <= out["pearson_r_lowpass"] <= 1
    # lit pixels include the patch edges the central crops leave out
    assert out["n_pixels_lit"] > out["n_pixels"] and -1 <= out["network_pearson_r_lit"] <= out["pearson_r_lit"] <= 1
    assert out["fourier_error_start"] == out["fourier_error_network"]  # the network's stitch is the start


@needs_tf
def test_refinement_from_a_flat_start(tmp_path, monkeypatch):
    from ptycho import refine

    starts = []
    real_refine = refine.refine

    def spy(initial, X, positions, probe, iterations):
        if iterations:
            starts.append(np.array(initial))
        return real_refine(initial, X, positions, probe, iterations)

    monkeypatch.setattr(refine, "refine", spy)
    p = {"profile": "quick", "scenario": "gs1_ideal", "refine_iterations": 5, "refine_init": "flat"}
    out, _ = _run(experiments.sim_lines_scenario, {**p, "save_artifacts": False}, tmp_path)
    assert len(starts) == 1 and np.all(starts[0] == starts[0].flat[0]) and np.isfinite(starts[0]).all()
    assert starts[0].flat[0].imag == 0 and starts[0].flat[0].real > 0
    for k in ("pearson_r", "pearson_r_lit", "network_pearson_r", "network_pearson_r_lit"):
        assert -1 <= out[k] <= 1, k
    assert out["fourier_error_refined"] < out["fourier_error_start"] != out["fourier_error_network"]


def test_unknown_refine_init_is_refused(tmp_path):
    with pytest.raises(ValueError, match="refine_init"):
        _run(experiments.sim_lines_scenario, {"profile": "quick", "train": False, "refine_init": "zero"}, tmp_path)


def test_dose_grouping_ok_is_measured_for_the_objects_reading(tmp_path):
    base = {"profile": "quick", "train": False, "nimgs_as": "objects"}
    ok, _ = _run(experiments.dose_scenario, base, tmp_path, name="ok")
    assert ok["grouping_ok"] is True and ok["max_group_span_px"] <= ok["group_span_bound_px"]
    # an object too small to hold one 2x2 grid group: too few points, grouping fails
    small, _ = _run(experiments.dose_scenario, {**base, "object_size": 40}, tmp_path, name="small")
    none, _ = _run(experiments.dose_scenario, {**base, "nimgs": 0}, tmp_path, name="none")
    for r in (small, none):
        assert r["grouping_ok"] is False and "no group" in r["failure"] and r["max_group_span_px"] is None


def test_dose_points_reading_needs_neighbours_not_just_enough_points(tmp_path):
    base = {"profile": "quick", "train": False, "nimgs_as": "points"}
    dense, _ = _run(experiments.dose_scenario, {**base, "nimgs": 400}, tmp_path, name="dense")
    sparse, _ = _run(experiments.dose_scenario, {**base, "nimgs": 6}, tmp_path, name="sparse")
    assert dense["grouping_ok"] is True
    # the KD-tree finds 5 points, but they are scattered over the object: not neighbours
    assert sparse["grouping_ok"] is False and sparse["max_group_span_px"] > sparse["group_span_bound_px"]


def test_truth_stitched_through_the_legacy_canvas_loses_its_signal(tmp_path):
    base = {"profile": "quick", "train": False}
    legacy, _ = _run(experiments.sim_lines_scenario, {**base, "canvas_padding": "legacy"}, tmp_path, name="a")
    fixed, _ = _run(experiments.sim_lines_scenario, {**base, "canvas_padding": "jitter"}, tmp_path, name="b")
    assert legacy["signal_lost_fraction_truth"] > 0.9
    assert fixed["signal_lost_fraction_truth"] == pytest.approx(0.0, abs=1e-12)


def test_truth_signal_lost_is_partial_on_a_partial_canvas():
    from ptycho import reconstruct, sim

    obj = sim.lines_object(96, np.random.default_rng(0))
    positions = np.array([[20.0, 20.0], [70.0, 70.0]])
    # canvas centred on the origin: 2 * 30 px covers the first patch, not the second
    lost = reconstruct.truth_signal_lost(obj, positions, 32, 10, 60)
    assert 0.2 < lost < 0.8


def test_scan_step_lowers_the_measured_overlap_and_probe_knowledge_is_reported(tmp_path):
    base = {"profile": "quick", "train": False}
    dense, _ = _run(experiments.sim_lines_scenario, base, tmp_path, name="a")
    p = {**base, "scan_step_px": 20, "probe_error": 0.1, "position_jitter_px": 1.0}
    sparse, _ = _run(experiments.sim_lines_scenario, p, tmp_path, name="b")
    assert dense["overlap_fraction"] > 0.5 and sparse["overlap_fraction"] < 0.01
    assert sparse["object_size"] > dense["object_size"]
    assert dense["probe_error_rel"] == 0 and dense["position_error_rms_px"] == 0
    assert sparse["probe_error_rel"] > 0.05 and 0.5 < sparse["position_error_rms_px"] < 3


@needs_tf
def test_network_value_axes_train_and_score_with_a_chance_baseline(tmp_path):
    p = {
        "profile": "quick",
        "scenario": "gs1_ideal",
        "refine_iterations": 5,
        "scan_step_px": 12,
        "probe_error": 0.1,
        "position_jitter_px": 1.0,
        "nphotons": 1e2,
        "save_artifacts": False,
    }
    out, _ = _run(experiments.sim_lines_scenario, p, tmp_path)
    assert out["trains_clean"] and out["failure"] is None
    for k in ("pearson_r", "pearson_r_lit", "network_pearson_r_lit", "pearson_r_chance", "pearson_r_lit_chance"):
        assert -1 <= out[k] <= 1, k
    assert out["signal_lost_fraction_truth"] == pytest.approx(0.0, abs=1e-12)


@needs_tf
def test_chance_baseline_sits_far_below_a_good_reconstruction(tmp_path):
    p = {"profile": "quick", "scenario": "gs1_ideal", "refine_iterations": 20, "save_artifacts": False}
    out, _ = _run(experiments.sim_lines_scenario, p, tmp_path)
    assert out["pearson_r"] > 0.9 and abs(out["pearson_r_chance"]) < 0.3
    assert abs(out["pearson_r_lit_chance"]) < 0.3
