"""What every convolution and pooling layer shares: argument checking, output-length rules, the
`lax.conv_general_dilated` call, and `ConvBase`, the base of the convolution layers.

Layouts follow Keras 3, so weights copy across with `set_weights`:

- inputs are `(batch, *spatial, channels)` ("channels_last", the default) or `(batch, channels, *spatial)`;
- a kernel is always stored as `(*kernel_size, a, b)` whatever the data format; which of `a`, `b` is the
  input side depends on the layer (`kernel_io` below).

Output lengths along one spatial axis of size `n`, with effective kernel size `kd = (k - 1) * d + 1`:

- "valid": `(n - kd) // s + 1`; "same" and "causal": `ceil(n / s)`;
- transposed, `output_padding=None`: "valid" `n * s + max(kd - s, 0)`, "same" `n * s`;
- transposed, with `output_padding=p`: `(n - 1) * s + kd - 2 * pad + p`, `pad = 0` ("valid") or `kd // 2`.
"""
import jax.numpy as jnp
import numpy as np

from kerasj import activations, config, constraints, initializers, regularizers
from kerasj.layers.conv_primitive import conv_general_dilated
from kerasj.layers.input_spec import InputSpec, assert_input_compatibility
from kerasj.layers.layer import Layer

DATA_FORMATS = ("channels_last", "channels_first")
_SPATIAL_LETTERS = {1: "W", 2: "HW", 3: "DHW"}


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


# -- argument checking ---------------------------------------------------------------------------------
def standardize_data_format(value, owner):
    """`value` checked against ("channels_last", "channels_first"); None means the global image format."""
    if value is None:
        # config.image_data_format() where the config module offers it; Keras's own default otherwise.
        getter = getattr(config, "image_data_format", None)
        return getter() if getter is not None else "channels_last"
    if value not in DATA_FORMATS:
        raise ValueError(f"{owner}: `data_format` must be one of {list(DATA_FORMATS)}; "
                         f"received data_format={value!r}")
    return value


def standardize_tuple(value, n, name, owner, allow_zero=False):
    """An int or a length-`n` sequence of ints as an n-tuple of positive (or, with allow_zero, >= 0) ints.

        >>> standardize_tuple(3, 2, "kernel_size", "Conv2D")
        (3, 3)
    """
    values = (value,) * n if _is_int(value) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    lowest = 0 if allow_zero else 1
    if values is None or len(values) != n or not all(_is_int(v) and v >= lowest for v in values):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{owner}: `{name}` must be an int or a tuple of {n} int(s), each {bound}; "
                         f"received {name}={value!r}")
    return tuple(int(v) for v in values)


def standardize_padding(value, owner, allow_causal=False):
    """Lower-cased "valid" / "same" (and "causal" when allowed)."""
    valid = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in valid:
        raise ValueError(f"{owner}: `padding` must be one of {list(valid)}; received padding={value!r}")
    return padding


def check_positive_int(value, name, owner):
    if not _is_int(value) or value <= 0:
        raise ValueError(f"{owner}: `{name}` must be a positive integer; received {name}={value!r}")
    return int(value)


# -- output-length rules -------------------------------------------------------------------------------
def conv_output_length(length, kernel, stride, dilation, padding):
    """Output length of a (non-transposed) convolution or pooling window; None stays None."""
    if length is None:
        return None
    if padding == "valid":
        return (length - ((kernel - 1) * dilation + 1)) // stride + 1
    return -(-length // stride)


def transpose_output_length(length, kernel, stride, dilation, padding, output_padding):
    """Output length of a transposed convolution (Keras's rule, see the module docstring)."""
    if length is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if output_padding is None:
        return length * stride + (max(effective - stride, 0) if padding == "valid" else 0)
    pad = 0 if padding == "valid" else effective // 2
    return (length - 1) * stride + effective - 2 * pad + output_padding


def transpose_padding(length, kernel, stride, dilation, padding, output_padding):
    """(low, high) padding of the stride-dilated input that turns a plain convolution with the flipped
    kernel into Keras's transposed convolution. The padded length is `out + kd - 1`; "same" puts the
    larger half first, capped at `kd - 1`."""
    effective = (kernel - 1) * dilation + 1
    out = transpose_output_length(length, kernel, stride, dilation, padding, output_padding)
    total = out + effective - 1 - ((length - 1) * stride + 1)
    low = effective - 1 if padding == "valid" else min((total + 1) // 2, effective - 1)
    return low, total - low


# -- the convolution primitive ---------------------------------------------------------------------------
def conv(inputs, kernel, *, data_format, kernel_io="IO", strides=None, padding="valid", dilation_rate=None,
         groups=1, lhs_dilation=None):
    """N-D convolution with a kernel laid out `(*kernel_size, a, b)`; `kernel_io` names `a`, `b` ("IO": input
    channels then output channels; "OI": the reverse, as transposed kernels are stored). It runs through
    `conv_primitive`, which keeps it fast inside compiled loops on CPU.

    `padding` is "valid", "same", "causal" (left padding only, rank 1) or explicit (low, high) pairs.

        >>> conv(jnp.ones((1, 5, 5, 2)), jnp.ones((3, 3, 2, 4)), data_format="channels_last").shape
        (1, 3, 3, 4)
    """
    rank = inputs.ndim - 2
    spatial = _SPATIAL_LETTERS[rank]
    io_spec = "N" + spatial + "C" if data_format == "channels_last" else "NC" + spatial
    strides = strides or (1,) * rank
    dilation_rate = dilation_rate or (1,) * rank
    if padding == "causal":
        padding = [((k - 1) * d, 0) for k, d in zip(kernel.shape[:rank], dilation_rate)]
    elif isinstance(padding, str):
        padding = padding.upper()
    return conv_general_dilated(inputs, kernel.astype(inputs.dtype), window_strides=strides, padding=padding,
                                lhs_dilation=lhs_dilation, rhs_dilation=dilation_rate,
                                dimension_numbers=(io_spec, spatial + kernel_io, io_spec), feature_group_count=groups)


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
