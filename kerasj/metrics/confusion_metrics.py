"""Metrics built on confusion-matrix counts at decision thresholds: the four counts themselves, Precision,
Recall, the constrained operating points (SensitivityAtSpecificity and friends), and AUC.

All of them share `update_confusion_matrix`, which adds one batch's weighted true/false positive/negative
counts at every threshold at once: predictions are compared against the whole threshold vector in one
broadcast comparison, so the update is a fixed program (compiled once per shape and configuration) that
runs the same eagerly and inside `jax.jit` (under a `StateScope`).

A prediction is positive at threshold `t` when `y_pred > t`; a label is positive when it is nonzero.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.metrics.metric import Metric
from kerasj.metrics.reduction_metrics import divide_no_nan
from kerasj.utils.losses_utils import same_rank, to_array

# Score given to predictions outside the top k: below every threshold, including the default one used
# with `top_k` (which is this same value, so any prediction inside the top k counts as positive).
NEG_INF = -1e10

_VARIABLE_NAMES = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives",
                   "fn": "false_negatives"}


# -- thresholds -----------------------------------------------------------------------------------------

def _parse_thresholds(owner, thresholds, default):
    """A list of float thresholds in [0, 1] from a float, a sequence, or None (-> `[default]`)."""
    if thresholds is None:
        return [default]
    values = np.asarray(thresholds, dtype="float64").reshape(-1).tolist()
    bad = [t for t in values if not 0.0 <= t <= 1.0]
    if bad:
        raise ValueError(f"{owner}: threshold values must be in [0, 1]; received thresholds={thresholds!r}.")
    return values


def _is_evenly_spaced(thresholds):
    """Whether `thresholds` is (up to epsilon) `[0, 1/(n-1), ..., 1]` with n >= 3."""
    n = len(thresholds)
    if n < 3:
        return False
    return bool(np.allclose(thresholds, np.arange(n, dtype="float32") / (n - 1), atol=config.epsilon()))


def _even_thresholds(num_thresholds):
    """The `num_thresholds - 2` interior points of an even grid on [0, 1]."""
    return [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]


# -- the shared update ------------------------------------------------------------------------------------

def _keep_top_k(y_pred, k):
    """`y_pred` with every entry outside the `k` largest of its last axis replaced by NEG_INF (ties go to
    the lower index, as `lax.top_k` orders them)."""
    _, top = jax.lax.top_k(y_pred, k)
    keep = jnp.any(top[..., None] == jnp.arange(y_pred.shape[-1]), axis=-2)
    return jnp.where(keep, y_pred, jnp.asarray(NEG_INF, y_pred.dtype))


def _broadcast_weights(owner, weights, shape, dtype):
    """Per-element weights of `shape` from weights that cover its leading axes (e.g. per sample)."""
    weights = weights.astype(dtype)
    received = tuple(weights.shape)
    while weights.ndim > len(shape) and weights.shape[-1] == 1:
        weights = jnp.squeeze(weights, -1)
    weights = jnp.reshape(weights, weights.shape + (1,) * (len(shape) - weights.ndim))
    try:
        return jnp.broadcast_to(weights, shape)
    except ValueError:
        raise ValueError(f"{owner}: sample_weight of shape {received} cannot be broadcast to the "
                         f"predictions' shape {tuple(shape)}; pass one weight per sample or per element."
                         ) from None


def _predicted_positive(y_pred, thresholds, evenly_spaced, first_threshold_below_zero):
    """Boolean `(num_thresholds, *y_pred.shape)`: whether each prediction is above each threshold.

    On an evenly spaced grid `t_i = i / (n - 1)` the predictions are clipped to [0, 1] and compared through
    their bucket `ceil(p (n - 1)) - 1` (positive at `t_i` iff bucket >= i). That is `p > t_i` written in
    the arithmetic Keras uses for such grids, so which predictions lie above which threshold agrees with
    Keras exactly, even for predictions that sit on (or one float step beside) a threshold. With
    `first_threshold_below_zero` (AUC's grid starts at -epsilon) every prediction is above the first
    threshold.
    """
    n = len(thresholds)
    index_shape = (n,) + (1,) * y_pred.ndim
    if not evenly_spaced:
        return y_pred[None] > jnp.asarray(thresholds, y_pred.dtype).reshape(index_shape)
    bucket = jnp.ceil(jnp.clip(y_pred, 0.0, 1.0) * (n - 1)) - 1
    if first_threshold_below_zero:
        bucket = jnp.maximum(bucket, 0)
    return bucket[None] >= jnp.arange(n, dtype=y_pred.dtype).reshape(index_shape)


@functools.partial(jax.jit, static_argnames=("keys", "dtype", "thresholds", "evenly_spaced",
                                             "first_threshold_below_zero", "top_k", "class_id", "multi_label",
                                             "owner"))
def confusion_counts(y_true, y_pred, sample_weight=None, label_weights=None, *, keys, dtype, thresholds,
                     evenly_spaced=False, first_threshold_below_zero=False, top_k=None, class_id=None,
                     multi_label=False, owner="metric"):
    """One batch's weighted confusion-matrix counts at every threshold, as a tuple in the order of `keys`.

    A pure function (compiled once per input shape and configuration, so eager metric updates are one
    dispatch). Arguments are described in `update_confusion_matrix`; `keys` is a tuple of "tp", "fp",
    "tn", "fn"; `thresholds` a tuple of floats.

    >>> confusion_counts(jnp.array([1, 1, 0]), jnp.array([0.3, 0.8, 0.9]), keys=("tp", "fp"), dtype="float32",
    ...                  thresholds=(0.5,))
    (Array([1.], dtype=float32), Array([1.], dtype=float32))
    """
    y_pred = y_pred.astype(dtype)
    y_true, y_pred = same_rank(y_true, y_pred)
    if top_k is not None:
        y_pred = _keep_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim < 2 or not 0 <= class_id < y_pred.shape[-1]:
            raise ValueError(f"{owner}: with class_id={class_id}, y_pred must have shape (batch, num_classes) "
                             f"with num_classes > class_id; received y_pred.shape={y_pred.shape}.")
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
    if multi_label and y_pred.ndim != 2:
        raise ValueError(f"{owner}: with multi_label=True, y_pred must have shape (batch, num_labels); "
                         f"received y_pred.shape={y_pred.shape}.")
    y_true = jnp.broadcast_to(y_true, y_pred.shape)

    weights = None
    if sample_weight is not None:
        weights = _broadcast_weights(owner, sample_weight, y_pred.shape, dtype)
    if label_weights is not None:
        label_weights = jnp.broadcast_to(label_weights.astype(dtype), y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights

    if not multi_label:  # all entries are one pool of binary decisions
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        weights = None if weights is None else weights.reshape(-1)
    is_positive = y_true != 0
    above = _predicted_positive(y_pred, thresholds, evenly_spaced, first_threshold_below_zero)

    def total(mask):  # sum over the sample axis (axis 1, after the threshold axis)
        if weights is None:
            return jnp.sum(mask, axis=1).astype(dtype)
        return jnp.sum(jnp.where(mask, weights, 0), axis=1)

    masks = {"tp": lambda: above & is_positive, "fp": lambda: above & ~is_positive,
             "tn": lambda: ~above & ~is_positive, "fn": lambda: ~above & is_positive}
    return tuple(total(masks[key]()) for key in keys)


def update_confusion_matrix(counts, y_true, y_pred, thresholds, *, evenly_spaced=False,
                            first_threshold_below_zero=False, top_k=None, class_id=None, sample_weight=None,
                            multi_label=False, label_weights=None, owner="metric"):
    """Add one batch's weighted confusion-matrix counts, at every threshold, to Variables.

    Args:
        counts: dict from any of "tp", "fp", "tn", "fn" to a Variable of shape `(len(thresholds),)`, or
            `(len(thresholds), num_labels)` with `multi_label`.
        y_true: labels; nonzero means positive. Brought to the rank of `y_pred` when they differ by a
            trailing axis of size 1.
        y_pred: scores; positive at threshold `t` when `y_pred > t`.
        thresholds: Python floats.
        evenly_spaced: `thresholds` is the grid `i / (n - 1)`; predictions are then clipped to [0, 1]
            (see `_predicted_positive`).
        first_threshold_below_zero: with `evenly_spaced`, the first threshold is just below 0 (AUC).
        top_k: keep only the `k` largest scores of the last axis (the others are never positive).
        class_id: count only this column of the last axis.
        sample_weight: weights broadcastable over the leading axes of `y_pred`.
        multi_label: `y_pred` is `(batch, num_labels)`; count each label separately.
        label_weights: per-label weights (last axis) folded into the counts (not with `multi_label`).
        owner: the metric's class name, for error messages.

    Example:
        >>> tp = Variable(jnp.zeros(2))
        >>> update_confusion_matrix({"tp": tp}, [1, 1, 0], [0.3, 0.8, 0.9], [0.5, 0.2])
        >>> tp.numpy()
        array([1., 2.], dtype=float32)
    """
    # Plain conversions only here (no dtype casts): casting is compiled with the rest in confusion_counts.
    optional = lambda x: None if x is None else to_array(x)  # noqa: E731
    increments = confusion_counts(
        to_array(y_true), to_array(y_pred), optional(sample_weight), optional(label_weights), keys=tuple(counts),
        dtype=next(iter(counts.values())).dtype, thresholds=tuple(thresholds), evenly_spaced=evenly_spaced,
        first_threshold_below_zero=first_threshold_below_zero, top_k=top_k, class_id=class_id,
        multi_label=multi_label, owner=owner)
    for variable, increment in zip(counts.values(), increments):
        variable.assign_add(increment)


# -- base class ---------------------------------------------------------------------------------------------

class _ConfusionMatrixMetric(Metric):
    """Holds thresholds and one count Variable per entry of `_counts`, and updates them from batches."""

    _counts = ()

    def _set_thresholds(self, thresholds, evenly_spaced, first_threshold_below_zero=False):
        self.thresholds = thresholds
        self._evenly_spaced = evenly_spaced
        self._first_threshold_below_zero = first_threshold_below_zero

    def _add_counts(self, shape, names=None):
        self._count_variables = {}
        for key in self._counts:
            name = (names or _VARIABLE_NAMES)[key]
            self._count_variables[key] = self.add_variable(shape=shape, initializer=jnp.zeros, name=name)
            setattr(self, name, self._count_variables[key])

    def _update(self, y_true, y_pred, sample_weight, **kwargs):
        update_confusion_matrix(self._count_variables, y_true, y_pred, self.thresholds,
                                evenly_spaced=self._evenly_spaced,
                                first_threshold_below_zero=self._first_threshold_below_zero,
                                sample_weight=sample_weight, owner=type(self).__name__, **kwargs)

    def _values(self):
        return [self._count_variables[key].value for key in self._counts]

    def _per_threshold(self, value):
        # A single threshold gives a scalar result, as in Keras.
        return value[0] if len(self.thresholds) == 1 else value


# -- the four counts ----------------------------------------------------------------------------------------

class _ThresholdCount(_ConfusionMatrixMetric):
    """One confusion-matrix count (weighted), per threshold; a single threshold gives a scalar."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        parsed = _parse_thresholds(type(self).__name__, thresholds, default=0.5)
        self._set_thresholds(parsed, _is_evenly_spaced(parsed))
        self._add_counts((len(parsed),), names={self._counts[0]: "accumulator"})

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._update(y_true, y_pred, sample_weight)

    def result(self):
        return self._per_threshold(self.accumulator.value)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ThresholdCount):
    """Weighted count of positive labels predicted positive (`y_pred > threshold`, default 0.5).

    >>> m = kerasj.metrics.TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    Array(2., dtype=float32)
    """

    _counts = ("tp",)


class FalsePositives(_ThresholdCount):
    """Weighted count of negative labels predicted positive.

    >>> m = kerasj.metrics.FalsePositives(thresholds=[0.3, 0.7])
    >>> m.update_state([0, 1, 0, 0], [0.5, 0.9, 0.8, 0.1])
    >>> m.result()
    Array([2., 1.], dtype=float32)
    """

    _counts = ("fp",)


class TrueNegatives(_ThresholdCount):
    """Weighted count of negative labels predicted negative.

    >>> m = kerasj.metrics.TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> m.result()
    Array(2., dtype=float32)
    """

    _counts = ("tn",)


class FalseNegatives(_ThresholdCount):
    """Weighted count of positive labels predicted negative.

    >>> m = kerasj.metrics.FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> m.result()
    Array(2., dtype=float32)
    """

    _counts = ("fn",)


# -- precision and recall -------------------------------------------------------------------------------------

class _PrecisionRecall(_ConfusionMatrixMetric):
    _direction = "up"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        # With top_k and no thresholds, every prediction in the top k counts as positive.
        default = 0.5 if top_k is None else NEG_INF
        parsed = _parse_thresholds(type(self).__name__, thresholds, default)
        self._set_thresholds(parsed, _is_evenly_spaced(parsed))
        self._add_counts((len(parsed),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._update(y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id)

    def result(self):
        tp, other = self._values()
        return self._per_threshold(divide_no_nan(tp, tp + other))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """`tp / (tp + fp)`: the fraction of positive predictions that are right (0 before any positive).

    Args:
        thresholds: a float or a list of floats in [0, 1] (one result per threshold); default 0.5, or,
            with `top_k`, "in the top k".
        top_k: only the `k` highest scores of each row count as positive predictions.
        class_id: score only this class (column of the last axis).

    >>> m = kerasj.metrics.Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()   # 2 right out of 3 predicted positive
    Array(0.6666667, dtype=float32)
    """

    _counts = ("tp", "fp")


class Recall(_PrecisionRecall):
    """`tp / (tp + fn)`: the fraction of positive labels that are found (0 before any positive label).

    Takes the same `thresholds`, `top_k` and `class_id` arguments as `Precision`.

    >>> m = kerasj.metrics.Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()   # 2 found out of 3
    Array(0.6666667, dtype=float32)
    """

    _counts = ("tp", "fn")


# -- best value of one rate subject to a bound on another ---------------------------------------------------

_RATES = {
    "sensitivity": lambda tp, fp, tn, fn: divide_no_nan(tp, tp + fn),  # = recall
    "specificity": lambda tp, fp, tn, fn: divide_no_nan(tn, tn + fp),
    "precision": lambda tp, fp, tn, fn: divide_no_nan(tp, tp + fp),
}


@functools.partial(jax.jit, static_argnames=("constrained", "maximised", "bound"))
def best_rate_under_bound(tp, fp, tn, fn, *, constrained, maximised, bound):
    """The largest `maximised` rate over the thresholds whose `constrained` rate is >= `bound` (0 if none);
    rates are "sensitivity", "specificity" or "precision", computed from counts per threshold.

    >>> best_rate_under_bound(jnp.array([2., 1]), jnp.array([2., 0]), jnp.array([0., 2]), jnp.array([0., 1]),
    ...                       constrained="specificity", maximised="sensitivity", bound=0.5)
    Array(0.5, dtype=float32)
    """
    counts = (tp, fp, tn, fn)
    feasible = _RATES[constrained](*counts) >= bound
    best = jnp.max(jnp.where(feasible, _RATES[maximised](*counts), 0))
    return jnp.where(jnp.any(feasible), best, jnp.zeros_like(best))


class _RateAtConstraint(_ConfusionMatrixMetric):
    """Counts on an even grid of `num_thresholds` thresholds in [0, 1]; the result is the largest value of
    the `_maximised` rate among the thresholds where the `_constrained` rate is >= the target value (0 when
    there is none)."""

    _direction = "up"
    _counts = ("tp", "fp", "tn", "fn")
    _constrained = _maximised = None
    _argument = None  # the constructor argument that holds the target value

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        if not 0 <= value <= 1:
            raise ValueError(f"{owner}: argument `{self._argument}` must be in the range [0, 1]; received "
                             f"{self._argument}={value!r}.")
        if not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError(f"{owner}: argument `num_thresholds` must be an integer > 0; received "
                             f"num_thresholds={num_thresholds!r}.")
        super().__init__(name=name, dtype=dtype)
        self.value = value
        setattr(self, self._argument, value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self._set_thresholds([0.5], evenly_spaced=False)
        else:
            self._set_thresholds([0.0] + _even_thresholds(num_thresholds) + [1.0], evenly_spaced=True)
        self._add_counts((num_thresholds,))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._update(y_true, y_pred, sample_weight, class_id=self.class_id)

    def result(self):
        return best_rate_under_bound(*self._values(), constrained=self._constrained, maximised=self._maximised,
                                     bound=float(self.value))

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "class_id": self.class_id,
                self._argument: self.value}


class SensitivityAtSpecificity(_RateAtConstraint):
    """The best sensitivity (recall) over thresholds whose specificity `tn / (tn + fp)` is >= `specificity`.

    Args:
        specificity: the bound, in [0, 1].
        num_thresholds: size of the even threshold grid on [0, 1].
        class_id: score only this class (column of the last axis).

    >>> m = kerasj.metrics.SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    Array(0.5, dtype=float32)
    """

    _argument, _constrained, _maximised = "specificity", "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


class SpecificityAtSensitivity(_RateAtConstraint):
    """The best specificity over thresholds whose sensitivity `tp / (tp + fn)` is >= `sensitivity`; other
    arguments as in `SensitivityAtSpecificity`.

    >>> m = kerasj.metrics.SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    Array(0.6666667, dtype=float32)
    """

    _argument, _constrained, _maximised = "sensitivity", "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


class PrecisionAtRecall(_RateAtConstraint):
    """The best precision over thresholds whose recall is >= `recall`; other arguments as in
    `SensitivityAtSpecificity`.

    >>> m = kerasj.metrics.PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    Array(0.5, dtype=float32)
    """

    _argument, _constrained, _maximised = "recall", "sensitivity", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


class RecallAtPrecision(_RateAtConstraint):
    """The best recall over thresholds whose precision is >= `precision`; other arguments as in
    `SensitivityAtSpecificity`.

    >>> m = kerasj.metrics.RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    Array(0.5, dtype=float32)
    """

    _argument, _constrained, _maximised = "precision", "precision", "sensitivity"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


# -- AUC --------------------------------------------------------------------------------------------------------

_CURVES = ("ROC", "PR", "PRGAIN")
_SUMMATION_METHODS = ("interpolation", "minoring", "majoring")


def _choice(owner, argument, value, valid):
    for option in valid:
        if isinstance(value, str) and value.lower() == option.lower():
            return option
    raise ValueError(f"{owner}: invalid {argument} {value!r}; expected one of {list(valid)}.")


def _interpolated_pr_terms(tp, fp, fn):
    """Area of each interval of the PR curve, with precision interpolated between the two thresholds as
    Davis & Goadrich (2006) do: along an interval, tp grows linearly in the number of predicted positives
    p, tp = slope * p + intercept, and the area under precision = tp / p has a closed form with a log."""
    positives = tp + fp
    d_tp = tp[:-1] - tp[1:]
    d_positives = positives[:-1] - positives[1:]
    slope = divide_no_nan(d_tp, jnp.maximum(d_positives, 0))
    intercept = tp[1:] - slope * positives[1:]
    both_nonzero = (positives[:-1] > 0) & (positives[1:] > 0)
    ratio = jnp.where(both_nonzero, divide_no_nan(positives[:-1], jnp.maximum(positives[1:], 0)),
                      jnp.ones_like(positives[1:]))
    return divide_no_nan(slope * (d_tp + intercept * jnp.log(ratio)), jnp.maximum(tp[1:] + fn[1:], 0))


def _curve_points(curve, tp, fp, tn, fn):
    """(x, y) of the curve at every threshold; x decreases as the threshold rises."""
    recall = divide_no_nan(tp, tp + fn)
    if curve == "ROC":
        return divide_no_nan(fp, fp + tn), recall
    if curve == "PR":
        return recall, divide_no_nan(tp, tp + fp)
    # Gains rescale recall and precision against the positive rate pi = P / (P + N):
    # gain(v) = (v - pi) / ((1 - pi) v); recall gain is floored at 0.
    positives, negatives = tp + fn, fp + tn
    recall_gain = jnp.maximum(divide_no_nan(tp * negatives - fn * positives, tp * negatives), 0)
    precision_gain = 1.0 - divide_no_nan(fp * positives, tp * negatives)
    return recall_gain, precision_gain


def _riemann_terms(curve, summation_method, tp, fp, tn, fn):
    x, y = _curve_points(curve, tp, fp, tn, fn)
    if summation_method == "interpolation":
        heights = (y[:-1] + y[1:]) / 2.0
    elif summation_method == "minoring":
        heights = jnp.minimum(y[:-1], y[1:])
    else:
        heights = jnp.maximum(y[:-1], y[1:])
    return (x[:-1] - x[1:]) * heights


@functools.partial(jax.jit, static_argnames=("curve", "summation_method", "multi_label", "label_weights"))
def auc_from_counts(tp, fp, tn, fn, *, curve="ROC", summation_method="interpolation", multi_label=False,
                    label_weights=None):
    """The area under a curve given confusion counts at thresholds in increasing order (axis 0; a second
    axis holds labels with `multi_label`, whose areas are averaged, weighted by `label_weights`).

    >>> auc_from_counts(jnp.array([2., 1, 0]), jnp.array([2., 0, 0]), jnp.array([0., 2, 2]),
    ...                 jnp.array([0., 1, 2]))   # ROC points (1, 1), (0, 0.5), (0, 0)
    Array(0.75, dtype=float32)
    """
    if curve == "PR" and summation_method == "interpolation":
        terms = _interpolated_pr_terms(tp, fp, fn)
    else:
        terms = _riemann_terms(curve, summation_method, tp, fp, tn, fn)
    areas = jnp.sum(terms, axis=0)  # one per label with multi_label, else a scalar
    if not multi_label:
        return areas
    if label_weights is None:
        return jnp.mean(areas)
    label_weights = jnp.asarray(label_weights, areas.dtype)
    return divide_no_nan(jnp.sum(areas * label_weights), jnp.sum(label_weights))


class AUC(_ConfusionMatrixMetric):
    """Area under the ROC curve (or the precision-recall curve), approximated by a Riemann sum over
    `num_thresholds` thresholds.

    Counts of true/false positives/negatives are accumulated at thresholds `-eps, 1/(n-1), ..., 1+eps`
    (or at `[-eps] + sorted(thresholds) + [1+eps]`); the curve through those points is then integrated.

    Args:
        num_thresholds: number of thresholds (> 1) when `thresholds` is not given.
        curve: "ROC" (true positive rate against false positive rate), "PR" (precision against recall) or
            "PRGAIN" (precision gain against recall gain).
        summation_method: "interpolation" (trapezoids; for "PR", the interpolation of Davis & Goadrich,
            2006), "minoring" (the lower of each pair of heights) or "majoring" (the higher).
        thresholds: explicit thresholds in place of the even grid.
        multi_label: treat each column of `(batch, num_labels)` data as its own binary problem and average
            the per-label AUCs (weighted by `label_weights` if given); otherwise all entries are pooled.
        num_labels: with `multi_label`, create the state now instead of on the first batch.
        label_weights: per-label weights: used in the counts when pooling, in the average with
            `multi_label`.
        from_logits: apply a sigmoid to `y_pred` first.

    >>> m = kerasj.metrics.AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()   # (fpr, tpr) points (1, 1), (0, 0.5), (0, 0): trapezoids give 0.75
    Array(0.75, dtype=float32)
    """

    _direction = "up"
    _counts = ("tp", "fp", "tn", "fn")

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        self.curve = _choice("AUC", "curve", curve, _CURVES)
        self.summation_method = _choice("AUC", "summation_method", summation_method, _SUMMATION_METHODS)
        if thresholds is not None:
            inner = sorted(np.asarray(thresholds, dtype="float64").reshape(-1).tolist())
            self.num_thresholds = len(inner) + 2
            evenly_spaced = _is_evenly_spaced([0.0] + inner + [1.0])
        else:
            if not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError("AUC: argument `num_thresholds` must be an integer > 1; received "
                                 f"num_thresholds={num_thresholds!r}.")
            self.num_thresholds = num_thresholds
            inner = _even_thresholds(num_thresholds)
            evenly_spaced = True
        if num_labels is not None and not multi_label:
            raise ValueError(f"AUC: `num_labels` is only used with multi_label=True; received "
                             f"num_labels={num_labels!r} with multi_label=False.")
        if label_weights is not None:
            label_weights = np.asarray(label_weights, dtype="float64").reshape(-1)
            if np.any(label_weights < 0):
                raise ValueError(f"AUC: all values of `label_weights` must be non-negative; received "
                                 f"label_weights={label_weights.tolist()}.")
            label_weights = label_weights.tolist()
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        eps = config.epsilon()
        # The outer thresholds sit just outside [0, 1], so predictions of exactly 0 or 1 land inside.
        self._set_thresholds([0.0 - eps] + inner + [1.0 + eps], evenly_spaced, first_threshold_below_zero=True)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = label_weights
        self._from_logits = from_logits
        self._built = False
        if not multi_label:
            self._build((self.num_thresholds,))
        elif num_labels:
            self._build((self.num_thresholds, num_labels))

    def _build(self, shape):
        self._add_counts(shape)
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_array(y_pred)
        if not self._built:  # multi_label without num_labels: the state is sized by the first batch
            if y_pred.ndim != 2:
                raise ValueError(f"AUC: with multi_label=True, y_pred must have shape (batch, num_labels); "
                                 f"received y_pred.shape={y_pred.shape}.")
            self._build((self.num_thresholds, y_pred.shape[1]))
        if self._from_logits:
            y_pred = jax.nn.sigmoid(y_pred.astype(self.dtype))
        # With multi_label the label weights weigh the per-label AUCs in result(), not the counts.
        self._update(y_true, y_pred, sample_weight, multi_label=self.multi_label,
                     label_weights=None if self.multi_label else self.label_weights)

    def result(self):
        if not self._built:
            raise ValueError("AUC.result() was called before any update_state(); with multi_label=True and "
                             "no num_labels the number of labels is not known yet.")
        label_weights = None if self.label_weights is None else tuple(self.label_weights)
        return auc_from_counts(*self._values(), curve=self.curve, summation_method=self.summation_method,
                               multi_label=self.multi_label, label_weights=label_weights)

    def get_config(self):
        config_ = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                   "summation_method": self.summation_method, "multi_label": self.multi_label,
                   "num_labels": self.num_labels, "label_weights": self.label_weights,
                   "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config_["thresholds"] = self.thresholds[1:-1]
        return config_
