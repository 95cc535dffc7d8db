"""Functional models: multiple inputs/outputs, dicts, shared layers, nested models, graph errors."""
import os

import numpy as np
import pytest

import kerasj as keras
from kerasj import layers


def test_multi_input_multi_output_lists():
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    h = layers.Dense(4, kernel_initializer="ones")(a)
    g = layers.Dense(4, kernel_initializer="ones")(b)
    out1 = layers.Dense(1, kernel_initializer="ones", name="out1")(h + g)
    out2 = layers.Dense(2, kernel_initializer="ones", name="out2")(g)
    model = keras.Model([a, b], [out1, out2])
    xa, xb = np.ones((5, 3), np.float32), np.ones((5, 2), np.float32)
    y1, y2 = model([xa, xb])
    # independent computation: h = 3, g = 2 per unit; out1 = sum over 4 units of 5 = 20; out2 = 4 * 2 = 8
    np.testing.assert_allclose(y1, np.full((5, 1), 20.0))
    np.testing.assert_allclose(y2, np.full((5, 2), 8.0))
    # dict inputs are matched by Input name
    y1d, _ = model({"b": xb, "a": xa})
    np.testing.assert_allclose(y1d, y1)
    assert [l.name for l in model.layers][:2] == ["a", "b"]


def test_dict_outputs():
    x = keras.Input((2,))
    model = keras.Model(x, {"double": x * 2.0, "neg": -x})
    out = model(np.ones((1, 2), np.float32))
    np.testing.assert_allclose(out["double"], [[2.0, 2.0]])
    np.testing.assert_allclose(out["neg"], [[-1.0, -1.0]])


def test_shared_layer_weights_counted_once():
    shared = layers.Dense(3)
    a, b = keras.Input((4,)), keras.Input((4,))
    model = keras.Model([a, b], shared(a) + shared(b))
    assert len(model.weights) == 2
    xa = np.random.default_rng(0).random((2, 4)).astype(np.float32)
    out = model([xa, xa])
    np.testing.assert_allclose(out, 2 * np.asarray(shared(xa)), rtol=1e-6)


def test_model_used_as_a_layer():
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, layers.Dense(2)(inner_in), name="inner")
    x = keras.Input((4,))
    outer = keras.Model(x, layers.Dense(1)(inner(x)))
    assert len(outer.weights) == 4
    data = np.ones((3, 4), np.float32)
    expected = np.asarray(outer.layers[-1](inner(data)))
    np.testing.assert_allclose(outer(data), expected, rtol=1e-6)


def test_disconnected_graph_is_reported():
    a, b = keras.Input((2,)), keras.Input((2,))
    out = layers.Dense(1)(a + b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)


def test_symbolic_shapes():
    x = keras.Input((28, 28, 1))
    y = layers.Flatten()(x)
    assert y.shape == (None, 784)
    z = layers.Reshape((-1, 7))(y)
    assert z.shape == (None, 112, 7)
    assert layers.Dense(5)(z).shape == (None, 112, 5)


def test_training_flag_reaches_dropout_in_functional_model():
    x = keras.Input((1000,))
    model = keras.Model(x, layers.Dropout(0.5, seed=3)(x))
    data = np.ones((1, 1000), np.float32)
    np.testing.assert_array_equal(model(data), data)
    dropped = np.asarray(model(data, training=True))
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 300 < (dropped == 0).sum() < 700


def test_input_shape_and_output_shape_match_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras as keras3  # the oracle; kerasj is imported as `keras` in this file

    def build(lib):
        a, b = lib.Input((3,), name="a"), lib.Input((4,), name="b")
        single = lib.Model(a, lib.layers.Dense(2)(a))
        double = lib.Model([a, b], [lib.layers.Dense(2)(a), lib.layers.Dense(5)(b)])
        seq = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        named = lib.Model({"a": a, "b": b}, lib.layers.Dense(1)(a))
        return [(m.input_shape, m.output_shape) for m in (single, double, seq, named)]

    assert build(keras) == build(keras3) == [((None, 3), (None, 2)), ([(None, 3), (None, 4)], [(None, 2), (None, 5)]),
                                            ((None, 3), (None, 2)), ([(None, 3), (None, 4)], (None, 1))]


def test_a_keras_functional_config_passed_as_python_objects_rebuilds_the_model():
    # Keras's get_config() holds tuples (not JSON lists) in node args; from_config takes it directly.
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras as keras3

    a, b = keras3.Input((3,), name="a"), keras3.Input((2,), name="b")
    merged = keras3.layers.Concatenate(name="cat")([keras3.layers.Dense(4, name="d")(a), b])
    theirs = keras3.Model([a, b], keras3.layers.Dense(1, name="out")(merged))
    ours = keras.Model.from_config(theirs.get_config())
    ours.set_weights(theirs.get_weights())
    x = [np.ones((2, 3), "float32"), np.arange(4, dtype="float32").reshape(2, 2)]
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
