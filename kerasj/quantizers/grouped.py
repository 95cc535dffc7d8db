"""Asymmetric (zero-point) quantization in groups along the input dimension of a weight matrix: each run of
`block_size` rows shares one scale and zero point per column, so weights not centred on zero keep precision.

    scale = (max - min) / (q_max - q_min)                  # per group and column
    zero_point = clip(round(-min / scale) + q_min, q_min, q_max)
    q = clip(round(w / scale) + zero_point, q_min, q_max)  # w ~= (q - zero_point) * scale

    >>> q, scale, zero = abs_max_quantize_grouped_with_zero_point(jnp.ones((6, 2)), block_size=4)
    >>> q.shape, scale.shape, zero.shape
    ((6, 2), (2, 2), (2, 2))
"""
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.ops.core import convert_to_numpy, convert_to_tensor
from kerasj.variables import standardize_dtype


def compute_quantization_parameters(x, *, bits, symmetric=False, per_channel=False, group_size=-1,
                                    compute_dtype="float32", epsilon=0.0, signed=False):
    """`(scale, zero, maxq)` for quantizing the rows of the 2-D weight `x` (`[out_features, in_features]`)
    to `bits` bits: per tensor, per row (`per_channel`) or per row and group of `group_size` columns (the
    columns padded with zeros to whole groups). `scale` and `zero` have shape `[out_features, n_groups]`
    (`n_groups` is 1 unless grouped); `zero` is int8 for the `signed` range [-2**(bits-1), 2**(bits-1) - 1],
    else uint8 for [0, 2**bits - 1]; `maxq` is `2**bits - 1`.

        >>> scale, zero, maxq = compute_quantization_parameters(jnp.array([[0.0, 1.5]]), bits=4)
        >>> scale, zero, maxq
        (Array([[0.1]], dtype=float32), Array([[0]], dtype=uint8), Array(15., dtype=float32))
    """
    x = convert_to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"compute_quantization_parameters: `x` must have rank 2 or more ([out_features, "
                         f"in_features]); received shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"compute_quantization_parameters: `x` must not be empty; received shape {x.shape}")
    return _quantization_parameters(x, bits, symmetric, per_channel, group_size, standardize_dtype(compute_dtype),
                                    epsilon, signed)


# Compiled once per signature rather than dispatched op by op.
@functools.partial(jax.jit, static_argnums=tuple(range(1, 8)))
def _quantization_parameters(x, bits, symmetric, per_channel, group_size, compute_dtype, epsilon, signed):
    out_features, in_features = x.shape[0], x.shape[1]
    n_groups = -(-in_features // group_size) if per_channel and group_size > 0 else 1
    if n_groups > 1:
        pad = n_groups * group_size - in_features
        grouped = jnp.pad(x, [(0, 0), (0, pad)]).reshape(out_features, n_groups, group_size)
        low, high = jnp.min(grouped, axis=2), jnp.max(grouped, axis=2)
    else:
        rows = x.reshape(out_features if per_channel else 1, -1)
        low, high = jnp.min(rows, axis=1), jnp.max(rows, axis=1)
    if symmetric:
        high = jnp.maximum(jnp.abs(low), high)
        low = jnp.where(low < 0, -high, low)
    # A constant slice would give a zero range: widen it by one on each side.
    flat = low == high
    low, high = jnp.where(flat, low - 1, low), jnp.where(flat, high + 1, high)
    maxq = jnp.asarray(2**bits - 1, dtype=compute_dtype)
    spread = high - low
    if epsilon > 0:
        spread = spread + epsilon
    scale = spread / maxq
    scale = jnp.where(scale <= 0, 1e-8, scale)
    if signed:
        q_min, q_max = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        zero = jnp.full_like(scale, (maxq + 1) / 2 + q_min) if symmetric else jnp.round(-low / scale) + q_min
        zero = jnp.clip(zero, q_min, q_max)
    else:
        zero = jnp.full_like(scale, (maxq + 1) / 2) if symmetric else jnp.round(-low / scale)
    if n_groups == 1:
        scale = jnp.broadcast_to(scale.reshape(-1, 1), (out_features, 1))
        zero = jnp.broadcast_to(zero.reshape(-1, 1), (out_features, 1))
    return scale, zero.astype("int8" if signed else "uint8"), maxq


def _check(inputs, block_size, value_range):
    if inputs.ndim != 2:
        raise ValueError(f"abs_max_quantize_grouped_with_zero_point: `inputs` must be 2-D (input_dim, "
                         f"output_dim); received shape {inputs.shape}")
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size <= 0:
        raise ValueError(f"abs_max_quantize_grouped_with_zero_point: `block_size` must be a positive integer; "
                         f"received block_size={block_size!r}")
    low, high = value_range
    if not low < high:
        raise ValueError(f"abs_max_quantize_grouped_with_zero_point: `value_range` must be (min, max) with "
                         f"min < max; received value_range={value_range!r}")
    return low, high


def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7), dtype="int8",
                                             epsilon=config.epsilon(), to_numpy=False):
    """Quantize the 2-D `inputs` (`(input_dim, output_dim)`) with one scale and zero point per group of
    `block_size` rows and per column.

    Args:
        inputs: the weight matrix.
        block_size: rows per group; the last group may be shorter.
        value_range: `(min, max)` of the quantized values (the bit width follows from it: (-8, 7) is 4 bits).
        dtype: the dtype of the quantized values.
        epsilon: added to each group's range.
        to_numpy: compute on the host with numpy (saves device memory). The two paths differ slightly, as in
            Keras: numpy pads every short group with zeros before taking min/max and does not widen constant
            groups.

    Returns:
        `(quantized, scale, zero_point)`: `quantized` in `dtype` with the shape of `inputs`; `scale` (in the
        dtype of `inputs`) and the int8 `zero_point` of shape `(ceil(input_dim / block_size), output_dim)`.
    """
    if to_numpy:
        x = convert_to_numpy(inputs)
        low, high = _check(x, block_size, value_range)
        input_dim, output_dim = x.shape
        n_groups = math.ceil(input_dim / block_size)
        padded = np.concatenate([x, np.zeros((n_groups * block_size - input_dim, output_dim), x.dtype)])
        groups = padded.reshape(n_groups, block_size, output_dim)
        g_min, g_max = groups.min(axis=1, keepdims=True), groups.max(axis=1, keepdims=True)
        scale = (g_max - g_min + epsilon) / (high - low)
        zero = np.clip(np.round(-g_min / scale) + low, low, high)
        q = np.clip(np.round(groups / scale) + zero, low, high).astype(dtype)
        q = q.reshape(n_groups * block_size, output_dim)[:input_dim]
        return (jnp.asarray(q), jnp.asarray(scale[:, 0], dtype=standardize_dtype(x.dtype)),
                jnp.asarray(zero[:, 0].astype("int8")))
    x = convert_to_tensor(inputs)
    low, high = _check(x, block_size, value_range)
    return _grouped(x, block_size, low, high, standardize_dtype(dtype), epsilon)


@functools.partial(jax.jit, static_argnums=(1, 2, 3, 4, 5))
def _grouped(x, block_size, low, high, dtype, epsilon):
    input_dim, output_dim = x.shape
    bits = int(math.log2(high - low + 1))
    n_groups = math.ceil(input_dim / block_size)
    scale, zero, _ = _quantization_parameters(
        x.T, bits, False, True, block_size, x.dtype.name, epsilon, True)  # asymmetric, signed, grouped
    scale, zero = scale.T, zero.T
    groups = jnp.pad(x, [(0, n_groups * block_size - input_dim), (0, 0)]).reshape(n_groups, block_size, output_dim)
    q = jnp.clip(jnp.round(groups / scale[:, None]) + zero[:, None], low, high).astype(dtype)
    return q.reshape(n_groups * block_size, output_dim)[:input_dim], scale, zero
