"""Dataclass settings for the newer code paths, and the bridge into the legacy dict."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class ModelConfig:
    N: int = 64  # patch / probe size in pixels
    gridsize: int = 1  # g: g*g neighbouring patches form one training sample
    probe_kind: str = "ideal"  # ideal | custom
    probe_scale: float = 10.0  # probe normalised to mean |P| = 1/probe_scale in a disk
    probe_mask: bool = True
    probe_big: bool = False
    probe_trainable: bool = False
    amp_activation: str = "sigmoid"  # sigmoid caps amplitude at 1; softplus / exp do not
    scale_trainable: bool = True  # is log_scale a trainable Keras weight?
    filters: int = 16  # width of the first conv block (doubles per level)
    depth: int = 3  # pooling levels: the latent grid is N / 2**depth wide


@dataclass
class TrainingConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    n_images: int = 2000
    n_groups: int = 1000
    K: int = 4
    nphotons: float = 1e9
    offset: int = 4
    max_position_jitter: int = 10
    batch_size: int = 16
    nepochs: int = 5
    learning_rate: float = 1e-3
    nll_weight: float = 1.0
    mae_weight: float = 0.0
    intensity_scale_mode: str = "fallback"  # fallback | data | true
    intensity_scale: float | None = None  # set explicitly only for mode "true"
    validation_split: float = 0.05


@dataclass
class InferenceConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    batch_size: int = 64
    M: int = 20  # central crop of each patch used in reassembly
    offset: int = 4
    max_position_jitter: int = 10
    overlap_norm: str = "count"  # count (safe divide) | epsilon (divide by count + 0.001)
    intensity_scale: float | None = None


# dataclass field name -> legacy key; fields not listed keep their name
KEY_MAP = {
    "probe_big": "probe.big",
    "probe_mask": "probe.mask",
    "probe_trainable": "probe.trainable",
    "probe_kind": "probe.kind",
    "scale_trainable": "intensity_scale.trainable",
    "intensity_scale_mode": "intensity_scale.mode",
}


def flatten(config) -> dict:
    """Nested dataclasses -> one flat dict (inner fields first, so outer ones win)."""
    out: dict = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            out.update(flatten(value))
        else:
            out[f.name] = value
    return out


def update_legacy_dict(cfg: dict, config) -> dict:
    """Write every non-None setting of `config` into `cfg` under its legacy key (CONFIG-001)."""
    for name, value in flatten(config).items():
        if value is not None:
            cfg[KEY_MAP.get(name, name)] = value
    return cfg
