"""Sequential: from a list or add(), with or without Input, pop(), lazy build."""
import numpy as np
import pytest

import kerasj as keras
from kerasj import layers


def test_with_input_is_built_immediately():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
    assert model.built and len(model.weights) == 4 and len(model.layers) == 2
    assert model.layers[-1].output.shape == (None, 2)


def test_lazy_build_on_first_call():
    model = keras.Sequential()
    model.add(layers.Dense(3))
    model.add(layers.Dense(2))
    assert not model.built and model.weights == []
    out = model(np.ones((5, 4), np.float32))
    assert out.shape == (5, 2) and model.built and len(model.weights) == 4


def test_input_shape_argument_on_first_layer():
    model = keras.Sequential([layers.Dense(3, input_shape=(6,)), layers.Dense(1)])
    assert model.built and model.weights[0].shape == (6, 3)


def test_pop_removes_last_layer():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and len(model.layers) == 1
    assert model(np.ones((1, 4), np.float32)).shape == (1, 3)
    with pytest.raises(ValueError, match="no layers"):
        keras.Sequential().pop()


def test_add_rejects_non_layers_and_duplicate_names():
    model = keras.Sequential()
    with pytest.raises(TypeError, match="Layer instance"):
        model.add("dense")
    layer = layers.Dense(2, name="d")
    model.add(layer)
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(2, name="d"))


def test_feature_size_mismatch_names_layer():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="first")])
    with pytest.raises(ValueError, match=r"first.*value 4.*\(2, 5\)"):
        model(np.ones((2, 5), np.float32))


def test_config_round_trip():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dropout(0.2)])
    clone = keras.Sequential.from_config(model.get_config())
    assert [type(l).__name__ for l in clone.layers] == ["Dense", "Dropout"]
    assert clone.count_params() == model.count_params()


def test_model_input_and_output_are_the_graph_tensors():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert model.output.shape == (None, 2) and model.input.shape == (None, 3)
    # Usable to extend the model, as in Keras's feature-extraction recipe.
    head = keras.Model(model.input, keras.layers.Dense(1)(model.output))
    assert head.output.shape == (None, 1)
    assert [l.name for l in head.layers][1:] == [model.layers[0].name, head.layers[-1].name]
