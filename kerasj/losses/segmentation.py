"""Overlap losses for segmentation masks: Dice and Tversky. They sum over `axis` (all axes by default, which
gives one value for the whole batch), so pass e.g. `axis=(1, 2, 3)` for one value per image.

    >>> dice([[1.0, 0.0]], [[1.0, 1.0]])                    # 1 - 2 * 1 / (1 + 2) = 0.3333
    >>> Dice(axis=(1,), reduction=None)([[1.0, 0.0]], [[1.0, 1.0]]).shape   # (1,)
"""
import jax.numpy as jnp

from kerasj import config
from kerasj.losses.loss import _BuiltinLoss
from kerasj.utils.losses_utils import cast_pair as _cast_pair


def _sum(x, axis):
    # A config read back from JSON holds the axes as a list; jnp wants an int or a tuple.
    return jnp.sum(x, axis=tuple(axis) if isinstance(axis, list) else axis)


def dice(y_true, y_pred, axis=None):
    """`1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)`, the sums taken over `axis`.

    >>> dice([[1.0, 0.0]], [[1.0, 1.0]])   # 0.3333
    """
    y_true, y_pred = _cast_pair(y_true, y_pred)
    intersection = _sum(y_true * y_pred, axis)
    return 1.0 - 2.0 * intersection / (_sum(y_true, axis) + _sum(y_pred, axis) + config.epsilon())


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """`1 - TP / (TP + alpha * A + beta * B + eps)` with `TP = sum(y_true * y_pred)`,
    `A = sum(y_true * (1 - y_pred))` and `B = sum((1 - y_true) * y_pred)` over `axis` (Salehi et al., 2017).
    `alpha = beta = 0.5` gives the Dice loss.

    >>> tversky([[1.0, 0.0]], [[1.0, 1.0]], alpha=0.3, beta=0.7)   # 1 - 1 / (1 + 0.7) = 0.4118
    """
    y_true, y_pred = _cast_pair(y_true, y_pred)
    true_pos = _sum(y_true * y_pred, axis)
    # Keras weights the missed targets by `alpha` and the spurious predictions by `beta`; kept for parity.
    missed = _sum(y_true * (1.0 - y_pred), axis)
    spurious = _sum((1.0 - y_true) * y_pred, axis)
    return 1.0 - true_pos / (true_pos + alpha * missed + beta * spurious + config.epsilon())


class Dice(_BuiltinLoss):
    """Dice loss, `1 - 2 |A n B| / (|A| + |B|)`, for soft segmentation masks.

    >>> y_true = [[[1.0], [1.0]], [[0.0], [0.0]]]
    >>> y_pred = [[[0.0], [1.0]], [[0.4], [0.0]]]
    >>> kerasj.losses.Dice(axis=(1, 2), reduction=None)(y_true, y_pred)   # [0.3333, 1.0]
    """

    fn_for_class = staticmethod(dice)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(_BuiltinLoss):
    """Tversky loss, a Dice loss that weights the two kinds of error by `alpha` and `beta`.

    >>> kerasj.losses.Tversky(alpha=0.3, beta=0.7)([[1.0, 0.0]], [[1.0, 1.0]])   # 0.4118
    """

    fn_for_class = staticmethod(tversky)

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None,
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis)
