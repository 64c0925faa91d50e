"""Experiment entry points named by hypothesis files: `fn(params: dict, ctx) -> dict`.

`ctx` is duck-typed: run_dir, seed, artifact(name), save_json(name, obj), save_npy(name, arr),
log(msg). Each call is meant to run in its own process (params.cfg is process-global state).
Observations that ARE the phenomena under study are caught narrowly and returned as metrics:
a failure while building/training the model (stale-config shape errors) and a grouping failure.
Everything else propagates.
"""

from __future__ import annotations

import re
import time

import numpy as np

from . import grouping, infer, metrics, params, pipelines, refine, sim
from .config import InferenceConfig, ModelConfig, TrainingConfig, update_legacy_dict


def _configs(opts: dict, n_images: int):
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


def _describe(exc: Exception) -> str:
    """One line: Keras wraps the op's own error (the informative part) in a long preamble."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    if "Error encountered:" in text:
        text = text.split("Error encountered:", 1)[1]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:500]


def _set_tf_seed(seed: int) -> None:
    import keras
    import tensorflow as tf

    # few threads: these runs share small machines, and fewer threads are also more repeatable
    try:
        tf.config.threading.set_intra_op_parallelism_threads(2)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # already initialised in this process
    keras.utils.set_random_seed(seed)


def _sync_points(value) -> tuple[bool, bool]:
    """sync_legacy_config -> (bridge before training, bridge before inference)."""
    modes = {True: (True, True), False: (False, False), "train": (True, False), "inference": (False, True)}
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if value not in modes:
        raise ValueError(f"sync_legacy_config must be true, false, 'train' or 'inference', not {value!r}")
    return modes[value]


def _canvas(opts, icfg, positions, sync: bool) -> dict:
    """Canvas bookkeeping before inference; the jitter fix edits the dataclass, which reaches
    params.cfg only through the bridge."""
    N, g = opts["N"], opts["gridsize"]
    required = infer.required_canvas(positions, N)
    if opts["canvas_padding"] == "jitter":
        icfg.max_position_jitter = infer.jitter_for(required, N, g, icfg.offset, icfg.max_position_jitter)
    elif opts["canvas_padding"] != "legacy":
        raise ValueError(f"unknown canvas_padding {opts['canvas_padding']!r} (legacy | jitter)")
    if sync:
        update_legacy_dict(params.cfg, icfg)
    padded = infer.legacy_padded_size()
    return {"required_canvas": required, "padded_size": padded, "fits_canvas": required <= padded}


def _train_and_eval(ctx, opts, tcfg, icfg, probe, data, train_sets, test_sets, truth_fn) -> dict:
    """Shared second half: group, build, train, infer, stitch, compare.

    train_sets / test_sets: callables returning grouped dicts (they read params.cfg).
    truth_fn(test_groups) -> list of (object, positions) pairs to stitch and compare.
    """
    sync_train, sync_infer = _sync_points(opts["sync_legacy_config"])
    out: dict = {
        "grouping_ok": True,
        "failure": None,
        "trains_clean": False,
        "has_nan": None,
        "first_nan_epoch": None,
        "first_nan_step": None,
        "epochs_run": 0,
    }
    if opts["intensity_scale_mode"] == "true":
        tcfg.intensity_scale = float(data["scale"])
    if sync_train:
        update_legacy_dict(params.cfg, tcfg)
    try:
        tr = train_sets()
    except grouping.GroupingError as exc:
        return {**out, "grouping_ok": False, "failure": f"{type(exc).__name__}: {exc}"}
    if not opts["train"]:
        return out
    import tensorflow as tf

    from . import model as model_lib
    from .train import train

    _set_tf_seed(ctx.seed)
    # the pipeline's idea of the probe; a gain other than 1 is a miscalibrated probe
    model_probe = (probe * np.complex64(opts["model_probe_gain"])).astype(np.complex64)
    try:
        train_model, infer_model = model_lib.build_model(model_probe, tr["X"])
        scale = float(params.cfg["intensity_scale"])
        out["n_params"] = int(train_model.count_params())
        history = train(train_model, [tr["X"] * scale, tr["rel"]], tr["X"] * scale, tcfg)
    except (ValueError, tf.errors.InvalidArgumentError) as exc:
        # a stale-config handoff surfaces here as a shape error: an observation, not a crash
        return {**out, "failure": _describe(exc)}
    out.update({k: history[k] for k in ("has_nan", "first_nan_epoch", "first_nan_step", "epochs_run", "train_seconds")})
    finite = all(np.isfinite(v).all() for v in history["metrics"].values())
    out["trains_clean"] = (not history["has_nan"]) and finite
    out["intensity_scale_used"] = scale
    out["learned_intensity_scale"] = model_lib.learned_scale(train_model)
    out["scale_drift"] = out["learned_intensity_scale"] / scale - 1.0  # how far the gauge moved
    if ctx is not None and opts["save_artifacts"]:
        ctx.save_json("history.json", history)

    if sync_infer:
        update_legacy_dict(params.cfg, icfg)
    te = test_sets()
    amp, phase = infer.predict(infer_model, te["X"], te["rel"], icfg.batch_size)
    patches = np.moveaxis(amp * np.exp(1j * phase), -1, 1).reshape(-1, opts["N"], opts["N"])
    positions = te["positions"].reshape(-1, 2)
    out.update(_canvas(opts, icfg, positions, sync_infer))
    preds, truths, coarse, lost, network, misfit = [], [], [], [], [], []
    measured = np.moveaxis(te["X"], -1, 1).reshape(-1, opts["N"], opts["N"])  # patch order
    for obj, sel in truth_fn(te):
        stitched = infer.reassemble(
            patches[sel], positions[sel], obj.shape[0], icfg.M, out["padded_size"], icfg.overlap_norm, model_probe
        )
        region = infer.eval_region(positions[sel], icfg.M, obj.shape[0])
        image = stitched["image"]
        if opts["refine_iterations"]:
            network.append(image[region])
            refined = refine.refine(image, measured[sel], positions[sel], model_probe, int(opts["refine_iterations"]))
            # same pixels as the network's stitch, so the two are compared like for like
            image = np.where(np.isfinite(image), refined["image"], np.nan + 0j)
            misfit.append((refined["fourier_error_before"], refined["fourier_error_after"]))
        preds.append(image[region])
        truths.append(obj[region])
        coarse.append(metrics.lowpass(np.abs(obj))[region])
        lost.append(stitched["signal_lost_fraction"])
    out["signal_lost_fraction"] = float(np.mean(lost))
    flat_p = np.concatenate([p.ravel() for p in preds])
    flat_t = np.concatenate([t.ravel() for t in truths])
    out.update(metrics.amplitude_stats(np.abs(flat_p), np.abs(flat_t)))
    out["pearson_r_lowpass"] = metrics.pearson_r(np.abs(flat_p), np.concatenate([t.ravel() for t in coarse]))
    if network:  # the refined image is the reconstruction; keep the network's own numbers
        net = np.abs(np.concatenate([p.ravel() for p in network]))
        out["network_pearson_r"] = metrics.pearson_r(net, np.abs(flat_t))
        out["network_least_squares_scalar"] = metrics.least_squares_scalar(net, np.abs(flat_t))
        out["fourier_error_network"] = float(np.mean([m[0] for m in misfit]))
        out["fourier_error_refined"] = float(np.mean([m[1] for m in misfit]))
    out.update(metrics.phase_stats(np.angle(flat_p), np.angle(flat_t)))
    if ctx is not None and opts["save_artifacts"]:
        ctx.save_npy("amplitude.npy", np.abs(preds[0]).astype(np.float32))
        ctx.save_npy("phase.npy", np.angle(preds[0]).astype(np.float32))
        metrics.save_images(ctx, preds[0], truths[0], history)
    return out


def sim_lines_scenario(params_in: dict, ctx) -> dict:
    """One sim_lines_4x scenario (gs1_ideal | gs1_custom | gs2_ideal | gs2_custom)."""
    t0 = time.perf_counter()
    opts = pipelines.sim_lines_options(params_in)
    seed = int(ctx.seed)
    g, N = int(opts["gridsize"]), int(opts["N"])
    n_images = int(opts["n_images"]) * g * g  # the original simulates n_images per gridsize**2
    tcfg, icfg = _configs(opts, n_images)
    m = tcfg.model
    probe = sim.make_probe(N, m.probe_kind, m.probe_scale, m.probe_mask)
    obj_seed = seed if opts["object_seed"] is None else int(opts["object_seed"])
    data = sim.simulate_lines(
        opts["object_size"],
        N,
        n_images,
        probe,
        tcfg.nphotons,
        opts["buffer"],
        obj_seed,
        diffraction=bool(opts["train"]),
        object_norm=opts["object_norm"],
    )
    train_idx, test_idx = sim.y_split(data["coords"])
    rng = np.random.default_rng(seed + 1)
    out = {
        "scenario": opts["scenario"],
        "profile": opts["profile"],
        "gridsize": g,
        "probe": opts["probe"],
        "true_intensity_scale": data.get("scale"),
        "object_norm_factor": data["object_norm"],
    }
    if data.get("scale") is None:  # cheap mode: canvas from the scan alone
        out.update(_canvas(opts, icfg, data["coords"][test_idx], _sync_points(opts["sync_legacy_config"])[1]))

    def train_sets():
        return grouping.load_grouped(data, train_idx, tcfg.n_groups, rng)

    def test_sets():
        return grouping.load_grouped(data, test_idx, len(test_idx), rng)

    def truth(te):
        # the original compared against the raw object, whatever the simulator diffracted
        key = "object" if opts["compare_to"] == "raw" else "object_sim"
        return [(data[key], slice(None))]

    out.update(_train_and_eval(ctx, opts, tcfg, icfg, probe, data, train_sets, test_sets, truth))
    out["amp_true_object_mean"] = float(np.abs(data["object"]).mean())
    out["wall_seconds"] = time.perf_counter() - t0
    if ctx is not None and opts["save_artifacts"]:
        ctx.save_json("stats.json", {"params": opts, "metrics": out})
    return out


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


def dose_scenario(params_in: dict, ctx) -> dict:
    """The legacy grid pipeline at one photon dose (sweep `nphotons` in the matrix)."""
    t0 = time.perf_counter()
    opts = pipelines.dose_options(params_in)
    seed, N, g = int(ctx.seed), int(opts["N"]), int(opts["gridsize"])
    tcfg, icfg = _configs({**opts, "n_groups": 10**9}, 0)
    m = tcfg.model
    probe = sim.make_probe(N, m.probe_kind, m.probe_scale, m.probe_mask)
    rng = np.random.default_rng(seed)
    size, nimgs = int(opts["object_size"]), int(opts["nimgs"])
    # The legacy simulation writes its own N and gridsize into params.cfg, which is why this
    # pipeline was CONFIG-001-safe without an explicit bridge.
    params.cfg.update({"N": N, "gridsize": g, "offset": opts["offset"], "nphotons": tcfg.nphotons})
    out = {
        "scenario": opts["scenario"],
        "profile": opts["profile"],
        "nphotons": tcfg.nphotons,
        "nimgs": nimgs,
        "nimgs_as": opts["nimgs_as"],
    }

    if opts["nimgs_as"] == "points":
        # the misreading: nimgs scan points on one object, grouped by the nongrid KD-tree path
        coords = sim.random_scan(size, N, nimgs, 2, rng)
        try:
            grouping.group_indices(coords, g, int(opts["K"]), 10**9, rng)
            out["grouping_ok"] = True
        except grouping.GroupingError as exc:
            out.update({"grouping_ok": False, "failure": f"{type(exc).__name__}: {exc}"})
        out["wall_seconds"] = time.perf_counter() - t0
        return out
    if opts["nimgs_as"] != "objects":
        raise ValueError(f"unknown nimgs_as {opts['nimgs_as']!r} (objects | points)")

    def make_split(outer: int) -> dict:
        objs, X, Y, pos, owner, scales = [], [], [], [], [], []
        for k in range(nimgs):
            obj = sim.lines_object(size, rng)
            groups = _grid_groups(size, N, outer, opts["offset"], 2)
            flat = groups.reshape(-1, 2)
            patches = sim.extract_patches(obj, flat, N)
            obj = obj / np.mean(np.abs(patches).max(axis=(1, 2)))  # mean per-patch maximum -> 1
            patches = sim.extract_patches(obj, flat, N)
            x, s = sim.diffract(patches, probe, tcfg.nphotons, rng)
            objs.append(obj)
            X.append(x.reshape(len(groups), -1, N, N))
            Y.append(patches.reshape(len(groups), -1, N, N))
            pos.append(groups)
            owner.append(np.full(len(groups), k))
            scales.append(s)
        pos = np.concatenate(pos)
        offsets = pos.mean(axis=1)
        return {
            "objects": objs,
            "X": np.moveaxis(np.concatenate(X), 1, -1),
            "Y": np.moveaxis(np.concatenate(Y), 1, -1),
            "positions": pos,
            "rel": (-(pos - offsets[:, None, :])).astype(np.float32),
            "owner": np.concatenate(owner),
            "scale": float(np.mean(scales)),
        }

    train_split = make_split(int(opts["outer_offset_train"]))
    test_split = make_split(int(opts["outer_offset_test"]))
    if opts["canvas_padding"] == "jitter":
        # The grid simulator knows its own geometry and sizes the legacy padding for it, so
        # this pipeline's canvas fits with or without the bridge (part of its implicit safety).
        need = infer.required_canvas(test_split["positions"].reshape(-1, 2), N)
        params.cfg["max_position_jitter"] = infer.jitter_for(
            need, N, g, opts["offset"], params.cfg["max_position_jitter"]
        )
    out["n_train_groups"] = len(train_split["X"])

    def truth(te):
        c = te["X"].shape[-1]
        member_owner = np.repeat(te["owner"], c)  # patches are flattened group-major
        return [(obj, member_owner == k) for k, obj in enumerate(te["objects"])]

    out.update(
        _train_and_eval(
            ctx, {**opts, "gridsize": g}, tcfg, icfg, probe, train_split, lambda: train_split, lambda: test_split, truth
        )
    )
    out["wall_seconds"] = time.perf_counter() - t0
    if ctx is not None and opts["save_artifacts"]:
        ctx.save_json("stats.json", {"params": opts, "metrics": out})
    return out
