"""Convolution layers: Conv1D/2D/3D and their transposes Conv1DTranspose/2DTranspose/3DTranspose.

Kernels are stored as Keras stores them: `(*kernel_size, input_channels // groups, filters)` for a
convolution and `(*kernel_size, filters, input_channels)` for a transposed one.
"""
import jax.numpy as jnp

from kerasj.layers.conv_base import ConvBase, spatial_dims
from kerasj.ops.conv_math import conv, transpose_output_length, transpose_padding
from kerasj.utils.argument_validation import check_positive_int, standardize_tuple
from kerasj.variables import Variable


class Conv(ConvBase):
    """N-D convolution (base of Conv1D/2D/3D): `activation(conv(inputs, kernel) + bias)`.

    With `groups > 1` the input channels are split into `groups` blocks, each convolved with its own
    `filters // groups` filters (`lax.conv_general_dilated`'s feature_group_count).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint, activity_regularizer=activity_regularizer,
                         weight_options={"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint)},
                         **kwargs)
        owner = type(self).__name__
        self.filters = check_positive_int(filters, "filters", owner)
        self.groups = check_positive_int(groups, "groups", owner)
        if filters % groups:
            raise ValueError(f"{owner}: `filters` must be divisible by `groups`; received filters={filters} "
                             f"and groups={groups}")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of input channels must be "
                             f"divisible by `groups`; received groups={self.groups} and input_shape="
                             f"{tuple(input_shape)} ({channels} channels)")
        self.kernel = self._make_weight("kernel", self.kernel_size + (channels // self.groups, self.filters),
                                        "kernel")
        self._build_bias(self.filters, channels)
        self.built = True

    def _output_channels(self, input_channels):
        return self.filters

    def convolution_op(self, inputs, kernel):
        """The convolution alone (no bias, no activation). Subclasses may override it, as in Keras, e.g. to
        standardize `kernel` first."""
        kernel = kernel.value if isinstance(kernel, Variable) else kernel
        return conv(inputs, kernel, data_format=self.data_format, strides=self.strides,
                    padding=self.padding, dilation_rate=self.dilation_rate, groups=self.groups)

    def _convolve(self, inputs):
        return self.convolution_op(inputs, self.kernel)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "groups": self.groups}


class Conv1D(Conv):
    """1-D convolution over `(batch, steps, channels)` inputs; `padding="causal"` pads on the left only, so
    output step t sees input steps <= t.

        >>> Conv1D(8, 3, padding="causal")(jnp.ones((2, 10, 4))).shape
        (2, 10, 8)
    """

    rank = 1
    _allow_causal = True


class Conv2D(Conv):
    """2-D convolution over `(batch, height, width, channels)` inputs (or channels first).

        >>> Conv2D(32, 3, activation="relu")(jnp.ones((1, 28, 28, 1))).shape
        (1, 26, 26, 32)
    """

    rank = 2


class Conv3D(Conv):
    """3-D convolution over `(batch, depth, height, width, channels)` inputs (or channels first).

        >>> Conv3D(4, 3, padding="same")(jnp.ones((1, 5, 5, 5, 2))).shape
        (1, 5, 5, 5, 4)
    """

    rank = 3


class ConvTranspose(ConvBase):
    """N-D transposed convolution (base of Conv1D/2D/3DTranspose): the gradient of a convolution with
    respect to its input, used to upsample. Computed as a stride-1 convolution of the stride-dilated input
    with the spatially flipped kernel; see `conv_base` for the output-length rule.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint, activity_regularizer=activity_regularizer,
                         weight_options={"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint)},
                         **kwargs)
        owner = type(self).__name__
        self.filters = check_positive_int(filters, "filters", owner)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = standardize_tuple(output_padding, self.rank, "output_padding", owner,
                                                    allow_zero=True)
            for axis, (pad, stride) in enumerate(zip(self.output_padding, self.strides)):
                if pad >= stride:
                    raise ValueError(f"{owner}: `output_padding` must be smaller than `strides` on every axis; "
                                     f"on axis {axis} received output_padding={self.output_padding} and "
                                     f"strides={self.strides}")

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self._make_weight("kernel", self.kernel_size + (self.filters, channels), "kernel")
        self._build_bias(self.filters, channels)
        self.built = True

    def _output_channels(self, input_channels):
        return self.filters

    def _per_axis(self):
        pads = self.output_padding or (None,) * self.rank
        return zip(self.kernel_size, self.strides, self.dilation_rate, pads)

    def _output_spatial(self, spatial):
        return tuple(transpose_output_length(n, k, s, d, self.padding, p)
                     for n, (k, s, d, p) in zip(spatial, self._per_axis()))

    def _convolve(self, inputs):
        spatial = spatial_dims(inputs.shape, self.data_format)
        padding = [transpose_padding(n, k, s, d, self.padding, p) for n, (k, s, d, p) in zip(spatial, self._per_axis())]
        kernel = jnp.flip(self.kernel.value, axis=tuple(range(self.rank)))
        return conv(inputs, kernel, data_format=self.data_format, kernel_io="OI", padding=padding,
                    lhs_dilation=self.strides, dilation_rate=self.dilation_rate)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "output_padding": self.output_padding}


class Conv1DTranspose(ConvTranspose):
    """1-D transposed convolution.

        >>> Conv1DTranspose(4, 3, strides=2, padding="same")(jnp.ones((2, 5, 3))).shape
        (2, 10, 4)
    """

    rank = 1


class Conv2DTranspose(ConvTranspose):
    """2-D transposed convolution; kernel stored as `(kh, kw, filters, input_channels)`.

        >>> Conv2DTranspose(8, 3, strides=2)(jnp.ones((1, 7, 7, 16))).shape
        (1, 15, 15, 8)
    """

    rank = 2


class Conv3DTranspose(ConvTranspose):
    """3-D transposed convolution.

        >>> Conv3DTranspose(2, 2, strides=2)(jnp.ones((1, 3, 3, 3, 4))).shape
        (1, 6, 6, 6, 2)
    """

    rank = 3


# Keras's long-form aliases.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (Conv1DTranspose, Conv2DTranspose,
                                                                          Conv3DTranspose)
