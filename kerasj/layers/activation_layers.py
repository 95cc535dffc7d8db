"""Activation layers with arguments: ReLU, LeakyReLU, PReLU (learned slopes), ELU, Softmax (with a mask).

The plain `Activation(name)` layer lives in core.py. All of these pass masks through unchanged.
"""
import warnings

import jax
import jax.numpy as jnp

from kerasj import activations, constraints, initializers, regularizers
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer


class _Elementwise(Layer):
    """A weightless layer whose output has its input's shape and mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape


def _check_non_negative(layer, name, value, allow_none=False):
    if value is None and allow_none:
        return
    if value is None or not value >= 0:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': `{name}` must be a number >= 0"
                         f"{' or None' if allow_none else ''}; received {name}={value!r}")


class ReLU(_Elementwise):
    """Rectified linear unit with options:

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold < x < max_value`,
    `negative_slope * (x - threshold)` otherwise.

        >>> ReLU(max_value=6.0, negative_slope=0.1)(jnp.array([-2.0, 3.0, 9.0]))
        Array([-0.2,  3. ,  6. ], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        _check_non_negative(self, "max_value", max_value, allow_none=True)
        _check_non_negative(self, "negative_slope", negative_slope)
        _check_non_negative(self, "threshold", threshold)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """`x` for `x >= 0`, `negative_slope * x` otherwise. The Keras 2 name `alpha` is still accepted, with a
    deprecation warning.

        >>> LeakyReLU(negative_slope=0.1)(jnp.array([-2.0, 3.0]))
        Array([-0.2,  3. ], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: the `alpha` argument is deprecated; use `negative_slope`.", stacklevel=2)
        super().__init__(**kwargs)
        _check_non_negative(self, "negative_slope", negative_slope)
        self.negative_slope = negative_slope

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_Elementwise):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

        >>> ELU(alpha=0.5)(jnp.array([-1.0, 2.0]))
        Array([-0.31606027,  2.        ], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Leaky ReLU whose negative slopes are learned: `f(x) = x` for `x >= 0`, `alpha * x` otherwise.

    `alpha` has the input's non-batch shape, except on `shared_axes` (1-based, batch excluded), where one
    slope is shared: for (batch, height, width, channels) images, `shared_axes=[1, 2]` learns one slope per
    channel.

        >>> layer = PReLU(shared_axes=[1, 2])
        >>> layer(jnp.ones((2, 8, 8, 3))).shape, layer.alpha.shape
        ((2, 8, 8, 3), (1, 1, 3))
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]

    def build(self, input_shape):
        ndim = len(input_shape)
        shared = set(self.shared_axes or ())
        if not all(isinstance(a, int) and 1 <= a < ndim for a in shared):
            raise ValueError(f"PReLU '{self.name}': `shared_axes` must be axes in 1..{ndim - 1} of inputs of rank "
                             f"{ndim}; received shared_axes={self.shared_axes}")
        param_shape = tuple(1 if axis in shared else input_shape[axis] for axis in range(1, ndim))
        if None in param_shape:
            raise ValueError(f"PReLU '{self.name}': every axis that is not in `shared_axes` must have a known "
                             f"size; received input_shape={tuple(input_shape)}, shared_axes={self.shared_axes}")
        self.alpha = self.add_weight(shape=param_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
                                     name="alpha")
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in range(1, ndim) if a not in shared})
        self.built = True

    def call(self, inputs):
        alpha = self.alpha.value.astype(inputs.dtype)
        return jax.nn.relu(inputs) - alpha * jax.nn.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint), "shared_axes": self.shared_axes}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["alpha_initializer"] = initializers.get(config.get("alpha_initializer"))
        config["alpha_regularizer"] = regularizers.get(config.get("alpha_regularizer"))
        config["alpha_constraint"] = constraints.get(config.get("alpha_constraint"))
        return cls(**config)


def _large_negative(dtype):
    """Stands in for -inf before a softmax: the most negative value that is safe to subtract in `dtype`."""
    return -3e4 if jnp.dtype(dtype) == jnp.float16 else -1e9


class Softmax(_Elementwise):
    """Softmax over `axis` (an int or a tuple of ints).

    With `mask` (boolean, or numbers where > 0.5 means kept; broadcastable to the input), masked entries get
    probability 0 and the kept ones share all the mass; an axis that is entirely masked comes out all zeros.

        >>> Softmax()(jnp.zeros((1, 4)), mask=jnp.array([[True, True, False, False]]))
        Array([[0.5, 0.5, 0. , 0. ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def _check_mask(self, inputs, mask):
        mask_shape, shape = tuple(mask.shape), tuple(inputs.shape)
        fits = len(mask_shape) <= len(shape) and all(
            m in (1, i) for m, i in zip(reversed(mask_shape), reversed(shape)))
        if not fits:
            raise ValueError(f"Softmax '{self.name}': `mask` must broadcast to the inputs (each mask axis 1 or "
                             f"equal to the input's, no extra axes); received inputs.shape={shape}, "
                             f"mask.shape={mask_shape}")

    def call(self, inputs, mask=None):
        axis = tuple(self.axis) if isinstance(self.axis, (list, tuple)) else self.axis
        if mask is None:
            return jax.nn.softmax(inputs, axis=axis)
        mask = jnp.asarray(mask)
        self._check_mask(inputs, mask)
        keep = mask if mask.dtype == jnp.bool_ else mask > 0.5
        outputs = jax.nn.softmax(jnp.where(keep, inputs, _large_negative(inputs.dtype)), axis=axis)
        return jnp.where(keep, outputs, jnp.zeros((), outputs.dtype))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
