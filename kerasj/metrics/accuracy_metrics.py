"""Accuracy metrics: per-sample match functions (1.0 for a hit, 0.0 for a miss) and their running means.

Each function returns floatx values shaped like the targets (one per sample, or per position for
sequence outputs); the classes average them with `MeanMetricWrapper` semantics.
"""
import jax.numpy as jnp

from kerasj import config
from kerasj.metrics.reduction_metrics import MeanMetricWrapper
from kerasj.utils.losses_utils import same_rank, to_array


def _as_float(matches):
    return matches.astype(config.floatx())


def _argmax_matches(labels, y_pred):
    """Whether `argmax(y_pred, -1)` equals the integer-valued `labels`, shaped like `labels`."""
    shape = labels.shape
    if labels.ndim == y_pred.ndim:  # labels carry a trailing size-1 axis, e.g. (batch, 1)
        labels = jnp.squeeze(labels, -1)
    predicted = jnp.argmax(y_pred, axis=-1).astype(labels.dtype)
    return _as_float(labels == predicted).reshape(shape)


def _top_k_matches(labels, y_pred, k, from_sorted_ids=False):
    """Whether each label is among the top `k` predictions, shaped like `labels`.

    A label whose score ties the k-th best counts as a hit (its rank is 1 + the number of strictly larger
    scores); a NaN score never does. With `from_sorted_ids`, `y_pred` already holds class ids, best first.
    """
    shape = labels.shape
    labels = labels.reshape(-1)
    y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if from_sorted_ids:
        hits = jnp.any(labels[:, None] == y_pred[:, :k], axis=-1)
    else:
        at_label = jnp.take_along_axis(y_pred, labels[:, None].astype("int32"), axis=-1)
        at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)
        rank = 1 + jnp.sum(y_pred > at_label, axis=-1)
        hits = rank <= k
    return _as_float(hits).reshape(shape)


# -- functions ------------------------------------------------------------------------------------------

def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly, else 0.0.

    >>> accuracy([[1.0], [2.0], [3.0]], [[1.0], [2.0], [0.0]])   # [[1.], [1.], [0.]]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    y_true, y_pred = same_rank(y_true, y_pred)
    return _as_float(y_true == y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `(y_pred > threshold)` equals the 0/1 target, else 0.0.

    >>> binary_accuracy([[1.0], [0.0]], [[0.6], [0.7]])   # [[1.], [0.]]
    """
    y_true = to_array(y_true)
    y_pred = to_array(y_pred)
    y_true, y_pred = same_rank(y_true, y_pred)
    predicted = (y_pred > jnp.asarray(threshold, y_pred.dtype)).astype(y_true.dtype)
    return _as_float(y_true == predicted)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the one-hot target and the prediction have the same argmax (first index wins ties).

    >>> categorical_accuracy([[0, 1, 0], [1, 0, 0]], [[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]])   # [1., 0.]
    """
    return _argmax_matches(jnp.argmax(to_array(y_true), axis=-1), to_array(y_pred))


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals `argmax(y_pred, -1)`. Labels may be `(batch,)` or `(batch, 1)`;
    the result is `(batch,)` either way.

    >>> sparse_categorical_accuracy([1, 0], [[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]])   # [1., 0.]
    """
    y_pred = to_array(y_pred)
    matches = _argmax_matches(to_array(y_true, y_pred.dtype), y_pred)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = jnp.squeeze(matches, -1)
    return matches


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target's class is among the `k` highest predictions.

    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.5, 0.4], [0.6, 0.1, 0.3]], k=2)
    ... # [1., 0.]
    """
    return _top_k_matches(jnp.argmax(to_array(y_true), axis=-1), to_array(y_pred), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the `k` highest predictions. With `from_sorted_ids=True`,
    `y_pred` holds class ids sorted best first (e.g. the output of a top-k op) instead of scores.

    >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.5, 0.4], [0.6, 0.1, 0.3]], k=2)   # [1., 0.]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype if from_sorted_ids else "int32")
    return _top_k_matches(y_true, y_pred, k, from_sorted_ids=from_sorted_ids)


# -- classes --------------------------------------------------------------------------------------------

class Accuracy(MeanMetricWrapper):
    """How often predictions equal targets exactly.

    >>> m = kerasj.metrics.Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    Array(0.75, dtype=float32)
    """

    _direction = "up"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often `y_pred > threshold` matches 0/1 targets.

    >>> m = kerasj.metrics.BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result()
    Array(0.75, dtype=float32)
    """

    _direction = "up"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError("BinaryAccuracy: threshold must lie in the open interval (0, 1); received "
                             f"threshold={threshold!r}.")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction matches the argmax of a one-hot target.

    >>> m = kerasj.metrics.CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    Array(0.5, dtype=float32)
    """

    _direction = "up"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction equals an integer label.

    >>> m = kerasj.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    Array(0.5, dtype=float32)
    """

    _direction = "up"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often a one-hot target's class is among the top `k` predictions.

    >>> m = kerasj.metrics.TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    Array(0.5, dtype=float32)
    """

    _direction = "up"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often an integer label is among the top `k` predictions (or, with `from_sorted_ids=True`, among
    the first `k` of a list of class ids sorted best first).

    >>> m = kerasj.metrics.SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    Array(0.5, dtype=float32)
    """

    _direction = "up"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
