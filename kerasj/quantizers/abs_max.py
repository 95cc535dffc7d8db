"""Symmetric abs-max quantization: `abs_max_quantize` and the `AbsMaxQuantizer` that applies it.

Along `axis`, the largest magnitude maps to `value_range[1]`:

    scale = value_range[1] / (max(|x|, axis) + epsilon)
    q = clip(round(x * scale), *value_range)            # x ~= q / scale

    >>> q, scale = abs_max_quantize(jnp.array([[1.0, -2.0], [0.5, 0.25]]), axis=-1)
    >>> q
    Array([[  64, -127],
           [ 127,   63]], dtype=int8)
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.ops import _symbolic_aware
from kerasj.ops.core import convert_to_numpy, convert_to_tensor
from kerasj.quantizers.base import Quantizer
from kerasj.variables import standardize_dtype


def _axis_argument(axis, owner):
    """An int or a tuple of ints (what jnp reductions take); lists become tuples."""
    if isinstance(axis, (list, tuple)) and all(isinstance(a, (int, np.integer)) for a in axis):
        return tuple(int(a) for a in axis)
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    raise ValueError(f"{owner}: `axis` must be an int or a tuple of ints; received axis={axis!r}")


def _value_range_argument(value_range, owner):
    try:
        low, high = value_range
    except (TypeError, ValueError):
        low = high = None
    if not all(isinstance(v, (int, float, np.integer, np.floating)) for v in (low, high)) or not low < high:
        raise ValueError(f"{owner}: `value_range` must be a pair (min, max) of numbers with min < max; "
                         f"received value_range={value_range!r}")
    return low, high


# Compiled once per input signature: run op by op, the handful of small ops costs more to dispatch (and, for
# each new shape, to compile) than the whole fused computation.
@functools.partial(jax.jit, static_argnames=("axis", "low", "high", "dtype", "epsilon"))
def _abs_max_quantize(x, axis, low, high, dtype, epsilon):
    scale = jnp.divide(high, jnp.add(jnp.max(jnp.abs(x), axis=axis, keepdims=True), epsilon)).astype(x.dtype)
    outputs = jnp.clip(jnp.round(jnp.multiply(x, scale)), low, high)
    return outputs.astype(dtype), scale


@_symbolic_aware
def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8", epsilon=config.epsilon(),
                     to_numpy=False):
    """Quantize `inputs` so that its largest magnitude along `axis` maps to `value_range[1]`.

    Args:
        inputs: the float tensor to quantize.
        axis: the axis (int or tuple of ints) over which one scale is shared; the scale keeps it with size 1.
        value_range: `(min, max)` of the quantized values.
        dtype: the dtype of the quantized values.
        epsilon: added to the abs-max so all-zero slices give a finite scale.
        to_numpy: compute on the host with numpy (saves device memory when quantizing large weights; not
            traceable by `jax.jit`).

    Returns:
        `(quantized, scale)`: `quantized` in `dtype`, `scale` in the dtype of `inputs`; `quantized / scale`
        approximates `inputs`.

        >>> q, scale = abs_max_quantize(jnp.array([0.5, -1.0]), axis=0)
        >>> q, scale
        (Array([  63, -127], dtype=int8), Array([126.999985], dtype=float32))
    """
    axis = _axis_argument(axis, "abs_max_quantize")
    low, high = _value_range_argument(value_range, "abs_max_quantize")
    if to_numpy:
        x = convert_to_numpy(inputs)
        original_dtype = standardize_dtype(x.dtype)
        scale = np.divide(high, np.add(np.max(np.abs(x), axis=axis, keepdims=True), epsilon))
        outputs = np.clip(np.round(np.multiply(x, scale)), low, high).astype(dtype)
        return jnp.asarray(outputs), jnp.asarray(scale, dtype=original_dtype)
    return _abs_max_quantize(convert_to_tensor(inputs), axis, low, high, standardize_dtype(dtype), epsilon)


class AbsMaxQuantizer(Quantizer):
    """A `Quantizer` applying `abs_max_quantize`: `quantizer(x, axis=-1)` gives `(quantized, scale)`.

    Args:
        axis: the default reduction axis (deprecated in Keras in favour of the call's `axis`); with neither,
            the last axis.
        value_range: `(min, max)` of the quantized values; within [-128, 127] for "int8".
        epsilon: added to the abs-max so all-zero slices give a finite scale.
        output_dtype: the dtype of the quantized values.

        >>> q, scale = AbsMaxQuantizer()(jnp.array([[2.0, -1.0]]))
        >>> q
        Array([[ 127, -64]], dtype=int8)
    """

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=config.epsilon(), output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        if axis is not None:
            axis = _axis_argument(axis, "AbsMaxQuantizer")
            axis = (axis,) if isinstance(axis, int) else axis
        self.axis = axis
        # Kept as a tuple whatever sequence it came in (a config read from JSON holds a list).
        self.value_range = tuple(_value_range_argument(value_range, "AbsMaxQuantizer"))
        self.epsilon = epsilon
        if output_dtype == "int8" and (self.value_range[0] < -128 or self.value_range[1] > 127):
            raise ValueError(f"AbsMaxQuantizer: with output_dtype='int8', `value_range` must lie within "
                             f"[-128, 127]; received value_range={value_range!r}")

    def __call__(self, x, axis=None, to_numpy=False):
        """`(quantized, scale)` of `x` along `axis` (default: the constructor's axis, else -1)."""
        if axis is None:
            axis = self.axis if self.axis is not None else -1
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon, to_numpy)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon, "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config
