import numpy as np

from ptycho import grouping, infer, params, sim
from ptycho.config import InferenceConfig, ModelConfig, TrainingConfig, update_legacy_dict


def test_bridge_flattens_renames_and_skips_none():
    cfg = {"intensity_scale": 5.0}
    tc = TrainingConfig(model=ModelConfig(N=32, gridsize=2, probe_big=True, scale_trainable=False))
    update_legacy_dict(cfg, tc)
    assert cfg["N"] == 32 and cfg["gridsize"] == 2
    assert cfg["probe.big"] is True and cfg["probe.mask"] is True
    assert cfg["intensity_scale.trainable"] is False
    assert "probe_big" not in cfg
    assert cfg["intensity_scale"] == 5.0  # None in the dataclass leaves the old value


def test_legacy_defaults():
    assert params.cfg["N"] == 128 and params.cfg["gridsize"] == 2
    assert params.cfg["probe.big"] is False and params.cfg["probe_scale"] == 10
    assert "intensity_scale" not in params.cfg


def _data(n=40, N=8):
    rng = np.random.default_rng(0)
    coords = rng.integers(10, 90, size=(n, 2)).astype(float)
    return {"coords": coords, "X": rng.random((n, N, N)).astype(np.float32)}


def test_stale_cfg_changes_what_legacy_readers_see():
    """CONFIG-001: the simulation writes gridsize 1; without the bridge a gs2 run groups gs1."""
    data = _data()
    sim.simulate_lines(64, 16, 8, sim.make_probe(16, "ideal", 10, True), 1e6, 2, 0, diffraction=False)
    assert params.cfg["gridsize"] == 1
    rng = np.random.default_rng(0)
    stale = grouping.load_grouped(data, np.arange(40), 10, rng)
    assert stale["X"].shape[-1] == 1
    assert infer.legacy_padded_size() == 128 + 0 + 10  # stale N=128 from the defaults

    update_legacy_dict(params.cfg, TrainingConfig(model=ModelConfig(N=8, gridsize=2)))
    synced = grouping.load_grouped(data, np.arange(40), 10, rng)
    assert synced["X"].shape[-1] == 4
    update_legacy_dict(params.cfg, InferenceConfig(model=ModelConfig(N=8, gridsize=2), max_position_jitter=20))
    assert infer.legacy_padded_size() == 8 + 4 + 20
