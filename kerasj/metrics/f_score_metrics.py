"""F-scores: FBetaScore and F1Score, the weighted harmonic mean of precision and recall per class.

    F_beta = (1 + beta**2) * precision * recall / (beta**2 * precision + recall)

Inputs are 2-D `(batch, num_classes)` multi-hot targets and scores; per-class counts are kept in state
created on the first update, when the number of classes is known.
"""
import functools

import jax
import jax.numpy as jnp

from kerasj import config
from kerasj.metrics.metric import Metric
from kerasj.utils.losses_utils import to_array

_AVERAGES = (None, "micro", "macro", "weighted")


@functools.partial(jax.jit, static_argnames=("dtype", "threshold", "axis"))
def f_score_counts(y_true, y_pred, sample_weight=None, *, dtype, threshold=None, axis=0):
    """One batch's weighted (true positives, false positives, false negatives, true instances), summed over
    `axis` (0: per class; None: over everything). A score `> threshold` is a positive prediction; with
    `threshold=None`, each row's maximal nonzero score(s) are.

    >>> f_score_counts(jnp.array([[1., 0.], [1., 1.]]), jnp.array([[0.9, 0.2], [0.4, 0.6]]), dtype="float32")
    (Array([1., 1.], dtype=float32), Array([0., 0.], dtype=float32), Array([1., 0.], dtype=float32), \
Array([2., 1.], dtype=float32))
    """
    y_true, y_pred = y_true.astype(dtype), y_pred.astype(dtype)
    if threshold is None:
        # The row maximum is the prediction; the |y| test keeps an all-zero row from predicting all.
        top = jnp.max(y_pred, axis=-1, keepdims=True)
        predicted = (y_pred >= top) & (jnp.abs(y_pred) > 1e-9)
    else:
        predicted = y_pred > threshold
    predicted = predicted.astype(dtype)
    weights = None if sample_weight is None else sample_weight.astype(dtype)
    if weights is not None and weights.ndim == 1:  # one weight per row
        weights = weights[:, None]

    def weighted_sum(values):
        if weights is not None:
            values = values * weights
        return jnp.sum(values, axis=axis)

    return (weighted_sum(predicted * y_true), weighted_sum(predicted * (1 - y_true)),
            weighted_sum((1 - predicted) * y_true), weighted_sum(y_true))


@functools.partial(jax.jit, static_argnames=("beta", "average"))
def f_score_from_counts(true_positives, false_positives, false_negatives, support, *, beta, average=None):
    """F-beta scores from counts (per class, or pooled for "micro"), averaged as `average` says.

    >>> f_score_from_counts(jnp.array([1., 1.]), jnp.array([0., 0.]), jnp.array([1., 0.]),
    ...                     jnp.array([2., 1.]), beta=1.0)   # p = 1, r = 1/2 and 1
    Array([0.66666657, 0.9999998], dtype=float32)
    """
    eps = config.epsilon()
    precision = true_positives / (true_positives + false_positives + eps)
    recall = true_positives / (true_positives + false_negatives + eps)
    beta_squared = beta ** 2
    score = (1 + beta_squared) * (precision * recall / (beta_squared * precision + recall + eps))
    if average == "weighted":
        return jnp.sum(score * (support / (jnp.sum(support) + eps)))
    if average is not None:  # "micro" (already a scalar) or "macro"
        return jnp.mean(score)
    return score


class FBetaScore(Metric):
    """F-beta score per class, or averaged.

    Args:
        average: None (one score per class), "micro" (pool all classes' counts, then score), "macro"
            (unweighted mean of the class scores) or "weighted" (mean weighted by each class's number of
            true instances).
        beta: > 0; recall counts `beta` times as much as precision.
        threshold: a score `> threshold` is a positive prediction. If None, each row's highest score(s) are
            the positive prediction(s) (an all-zero row predicts nothing).

    >>> m = kerasj.metrics.FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1], [0, 1]], [[0.9, 0.2], [0.8, 0.7]])
    >>> m.result()   # class 0: p=1/2, r=1 -> 5/6; class 1: p=1, r=1/2 -> 5/9
    Array([0.8333332, 0.5555556], dtype=float32)
    """

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        owner = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(f"{owner}: invalid `average` argument value; expected one of {_AVERAGES}, "
                             f"received average={average!r}.")
        if not isinstance(beta, float):
            raise ValueError(f"{owner}: `beta` must be a Python float; received beta={beta!r} of type "
                             f"{type(beta).__name__}.")
        if beta <= 0.0:
            raise ValueError(f"{owner}: `beta` must be > 0; received beta={beta!r}.")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"{owner}: `threshold` must be a Python float or None; received "
                                 f"threshold={threshold!r} of type {type(threshold).__name__}.")
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"{owner}: `threshold` must satisfy 0 < threshold <= 1; received "
                                 f"threshold={threshold!r}.")
        super().__init__(name=name, dtype=dtype)
        self.average = average
        self.beta = beta
        self.threshold = threshold
        # "micro" sums the counts over classes too; the others keep one count per class.
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{type(self).__name__} expects 2-D inputs of shape (batch_size, num_classes); "
                             f"received y_true.shape={tuple(y_true_shape)}, y_pred.shape={tuple(y_pred_shape)}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self._count_variables = []
        for name in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            self._count_variables.append(self.add_variable(shape=shape, initializer=jnp.zeros, name=name))
            setattr(self, name, self._count_variables[-1])
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_array(y_true), to_array(y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        increments = f_score_counts(y_true, y_pred, None if sample_weight is None else to_array(sample_weight),
                                    dtype=self.dtype, threshold=self.threshold, axis=self.axis)
        for variable, increment in zip(self._count_variables, increments):
            variable.assign_add(increment)

    def result(self):
        if not self._built:
            raise ValueError(f"{type(self).__name__}.result() was called before any update_state(); the "
                             "number of classes is not known yet.")
        return f_score_from_counts(*[v.value for v in self._count_variables], beta=self.beta,
                                   average=self.average)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score (`beta = 1`): `2 * precision * recall / (precision + recall)` per class, or averaged.

    Takes the same `average` and `threshold` arguments as `FBetaScore`.

    >>> m = kerasj.metrics.F1Score(threshold=0.5)
    >>> m.update_state([[1, 1], [0, 1]], [[0.9, 0.2], [0.8, 0.7]])
    >>> m.result()   # class 0: p=1/2, r=1; class 1: p=1, r=1/2 -> 2/3 each
    Array([0.66666657, 0.66666657], dtype=float32)
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config_ = super().get_config()
        del config_["beta"]
        return config_
