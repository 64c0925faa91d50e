"""The second half every pipeline shares: train the network, reconstruct, score, save.

An entry point simulates its data, wraps them in a *source* (grouped train and test sets and
the objects to compare with) and a `Run` (options, configs, probe, context), and hands both to
`train_and_evaluate`. Grouping stays lazy on purpose: the legacy loader reads `params.cfg`, so
it must run after the config bridge, exactly where the original ran it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from . import grouping, params, pipelines, reconstruct, sim
from .config import InferenceConfig, ModelConfig, TrainingConfig, update_legacy_dict

HISTORY_KEYS = ("has_nan", "first_nan_epoch", "first_nan_step", "epochs_run", "train_seconds")


class Source(Protocol):
    """What a pipeline's simulation offers the shared second half."""

    true_scale: float | None  # the simulator's exact intensity scale (None: not simulated)

    def train_groups(self) -> dict: ...

    def test_groups(self) -> dict: ...

    def targets(self, te: dict) -> list[tuple[np.ndarray, Any]]:
        """(object, patch selector) pairs: each object is stitched and compared on its own."""
        ...


@dataclass
class Run:
    """One experiment's settings, passed from stage to stage."""

    ctx: Any
    opts: dict
    tcfg: TrainingConfig
    icfg: InferenceConfig
    probe: np.ndarray  # the simulator's probe
    model_probe: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if self.opts["refine_init"] not in ("network", "flat"):
            raise ValueError(f"unknown refine_init {self.opts['refine_init']!r} (network | flat)")
        # the pipeline's idea of the probe: probe_error perturbs its shape (the simulator keeps
        # the true one), a gain other than 1 miscalibrates its scale
        error = float(self.opts["probe_error"])
        believed = sim.perturbed_probe(self.probe, error, int(self.ctx.seed)) if error else self.probe
        self.model_probe = (believed * np.complex64(self.opts["model_probe_gain"])).astype(np.complex64)

    def probe_error_rel(self) -> float:
        """|P_model - P_true| / |P_true|: how wrong the reconstruction's probe is (gain included)."""
        return float(np.linalg.norm(self.model_probe - self.probe) / np.linalg.norm(self.probe))

    @property
    def saving(self) -> bool:
        return self.ctx is not None and bool(self.opts["save_artifacts"])


@dataclass
class Trained:
    metrics: dict
    infer_model: Any = None  # None: building or training failed, metrics["failure"] says how
    history: dict | None = None


def configs(opts: dict, n_images: int) -> tuple[TrainingConfig, InferenceConfig]:
    probe = pipelines.probe_settings(opts)
    model = ModelConfig(
        N=opts["N"],
        gridsize=opts["gridsize"],
        probe_kind=opts["probe"],
        amp_activation=opts["amp_activation"],
        scale_trainable=bool(opts["scale_trainable"]),
        filters=opts["filters"],
        depth=int(opts["depth"]),
        **probe,
    )
    tcfg = TrainingConfig(
        model=model,
        n_images=n_images,
        n_groups=opts["n_groups"],
        K=opts["K"],
        nphotons=float(opts["nphotons"]),
        offset=opts["offset"],
        max_position_jitter=opts["max_position_jitter"],
        batch_size=opts["batch_size"],
        nepochs=opts["epochs"],
        learning_rate=opts["learning_rate"],
        nll_weight=opts["nll_weight"],
        mae_weight=opts["mae_weight"],
        intensity_scale_mode=opts["intensity_scale_mode"],
    )
    icfg = InferenceConfig(
        model=model,
        M=opts["M"],
        offset=opts["offset"],
        max_position_jitter=opts["max_position_jitter"],
        overlap_norm=opts["overlap_norm"],
    )
    return tcfg, icfg


def describe(exc: Exception) -> str:
    """One line: Keras wraps the op's own error (the informative part) in a long preamble."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    if "Error encountered:" in text:
        text = text.split("Error encountered:", 1)[1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:500]


def set_tf_seed(seed: int) -> None:
    import keras
    import tensorflow as tf

    # few threads: these runs share small machines, and fewer threads are also more repeatable
    try:
        tf.config.threading.set_intra_op_parallelism_threads(2)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this process
    keras.utils.set_random_seed(seed)


def sync_points(value) -> tuple[bool, bool]:
    """sync_legacy_config -> (bridge before training, bridge before inference)."""
    modes = {True: (True, True), False: (False, False), "train": (True, False), "inference": (False, True)}
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if value not in modes:
        raise ValueError(f"sync_legacy_config must be true, false, 'train' or 'inference', not {value!r}")
    return modes[value]


def train_network(run: Run, tr: dict) -> Trained:
    """Build and fit the model on the grouped training set; a build/fit error is an observation."""
    import tensorflow as tf

    from . import model as model_lib
    from .train import train

    set_tf_seed(run.ctx.seed)
    out: dict = {}
    try:
        train_model, infer_model = model_lib.build_model(run.model_probe, tr["X"])
        scale = float(params.cfg["intensity_scale"])
        out["n_params"] = int(train_model.count_params())
        history = train(train_model, [tr["X"] * scale, tr["rel"]], tr["X"] * scale, run.tcfg)
    except (ValueError, tf.errors.InvalidArgumentError) as exc:
        # a stale-config handoff surfaces here as a shape error: an observation, not a crash
        return Trained({**out, "failure": describe(exc)})
    out.update({k: history[k] for k in HISTORY_KEYS})
    finite = all(np.isfinite(v).all() for v in history["metrics"].values())
    out["trains_clean"] = (not history["has_nan"]) and finite
    out["intensity_scale_used"] = scale
    out["learned_intensity_scale"] = model_lib.learned_scale(train_model)
    out["scale_drift"] = out["learned_intensity_scale"] / scale - 1.0  # how far the gauge moved
    if run.saving:
        run.ctx.save_json("history.json", history)
    return Trained(out, infer_model, history)


def untrained() -> dict:
    """The outcome before (or without) training: None means 'not measured'."""
    return {
        "grouping_ok": True,
        "failure": None,
        "trains_clean": False,
        "has_nan": None,
        "first_nan_epoch": None,
        "first_nan_step": None,
        "epochs_run": 0,
    }


def train_and_evaluate(run: Run, source: Source) -> dict:
    """Group, train, reconstruct the test scan, score it against the truth, save artifacts."""
    sync_train, sync_infer = sync_points(run.opts["sync_legacy_config"])
    out = untrained()
    if run.opts["intensity_scale_mode"] == "true":
        run.tcfg.intensity_scale = float(source.true_scale)
    if sync_train:
        update_legacy_dict(params.cfg, run.tcfg)
    try:
        tr = source.train_groups()
    except grouping.GroupingError as exc:
        return {**out, "grouping_ok": False, "failure": f"{type(exc).__name__}: {exc}"}
    if not run.opts["train"]:
        return out
    trained = train_network(run, tr)
    out.update(trained.metrics)
    if trained.infer_model is None:
        return out
    if sync_infer:
        update_legacy_dict(params.cfg, run.icfg)
    te = source.test_groups()
    rec = reconstruct.reconstruct(run, trained.infer_model, te, source.targets(te), sync_infer)
    out.update(reconstruct.score(rec))
    if run.saving:
        reconstruct.save(run.ctx, rec, trained.history)
    return out
