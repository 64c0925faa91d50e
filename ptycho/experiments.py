"""Experiment entry points named by hypothesis files: `fn(params: dict, ctx) -> dict`.

`ctx` is duck-typed: run_dir, seed, artifact(name), save_json(name, obj), save_npy(name, arr),
log(msg). Each call is meant to run in its own process (params.cfg is process-global state).
Observations that ARE the phenomena under study are caught narrowly and returned as metrics:
a failure while building/training the model (stale-config shape errors) and a grouping failure.
Everything else propagates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import grouping, infer, params, pipelines, reconstruct, sim, stages
from .config import TrainingConfig


@dataclass
class _LinesSource:
    """sim_lines_4x: one object, y-split scan; both splits grouped by the legacy loader."""

    data: dict
    train_idx: np.ndarray
    test_idx: np.ndarray
    n_groups: int
    rng: np.random.Generator
    compare_to: str

    @property
    def true_scale(self) -> float | None:
        return self.data.get("scale")

    def train_groups(self) -> dict:
        return grouping.load_grouped(self.data, self.train_idx, self.n_groups, self.rng)

    def test_groups(self) -> dict:
        return grouping.load_grouped(self.data, self.test_idx, len(self.test_idx), self.rng)

    def targets(self, te: dict) -> list:
        # the original compared against the raw object, whatever the simulator diffracted
        key = "object" if self.compare_to == "raw" else "object_sim"
        return [(self.data[key], slice(None))]


def _probe(run_opts: dict, tcfg: TrainingConfig) -> np.ndarray:
    m = tcfg.model
    return sim.make_probe(int(run_opts["N"]), m.probe_kind, m.probe_scale, m.probe_mask)


def _finish(ctx, opts: dict, out: dict, t0: float) -> dict:
    out["wall_seconds"] = time.perf_counter() - t0
    if ctx is not None and opts["save_artifacts"]:
        ctx.save_json("stats.json", {"params": opts, "metrics": out})
    return out


def sim_lines_scenario(params_in: dict, ctx) -> dict:
    """One sim_lines_4x scenario (gs1_ideal | gs1_custom | gs2_ideal | gs2_custom)."""
    t0 = time.perf_counter()
    opts = pipelines.sim_lines_options(params_in)
    seed, g = int(ctx.seed), int(opts["gridsize"])
    n_images = int(opts["n_images"]) * g * g  # the original simulates n_images per gridsize**2
    tcfg, icfg = stages.configs(opts, n_images)
    probe = _probe(opts, tcfg)
    obj_seed = seed if opts["object_seed"] is None else int(opts["object_seed"])
    step = opts["scan_step_px"]
    if step is not None:  # same pattern count, the object grows to hold the raster
        opts["object_size"] = sim.grid_scan(n_images, int(opts["N"]), opts["buffer"], float(step))[0]
    data = sim.simulate_lines(
        opts["object_size"],
        int(opts["N"]),
        n_images,
        probe,
        tcfg.nphotons,
        opts["buffer"],
        obj_seed,
        diffraction=bool(opts["train"]),
        object_norm=opts["object_norm"],
        scan_step=None if step is None else float(step),
        position_jitter=float(opts["position_jitter_px"]),
    )
    train_idx, test_idx = sim.y_split(data["coords"])
    out = {
        "scenario": opts["scenario"],
        "profile": opts["profile"],
        "gridsize": g,
        "probe": opts["probe"],
        "true_intensity_scale": data.get("scale"),
        "object_norm_factor": data["object_norm"],
    }
    out.update(_scan_metrics(data, probe))
    if data.get("scale") is None:  # cheap mode: canvas from the scan alone
        sync = stages.sync_points(opts["sync_legacy_config"])[1]
        test_coords = data["coords"][test_idx]
        out.update(reconstruct.canvas(opts, icfg, test_coords, sync))
        key = "object" if opts["compare_to"] == "raw" else "object_sim"
        out["signal_lost_fraction_truth"] = reconstruct.truth_signal_lost(
            data[key], test_coords, int(opts["N"]), icfg.M, out["padded_size"]
        )
    rng = np.random.default_rng(seed + 1)
    source = _LinesSource(data, train_idx, test_idx, tcfg.n_groups, rng, opts["compare_to"])
    run = stages.Run(ctx, opts, tcfg, icfg, probe)
    out["probe_error_rel"] = run.probe_error_rel()
    out.update(stages.train_and_evaluate(run, source))
    out["amp_true_object_mean"] = float(np.abs(data["object"]).mean())
    return _finish(ctx, opts, out, t0)


def _scan_metrics(data: dict, probe: np.ndarray) -> dict:
    """The scan as simulated: overlap of neighbouring positions, and how far the true
    positions sit from the nominal ones the reconstruction uses."""
    error = data["true_coords"] - data["coords"]
    return {
        "object_size": int(data["object"].shape[0]),
        "overlap_fraction": sim.overlap_fraction(data["true_coords"], probe),
        "position_error_rms_px": float(np.sqrt(np.mean(np.sum(error**2, axis=1)))),
    }


def data_gauge(params_in: dict, ctx) -> dict:
    """Can the diffraction data tell two objects apart that differ only by a global gain?

    Simulates the scenario's object twice, raw and multiplied by `gain` (same scan, same
    Poisson draws), and reports the ratio of the mean diffraction amplitudes. A ratio of 1
    means the data carry no trace of the object's absolute scale: no reconstruction can
    recover it, whatever the model. No training, no TensorFlow.
    """
    params_in = dict(params_in)
    gain = float(params_in.pop("gain", 2.0))
    opts = pipelines.sim_lines_options(params_in)
    N, seed = int(opts["N"]), int(ctx.seed)
    ps = pipelines.probe_settings(opts)
    probe = sim.make_probe(N, opts["probe"], ps["probe_scale"], ps["probe_mask"])
    n = int(opts["n_images"])

    def mean_amplitude(object_gain: float) -> float:
        data = sim.simulate_lines(
            opts["object_size"],
            N,
            n,
            probe,
            float(opts["nphotons"]),
            opts["buffer"],
            seed,
            object_norm=opts["object_norm"],
            object_gain=object_gain,
        )
        return float(np.mean(data["X"], dtype=np.float64))

    base, scaled = mean_amplitude(1.0), mean_amplitude(gain)
    ratio = scaled / base
    return {
        "scenario": opts["scenario"],
        "object_norm": opts["object_norm"],
        "gain": gain,
        "diffraction_gain_ratio": ratio,
        "scale_visible": bool(abs(ratio - 1.0) > 1e-3),
    }


def _grid_groups(size: int, N: int, outer: int, offset: int, margin: int) -> np.ndarray:
    """Regular grid of 2x2 groups: centres `outer` apart, members at +-offset/2 around them."""
    lo, hi = N // 2 + margin + offset, size - N // 2 - margin - offset
    ticks = np.arange(lo, hi + 1, outer)
    centres = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), -1).reshape(-1, 2)
    half = offset // 2
    corners = np.array([[-half, -half], [-half, half], [half, -half], [half, half]])
    return (centres[:, None, :] + corners[None]).astype(np.float64)  # (G, 4, 2)


@dataclass
class _GridSource:
    """dose_experiments: separate objects on a regular grid, grouped by the simulator itself."""

    train: dict
    test: dict

    @property
    def true_scale(self) -> float:
        return self.train["scale"]

    def train_groups(self) -> dict:
        return self.train

    def test_groups(self) -> dict:
        return self.test

    def targets(self, te: dict) -> list:
        c = te["X"].shape[-1]
        member_owner = np.repeat(te["owner"], c)  # patches are flattened group-major
        return [(obj, member_owner == k) for k, obj in enumerate(te["objects"])]


def _grid_split(opts: dict, probe: np.ndarray, nphotons: float, outer: int, rng: np.random.Generator) -> dict:
    """`nimgs` lines objects, each scanned on its own grid, normalised like the legacy simulator."""
    size, N = int(opts["object_size"]), int(opts["N"])
    objs, X, Y, pos, owner, scales = [], [], [], [], [], []
    for k in range(int(opts["nimgs"])):
        obj = sim.lines_object(size, rng)
        groups = _grid_groups(size, N, outer, opts["offset"], 2)
        flat = groups.reshape(-1, 2)
        patches = sim.extract_patches(obj, flat, N)
        obj = obj / np.mean(np.abs(patches).max(axis=(1, 2)))  # mean per-patch maximum -> 1
        patches = sim.extract_patches(obj, flat, N)
        x, s = sim.diffract(patches, probe, nphotons, rng)
        objs.append(obj)
        X.append(x.reshape(len(groups), -1, N, N))
        Y.append(patches.reshape(len(groups), -1, N, N))
        pos.append(groups)
        owner.append(np.full(len(groups), k))
        scales.append(s)
    positions = np.concatenate(pos)
    offsets = positions.mean(axis=1)
    return {
        "objects": objs,
        "X": np.moveaxis(np.concatenate(X), 1, -1),
        "Y": np.moveaxis(np.concatenate(Y), 1, -1),
        "positions": positions,
        "rel": (-(positions - offsets[:, None, :])).astype(np.float32),
        "owner": np.concatenate(owner),
        "scale": float(np.mean(scales)),
    }


def _group_points(opts: dict, rng: np.random.Generator) -> dict:
    """The misreading: nimgs scan points on one object, grouped by the nongrid KD-tree path."""
    N, g = int(opts["N"]), int(opts["gridsize"])
    coords = sim.random_scan(int(opts["object_size"]), N, int(opts["nimgs"]), 2, rng)
    try:
        members = grouping.group_indices(coords, g, int(opts["K"]), 10**9, rng)
    except grouping.GroupingError as exc:
        bound = grouping.span_bound(g, opts["offset"])
        failure = f"{type(exc).__name__}: {exc}"
        return {"grouping_ok": False, "failure": failure, "max_group_span_px": None, "group_span_bound_px": bound}
    return _neighbours(coords[members], g, opts["offset"])


def _neighbours(positions: np.ndarray, g: int, step: float) -> dict:
    """grouping_ok for either reading: groups exist and their members are neighbours."""
    check = grouping.neighbour_check(positions, g, step)
    if check["grouping_ok"]:
        return check
    if check["max_group_span_px"] is None:
        return {**check, "failure": "GroupingError: no group could be formed"}
    span, bound = check["max_group_span_px"], check["group_span_bound_px"]
    return {**check, "failure": f"GroupingError: a group spans {span:.1f} px > {bound:.1f} px (not neighbours)"}


def _grid_check(opts: dict) -> dict:
    """The objects reading, measured before simulating: every object of both splits must hold
    at least one grid group, and the groups must be neighbours (bound from the scan step)."""
    size, N, g = int(opts["object_size"]), int(opts["N"]), int(opts["gridsize"])
    outers = (int(opts["outer_offset_train"]), int(opts["outer_offset_test"]))
    splits = [_grid_groups(size, N, outer, opts["offset"], 2) for outer in outers]
    if int(opts["nimgs"]) < 1 or min(len(s) for s in splits) == 0:
        return _neighbours(np.empty((0, g * g, 2)), g, opts["offset"])
    return _neighbours(np.concatenate(splits), g, opts["offset"])


def dose_scenario(params_in: dict, ctx) -> dict:
    """The legacy grid pipeline at one photon dose (sweep `nphotons` in the matrix)."""
    t0 = time.perf_counter()
    opts = pipelines.dose_options(params_in)
    N, g = int(opts["N"]), int(opts["gridsize"])
    tcfg, icfg = stages.configs({**opts, "n_groups": 10**9}, 0)
    probe = _probe(opts, tcfg)
    rng = np.random.default_rng(int(ctx.seed))
    # The legacy simulation writes its own N and gridsize into params.cfg, which is why this
    # pipeline was CONFIG-001-safe without an explicit bridge.
    params.cfg.update({"N": N, "gridsize": g, "offset": opts["offset"], "nphotons": tcfg.nphotons})
    out = {k: opts[k] for k in ("scenario", "profile", "nimgs_as")}
    out.update({"nphotons": tcfg.nphotons, "nimgs": int(opts["nimgs"])})
    if opts["nimgs_as"] == "points":
        return {**out, **_group_points(opts, rng), "wall_seconds": time.perf_counter() - t0}
    if opts["nimgs_as"] != "objects":
        raise ValueError(f"unknown nimgs_as {opts['nimgs_as']!r} (objects | points)")
    check = _grid_check(opts)
    out.update(check)
    if not check["grouping_ok"]:
        return {**out, "wall_seconds": time.perf_counter() - t0}
    train = _grid_split(opts, probe, tcfg.nphotons, int(opts["outer_offset_train"]), rng)
    test = _grid_split(opts, probe, tcfg.nphotons, int(opts["outer_offset_test"]), rng)
    if opts["canvas_padding"] == "jitter":
        # The grid simulator knows its own geometry and sizes the legacy padding for it, so
        # this pipeline's canvas fits with or without the bridge (part of its implicit safety).
        need = infer.required_canvas(test["positions"].reshape(-1, 2), N)
        params.cfg["max_position_jitter"] = infer.jitter_for(
            need, N, g, opts["offset"], params.cfg["max_position_jitter"]
        )
    out["n_train_groups"] = len(train["X"])
    run = stages.Run(ctx, {**opts, "gridsize": g}, tcfg, icfg, probe)
    out["probe_error_rel"] = run.probe_error_rel()
    out.update(stages.train_and_evaluate(run, _GridSource(train, test)))
    out["grouping_ok"] = check["grouping_ok"]  # measured above, not the untrained default
    return _finish(ctx, opts, out, t0)
