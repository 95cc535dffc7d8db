"""Metric-learning losses on embeddings: Circle loss (Sun et al., 2020).

    >>> labels = [0, 0, 1, 1]
    >>> embeddings = kerasj.ops.normalize(jax.random.normal(jax.random.key(0), (4, 8)))   # unit rows
    >>> circle(labels, embeddings).shape   # one value per sample: (4,)
"""
import jax
import jax.numpy as jnp

from kerasj import config
from kerasj.losses.loss import _BuiltinLoss
from kerasj.masks import set_mask
from kerasj.utils.losses_utils import to_array as _array


def _pair_masks(labels, ref_labels, remove_diagonal):
    """Boolean `(n, m)` masks of same-label (positive) and different-label (negative) pairs."""
    positive = jnp.reshape(labels, (-1, 1)) == jnp.reshape(ref_labels, (1, -1))
    negative = ~positive
    if remove_diagonal:  # a sample is not its own positive
        positive = positive & ~jnp.eye(positive.shape[0], positive.shape[1], dtype=bool)
    return positive, negative


def _masked_logsumexp(x, mask):
    # The most negative finite value, not -inf, for the left-out pairs: the same value wherever a row has a
    # pair, and a finite gradient where it has none (Keras gives NaN gradients there).
    return jax.nn.logsumexp(jnp.where(mask, x, jnp.finfo(x.dtype).min), axis=1)


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss per sample, for integer labels `y_true` `(batch,)` and L2-normalised embeddings `y_pred`
    `(batch, dim)`, against reference labels and embeddings (the batch itself by default).

    With cosine distances `d` and relaxation `m = margin`, positive pairs are pushed below `m` and negative
    pairs above `1 - m`, each scaled by how far it is from its optimum:
    `softplus(logsumexp(-gamma * [d_p + m]_+ * (m - d_p)) + logsumexp(gamma * [1 + m - d_n]_+ * (1 - m - d_n)))`.
    The values carry a mask of the samples with a positive loss, so that a `Circle` loss averages over those.

    >>> circle([0, 0], [[1.0, 0.0], [1.0, 0.0]])   # one positive pair at distance 0, no negatives: [0, 0]
    """
    y_pred = _array(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.inexact):
        y_pred = y_pred.astype(config.floatx())
    labels = _array(y_true).astype("int32")
    ref_embeddings = y_pred if ref_embeddings is None else _array(ref_embeddings, y_pred.dtype)
    ref_labels = labels if ref_labels is None else _array(ref_labels).astype("int32")
    distances = jnp.maximum(1.0 - y_pred @ ref_embeddings.T, 0.0)
    positive, negative = _pair_masks(labels, ref_labels, remove_diagonal)
    pos_weights = jnp.maximum((margin + distances) * positive, 0.0)
    neg_weights = jnp.maximum((1.0 + margin - distances) * negative, 0.0)
    pos_logits = -gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * (1.0 - margin - distances)
    values = jax.nn.softplus(_masked_logsumexp(pos_logits, positive) + _masked_logsumexp(neg_logits, negative))
    set_mask(values, values > 0)
    return values


class Circle(_BuiltinLoss):
    """Circle loss between integer labels and L2-normalised embeddings (e.g. a `Dense` layer without
    activation followed by `UnitNormalization`); the mean reductions average over the samples whose loss is
    positive.

    >>> model.compile(optimizer="adam", loss=kerasj.losses.Circle(gamma=80.0, margin=0.4))
    """

    fn_for_class = staticmethod(circle)

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
                 name="circle", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)
