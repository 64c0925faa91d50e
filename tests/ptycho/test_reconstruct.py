import numpy as np
import pytest

from ptycho import reconstruct, sim


def _rec(truth, pred, light):
    rec = reconstruct.Reconstruction(canvas={"required_canvas": 1, "padded_size": 1, "fits_canvas": True})
    for lst, value in (
        (rec.preds, pred),
        (rec.truths, truth),
        (rec.coarse, np.abs(truth)),
        (rec.lit_preds, pred.ravel()),
        (rec.lit_truths, truth.ravel()),
        (rec.lit_light, light.ravel()),
        (rec.chance, reconstruct.chance_truth(truth)),
        (rec.lit_chance, reconstruct.chance_truth(truth).ravel()),
    ):
        lst.append(value)
    rec.lost.append(0.0)
    rec.lost_truth.append(0.0)
    return rec


def test_lit10_leaves_out_the_faint_probe_edge_and_the_originals_metrics_are_scored():
    truth = sim.lines_object(48, np.random.default_rng(0)).astype(np.complex128)
    light = np.full(truth.shape, 0.5)
    light[:, :12] = 0.05  # a faint edge: lit (> 1 %) but below 10 % of the peak
    pred = truth.copy()
    pred[:, :12] = np.random.default_rng(1).uniform(0, 10, (48, 12))  # wrong only there
    out = reconstruct.score(_rec(truth, pred, light))
    assert out["pearson_r_lit10"] == pytest.approx(1.0)
    assert out["pearson_r_lit"] < 0.9
    assert out["ssim_amp"] < 1 and out["eval_filled_fraction"] == 0
    perfect = reconstruct.score(_rec(truth, truth.copy(), light))
    assert perfect["ssim_amp"] == pytest.approx(1.0) and perfect["frc50_amp"] == 22
