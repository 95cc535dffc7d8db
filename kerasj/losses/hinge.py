"""Hinge losses for classifiers with scores: hinge, squared hinge and categorical hinge.

    >>> hinge([[1.0, 0.0]], [[0.5, -2.0]])   # targets {0, 1} read as {-1, 1}: [(0.5 + 0.0) / 2]
"""
import jax.numpy as jnp

from kerasj.losses.loss import _builtin
from kerasj.utils.losses_utils import prepare_pair as _prepare


def _hinge_labels(y_true):
    # Targets given as {0, 1} mean {-1, +1}; decided on device with `where`, so it works under jit.
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


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


Hinge = _builtin("Hinge", hinge, "hinge",
                 """`max(1 - y_true * y_pred, 0)` for targets in {-1, 1} (or {0, 1}).

    >>> kerasj.losses.Hinge()([[1.0]], [[0.5]])   # 0.5
    """, __name__)
SquaredHinge = _builtin("SquaredHinge", squared_hinge, "squared_hinge",
                        """`max(1 - y_true * y_pred, 0)**2` for targets in {-1, 1} (or {0, 1}).

    >>> kerasj.losses.SquaredHinge()([[1.0]], [[0.5]])   # 0.25
    """, __name__)
CategoricalHinge = _builtin("CategoricalHinge", categorical_hinge, "categorical_hinge",
                            """Hinge loss for one-hot targets: `max(neg - pos + 1, 0)`.

    >>> kerasj.losses.CategoricalHinge()([[0.0, 1.0]], [[0.3, 0.9]])   # 0.4
    """, __name__)
