"""Regression metrics: running means of the per-sample regression losses, RMSE, cosine similarity and R².

The per-sample formulas live in `kerasj.losses`; the classes here only accumulate them.
"""
import jax.numpy as jnp

from kerasj import losses
from kerasj.metrics.metric import Metric
from kerasj.metrics.reduction_metrics import Mean, MeanMetricWrapper
from kerasj.utils.losses_utils import same_rank, to_array


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of `mean((y_true - y_pred)**2, axis=-1)`.

    >>> m = kerasj.metrics.MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    Array(0.25, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of `mean(|y_true - y_pred|, axis=-1)`.

    >>> m = kerasj.metrics.MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    Array(0.25, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Running mean of `100 * mean(|y_true - y_pred| / |y_true|, axis=-1)`.

    >>> m = kerasj.metrics.MeanAbsolutePercentageError()
    >>> m.update_state([[2.0, 4.0]], [[1.0, 4.0]])
    >>> m.result()
    Array(25., dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Running mean of `mean((log(1 + y_pred) - log(1 + y_true))**2, axis=-1)`.

    >>> m = kerasj.metrics.MeanSquaredLogarithmicError()
    >>> m.update_state([[0.0, 1.0]], [[0.0, 1.0]])
    >>> m.result()
    Array(0., dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """Running mean of `mean(log(cosh(y_pred - y_true)), axis=-1)`; logged as "logcosh", as in Keras.

    >>> m = kerasj.metrics.LogCoshError()
    >>> m.update_state([[0.0]], [[1.0]])
    >>> m.result()   # log(cosh(1))
    Array(0.4337808, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


def _cosine_similarity(y_true, y_pred, axis=-1):
    # The cosine loss is the negated similarity; the metric reports the similarity itself.
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """Running mean of the cosine similarity of `y_true` and `y_pred` along `axis` (1 = same direction).

    >>> m = kerasj.metrics.CosineSimilarity()
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> round(float(m.result()), 6)   # mean of 0 and 1
    0.5
    """

    _direction = "up"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """`sqrt` of the running (weighted) mean of squared errors.

    >>> m = kerasj.metrics.RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    Array(0.5, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = same_rank(to_array(y_true, self.dtype), to_array(y_pred, self.dtype))
        super().update_state(jnp.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return jnp.sqrt(super().result())


_R2_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """Coefficient of determination `1 - SS_res / SS_tot`, per output column of 2-D `(batch, outputs)`
    data, accumulated over batches.

    Args:
        class_aggregation: "uniform_average" (mean over outputs), "variance_weighted_average" (weighted by
            each output's total variance), or None (one score per output).
        num_regressors: if > 0, the adjusted R² for that many independent variables (falls back to plain
            R² when there are too few samples).

    The per-output state variables are created on the first `update_state`, when the number of outputs is
    known. A constant target column scores 0.

    >>> m = kerasj.metrics.R2Score()
    >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
    >>> m.result()
    Array(0.57142854, dtype=float32)
    """

    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _R2_AGGREGATIONS:
            raise ValueError(f"R2Score: class_aggregation must be one of {_R2_AGGREGATIONS}; received "
                             f"class_aggregation={class_aggregation!r}.")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0; received num_regressors={num_regressors!r}.")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer=jnp.zeros, name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_true_shape) != 2 or len(y_pred_shape) != 2:
            raise ValueError("R2Score expects 2-D inputs of shape (batch_size, output_dim); received "
                             f"y_true.shape={tuple(y_true_shape)}, y_pred.shape={tuple(y_pred_shape)}.")
        shape = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(shape=shape, initializer=jnp.zeros, name="squared_sum")
        self.sum = self.add_variable(shape=shape, initializer=jnp.zeros, name="sum")
        self.total_mse = self.add_variable(shape=shape, initializer=jnp.zeros, name="residual")
        self.count = self.add_variable(shape=shape, initializer=jnp.zeros, name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = same_rank(to_array(y_true, self.dtype), to_array(y_pred, self.dtype))
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weight = to_array(1.0 if sample_weight is None else sample_weight, self.dtype)
        if weight.ndim == 1:  # per-sample weights apply to every output column
            weight = weight[:, None]
        weight = jnp.broadcast_to(weight, y_true.shape)
        self.sum.assign_add(jnp.sum(weight * y_true, axis=0))
        self.squared_sum.assign_add(jnp.sum(weight * jnp.square(y_true), axis=0))
        self.total_mse.assign_add(jnp.sum(weight * jnp.square(y_true - y_pred), axis=0))
        self.count.assign_add(jnp.sum(weight, axis=0))
        # Keras counts scalar entries here, not rows; the adjusted score depends on it.
        self.num_samples.assign_add(y_true.size)

    def result(self):
        if not self._built:
            raise ValueError("R2Score.result() was called before any update_state(); the number of outputs "
                             "is not known yet.")
        mean = self.sum.value / self.count.value
        total = self.squared_sum.value - self.sum.value * mean
        raw_scores = 1.0 - self.total_mse.value / total
        raw_scores = jnp.where(jnp.isinf(raw_scores), 0.0, raw_scores)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(total * raw_scores) / jnp.sum(total)
        else:
            score = raw_scores
        if self.num_regressors:
            n = self.num_samples.value
            p = float(self.num_regressors)
            adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
            # Selected on device (not with `if`), so result() also runs inside compiled steps.
            score = jnp.where(p < n - 1.0, adjusted, score)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
