"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and the global poolings
GlobalMaxPooling1D/2D/3D, GlobalAveragePooling1D/2D/3D.

Windowed pooling is `lax.reduce_window` over the spatial axes. With padding="same" the average is taken
over the window positions that fall inside the input (padding is never counted), as in Keras.
"""
import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from kerasj.layers.conv_base import channel_axis, spatial_dims, with_channels
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.ops.conv_math import conv_output_length
from kerasj.utils.argument_validation import standardize_data_format, standardize_padding, standardize_tuple


# Initial values are numpy scalars, not jnp arrays: lax.reduce_window recognises max/sum pooling (and so
# can differentiate it) only when the initial value is a concrete constant, and jnp values are traced
# inside jit.
def _lowest(dtype):
    """The identity of max for `dtype`: -inf for floats, the smallest value for integers."""
    if jnp.issubdtype(dtype, jnp.floating):
        return np.array(-np.inf, dtype)
    if dtype == jnp.bool_:
        return np.array(False)
    return np.array(jnp.iinfo(dtype).min, dtype)


class Pooling(Layer):
    """N-D windowed pooling (base of the Max/AveragePooling layers); `mode` is "max" or "average".

    `strides` defaults to `pool_size` (non-overlapping windows).
    """

    rank = None
    mode = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        owner = type(self).__name__
        self.pool_size = standardize_tuple(pool_size, self.rank, "pool_size", owner)
        self.strides = self.pool_size if strides is None else standardize_tuple(strides, self.rank, "strides",
                                                                                  owner)
        self.padding = standardize_padding(padding, owner)
        self.data_format = standardize_data_format(data_format, owner)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def _window(self, values):
        """`values` (one per spatial axis) as a full-rank tuple, 1 on the batch and channel axes."""
        if self.data_format == "channels_last":
            return (1,) + tuple(values) + (1,)
        return (1, 1) + tuple(values)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2}; "
                             f"received input_shape={input_shape}")
        spatial = tuple(conv_output_length(n, p, s, 1, self.padding) for n, p, s
                        in zip(spatial_dims(input_shape, self.data_format), self.pool_size, self.strides))
        if any(n is not None and n <= 0 for n in spatial):
            raise ValueError(f"{type(self).__name__} '{self.name}': computed output size would be zero or "
                             f"negative for input_shape={input_shape} with pool_size={self.pool_size}, "
                             f"strides={self.strides}, padding={self.padding!r}")
        channels = input_shape[channel_axis(self.data_format)]
        return with_channels(input_shape[0], spatial, channels, self.data_format)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)  # fails early, with the layer's name, on too-small inputs
        window, strides, padding = self._window(self.pool_size), self._window(self.strides), self.padding.upper()
        if self.mode == "max":
            return lax.reduce_window(inputs, _lowest(inputs.dtype), lax.max, window, strides, padding)
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.compute_dtype)
        total = lax.reduce_window(inputs, np.array(0, inputs.dtype), lax.add, window, strides, padding)
        if self.padding == "valid":
            return total / math.prod(self.pool_size)
        # Count the in-bounds window positions once, on a single-sample single-channel map of ones.
        ones = jnp.ones(self._window(spatial_dims(inputs.shape, self.data_format)), inputs.dtype)
        counts = lax.reduce_window(ones, np.array(0, inputs.dtype), lax.add, window, strides, padding)
        return total / counts

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


class MaxPooling1D(Pooling):
    """Max over windows of `pool_size` steps.

        >>> MaxPooling1D(2)(jnp.arange(4.0).reshape(1, 4, 1))[0, :, 0]
        Array([1., 3.], dtype=float32)
    """

    rank, mode = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class MaxPooling2D(Pooling):
    """Max over `pool_size` windows of the two spatial axes.

        >>> MaxPooling2D()(jnp.ones((1, 28, 28, 3))).shape
        (1, 14, 14, 3)
    """

    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class MaxPooling3D(Pooling):
    """Max over `pool_size` windows of the three spatial axes.

        >>> MaxPooling3D()(jnp.ones((1, 4, 4, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    rank, mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


# Keras 3 makes pool_size required for the average poolings; tf.keras defaulted it like the max poolings,
# and code written for tf.keras still calls AveragePooling2D() - so the default stays.
class AveragePooling1D(Pooling):
    """Mean over windows of `pool_size` steps.

        >>> AveragePooling1D(2)(jnp.arange(4.0).reshape(1, 4, 1))[0, :, 0]
        Array([0.5, 2.5], dtype=float32)
    """

    rank, mode = 1, "average"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class AveragePooling2D(Pooling):
    """Mean over `pool_size` windows of the two spatial axes.

        >>> AveragePooling2D(3, strides=1, padding="same")(jnp.ones((1, 5, 5, 2))).shape
        (1, 5, 5, 2)
    """

    rank, mode = 2, "average"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class AveragePooling3D(Pooling):
    """Mean over `pool_size` windows of the three spatial axes.

        >>> AveragePooling3D(2)(jnp.ones((1, 4, 4, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    rank, mode = 3, "average"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class GlobalPooling(Layer):
    """Max or mean over all spatial axes (base of the Global*Pooling layers); `keepdims=True` keeps them
    as size-1 axes."""

    rank = None
    mode = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, type(self).__name__)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def _axes(self):
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.rank))

    def call(self, inputs):
        if self.mode == "max":
            return jnp.max(inputs, axis=self._axes(), keepdims=self.keepdims)
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.compute_dtype)
        return jnp.mean(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[channel_axis(self.data_format)]
        if self.keepdims:
            return with_channels(input_shape[0], (1,) * self.rank, channels, self.data_format)
        return (input_shape[0], channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(GlobalPooling):
    """Max over the steps axis: `(batch, steps, channels)` -> `(batch, channels)`.

        >>> GlobalMaxPooling1D()(jnp.ones((2, 5, 3))).shape
        (2, 3)
    """

    rank, mode = 1, "max"


class GlobalMaxPooling2D(GlobalPooling):
    """Max over height and width.

        >>> GlobalMaxPooling2D(keepdims=True)(jnp.ones((2, 4, 4, 3))).shape
        (2, 1, 1, 3)
    """

    rank, mode = 2, "max"


class GlobalMaxPooling3D(GlobalPooling):
    """Max over the three spatial axes.

        >>> GlobalMaxPooling3D()(jnp.ones((2, 3, 3, 3, 4))).shape
        (2, 4)
    """

    rank, mode = 3, "max"


class GlobalAveragePooling1D(GlobalPooling):
    """Mean over the steps axis. With a `mask` of shape `(batch, steps)` only the unmasked steps count.

        >>> GlobalAveragePooling1D()(jnp.ones((2, 5, 3))).shape
        (2, 3)
    """

    rank, mode = 1, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None  # the steps axis is pooled away

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.compute_dtype)
        weights = jnp.expand_dims(jnp.asarray(mask).astype(inputs.dtype), channel_axis(self.data_format))
        steps = self._axes()
        total = jnp.sum(inputs * weights, axis=steps, keepdims=self.keepdims)
        return total / jnp.sum(weights, axis=steps, keepdims=self.keepdims)


class GlobalAveragePooling2D(GlobalPooling):
    """Mean over height and width: `(batch, h, w, channels)` -> `(batch, channels)`.

        >>> GlobalAveragePooling2D()(jnp.ones((2, 4, 4, 3))).shape
        (2, 3)
    """

    rank, mode = 2, "average"


class GlobalAveragePooling3D(GlobalPooling):
    """Mean over the three spatial axes.

        >>> GlobalAveragePooling3D(data_format="channels_first")(jnp.ones((2, 4, 3, 3, 3))).shape
        (2, 4)
    """

    rank, mode = 3, "average"


# Keras's short aliases.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
