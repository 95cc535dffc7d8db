"""Convolution and pooling maths shared by `kerasj.ops` (conv, conv_transpose, image ops) and the convolution
and pooling layers: output-length rules, the padding of a transposed convolution, and `conv`, the one call of
`conv_general_dilated` they all go through.

A kernel is always stored as `(*kernel_size, a, b)` whatever the data format (Keras 3's layout); which of
`a`, `b` is the input side depends on the caller (`kernel_io` below).

Output lengths along one spatial axis of size `n`, with effective kernel size `kd = (k - 1) * d + 1`:

- "valid": `(n - kd) // s + 1`; "same" and "causal": `ceil(n / s)`;
- transposed, `output_padding=None`: "valid" `n * s + max(kd - s, 0)`, "same" `n * s`;
- transposed, with `output_padding=p`: `(n - 1) * s + kd - 2 * pad + p`, `pad = 0` ("valid") or `kd // 2`.
"""
from kerasj.ops.conv_primitive import conv_general_dilated

_SPATIAL_LETTERS = {1: "W", 2: "HW", 3: "DHW"}


def conv_output_length(length, kernel, stride, dilation, padding):
    """Output length of a (non-transposed) convolution or pooling window; None stays None.

        >>> conv_output_length(28, 3, 2, 1, "valid")
        13
    """
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
