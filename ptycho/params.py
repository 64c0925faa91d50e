"""The legacy global settings dict, as the original pipeline kept it.

Legacy-style code (grouping loader, model factory, padded-canvas size, inference scaling) reads
`cfg` instead of taking arguments. Newer code holds dataclasses (config.py) and must copy them in
with `update_legacy_dict(cfg, config)` before each handoff (the CONFIG-001 rule). Skipping that
copy leaves these defaults, or whatever an earlier step wrote, in place.
"""

from __future__ import annotations

import copy

from .config import update_legacy_dict  # noqa: F401  (the bridge lives beside the dataclasses)

DEFAULTS: dict = {
    "N": 128,
    "offset": 4,
    "gridsize": 2,
    "K": 4,
    "batch_size": 16,
    "nepochs": 60,
    "max_position_jitter": 10,
    "nphotons": 1e9,
    # "intensity_scale" is absent until computed (see model.legacy_intensity_scale)
    "intensity_scale.mode": "fallback",
    "intensity_scale.trainable": True,
    "probe.trainable": False,
    "probe.big": False,
    "probe.mask": True,
    "probe_scale": 10.0,
    "amp_activation": "sigmoid",
    "nll_weight": 1.0,
    "mae_weight": 0.0,
    "learning_rate": 1e-3,
    "filters": 16,
    "depth": 3,
}

cfg: dict = copy.deepcopy(DEFAULTS)


def reset() -> None:
    """Back to the import-time defaults (tests; each real run is its own process anyway)."""
    cfg.clear()
    cfg.update(copy.deepcopy(DEFAULTS))
