"""Parity of quantized Dense / EinsumDense / Embedding and Model.quantize with Keras 3 (JAX backend): the same
layer built in both, weights copied, quantized in both; then the quantized weights, outputs, gradients, the
dtype policy and the config must agree."""
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj
from kerasj.layers.core import Dense
from kerasj.layers.einsum_dense import EinsumDense
from kerasj.layers.embedding import Embedding

RNG = np.random.default_rng(0)

# (equation, output_shape, bias_axes, input shape): attention-style projections (output axes absent from the
# kernel; two contracted axes) and a label shared by the input, the kernel and the output.
EQUATIONS = [("btd,ndh->btnh", (2, 3, 5), None, (3, 2, 8)),
             ("btnh,nhd->btd", (2, 6), "d", (3, 2, 3, 5)),
             ("abc,bcd->abd", (2, 5), "d", (3, 2, 8))]
DENSE = ("dense", (4,), {}, (3, 8))
EINSUM = [("einsum", (eq, out), {"bias_axes": bias}, shape) for eq, out, bias, shape in EQUATIONS]
# EINSUM[1] in int8 is covered by the gradient test below.
CASES = [DENSE + ("int8",), DENSE + ("float8",), EINSUM[0] + ("float8",), EINSUM[0] + ("int8",),
         EINSUM[2] + ("int8",)]


def _make(lib, kind, args, kwargs):
    if kind == "dense":
        return (keras.layers.Dense if lib is keras else Dense)(*args, **kwargs)
    return (keras.layers.EinsumDense if lib is keras else EinsumDense)(*args, **kwargs)


def _pair(kind, args, kwargs, shape, mode):
    ours, theirs = _make(kerasj, kind, args, kwargs), _make(keras, kind, args, kwargs)
    build_shape = (None,) + shape[1:]
    theirs.build(build_shape)
    ours.build(build_shape)
    ours.set_weights(theirs.get_weights())
    theirs.quantize(mode)
    ours.quantize(mode)
    return ours, theirs


def _describe(layer):
    return [(w.name, str(w.dtype), tuple(w.shape), bool(w.trainable)) for w in layer.weights]


@pytest.mark.parametrize("kind,args,kwargs,shape,mode", CASES)
def test_quantize_matches_keras(kind, args, kwargs, shape, mode):
    ours, theirs = _pair(kind, args, kwargs, shape, mode)
    assert _describe(ours) == _describe(theirs)
    for mine, keras_value in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(mine, keras_value)  # int8 values and scales exactly
    assert ours.dtype_policy.name == theirs.dtype_policy.name == f"{mode}_from_float32"
    assert (kerasj.dtype_policies.serialize(ours.dtype_policy)
            == keras.dtype_policies.serialize(theirs.dtype_policy))
    x = RNG.standard_normal(shape).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    # Rebuilt from the config, both create the same variables in the same order (the quantized build).
    rebuilt_ours = type(ours).from_config(ours.get_config())
    rebuilt_theirs = type(theirs).from_config(theirs.get_config())
    rebuilt_ours.build((None,) + shape[1:])
    rebuilt_theirs.build((None,) + shape[1:])
    assert _describe(rebuilt_ours) == _describe(rebuilt_theirs)


@pytest.mark.parametrize("kind,args,kwargs,shape", [EINSUM[1]])
def test_int8_input_gradients_match_keras(kind, args, kwargs, shape):
    ours, theirs = _pair(kind, args, kwargs, shape, "int8")
    assert _describe(ours) == _describe(theirs)
    for mine, keras_value in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(mine, keras_value)
    x = RNG.standard_normal(shape).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    ours_grad = jax.grad(lambda v: jnp.sum(jnp.sin(ours(v))))(jnp.asarray(x))
    theirs_grad = jax.grad(lambda v: jnp.sum(jnp.sin(theirs(v))))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(ours_grad), np.asarray(theirs_grad), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind,args,kwargs,shape", [DENSE])
def test_float8_gradients_match_keras(kind, args, kwargs, shape):
    """The gradients of the kernel (through fake quantization) and the "gradients" of the six scaling
    variables (their delayed-scaling successors, which the optimizer writes as their next values)."""
    ours, theirs = _pair(kind, args, kwargs, shape, "float8")
    x = jnp.asarray(RNG.standard_normal(shape).astype("float32") * 3.0)

    def keras_loss(trainable, x):
        y, _ = theirs.stateless_call(trainable, [v.value for v in theirs.non_trainable_variables], x,
                                     training=True)
        return jnp.sum(jnp.sin(y))

    theirs_grads = jax.grad(keras_loss)([v.value for v in theirs.trainable_variables], x)
    loss = kerasj.value_and_grad(lambda x: jnp.sum(jnp.sin(ours(x, training=True))), ours)
    _, ours_grads = loss(x)
    assert [v.name for v in ours.trainable_variables] == [v.name for v in theirs.trainable_variables]
    for name, mine, keras_grad in zip([v.name for v in ours.trainable_variables], ours_grads, theirs_grads):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(keras_grad), rtol=1e-5, atol=1e-6, err_msg=name)
    assert float(ours_grads[[v.name for v in ours.trainable_variables].index("inputs_amax_history")][0]) > 0


def test_embedding_int8_matches_keras():
    ours, theirs = Embedding(10, 4), keras.layers.Embedding(10, 4)
    ours.build()
    theirs.build()
    ours.set_weights(theirs.get_weights())
    theirs.quantize("int8")
    ours.quantize("int8")
    assert _describe(ours) == _describe(theirs)
    for mine, keras_value in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(mine, keras_value)
    ids = np.array([[1, 2, 9], [0, 3, 3]])
    np.testing.assert_allclose(np.asarray(ours(ids)), np.asarray(theirs(ids)), rtol=1e-6)
    assert ours.get_config()["dtype"] == theirs.get_config()["dtype"]


@pytest.mark.parametrize("kind", ["dense", "embedding"])
def test_int8_with_lora_matches_keras(kind):
    """LoRA on a quantized layer adds its low-rank branch to the dequantized output, as in Keras."""
    if kind == "dense":
        ours, theirs = Dense(4), keras.layers.Dense(4)
        ours.build((None, 8))
        theirs.build((None, 8))
        x = RNG.standard_normal((3, 8)).astype("float32")
    else:
        ours, theirs = Embedding(10, 4), keras.layers.Embedding(10, 4)
        ours.build()
        theirs.build()
        x = np.array([[1, 2, 9]])
    ours.set_weights(theirs.get_weights())
    ours.quantize("int8")
    theirs.quantize("int8")
    ours.enable_lora(2)
    theirs.enable_lora(2)
    theirs.set_weights([RNG.standard_normal(w.shape).astype("float32") if "lora" in w.name else w.numpy()
                        for w in theirs.weights])
    ours.set_weights(theirs.get_weights())
    assert _describe(ours) == _describe(theirs)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    # Saving merges the update into re-quantized weights, as Keras writes them.
    ours_store, theirs_store = {}, {}
    ours.save_own_variables(ours_store)
    theirs.save_own_variables(theirs_store)
    assert sorted(ours_store) == sorted(theirs_store)
    for key in theirs_store:
        np.testing.assert_allclose(np.asarray(ours_store[key]), np.asarray(theirs_store[key]), atol=1e-6)


def _sequential(lib):
    return lib.Sequential([lib.Input((8,)), lib.layers.Dense(6, activation="relu"),
                           lib.layers.Dense(3, name="head")])


@pytest.mark.parametrize("filters", [None, lambda layer: layer.name != "head"])
def test_model_quantize_matches_keras(filters):
    theirs, ours = _sequential(keras), _sequential(kerasj)
    ours.set_weights(theirs.get_weights())
    theirs.quantize("int8", filters=filters)
    ours.quantize("int8", filters=filters)
    assert [layer.dtype_policy.name for layer in ours.layers] == [layer.dtype_policy.name for layer in theirs.layers]
    assert _describe(ours) == _describe(theirs)
    for mine, keras_value in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(mine, keras_value)
    x = RNG.standard_normal((5, 8)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def float8_fitted():
    """A float8 Sequential in both libraries after one SGD step on the same batch."""
    theirs, ours = _sequential(keras), _sequential(kerasj)
    ours.set_weights(theirs.get_weights())
    theirs.quantize("float8")
    ours.quantize("float8")
    theirs.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    ours.compile(optimizer=kerasj.optimizers.SGD(0.1), loss="mse")
    x = RNG.standard_normal((8, 8)).astype("float32")
    y = RNG.standard_normal((8, 3)).astype("float32")
    theirs.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    ours.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    return ours, theirs


def test_float8_fit_step_moves_kernels_as_keras(float8_fitted):
    """The kernels and biases move by the fake-quantized gradients, as in Keras."""
    ours, theirs = float8_fitted
    for variable, keras_variable in zip(ours.weights, theirs.weights):
        if variable.name in ("kernel", "bias"):
            np.testing.assert_allclose(variable.numpy(), keras_variable.numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=variable.path)


def test_float8_fit_step_overwrites_scales_as_keras(float8_fitted):
    """The scaling variables take their delayed-scaling successors (overwrite_with_gradient), not an update."""
    ours, theirs = float8_fitted
    for variable, keras_variable in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(variable.numpy(), keras_variable.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=variable.path)
