"""Float8 training helpers (delayed scaling, as NVIDIA's Transformer Engine does it): a history of recent
abs-max values per tensor, a scale computed from it, and quantize-then-dequantize through a float8 dtype.

    >>> history = compute_float8_amax_history(jnp.array([1.0, -3.0]), jnp.zeros(4))
    >>> history
    Array([3., 0., 0., 0.], dtype=float32)
    >>> scale = compute_float8_scale(jnp.max(history), jnp.array(1.0), 448.0)   # e4m3's largest value: 448
    >>> quantize_and_dequantize(jnp.array([1.0, -3.0]), scale, "float8_e4m3fn", "float32")
    Array([ 0.96428573, -3.        ], dtype=float32)
"""
import functools

import jax
import jax.numpy as jnp

from kerasj.ops import _symbolic_aware
from kerasj.ops.core import convert_to_tensor
from kerasj.variables import standardize_dtype


@_symbolic_aware
def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The new float8 scale from the abs-max `amax`: `amax * 2**margin / dtype_max` (the value dividing a
    tensor before its cast to float8), or the old `scale` where `amax` is 0 or not finite.

        >>> compute_float8_scale(jnp.array(896.0), jnp.array(1.0), 448.0)
        Array(2., dtype=float32)
    """
    return _float8_scale(convert_to_tensor(amax), convert_to_tensor(scale), dtype_max, margin)


# Each helper compiles once per signature rather than dispatching its few small ops one by one.
@jax.jit
def _float8_scale(amax, scale, dtype_max, margin):
    old_factor = jnp.reciprocal(scale)
    factor = jnp.divide(jnp.divide(dtype_max, amax), 2**margin)
    # Keep the previous scale rather than divide by zero or propagate inf/nan from an overflowed step.
    factor = jnp.where(amax > 0.0, factor, old_factor)
    factor = jnp.where(jnp.isfinite(amax), factor, old_factor)
    return jnp.reciprocal(factor)


@_symbolic_aware
def compute_float8_amax_history(x, amax_history):
    """`amax_history` rolled one step left (`jnp.roll(history, -1)`) with `max(|x|)` written at index 0, in
    the history's dtype.

        >>> compute_float8_amax_history(jnp.array([-5.0]), jnp.array([1.0, 2.0, 3.0]))
        Array([5., 3., 1.], dtype=float32)
    """
    return _amax_history(convert_to_tensor(x), convert_to_tensor(amax_history))


@jax.jit
def _amax_history(x, amax_history):
    amax = jnp.max(jnp.abs(x)).astype(amax_history.dtype)
    return jnp.roll(amax_history, -1).at[0].set(amax)


@_symbolic_aware
def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """`inputs / scale`, saturated to the range of the float dtype `quantized_dtype`, cast to it and back to
    `compute_dtype`, times `scale`: `inputs` with the precision float8 (or another float dtype) keeps.

        >>> quantize_and_dequantize(jnp.array([0.3, 1000.0]), 1.0, "float8_e4m3fn", "float32")
        Array([3.125e-01, 4.480e+02], dtype=float32)
    """
    quantized_dtype = standardize_dtype(quantized_dtype)
    compute_dtype = standardize_dtype(compute_dtype)
    if not jnp.issubdtype(quantized_dtype, jnp.floating):
        raise ValueError(f"quantize_and_dequantize: `quantized_dtype` must be a float dtype such as "
                         f"'float8_e4m3fn' or 'float8_e5m2'; received quantized_dtype={quantized_dtype!r}")
    return _quantize_and_dequantize(convert_to_tensor(inputs), convert_to_tensor(scale), quantized_dtype,
                                    compute_dtype)


@functools.partial(jax.jit, static_argnames=("quantized_dtype", "compute_dtype"))
def _quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    largest = jnp.asarray(float(jnp.finfo(quantized_dtype).max), dtype=compute_dtype)
    scale = scale.astype(compute_dtype)
    x = jnp.clip(jnp.divide(inputs, scale), -largest, largest)
    return jnp.multiply(x.astype(quantized_dtype).astype(compute_dtype), scale)
