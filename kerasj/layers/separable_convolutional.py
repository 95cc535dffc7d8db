"""Channel-wise convolutions: DepthwiseConv1D/2D and SeparableConv1D/2D.

A depthwise convolution filters each input channel on its own with `depth_multiplier` kernels; its kernel
is stored as Keras stores it, `(*kernel_size, input_channels, depth_multiplier)`, and output channel
`c * depth_multiplier + m` comes from input channel `c` and kernel `m`. A separable convolution is a
depthwise convolution followed by a 1x1 ("pointwise") convolution with kernel
`(*ones, input_channels * depth_multiplier, filters)`.
"""
from kerasj.layers.conv_base import ConvBase
from kerasj.ops.conv_math import conv
from kerasj.utils.argument_validation import check_positive_int


def depthwise(inputs, kernel, layer):
    """`layer`'s depthwise convolution of `inputs` with a `(*kernel_size, channels, multiplier)` kernel, as a
    grouped convolution with one group per input channel."""
    *window, channels, multiplier = kernel.shape
    grouped = kernel.reshape(tuple(window) + (1, channels * multiplier))
    return conv(inputs, grouped, data_format=layer.data_format, strides=layer.strides, padding=layer.padding,
                dilation_rate=layer.dilation_rate, groups=channels)


class DepthwiseConv(ConvBase):
    """N-D depthwise convolution (base of DepthwiseConv1D/2D); `channels * depth_multiplier` outputs."""

    _weight_prefixes = ("depthwise",)
    _allow_strided_dilation = True

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint, activity_regularizer=activity_regularizer,
                         weight_options={"depthwise": (depthwise_initializer, depthwise_regularizer,
                                                       depthwise_constraint)},
                         **kwargs)
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier", type(self).__name__)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        # Keras names this weight "kernel" although its options are the depthwise_* arguments.
        self.kernel = self._make_weight("depthwise", self.kernel_size + (channels, self.depth_multiplier),
                                        "kernel")
        self._build_bias(channels * self.depth_multiplier, channels)
        self.built = True

    def _output_channels(self, input_channels):
        return input_channels * self.depth_multiplier

    def _convolve(self, inputs):
        return depthwise(inputs, self.kernel.value, self)

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier}


class DepthwiseConv1D(DepthwiseConv):
    """1-D depthwise convolution.

        >>> DepthwiseConv1D(3, depth_multiplier=2)(jnp.ones((2, 8, 4))).shape
        (2, 6, 8)
    """

    rank = 1


class DepthwiseConv2D(DepthwiseConv):
    """2-D depthwise convolution; kernel stored as `(kh, kw, channels, depth_multiplier)`.

        >>> DepthwiseConv2D(3, padding="same")(jnp.ones((1, 8, 8, 16))).shape
        (1, 8, 8, 16)
    """

    rank = 2


class SeparableConv(ConvBase):
    """N-D depthwise-separable convolution (base of SeparableConv1D/2D): a depthwise convolution (with the
    layer's strides, padding and dilation), then a pointwise convolution to `filters` channels, then bias
    and activation."""

    _weight_prefixes = ("depthwise", "pointwise")
    _allow_strided_dilation = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint, activity_regularizer=activity_regularizer,
                         weight_options={
                             "depthwise": (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                             "pointwise": (pointwise_initializer, pointwise_regularizer, pointwise_constraint)},
                         **kwargs)
        owner = type(self).__name__
        self.filters = check_positive_int(filters, "filters", owner)
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier", owner)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self._make_weight(
            "depthwise", self.kernel_size + (channels, self.depth_multiplier), "depthwise_kernel")
        self.pointwise_kernel = self._make_weight(
            "pointwise", (1,) * self.rank + (channels * self.depth_multiplier, self.filters), "pointwise_kernel")
        self._build_bias(self.filters, channels)
        self.built = True

    def _output_channels(self, input_channels):
        return self.filters

    def _convolve(self, inputs):
        hidden = depthwise(inputs, self.depthwise_kernel.value, self)
        return conv(hidden, self.pointwise_kernel.value, data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "depth_multiplier": self.depth_multiplier}


class SeparableConv1D(SeparableConv):
    """1-D depthwise-separable convolution.

        >>> SeparableConv1D(8, 3, depth_multiplier=2)(jnp.ones((2, 10, 4))).shape
        (2, 8, 8)
    """

    rank = 1


class SeparableConv2D(SeparableConv):
    """2-D depthwise-separable convolution: weights `depthwise_kernel` `(kh, kw, channels, multiplier)`,
    `pointwise_kernel` `(1, 1, channels * multiplier, filters)`, `bias`.

        >>> SeparableConv2D(32, 3, padding="same")(jnp.ones((1, 16, 16, 8))).shape
        (1, 16, 16, 32)
    """

    rank = 2


# Keras's long-form aliases.
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
