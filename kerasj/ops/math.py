"""Math ops of `keras.ops` (`keras.ops.math`): segment reductions, top-k, special functions.

    >>> from kerasj import ops
    >>> ops.segment_sum(jnp.array([1.0, 2.0, 3.0]), jnp.array([0, 0, 1]), num_segments=2)
    Array([3., 3.], dtype=float32)
"""
import jax
import jax.numpy as jnp
from jax import lax

from kerasj.ops.core import _t


def _segment(reducer, data, segment_ids, num_segments, sorted):
    data, segment_ids = _t(data), _t(segment_ids)
    if num_segments is None:
        # Needs concrete ids (not jittable), as in Keras.
        num_segments = int(jnp.max(segment_ids)) + 1
    return reducer(data, segment_ids, num_segments=num_segments, indices_are_sorted=sorted)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sum of the rows of `data` sharing a segment id; `num_segments` is needed under `jit`.

        >>> segment_sum(jnp.array([1, 2, 3]), jnp.array([0, 1, 1]))
        Array([1, 5], dtype=int32)
    """
    return _segment(jax.ops.segment_sum, data, segment_ids, num_segments, sorted)


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Maximum of the rows of `data` sharing a segment id (empty segments give the dtype's lowest value)."""
    return _segment(jax.ops.segment_max, data, segment_ids, num_segments, sorted)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Minimum of the rows of `data` sharing a segment id."""
    return _segment(jax.ops.segment_min, data, segment_ids, num_segments, sorted)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Product of the rows of `data` sharing a segment id."""
    return _segment(jax.ops.segment_prod, data, segment_ids, num_segments, sorted)


def top_k(x, k, sorted=True):
    """`(values, indices)` of the `k` largest entries along the last axis.

        >>> top_k(jnp.array([1.0, 3.0, 2.0]), 2)[1]
        Array([1, 2], dtype=int32)
    """
    values, indices = lax.top_k(_t(x), k)
    return values, indices


def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest `predictions` of its row (ties count as in).

        >>> in_top_k(jnp.array([0]), jnp.array([[0.1, 0.9]]), 1)
        Array([False], dtype=bool)
    """
    targets, predictions = _t(targets), _t(predictions)
    target_scores = jnp.take_along_axis(predictions, targets[:, None].astype("int32"), axis=-1)[:, 0]
    kth = lax.top_k(predictions, k)[0][:, -1]
    return target_scores >= kth


def erf(x):
    """The error function."""
    return jax.scipy.special.erf(_t(x))


def erfinv(x):
    """The inverse error function."""
    return jax.scipy.special.erfinv(_t(x))


def erfc(x):
    """`1 - erf(x)`."""
    return jax.scipy.special.erfc(_t(x))


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of length `sequence_length` taken every `sequence_stride` along the last axis of `x`."""
    x = _t(x)
    count = 1 + (x.shape[-1] - sequence_length) // sequence_stride
    starts = jnp.arange(count) * sequence_stride
    index = starts[:, None] + jnp.arange(sequence_length)[None, :]
    return x[..., index]
