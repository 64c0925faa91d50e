"""The two pipelines of the seed, their profiles and scenarios, as plain option dicts.

`sim_lines_4x`: one big lines object, random scan, scenarios = probe kind x gridsize.
`dose_experiments`: the older grid pipeline (small objects, regular grid, gridsize 2, object
patches normalised by the mean per-patch maximum) that worked; swept over nphotons.
Profiles size the work: quick (tests), small (wide sweeps), standard (investigations, ~20 s),
paper (the seed's).
"""

from __future__ import annotations

SCENARIOS = {
    "gs1_ideal": {"gridsize": 1, "probe": "ideal"},
    "gs1_custom": {"gridsize": 1, "probe": "custom"},
    "gs2_ideal": {"gridsize": 2, "probe": "ideal"},
    "gs2_custom": {"gridsize": 2, "probe": "custom"},
}

# Probe conventions of the original: the ideal disk is masked and scaled by 10, the
# experimental probe is "big", unmasked and scaled by 4.
PROBES = {
    "ideal": {"probe_scale": 10.0, "probe_mask": True, "probe_big": False},
    "custom": {"probe_scale": 4.0, "probe_mask": False, "probe_big": True},
}

# Switches shared by both pipelines; defaults = the original's behaviour after the CONFIG fix.
SWITCHES = {
    "sync_legacy_config": True,  # CONFIG-001 bridge: true (both handoffs) | false | train | inference
    "canvas_padding": "jitter",  # legacy | jitter (padding raised to the required canvas)
    "intensity_scale_mode": "fallback",  # fallback | data | true (exact simulation scale)
    "nll_weight": 1.0,
    "mae_weight": 0.0,
    "overlap_norm": "count",  # count | epsilon (divide by count + 0.001)
    "amp_activation": "sigmoid",  # sigmoid | softplus | exp
    "scale_trainable": True,  # log_scale trainable (the gauge with amplitude stays open)
    "train": True,  # False: simulate / group / measure the canvas only, no TF
    "nphotons": 1e9,
    "K": 4,
    "learning_rate": 1e-3,
    "depth": 3,  # encoder pooling levels (latent grid N / 2**depth)
    "model_probe_gain": 1.0,  # the model's probe = gain x the simulator's (1: calibrated)
    "refine_iterations": 0,  # >0: overlap-constrained refinement of the stitched object
    "refine_init": "network",  # refinement starts from: network (its stitch) | flat (constant object)
    "probe_error": 0.0,  # >0: the model and refinement use a perturbed probe (sim.perturbed_probe)
    "object_seed": None,  # None: the run seed makes the object too
    "save_artifacts": True,
}

SIM_LINES_PROFILES = {
    # N, object size, scan buffer, crop M, images per gridsize**2, groups, epochs, batch, width
    "quick": {
        "N": 32,
        "object_size": 96,
        "buffer": 5,
        "M": 10,
        "n_images": 96,
        "n_groups": 48,
        "epochs": 1,
        "batch_size": 16,
        "filters": 8,
    },
    # a sweep-sized standard: a quarter of the patterns, 3 epochs (one run ~ a third of standard)
    "small": {
        "N": 32,
        "object_size": 96,
        "buffer": 5,
        "M": 10,
        "n_images": 256,
        "n_groups": 128,
        "epochs": 3,
        "batch_size": 16,
        "filters": 16,
    },
    "standard": {
        "N": 32,
        "object_size": 160,
        "buffer": 5,
        "M": 10,
        "n_images": 1024,
        "n_groups": 512,
        "epochs": 5,
        "batch_size": 16,
        "filters": 16,
    },
    "paper": {
        "N": 64,
        "object_size": 392,
        "buffer": 10,
        "M": 20,
        "n_images": 2000,
        "n_groups": 1000,
        "epochs": 5,
        "batch_size": 16,
        "filters": 16,
        "object_seed": 42,
    },
}

DOSE_PROFILES = {
    "quick": {"N": 32, "object_size": 64, "M": 10, "epochs": 1, "batch_size": 16, "filters": 8},
    # lr 3e-4: at 1e-3 the sigmoid head of this small, regular-grid data set tends to jump into
    # saturation (amplitude 1 everywhere) in the first epoch and never leaves (r ~ 0, seed 0)
    "standard": {
        "N": 32,
        "object_size": 160,
        "M": 10,
        "epochs": 8,
        "batch_size": 16,
        "filters": 16,
        "learning_rate": 3e-4,
    },
    "paper": {"N": 64, "object_size": 196, "M": 20, "epochs": 60, "batch_size": 16, "filters": 16},
}

DOSE_DEFAULTS = {
    "scenario": "dose",
    "gridsize": 2,
    "offset": 4,
    "outer_offset_train": 8,
    "outer_offset_test": 20,
    "nimgs": 2,  # whole objects per split, as the original meant it
    "nimgs_as": "objects",  # objects | points (the misreading: nimgs scan points)
    "probe": "ideal",
    "probe_scale": None,  # None: the probe kind's convention
    "max_position_jitter": 10,
}

SIM_LINES_DEFAULTS = {
    "scenario": "gs1_ideal",
    "gridsize": None,  # None: from the scenario
    "probe": None,
    "probe_scale": None,
    "offset": 4,
    "max_position_jitter": 10,
    "object_norm": "patch_max",  # patch_max (legacy simulator) | none (diffract the raw object)
    "compare_to": "raw",  # raw (the original's comparison) | normalised (what was diffracted)
    "scan_step_px": None,  # None: random scan; a number: raster of n_images points that far apart
    "position_jitter_px": 0.0,  # >0: data diffracted at positions off the nominal ones by this (px rms per axis)
}


def resolve(params: dict, profiles: dict, defaults: dict) -> dict:
    """profile values < switch defaults < pipeline defaults < explicit params."""
    profile = params.get("profile", "standard")
    if profile not in profiles:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(profiles)}")
    opts = {"profile": profile, **SWITCHES, **defaults, **profiles[profile]}
    allowed = set(opts)
    unknown = sorted(set(params) - allowed)
    if unknown:
        import difflib

        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(f"unknown param(s): {', '.join(hints)}; allowed: {', '.join(sorted(allowed))}")
    opts.update({k: v for k, v in params.items()})
    return opts


def sim_lines_options(params: dict) -> dict:
    opts = resolve(params, SIM_LINES_PROFILES, SIM_LINES_DEFAULTS)
    if opts["scenario"] not in SCENARIOS:
        raise ValueError(f"unknown scenario {opts['scenario']!r}; choose one of {sorted(SCENARIOS)}")
    for key, value in SCENARIOS[opts["scenario"]].items():
        if opts[key] is None:
            opts[key] = value
    return opts


def dose_options(params: dict) -> dict:
    return resolve(params, DOSE_PROFILES, DOSE_DEFAULTS)


def probe_settings(opts: dict) -> dict:
    if opts["probe"] not in PROBES:
        raise ValueError(f"unknown probe {opts['probe']!r}; choose one of {sorted(PROBES)}")
    out = dict(PROBES[opts["probe"]])
    if opts.get("probe_scale") is not None:
        out["probe_scale"] = float(opts["probe_scale"])
    return out
