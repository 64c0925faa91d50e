"""Keras 3 physics-informed model: diffraction -> object (amplitude, phase) -> diffraction.

The network only ever sees diffraction; what makes it a reconstruction is the physics layer:
object patch x probe -> FFT -> |.| x intensity scale, compared with the measurement through a
Poisson likelihood. The model factory reads params.cfg (a legacy-style reader, as the original).
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from . import params


def legacy_intensity_scale(X: np.ndarray) -> float:
    """Computed only if absent from params.cfg, so an earlier value persists (the original's rule).

    fallback: sqrt(nphotons) / (N/2); data: sqrt(nphotons / E[sum |X|^2]) over patterns.
    Mode "true" expects the exact simulation scale to have been written into cfg already.
    """
    cfg = params.cfg
    if "intensity_scale" not in cfg:
        mode = cfg["intensity_scale.mode"]
        if mode == "fallback":
            cfg["intensity_scale"] = math.sqrt(cfg["nphotons"]) / (cfg["N"] / 2)
        elif mode == "data":
            power = np.mean(np.sum(np.square(X, dtype=np.float64), axis=(1, 2)))
            cfg["intensity_scale"] = math.sqrt(cfg["nphotons"] / power)
        else:
            raise ValueError(f"intensity_scale mode {mode!r} needs intensity_scale set in the config")
    return float(cfg["intensity_scale"])


class IntensityScale(layers.Layer):
    """Shared scale s = exp(log_scale): divides the input, multiplies the predicted amplitude.

    log_scale is a Keras weight: under Keras 3 a bare tf.Variable on a layer is not tracked,
    and the original's "trainable" scale silently never trained.
    """

    def __init__(self, initial: float, scale_trainable: bool = True, **kw):
        super().__init__(**kw)
        self.initial, self.scale_trainable = float(initial), bool(scale_trainable)

    def build(self, input_shape):
        self.log_scale = self.add_weight(
            name="log_scale",
            shape=(),
            trainable=self.scale_trainable,
            initializer=keras.initializers.Constant(math.log(self.initial)),
        )

    def call(self, x, inverse=False):
        s = keras.ops.exp(self.log_scale)
        return x / s if inverse else x * s


def translate(images, shift):
    """Bilinear shift of (B, H, W, C) images by (B, 2) = (d_row, d_col) pixels, zero fill."""
    zeros, ones = tf.zeros_like(shift[:, 0]), tf.ones_like(shift[:, 0])
    transforms = tf.stack([ones, zeros, -shift[:, 1], zeros, ones, -shift[:, 0], zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def make_consistent(re_im, rel):
    """gridsize > 1: replace each of the g*g patches by the average of all members over it.

    re_im (B, N, N, c, 2), rel (B, c, 2) with member position = group centre - rel. Member i
    is shifted into member j's frame by pos_i - pos_j = rel_j - rel_i, then summed with a
    coverage count and divided (safely). Going member-to-member, not via a shared canvas,
    keeps the shifts integer for integer scan positions, so no interpolation blur.
    """
    B, N, c = tf.shape(re_im)[0], re_im.shape[1], re_im.shape[3]
    src = tf.transpose(re_im, [0, 3, 1, 2, 4])  # (B, c_i, N, N, 2)
    src = tf.concat([src, tf.ones_like(src[..., :1])], axis=-1)  # + coverage
    src = tf.repeat(src[:, None], c, axis=1)  # (B, c_j, c_i, N, N, 3)
    shift = rel[:, :, None, :] - rel[:, None, :, :]  # (B, c_j, c_i, 2)
    moved = translate(tf.reshape(src, [-1, N, N, 3]), tf.reshape(shift, [-1, 2]))
    total = tf.reduce_sum(tf.reshape(moved, [B, c, c, N, N, 3]), axis=2)  # over members i only
    tf.debugging.assert_equal(tf.shape(total)[0], B, message="stitching mixed samples of a batch")
    count = total[..., 2:]
    mean = tf.where(count > 1e-3, total[..., :2] / tf.maximum(count, 1e-3), 0.0)
    return tf.transpose(mean, [0, 2, 3, 1, 4])  # (B, N, N, c, 2)


class ProbeDiffraction(layers.Layer):
    """Object patches (amp, phase) x probe -> |FFT| / N, shape (B, N, N, c)."""

    def __init__(self, probe: np.ndarray, **kw):
        super().__init__(**kw)
        self.probe = tf.constant(np.asarray(probe, np.complex64))

    def call(self, amp, phase, rel):
        re_im = tf.stack([amp * tf.cos(phase), amp * tf.sin(phase)], axis=-1)
        if amp.shape[-1] > 1:
            re_im = make_consistent(re_im, rel)
        obj = tf.complex(re_im[..., 0], re_im[..., 1])
        exit_wave = tf.transpose(obj, [0, 3, 1, 2]) * self.probe  # (B, c, N, N)
        far = tf.signal.fftshift(tf.signal.fft2d(exit_wave), axes=(-2, -1))
        n = tf.cast(tf.shape(exit_wave)[-1], tf.float32)
        return tf.transpose(tf.abs(far), [0, 2, 3, 1]) / n


ACTIVATIONS = {
    "sigmoid": keras.activations.sigmoid,
    "softplus": keras.activations.softplus,
    "exp": keras.activations.exponential,
}


def poisson_nll(y_true, y_pred):
    """-log p(counts | rate) up to a constant, with counts = y_true^2 and rate = y_pred^2."""
    rate, counts = tf.square(y_pred), tf.square(y_true)
    return tf.reduce_mean(rate - counts * tf.math.log(rate + 1e-12), axis=[1, 2, 3])


def build_model(probe: np.ndarray, X_for_scale: np.ndarray):
    """Factory: (training model, inference model) from the *current* params.cfg.

    Built on demand, never at import: a model built at import keeps the gridsize it saw then.
    """
    cfg = params.cfg
    N, g, f, depth = int(cfg["N"]), int(cfg["gridsize"]), int(cfg["filters"]), int(cfg["depth"])
    c = g * g
    act = ACTIVATIONS[cfg["amp_activation"]]
    x_in = keras.Input((N, N, c), name="diffraction")
    rel_in = keras.Input((c, 2), name="rel")
    scale = IntensityScale(
        legacy_intensity_scale(X_for_scale), cfg["intensity_scale.trainable"], name="intensity_scale"
    )
    h = scale(x_in, inverse=True)
    widths = [f * 2**k for k in range(depth)]
    for w in widths:  # encoder: N -> N / 2**depth
        h = layers.Conv2D(w, 3, padding="same", activation="relu")(h)
        h = layers.Conv2D(w, 3, padding="same", activation="relu")(h)
        h = layers.MaxPooling2D()(h)
    for w in reversed(widths):  # decoder: back to N
        h = layers.UpSampling2D()(h)
        h = layers.Conv2D(w, 3, padding="same", activation="relu")(h)
        h = layers.Conv2D(w, 3, padding="same", activation="relu")(h)
    amp = layers.Conv2D(c, 3, padding="same", activation=act, name="amplitude")(h)
    phase = layers.Conv2D(c, 3, padding="same", activation="tanh")(h)
    phase = layers.Rescaling(math.pi, name="phase")(phase)
    pred = scale(ProbeDiffraction(probe, name="physics")(amp, phase, rel_in))
    train_model = keras.Model([x_in, rel_in], pred, name="ptycho_pinn")
    infer_model = keras.Model([x_in, rel_in], [amp, phase], name="ptycho_infer")

    nll_w, mae_w = float(cfg["nll_weight"]), float(cfg["mae_weight"])

    def loss(y_true, y_pred):
        out = nll_w * poisson_nll(y_true, y_pred)
        if mae_w:
            out = out + mae_w * tf.reduce_mean(tf.abs(y_true - y_pred), axis=[1, 2, 3])
        return out

    train_model.compile(optimizer=keras.optimizers.Adam(float(cfg["learning_rate"])), loss=loss)
    return train_model, infer_model


def learned_scale(model) -> float:
    return float(np.exp(keras.ops.convert_to_numpy(model.get_layer("intensity_scale").log_scale)))
