"""Regression losses: squared, absolute, percentage and logarithmic errors, Huber, log-cosh and cosine
similarity. Each function gives one value per sample (it reduces the last axis):

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])   # per sample: [0.5]
    >>> MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]])   # mean over all values: 0.5
"""
import math

import jax
import jax.numpy as jnp

from kerasj import config
from kerasj.losses.loss import _builtin, _BuiltinLoss
from kerasj.utils.losses_utils import prepare_pair as _prepare


def _l2_normalize(x, axis):
    # max(|x|, eps) written inside the sqrt so the gradient at an all-zero vector is 0, not NaN.
    eps = config.epsilon()
    return x / jnp.sqrt(jnp.maximum(jnp.sum(jnp.square(x), axis=axis, keepdims=True), eps * eps))


def mean_squared_error(y_true, y_pred):
    """`mean((y_true - y_pred)**2, axis=-1)`.

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])   # [0.5]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """`mean(|y_true - y_pred|, axis=-1)`.

    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 1.0]])   # [0.5]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(|y_true - y_pred| / max(|y_true|, eps), axis=-1)`.

    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 4.0]])   # [25.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    ratio = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), config.epsilon()))
    return 100.0 * jnp.mean(ratio, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)`.

    >>> mean_squared_logarithmic_error([[0.0, 1.0]], [[0.0, 1.0]])   # [0.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = config.epsilon()
    diff = jnp.log(jnp.maximum(y_pred, eps) + 1.0) - jnp.log(jnp.maximum(y_true, eps) + 1.0)
    return jnp.mean(jnp.square(diff), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for small errors, linear for large: `0.5 e**2` if `|e| <= delta`, else
    `delta * |e| - 0.5 delta**2`, averaged over the last axis.

    >>> huber([[0.0, 0.0]], [[0.5, 3.0]])   # [(0.125 + 2.5) / 2]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    quadratic = 0.5 * jnp.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return jnp.mean(jnp.where(abs_error <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed without overflow for large errors.

    >>> log_cosh([[0.0]], [[1.0]])   # [log(cosh(1))] = [0.4338]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    # log(cosh(x)) = x + log(1 + exp(-2x)) - log(2) = x + softplus(-2x) - log(2), finite for any x.
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along `axis`: -1 for parallel vectors, 0 for orthogonal, 1 for opposite.

    >>> cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]])   # [-1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return -jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


MeanSquaredError = _builtin("MeanSquaredError", mean_squared_error, "mean_squared_error",
                            """Mean of squared errors over all values.

    >>> kerasj.losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]])   # 0.5
    """, __name__)
MeanAbsoluteError = _builtin("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                             """Mean of absolute errors over all values.

    >>> kerasj.losses.MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 1.0]])   # 0.5
    """, __name__)
MeanAbsolutePercentageError = _builtin(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error, "mean_absolute_percentage_error",
    """`100 * |y_true - y_pred| / |y_true|`, averaged.

    >>> kerasj.losses.MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 4.0]])   # 25.0
    """, __name__)
MeanSquaredLogarithmicError = _builtin(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
    """Mean squared difference of `log(1 + y)`.

    >>> kerasj.losses.MeanSquaredLogarithmicError()([[0.0]], [[math.e - 1]])   # 1.0
    """, __name__)
LogCosh = _builtin("LogCosh", log_cosh, "log_cosh",
                   """`log(cosh(y_pred - y_true))`: like MSE/2 for small errors, like MAE for large ones.

    >>> kerasj.losses.LogCosh()([[0.0]], [[1.0]])   # 0.4338
    """, __name__)


class Huber(_BuiltinLoss):
    """Huber loss: quadratic for errors up to `delta`, linear beyond.

    >>> kerasj.losses.Huber(delta=1.0)([[0.0, 0.0]], [[0.5, 3.0]])   # (0.125 + 2.5) / 2
    """

    fn_for_class = staticmethod(huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)


class CosineSimilarity(_BuiltinLoss):
    """Negative cosine similarity along `axis` (-1 when prediction and target point the same way).

    >>> kerasj.losses.CosineSimilarity()([[1.0, 0.0]], [[2.0, 0.0]])   # -1.0
    """

    fn_for_class = staticmethod(cosine_similarity)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)
