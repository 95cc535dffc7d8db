"""Hinge metrics: running means of the hinge losses of `kerasj.losses` (lower is better).

Targets for Hinge and SquaredHinge are -1/1 (0/1 targets are read as -1/1); CategoricalHinge takes one-hot
targets.
"""
from kerasj import losses
from kerasj.metrics.reduction_metrics import MeanMetricWrapper


class Hinge(MeanMetricWrapper):
    """Running mean of `mean(max(1 - y_true * y_pred, 0), axis=-1)`.

    >>> m = kerasj.metrics.Hinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    Array(1.3, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Running mean of `mean(max(1 - y_true * y_pred, 0)**2, axis=-1)`.

    >>> m = kerasj.metrics.SquaredHinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    Array(1.86, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Running mean of `max(max_neg - pos + 1, 0)`, where `pos` is the score of the true class and
    `max_neg` the highest score of the other classes.

    >>> m = kerasj.metrics.CategoricalHinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    Array(1.4000001, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)
