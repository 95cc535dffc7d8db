"""NumPy-style ops of `keras.ops` (element-wise math, reductions, creation, shape manipulation), on
`jax.numpy`. Names, argument names and defaults follow Keras 3.

Most ops are a direct `jax.numpy` counterpart with Keras's argument names; those are generated from the
tables below (each gets a docstring naming its jnp counterpart). Ops whose Keras semantics differ from
jnp's are written out by hand.

    >>> from kerasj import ops
    >>> ops.mean(ops.square(jnp.arange(4.0)))
    Array(3.5, dtype=float32)
"""
import builtins

import jax
import jax.numpy as jnp

from kerasj import config
from kerasj.ops.core import _t, _value
from kerasj.variables import standardize_dtype

# -- generated element-wise ops ---------------------------------------------------------------------------
# keras name -> jnp name
_UNARY = {
    "abs": "abs", "absolute": "absolute", "negative": "negative", "exp": "exp", "exp2": "exp2",
    "expm1": "expm1", "log": "log", "log10": "log10", "log1p": "log1p", "log2": "log2", "sqrt": "sqrt",
    "square": "square", "cbrt": "cbrt", "sign": "sign", "signbit": "signbit", "floor": "floor", "ceil": "ceil",
    "trunc": "trunc", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "arcsin", "arccos": "arccos",
    "arctan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "arcsinh": "arcsinh",
    "arccosh": "arccosh", "arctanh": "arctanh", "deg2rad": "deg2rad", "rad2deg": "rad2deg",
    "reciprocal": "reciprocal", "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite",
    "isneginf": "isneginf", "isposinf": "isposinf", "logical_not": "logical_not", "conj": "conj",
    "conjugate": "conjugate", "real": "real", "imag": "imag", "angle": "angle", "fabs": "fabs",
    "sinc": "sinc", "i0": "i0", "ravel": "ravel", "copy": "copy", "isreal": "isreal", "nonzero": "nonzero",
    "bitwise_not": "bitwise_not", "bitwise_invert": "bitwise_invert", "fliplr": "fliplr", "flipud": "flipud",
}
_BINARY = {
    "add": "add", "subtract": "subtract", "multiply": "multiply", "divide": "divide",
    "true_divide": "true_divide", "floor_divide": "floor_divide", "mod": "mod", "fmod": "fmod",
    "power": "power", "maximum": "maximum", "minimum": "minimum", "fmax": "fmax", "fmin": "fmin",
    "matmul": "matmul", "dot": "dot", "inner": "inner", "outer": "outer", "vdot": "vdot", "kron": "kron",
    "equal": "equal", "not_equal": "not_equal", "less": "less", "less_equal": "less_equal",
    "greater": "greater", "greater_equal": "greater_equal", "logical_and": "logical_and",
    "logical_or": "logical_or", "logical_xor": "logical_xor", "arctan2": "arctan2", "hypot": "hypot",
    "logaddexp": "logaddexp", "logaddexp2": "logaddexp2", "heaviside": "heaviside",
    "nextafter": "nextafter", "gcd": "gcd", "lcm": "lcm", "ldexp": "ldexp",
}
# Bitwise ops, whose Keras arguments are named (x, y).
_BITWISE = {
    "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
    "bitwise_left_shift": "left_shift", "bitwise_right_shift": "right_shift", "left_shift": "left_shift",
    "right_shift": "right_shift",
}
# Reductions with signature (x, axis=None, keepdims=False).
_REDUCE = {
    "sum": "sum", "mean": "mean", "std": "std", "var": "var", "all": "all", "any": "any",
    "amax": "max", "amin": "min", "ptp": "ptp", "median": "median", "nansum": "nansum",
    "nanmean": "nanmean", "nanmax": "nanmax", "nanmin": "nanmin", "nanstd": "nanstd", "nanvar": "nanvar",
    "nanprod": "nanprod", "nanmedian": "nanmedian", "argmax": "argmax", "argmin": "argmin",
    "nanargmax": "nanargmax", "nanargmin": "nanargmin",
}


def _make_unary(name, jnp_fn):
    def op(x):
        return jnp_fn(_t(x))
    op.__doc__ = f"Element-wise `{name}` of `x` (`jnp.{jnp_fn.__name__}`).\n\n    >>> {name}(jnp.ones(2))\n"
    return op


def _make_binary(name, jnp_fn):
    def op(x1, x2):
        return jnp_fn(_t(x1), _t(x2))
    op.__doc__ = f"`{name}` of `x1` and `x2` with broadcasting (`jnp.{jnp_fn.__name__}`).\n\n" \
                 f"    >>> {name}(jnp.ones(2), jnp.ones(2))\n"
    return op


def _make_bitwise(name, jnp_fn):
    def op(x, y):
        return jnp_fn(_t(x), _t(y))
    op.__doc__ = f"Bitwise `{name}` of integer tensors `x` and `y` (`jnp.{jnp_fn.__name__}`).\n\n" \
                 f"    >>> {name}(jnp.array([6]), jnp.array([3]))\n"
    return op


def _make_reduce(name, jnp_fn):
    def op(x, axis=None, keepdims=False):
        return jnp_fn(_t(x), axis=_axis(axis), keepdims=keepdims)
    op.__doc__ = f"`{name}` of `x` over `axis` (all axes if None) (`jnp.{jnp_fn.__name__}`).\n\n" \
                 f"    >>> {name}(jnp.ones((2, 3)), axis=1)\n"
    return op


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


for _table, _maker in ((_UNARY, _make_unary), (_BINARY, _make_binary), (_BITWISE, _make_bitwise),
                       (_REDUCE, _make_reduce)):
    for _name, _jnp_name in _table.items():
        _fn = _maker(_name, getattr(jnp, _jnp_name))
        _fn.__name__ = _fn.__qualname__ = _name
        _fn.__module__ = __name__
        globals()[_name] = _fn

GENERATED = sorted(list(_UNARY) + list(_BINARY) + list(_BITWISE) + list(_REDUCE))


# -- reductions and element-wise ops with Keras-specific arguments ---------------------------------------
def max(x, axis=None, keepdims=False, initial=None):
    """Maximum of `x` over `axis`; `initial` is a lower bound included in the reduction.

        >>> max(jnp.array([1, 5, 2]))
        Array(5, dtype=int32)
    """
    return jnp.max(_t(x), axis=_axis(axis), keepdims=keepdims, initial=initial)


def min(x, axis=None, keepdims=False, initial=None):
    """Minimum of `x` over `axis`; `initial` is an upper bound included in the reduction."""
    return jnp.min(_t(x), axis=_axis(axis), keepdims=keepdims, initial=initial)


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product of `x` over `axis` (all axes if None), accumulated in `dtype` if given.

        >>> prod(jnp.array([2.0, 3.0]))
        Array(6., dtype=float32)
    """
    return jnp.prod(_t(x), axis=_axis(axis), keepdims=keepdims, dtype=None if dtype is None else
                    standardize_dtype(dtype))


def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` over `axis`, computed stably.

        >>> logsumexp(jnp.zeros(2))
        Array(0.6931472, dtype=float32)
    """
    return jax.scipy.special.logsumexp(_t(x), axis=_axis(axis), keepdims=keepdims)


def count_nonzero(x, axis=None):
    """Number of non-zero entries of `x` over `axis`."""
    return jnp.count_nonzero(_t(x), axis=_axis(axis))


def average(x, axis=None, weights=None):
    """Weighted mean of `x` over `axis` (plain mean without `weights`)."""
    return jnp.average(_t(x), axis=axis, weights=None if weights is None else _t(weights))


def cumsum(x, axis=None, dtype=None):
    """Cumulative sum of `x` along `axis` (of the flattened `x` if None).

        >>> cumsum(jnp.array([1, 2, 3]))
        Array([1, 3, 6], dtype=int32)
    """
    return jnp.cumsum(_t(x), axis=axis, dtype=None if dtype is None else standardize_dtype(dtype))


def cumprod(x, axis=None, dtype=None):
    """Cumulative product of `x` along `axis` (of the flattened `x` if None)."""
    return jnp.cumprod(_t(x), axis=axis, dtype=None if dtype is None else standardize_dtype(dtype))


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantile(s) (0..1) of `x` over `axis`."""
    return jnp.quantile(_t(x), _t(q), axis=axis, method=method, keepdims=keepdims)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentile(s) (0..100) of `x` over `axis`."""
    return jnp.percentile(_t(x), _t(q), axis=axis, method=method, keepdims=keepdims)


def clip(x, x_min, x_max):
    """`x` with values limited to `[x_min, x_max]`.

        >>> clip(jnp.array([-2.0, 0.5, 3.0]), 0.0, 1.0)
        Array([0. , 0.5, 1. ], dtype=float32)
    """
    return jnp.clip(_t(x), _value(x_min), _value(x_max))


def round(x, decimals=0):
    """`x` rounded to `decimals` decimal places (halves to even)."""
    return jnp.round(_t(x), decimals)


def rsqrt(x):
    """`1 / sqrt(x)` element-wise."""
    return jax.lax.rsqrt(_t(x).astype(_float_dtype(x)))


def _float_dtype(x):
    dt = _t(x).dtype
    return dt if jnp.issubdtype(dt, jnp.floating) else config.floatx()


def divide_no_nan(x1, x2):
    """`x1 / x2`, with 0 wherever `x2` is 0."""
    x1, x2 = _t(x1), _t(x2)
    safe = jnp.where(x2 == 0, 1, x2)
    return jnp.where(x2 == 0, 0, jnp.divide(x1, safe))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """`x` with NaN replaced by `nan` and infinities by `posinf`/`neginf` (dtype extremes by default)."""
    return jnp.nan_to_num(_t(x), nan=nan, posinf=posinf, neginf=neginf)


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Element-wise `|x1 - x2| <= atol + rtol * |x2|`."""
    return jnp.isclose(_t(x1), _t(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether `isclose` holds for every element."""
    return jnp.allclose(_t(x1), _t(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


def where(condition, x1=None, x2=None):
    """`x1` where `condition` else `x2`; with neither, the indices where `condition` is true.

        >>> where(jnp.array([True, False]), 1.0, 0.0)
        Array([1., 0.], dtype=float32)
    """
    if x1 is None and x2 is None:
        return jnp.nonzero(_t(condition))
    if x1 is None or x2 is None:
        raise ValueError("where: `x1` and `x2` must both be given or both be None; received "
                         f"x1={x1!r}, x2={x2!r}.")
    return jnp.where(_t(condition), _t(x1), _t(x2))


def select(condlist, choicelist, default=0):
    """Per element, the entry of `choicelist` for the first true condition in `condlist`, else `default`."""
    return jnp.select([_t(c) for c in condlist], [_t(c) for c in choicelist], default)


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation over `operands` described by `subscripts`.

        >>> einsum("ij,jk->ik", jnp.ones((2, 3)), jnp.ones((3, 4))).shape
        (2, 4)
    """
    return jnp.einsum(subscripts, *[_t(o) for o in operands], **kwargs)


def tensordot(x1, x2, axes=2):
    """Tensor contraction of `x1` and `x2` over `axes`."""
    return jnp.tensordot(_t(x1), _t(x2), axes=axes)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors) in `x1` and `x2`."""
    return jnp.cross(_t(x1), _t(x2), axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum along a diagonal of `x`."""
    return jnp.trace(_t(x), offset=offset, axis1=axis1, axis2=axis2)


def diff(a, n=1, axis=-1):
    """`n`-th discrete difference of `a` along `axis`."""
    return jnp.diff(_t(a), n=n, axis=axis)


def sort(x, axis=-1):
    """`x` sorted ascending along `axis`."""
    return jnp.sort(_t(x), axis=axis)


def argsort(x, axis=-1):
    """Indices that sort `x` ascending along `axis`."""
    return jnp.argsort(_t(x), axis=axis)


def argpartition(x, kth, axis=-1):
    """Indices partitioning `x` so the `kth` element is in sorted position along `axis`."""
    return jnp.argpartition(_t(x), kth, axis=axis)


def searchsorted(sorted_sequence, values, side="left"):
    """Insertion indices of `values` into the 1-D ascending `sorted_sequence`."""
    return jnp.searchsorted(_t(sorted_sequence), _t(values), side=side)


def digitize(x, bins):
    """Index of the bin of `bins` each value of `x` falls in."""
    return jnp.digitize(_t(x), _t(bins))


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or summed `weights`) of each non-negative integer in `x` (not jittable: output size depends
    on the data unless `minlength` covers it)."""
    return jnp.bincount(_t(x), weights=None if weights is None else _t(weights), minlength=minlength)


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of `x1` occurs in `x2`."""
    return jnp.isin(_t(x1), _t(x2), assume_unique=assume_unique, invert=invert)


# -- creation ---------------------------------------------------------------------------------------------
def _dtype(dtype):
    return None if dtype is None else standardize_dtype(dtype)


def zeros(shape, dtype=None):
    """A tensor of zeros (dtype floatx() by default).

        >>> zeros((2,))
        Array([0., 0.], dtype=float32)
    """
    return jnp.zeros(shape, dtype=standardize_dtype(dtype))


def ones(shape, dtype=None):
    """A tensor of ones (dtype floatx() by default)."""
    return jnp.ones(shape, dtype=standardize_dtype(dtype))


def empty(shape, dtype=None):
    """An uninitialised tensor; on JAX a tensor of zeros."""
    return jnp.zeros(shape, dtype=standardize_dtype(dtype))


def full(shape, fill_value, dtype=None):
    """A tensor of `shape` filled with `fill_value` (dtype floatx() by default, as in Keras).

        >>> full((2,), 7)
        Array([7., 7.], dtype=float32)
    """
    return jnp.full(shape, _value(fill_value), dtype=standardize_dtype(dtype))


def zeros_like(x, dtype=None):
    """Zeros with the shape (and dtype, unless given) of `x`."""
    return jnp.zeros_like(_t(x), dtype=_dtype(dtype))


def ones_like(x, dtype=None):
    """Ones with the shape (and dtype, unless given) of `x`."""
    return jnp.ones_like(_t(x), dtype=_dtype(dtype))


def empty_like(x, dtype=None):
    """An uninitialised tensor like `x`; on JAX zeros."""
    return jnp.zeros_like(_t(x), dtype=_dtype(dtype))


def full_like(x, fill_value, dtype=None):
    """`fill_value` with the shape (and dtype, unless given) of `x`."""
    return jnp.full_like(_t(x), _value(fill_value), dtype=_dtype(dtype))


def array(x, dtype=None):
    """`x` as a tensor."""
    return jnp.array(_t(x), dtype=_dtype(dtype))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in `[start, stop)`.

        >>> arange(3)
        Array([0, 1, 2], dtype=int32)
    """
    return jnp.arange(start, stop, step, dtype=_dtype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from `start` to `stop` (dtype floatx() by default)."""
    return jnp.linspace(_value(start), _value(stop), num, endpoint=endpoint, retstep=retstep,
                        dtype=standardize_dtype(dtype), axis=axis)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """`num` values spaced evenly on a log scale from `base**start` to `base**stop`."""
    return jnp.logspace(start, stop, num, endpoint=endpoint, base=base, dtype=standardize_dtype(dtype), axis=axis)


def eye(N, M=None, k=0, dtype=None):
    """An `N x M` matrix with ones on diagonal `k`."""
    return jnp.eye(N, M, k=k, dtype=standardize_dtype(dtype))


def identity(n, dtype=None):
    """The `n x n` identity matrix."""
    return jnp.identity(n, dtype=standardize_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):
    """Lower-triangular matrix of ones."""
    return jnp.tri(N, M, k=k, dtype=standardize_dtype(dtype))


def tril(x, k=0):
    """`x` with entries above diagonal `k` zeroed."""
    return jnp.tril(_t(x), k=k)


def triu(x, k=0):
    """`x` with entries below diagonal `k` zeroed."""
    return jnp.triu(_t(x), k=k)


def diag(x, k=0):
    """Diagonal `k` of a matrix, or a diagonal matrix from a vector."""
    return jnp.diag(_t(x), k=k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    """Diagonal of `x` over axes `axis1`, `axis2`."""
    return jnp.diagonal(_t(x), offset=offset, axis1=axis1, axis2=axis2)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D coordinate vectors."""
    return jnp.meshgrid(*[_t(v) for v in x], indexing=indexing)


# -- shape manipulation -----------------------------------------------------------------------------------
def reshape(x, newshape):
    """`x` with shape `newshape` (one entry may be -1).

        >>> reshape(jnp.arange(6), (2, -1)).shape
        (2, 3)
    """
    return jnp.reshape(_t(x), newshape)


def transpose(x, axes=None):
    """`x` with axes permuted (reversed by default)."""
    return jnp.transpose(_t(x), axes)


def expand_dims(x, axis):
    """`x` with a length-1 axis inserted at `axis` (int or tuple)."""
    return jnp.expand_dims(_t(x), _axis(axis))


def squeeze(x, axis=None):
    """`x` without its length-1 axes (only `axis` if given)."""
    return jnp.squeeze(_t(x), _axis(axis))


def moveaxis(x, source, destination):
    """`x` with axis `source` moved to `destination`."""
    return jnp.moveaxis(_t(x), source, destination)


def swapaxes(x, axis1, axis2):
    """`x` with two axes interchanged."""
    return jnp.swapaxes(_t(x), axis1, axis2)


def broadcast_to(x, shape):
    """`x` broadcast to `shape`."""
    return jnp.broadcast_to(_t(x), shape)


def concatenate(xs, axis=0):
    """The tensors `xs` joined along an existing `axis`.

        >>> concatenate([jnp.ones(2), jnp.zeros(1)])
        Array([1., 1., 0.], dtype=float32)
    """
    return jnp.concatenate([_t(x) for x in xs], axis=axis)


def append(x1, x2, axis=None):
    """`x2` appended to `x1` along `axis` (both flattened if None)."""
    return jnp.append(_t(x1), _t(x2), axis=axis)


def stack(x, axis=0):
    """The tensors `x` joined along a new `axis`."""
    return jnp.stack([_t(v) for v in x], axis=axis)


def hstack(xs):
    """Tensors stacked horizontally (column-wise)."""
    return jnp.hstack([_t(x) for x in xs])


def vstack(xs):
    """Tensors stacked vertically (row-wise)."""
    return jnp.vstack([_t(x) for x in xs])


def dstack(xs):
    """Tensors stacked along the third axis."""
    return jnp.dstack([_t(x) for x in xs])


def split(x, indices_or_sections, axis=0):
    """`x` split along `axis` into equal sections or at the given indices; a list.

        >>> [p.shape for p in split(jnp.zeros(6), 3)]
        [(2,), (2,), (2,)]
    """
    return list(jnp.split(_t(x), indices_or_sections, axis=axis))


def array_split(x, indices_or_sections, axis=0):
    """Like `split`, but sections may be unequal."""
    return list(jnp.array_split(_t(x), indices_or_sections, axis=axis))


def hsplit(x, indices_or_sections):
    """`split` along axis 1 (axis 0 for 1-D)."""
    return list(jnp.hsplit(_t(x), indices_or_sections))


def vsplit(x, indices_or_sections):
    """`split` along axis 0."""
    return list(jnp.vsplit(_t(x), indices_or_sections))


def dsplit(x, indices_or_sections):
    """`split` along axis 2."""
    return list(jnp.dsplit(_t(x), indices_or_sections))


def tile(x, repeats):
    """`x` repeated `repeats` times per axis."""
    return jnp.tile(_t(x), repeats)


def repeat(x, repeats, axis=None):
    """Each element of `x` repeated `repeats` times along `axis` (flattened if None)."""
    return jnp.repeat(_t(x), _value(repeats), axis=axis)


def flip(x, axis=None):
    """`x` reversed along `axis` (all axes if None)."""
    return jnp.flip(_t(x), axis=_axis(axis))


def roll(x, shift, axis=None):
    """`x` rolled by `shift` along `axis` (flattened if None)."""
    return jnp.roll(_t(x), shift, axis=axis)


def rot90(array, k=1, axes=(0, 1)):
    """`array` rotated by 90 degrees `k` times in the plane of `axes`."""
    return jnp.rot90(_t(array), k=k, axes=axes)


def pad(x, pad_width, mode="constant", constant_values=None):
    """`x` padded by `pad_width` ((before, after) per axis)."""
    kwargs = {} if constant_values is None else {"constant_values": constant_values}
    return jnp.pad(_t(x), pad_width, mode=mode, **kwargs)


def take(x, indices, axis=None):
    """Elements of `x` at `indices` along `axis` (flattened if None).

        >>> take(jnp.array([5, 6, 7]), jnp.array([2, 0]))
        Array([7, 5], dtype=int32)
    """
    return jnp.take(_t(x), _t(indices), axis=axis)


def take_along_axis(x, indices, axis=None):
    """Elements of `x` picked by `indices` of matching rank along `axis`."""
    return jnp.take_along_axis(_t(x), _t(indices), axis=axis)


def get_item(x, key):
    """`x[key]`."""
    return _t(x)[key]


def ndim(x):
    """Number of axes of `x`."""
    return _t(x).ndim


def size(x):
    """Number of elements of `x`."""
    return _t(x).size


def unravel_index(indices, shape):
    """Multi-dimensional indices of flat `indices` into an array of `shape`."""
    return jnp.unravel_index(_t(indices), shape)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` vectorised with numpy broadcasting rules (`jnp.vectorize`)."""
    return jnp.vectorize(pyfunc, excluded=excluded or builtins.set(), signature=signature)


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm of `x` (`ord` as in numpy).

        >>> norm(jnp.array([3.0, 4.0]))
        Array(5., dtype=float32)
    """
    x = _t(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(config.floatx())
    return jnp.linalg.norm(x, ord=ord, axis=_axis(axis), keepdims=keepdims)


# keras.ops.numpy also holds the less common ops, written in numpy_extra.py to keep this file readable.
from kerasj.ops.numpy_extra import *  # noqa: E402, F401, F403
