"""Losses, as in `keras.losses`: per-sample loss functions, `Loss` classes that reduce them, and `get`.

A loss function maps `(y_true, y_pred)` to one value per sample (it reduces the last axis). A `Loss` object
calls its function, weights the values by `sample_weight` and reduces them to a scalar:

    >>> mse = kerasj.losses.MeanSquaredError()
    >>> mse([[0.0, 1.0]], [[1.0, 1.0]])            # mean over all values: 0.5
    >>> kerasj.losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])   # per sample: [0.5]

Everything here is pure `jax.numpy`, so it runs under `jax.jit` and differentiates with `jax.grad`.
"""
import math

import jax
import jax.numpy as jnp

from kerasj import config
from kerasj.masks import get_mask
# The helpers that metrics share live in utils/losses_utils.py; here they keep their short private names.
from kerasj.utils.losses_utils import (apply_mask as _apply_mask, cast_pair as _cast_pair,
                                       divide_no_nan as _divide_no_nan, prepare_pair as _prepare,
                                       same_rank as _same_rank, to_array as _array)
from kerasj.utils.naming import to_snake_case
from kerasj.utils.keras_names import register_namespace

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# -- shared helpers ------------------------------------------------------------------------------------

def _check_same_shape(fn_name, y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{fn_name}: y_true and y_pred must have the same shape; received "
                         f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")


def _check_axis(fn_name, axis):
    # bool is an int subclass; `axis=True` is almost always a misplaced `from_logits=True`.
    if isinstance(axis, bool):
        raise ValueError(f"{fn_name}: axis must be an int; received axis={axis!r} "
                         "(did you mean from_logits=True?)")


def _clip_probabilities(p):
    eps = config.epsilon()
    return jnp.clip(p, eps, 1.0 - eps)


def _smooth_binary_labels(y_true, label_smoothing):
    # Pull hard 0/1 targets towards 0.5: 0 -> ls/2, 1 -> 1 - ls/2.
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _elementwise_bce(y_true, y_pred, from_logits):
    """Binary cross-entropy per element, clipping probabilities to [eps, 1 - eps]."""
    if from_logits:
        # log_sigmoid is the numerically stable log(sigmoid(x)); log(1 - sigmoid(x)) = log_sigmoid(-x).
        return -(y_true * jax.nn.log_sigmoid(y_pred) + (1.0 - y_true) * jax.nn.log_sigmoid(-y_pred))
    p = _clip_probabilities(y_pred)
    return -(y_true * jnp.log(p) + (1.0 - y_true) * jnp.log(1.0 - p))


def _log_probabilities(y_pred, from_logits, axis):
    """Log class probabilities: log_softmax of logits, or log of renormalised, clipped probabilities."""
    if from_logits:
        return jax.nn.log_softmax(y_pred, axis=axis)
    p = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    return jnp.log(_clip_probabilities(p))


def _l2_normalize(x, axis):
    # max(|x|, eps) written inside the sqrt so the gradient at an all-zero vector is 0, not NaN.
    eps = config.epsilon()
    return x / jnp.sqrt(jnp.maximum(jnp.sum(jnp.square(x), axis=axis, keepdims=True), eps * eps))


def _hinge_labels(y_true):
    # Targets given as {0, 1} mean {-1, +1}; decided on device with `where`, so it works under jit.
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


# -- loss functions (one value per sample) ------------------------------------------------------------

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


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred), axis=-1)`, both clipped to [eps, 1].

    >>> kl_divergence([[0.0, 1.0]], [[0.5, 0.5]])   # [log(2)]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = config.epsilon()
    y_true = jnp.clip(y_true, eps, 1.0)
    y_pred = jnp.clip(y_pred, eps, 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + eps), axis=-1)`.

    >>> poisson([[1.0]], [[1.0]])   # [1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + config.epsilon()), axis=-1)


def hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`; targets in {0, 1} are read as {-1, 1}.

    >>> hinge([[1.0, 0.0]], [[0.5, -2.0]])   # [(0.5 + 0.0) / 2]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(jnp.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0)**2, axis=-1)`; targets in {0, 1} are read as {-1, 1}.

    >>> squared_hinge([[1.0, 0.0]], [[0.5, -2.0]])   # [(0.25 + 0.0) / 2]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - _hinge_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """`max(neg - pos + 1, 0)` with `pos = sum(y_true * y_pred)` and `neg = max((1 - y_true) * y_pred)`
    over the last axis; targets are one-hot.

    >>> categorical_hinge([[0.0, 1.0]], [[0.3, 0.9]])   # [max(0.3 - 0.9 + 1, 0)] = [0.4]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, 0.0)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy averaged over `axis`; probabilities are clipped to [eps, 1 - eps].

    >>> binary_crossentropy([[1.0, 0.0]], [[0.9, 0.2]])   # [-(log(0.9) + log(0.8)) / 2]
    >>> binary_crossentropy([[1.0]], [[2.0]], from_logits=True)   # [softplus(-2)]
    """
    _check_axis("binary_crossentropy", axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = _smooth_binary_labels(y_true, label_smoothing)
    return jnp.mean(_elementwise_bce(y_true, y_pred, from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by `(1 - p_t)**gamma` (and by `alpha` / `1 - alpha` for positives /
    negatives with `apply_class_balancing`), so that easy examples count less; averaged over `axis`.

    >>> binary_focal_crossentropy([[1.0]], [[0.9]])   # [(0.1**2) * -log(0.9)]
    """
    _check_axis("binary_focal_crossentropy", axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = _smooth_binary_labels(y_true, label_smoothing)
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    bce = _elementwise_bce(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """`-sum(y_true * log(p), axis)` for one-hot (or soft) targets. Probabilities are renormalised to sum
    to 1 and clipped to [eps, 1 - eps]; with `from_logits=True`, `p = softmax(y_pred)`.

    >>> categorical_crossentropy([[0.0, 1.0]], [[0.2, 0.8]])   # [-log(0.8)]
    """
    _check_axis("categorical_crossentropy", axis)
    y_true, y_pred = _cast_pair(y_true, y_pred)
    _check_same_shape("categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        num_classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return -jnp.sum(y_true * _log_probabilities(y_pred, from_logits, axis), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Categorical cross-entropy for integer class labels of shape `y_pred.shape[:-1]` (or with a trailing
    axis of size 1). Labels equal to `ignore_class` contribute 0. A label outside `[0, classes)` also gives
    0 here, silently, as in Keras 3; `fit` and `evaluate` on arrays check the labels first and raise.

    >>> sparse_categorical_crossentropy([1], [[0.2, 0.8]])   # [-log(0.8)]
    """
    _check_axis("sparse_categorical_crossentropy", axis)
    y_pred = _array(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.inexact):
        y_pred = y_pred.astype(config.floatx())
    y_true = _array(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    labels = y_true.astype("int32")
    class_axis = axis % y_pred.ndim
    expected = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1:]
    if labels.shape != expected:
        raise ValueError(f"sparse_categorical_crossentropy: y_true must hold one integer label per row of "
                         f"y_pred, i.e. have shape {expected} (or {expected + (1,)}); received "
                         f"y_true.shape={_array(y_true).shape}, y_pred.shape={y_pred.shape}.")
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = jnp.where(valid, labels, 0)
        # Zero the ignored rows' predictions, as Keras does. `where` (not a multiply by 0) keeps their
        # gradient exactly 0 even though the 0/0 renormalisation of an all-zero row is NaN.
        y_pred = jnp.where(jnp.expand_dims(valid, class_axis), y_pred, 0.0)
    one_hot = jax.nn.one_hot(labels, y_pred.shape[class_axis], dtype=y_pred.dtype, axis=class_axis)
    loss = -jnp.sum(one_hot * _log_probabilities(y_pred, from_logits, class_axis), axis=class_axis)
    if valid is not None:
        loss = jnp.where(valid, loss, 0.0)
    return loss


# -- reduction -----------------------------------------------------------------------------------------

def _standardize_reduction(reduction, owner="Loss"):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{owner}: invalid reduction {reduction!r}; expected one of "
                         f"{[r for r in REDUCTIONS]}.")
    return reduction


def _reduce_weighted(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Weight per-sample loss values and reduce them.

    - "sum": `sum(w * l)`.
    - "sum_over_batch_size" / "mean": `sum(w * l) / n`, with `n` the number of loss values (not the weight
      sum).
    - "mean_with_sample_weight": `sum(w * l) / sum(w)` (`n` when there are no weights).
    - "none" / None: the weighted values, unreduced.
    """
    values = _array(values, dtype)
    if sample_weight is not None:
        sample_weight = _array(sample_weight, values.dtype)
    sample_weight = _apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = _same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = jnp.sum(sample_weight)
    else:
        divisor = jnp.asarray(values.size, values.dtype)
    return _divide_no_nan(total, divisor)


# -- Loss classes --------------------------------------------------------------------------------------

class Loss:
    """Base class for losses. Subclasses implement `call(y_true, y_pred)`, returning per-sample values;
    `__call__` applies `sample_weight` and the reduction.

    >>> class MyMSE(kerasj.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return jnp.mean(jnp.square(y_pred - y_true), axis=-1)
    >>> MyMSE(reduction="sum")([[0.0], [1.0]], [[1.0], [1.0]])   # 1.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = _standardize_reduction(reduction, type(self).__name__)
        if isinstance(dtype, str) and dtype.startswith("mixed_"):
            dtype = dtype[len("mixed_"):]  # a mixed-precision policy computes in its half-precision type
        self.dtype = dtype or config.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        # A mask on the predictions (e.g. from Embedding(mask_zero=True) through an RNN with
        # return_sequences) excludes the padded steps, as in Keras.
        output_mask = get_mask(y_pred)
        y_pred = self._to_arrays(y_pred)
        y_true = self._to_arrays(y_true)
        values = self.call(y_true, y_pred)
        mask = self._valid_mask(y_true, y_pred)
        if output_mask is not None:
            output_mask = jnp.asarray(output_mask, bool)
            mask = output_mask if mask is None else jnp.logical_and(*_same_rank(mask, output_mask))
        return _reduce_weighted(values, sample_weight, mask, self.reduction, self.dtype)

    def _to_arrays(self, x):
        """`x` as an array of this loss's dtype. Nested lists of numbers become one array; dicts, and lists
        or tuples of arrays (a custom loss over several outputs), keep their structure."""
        if isinstance(x, dict):
            return {k: self._to_arrays(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)) and any(hasattr(v, "shape") or isinstance(v, dict) for v in x):
            return type(x)(self._to_arrays(v) for v in x)
        return _array(x, self.dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def _valid_mask(self, y_true, y_pred):
        """Which per-sample values count (None: all). Overridden by losses that ignore some targets."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A `Loss` around a per-sample function `fn(y_true, y_pred, **kwargs)`, e.g. a custom loss.

    >>> def my_loss(y_true, y_pred, power=2.0):
    ...     return jnp.mean(jnp.abs(y_pred - y_true) ** power, axis=-1)
    >>> loss = kerasj.losses.LossFunctionWrapper(my_loss, power=3.0)
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: fn must be callable; received {fn!r}.")
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if isinstance(y_true, jax.Array) and isinstance(y_pred, jax.Array):
            y_true, y_pred = _same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        return cls(deserialize(fn) if isinstance(fn, (dict, str)) else fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its function is fixed, so the config holds only its own arguments. (All of
    them: Keras leaves Huber's `delta` and the `axis` of CosineSimilarity and SparseCategoricalCrossentropy
    out of their configs; kerasj keeps them so that a config round-trip rebuilds the same loss.)"""

    fn_for_class = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(type(self).fn_for_class, reduction=reduction, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _builtin(class_name, fn, default_name, doc):
    """Define a built-in loss class with no arguments of its own."""
    def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
        _BuiltinLoss.__init__(self, reduction=reduction, name=name, dtype=dtype)
    return type(class_name, (_BuiltinLoss,), {"__init__": __init__, "__doc__": doc,
                                               "fn_for_class": staticmethod(fn), "__module__": __name__})


MeanSquaredError = _builtin("MeanSquaredError", mean_squared_error, "mean_squared_error",
                            """Mean of squared errors over all values.

    >>> kerasj.losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]])   # 0.5
    """)
MeanAbsoluteError = _builtin("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error",
                             """Mean of absolute errors over all values.

    >>> kerasj.losses.MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 1.0]])   # 0.5
    """)
MeanAbsolutePercentageError = _builtin(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error, "mean_absolute_percentage_error",
    """`100 * |y_true - y_pred| / |y_true|`, averaged.

    >>> kerasj.losses.MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 4.0]])   # 25.0
    """)
MeanSquaredLogarithmicError = _builtin(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
    """Mean squared difference of `log(1 + y)`.

    >>> kerasj.losses.MeanSquaredLogarithmicError()([[0.0]], [[math.e - 1]])   # 1.0
    """)
KLDivergence = _builtin("KLDivergence", kl_divergence, "kl_divergence",
                        """Kullback-Leibler divergence between target and predicted distributions.

    >>> kerasj.losses.KLDivergence()([[0.0, 1.0]], [[0.5, 0.5]])   # log(2)
    """)
Poisson = _builtin("Poisson", poisson, "poisson",
                   """Poisson negative log-likelihood (up to a constant): `y_pred - y_true * log(y_pred)`.

    >>> kerasj.losses.Poisson()([[1.0]], [[1.0]])   # 1.0
    """)
LogCosh = _builtin("LogCosh", log_cosh, "log_cosh",
                   """`log(cosh(y_pred - y_true))`: like MSE/2 for small errors, like MAE for large ones.

    >>> kerasj.losses.LogCosh()([[0.0]], [[1.0]])   # 0.4338
    """)
Hinge = _builtin("Hinge", hinge, "hinge",
                 """`max(1 - y_true * y_pred, 0)` for targets in {-1, 1} (or {0, 1}).

    >>> kerasj.losses.Hinge()([[1.0]], [[0.5]])   # 0.5
    """)
SquaredHinge = _builtin("SquaredHinge", squared_hinge, "squared_hinge",
                        """`max(1 - y_true * y_pred, 0)**2` for targets in {-1, 1} (or {0, 1}).

    >>> kerasj.losses.SquaredHinge()([[1.0]], [[0.5]])   # 0.25
    """)
CategoricalHinge = _builtin("CategoricalHinge", categorical_hinge, "categorical_hinge",
                            """Hinge loss for one-hot targets: `max(neg - pos + 1, 0)`.

    >>> kerasj.losses.CategoricalHinge()([[0.0, 1.0]], [[0.3, 0.9]])   # 0.4
    """)


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


class BinaryCrossentropy(_BuiltinLoss):
    """Cross-entropy for 0/1 targets and probabilities (or logits with `from_logits=True`).

    >>> kerasj.losses.BinaryCrossentropy()([[1.0, 0.0]], [[0.9, 0.2]])
    >>> kerasj.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)([[1.0]], [[2.0]])
    """

    fn_for_class = staticmethod(binary_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(_BuiltinLoss):
    """Binary cross-entropy down-weighting easy examples by `(1 - p_t)**gamma`.

    >>> kerasj.losses.BinaryFocalCrossentropy(gamma=2.0)([[1.0]], [[0.9]])
    """

    fn_for_class = staticmethod(binary_focal_crossentropy)

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)

    def get_config(self):
        # Keras orders the common cross-entropy arguments first.
        kw = self._fn_kwargs
        return {**Loss.get_config(self), "from_logits": kw["from_logits"],
                "label_smoothing": kw["label_smoothing"], "axis": kw["axis"],
                "apply_class_balancing": kw["apply_class_balancing"], "alpha": kw["alpha"],
                "gamma": kw["gamma"]}


class CategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy for one-hot targets (use `SparseCategoricalCrossentropy` for integer labels).

    >>> kerasj.losses.CategoricalCrossentropy()([[0.0, 1.0]], [[0.2, 0.8]])   # -log(0.8)
    """

    fn_for_class = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy for integer labels. With `ignore_class`, those labels are left out of the loss, and
    mean reductions average over the remaining entries only. `fit` and `evaluate` on in-memory arrays raise
    on a label outside `[0, classes)` before training (Keras 3 is silent: the sample adds 0 to the loss).

    >>> kerasj.losses.SparseCategoricalCrossentropy()([1], [[0.2, 0.8]])   # -log(0.8)
    >>> logits = [[0.0, 2.0], [1.0, 1.0]]
    >>> kerasj.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)([1, -1], logits)
    ... # only the first row counts: -log(softmax([0, 2])[1]) = 0.1269
    """

    fn_for_class = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)

    def _valid_mask(self, y_true, y_pred):
        ignore_class = self._fn_kwargs["ignore_class"]
        if ignore_class is None:
            return None
        y_true, y_pred = _array(y_true), _array(y_pred)
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = jnp.squeeze(y_true, -1)
        return y_true.astype("int32") != ignore_class


# -- lookup and serialization --------------------------------------------------------------------------

_CLASSES = {cls.__name__: cls for cls in (
    Loss, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    KLDivergence, Poisson, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge, CosineSimilarity)}

_FUNCTIONS = {fn.__name__: fn for fn in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, kl_divergence, poisson, huber, log_cosh, hinge, squared_hinge,
    categorical_hinge, cosine_similarity)}

_ALIASES = {"mse": mean_squared_error, "MSE": mean_squared_error, "mae": mean_absolute_error,
            "MAE": mean_absolute_error, "mape": mean_absolute_percentage_error,
            "MAPE": mean_absolute_percentage_error, "msle": mean_squared_logarithmic_error,
            "MSLE": mean_squared_logarithmic_error, "kld": kl_divergence, "KLD": kl_divergence,
            "bce": binary_crossentropy, "BCE": binary_crossentropy}

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence


def _valid_names():
    return sorted({**_CLASSES, **_FUNCTIONS, **_ALIASES})


def serialize(loss):
    """A JSON-friendly description of a loss object or built-in loss function (Keras's format).

    >>> kerasj.losses.serialize(kerasj.losses.MeanSquaredError())["class_name"]   # "MeanSquaredError"
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": loss.get_config(),
                "registered_name": None}
    if callable(loss) and hasattr(loss, "__name__"):
        return {"module": "builtins", "class_name": "function", "config": loss.__name__,
                "registered_name": "function"}
    raise TypeError(f"serialize: expected a Loss instance or a loss function; received {loss!r}.")


def deserialize(config, custom_objects=None):
    """Rebuild a loss from `serialize` output (or a name). Custom classes/functions resolve through
    `custom_objects`.

    >>> kerasj.losses.deserialize({"class_name": "Huber", "config": {"delta": 2.0}})
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return custom_objects[config]
        return _lookup(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize: expected a loss name or a dict with 'class_name'; received {config!r}.")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "function":
        return deserialize(inner, custom_objects)
    cls = custom_objects.get(class_name) or _CLASSES.get(class_name)
    if cls is None:
        raise ValueError(f"Unknown loss class {class_name!r}. Valid names: {sorted(_CLASSES)}; pass custom "
                         f"losses in custom_objects={{'{class_name}': cls}}.")
    return cls.from_config(inner)


def _lookup(name):
    if name in _CLASSES:
        return _CLASSES[name]()
    fn = _FUNCTIONS.get(name) or _ALIASES.get(name)
    if fn is None:
        raise ValueError(f"Unknown loss identifier: {name!r}. Valid names: {_valid_names()}")
    return fn


def get(identifier):
    """A loss from a name, a config dict, a Loss instance or a callable. As in Keras, class names give
    instances (`"MeanSquaredError"`) and function names/aliases give per-sample functions (`"mse"`).

    >>> kerasj.losses.get("mse") is kerasj.losses.mean_squared_error   # True
    >>> kerasj.losses.get("BinaryCrossentropy")                          # a BinaryCrossentropy()
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return _lookup(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}; expected a name, a config dict, "
                     "a Loss instance or a callable.")


register_namespace("keras.losses", globals())  # configs name these classes and functions
