"""kerasj.activations against independent NumPy formulas, plus input types, lookup and serialization.
(Parity with keras.activations is in tests/parity/test_activations_parity.py.)"""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj import activations as A

X = np.array([-30.0, -6.0, -3.5, -3.0, -1.2, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 1.2, 3.0, 3.5, 6.0, 30.0],
             dtype=np.float32)
RTOL, ATOL = 1e-5, 1e-6

_erf = np.vectorize(math.erf)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _relu6(x):
    return np.clip(x, 0.0, 6.0)


REFERENCES = {
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": _relu6,
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "celu": lambda x: np.maximum(x, 0.0) + np.minimum(0.0, np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "sigmoid": _sigmoid,
    "log_sigmoid": lambda x: -_softplus(-x),
    "hard_sigmoid": lambda x: _relu6(x + 3.0) / 6.0,
    "sparse_sigmoid": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, 0.5 * (x + 1.0))),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "hard_silu": lambda x: x * _relu6(x + 3.0) / 6.0,
    "hard_swish": lambda x: x * _relu6(x + 3.0) / 6.0,
    "tanh": np.tanh,
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "soft_shrink": lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0.0),
    "softplus": _softplus,
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1.0) ** 2 / 4.0)),
    "squareplus": lambda x: 0.5 * (x + np.sqrt(x * x + 4.0)),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "exponential": np.exp,
    "linear": lambda x: x,
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_elementwise_activation_matches_formula(name):
    x = X.astype(np.float64)
    np.testing.assert_allclose(A.get(name)(X), REFERENCES[name](x), rtol=RTOL, atol=ATOL)


def test_relu_arguments():
    x = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0, 5.0, 10.0], np.float32)
    # Keras semantics: keep x above `threshold`, slope below it (measured from the threshold), cap at max_value.
    np.testing.assert_allclose(A.relu(x, negative_slope=0.1, max_value=4.0, threshold=1.0),
                               [-0.4, -0.2, -0.1, -0.05, 0.0, 2.0, 4.0, 4.0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(A.relu(x, threshold=1.0), [0, 0, 0, 0, 0, 2, 5, 10])
    np.testing.assert_allclose(A.relu(x, max_value=2.0), [0, 0, 0, 0.5, 1, 2, 2, 2])
    np.testing.assert_allclose(A.relu(x, negative_slope=0.5), [-1.5, -0.5, 0, 0.5, 1, 2, 5, 10])
    # With a negative threshold, inputs between it and 0 pass through unless max_value clips them to [0, max].
    x = np.array([-3.0, -0.5, -0.4, 0.2, 4.0], np.float32)
    np.testing.assert_allclose(A.relu(x, threshold=-0.5), [0, 0, -0.4, 0.2, 4.0])
    np.testing.assert_allclose(A.relu(x, negative_slope=0.2, max_value=3.0, threshold=-0.5),
                               [-0.5, 0, 0, 0.2, 3.0], rtol=RTOL, atol=ATOL)


def test_parametrized_activations():
    x = X.astype(np.float64)
    np.testing.assert_allclose(A.elu(X, alpha=0.5), np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(A.celu(X, alpha=2.0), np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(x / 2.0)),
                               rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(A.leaky_relu(X, negative_slope=0.01), np.where(x > 0, x, 0.01 * x), rtol=RTOL)
    tanh_gelu = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(A.gelu(X, approximate=True), tanh_gelu, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(A.hard_shrink(X, threshold=1.0), np.where(np.abs(x) > 1.0, x, 0.0))
    np.testing.assert_allclose(A.soft_shrink(X, threshold=1.0), np.sign(x) * np.maximum(np.abs(x) - 1.0, 0),
                               rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(A.squareplus(X, b=1.0), 0.5 * (x + np.sqrt(x * x + 1.0)), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(A.threshold(X, 0.5, -7.0), np.where(x > 0.5, x, -7.0))


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2)])
def test_softmax_and_log_softmax(axis, rng):
    x = rng.normal(0, 5, size=(2, 3, 4)).astype(np.float32)
    x64 = x.astype(np.float64)
    expected = _np_softmax(x64, axis)
    np.testing.assert_allclose(A.softmax(x, axis=axis), expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(A.log_softmax(x, axis=axis), np.log(expected), rtol=RTOL, atol=1e-5)


def test_softmax_is_stable_for_large_logits():
    out = A.softmax(np.array([[1000.0, 1000.0, -1000.0]], np.float32))
    np.testing.assert_allclose(out, [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(A.log_softmax(np.array([[1000.0, 0.0]], np.float32)), [[0.0, -1000.0]])


def _np_sparsemax(row):
    """Projection onto the simplex by bisection on the threshold: independent of the sort-based method."""
    lo, hi = row.min() - 1.0, row.max()
    for _ in range(200):
        tau = 0.5 * (lo + hi)
        lo, hi = (tau, hi) if np.maximum(row - tau, 0).sum() > 1.0 else (lo, tau)
    return np.maximum(row - 0.5 * (lo + hi), 0)


def test_sparsemax_is_the_simplex_projection(rng):
    x = rng.normal(0, 1, size=(6, 5)).astype(np.float32)
    x[0] = [0.1, 0.2, 0.3, 0.4, 0.5]      # support of four
    x[1] = [5.0, 4.5, 4.4, -1.0, 0.0]     # shifted logits: sparsemax is shift invariant
    out = np.asarray(A.sparsemax(x))
    expected = np.stack([_np_sparsemax(r.astype(np.float64)) for r in x])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(out[0], [0.0, 0.1, 0.2, 0.3, 0.4], atol=1e-6)
    np.testing.assert_allclose(A.sparsemax(x.T, axis=0), out.T, rtol=1e-6, atol=1e-7)


def test_glu():
    x = np.arange(8.0, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(A.glu(x), x[:, :2] * _sigmoid(x[:, 2:]), rtol=RTOL)
    np.testing.assert_allclose(A.glu(x, axis=0), x[:1] * _sigmoid(x[1:]), rtol=RTOL)
    with pytest.raises(ValueError, match="glu.*even.*\\(2, 3\\)"):
        A.glu(np.ones((2, 3)))


# -- input types ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["relu", "gelu", "softmax", "sigmoid", "mish", "hard_silu", "sparsemax",
                                  "linear"])
def test_accepts_variables_jax_arrays_and_lists(name):
    fn = A.get(name)
    x = np.array([[-2.0, 0.5, 3.0]], np.float32)
    expected = np.asarray(fn(x))
    v = kerasj.Variable(x)
    np.testing.assert_allclose(fn(v), expected, rtol=1e-6)
    np.testing.assert_allclose(fn(jnp.asarray(x)), expected, rtol=1e-6)
    np.testing.assert_allclose(fn(x.tolist()), expected, rtol=1e-6)


def test_integer_inputs_compute_in_floatx():
    out = A.sigmoid(np.array([0, 1]))
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, [0.5, _sigmoid(1.0)], rtol=1e-6)


def test_jit_and_grad():
    f = jax.jit(lambda x: jnp.sum(A.gelu(x) * A.softmax(x)))
    g = jax.grad(lambda x: jnp.sum(A.relu(x, negative_slope=0.1)))(jnp.array([-1.0, 2.0]))
    np.testing.assert_allclose(g, [0.1, 1.0])
    assert np.isfinite(f(jnp.array([1.0, -2.0])))


def test_symbolic_input_builds_a_graph_node():
    inputs = kerasj.Input((3,))
    outputs = A.softmax(A.relu(inputs))
    model = kerasj.Model(inputs, outputs)
    x = np.array([[-1.0, 0.0, 2.0]], np.float32)
    np.testing.assert_allclose(model(x), _np_softmax(np.maximum(x, 0), -1), rtol=RTOL)


# -- lookup and serialization ----------------------------------------------------------------------

ALL_NAMES = sorted(REFERENCES) + ["softmax", "log_softmax", "sparsemax", "glu", "threshold"]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_get_serialize_deserialize(name):
    fn = A.get(name)
    assert fn is getattr(A, name)
    canonical = {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
    assert A.serialize(fn) == canonical
    assert A.deserialize(A.serialize(fn)) is fn
    assert A.get({"module": "keras.activations", "class_name": "function", "config": canonical,
                  "registered_name": None}) is fn


def test_aliases_are_the_same_functions():
    assert A.swish is A.silu and A.hard_swish is A.hard_silu
    assert A.get("swish") is A.silu


def test_get_none_and_callables():
    assert A.get(None) is A.linear

    def custom(x):
        return 2 * x

    assert A.get(custom) is custom
    record = A.serialize(custom)
    assert record["class_name"] == "function" and record["config"] == "custom"
    assert A.deserialize(record, custom_objects={"custom": custom}) is custom
    assert A.serialize(None) is None


def test_unknown_identifiers_raise_and_list_valid_names():
    with pytest.raises(ValueError) as info:
        A.get("relu7")
    assert "relu7" in str(info.value) and "'relu6'" in str(info.value) and "'gelu'" in str(info.value)
    with pytest.raises(ValueError, match="activation identifier: 3"):
        A.get(3)
    with pytest.raises(ValueError, match="Unknown activation: 'my_fn'"):
        A.deserialize({"class_name": "function", "config": "my_fn"})
    with pytest.raises(ValueError, match="expected a name or a dict"):
        A.deserialize(["relu"])


def test_activation_names_used_by_layers():
    layer = kerasj.layers.Dense(2, activation="swish")
    assert layer.activation is A.silu
    assert layer.get_config()["activation"] == "silu"
    assert kerasj.layers.Activation("hard_sigmoid").activation is A.hard_sigmoid
