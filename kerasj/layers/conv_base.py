"""What every convolution and pooling layer shares: shape helpers for the data formats, and `ConvBase`, the
base of the convolution layers. The convolution itself and the output-length rules are in
kerasj/ops/conv_math.py; the argument checks in kerasj/utils/argument_validation.py.

Layouts follow Keras 3, so weights copy across with `set_weights`:

- inputs are `(batch, *spatial, channels)` ("channels_last", the default) or `(batch, channels, *spatial)`;
- a kernel is always stored as `(*kernel_size, a, b)` whatever the data format; which of `a`, `b` is the
  input side depends on the layer (`kernel_io` in `conv_math.conv`).
"""
import jax.numpy as jnp

from kerasj import activations, constraints, initializers, regularizers
from kerasj.layers.input_spec import InputSpec, assert_input_compatibility
from kerasj.layers.layer import Layer
from kerasj.ops.conv_math import conv_output_length
from kerasj.utils.argument_validation import standardize_data_format, standardize_padding, standardize_tuple


# -- shapes in either data format ----------------------------------------------------------------------
def channel_axis(data_format):
    return -1 if data_format == "channels_last" else 1


def spatial_dims(shape, data_format):
    """The spatial part of a `(batch, ...)` shape."""
    return tuple(shape[1:-1]) if data_format == "channels_last" else tuple(shape[2:])


def with_channels(batch, spatial, channels, data_format):
    """A full shape from its parts, channels placed as the data format says."""
    spatial = tuple(spatial)
    if data_format == "channels_last":
        return (batch,) + spatial + (channels,)
    return (batch, channels) + spatial


# -- the base layer --------------------------------------------------------------------------------------
class ConvBase(Layer):
    """Base of the convolution layers: geometry arguments, bias, activation, weight options, config.

    Subclasses set `rank`, create their kernels in `build` with `_make_weight` (then `_build_bias`), and
    implement `_convolve` (inputs -> pre-bias outputs) and `_output_channels`; a transposed convolution also
    overrides `_output_spatial`. `weight_options` maps each kernel family the layer has ("kernel",
    "depthwise", "pointwise"; listed again in `_weight_prefixes` for the config) to its
    (initializer, regularizer, constraint) arguments.
    """

    rank = None
    _weight_prefixes = ("kernel",)
    _allow_causal = False
    _allow_strided_dilation = False

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation=None, use_bias=True, bias_initializer="zeros", bias_regularizer=None,
                 bias_constraint=None, activity_regularizer=None, weight_options=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        rank = self.rank
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", owner)
        self.strides = standardize_tuple(strides, rank, "strides", owner)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate", owner)
        self.padding = standardize_padding(padding, owner, allow_causal=self._allow_causal)
        self.data_format = standardize_data_format(data_format, owner)
        if (not self._allow_strided_dilation and max(self.strides) > 1 and max(self.dilation_rate) > 1):
            raise ValueError(f"{owner}: `strides` > 1 cannot be combined with `dilation_rate` > 1; received "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        # Every weight family has the same three options; "bias" is one family like the others.
        options = dict(weight_options or {})
        options["bias"] = (bias_initializer, bias_regularizer, bias_constraint)
        for prefix, (initializer, regularizer, constraint) in options.items():
            setattr(self, f"{prefix}_initializer", initializers.get(initializer))
            setattr(self, f"{prefix}_regularizer", regularizers.get(regularizer))
            setattr(self, f"{prefix}_constraint", constraints.get(constraint))
        self.input_spec = InputSpec(ndim=rank + 2)

    # -- helpers for subclasses -----------------------------------------------------------------------
    def _make_weight(self, prefix, shape, name):
        return self.add_weight(shape=shape, initializer=getattr(self, f"{prefix}_initializer"),
                               regularizer=getattr(self, f"{prefix}_regularizer"),
                               constraint=getattr(self, f"{prefix}_constraint"), name=name)

    def _input_channels(self, input_shape):
        # The rank is checked here too: build runs before the call-time input check.
        assert_input_compatibility(self.input_spec, [tuple(input_shape)], self.name)
        channels = input_shape[channel_axis(self.data_format)]
        if channels is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the channel dimension of the input must be "
                             f"known (data_format={self.data_format!r}); received input_shape="
                             f"{tuple(input_shape)}")
        return channels

    def _build_bias(self, channels, input_channels):
        self.bias = self._make_weight("bias", (channels,), "bias") if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={channel_axis(self.data_format): input_channels})

    def _output_spatial(self, spatial):
        return tuple(conv_output_length(n, k, s, d, self.padding)
                     for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))

    def _output_channels(self, input_channels):
        raise NotImplementedError

    def _convolve(self, inputs):
        raise NotImplementedError

    # -- Layer API ------------------------------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2}; "
                             f"received input_shape={input_shape}")
        spatial = self._output_spatial(spatial_dims(input_shape, self.data_format))
        if any(n is not None and n <= 0 for n in spatial):
            raise ValueError(f"{type(self).__name__} '{self.name}': computed output size would be zero or "
                             f"negative for input_shape={input_shape} with kernel_size={self.kernel_size}, "
                             f"strides={self.strides}, dilation_rate={self.dilation_rate}, "
                             f"padding={self.padding!r}")
        channels = input_shape[channel_axis(self.data_format)]
        out_channels = None if channels is None else self._output_channels(channels)
        return with_channels(input_shape[0], spatial, out_channels, self.data_format)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)  # fails early, with the layer's name, on too-small inputs
        if not jnp.issubdtype(inputs.dtype, jnp.floating):
            inputs = inputs.astype(self.compute_dtype)
        outputs = self._convolve(inputs)
        if self.bias is not None:
            bias = self.bias.value.astype(outputs.dtype)
            if self.data_format == "channels_first":
                bias = bias.reshape((-1,) + (1,) * self.rank)
            outputs = outputs + bias
        return self.activation(outputs)

    def get_config(self):
        cfg = {**super().get_config(), "kernel_size": self.kernel_size, "strides": self.strides,
               "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
               "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
               "activity_regularizer": regularizers.serialize(self.activity_regularizer)}
        for prefix in self._weight_prefixes + ("bias",):
            cfg[f"{prefix}_initializer"] = initializers.serialize(getattr(self, f"{prefix}_initializer"))
            cfg[f"{prefix}_regularizer"] = regularizers.serialize(getattr(self, f"{prefix}_regularizer"))
            cfg[f"{prefix}_constraint"] = constraints.serialize(getattr(self, f"{prefix}_constraint"))
        return cfg
