"""Array helpers that losses and metrics share: targets and predictions as arrays of matching dtype and
rank, and masks folded into sample weights.

    >>> y_true, y_pred = prepare_pair([1, 0], [[0.9], [0.2]])   # int labels of shape (2,) meet (2, 1)
    >>> y_true.shape, y_true.dtype
    ((2, 1), dtype('float32'))
"""
import jax.numpy as jnp

from kerasj import config
from kerasj.variables import Variable


def to_array(x, dtype=None):
    """`x` (an array-like or a Variable, which gives its value) as a jax array, optionally cast to `dtype`."""
    if isinstance(x, Variable):
        x = x.value
    return jnp.asarray(x, dtype=dtype)


def same_rank(x1, x2, expand_rank_1=True):
    """Make two arrays whose ranks differ by one agree, when the longer one ends in a size-1 axis.

    A rank-1 partner is expanded to `(n, 1)`; otherwise the trailing 1 is squeezed. This is how targets of
    shape `(batch,)` meet predictions of shape `(batch, 1)`, and per-sample weights meet per-sample losses.

        >>> [a.shape for a in same_rank(jnp.ones((4, 3, 1)), jnp.ones((4, 3)))]
        [(4, 3), (4, 3)]
    """
    r1, r2 = jnp.ndim(x1), jnp.ndim(x2)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def cast_pair(y_true, y_pred):
    """Predictions as a float array; targets (often integer labels) cast to the prediction dtype."""
    y_pred = to_array(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.inexact):
        y_pred = y_pred.astype(config.floatx())
    return to_array(y_true).astype(y_pred.dtype), y_pred


def prepare_pair(y_true, y_pred):
    """`cast_pair`, then `same_rank`: what a per-sample loss or metric function does with its arguments."""
    y_true, y_pred = cast_pair(y_true, y_pred)
    return same_rank(y_true, y_pred)


def divide_no_nan(a, b):
    """`a / b`, and 0 where `b == 0`: all-zero weights (or all targets ignored) give a loss of 0 and a
    gradient of 0, not NaN."""
    safe = jnp.where(b == 0, jnp.ones_like(b), b)
    return jnp.where(b == 0, jnp.zeros_like(a), a / safe)


def apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a validity mask into the sample weights. For mean-type reductions the kept entries are scaled
    by `total / valid`, so that dividing by the element count gives the mean over valid entries only.

        >>> apply_mask(None, jnp.array([True, False]), "float32", "sum_over_batch_size")
        Array([2., 0.], dtype=float32)
    """
    if mask is None:
        return sample_weight
    mask = mask.astype(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        mask = mask * divide_no_nan(jnp.asarray(mask.size, dtype), jnp.sum(mask))
    if sample_weight is None:
        return mask
    mask, sample_weight = same_rank(mask, sample_weight.astype(dtype))
    return sample_weight * mask
