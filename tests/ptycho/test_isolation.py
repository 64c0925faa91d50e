"""ptycho.isolation: one entry point spanning both pipelines; the handoff key decides what params.cfg holds."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import yaml

from investigate.execution.context import RunContext
from investigate.isolate import apply_deltas, compute_deltas
from ptycho import isolation, params

needs_tf = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow not installed")
CONFIGS = Path(__file__).resolve().parents[2] / "plans" / "DEBUG-SIM-LINES-DOSE-001" / "isolate"
GOOD = yaml.safe_load((CONFIGS / "good.yaml").read_text())
BAD = yaml.safe_load((CONFIGS / "bad.yaml").read_text())


def test_the_two_configurations_differ_in_every_pipeline_difference():
    keys = [d.key for d in compute_deltas(GOOD, BAD)]
    assert len(keys) >= 12 and "legacy.config_handoff" in keys
    assert {
        "simulation.scan",
        "simulation.nphotons",
        "grouping.gridsize",
        "probe.kind",
        "training.learning_rate",
    } <= set(keys)
    for config in (GOOD, BAD):
        isolation.options(config)  # both are complete, valid configurations


def test_options_fill_defaults_and_refuse_unknown_keys():
    o = isolation.options({"probe": {"kind": "custom"}})
    assert o["model"]["N"] == 32 and o["probe"]["scale"] == 4.0 and o["probe"]["big"] is True  # quick, custom
    with pytest.raises(ValueError, match="did you mean 'nphotons'"):
        isolation.options({"simulation": {"nphoton": 1e6}})
    with pytest.raises(ValueError, match="unknown section 'legacyy'"):
        isolation.options({"legacyy": {}})
    with pytest.raises(ValueError, match="config_handoff: 'sometimes' is not one of"):
        isolation.options({"legacy": {"config_handoff": "sometimes"}})


def test_grid_scan_lays_out_groups_of_gridsize_squared_points():
    coords = isolation.grid_scan(64, 32, 8, 4, 2).reshape(-1, 4, 2)
    assert len(coords) == 16  # 4 x 4 group centres, 8 px apart
    spread = coords.max(axis=1) - coords.min(axis=1)
    assert np.all(spread == 4)  # members offset 4 apart around their centre
    assert len(isolation.grid_scan(64, 32, 8, 4, 1)) == 16


def test_simulation_splits_and_the_legacy_loader_reads_params_cfg():
    o = isolation.options(GOOD)
    probe = np.ones((32, 32), np.complex64) / 10
    pieces = isolation.simulate(o, probe, seed=0)
    assert len(pieces["train"]) == len(pieces["test"]) == 2  # separate objects for testing
    params.cfg["gridsize"] = 2
    groups = isolation.load_groups(pieces["train"], None, np.random.default_rng(0))
    assert groups["X"].shape[1:] == (32, 32, 4) and len(groups["X"]) == 32
    params.cfg["gridsize"] = 3  # a stale value the simulation never used: the loader fails
    with pytest.raises(ValueError, match="gridsize\\*\\*2 = 9"):
        isolation.load_groups(pieces["train"], None, np.random.default_rng(0))
    lines = isolation.simulate(isolation.options(BAD), probe, seed=0)
    (train,), (test,) = lines["train"], lines["test"]
    assert train["coords"][:, 0].max() <= test["coords"][:, 0].min()  # y-split of one object
    assert params.cfg["gridsize"] == 1  # the sim_lines simulation step writes it, as the original


@pytest.mark.parametrize(("mode", "writes"), [("legacy_dict", "simulated"), ("bridge", "train"), ("none", None)])
def test_handoff_writes_params_cfg_where_its_mode_says(mode, writes):
    o = isolation.options({**GOOD, "legacy": {"config_handoff": mode}})
    tcfg, _ = isolation.configs(o)
    for stage in ("simulated", "train"):
        params.reset()
        isolation.handoff(o, tcfg, stage)
        assert (params.cfg["N"] == 32) == (stage == writes), stage  # the legacy default is 128


@needs_tf
def test_the_stale_handoff_fails_through_the_real_model_factory(tmp_path):
    stale = apply_deltas(GOOD, compute_deltas(GOOD, BAD), ["legacy.config_handoff"])
    out = isolation.pipeline(stale, RunContext(run_dir=tmp_path, seed=0))
    assert out["trains_clean"] is False and out["legacy_N"] == 128 and "128" in out["failure"]
    # the same factory builds a consistent model once the handoff writes params.cfg (training
    # itself is left to the isolate runs: it would cost this test most of its time budget)
    from ptycho import model, sim

    params.reset()
    o = isolation.options(GOOD)
    tcfg, _ = isolation.configs(o)
    probe = sim.make_probe(32, "ideal", 10.0, True)
    pieces = isolation.simulate(o, probe, seed=0)
    isolation.handoff(o, tcfg, "simulated")
    groups = isolation.load_groups(pieces["train"], tcfg.n_groups, np.random.default_rng(0))
    train_model, _ = model.build_model(probe, groups["X"])
    assert train_model.input_shape[0] == (None, 32, 32, 4)
