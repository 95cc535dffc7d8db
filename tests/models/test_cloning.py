"""clone_model: a model with the same architecture and new, separately initialized weights — for Sequential,
functional (shared layers kept shared, nested models), subclassed models, with clone_function and
input_tensors — and the argument errors."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402

L = kerasj.layers


def sequential(lib=kerasj):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(5, activation="relu", name="hidden"),
                           lib.layers.BatchNormalization(name="bn"), lib.layers.Dense(2, name="out")], name="seq")


def shared(lib=kerasj):
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    dense = lib.layers.Dense(3, activation="tanh", name="shared")
    inner_in = lib.Input((3,), name="inner_in")
    inner = lib.Model(inner_in, lib.layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    merged = lib.layers.Add(name="add")([inner(dense(a)), dense(b) * 2.0])
    return lib.Model([a, b], lib.layers.Dense(2, name="head")(merged), name="two_inputs")


@kerasj.saving.register_keras_serializable(package="cloning_tests")
class Tower(kerasj.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = L.Dense(units, activation="relu")
        self.out = L.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def inputs(model, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=(3,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]
    return xs if len(xs) > 1 else xs[0]


def assert_new_weights_same_architecture(clone, model, x):
    assert type(clone) is type(model)
    assert [(w.name, tuple(w.shape), w.trainable) for w in clone.weights] == [
        (w.name, tuple(w.shape), w.trainable) for w in model.weights]
    assert not {id(v) for v in clone.weights} & {id(v) for v in model.weights}
    assert not {id(layer) for layer in clone.layers} & {id(layer) for layer in model.layers}
    # New weights: freshly initialized, not copied (glorot-uniform kernels differ).
    kernels = [(a, b) for a, b in zip(clone.get_weights(), model.get_weights()) if a.ndim == 2]
    assert kernels and all(not np.array_equal(a, b) for a, b in kernels)
    # The same architecture: with the original's weights the clone computes the same function.
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(model(x)))


@pytest.mark.parametrize("build", [sequential, shared], ids=lambda f: f.__name__)
def test_clone_has_the_architecture_with_new_weights(build):
    model = build()
    clone = kerasj.models.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert_new_weights_same_architecture(clone, model, inputs(model))


def test_shared_layers_stay_shared_and_nested_models_are_cloned():
    model = shared()
    clone = kerasj.models.clone_model(model)
    dense = clone.get_layer("shared")
    assert len([layer for layer in clone.layers if layer is dense]) == 1
    assert len(dense._inbound_nodes) == 2  # called on both inputs in the clone
    assert isinstance(clone.get_layer("inner"), kerasj.Model)
    assert clone.get_layer("inner") is not model.get_layer("inner")
    # Training the clone leaves the original alone.
    before = model.get_weights()
    dense.kernel.assign(dense.kernel.numpy() + 1.0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("build", [sequential, shared], ids=lambda f: f.__name__)
def test_clones_match_keras_clone_model(build):
    ours, theirs = kerasj.models.clone_model(build(kerasj)), keras.models.clone_model(build(keras))
    assert [(type(a).__name__, a.name) for a in ours.layers] == [(type(b).__name__, b.name) for b in theirs.layers]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]


def test_clone_function_replaces_or_shares_layers():
    model = sequential()
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        if layer.name == "bn":
            return layer  # share this one with the original
        config = layer.get_config()
        if isinstance(layer, L.Dense):
            config["activation"] = "sigmoid"
        return type(layer).from_config(config)

    clone = kerasj.models.clone_model(model, clone_function=clone_function)
    assert seen == ["hidden", "bn", "out"]
    assert clone.get_layer("bn") is model.get_layer("bn")
    assert clone.get_layer("hidden").activation is kerasj.activations.sigmoid
    assert model.get_layer("hidden").activation is kerasj.activations.relu

    functional = shared()
    names = []
    kerasj.models.clone_model(functional, clone_function=lambda layer: names.append(layer.name) or layer,
                              recursive=True)
    assert "inner_dense" in names and "inner" not in names  # recursive: into the nested model's layers
    clone = kerasj.models.clone_model(functional, clone_function=lambda layer: layer)  # shares every layer
    assert [id(layer) for layer in clone.layers if not isinstance(layer, L.InputLayer)] == [
        id(layer) for layer in functional.layers if not isinstance(layer, L.InputLayer)]
    x = inputs(functional)
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(functional(x)))


def test_input_tensors_become_the_clones_inputs():
    model = shared()
    a, b = kerasj.Input((4,), name="new_a"), kerasj.Input((4,), name="new_b")
    clone = kerasj.models.clone_model(model, input_tensors=[a, b])
    assert clone.inputs[0] is a and clone.inputs[1] is b
    assert_new_weights_same_architecture(clone, model, inputs(model))

    seq = sequential()
    x = kerasj.Input((4,), name="seq_input")
    clone = kerasj.models.clone_model(seq, input_tensors=x)
    assert clone.inputs[0] is x
    assert_new_weights_same_architecture(clone, seq, inputs(seq))

    with pytest.raises(ValueError, match="has 2 inputs; received 1 input_tensors"):
        kerasj.models.clone_model(model, input_tensors=[a])


def test_subclassed_models_clone_through_their_config():
    model = Tower(units=4)
    model.build((None, 3))
    clone = kerasj.models.clone_model(model)
    assert type(clone) is Tower and clone.units == 4
    assert not clone.built or not {id(v) for v in clone.weights} & {id(v) for v in model.weights}
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    clone(x)
    assert_new_weights_same_architecture(clone, model, x)
    with pytest.raises(ValueError, match="subclassed model"):
        kerasj.models.clone_model(model, clone_function=lambda layer: layer)


def test_argument_errors():
    with pytest.raises(ValueError, match="expects a kerasj Model; received Dense"):
        kerasj.models.clone_model(L.Dense(2))
    with pytest.raises(NotImplementedError, match="call_function"):
        kerasj.models.clone_model(sequential(), call_function=lambda *a: None)
    with pytest.raises(TypeError, match="unexpected arguments"):
        kerasj.models.clone_model(sequential(), bogus=1)


@pytest.mark.parametrize("build", [sequential, shared], ids=["sequential", "functional"])
def test_the_clone_of_a_compiled_model_is_compiled_the_same_way_as_in_keras(build):
    configs = {}
    for lib in (keras, kerasj):
        model = build(lib)
        model.compile(optimizer=lib.optimizers.SGD(0.05, momentum=0.5), loss="mse", metrics=["mae"])
        clone = lib.models.clone_model(model)
        assert clone.compiled
        configs[lib.__name__] = clone.get_compile_config()
        assert lib.models.clone_model(build(lib)).compiled is False  # an uncompiled model's clone is not
    ours, theirs = configs["kerasj"], configs["keras"]
    assert ours["optimizer"]["config"]["learning_rate"] == pytest.approx(theirs["optimizer"]["config"]["learning_rate"])
    assert ours["optimizer"]["config"]["momentum"] == theirs["optimizer"]["config"]["momentum"]
    assert ours["loss"] == theirs["loss"] and ours["metrics"] == theirs["metrics"]
