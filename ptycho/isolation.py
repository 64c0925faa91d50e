"""One entry point whose params span both pipelines of the seed, for ``investigate isolate``.

dose_experiments (worked) and sim_lines_4x (failed) differ in many settings at once: the object,
the scan and its grouping, the train/test split, the dose, the gridsize, the probe, how params.cfg
gets the run's settings, the canvas padding, the training schedule and what the result is
compared with. ``pipeline(params, ctx)`` makes each of them one key, so any mix of the two
configurations is a runnable configuration and delta debugging can ask which keys matter.

Params are sections of keys (``simulation.scan``, ``legacy.config_handoff`` ...); a key left out
takes the default below, and a default of None the ``profile``'s size (pipelines'
SIM_LINES_PROFILES) or, for the probe, the probe kind's convention. ``legacy.config_handoff``:

- ``legacy_dict``: the pipeline writes its settings straight into params.cfg before the legacy
  readers run, as dose_experiments did (its configuration *was* params.cfg);
- ``bridge``: dataclass settings copied with ``update_legacy_dict`` before the training and the
  inference handoff (sim_lines_4x after the fix);
- ``none``: nothing copies them; params.cfg keeps its legacy defaults plus what the simulation
  step writes itself (sim_lines_4x before the fix).

The legacy loader, model factory, inference scaling and padded canvas read params.cfg, so a stale
value fails through the real code path. Failures of that stage (shapes, grouping) are returned as
``trains_clean: false`` with the message in ``failure``, like ``experiments.sim_lines_scenario``.
"""

from __future__ import annotations

import difflib
import re
import time

import numpy as np

from . import grouping, infer, metrics, params, pipelines, sim
from .config import InferenceConfig, ModelConfig, TrainingConfig, update_legacy_dict

SECTIONS: dict[str, dict] = {
    "simulation": {
        "objects": 1,  # lines objects per split
        "object_size": None,
        "scan": "random",  # random: uniform points, KD-tree groups | grid: regular grid of g x g groups
        "split": "y_half",  # y_half: lower half of each scan trains | separate: other objects test
        "n_images": None,  # random scan: points per gridsize**2 and object
        "outer_offset_train": 8,  # grid scan: spacing of the group centres
        "outer_offset_test": 20,
        "buffer": None,
        "nphotons": 1e9,
    },
    "grouping": {"gridsize": 1, "K": 4, "offset": 4, "n_groups": None},
    "probe": {"kind": "ideal", "scale": None, "mask": None, "big": None},
    "model": {"N": None, "filters": None, "depth": 3, "amp_activation": "sigmoid", "intensity_scale": "fallback"},
    "training": {"epochs": None, "batch_size": None, "learning_rate": 1e-3},
    "legacy": {"config_handoff": "bridge"},  # legacy_dict | bridge | none
    "inference": {"canvas_padding": "jitter", "M": None, "max_position_jitter": 10, "overlap_norm": "count"},
    "evaluation": {"compare_to": "raw"},  # raw object | normalised (what was diffracted)
}
CHOICES = {
    ("simulation", "scan"): ("random", "grid"),
    ("simulation", "split"): ("y_half", "separate"),
    ("legacy", "config_handoff"): ("legacy_dict", "bridge", "none"),
    ("inference", "canvas_padding"): ("jitter", "legacy"),
    ("evaluation", "compare_to"): ("raw", "normalised"),
}


def options(params_in: dict) -> dict:
    """Sections merged over the defaults; unknown sections, keys or choices raise ValueError."""
    given = dict(params_in)
    profile = given.pop("profile", "quick")
    if profile not in pipelines.SIM_LINES_PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(pipelines.SIM_LINES_PROFILES)}")
    sizes = pipelines.SIM_LINES_PROFILES[profile]
    _refuse_unknown(set(given), set(SECTIONS), "section")
    opts: dict = {"profile": profile}
    for name, defaults in SECTIONS.items():
        section = given.get(name) or {}
        if not isinstance(section, dict):
            raise ValueError(f"{name}: expected a mapping of keys, got {section!r}")
        _refuse_unknown(set(section), set(defaults), f"{name} key")
        merged = {**defaults, **section}
        opts[name] = {k: sizes[k] if v is None and k in sizes else v for k, v in merged.items()}
    for (name, key), allowed in CHOICES.items():
        if opts[name][key] not in allowed:
            raise ValueError(f"{name}.{key}: {opts[name][key]!r} is not one of {', '.join(allowed)}")
    probe = opts["probe"]
    convention = pipelines.PROBES.get(probe["kind"])
    if convention is None:
        raise ValueError(f"probe.kind: {probe['kind']!r} is not one of {', '.join(pipelines.PROBES)}")
    for key in ("scale", "mask", "big"):
        if probe[key] is None:
            probe[key] = convention["probe_" + key]
    return opts


def _refuse_unknown(keys: set, allowed: set, what: str) -> None:
    for key in sorted(keys - allowed, key=str):
        close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
        raise ValueError(f"unknown {what} {key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))


def configs(o: dict) -> tuple[TrainingConfig, InferenceConfig]:
    """The dataclass settings of the run (the values a bridge copies into params.cfg)."""
    model = ModelConfig(
        N=o["model"]["N"], gridsize=o["grouping"]["gridsize"], probe_kind=o["probe"]["kind"],
        probe_scale=float(o["probe"]["scale"]), probe_mask=bool(o["probe"]["mask"]), probe_big=bool(o["probe"]["big"]),
        amp_activation=o["model"]["amp_activation"], filters=o["model"]["filters"], depth=o["model"]["depth"],
    )  # fmt: skip
    t, g, i = o["training"], o["grouping"], o["inference"]
    tcfg = TrainingConfig(
        model=model, n_groups=g["n_groups"], K=g["K"], nphotons=float(o["simulation"]["nphotons"]),
        offset=g["offset"], max_position_jitter=i["max_position_jitter"], batch_size=t["batch_size"],
        nepochs=t["epochs"], learning_rate=float(t["learning_rate"]),
        intensity_scale_mode=o["model"]["intensity_scale"],
    )  # fmt: skip
    icfg = InferenceConfig(
        model=model, M=i["M"], offset=g["offset"], max_position_jitter=i["max_position_jitter"],
        overlap_norm=i["overlap_norm"],
    )  # fmt: skip
    return tcfg, icfg


def grid_scan(size: int, N: int, outer: int, offset: int, g: int) -> np.ndarray:
    """Regular grid of groups, centres ``outer`` apart, g x g members ``offset`` apart: (G * g * g, 2)."""
    half = (g - 1) * offset // 2
    lo, hi = N // 2 + 2 + half, size - N // 2 - 2 - half
    ticks = np.arange(lo, hi + 1, outer)
    centres = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), -1).reshape(-1, 2)
    steps = np.arange(g) * offset - half
    members = np.stack(np.meshgrid(steps, steps, indexing="ij"), -1).reshape(-1, 2)
    return (centres[:, None, :] + members[None]).reshape(-1, 2).astype(np.float64)


def simulate(o: dict, probe: np.ndarray, seed: int) -> dict[str, list[dict]]:
    """Per split, the pieces (one object's share of it): raw object, diffracted object, X, coords."""
    s, N, g = o["simulation"], int(o["model"]["N"]), int(o["grouping"]["gridsize"])
    n = int(s["objects"])
    roles = ["train"] * n + ["test"] * n if s["split"] == "separate" else [None] * n
    pieces: dict[str, list[dict]] = {"train": [], "test": []}
    for k, role in enumerate(roles):
        obj_seed = seed * 1000 + k
        if s["scan"] == "random":
            # the sim_lines_4x simulation step (it writes its own gridsize 1 into params.cfg)
            data = sim.simulate_lines(s["object_size"], N, int(s["n_images"]) * g * g, probe, s["nphotons"],
                                      s["buffer"], obj_seed)  # fmt: skip
            piece = {"object": data["object"], "object_sim": data["object_sim"], "X": data["X"],
                     "coords": data["coords"], "grid": None}  # fmt: skip
        else:
            outer = s["outer_offset_test" if role == "test" else "outer_offset_train"]
            piece = _grid_piece(o, probe, np.random.default_rng(obj_seed), int(outer))
        if role is not None:
            pieces[role].append(piece)
            continue
        # y_half: lower half trains (grid: whole groups, by the row of their centre)
        c = piece["grid"] or 1
        rows = piece["coords"].reshape(-1, c, 2).mean(axis=1)
        train, test = sim.y_split(rows)
        for role_, chosen in (("train", train), ("test", test)):
            take = (np.sort(chosen)[:, None] * c + np.arange(c)).ravel()
            pieces[role_].append({**piece, "X": piece["X"][take], "coords": piece["coords"][take]})
    return pieces


def _grid_piece(o: dict, probe: np.ndarray, rng: np.random.Generator, outer: int) -> dict:
    """The dose_experiments simulation of one small object on a regular grid of groups."""
    s, N = o["simulation"], int(o["model"]["N"])
    obj = sim.lines_object(int(s["object_size"]), rng)
    coords = grid_scan(int(s["object_size"]), N, outer, int(o["grouping"]["offset"]), int(o["grouping"]["gridsize"]))
    obj_sim = obj / sim.patch_max_norm(obj, coords, N)  # mean per-patch maximum -> 1
    X, _ = sim.diffract(sim.extract_patches(obj_sim, coords, N), probe, float(s["nphotons"]), rng)
    g = int(o["grouping"]["gridsize"])
    return {"object": obj, "object_sim": obj_sim, "X": X, "coords": coords, "grid": g * g}


def load_groups(pieces: list[dict], n_groups: int | None, rng: np.random.Generator) -> dict:
    """Legacy loader: reads gridsize and K from params.cfg, like the original; groups stay within a piece.

    A grid scan is laid out group by group, so its groups are consecutive runs of gridsize**2
    points; a random scan is grouped by K nearest neighbours. ``n_groups`` None: every point.
    """
    g, K = int(params.cfg["gridsize"]), int(params.cfg["K"])
    c = g * g
    X, rel, pos, owner = [], [], [], []
    for k, piece in enumerate(pieces):
        coords = piece["coords"]
        if piece["grid"]:
            if len(coords) % c:
                raise ValueError(f"a grid scan of {len(coords)} points cannot form groups of gridsize**2 = {c}")
            members = np.arange(len(coords)).reshape(-1, c)
        else:
            wanted = len(coords) if n_groups is None else max(1, int(n_groups) // len(pieces))
            members = grouping.group_indices(coords, g, K, wanted, rng)
        _, r = grouping.relative_coords(coords, members)
        X.append(np.moveaxis(piece["X"][members], 1, -1))  # (G, c, N, N) -> (G, N, N, c)
        rel.append(r.astype(np.float32))
        pos.append(coords[members])
        owner.append(np.full(len(members), k))
    return {"X": np.concatenate(X), "rel": np.concatenate(rel), "positions": np.concatenate(pos),
            "owner": np.concatenate(owner)}  # fmt: skip


def handoff(o: dict, config, stage: str) -> None:
    """Bring params.cfg in line with the run's settings the way the configuration says.

    stage "simulated": after the simulation step; "train" / "inference": before those handoffs.
    """
    mode = o["legacy"]["config_handoff"]
    if (mode == "legacy_dict" and stage == "simulated") or (mode == "bridge" and stage != "simulated"):
        update_legacy_dict(params.cfg, config)


def _describe(exc: Exception) -> str:
    """One line: Keras wraps the op's own error (the informative part) in a long preamble."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    text = text.split("Error encountered:", 1)[-1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:500]


def pipeline(params_in: dict, ctx) -> dict:
    """Simulate, hand off, group, train, infer and compare, with each setting taken from ``params_in``."""
    t0 = time.perf_counter()
    o = options(params_in)
    seed, N = int(ctx.seed), int(o["model"]["N"])
    tcfg, icfg = configs(o)
    probe = sim.make_probe(N, o["probe"]["kind"], float(o["probe"]["scale"]), bool(o["probe"]["mask"]))
    pieces = simulate(o, probe, seed)
    handoff(o, tcfg, "simulated")
    handoff(o, tcfg, "train")
    out: dict = {"trains_clean": False, "has_nan": None, "failure": None}
    # what the legacy readers see: the evidence of a stale handoff
    out.update(legacy_N=params.cfg["N"], legacy_gridsize=params.cfg["gridsize"])
    rng = np.random.default_rng(seed + 1)
    import keras
    import tensorflow as tf

    from . import model as model_lib
    from .train import train

    keras.utils.set_random_seed(seed)
    try:
        tr = load_groups(pieces["train"], tcfg.n_groups, rng)
        train_model, infer_model = model_lib.build_model(probe, tr["X"])
        scale = float(params.cfg["intensity_scale"])
        history = train(train_model, [tr["X"] * scale, tr["rel"]], tr["X"] * scale, tcfg)
    except (ValueError, tf.errors.InvalidArgumentError) as exc:
        # a stale-config handoff surfaces here as a shape or grouping error: an observation
        return {**out, "failure": _describe(exc), "wall_seconds": time.perf_counter() - t0}
    finite = all(np.isfinite(v).all() for v in history["metrics"].values())
    out.update(has_nan=history["has_nan"], trains_clean=not history["has_nan"] and finite,
               first_nan_epoch=history["first_nan_epoch"], n_train_groups=len(tr["X"]))  # fmt: skip
    handoff(o, icfg, "inference")
    out.update(evaluate(o, icfg, infer_model, pieces["test"], probe, rng))
    out["wall_seconds"] = time.perf_counter() - t0
    return out


def evaluate(o: dict, icfg: InferenceConfig, infer_model, pieces: list[dict], probe, rng) -> dict:
    """Predict the test groups, stitch each object on the legacy padded canvas, compare with the truth."""
    N = int(o["model"]["N"])
    te = load_groups(pieces, None, rng)
    amp, phase = infer.predict(infer_model, te["X"], te["rel"], icfg.batch_size)
    c = te["X"].shape[-1]
    patches = np.moveaxis(amp * np.exp(1j * phase), -1, 1).reshape(-1, N, N)
    positions = te["positions"].reshape(-1, 2)
    required = infer.required_canvas(positions, N)
    if o["inference"]["canvas_padding"] == "jitter":
        # the fix edits a setting; whether it reaches params.cfg depends on the handoff
        g = int(o["grouping"]["gridsize"])
        icfg.max_position_jitter = infer.jitter_for(required, N, g, icfg.offset, icfg.max_position_jitter)
        if o["legacy"]["config_handoff"] == "legacy_dict":
            params.cfg["max_position_jitter"] = icfg.max_position_jitter
        handoff(o, icfg, "inference")
    padded = infer.legacy_padded_size()
    member_owner = np.repeat(te["owner"], c)
    key = "object" if o["evaluation"]["compare_to"] == "raw" else "object_sim"
    preds, truths, lost = [], [], []
    for k, piece in enumerate(pieces):
        sel = member_owner == k
        size = piece[key].shape[0]
        stitched = infer.reassemble(patches[sel], positions[sel], size, icfg.M, padded, icfg.overlap_norm, probe)
        region = infer.eval_region(positions[sel], icfg.M, size)
        preds.append(np.abs(stitched["image"][region]).ravel())
        truths.append(np.abs(piece[key][region]).ravel())
        lost.append(stitched["signal_lost_fraction"])
    stats = metrics.amplitude_stats(np.concatenate(preds), np.concatenate(truths))
    fits = {"required_canvas": required, "padded_size": padded, "fits_canvas": required <= padded}
    return {**stats, **fits, "signal_lost_fraction": float(np.mean(lost))}
