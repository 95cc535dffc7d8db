"""Whole-model `.keras` archives in kerasj: exact round trips (predictions bit for bit, weights, optimizer state
with its step count, and training that continues exactly as the original continues) for every kind of model,
custom objects, compile=False, to_json / model_from_json, atomic saving and argument errors.

Per-layer-family round trips (and interop with Keras 3) are in tests/parity/test_saving_interop.py; hostile
archives in tests/saving/test_hostile_archives.py.
"""
import json
import os
import zipfile

import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj.saving import keras_archive

L = kerasj.layers
Z = {"kernel_initializer": "zeros"}  # weights are set from numpy; random initializers compile per shape


# -- custom objects: some registered, some passed through custom_objects --------------------------------------

@kerasj.saving.register_keras_serializable(package="kerasj_tests")
class Scale(L.Layer):
    """A custom layer with a constructor argument and a weight."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return self.factor * x * self.w

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@kerasj.saving.register_keras_serializable(package="kerasj_tests")
def scaled_tanh(x):
    return 1.5 * jnp.tanh(x)


def half_relu(x):
    """A custom activation passed with custom_objects when loading."""
    return 0.5 * jnp.maximum(x, 0.0)


def huber_ish(y_true, y_pred):
    """A custom loss function, passed with custom_objects when loading."""
    d = y_pred - y_true
    return jnp.mean(jnp.sqrt(1.0 + d * d) - 1.0, axis=-1)


class MaxError(kerasj.metrics.Metric):
    """A custom stateful metric, passed with custom_objects when loading."""

    def __init__(self, name="max_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.worst = self.add_variable(shape=(), initializer="zeros", name="worst")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.worst.assign(jnp.maximum(self.worst.value, jnp.max(jnp.abs(y_pred - y_true))))

    def result(self):
        return self.worst.value


@kerasj.saving.register_keras_serializable(package="kerasj_tests")
class TwoTower(kerasj.Model):
    """A subclassed model whose __init__ takes arguments, saved through get_config."""

    def __init__(self, units=3, rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate = units, rate
        self.left = L.Dense(units, activation="relu", **Z)
        self.right = L.Dense(units, **Z)
        self.head = L.Dense(2, **Z)

    def call(self, x):
        return self.head(self.left(x) * self.right(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rate": self.rate}


CUSTOM = {"huber_ish": huber_ish, "MaxError": MaxError}


# -- the models ----------------------------------------------------------------------------------------------

def sequential():
    # No dropout: as in Keras, a seed generator's position is not saved, so a loaded model draws other masks.
    return kerasj.Sequential([kerasj.Input((4,)), L.Dense(5, activation="relu", **Z), L.BatchNormalization(),
                              L.Dense(2, **Z)], name="seq")


def shared_layers():
    a, b = kerasj.Input((4,), name="a"), kerasj.Input((4,), name="b")
    shared = L.Dense(3, activation="tanh", name="shared", **Z)
    merged = L.Concatenate()([shared(a), shared(b), shared(L.Add()([a, b]))])
    return kerasj.Model([a, b], L.Dense(2, **Z)(merged))


def nested():
    inner_in = kerasj.Input((4,))
    inner = kerasj.Model(inner_in, L.Dense(3, activation="relu", **Z)(inner_in), name="inner")
    stack = kerasj.Sequential([L.Dense(3, **Z), L.LayerNormalization()], name="stack")
    x = kerasj.Input((4,))
    y = stack(inner(x))
    return kerasj.Model(x, L.Dense(2, **Z)(L.Add()([y, inner(x)])), name="outer")


def dict_io():
    x, y = kerasj.Input((4,), name="x"), kerasj.Input((3,), name="y")
    h = L.Dense(4, activation="relu", **Z)(L.Concatenate()([x, y]))
    # Output keys in sorted order: see test_dict_outputs_in_any_key_order_train for the other order.
    return kerasj.Model({"x": x, "y": y}, {"probs": L.Dense(3, activation="softmax", name="probs", **Z)(h),
                                           "score": L.Dense(1, name="score", **Z)(h)})


def operators():
    x, y = kerasj.Input((4,), name="x"), kerasj.Input((4,), name="y")
    h = L.Dense(4, **Z)(x * 2 + y)
    first = h[:, 0]
    out = L.Dense(2, **Z)(h - y / 3.0) + first[:, None] ** 2
    return kerasj.Model([x, y], -abs(out))


def subclassed():
    model = TwoTower(units=3, rate=0.5)
    model.build((None, 4))
    return model


def custom_objects():
    x = kerasj.Input((4,))
    h = Scale(factor=2.0)(L.Dense(3, activation="tanh", **Z)(x))
    return kerasj.Model(x, L.Dense(2, **Z)(h))


def _xy(model, seed=0):
    """Training data for `model`: inputs shaped like its inputs (a dict for dict inputs), targets for its
    outputs."""
    rng = np.random.default_rng(seed)
    n = 8
    features = lambda shape: rng.normal(size=(n,) + tuple(shape[1:])).astype("float32")  # noqa: E731
    if isinstance(model, TwoTower):
        x = features((None, 4))
    elif isinstance(model._graph.inputs, dict):
        x = {k: features(t.shape) for k, t in model._graph.inputs.items()}
    else:
        x = [features(t.shape) for t in model.inputs]
        x = x if len(x) > 1 else x[0]
    if model._graph is not None and isinstance(model._graph.outputs, dict):
        y = {"score": rng.normal(size=(n, 1)).astype("float32"), "probs": rng.integers(0, 3, size=(n,))}
    else:
        y = rng.normal(size=(n, 2)).astype("float32")
    return x, y


# (builder, compile arguments, custom_objects for load_model)
CASES = {
    "sequential": (sequential, lambda: dict(optimizer=kerasj.optimizers.Adam(0.01), loss="mse",
                                            metrics=["mae"]), None),
    "shared_layers": (shared_layers, lambda: dict(optimizer=kerasj.optimizers.SGD(0.05, momentum=0.9),
                                                  loss="mse"), None),
    "nested": (nested, lambda: dict(optimizer="rmsprop", loss="mean_absolute_error", metrics=["mse"]), None),
    "dict_io": (dict_io, lambda: dict(optimizer=kerasj.optimizers.Adam(0.02),
                                      loss={"score": "mse", "probs": "sparse_categorical_crossentropy"},
                                      loss_weights={"score": 0.5, "probs": 1.0},
                                      metrics={"probs": ["accuracy"]}), None),
    "operators": (operators, lambda: dict(optimizer=kerasj.optimizers.AdamW(0.01), loss="mse"), None),
    "subclassed": (subclassed, lambda: dict(optimizer=kerasj.optimizers.Adam(0.01), loss="mse"), None),
    "custom_objects": (custom_objects, lambda: dict(optimizer=kerasj.optimizers.Adam(0.01), loss=huber_ish,
                                                    metrics=[MaxError()]), CUSTOM),
}


def randomize(model, seed=1):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.2, 1.0, size=w.shape).astype(w.dtype) for w in model.get_weights()])


def fit_epoch(model, x, y):
    return model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history


def assert_identical(values_a, values_b):
    assert len(values_a) == len(values_b)
    for a, b in zip(values_a, values_b):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def optimizer_state(model):
    return [np.asarray(v.numpy()) for v in model.optimizer.variables]


@pytest.mark.parametrize("case", list(CASES))
def test_round_trip_is_exact_and_training_continues_identically(case, tmp_path):
    build, compile_args, custom = CASES[case]
    model = build()
    randomize(model)
    model.compile(**compile_args())
    x, y = _xy(model)
    fit_epoch(model, x, y)
    path = tmp_path / "model.keras"
    model.save(path)

    restored = kerasj.models.load_model(path, custom_objects=custom)
    assert type(restored) is type(model)
    if case != "subclassed":  # (a subclassed model creates its sub-layers, with new names, in __init__)
        assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    assert_identical(restored.get_weights(), model.get_weights())
    # (Paths may lose the Sequential's name scope, as in Keras: loaded layers are built before being added.)
    assert [(w.name, w.trainable) for w in restored.weights] == [(w.name, w.trainable) for w in model.weights]
    assert type(restored.optimizer) is type(model.optimizer)
    assert int(restored.optimizer.iterations) == int(model.optimizer.iterations) == 2
    assert_identical(optimizer_state(restored), optimizer_state(model))
    assert restored.get_compile_config() == model.get_compile_config()
    expected, got = model.predict(x, verbose=0), restored.predict(x, verbose=0)
    if isinstance(expected, dict):
        assert sorted(got) == sorted(expected)
        expected, got = [expected[k] for k in sorted(expected)], [got[k] for k in sorted(got)]
    assert_identical(got if isinstance(got, list) else [got], expected if isinstance(expected, list) else [expected])

    # The same state (batch-norm statistics and optimizer moments included): one more epoch gives the same
    # weights, logs and optimizer state, bit for bit.
    logs_model, logs_restored = fit_epoch(model, x, y), fit_epoch(restored, x, y)
    assert logs_restored == logs_model
    assert_identical(restored.get_weights(), model.get_weights())
    assert_identical(optimizer_state(restored), optimizer_state(model))


def test_dict_outputs_in_any_key_order_train(tmp_path):
    x = kerasj.Input((3,), name="x")
    model = kerasj.Model(x, {"score": L.Dense(1, name="score", **Z)(x),
                             "probs": L.Dense(3, activation="softmax", name="probs", **Z)(x)})
    model.compile("adam", loss={"score": "mse", "probs": "sparse_categorical_crossentropy"})
    rng = np.random.default_rng(0)
    y = {"score": rng.normal(size=(4, 1)).astype("float32"), "probs": rng.integers(0, 3, size=(4,))}
    fit_epoch(model, rng.normal(size=(4, 3)).astype("float32"), y)
    model.save(tmp_path / "m.keras")
    assert_identical(kerasj.models.load_model(tmp_path / "m.keras").get_weights(), model.get_weights())


def test_archive_members_and_config_follow_keras(tmp_path):
    model, compile_args, _ = CASES["sequential"]
    model = model()
    model.compile(**compile_args())
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(zf.read("config.json"))
        metadata = json.loads(zf.read("metadata.json"))
    assert metadata["keras_version"].startswith("3")
    assert (config["module"], config["class_name"]) == ("keras", "Sequential")
    assert config["build_config"] == {"input_shape": [None, 4]}
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["loss"] == "mse" and config["compile_config"]["metrics"] == ["mae"]
    assert [layer["class_name"] for layer in config["config"]["layers"]] == [
        "InputLayer", "Dense", "BatchNormalization", "Dense"]


def test_compile_false_and_uncompiled_models(tmp_path):
    model = shared_layers()
    randomize(model)
    model.save(tmp_path / "plain.keras")  # never compiled: no compile_config, no optimizer state
    restored = kerasj.models.load_model(tmp_path / "plain.keras")
    assert not restored.compiled
    assert_identical(restored.get_weights(), model.get_weights())

    model.compile("adam", "mse")
    model.save(tmp_path / "compiled.keras")
    restored = kerasj.models.load_model(tmp_path / "compiled.keras", compile=False)
    assert not restored.compiled
    assert_identical(restored.get_weights(), model.get_weights())


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # never fitted: as in Keras
def test_custom_objects_are_needed_unless_registered(tmp_path):
    build, compile_args, _ = CASES["custom_objects"]
    model = build()
    model.compile(**compile_args())
    model.save(tmp_path / "m.keras")
    # The registered layer and activation resolve by themselves; the unregistered loss does not.
    with pytest.raises(ValueError, match="huber_ish.*custom_objects|custom_objects.*huber_ish"):
        kerasj.models.load_model(tmp_path / "m.keras")
    uncompiled = kerasj.models.load_model(tmp_path / "m.keras", compile=False)
    assert isinstance(uncompiled.layers[2], Scale) and uncompiled.layers[2].factor == 2.0
    with kerasj.saving.custom_object_scope(CUSTOM):
        scoped = kerasj.models.load_model(tmp_path / "m.keras")
    assert scoped.get_compile_config() == model.get_compile_config()


def test_unregistered_custom_layer_error_says_how_to_register(tmp_path):
    class Local(L.Layer):
        def call(self, x):
            return x + 1.0

    x = kerasj.Input((2,))
    kerasj.Model(x, Local()(x)).save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="Could not locate class 'Local'.*register_keras_serializable"):
        kerasj.models.load_model(tmp_path / "m.keras")
    restored = kerasj.models.load_model(tmp_path / "m.keras", custom_objects={"Local": Local})
    np.testing.assert_array_equal(np.asarray(restored(np.ones((1, 2), "float32"))), [[2.0, 2.0]])


def test_custom_activations_round_trip(tmp_path):
    x = kerasj.Input((3,))
    h = L.Dense(3, activation=scaled_tanh, **Z)(x)  # registered
    model = kerasj.Model(x, L.Activation(half_relu)(h))  # passed in custom_objects
    randomize(model)
    model.save(tmp_path / "m.keras")
    restored = kerasj.models.load_model(tmp_path / "m.keras", custom_objects={"half_relu": half_relu})
    assert restored.layers[1].activation is scaled_tanh and restored.layers[2].activation is half_relu
    data = np.linspace(-2, 2, 6, dtype="float32").reshape(2, 3)
    assert_identical([restored.predict(data, verbose=0)], [model.predict(data, verbose=0)])


@pytest.mark.parametrize("build", [sequential, nested, dict_io, operators, subclassed, custom_objects],
                         ids=lambda f: f.__name__)
def test_to_json_and_model_from_json_rebuild_the_architecture(build):
    model = build()
    text = model.to_json()
    rebuilt = kerasj.models.model_from_json(text, custom_objects=CUSTOM)
    assert type(rebuilt) is type(model)
    assert json.loads(rebuilt.to_json()) == json.loads(text)
    assert [(w.name, tuple(w.shape)) for w in rebuilt.weights] == [(w.name, tuple(w.shape)) for w in model.weights]
    assert all(a is not b for a, b in zip(rebuilt.weights, model.weights))  # new variables


def test_model_from_json_rejects_what_is_not_a_model():
    with pytest.raises(ValueError, match="not valid JSON"):
        kerasj.models.model_from_json("{not json")
    with pytest.raises(ValueError, match="describes a Dense, not a model"):
        kerasj.models.model_from_json(json.dumps(kerasj.saving.serialize_keras_object(L.Dense(2))))


def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    model = sequential()
    path = tmp_path / "model.keras"
    model.save(path)
    good = path.read_bytes()
    randomize(model)
    original_writestr = zipfile.ZipFile.writestr

    def failing_writestr(self, name, data, *args, **kwargs):
        if str(getattr(name, "filename", name)) == keras_archive.WEIGHTS_NAME:
            raise OSError("disk full")  # after config.json and metadata.json went into the temporary file
        return original_writestr(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["model.keras"]
    kerasj.models.load_model(path)  # still loads


def test_save_and_load_argument_errors(tmp_path):
    model = sequential()
    with pytest.raises(ValueError, match=r"must end in `\.keras`.*save_weights"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        model.save(tmp_path / "m.tf")
    with pytest.raises(ValueError, match="not yet been built"):
        kerasj.Sequential([L.Dense(2)]).save(tmp_path / "unbuilt.keras")
    with pytest.raises(ValueError, match=r"holds only weights.*load_weights"):
        kerasj.models.load_model(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"expected a `\.keras` file"):
        kerasj.models.load_model(tmp_path / "m.h5")
    with pytest.raises(FileNotFoundError):
        kerasj.models.load_model(tmp_path / "missing.keras")
    assert os.listdir(tmp_path) == []


def test_load_weights_from_a_keras_archive(tmp_path):
    model = shared_layers()
    randomize(model, seed=3)
    model.save(tmp_path / "m.keras")
    other = shared_layers()
    other.load_weights(tmp_path / "m.keras")
    assert_identical(other.get_weights(), model.get_weights())
