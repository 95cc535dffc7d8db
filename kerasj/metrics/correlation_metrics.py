"""Correlation metrics: Pearson's r and Lin's concordance correlation coefficient, computed per sample
along `axis` and averaged over samples (so they measure agreement within each row, e.g. a sequence).
"""
import jax.numpy as jnp

from kerasj import config
from kerasj.metrics.reduction_metrics import MeanMetricWrapper
from kerasj.utils.losses_utils import prepare_pair


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation `cov(y_true, y_pred) / (std(y_true) std(y_pred))` along `axis` (population
    moments; NaN for a constant input, as in Keras).

    >>> pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]])   # [0.99339914]
    """
    y_true, y_pred = prepare_pair(y_true, y_pred)
    true_scores = (y_true - jnp.mean(y_true, axis=axis, keepdims=True)) / jnp.std(y_true, axis=axis, keepdims=True)
    pred_scores = (y_pred - jnp.mean(y_pred, axis=axis, keepdims=True)) / jnp.std(y_pred, axis=axis, keepdims=True)
    return jnp.mean(true_scores * pred_scores, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation `2 cov / (var_true + var_pred + (mean_true - mean_pred)**2)` along
    `axis`: like Pearson's r, but also penalises a shift or rescaling (1 only for y_pred == y_true).

    >>> concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])   # [1.0]
    """
    y_true, y_pred = prepare_pair(y_true, y_pred)
    true_mean = jnp.mean(y_true, axis=axis, keepdims=True)
    pred_mean = jnp.mean(y_pred, axis=axis, keepdims=True)
    covariance = jnp.mean((y_true - true_mean) * (y_pred - pred_mean), axis=axis, keepdims=True)
    spread = (jnp.var(y_true, axis=axis, keepdims=True) + jnp.var(y_pred, axis=axis, keepdims=True)
              + jnp.square(true_mean - pred_mean))
    return jnp.mean(2.0 * covariance / (spread + config.epsilon()), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample Pearson correlation along `axis`.

    >>> m = kerasj.metrics.PearsonCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], [[2.0, 4.0, 6.0], [3.0, 2.0, 1.0]])
    >>> m.result()   # mean of 1 and -1
    Array(0., dtype=float32)
    """

    _direction = "up"

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample concordance correlation along `axis`.

    >>> m = kerasj.metrics.ConcordanceCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    >>> m.result()
    Array(0.99999994, dtype=float32)
    """

    _direction = "up"

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
