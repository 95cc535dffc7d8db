"""Less common NumPy-style ops of `keras.ops`: NaN-aware cumulative ops and quantiles, statistics
(histogram, correlation, pairwise distances, unique), window functions, `slogdet` and a few constructors.
(Split from `numpy.py` to keep each file readable.)

    >>> from kerasj import ops
    >>> ops.nancumsum(jnp.array([1.0, jnp.nan, 2.0]))
    Array([1., 1., 3.], dtype=float32)
"""
import jax.numpy as jnp

from kerasj import config
from kerasj.ops.core import _t, _value
from kerasj.variables import standardize_dtype

# `keras.ops.numpy` offers these too (numpy.py re-exports this list); cdist is `keras.ops.math`'s only.
__all__ = ["nancumsum", "nancumprod", "nanquantile", "nanpercentile", "corrcoef", "histogram", "unique",
           "diagflat", "geomspace", "view", "bartlett", "blackman", "hamming", "hanning", "kaiser", "trapezoid",
           "correlate", "vander", "slogdet"]


def _dtype(dtype):
    return None if dtype is None else standardize_dtype(dtype)


def nancumsum(x, axis=None, dtype=None):
    """Cumulative sum of `x` along `axis`, with NaNs counted as zero."""
    return jnp.nancumsum(_t(x), axis=axis, dtype=_dtype(dtype))


def nancumprod(x, axis=None, dtype=None):
    """Cumulative product of `x` along `axis`, with NaNs counted as one."""
    return jnp.nancumprod(_t(x), axis=axis, dtype=_dtype(dtype))


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """`quantile` ignoring NaNs."""
    return jnp.nanquantile(_t(x), _t(q), axis=axis, method=method, keepdims=keepdims)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """`percentile` ignoring NaNs."""
    return jnp.nanpercentile(_t(x), _t(q), axis=axis, method=method, keepdims=keepdims)


def corrcoef(x):
    """Pearson correlation coefficients of the rows of `x`."""
    return jnp.corrcoef(_t(x))


def histogram(x, bins=10, range=None):
    """`(counts, bin_edges)` of the values of the 1-D `x` in `bins` equal-width bins over `range`
    (`(min, max)` of `x` by default).

        >>> histogram(jnp.array([0.0, 1.0, 1.0]), bins=2)[0]
        Array([1., 2.], dtype=float32)
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 0:
        raise ValueError(f"histogram: `bins` must be a non-negative int; received bins={bins!r}.")
    if range is not None:
        if not isinstance(range, tuple) or len(range) != 2 or range[1] < range[0]:
            raise ValueError(f"histogram: `range` must be a tuple (low, high) with low <= high; received "
                             f"range={range!r}.")
    x = _t(x)
    if x.ndim != 1:
        raise ValueError(f"histogram: `x` must be 1-D; received shape {x.shape}.")
    return jnp.histogram(x, bins=bins, range=range)


def cdist(x, y):
    """Euclidean distances between every row of `x` and every row of `y` (batched over leading axes)."""
    x, y = _t(x), _t(y)
    diff = x[..., :, None, :] - y[..., None, :, :]
    return jnp.sqrt(jnp.sum(jnp.square(diff), axis=-1))


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None,
           size=None, fill_value=None):
    """The distinct values of `x` (sorted); `size` pads/truncates the result so it can be jitted."""
    return jnp.unique(_t(x), return_index=return_index, return_inverse=return_inverse,
                      return_counts=return_counts, axis=axis, equal_nan=False, size=size, sorted=sorted,
                      fill_value=fill_value)


def diagflat(x, k=0):
    """A 2-D tensor with the flattened `x` on diagonal `k`."""
    return jnp.diagflat(_t(x), k=k)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` values spaced evenly on a log scale from `start` to `stop`."""
    return jnp.geomspace(_value(start), _value(stop), num, endpoint=endpoint,
                         dtype=_dtype(dtype), axis=axis)


def view(x, dtype=None):
    """The bits of `x` reinterpreted as `dtype`."""
    x = _t(x)
    return x if dtype is None else x.view(standardize_dtype(dtype))


def _window(fn, x, *args):
    # A window's length fixes its shape, so it must be concrete (as in Keras); values come in floatx.
    return fn(int(_value(x)), *args).astype(config.floatx())


def bartlett(x):
    """Bartlett (triangular) window of length `x`."""
    return _window(jnp.bartlett, x)


def blackman(x):
    """Blackman window of length `x`."""
    return _window(jnp.blackman, x)


def hamming(x):
    """Hamming window of length `x`."""
    return _window(jnp.hamming, x)


def hanning(x):
    """Hann window of length `x`."""
    return _window(jnp.hanning, x)


def kaiser(x, beta):
    """Kaiser window of length `x` with shape parameter `beta`."""
    return _window(jnp.kaiser, x, beta)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of `y` along `axis` by the trapezoidal rule."""
    return jnp.trapezoid(_t(y), None if x is None else _t(x), dx=dx, axis=axis)


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences."""
    return jnp.correlate(_t(x1), _t(x2), mode=mode)


def vander(x, N=None, increasing=False):
    """Vandermonde matrix of `x`."""
    return jnp.vander(_t(x), N=N, increasing=increasing)


def slogdet(x):
    """`(sign, log|det|)` of the square matrix (or batch of matrices) `x`.

        >>> slogdet(jnp.eye(2) * 2.0)[1]
        Array(1.3862944, dtype=float32)
    """
    return tuple(jnp.linalg.slogdet(_t(x)))
