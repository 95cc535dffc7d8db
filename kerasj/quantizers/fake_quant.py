"""`fake_quant_with_min_max_vars`: quantize to `num_bits` levels within `[min_vals, max_vals]` and
dequantize again, with straight-through gradients, so a model trains with the rounding it will meet after
quantization (TensorFlow's `fake_quant_with_min_max_vars`, per tensor or per channel).

The range is first nudged so that 0.0 is exactly representable:

    scale = (max - min) / (q_max - q_min),   q_max = 2**num_bits - 1, q_min = 1 if narrow_range else 0
    zero_point = round(clip(q_min - min / scale, q_min, q_max))
    nudged_min, nudged_max = (q_min - zero_point) * scale, (q_max - zero_point) * scale
    output = round_half_up((clip(x, nudged_min, nudged_max) - nudged_min) / scale) * scale + nudged_min

Gradients: `x` gets the upstream gradient where `nudged_min <= x <= nudged_max`; `min_vals` (`max_vals`)
gets the sum of the upstream gradient where `x <= nudged_min` (`x >= nudged_max`), per channel if `axis`.

    >>> fake_quant_with_min_max_vars(jnp.array([-1.0, 0.3, 2.0]), 0.0, 1.0, num_bits=2)
    Array([0.        , 0.33333334, 1.        ], dtype=float32)
"""
import functools

import jax
import jax.numpy as jnp

from kerasj.ops import _symbolic_aware
from kerasj.ops.core import convert_to_tensor, custom_gradient


def _nudged_range(min_range, max_range, num_bits, narrow_range):
    """`(nudged_min, nudged_max, scale, inv_scale)` in at least float32."""
    compute_dtype = jnp.promote_types(min_range.dtype, jnp.float32)
    min_range = min_range.astype(compute_dtype)
    max_range = max_range.astype(compute_dtype)
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    levels = quant_max - quant_min
    diff = max_range - min_range
    scale = diff / levels
    inv_scale = levels / diff  # computed directly rather than as 1 / scale, for precision
    zero_point = jnp.round(jnp.clip(quant_min - min_range / scale, quant_min, quant_max))
    return (quant_min - zero_point) * scale, (quant_max - zero_point) * scale, scale, inv_scale


def _channel_sum(values, axis, shape):
    """`values` summed to one number per channel (`axis`), or to one number, in the shape of the range."""
    if axis is None:
        total = jnp.sum(values)
    else:
        total = jnp.sum(values, axis=tuple(i for i in range(values.ndim) if i != axis))
    return jnp.reshape(total, shape)


@_symbolic_aware
def fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=8, narrow_range=False, axis=None):
    """Fake-quantize `inputs` to `num_bits` within `[min_vals, max_vals]`, trainable through its gradient.

    Args:
        inputs: a float tensor.
        min_vals, max_vals: the clamping range: scalars (per tensor) or tensors that broadcast against
            `inputs` with one value per channel of `axis`.
        num_bits: the quantization bit width (8: levels 0..255).
        narrow_range: use levels `1..2**num_bits - 1` instead of `0..2**num_bits - 1`.
        axis: the channel axis for per-channel ranges; None for one range.

    Returns:
        A tensor of the shape and dtype of `inputs`, each value one of the `2**num_bits` (or one fewer) levels.

        >>> fake_quant_with_min_max_vars(jnp.array([[0.1, 0.9]]), jnp.array([0.0, 0.0]), jnp.array([1.0, 0.5]),
        ...                              num_bits=2, axis=-1)
        Array([[0. , 0.5]], dtype=float32)
    """
    x = convert_to_tensor(inputs)
    min_vals = convert_to_tensor(min_vals)
    max_vals = convert_to_tensor(max_vals)
    try:
        num_bits = int(num_bits)
    except (TypeError, ValueError):
        num_bits = 0
    if num_bits < 1:
        raise ValueError(f"fake_quant_with_min_max_vars: `num_bits` must be a positive integer; "
                         f"received num_bits={num_bits!r}")
    if axis is not None:
        if not isinstance(axis, int) or not -x.ndim <= axis < x.ndim:
            raise ValueError(f"fake_quant_with_min_max_vars: `axis` must be None or an int in "
                             f"[-{x.ndim}, {x.ndim}) for inputs of rank {x.ndim}; received axis={axis!r}")
        axis = axis % x.ndim
    return _fake_quant(x, min_vals, max_vals, num_bits, bool(narrow_range), axis)


# Compiled once per signature (the custom gradient compiles with it), not dispatched op by op.
@functools.partial(jax.jit, static_argnames=("num_bits", "narrow_range", "axis"))
def _fake_quant(x, min_vals, max_vals, num_bits, narrow_range, axis):
    @custom_gradient
    def fake_quant(x, min_val, max_val):
        nudged_min, nudged_max, scale, inv_scale = _nudged_range(min_val, max_val, num_bits, narrow_range)
        quant_zero = jnp.floor(-nudged_min * inv_scale + 0.5)
        shifted = jnp.clip(x.astype(nudged_min.dtype), nudged_min, nudged_max) - nudged_min
        # Rounding half up (floor(v + 0.5)) in the zero-point-relative grid, as TensorFlow's kernel does.
        result = (jnp.floor(shifted * inv_scale - quant_zero + 0.5) * scale).astype(x.dtype)
        below, above = x <= nudged_min, x >= nudged_max

        def grad(upstream):
            dx = jnp.where(jnp.logical_and(x >= nudged_min, x <= nudged_max), upstream, 0.0)
            d_min = _channel_sum(jnp.where(below, upstream, 0.0), axis, min_val.shape).astype(min_val.dtype)
            d_max = _channel_sum(jnp.where(above, upstream, 0.0), axis, max_val.shape).astype(max_val.dtype)
            return dx, d_min, d_max

        return result, grad

    return fake_quant(x, min_vals, max_vals)
