"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization.

All of them compute in at least float32 (half-precision inputs are upcast, as Keras does) and return the
layer's compute dtype. The scaled/shifted form shared by the first three is

    inv = gamma / sqrt(variance + epsilon)
    outputs = inputs * inv + (beta - mean * inv)

which is the expression Keras 3 evaluates, in the same order (outputs matched Keras bit for bit in CPU checks).
"""
import warnings

import jax.numpy as jnp
from jax import lax

from kerasj import config, constraints, initializers, regularizers
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.utils.argument_validation import is_int


def standardize_axis(axis, owner, allow_list=True):
    """An int axis as is, a list/tuple of ints as a list; anything else is a TypeError naming `owner`."""
    if is_int(axis):
        return int(axis)
    if allow_list and isinstance(axis, (list, tuple)) and all(is_int(a) for a in axis):
        return [int(a) for a in axis]
    expected = "an int or a list/tuple of ints" if allow_list else "an int"
    raise TypeError(f"{owner}: `axis` must be {expected}; received axis={axis!r}")


def resolve_axes(axis, ndim, owner):
    """`axis` (int or list) as a sorted list of non-negative axes of a rank-`ndim` input."""
    axes = [axis] if is_int(axis) else list(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{owner}: axis {a} is out of range for inputs of rank {ndim} "
                             f"(expected -{ndim} <= axis < {ndim}); received axis={axis!r}")
    return sorted({a % ndim for a in axes})


def _known_dims(input_shape, axes, owner):
    dims = tuple(input_shape[a] for a in axes)
    if any(d is None for d in dims):
        raise ValueError(f"{owner}: the input dimension(s) on axis {axes} must be known to create the "
                         f"layer's weights; received input_shape={tuple(input_shape)}")
    return dims


def upcast(x):
    """Half-precision values as float32 (statistics in float16 lose too much), integers as floatx();
    other dtypes unchanged."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return x.astype(config.floatx())
    if x.dtype in (jnp.float16, jnp.bfloat16):
        return x.astype(jnp.float32)
    return x


def scale_and_shift(x, mean, variance, gamma, beta, epsilon):
    """Normalize `x` with the given statistics, then scale by `gamma` and shift by `beta` (either may be
    None). Folding gamma into the inverse standard deviation first costs one multiply-add per element.

        >>> scale_and_shift(jnp.array([1.0, 3.0]), 2.0, 1.0, None, None, 0.0)
        Array([-1.,  1.], dtype=float32)
    """
    inv = lax.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    shift = -mean * inv
    if beta is not None:
        shift = shift + beta
    return x * inv + shift


def l2_normalize(x, axis):
    """`x / ||x||_2` along `axis`; vectors of norm below 1e-12 are divided by 1e-12 instead of their norm.

        >>> l2_normalize(jnp.array([[3.0, 4.0]]), axis=-1)
        Array([[0.6, 0.8]], dtype=float32)
    """
    squared_norm = jnp.sum(jnp.square(x), axis=axis, keepdims=True)
    return x * lax.rsqrt(jnp.maximum(squared_norm, 1e-24))


class _AffineNormalization(Layer):
    """Shared `center`/`scale` handling: the optional `beta` (offset) and `gamma` (scale) weights, their
    initializers, regularizers and constraints, and their part of `get_config`."""

    def __init__(self, center=True, scale=True, beta_initializer="zeros", gamma_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = None
        self.beta = None
        self.supports_masking = True

    def _add_gamma_beta(self, shape, scale=None, center=None):
        """Create gamma then beta (Keras's order) of `shape`, as enabled by `scale`/`center`."""
        if self.scale if scale is None else scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                         name="gamma", autocast=False)  # full precision under mixed policies
        if self.center if center is None else center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        name="beta", autocast=False)

    @staticmethod
    def _broadcast(weight, shape):
        return None if weight is None else jnp.reshape(weight.value, shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}


class BatchNormalization(_AffineNormalization):
    """Normalizes each feature on `axis` with batch statistics while training, moving averages otherwise.

    Training (``training=True`` and the layer trainable) normalizes with the batch mean and variance and
    updates ``moving_mean = moving_mean * momentum + mean * (1 - momentum)`` (likewise the variance, the
    biased batch variance). Inference, or a frozen layer (``trainable=False``, even with
    ``training=True``, as in Keras 3), uses the moving statistics. A `mask` of shape ``inputs.shape[:-1]``
    (or ``inputs.shape``) weights the batch statistics. Weights: gamma, beta, moving_mean, moving_variance.

    Args follow `keras.layers.BatchNormalization`; `synchronized` is accepted and ignored (one process
    computes statistics over the whole batch), batch renormalization (`renorm=True`) is not implemented.

        >>> bn = BatchNormalization()
        >>> y = bn(jnp.array([[0.0], [2.0]]), training=True)   # ~[[-1], [1]]; moving_mean becomes 0.01
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        if renorm:
            raise NotImplementedError("BatchNormalization: batch renormalization (renorm=True) is not "
                                      "implemented in kerasj; use renorm=False.")
        self.axis = standardize_axis(axis, "BatchNormalization", allow_list=False)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.synchronized = synchronized

    def build(self, input_shape):
        ndim = len(input_shape)
        (axis,) = resolve_axes(self.axis, ndim, f"BatchNormalization '{self.name}'")
        shape = _known_dims(input_shape, [axis], f"BatchNormalization '{self.name}'")
        self._add_gamma_beta(shape)
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape=shape, initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False, name="moving_variance")
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: shape[0]})
        self._channel_axis = axis
        self.built = True

    def _moments(self, x, axes, mask):
        if mask is None:
            return jnp.mean(x, axis=axes), jnp.var(x, axis=axes)
        weights = jnp.asarray(mask, x.dtype)
        if weights.ndim == x.ndim - 1:
            weights = weights[..., None]
        weights = jnp.broadcast_to(weights, x.shape)
        total = jnp.sum(weights, axis=axes)
        mean = jnp.sum(x * weights, axis=axes) / total
        centered = x - jnp.expand_dims(mean, axes)
        return mean, jnp.sum(weights * jnp.square(centered), axis=axes) / total

    def call(self, inputs, training=None, mask=None):
        x = upcast(inputs)
        axes = tuple(i for i in range(x.ndim) if i != self._channel_axis)
        shape = [1] * x.ndim
        shape[self._channel_axis] = x.shape[self._channel_axis]
        if training and self.trainable:
            mean, variance = self._moments(x, axes, mask)
            m = self.momentum
            self.moving_mean.assign(self.moving_mean.value * m + mean.astype(self.moving_mean.dtype) * (1.0 - m))
            self.moving_variance.assign(
                self.moving_variance.value * m + variance.astype(self.moving_variance.dtype) * (1.0 - m))
        else:
            mean, variance = self.moving_mean.value, self.moving_variance.value
        out = scale_and_shift(x, jnp.reshape(mean, shape).astype(x.dtype),
                              jnp.reshape(variance, shape).astype(x.dtype),
                              self._broadcast(self.gamma, shape), self._broadcast(self.beta, shape), self.epsilon)
        return out.astype(self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "synchronized": self.synchronized, "renorm": self.renorm,
                "renorm_clipping": self.renorm_clipping, "renorm_momentum": self.renorm_momentum}


class LayerNormalization(_AffineNormalization):
    """Normalizes each sample over `axis` (an int or a list of ints), then scales and shifts.

    Unlike BatchNormalization the statistics are per sample, so training and inference agree. gamma/beta
    have the shape of the normalized axes. `rms_scaling=True` (deprecated in Keras, kept for parity) scales
    ``inputs * gamma / sqrt(variance + epsilon)`` without centering; it always creates gamma and no beta.

        >>> LayerNormalization()(jnp.array([[1.0, 3.0]]))   # ~[[-1, 1]]
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        self.axis = standardize_axis(axis, "LayerNormalization")
        self.epsilon = float(epsilon)
        self.rms_scaling = bool(rms_scaling)
        if self.rms_scaling:
            warnings.warn("LayerNormalization: rms_scaling=True is deprecated in Keras 3 because it divides by "
                          "the standard deviation, not the root mean square; it behaves here as in Keras.",
                          UserWarning, stacklevel=2)

    def build(self, input_shape):
        ndim = len(input_shape)
        self._axes = resolve_axes(self.axis, ndim, f"LayerNormalization '{self.name}'")
        if isinstance(self.axis, int):  # Keras reports the axis as a list once built
            self.axis = [self.axis]
        shape = _known_dims(input_shape, self._axes, f"LayerNormalization '{self.name}'")
        if self.rms_scaling:
            self._add_gamma_beta(shape, scale=True, center=False)
        else:
            self._add_gamma_beta(shape)
        self.input_spec = InputSpec(ndim=ndim, axes=dict(zip(self._axes, shape)))
        self.built = True

    def call(self, inputs):
        x = upcast(inputs)
        axes = tuple(self._axes)
        shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
        variance = jnp.var(x, axis=axes, keepdims=True)
        if self.rms_scaling:
            out = x * lax.rsqrt(variance + self.epsilon) * self._broadcast(self.gamma, shape)
        else:
            out = scale_and_shift(x, jnp.mean(x, axis=axes, keepdims=True), variance,
                                  self._broadcast(self.gamma, shape), self._broadcast(self.beta, shape),
                                  self.epsilon)
        return out.astype(self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "rms_scaling": self.rms_scaling}


class GroupNormalization(_AffineNormalization):
    """Splits the channels on `axis` into `groups` groups and normalizes each sample over each group
    (all non-batch axes of the group), then applies per-channel gamma/beta.

    `groups=1` gives LayerNormalization over all non-batch axes; `groups=channels` gives instance
    normalization. The number of channels must be a multiple of `groups`.

        >>> GroupNormalization(groups=2)(jnp.ones((4, 8, 8, 6))).shape
        (4, 8, 8, 6)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(center=center, scale=scale, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
                         gamma_constraint=gamma_constraint, **kwargs)
        if not is_int(groups) or groups <= 0:
            raise ValueError(f"GroupNormalization: `groups` must be a positive integer; received groups={groups!r}")
        self.groups = groups
        self.axis = standardize_axis(axis, "GroupNormalization", allow_list=False)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        owner = f"GroupNormalization '{self.name}'"
        ndim = len(input_shape)
        (axis,) = resolve_axes(self.axis, ndim, owner)
        if axis == 0:
            raise ValueError(f"{owner}: `axis` must be a channel axis, not the batch axis 0; "
                             f"received axis={self.axis} for input_shape={tuple(input_shape)}")
        (channels,) = _known_dims(input_shape, [axis], owner)
        if channels < self.groups:
            raise ValueError(f"{owner}: the number of groups ({self.groups}) cannot be more than the number of "
                             f"channels ({channels}) on axis {self.axis}.")
        if channels % self.groups:
            raise ValueError(f"{owner}: the number of channels ({channels}) on axis {self.axis} must be a "
                             f"multiple of the number of groups ({self.groups}).")
        self._add_gamma_beta((channels,))
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: channels})
        self._channel_axis = axis
        self.built = True

    def call(self, inputs):
        x = upcast(inputs)
        a = self._channel_axis
        group_shape = (self.groups, x.shape[a] // self.groups)
        # Split the channel axis in place into (groups, channels per group): no transpose needed.
        grouped = jnp.reshape(x, x.shape[:a] + group_shape + x.shape[a + 1:])
        axes = tuple(i for i in range(1, grouped.ndim) if i != a)
        param_shape = [1] * grouped.ndim
        param_shape[a:a + 2] = group_shape
        out = scale_and_shift(grouped, jnp.mean(grouped, axis=axes, keepdims=True),
                              jnp.var(grouped, axis=axes, keepdims=True),
                              self._broadcast(self.gamma, param_shape), self._broadcast(self.beta, param_shape),
                              self.epsilon)
        return jnp.reshape(out, x.shape).astype(self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over `axis` (an int or a list of ints); no weights.

        >>> UnitNormalization()(jnp.array([[3.0, 4.0]]))
        Array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = standardize_axis(axis, "UnitNormalization")
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        x = upcast(inputs)
        axes = tuple(resolve_axes(self.axis, x.ndim, f"UnitNormalization '{self.name}'"))
        return l2_normalize(x, axes).astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
