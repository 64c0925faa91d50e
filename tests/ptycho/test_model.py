import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from ptycho import model, params, sim  # noqa: E402


def _setup(gridsize=2, N=16, trainable=True):
    params.cfg.update(
        {"N": N, "gridsize": gridsize, "filters": 4, "intensity_scale": 100.0, "intensity_scale.trainable": trainable}
    )
    return sim.make_probe(N, "ideal", 10, True)


def test_log_scale_is_a_tracked_keras_weight():
    train_model, _ = model.build_model(_setup(), None)
    names = [w.path for w in train_model.trainable_weights]
    assert any("log_scale" in n for n in names)
    assert abs(model.learned_scale(train_model) - 100.0) < 1e-3
    frozen, _ = model.build_model(_setup(trainable=False), None)
    assert not any("log_scale" in w.path for w in frozen.trainable_weights)


def test_model_reads_cfg_gridsize_and_keeps_batch():
    train_model, infer_model = model.build_model(_setup(gridsize=2), None)
    x = np.random.default_rng(0).random((3, 16, 16, 4)).astype(np.float32)
    rel = np.zeros((3, 4, 2), np.float32)
    assert train_model.predict([x, rel], verbose=0).shape == (3, 16, 16, 4)
    amp, phase = infer_model.predict([x, rel], verbose=0)
    assert amp.shape == phase.shape == (3, 16, 16, 4) and np.all(amp <= 1)


def test_consistency_leaves_true_patches_unchanged():
    """Patches cut from one object agree where they overlap, so stitching changes nothing."""
    rng = np.random.default_rng(0)
    obj = sim.lines_object(64, rng)
    centre = np.array([32.0, 32.0])
    pos = centre + np.array([[-3, -2], [-3, 4], [2, -2], [2, 5]], float)  # integer offsets
    patches = sim.extract_patches(obj, pos, 16)
    rel = -(pos - pos.mean(axis=0))
    re_im = np.stack([patches.real, patches.imag], -1).transpose(1, 2, 0, 3)[None]  # (1,N,N,4,2)
    out = model.make_consistent(tf.constant(re_im, tf.float32), tf.constant(rel[None], tf.float32))
    np.testing.assert_allclose(out.numpy(), re_im, rtol=1e-4, atol=1e-4)


def test_stale_N_is_a_shape_error_not_silence():
    params.cfg.update({"gridsize": 1, "filters": 4, "intensity_scale": 10.0})  # N stays 128
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        model.build_model(sim.make_probe(32, "ideal", 10, True), None)
