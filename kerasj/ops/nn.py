"""Neural-network ops of `keras.ops`: activations, cross-entropies, normalisation, convolution, pooling,
one-hot encoding and attention. Names, arguments and defaults follow Keras 3 (`keras.ops.nn`).

Convolutions go through `kerasj.layers.conv_base.conv` (and so `conv_primitive.conv_general_dilated`, the
fast CPU path), with kernels laid out as Keras stores them: `(*kernel_size, in_channels, out_channels)`.

    >>> from kerasj import ops
    >>> ops.softmax(jnp.zeros(4))
    Array([0.25, 0.25, 0.25, 0.25], dtype=float32)
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kerasj import config
from kerasj.ops.conv_math import conv as _conv, transpose_padding
from kerasj.ops.core import _t
from kerasj.variables import standardize_dtype


# -- activations ------------------------------------------------------------------------------------------
def relu(x):
    """`max(x, 0)`.

        >>> relu(jnp.array([-1.0, 2.0]))
        Array([0., 2.], dtype=float32)
    """
    return jax.nn.relu(_t(x))


def relu6(x):
    """`min(max(x, 0), 6)`."""
    return jax.nn.relu6(_t(x))


def sigmoid(x):
    """`1 / (1 + exp(-x))`."""
    return jax.nn.sigmoid(_t(x))


def sparse_sigmoid(x):
    """Piecewise-linear sigmoid: 0 below -1, 1 above 1, `(x + 1) / 2` between."""
    return jnp.clip(0.5 * (_t(x) + 1.0), 0.0, 1.0)


def softplus(x):
    """`log(1 + exp(x))`."""
    return jax.nn.softplus(_t(x))


def softsign(x):
    """`x / (1 + |x|)`."""
    return jax.nn.soft_sign(_t(x))


def silu(x):
    """`x * sigmoid(x)` (a.k.a. swish)."""
    return jax.nn.silu(_t(x))


swish = silu


def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably."""
    return jax.nn.log_sigmoid(_t(x))


def leaky_relu(x, negative_slope=0.2):
    """`x` if positive else `negative_slope * x`."""
    return jax.nn.leaky_relu(_t(x), negative_slope=negative_slope)


def hard_sigmoid(x):
    """`relu6(x + 3) / 6`."""
    return jax.nn.hard_sigmoid(_t(x))


def hard_silu(x):
    """`x * hard_sigmoid(x)`."""
    return jax.nn.hard_silu(_t(x))


hard_swish = hard_silu


def elu(x, alpha=1.0):
    """`x` if positive else `alpha * (exp(x) - 1)`."""
    return jax.nn.elu(_t(x), alpha=alpha)


def selu(x):
    """Scaled ELU with the self-normalising constants."""
    return jax.nn.selu(_t(x))


def celu(x, alpha=1.0):
    """`max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`."""
    return jax.nn.celu(_t(x), alpha=alpha)


def gelu(x, approximate=True):
    """Gaussian error linear unit (tanh approximation by default)."""
    return jax.nn.gelu(_t(x), approximate=approximate)


def glu(x, axis=-1):
    """Gated linear unit: `a * sigmoid(b)` for the two halves `a`, `b` of `x` along `axis`."""
    return jax.nn.glu(_t(x), axis=axis)


def tanh_shrink(x):
    """`x - tanh(x)`."""
    x = _t(x)
    return x - jnp.tanh(x)


def hard_tanh(x):
    """`x` clipped to [-1, 1]."""
    return jnp.clip(_t(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0."""
    x = _t(x)
    return jnp.where(jnp.abs(x) > threshold, x, jnp.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    """`x` moved `threshold` towards 0, and 0 inside `[-threshold, threshold]`."""
    x = _t(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, jnp.zeros_like(x)))


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    x = _t(x)
    return jnp.where(x > threshold, x, jnp.asarray(default_value, x.dtype))


def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`."""
    x = _t(x)
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2


def sparse_plus(x):
    """0 below -1, `x` above 1, `(x + 1)**2 / 4` between."""
    x = _t(x)
    return jnp.where(x <= -1, jnp.zeros_like(x), jnp.where(x >= 1, x, jnp.square(x + 1) / 4))


def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis`.

        >>> softmax(jnp.array([0.0, 0.0]))
        Array([0.5, 0.5], dtype=float32)
    """
    return jax.nn.softmax(_t(x), axis=axis)


def log_softmax(x, axis=-1):
    """`log(softmax(x))` along `axis`, computed stably."""
    return jax.nn.log_softmax(_t(x), axis=axis)


def sparsemax(x, axis=-1):
    """Euclidean projection of `x` onto the probability simplex along `axis` (sparse softmax)."""
    x = jnp.moveaxis(_t(x), axis, -1)
    z = jnp.sort(x, axis=-1)[..., ::-1]
    k = jnp.arange(1, x.shape[-1] + 1, dtype=x.dtype)
    cumsum = jnp.cumsum(z, axis=-1)
    support = (1 + k * z) > cumsum
    k_max = jnp.sum(support, axis=-1, keepdims=True)
    tau = (jnp.take_along_axis(cumsum, k_max - 1, axis=-1) - 1) / k_max.astype(x.dtype)
    return jnp.moveaxis(jnp.maximum(x - tau, 0), -1, axis)


# -- losses -----------------------------------------------------------------------------------------------
def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy (no reduction); probabilities are clipped to
    `[epsilon, 1 - epsilon]`.

        >>> binary_crossentropy(jnp.array([1.0]), jnp.array([0.5]))
        Array([0.6931472], dtype=float32)
    """
    target, output = _t(target), _t(output)
    _check_same_shape(target, output, "binary_crossentropy")
    if from_logits:
        return -(target * jax.nn.log_sigmoid(output) + (1 - target) * jax.nn.log_sigmoid(-output))
    eps = config.epsilon()
    output = jnp.clip(output, eps, 1.0 - eps)
    return -(target * jnp.log(output) + (1 - target) * jnp.log(1 - output))


def _check_same_shape(target, output, name):
    if target.shape != output.shape:
        raise ValueError(f"{name}: `target` and `output` must have the same shape; received "
                         f"target.shape={target.shape}, output.shape={output.shape}.")


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) `target` and `output` along `axis` (no batch reduction).

        >>> categorical_crossentropy(jnp.array([[0.0, 1.0]]), jnp.array([[0.5, 0.5]]))
        Array([0.6931472], dtype=float32)
    """
    target, output = _t(target), _t(output)
    _check_same_shape(target, output, "categorical_crossentropy")
    if from_logits:
        log_prob = jax.nn.log_softmax(output, axis=axis)
    else:
        output = output / jnp.sum(output, axis=axis, keepdims=True)
        eps = config.epsilon()
        log_prob = jnp.log(jnp.clip(output, eps, 1.0 - eps))
    return -jnp.sum(target * log_prob, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer class `target` and class scores `output` along `axis`.

        >>> sparse_categorical_crossentropy(jnp.array([1]), jnp.array([[0.5, 0.5]]))
        Array([0.6931472], dtype=float32)
    """
    target, output = _t(target), _t(output)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, -1)
    if target.ndim != output.ndim - 1:
        raise ValueError("sparse_categorical_crossentropy: `target` must have one axis fewer than `output`; "
                         f"received target.shape={target.shape}, output.shape={output.shape}.")
    onehot = jax.nn.one_hot(target.astype("int32"), output.shape[axis], axis=axis, dtype=output.dtype)
    return categorical_crossentropy(onehot, output, from_logits=from_logits, axis=axis)


# -- encodings --------------------------------------------------------------------------------------------
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encoding of integer `x` (out-of-range indices encode as all zeros).

        >>> one_hot(jnp.array([1]), 3)
        Array([[0., 1., 0.]], dtype=float32)
    """
    return jax.nn.one_hot(_t(x), num_classes, axis=axis, dtype=standardize_dtype(dtype))


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encoding: the one-hot encodings of the last axis of `inputs`, combined with `max`."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    inputs = _t(inputs)
    squeeze_batch = inputs.ndim == 1
    if squeeze_batch:
        inputs = inputs[None]
    encoded = jnp.max(jax.nn.one_hot(inputs, num_classes, axis=axis, dtype=standardize_dtype(dtype)), axis=-2)
    return encoded[0] if squeeze_batch else encoded


# -- normalisation ----------------------------------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False):
    """`(mean, variance)` of `x` over `axes`.

        >>> moments(jnp.array([1.0, 3.0]), axes=[0])
        (Array(2., dtype=float32), Array(1., dtype=float32))
    """
    x = _t(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    # Low-precision inputs are reduced in float32, as Keras does, then cast back.
    compute = x.astype("float32") if x.dtype in (jnp.float16, jnp.bfloat16) else x
    mean = jnp.mean(compute, axis=axes, keepdims=True)
    variance = jnp.mean(jnp.square(compute - lax.stop_gradient(mean)), axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = jnp.squeeze(mean, axes), jnp.squeeze(variance, axes)
    return mean.astype(x.dtype), variance.astype(x.dtype)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, with the 1-D statistics laid along `axis`."""
    x = _t(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def along(v):
        return jnp.reshape(_t(v), shape)

    inv = lax.rsqrt(along(variance) + epsilon)
    if scale is not None:
        inv = inv * along(scale)
    out = (x - along(mean)) * inv
    return out if offset is None else out + along(offset)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """`x` normalised to zero mean, unit variance over `axis`, then scaled by `gamma` and shifted by `beta`."""
    x = _t(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    mean, variance = moments(x, axes, keepdims=True)
    out = (x - mean) * lax.rsqrt(variance + epsilon)
    if gamma is not None:
        out = out * _t(gamma)
    return out if beta is None else out + _t(beta)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x**2) + epsilon)` over `axis`, times `scale`."""
    x = _t(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    out = x * lax.rsqrt(jnp.mean(jnp.square(x), axis=axis, keepdims=True) + epsilon)
    return out if scale is None else out * _t(scale)


def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm along `axis` (at least `epsilon`)."""
    x = _t(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, epsilon)


# -- convolution ------------------------------------------------------------------------------------------
def _data_format(data_format, op):
    data_format = config.image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: `data_format` must be 'channels_last' or 'channels_first'; "
                         f"received {data_format!r}.")
    return data_format


def _tuple(value, n):
    return (int(value),) * n if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)


def _padding(padding, op):
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"{op}: `padding` must be 'valid' or 'same'; received {padding!r}.")
    return padding


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution; `kernel` is `(*kernel_size, in_channels / groups, out_channels)` (groups inferred).

        >>> conv(jnp.ones((1, 5, 5, 2)), jnp.ones((3, 3, 2, 4))).shape
        (1, 3, 3, 4)
    """
    inputs, kernel = _t(inputs), _t(kernel)
    data_format = _data_format(data_format, "conv")
    rank = inputs.ndim - 2
    channels = inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]
    if channels % kernel.shape[-2]:
        raise ValueError(f"conv: input channels ({channels}) must be a multiple of the kernel's input channels "
                         f"(kernel.shape[-2]={kernel.shape[-2]}).")
    return _conv(inputs, kernel, data_format=data_format, strides=_tuple(strides, rank),
                 padding=_padding(padding, "conv"), dilation_rate=_tuple(dilation_rate, rank),
                 groups=channels // kernel.shape[-2])


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution; `kernel` is `(*kernel_size, in_channels, depth_multiplier)`."""
    inputs, kernel = _t(inputs), _t(kernel)
    data_format = _data_format(data_format, "depthwise_conv")
    rank = inputs.ndim - 2
    kernel = jnp.reshape(kernel, kernel.shape[:-2] + (1, kernel.shape[-2] * kernel.shape[-1]))
    return _conv(inputs, kernel, data_format=data_format, strides=_tuple(strides, rank),
                 padding=_padding(padding, "depthwise_conv"), dilation_rate=_tuple(dilation_rate, rank),
                 groups=_channels(inputs, data_format))


def _channels(inputs, data_format):
    return inputs.shape[-1] if data_format == "channels_last" else inputs.shape[1]


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution."""
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, strides=1, padding="valid", data_format=data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """N-D transposed convolution; `kernel` is `(*kernel_size, out_channels, in_channels)` as Keras stores it.

        >>> conv_transpose(jnp.ones((1, 3, 3, 2)), jnp.ones((2, 2, 4, 2)), strides=2).shape
        (1, 6, 6, 4)
    """
    inputs, kernel = _t(inputs), _t(kernel)
    data_format = _data_format(data_format, "conv_transpose")
    padding = _padding(padding, "conv_transpose")
    rank = inputs.ndim - 2
    strides, dilation = _tuple(strides, rank), _tuple(dilation_rate, rank)
    pads = (None,) * rank if output_padding is None else _tuple(output_padding, rank)
    spatial = inputs.shape[1:-1] if data_format == "channels_last" else inputs.shape[2:]
    explicit = [transpose_padding(n, k, s, d, padding, p)
                for n, k, s, d, p in zip(spatial, kernel.shape[:rank], strides, dilation, pads)]
    kernel = jnp.flip(kernel, axis=tuple(range(rank)))
    return _conv(inputs, kernel, data_format=data_format, kernel_io="OI", padding=explicit, lhs_dilation=strides,
                 dilation_rate=dilation)


# -- pooling ----------------------------------------------------------------------------------------------
def _pool_window(inputs, pool_size, strides, data_format):
    rank = inputs.ndim - 2
    pool_size = _tuple(pool_size, rank)
    strides = pool_size if strides is None else _tuple(strides, rank)
    if data_format == "channels_last":
        return (1,) + pool_size + (1,), (1,) + strides + (1,)
    return (1, 1) + pool_size, (1, 1) + strides


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max over sliding `pool_size` windows (stride `pool_size` by default).

        >>> max_pool(jnp.arange(4.0).reshape(1, 4, 1), 2)[0, :, 0]
        Array([1., 3.], dtype=float32)
    """
    inputs = _t(inputs)
    window, strides = _pool_window(inputs, pool_size, strides, _data_format(data_format, "max_pool"))
    init = -np.inf if jnp.issubdtype(inputs.dtype, jnp.floating) else jnp.iinfo(inputs.dtype).min
    return lax.reduce_window(inputs, np.array(init, inputs.dtype), lax.max, window, strides,
                             _padding(padding, "max_pool").upper())


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Mean over sliding `pool_size` windows; with "same" padding only the real (unpadded) values count."""
    inputs = _t(inputs)
    window, strides = _pool_window(inputs, pool_size, strides, _data_format(data_format, "average_pool"))
    padding = _padding(padding, "average_pool").upper()
    zero = np.array(0, inputs.dtype)
    total = lax.reduce_window(inputs, zero, lax.add, window, strides, padding)
    if padding == "VALID":
        return total / np.prod(window).astype(inputs.dtype)
    counts = lax.reduce_window(jnp.ones_like(inputs), zero, lax.add, window, strides, padding)
    return total / counts


# -- attention --------------------------------------------------------------------------------------------
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention on `(batch, length, heads, head_dim)` tensors; `mask` (bool) marks the
    allowed positions, `scale` defaults to `1 / sqrt(head_dim)`.

        >>> q = jnp.ones((1, 4, 2, 8))
        >>> dot_product_attention(q, q, q).shape
        (1, 4, 2, 8)
    """
    query, key, value = _t(query), _t(key), _t(value)
    if attn_logits_soft_cap is not None:
        raise ValueError("dot_product_attention: `attn_logits_soft_cap` is not supported by kerasj; "
                         f"received {attn_logits_soft_cap!r}.")
    return jax.nn.dot_product_attention(query, key, value, bias=None if bias is None else _t(bias),
                                        mask=None if mask is None else _t(mask).astype(bool), scale=scale,
                                        is_causal=is_causal)


# -- image-like helpers -----------------------------------------------------------------------------------
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio (dB) between `x1` and `x2` with pixel range `max_val`.

        >>> psnr(jnp.zeros(4), jnp.full(4, 0.1), 1.0)
        Array(20., dtype=float32)
    """
    x1, x2 = _t(x1), _t(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: `x1` and `x2` must have the same shape; received {x1.shape} and {x2.shape}.")
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20.0 * jnp.log10(max_val) - 10.0 * jnp.log10(mse)


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into `block_size x block_size` spatial tiles (inverse of `space_to_depth`).
    channels_last splits channels as (row, col, channel) like TensorFlow; channels_first as
    (channel, row, col) like PyTorch's pixel shuffle - both as Keras does.

        >>> depth_to_space(jnp.ones((1, 2, 2, 8)), 2).shape
        (1, 4, 4, 2)
    """
    x, bs = _t(x), int(block_size)
    if _data_format(data_format, "depth_to_space") == "channels_first":
        n, c, h, w = x.shape
        x = x.reshape(n, c // (bs * bs), bs, bs, h, w).transpose(0, 1, 4, 2, 5, 3)
        return x.reshape(n, c // (bs * bs), h * bs, w * bs)
    n, h, w, c = x.shape
    x = x.reshape(n, h, w, bs, bs, c // (bs * bs)).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(n, h * bs, w * bs, c // (bs * bs))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves `block_size x block_size` spatial tiles into the channel axis (inverse of `depth_to_space`).

        >>> space_to_depth(jnp.ones((1, 4, 4, 2)), 2).shape
        (1, 2, 2, 8)
    """
    x, bs = _t(x), int(block_size)
    if _data_format(data_format, "space_to_depth") == "channels_first":
        n, c, h, w = x.shape
        x = x.reshape(n, c, h // bs, bs, w // bs, bs).transpose(0, 1, 3, 5, 2, 4)
        return x.reshape(n, c * bs * bs, h // bs, w // bs)
    n, h, w, c = x.shape
    x = x.reshape(n, h // bs, bs, w // bs, bs, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(n, h // bs, w // bs, bs * bs * c)


# -- sequence losses --------------------------------------------------------------------------------------
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist Temporal Classification loss per sample; `output` holds logits `(batch, time, classes)`,
    `target` integer labels `(batch, max_label_length)`, and `mask_index` is the blank class.

        >>> ctc_loss(jnp.array([[1]]), jnp.zeros((1, 2, 3)), jnp.array([1]), jnp.array([2])).shape
        (1,)
    """
    import optax  # optax is a kerasj dependency; imported here because only this op needs it
    target, output = _t(target).astype("int32"), _t(output)
    time_steps, label_steps = output.shape[1], target.shape[1]
    logit_paddings = (jnp.arange(time_steps)[None, :] >= _t(output_length)[:, None]).astype(output.dtype)
    label_paddings = (jnp.arange(label_steps)[None, :] >= _t(target_length)[:, None]).astype(output.dtype)
    return optax.ctc_loss(output, logit_paddings, target, label_paddings, blank_id=mask_index)


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True,
               mask_index=0):
    """Greedy CTC decoding of `inputs` `(batch, time, classes)` (log-probabilities, e.g. a log_softmax):
    returns `(decoded, scores)` with `decoded` of shape `(1, batch, time)` (labels packed to the left, padded
    with -1) and `scores` `(batch, 1)`, minus the summed best per-step inputs, as Keras computes it.
    Only `strategy="greedy"` is supported.

        >>> ctc_decode(jnp.log(jnp.array([[[0.1, 0.9], [0.8, 0.2]]])), jnp.array([2]))[0]
        Array([[[ 1, -1]]], dtype=int32)
    """
    if strategy != "greedy":
        raise ValueError(f"ctc_decode: only strategy='greedy' is supported by kerasj; received {strategy!r}.")
    log_probs = _t(inputs)
    batch, time_steps = log_probs.shape[:2]
    valid = jnp.arange(time_steps)[None, :] < _t(sequence_lengths)[:, None]
    best = jnp.argmax(log_probs, axis=-1).astype("int32")
    scores = -jnp.sum(jnp.where(valid, jnp.max(log_probs, axis=-1), 0.0), axis=1, keepdims=True)
    keep = valid & (best != mask_index)
    if merge_repeated:
        repeated = jnp.concatenate([jnp.zeros((batch, 1), bool), best[:, 1:] == best[:, :-1]], axis=1)
        keep = keep & ~repeated
    # Stable-sort kept steps first, then scatter them to the left of a -1-filled row.
    order = jnp.argsort(~keep, axis=1, stable=True)
    packed = jnp.take_along_axis(jnp.where(keep, best, -1), order, axis=1)
    return packed[None], scores


# -- adaptive pooling -------------------------------------------------------------------------------------
def _adaptive_pool(inputs, output_size, data_format, reduce, op):
    inputs = _t(inputs)
    data_format = _data_format(data_format, op)
    rank = inputs.ndim - 2
    output_size = _tuple(output_size, rank)
    x = inputs if data_format == "channels_last" else jnp.moveaxis(inputs, 1, -1)
    for axis, out_len in enumerate(output_size, start=1):
        in_len = x.shape[axis]
        # Bin i covers [floor(i * in / out), ceil((i + 1) * in / out)), so bins may overlap.
        pieces = [reduce(lax.slice_in_dim(x, (i * in_len) // out_len, -(-((i + 1) * in_len) // out_len),
                                          axis=axis), axis=axis, keepdims=True) for i in range(out_len)]
        x = jnp.concatenate(pieces, axis=axis)
    return x if data_format == "channels_last" else jnp.moveaxis(x, -1, 1)


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Mean pooling to a fixed `output_size` (int or tuple) whatever the input's spatial size.

        >>> adaptive_average_pool(jnp.ones((1, 7, 5, 3)), (2, 2)).shape
        (1, 2, 2, 3)
    """
    return _adaptive_pool(inputs, output_size, data_format, jnp.mean, "adaptive_average_pool")


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed `output_size` (int or tuple) whatever the input's spatial size."""
    return _adaptive_pool(inputs, output_size, data_format, jnp.max, "adaptive_max_pool")


# keras.ops.nn also holds fold, unfold and polar, written in nn_extra.py to keep this file readable.
from kerasj.ops.nn_extra import *  # noqa: E402, F401, F403
