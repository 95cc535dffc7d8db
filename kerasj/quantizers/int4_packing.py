"""Two int4 values per byte: `pack_int4` stores consecutive pairs along an axis in one int8 (or uint8)
element, the first in the low nibble and the second in the high nibble; `unpack_int4` reverses it.

    >>> packed, packed_shape, length = pack_int4(jnp.array([[-3, 7], [2, -8], [1, 0]], dtype="int8"))
    >>> packed, packed_shape, length
    (Array([[  45, -121],
           [   1,    0]], dtype=int8), (2, 2), 3)
    >>> unpack_int4(packed, length)
    Array([[-3,  7],
           [ 2, -8],
           [ 1,  0]], dtype=int8)
"""
import functools

import jax
import jax.numpy as jnp
from jax import lax

from kerasj.ops import _symbolic_aware
from kerasj.ops.core import convert_to_tensor
from kerasj.variables import standardize_dtype

_BYTE_DTYPES = ("int8", "uint8")


def _check_byte_dtype(dtype, owner):
    if dtype not in _BYTE_DTYPES:
        raise ValueError(f"{owner}: `dtype` must be 'int8' or 'uint8'; received dtype={dtype!r}")


def _check_axis(axis, rank, owner):
    if not isinstance(axis, int) or isinstance(axis, bool) or not -rank <= axis < rank:
        raise ValueError(f"{owner}: `axis` must be an int in [-{rank}, {rank}) for a tensor of rank {rank}; "
                         f"received axis={axis!r}")
    return axis % rank


def pack_int4(arr, axis=0, dtype="int8"):
    """Pack the int4 values of `arr` (in [-8, 7], or [0, 15] for "uint8") two per byte along `axis`.

    An odd length is padded with one zero. The bit work is done on unsigned bytes, so no signed shift
    overflows on any device, and the function runs under `jax.jit`.

    Args:
        arr: an `int8` (or, with `dtype="uint8"`, `uint8`) tensor of int4 values.
        axis: the axis along which pairs are packed.
        dtype: "int8" or "uint8": the dtype of `arr` and of the result.

    Returns:
        `(packed, packed_shape, orig_len)`: the packed tensor, its shape as a tuple, and the length of `axis`
        before padding (what `unpack_int4` needs).

        >>> pack_int4(jnp.array([[-3, 7, 2], [-8, 1, 0]], dtype="int8"), axis=1)[0]
        Array([[125,   2],
               [ 24,   0]], dtype=int8)
    """
    _check_byte_dtype(dtype, "pack_int4")
    x = convert_to_tensor(arr)
    if standardize_dtype(x.dtype) != dtype:
        raise TypeError(f"pack_int4: `arr` must be a {dtype} tensor (as `dtype`={dtype!r}); received an array "
                        f"of dtype {standardize_dtype(x.dtype)}")
    axis = _check_axis(axis, x.ndim, "pack_int4")
    packed = _pack(x, axis)
    return packed, tuple(packed.shape), x.shape[axis]


# Compiled once per signature, like _unpack: the bit work is a dozen small ops.
@functools.partial(jax.jit, static_argnames=("axis",))
def _pack(x, axis):
    dtype = x.dtype
    x = jnp.moveaxis(lax.bitcast_convert_type(x, jnp.uint8), axis, 0)
    if x.shape[0] % 2:
        x = jnp.concatenate([x, jnp.zeros((1,) + x.shape[1:], jnp.uint8)], axis=0)
    low, high = x[0::2] & 0x0F, x[1::2] & 0x0F
    return lax.bitcast_convert_type(jnp.moveaxis(low | (high << 4), 0, axis), dtype)


@_symbolic_aware
def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """Unpack what `pack_int4` packed along `axis` back to `orig_len` values: signed int4 in [-8, 7] for
    `dtype="int8"`, nibbles in [0, 15] for "uint8". Runs under `jax.jit` (`orig_len` is static).

        >>> unpack_int4(jnp.array([[125, 2], [24, 0]], dtype="int8"), 3, axis=1)
        Array([[-3,  7,  2],
               [-8,  1,  0]], dtype=int8)
    """
    _check_byte_dtype(dtype, "unpack_int4")
    x = convert_to_tensor(packed)
    if standardize_dtype(x.dtype) not in _BYTE_DTYPES:
        raise TypeError(f"unpack_int4: `packed` must be an int8 or uint8 tensor; received an array of dtype "
                        f"{standardize_dtype(x.dtype)}")
    axis = _check_axis(axis, x.ndim, "unpack_int4")
    if not isinstance(orig_len, int) or not 0 <= orig_len <= 2 * x.shape[axis]:
        raise ValueError(f"unpack_int4: `orig_len` must be an int in [0, {2 * x.shape[axis]}] (two values per "
                         f"packed element along axis {axis}); received orig_len={orig_len!r}")
    return _unpack(x, orig_len, axis, dtype)


@functools.partial(jax.jit, static_argnames=("orig_len", "axis", "dtype"))
def _unpack(x, orig_len, axis, dtype):
    # Nibbles in int32: exact for both byte dtypes, and the sign extension below cannot wrap.
    x = jnp.moveaxis(x, axis, 0).astype(jnp.int32)
    nibbles = jnp.stack([x & 0x0F, (x >> 4) & 0x0F], axis=1)
    if dtype == "int8":
        nibbles = (nibbles ^ 8) - 8  # 0..7 stay, 8..15 become -8..-1
    values = nibbles.reshape((-1,) + x.shape[1:])[:orig_len]
    return jnp.moveaxis(values, 0, axis).astype(dtype)
