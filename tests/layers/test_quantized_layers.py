"""Quantized layers and Model.quantize: errors, configs, files moving both ways between kerasj and Keras 3, and
the compiled steps rebuilt once after quantizing."""
import os

import keras
import numpy as np
import pytest

import kerasj
from kerasj.layers.core import Dense
from kerasj.layers.einsum_dense import EinsumDense
from kerasj.layers.embedding import Embedding
from kerasj.quantizers import AbsMaxQuantizer, GPTQConfig, Int8QuantizationConfig

RNG = np.random.default_rng(1)
X = RNG.standard_normal((4, 8)).astype("float32")


def _built(layer, shape=(None, 8)):
    layer.build(shape)
    return layer


# -- errors ------------------------------------------------------------------------------------------------
def test_quantize_errors():
    with pytest.raises(ValueError, match="isn't yet built"):
        Dense(4).quantize("int8")
    layer = _built(Dense(4))
    with pytest.raises(ValueError, match="mode"):
        layer.quantize("int9")
    layer.quantize("int8")
    with pytest.raises(ValueError, match="already quantized with dtype_policy='int8_from_float32'"):
        layer.quantize("float8")
    with pytest.raises(ValueError, match="compute_dtype='float16'"):
        _built(Dense(4, dtype="mixed_float16")).quantize("int8")
    with pytest.raises(NotImplementedError, match="'int4' is not implemented"):
        _built(Dense(4)).quantize("int4")
    with pytest.raises(NotImplementedError, match="'gptq' is not implemented"):
        _built(Dense(4)).quantize(config=GPTQConfig(dataset=None, tokenizer=None))
    with pytest.raises(NotImplementedError, match="Expected one of \\('int8', 'int4'\\)"):
        _embedding().quantize("float8")

    class MyDense(Dense):
        pass

    with pytest.raises(NotImplementedError, match="MyDense does not have a `quantize`"):
        _built(MyDense(4)).quantize("int8")
    subclassed = _built(MyDense(4))
    subclassed.quantize("int8", type_check=False)
    assert subclassed.quantization_mode == "int8"


def _embedding():
    layer = Embedding(5, 2)
    layer.build()
    return layer


def test_model_quantize_errors_and_warnings():
    model = kerasj.Sequential([kerasj.Input((8,)), Dense(4), kerasj.layers.Dropout(0.5)])
    with pytest.raises(ValueError, match="`filters` argument must be"):
        model.quantize("int8", filters=3)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        model.quantize("int8", axis=0)
    with pytest.raises(NotImplementedError, match="'awq' is not implemented"):
        model.quantize("awq")
    with pytest.warns(UserWarning, match="Dropout does not have a `quantize` method"):
        model.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        model.quantize("int8")
    unbuilt = kerasj.Sequential([Dense(4)])
    with pytest.raises(ValueError, match="isn't yet built"):
        unbuilt.quantize("int8")


# -- behaviour -----------------------------------------------------------------------------------------------
def test_weight_only_config_and_policy_setter():
    """A weight-only config leaves the inputs in float: the output is exactly inputs @ dequantized kernel."""
    layer = _built(Dense(4, use_bias=False))
    kernel = layer.kernel.numpy()
    layer.quantize(config=Int8QuantizationConfig(weight_quantizer=AbsMaxQuantizer(axis=0),
                                                 activation_quantizer=None))
    assert layer.inputs_quantizer is None
    scale = 127.0 / (np.abs(kernel).max(axis=0) + 1e-7)
    np.testing.assert_array_equal(layer._kernel.numpy(), np.clip(np.round(kernel * scale), -127, 127))
    np.testing.assert_allclose(np.asarray(layer(X)), X @ (layer._kernel.numpy() / scale), rtol=1e-5, atol=1e-6)
    assert layer.get_config()["quantization_config"]["config"]["activation_quantizer"] is None
    # As in Keras, giving a built layer a quantized policy quantizes it.
    other = _built(EinsumDense("ab,bc->ac", output_shape=(4,)))
    other.dtype_policy = "int8_from_float32"
    assert other._kernel.dtype == "int8" and other.quantization_mode == "int8"


def test_quantized_policy_builds_quantized_variables_and_round_trips():
    layer = Dense(4, dtype="int8_from_float32")
    layer.build((None, 8))
    assert [(w.name, w.dtype, w.trainable) for w in layer.weights] == [
        ("bias", "float32", True), ("kernel", "int8", False), ("kernel_scale", "float32", False)]
    config = layer.get_config()
    clone = Dense.from_config(config)
    assert clone.get_config() == config and clone.dtype_policy == layer.dtype_policy
    float8 = EinsumDense("abc,cd->abd", output_shape=(2, 3), dtype=kerasj.dtype_policies.QuantizedFloat8DTypePolicy(
        "float8", "float32", amax_history_length=16))
    float8.build((None, 2, 5))
    assert float8.inputs_amax_history.shape == (16,) and float8.inputs_scale.overwrite_with_gradient
    embedding = Embedding.from_config({**Embedding(6, 3).get_config(), "dtype": "int8_from_float32"})
    embedding.build()
    assert [w.name for w in embedding.weights] == ["embeddings", "embeddings_scale"]


def test_ellipsis_equation_quantizes():
    """Keras 3.15 raises a TypeError here (it passes the input rank where it expects a shape); kerasj
    quantizes along the elided axes as the equation without ellipsis would."""
    layer = _built(EinsumDense("...b,bc->...c", output_shape=(4,)), (None, 3, 8))
    x = RNG.standard_normal((2, 3, 8)).astype("float32")
    before = np.asarray(layer(x))
    layer.quantize("int8")
    assert layer.kernel_scale.shape == (1, 1, 4)
    np.testing.assert_allclose(np.asarray(layer(x)), before, atol=0.05)


# -- models: files both ways, compiled steps -------------------------------------------------------------
def _model(lib):
    inputs = lib.Input((8,))
    hidden = lib.layers.Dense(6, activation="relu")(inputs)
    return lib.Model(inputs, lib.layers.Dense(3, name="head")(hidden))


@pytest.mark.parametrize("mode", ["int8", "float8"])
def test_files_move_both_ways_with_keras(tmp_path, mode):
    theirs = _model(keras)
    theirs.quantize(mode)
    keras_file = os.path.join(tmp_path, "keras.keras")
    theirs.save(keras_file)
    expected = np.asarray(theirs(X))
    loaded = kerasj.models.load_model(keras_file)
    assert [layer.dtype_policy.name for layer in loaded.layers[1:]] == [f"{mode}_from_float32"] * 2
    np.testing.assert_allclose(np.asarray(loaded(X)), expected, rtol=1e-5, atol=1e-6)

    ours = _model(kerasj)
    ours.quantize(mode)
    ours_file = os.path.join(tmp_path, "ours.keras")
    ours.save(ours_file)
    back = keras.saving.load_model(ours_file)
    np.testing.assert_allclose(np.asarray(back(X)), np.asarray(ours(X)), rtol=1e-5, atol=1e-6)
    # .weights.h5 into an architecture quantized the same way, both directions.
    weights_file = os.path.join(tmp_path, "ours.weights.h5")
    ours.save_weights(weights_file)
    target = _model(keras)
    target.quantize(mode)
    target.load_weights(weights_file)
    np.testing.assert_allclose(np.asarray(target(X)), np.asarray(ours(X)), rtol=1e-5, atol=1e-6)
    theirs.save_weights(os.path.join(tmp_path, "keras.weights.h5"))
    ours.load_weights(os.path.join(tmp_path, "keras.weights.h5"))
    np.testing.assert_allclose(np.asarray(ours(X)), expected, rtol=1e-5, atol=1e-6)


def test_quantize_retraces_once_and_model_still_trains(tmp_path):
    model = _model(kerasj)
    model.compile(optimizer="sgd", loss="mse")
    y = RNG.standard_normal((4, 3)).astype("float32")
    float_out = model.predict(X, verbose=0)
    float_loss = model.evaluate(X, y, verbose=0)
    first = model._programs["test"]
    model.quantize("int8")
    quantized_loss = model.evaluate(X, y, verbose=0)
    assert model.evaluate(X, y, verbose=0) == quantized_loss
    program = model._programs["test"]
    assert program is not first and program.trace_count == 1  # one retrace, then reused
    assert quantized_loss != float_loss
    quantized_out = model.predict(X, verbose=0)
    assert not np.array_equal(quantized_out, float_out)
    np.testing.assert_allclose(quantized_out, float_out, atol=0.05)
    kernel, bias = model.layers[1]._kernel.numpy(), model.layers[1].bias.numpy()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[1]._kernel.numpy(), kernel)  # int8 kernels are not trainable
    assert not np.array_equal(model.layers[1].bias.numpy(), bias)
    path = os.path.join(tmp_path, "trained.keras")
    model.save(path)
    np.testing.assert_allclose(kerasj.models.load_model(path).predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-6)
