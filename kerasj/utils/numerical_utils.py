"""Array helpers for labels and features: one-hot encoding (`to_categorical`) and Lp normalization
(`normalize`), as `keras.utils` offers them.

    >>> kerasj.utils.to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
"""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj import config


def normalize(x, axis=-1, order=2):
    """A copy of `x` divided by its `order`-norm along `axis` (zero norms are left as 1, so zeros stay zeros).

    A NumPy array gives a NumPy array; a JAX array (or anything else array-like) gives a JAX array.

    >>> kerasj.utils.normalize(np.array([[3.0, 4.0]]))
    array([[0.6, 0.8]])
    """
    if isinstance(x, np.ndarray):
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        # Keras writes `axis or -1` here, which breaks axis=0; the norm belongs on the axis it was taken over.
        return x / np.expand_dims(norm, axis)
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(config.floatx())
    if x.ndim == 0:
        x = x[None]
    epsilon = config.epsilon()
    if order == 2:
        # x * rsqrt(sum(x^2)), capped at 1/epsilon so that zero vectors stay zero (Keras's ops.nn.normalize).
        inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inv_norm, 1.0 / epsilon)
    return x / jnp.maximum(jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True), epsilon)


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels `x` (values in `[0, num_classes)`), adding the class axis last.

    A trailing axis of size 1 (labels shaped `(n, 1)`) is dropped first. `num_classes=None` infers
    `max(x) + 1`. NumPy arrays and lists give a float64 NumPy array, as in Keras; a JAX array gives a float32
    JAX array.

    >>> kerasj.utils.to_categorical(np.array([[1], [0]]))
    array([[0., 1.],
           [1., 0.]])
    """
    if isinstance(x, jax.Array):
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x.reshape(x.shape[:-1])
        if num_classes is None:
            num_classes = int(jnp.max(x)) + 1
        return jax.nn.one_hot(x, num_classes, dtype=jnp.float32)
    x = np.array(x, dtype="int64")
    shape = x.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(x)) + 1
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise IndexError(f"`to_categorical` expects class values in [0, {num_classes}) for "
                         f"num_classes={num_classes}. Received values from {x.min()} to {x.max()}.")
    categorical = np.zeros((x.shape[0], num_classes))
    categorical[np.arange(x.shape[0]), x] = 1
    return categorical.reshape(shape + (num_classes,))
