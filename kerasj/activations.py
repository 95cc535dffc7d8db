"""Activation functions, as in `keras.activations`: elementwise (or per-axis) functions of an array.

    >>> kerasj.activations.relu(jnp.array([-1.0, 2.0]))
    Array([0., 2.], dtype=float32)
    >>> layer = kerasj.layers.Dense(4, activation="gelu")   # names resolve through `get`

Each function accepts jax/numpy arrays and kerasj Variables; integer inputs are computed in floatx(). Given a
symbolic `KerasTensor` (functional API), it adds a graph node instead, as Keras ops do.
"""
import functools

import jax
import jax.numpy as jnp

from kerasj import config
from kerasj.ops.operators import FunctionOp
from kerasj.ops.symbolic import KerasTensor
from kerasj.variables import Variable
from kerasj.saving.object_registration import get_registered_name, get_registered_object
from kerasj.saving.serialization_lib import deserialize_keras_object
from kerasj.utils.keras_names import register_namespace


def _as_float_array(x):
    x = jnp.asarray(x.value if isinstance(x, Variable) else x)
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(config.floatx())


def _activation(fn):
    """Make `fn(x, ...)` accept Variables, array-likes and symbolic KerasTensors."""
    @functools.wraps(fn)
    def wrapper(x, *args, **kwargs):
        if isinstance(x, KerasTensor):
            return FunctionOp(fn.__name__, lambda a: fn(_as_float_array(a), *args, **kwargs))(x)
        return fn(_as_float_array(x), *args, **kwargs)
    return wrapper


@_activation
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: `negative_slope * (x - threshold)` at or below `threshold`; above it `x`, or
    `clip(x, 0, max_value)` when `max_value` is given (as in Keras, so a negative threshold with a max_value
    maps inputs between the threshold and 0 to 0).

        >>> relu(jnp.array([-2.0, 1.0, 8.0]), negative_slope=0.1, max_value=6.0)
        Array([-0.2,  1. ,  6. ], dtype=float32)
    """
    if negative_slope == 0 and max_value is None and threshold == 0:
        return jax.nn.relu(x)
    kept = x if max_value is None else jnp.clip(x, 0.0, max_value)
    return jnp.where(x > threshold, kept, negative_slope * (x - threshold))


@_activation
def leaky_relu(x, negative_slope=0.2):
    """`x` for positive inputs, `negative_slope * x` otherwise.

        >>> leaky_relu(jnp.array([-1.0, 1.0]))
        Array([-0.2,  1. ], dtype=float32)
    """
    return jax.nn.leaky_relu(x, negative_slope=negative_slope)


@_activation
def relu6(x):
    """`min(max(x, 0), 6)`.

        >>> relu6(jnp.array([-1.0, 3.0, 9.0]))
        Array([0., 3., 6.], dtype=float32)
    """
    return jax.nn.relu6(x)


@_activation
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if `x > 0`, else `alpha * (exp(x) - 1)`.

        >>> elu(jnp.array([-1.0, 1.0]))
        Array([-0.63212055,  1.        ], dtype=float32)
    """
    return jax.nn.elu(x, alpha=alpha)


@_activation
def selu(x):
    """Scaled ELU: `scale * elu(x, alpha)` with alpha ≈ 1.67326 and scale ≈ 1.05070 (Klambauer et al., 2017);
    use with the "lecun_normal" initializer.

        >>> selu(jnp.array([0.0, 1.0]))
        Array([0.       , 1.050701], dtype=float32)
    """
    return jax.nn.selu(x)


@_activation
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`.

        >>> celu(jnp.array([-1.0, 1.0]), alpha=2.0)
        Array([-0.78693867,  1.        ], dtype=float32)
    """
    return jax.nn.celu(x, alpha=alpha)


@_activation
def gelu(x, approximate=False):
    """Gaussian error linear unit: `x * Phi(x)` with Phi the standard normal CDF; `approximate=True` uses
    the tanh approximation.

        >>> gelu(jnp.array([1.0]))
        Array([0.8413447], dtype=float32)
    """
    return jax.nn.gelu(x, approximate=approximate)


@_activation
def sigmoid(x):
    """`1 / (1 + exp(-x))`.

        >>> sigmoid(jnp.array([0.0]))
        Array([0.5], dtype=float32)
    """
    return jax.nn.sigmoid(x)


@_activation
def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably as `-softplus(-x)`.

        >>> log_sigmoid(jnp.array([0.0]))
        Array([-0.6931472], dtype=float32)
    """
    return jax.nn.log_sigmoid(x)


@_activation
def hard_sigmoid(x):
    """Piecewise-linear sigmoid: `relu6(x + 3) / 6` (0 below -3, 1 above 3, slope 1/6 between).

        >>> hard_sigmoid(jnp.array([-4.0, 0.0, 4.0]))
        Array([0. , 0.5, 1. ], dtype=float32)
    """
    return jax.nn.relu6(x + 3.0) / 6.0


@_activation
def sparse_sigmoid(x):
    """0 for `x <= -1`, 1 for `x >= 1`, `(x + 1) / 2` between.

        >>> sparse_sigmoid(jnp.array([-2.0, 0.0, 2.0]))
        Array([0. , 0.5, 1. ], dtype=float32)
    """
    return jnp.clip((x + 1.0) / 2.0, 0.0, 1.0)


@_activation
def silu(x):
    """Sigmoid linear unit (swish): `x * sigmoid(x)`.

        >>> silu(jnp.array([0.0, 1.0]))
        Array([0.       , 0.7310586], dtype=float32)
    """
    return jax.nn.silu(x)


@_activation
def hard_silu(x):
    """Hard swish: `x * hard_sigmoid(x)`.

        >>> hard_silu(jnp.array([-4.0, 1.0, 4.0]))
        Array([-0.       ,  0.6666667,  4.       ], dtype=float32)
    """
    return x * (jax.nn.relu6(x + 3.0) / 6.0)


@_activation
def tanh(x):
    """Hyperbolic tangent.

        >>> tanh(jnp.array([0.0]))
        Array([0.], dtype=float32)
    """
    return jnp.tanh(x)


@_activation
def hard_tanh(x):
    """`clip(x, -1, 1)`.

        >>> hard_tanh(jnp.array([-2.0, 0.5, 2.0]))
        Array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return jnp.clip(x, -1.0, 1.0)


@_activation
def tanh_shrink(x):
    """`x - tanh(x)`.

        >>> tanh_shrink(jnp.array([0.0]))
        Array([0.], dtype=float32)
    """
    return x - jnp.tanh(x)


@_activation
def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0.

        >>> hard_shrink(jnp.array([-1.0, 0.2, 1.0]))
        Array([-1.,  0.,  1.], dtype=float32)
    """
    return jnp.where(jnp.abs(x) > threshold, x, jnp.zeros_like(x))


@_activation
def soft_shrink(x, threshold=0.5):
    """Moves `x` towards 0 by `threshold`, stopping at 0: `sign(x) * max(|x| - threshold, 0)`.

        >>> soft_shrink(jnp.array([-1.0, 0.2, 1.0]))
        Array([-0.5,  0. ,  0.5], dtype=float32)
    """
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, jnp.zeros_like(x)))


@_activation
def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`.

        >>> threshold(jnp.array([0.5, 2.0]), 1.0, -1.0)
        Array([-1.,  2.], dtype=float32)
    """
    return jnp.where(x > threshold, x, jnp.asarray(default_value, dtype=x.dtype))


@_activation
def softplus(x):
    """`log(1 + exp(x))`, computed without overflow.

        >>> softplus(jnp.array([0.0]))
        Array([0.6931472], dtype=float32)
    """
    return jax.nn.softplus(x)


@_activation
def sparse_plus(x):
    """0 for `x <= -1`, `x` for `x >= 1`, `(x + 1)**2 / 4` between (a smooth, sparse softplus).

        >>> sparse_plus(jnp.array([-2.0, 0.0, 2.0]))
        Array([0.  , 0.25, 2.  ], dtype=float32)
    """
    return jnp.where(x <= -1.0, jnp.zeros_like(x), jnp.where(x >= 1.0, x, jnp.square(x + 1.0) / 4.0))


@_activation
def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`, a smooth ReLU.

        >>> squareplus(jnp.array([0.0]))
        Array([1.], dtype=float32)
    """
    return (x + jnp.sqrt(jnp.square(x) + b)) / 2.0


@_activation
def softsign(x):
    """`x / (1 + |x|)`.

        >>> softsign(jnp.array([1.0]))
        Array([0.5], dtype=float32)
    """
    return x / (1.0 + jnp.abs(x))


@_activation
def mish(x):
    """`x * tanh(softplus(x))` (Misra, 2019).

        >>> mish(jnp.array([0.0]))
        Array([0.], dtype=float32)
    """
    return x * jnp.tanh(jax.nn.softplus(x))


@_activation
def exponential(x):
    """`exp(x)`.

        >>> exponential(jnp.array([0.0]))
        Array([1.], dtype=float32)
    """
    return jnp.exp(x)


def linear(x):
    """The identity (the activation of a layer built with `activation=None`); Variables give their value.

        >>> linear(jnp.array([-1.0]))
        Array([-1.], dtype=float32)
    """
    return x.value if isinstance(x, Variable) else x


@_activation
def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis` (an int or a tuple of ints), computed stably.

        >>> softmax(jnp.array([[0.0, 0.0]]))
        Array([[0.5, 0.5]], dtype=float32)
    """
    return jax.nn.softmax(x, axis=axis)


@_activation
def log_softmax(x, axis=-1):
    """`x - logsumexp(x)` along `axis`.

        >>> log_softmax(jnp.array([[0.0, 0.0]]))
        Array([[-0.6931472, -0.6931472]], dtype=float32)
    """
    return jax.nn.log_softmax(x, axis=axis)


@_activation
def sparsemax(x, axis=-1):
    """Euclidean projection of `x` onto the probability simplex along `axis` (Martins & Astudillo, 2016):
    like softmax, it sums to 1, but small entries become exactly 0.

        >>> sparsemax(jnp.array([[2.0, 0.0, -1.0]]))
        Array([[1., 0., 0.]], dtype=float32)
    """
    z = jnp.moveaxis(x, axis, -1)
    z_sorted = -jnp.sort(-z, axis=-1)
    k = jnp.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cumulative = jnp.cumsum(z_sorted, axis=-1)
    # The support holds the k largest entries with 1 + k * z_(k) > sum of those k entries.
    support_size = jnp.sum(1.0 + k * z_sorted > cumulative, axis=-1, keepdims=True)
    tau = (jnp.take_along_axis(cumulative, support_size - 1, axis=-1) - 1.0) / support_size.astype(z.dtype)
    return jnp.moveaxis(jnp.maximum(z - tau, 0.0), -1, axis)


@_activation
def glu(x, axis=-1):
    """Gated linear unit: splits `x` in two halves `a, b` along `axis` and returns `a * sigmoid(b)`.

        >>> glu(jnp.array([[1.0, 0.0]]))
        Array([[0.5]], dtype=float32)
    """
    if x.shape[axis] % 2:
        raise ValueError(f"glu: the size of axis {axis} must be even; received shape {x.shape}")
    return jax.nn.glu(x, axis=axis)


# Keras names these aliases; they are the same function objects, so `serialize` gives the canonical name.
swish = silu
hard_swish = hard_silu

_FUNCTIONS = (relu, leaky_relu, relu6, elu, selu, celu, gelu, sigmoid, log_sigmoid, hard_sigmoid, sparse_sigmoid,
              silu, hard_silu, tanh, hard_tanh, tanh_shrink, hard_shrink, soft_shrink, threshold, softplus,
              sparse_plus, squareplus, softsign, mish, exponential, linear, softmax, log_softmax, sparsemax, glu)
_BY_NAME = {fn.__name__: fn for fn in _FUNCTIONS}
_BY_NAME.update({"swish": swish, "hard_swish": hard_swish})
_NAME_OF = {id(fn): fn.__name__ for fn in _FUNCTIONS}


def _lookup(name, custom_objects=None):
    registered = get_registered_object(name, custom_objects) if isinstance(name, str) else None
    fn = registered or _BY_NAME.get(name)
    if fn is None:
        raise ValueError(f"Unknown activation: {name!r}. Valid names: {sorted(_BY_NAME)}")
    return fn


def serialize(activation):
    """The Keras config of an activation: its name for built-ins ("swish" gives "silu", as in Keras), a
    function record `{"module", "class_name": "function", "config": name, ...}` for other functions, and
    the layer config for callable layers such as `kerasj.layers.ReLU`.

        >>> serialize(relu)
        'relu'
    """
    if activation is None:
        return None
    if id(activation) in _NAME_OF:
        return _NAME_OF[id(activation)]
    if hasattr(activation, "get_config") and callable(activation):
        cls = type(activation)
        return {"module": cls.__module__, "class_name": cls.__name__, "config": activation.get_config(),
                "registered_name": None}
    if callable(activation):
        return {"module": "builtins", "class_name": "function", "config": get_registered_name(activation),
                "registered_name": "function"}
    raise ValueError(f"activations.serialize: expected a callable or None; received {activation!r}")


def deserialize(config, custom_objects=None):
    """The activation named by `config` (a name, or a dict from `serialize`); custom functions resolve
    through `custom_objects={"name": fn}`.

        >>> deserialize("gelu") is gelu
        True
    """
    if isinstance(config, str):
        return _lookup(config, custom_objects)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"activations.deserialize: expected a name or a dict with 'class_name'; "
                         f"received {config!r}")
    if config["class_name"] == "function":
        return _lookup(config.get("config"), custom_objects)
    # Anything else is a callable layer (e.g. {"class_name": "ReLU", ...}), found like any config's class.
    return deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=None)


def get(identifier):
    """An activation function from None (gives `linear`), a name ("relu", "gelu", ...), a config dict from
    `serialize`, or any callable.

        >>> get("relu") is relu
        True
        >>> get(None) is linear
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation identifier: {identifier!r}. Expected None, a name "
                     f"(one of {sorted(_BY_NAME)}), a config dict or a callable.")


register_namespace("keras.activations", globals())  # configs name these classes and functions
