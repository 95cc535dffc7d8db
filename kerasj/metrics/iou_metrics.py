"""Intersection-over-union metrics for segmentation and classification: IoU, BinaryIoU, MeanIoU, OneHotIoU,
OneHotMeanIoU.

All keep one running `(num_classes, num_classes)` confusion matrix (rows: true class, columns: predicted
class). For a class, `IoU = tp / (tp + fp + fn)`; the result is the mean over the chosen classes that have
appeared at all (as target or prediction).
"""
import functools

import jax
import jax.numpy as jnp

from kerasj import config
from kerasj.metrics.metric import Metric
from kerasj.utils.losses_utils import to_array


def confusion_matrix(labels, predictions, num_classes, weights=None, dtype="float32"):
    """Weighted `(num_classes, num_classes)` counts of (label, prediction) pairs; entry `[i, j]` sums the
    weights of samples of class `i` predicted as `j`. Class ids outside `[0, num_classes)` are dropped.

    >>> confusion_matrix(jnp.array([0, 1, 1]), jnp.array([0, 0, 1]), 2)
    Array([[1., 0.],
           [1., 1.]], dtype=float32)
    """
    labels = labels.astype("int32").reshape(-1)
    predictions = predictions.astype("int32").reshape(-1)
    weights = jnp.ones(labels.shape, dtype) if weights is None else weights.astype(dtype).reshape(-1)
    valid = (labels >= 0) & (labels < num_classes) & (predictions >= 0) & (predictions < num_classes)
    cell = jnp.where(valid, labels * num_classes + predictions, 0)
    counts = jax.ops.segment_sum(jnp.where(valid, weights, 0), cell, num_segments=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


@functools.partial(jax.jit, static_argnames=("num_classes", "dtype", "sparse_y_true", "sparse_y_pred", "axis",
                                             "ignore_class", "threshold", "owner"))
def confusion_matrix_increment(y_true, y_pred, sample_weight=None, *, num_classes, dtype, sparse_y_true=True,
                               sparse_y_pred=True, axis=-1, ignore_class=None, threshold=None, owner="IoU"):
    """One batch's `(num_classes, num_classes)` confusion matrix in the IoU metrics' conventions: non-sparse
    inputs are reduced by argmax along `axis`; with `threshold`, a score `>= threshold` predicts class 1;
    ids pass through `dtype` first, as in Keras (a float id is truncated towards zero, and so are
    fractional weights with an integer `dtype`); samples labelled `ignore_class` are skipped.

    >>> confusion_matrix_increment(jnp.array([0, 1, 1]), jnp.array([0.2, 0.7, 0.4]), num_classes=2,
    ...                            dtype="int32", threshold=0.5)
    Array([[1, 0],
           [1, 1]], dtype=int32)
    """
    if threshold is not None:
        y_pred = y_pred >= threshold
    if not sparse_y_true:
        y_true = jnp.argmax(y_true, axis=axis)
    if not sparse_y_pred:
        y_pred = jnp.argmax(y_pred, axis=axis)
    y_true = y_true.astype(dtype).reshape(-1)
    y_pred = y_pred.astype(dtype).reshape(-1)
    if sample_weight is None:
        weights = jnp.ones(y_true.shape, dtype)
    else:
        weights = sample_weight.astype(dtype).reshape(-1)
        if weights.size not in (1, y_true.size):
            raise ValueError(f"{owner}: sample_weight must hold one weight per class id ({y_true.size}) or a "
                             f"single weight; received sample_weight.shape={sample_weight.shape}.")
        weights = jnp.broadcast_to(weights, y_true.shape)
    if ignore_class is not None:
        weights = jnp.where(y_true == ignore_class, 0, weights).astype(dtype)
    return confusion_matrix(y_true, y_pred, num_classes, weights, dtype)


@functools.partial(jax.jit, static_argnames=("target_class_ids",))
def mean_iou(cm, *, target_class_ids):
    """Mean IoU `tp / (tp + fp + fn)` of the `target_class_ids` classes of a confusion matrix (rows: true
    class), over those classes that occur at all; a float even for an integer matrix.

    >>> mean_iou(jnp.array([[1, 1], [0, 2]]), target_class_ids=(0, 1))   # mean of 1/2 and 2/3
    Array(0.5833334, dtype=float32)
    """
    dtype = cm.dtype if jnp.issubdtype(cm.dtype, jnp.floating) else config.floatx()
    cm = cm.astype(dtype)
    true_positives = jnp.diagonal(cm)
    # tp + fp + fn: everything predicted as the class plus everything truly of the class, tp once.
    union = jnp.sum(cm, axis=0) + jnp.sum(cm, axis=1) - true_positives
    ids = jnp.asarray(target_class_ids, "int32")
    true_positives, union = true_positives[ids], union[ids]
    # Classes never seen (union 0) are left out of the mean.
    num_present = jnp.sum((union > 1e-9).astype(dtype))
    eps = config.epsilon()
    return jnp.sum(true_positives / (union + eps)) / (num_present + eps)


class _IoUBase(Metric):
    """The running confusion matrix and the IoU of the classes in `target_class_ids`.

    The state dtype defaults to "int32", as in Keras: with it, fractional sample weights are truncated to
    integers. Pass `dtype="float32"` to accumulate fractional weights. The result is always a float.
    """

    _direction = "up"
    _threshold = None  # BinaryIoU predicts class 1 for scores >= its threshold

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype or "int32")
        owner = type(self).__name__
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"{owner}: num_classes must be a positive integer; received "
                             f"num_classes={num_classes!r}.")
        target_class_ids = list(target_class_ids)
        out_of_range = [i for i in target_class_ids if not 0 <= i < num_classes]
        if out_of_range:
            raise ValueError(f"{owner}: target class id {out_of_range[0]} is out of range, which is "
                             f"[0, {num_classes}); received target_class_ids={target_class_ids}.")
        self.num_classes = num_classes
        self.target_class_ids = target_class_ids
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(shape=(num_classes, num_classes), initializer=jnp.zeros,
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch of class ids (or one-hot / score vectors along `axis`, when not sparse)."""
        self.total_cm.assign_add(confusion_matrix_increment(
            to_array(y_true), to_array(y_pred), None if sample_weight is None else to_array(sample_weight),
            num_classes=self.num_classes, dtype=self.dtype, sparse_y_true=self.sparse_y_true,
            sparse_y_pred=self.sparse_y_pred, axis=self.axis, ignore_class=self.ignore_class,
            threshold=self._threshold, owner=type(self).__name__))

    def result(self):
        return mean_iou(self.total_cm.value, target_class_ids=tuple(self.target_class_ids))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class IoU(_IoUBase):
    """Mean intersection-over-union of the classes in `target_class_ids`.

    Args:
        num_classes: number of classes (the confusion matrix is `num_classes x num_classes`).
        target_class_ids: the classes to average over.
        ignore_class: a label id whose samples are skipped (e.g. a "void" class).
        sparse_y_true, sparse_y_pred: False when that input holds one-hot / score vectors along `axis`
            (their argmax is used).
        axis: the class axis of non-sparse inputs.

    >>> m = kerasj.metrics.IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> m.result()   # class 0: tp 1 / (tp 1 + fp 1 + fn 1)
    Array(0.33333328, dtype=float32)
    """


class BinaryIoU(IoU):
    """IoU for binary targets: a score `>= threshold` predicts class 1.

    Args:
        target_class_ids: (0, 1) averages both classes; (1,) or (0,) scores one.
        threshold: the decision threshold on `y_pred`.

    >>> m = kerasj.metrics.BinaryIoU(target_class_ids=[1])
    >>> m.update_state([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.6])
    >>> m.result()   # class 1: tp 1 / (tp 1 + fp 1 + fn 1)
    Array(0.33333328, dtype=float32)
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = self._threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "target_class_ids": self.target_class_ids,
                "threshold": self.threshold}


class MeanIoU(IoU):
    """Mean intersection-over-union over all `num_classes` classes (those seen so far).

    >>> m = kerasj.metrics.MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> m.result()
    Array(0.33333334, dtype=float32)
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=range(num_classes), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred,
                         axis=axis)

    def get_config(self):
        config_ = super().get_config()
        del config_["target_class_ids"]
        return config_


class OneHotIoU(IoU):
    """IoU with one-hot targets (and, unless `sparse_y_pred=True`, score vectors as predictions).

    >>> m = kerasj.metrics.OneHotIoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([[1, 0], [1, 0], [0, 1]], [[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]])
    >>> m.result()   # class 0: tp 1 / (tp 1 + fn 1)
    Array(0.49999994, dtype=float32)
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config_ = super().get_config()
        del config_["sparse_y_true"]
        return config_


class OneHotMeanIoU(MeanIoU):
    """MeanIoU with one-hot targets (and, unless `sparse_y_pred=True`, score vectors as predictions).

    >>> m = kerasj.metrics.OneHotMeanIoU(num_classes=2)
    >>> m.update_state([[1, 0], [1, 0], [0, 1]], [[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]])
    >>> m.result()   # mean of 1/2 and 1/2
    Array(0.5, dtype=float32)
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config_ = super().get_config()
        del config_["sparse_y_true"]
        return config_
