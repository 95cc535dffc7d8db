"""Probabilistic metrics: running means of the cross-entropy, KL-divergence and Poisson losses.

The per-sample formulas live in `kerasj.losses`; these classes only accumulate them (lower is better).
"""
from kerasj import losses
from kerasj.metrics.reduction_metrics import MeanMetricWrapper
from kerasj.utils.losses_utils import same_rank, to_array


class BinaryCrossentropy(MeanMetricWrapper):
    """Running mean of the binary cross-entropy between 0/1 targets and predicted probabilities (or logits,
    with `from_logits=True`); `label_smoothing` pulls targets towards 0.5.

    >>> m = kerasj.metrics.BinaryCrossentropy()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    Array(0.8149245, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the cross-entropy between one-hot (or soft) targets and predicted class
    probabilities (or logits, with `from_logits=True`) along `axis`.

    >>> m = kerasj.metrics.CategoricalCrossentropy()
    >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> m.result()   # mean of -log(0.95) and -log(0.1)
    Array(1.1769392, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0,
                 axis=-1):
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the cross-entropy between integer class labels and predicted class probabilities
    (or logits). Samples labelled `ignore_class` contribute 0; as in Keras, they still count in the mean
    when no `sample_weight` is given, and are left out of it (weight 0) when one is.

    >>> m = kerasj.metrics.SparseCategoricalCrossentropy()
    >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> m.result()
    Array(1.1769392, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None,
                 axis=-1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)

    def update_state(self, y_true, y_pred, sample_weight=None):
        ignore_class = self._fn_kwargs["ignore_class"]
        if ignore_class is not None and sample_weight is not None:
            labels = to_array(y_true)
            if labels.ndim == to_array(y_pred).ndim:  # (batch, ..., 1) labels
                labels = labels[..., 0]
            kept, sample_weight = same_rank((labels != ignore_class).astype(self.dtype),
                                            to_array(sample_weight, self.dtype))
            sample_weight = sample_weight * kept
        super().update_state(y_true, y_pred, sample_weight=sample_weight)


class KLDivergence(MeanMetricWrapper):
    """Running mean of `sum(y_true * log(y_true / y_pred), axis=-1)` (both clipped to [eps, 1]).

    >>> m = kerasj.metrics.KLDivergence()
    >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
    >>> m.result()   # log(2), up to the clipping of y_true's zero to eps
    Array(0.69314563, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Running mean of `mean(y_pred - y_true * log(y_pred + eps), axis=-1)`.

    >>> m = kerasj.metrics.Poisson()
    >>> m.update_state([[1.0]], [[1.0]])
    >>> m.result()   # 1 - log(1 + eps)
    Array(0.9999999, dtype=float32)
    """

    _direction = "down"

    def __init__(self, name="poisson", dtype=None):
        super().__init__(losses.poisson, name=name, dtype=dtype)
