"""Connectionist Temporal Classification loss, for sequence outputs aligned to shorter label sequences
(speech, handwriting).

    >>> labels = [[1, 2, 0]]                    # class 0 is the blank; trailing 0s pad the labels
    >>> logits = jnp.zeros((1, 5, 3))           # (batch, time, classes), not softmaxed
    >>> ctc(labels, logits).shape               # (1,)
"""
import jax
import jax.numpy as jnp

from kerasj.losses.loss import Loss, _BuiltinLoss
from kerasj.ops.nn import ctc_loss
from kerasj.utils.losses_utils import to_array as _array

BLANK_INDEX = 0


def ctc(y_true, y_pred):
    """CTC loss per sample: `-log p(labels | logits)` summed over all alignments.

    `y_true` holds integer labels `(batch, max_label_length)`, 0 being the blank, and each row's length is
    its number of non-zero entries; `y_pred` holds logits `(batch, time, classes)`, every step counting.

    >>> ctc([[1]], jnp.zeros((1, 1, 2)))   # one step, one path: -log(softmax([0, 0])[1]) = [0.6931]
    """
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_true.ndim != 2:
        raise ValueError("ctc: y_true must hold integer labels of shape (batch_size, max_length); received "
                         f"y_true.shape={y_true.shape}")
    if y_pred.ndim != 3:
        raise ValueError("ctc: y_pred must hold logits of shape (batch_size, max_length, num_classes); "
                         f"received y_pred.shape={y_pred.shape}")
    return _ctc_values(y_true, y_pred)


@jax.jit
def _ctc_values(y_true, y_pred):
    # Compiled once per shape: run eagerly, the scan inside would otherwise be compiled again on every call.
    label_length = jnp.sum(y_true != BLANK_INDEX, axis=-1).astype("int32")
    logit_length = jnp.full((y_pred.shape[0],), y_pred.shape[1], "int32")
    return ctc_loss(y_true, y_pred, label_length, logit_length, mask_index=BLANK_INDEX)


class CTC(_BuiltinLoss):
    """CTC loss between integer label sequences (0 = blank and padding) and per-step logits.

    >>> kerasj.losses.CTC()([[1, 2]], jnp.zeros((2, 4, 3))[:1])   # a scalar
    """

    fn_for_class = staticmethod(ctc)

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return Loss.get_config(self)
