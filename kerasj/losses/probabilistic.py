"""Probabilistic losses: cross-entropies (binary, categorical, sparse, focal, generalized), KL divergence and
Poisson. Each function gives one value per sample:

    >>> categorical_crossentropy([[0.0, 1.0]], [[0.2, 0.8]])              # [-log(0.8)]
    >>> CategoricalCrossentropy(from_logits=True)([[0.0, 1.0]], [[0.0, 2.0]])   # -log(softmax([0, 2])[1])
"""
import warnings

import jax
import jax.numpy as jnp

from kerasj import config
from kerasj.losses.loss import Loss, _builtin, _BuiltinLoss
from kerasj.utils.losses_utils import (cast_pair as _cast_pair, prepare_pair as _prepare, to_array as _array)


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


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    """Categorical cross-entropy with each class term scaled by `alpha * (1 - p)**gamma`, so that classes
    predicted confidently count less: `sum(-alpha * (1 - p)**gamma * y_true * log(p), axis)`. `alpha` is a
    scalar or one weight per class; probabilities are renormalised and clipped to [eps, 1 - eps].

    >>> categorical_focal_crossentropy([[0.0, 1.0]], [[0.2, 0.8]])   # [0.25 * 0.2**2 * -log(0.8)]
    """
    _check_axis("categorical_focal_crossentropy", axis)
    y_true, y_pred = _cast_pair(y_true, y_pred)
    if y_pred.shape[-1] == 1:
        warnings.warn("categorical_focal_crossentropy: expected y_pred of shape (batch_size, num_classes) with "
                      f"num_classes > 1; received y_pred.shape={y_pred.shape}. With one output unit, use "
                      "binary_crossentropy.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        # Keras smooths over the last axis of y_true whatever `axis` is; kept for parity.
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    p = _clip_probabilities(y_pred / jnp.sum(y_pred, axis=axis, keepdims=True))
    alpha = jnp.asarray(alpha, y_pred.dtype)
    return jnp.sum(alpha * jnp.power(1.0 - p, gamma) * -y_true * jnp.log(p), axis=axis)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross-entropy `(1 - p**q) / q`, with `p` the predicted probability of the true class
    (integer labels of shape `(batch,)` or `(batch, 1)`): close to cross-entropy as `q -> 0` and to the mean
    absolute error at `q = 1`, and more robust to noisy labels than cross-entropy.

    >>> categorical_generalized_cross_entropy([1], [[0.36, 0.64]], q=0.5)   # [(1 - 0.8) / 0.5] = [0.4]
    """
    y_pred = _array(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.inexact):
        y_pred = y_pred.astype(config.floatx())
    labels = _array(y_true)
    if labels.ndim == y_pred.ndim and labels.ndim > 1 and labels.shape[-1] == 1:
        # Keras would broadcast (batch, 1, classes) against (batch, classes); the documented shape is meant.
        labels = jnp.squeeze(labels, -1)
    one_hot = jax.nn.one_hot(labels.astype("int32"), y_pred.shape[-1], dtype=y_pred.dtype)
    p = jnp.sum(y_pred * one_hot, axis=-1)
    return (1.0 - jnp.power(p, q)) / q


KLDivergence = _builtin("KLDivergence", kl_divergence, "kl_divergence",
                        """Kullback-Leibler divergence between target and predicted distributions.

    >>> kerasj.losses.KLDivergence()([[0.0, 1.0]], [[0.5, 0.5]])   # log(2)
    """, __name__)
Poisson = _builtin("Poisson", poisson, "poisson",
                   """Poisson negative log-likelihood (up to a constant): `y_pred - y_true * log(y_pred)`.

    >>> kerasj.losses.Poisson()([[1.0]], [[1.0]])   # 1.0
    """, __name__)


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


class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Categorical cross-entropy down-weighting confidently predicted classes by `alpha * (1 - p)**gamma`
    (Lin et al., 2018), for one-hot targets and imbalanced classes.

    >>> kerasj.losses.CategoricalFocalCrossentropy(gamma=2.0)([[0.0, 1.0]], [[0.2, 0.8]])   # 0.0022314
    """

    fn_for_class = staticmethod(categorical_focal_crossentropy)

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)

    def get_config(self):
        # Keras orders the common cross-entropy arguments first.
        kw = self._fn_kwargs
        return {**Loss.get_config(self), "from_logits": kw["from_logits"],
                "label_smoothing": kw["label_smoothing"], "axis": kw["axis"], "alpha": kw["alpha"],
                "gamma": kw["gamma"]}


class CategoricalGeneralizedCrossEntropy(_BuiltinLoss):
    """Generalized cross-entropy (Zhang and Sabuncu, 2018) for integer labels: `(1 - p**q) / q` with `p`
    the predicted probability of the true class and `q` in (0, 1).

    >>> kerasj.losses.CategoricalGeneralizedCrossEntropy(q=0.5)([1, 0], [[0.36, 0.64], [0.64, 0.36]])   # 0.4
    """

    fn_for_class = staticmethod(categorical_generalized_cross_entropy)

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: `q` must be a number in the open interval "
                             f"(0, 1); received q={q!r}")
        super().__init__(reduction=reduction, name=name, dtype=dtype, q=q)
