"""Training: Keras fit with the original's schedule, plus a history that records NaNs."""

from __future__ import annotations

import math
import time

import keras
import numpy as np


class NaNWatch(keras.callbacks.Callback):
    """Notes the first non-finite loss (epoch, step) and stops: NaN is an observation here."""

    def __init__(self):
        super().__init__()
        self.first_nan_epoch = self.first_nan_step = None
        self.epoch = 0
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self._t0 = epoch, time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._t0)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if self.first_nan_epoch is None and loss is not None and not math.isfinite(float(loss)):
            self.first_nan_epoch, self.first_nan_step = self.epoch, batch
            self.model.stop_training = True


def callbacks(watch: NaNWatch) -> list:
    return [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-4),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3),
        watch,
    ]


def train(model, inputs: list, target: np.ndarray, cfg) -> dict:
    """Fit `model` (from model.build_model) with TrainingConfig `cfg`; returns a history dict."""
    watch = NaNWatch()
    t0 = time.perf_counter()
    hist = model.fit(
        inputs,
        target,
        batch_size=cfg.batch_size,
        epochs=cfg.nepochs,
        validation_split=cfg.validation_split,
        shuffle=True,
        verbose=0,
        callbacks=callbacks(watch),
    )
    seconds = time.perf_counter() - t0
    metrics = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    nan_metrics = {}
    for k, vals in metrics.items():
        bad = [i for i, v in enumerate(vals) if not math.isfinite(v)]
        nan_metrics[k] = {"has_nan": bool(bad), "first_nan_epoch": bad[0] if bad else None}
    first = watch.first_nan_epoch
    if first is None:
        epochs = [v["first_nan_epoch"] for v in nan_metrics.values() if v["has_nan"]]
        first = min(epochs) if epochs else None
    return {
        "metrics": metrics,
        "nan": nan_metrics,
        "has_nan": first is not None,
        "first_nan_epoch": first,
        "first_nan_step": watch.first_nan_step,
        "epochs_run": len(watch.epoch_seconds),
        "epoch_seconds": watch.epoch_seconds,
        "train_seconds": seconds,
    }
