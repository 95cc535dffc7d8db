"""serialize_keras_object / deserialize_keras_object: the same records as Keras 3 for built-in objects (layers,
initializers, optimizers, losses, metrics, schedules, regularizers, constraints, functions, tagged values),
Keras's records read back, the registry of custom objects and custom object scopes, and malformed configs
refused with ValueErrors."""
import os
import re

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402
from kerasj.saving import serialization_lib  # noqa: E402
from kerasj.saving.safe_mode import safe_mode_scope  # noqa: E402

serialize = kerasj.saving.serialize_keras_object
deserialize = kerasj.saving.deserialize_keras_object


def _attr(lib, path):
    obj = lib
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj



# (class path in both libraries, args, kwargs). Names are explicit: automatic names ("adam_3") count the
# objects made so far in each library.
BUILTINS = [
    pytest.param("layers.Dense", (3,), dict(activation="relu", name="d", kernel_regularizer="l2"), id="Dense"),
    ("layers.Conv2D", (4, 3), dict(strides=2, padding="same", name="c", kernel_constraint="max_norm")),
    ("layers.BatchNormalization", (), dict(name="bn", momentum=0.9)),
    ("layers.Dropout", (0.2,), dict(name="dr", seed=3)),
    ("layers.LSTM", (3,), dict(name="lstm", return_sequences=True)),
    ("layers.Embedding", (10, 4), dict(name="e", mask_zero=True)),
    ("layers.MultiHeadAttention", (2, 3), dict(name="mha")),
    ("layers.Normalization", (), dict(name="n", mean=[1.0, 2.0], variance=[1.0, 4.0])),
    ("layers.Rescaling", (0.5,), dict(name="r", offset=-1.0)),
    ("initializers.GlorotUniform", (), dict(seed=3)),
    ("initializers.Constant", (0.5,), {}),
    ("initializers.VarianceScaling", (), dict(scale=2.0, mode="fan_out", distribution="uniform")),
    ("initializers.Orthogonal", (), dict(gain=2.0)),
    ("optimizers.Adam", (), dict(learning_rate=0.01, amsgrad=True, name="adam")),
    ("optimizers.SGD", (), dict(learning_rate=0.1, momentum=0.9, nesterov=True, name="sgd")),
    ("optimizers.RMSprop", (), dict(clipnorm=1.0, name="rmsprop")),
    ("optimizers.AdamW", (), dict(weight_decay=0.01, name="adamw")),
    ("losses.MeanSquaredError", (), {}),
    ("losses.CategoricalCrossentropy", (), dict(from_logits=True, label_smoothing=0.1)),
    ("metrics.SparseCategoricalAccuracy", (), {}),
    ("metrics.MeanSquaredError", (), dict(name="mse")),
    ("metrics.AUC", (), dict(num_thresholds=50)),
    ("metrics.Precision", (), dict(thresholds=0.3)),
    ("optimizers.schedules.ExponentialDecay", (0.1, 100, 0.9), dict(staircase=True)),
    ("optimizers.schedules.PiecewiseConstantDecay", ([10, 20], [0.1, 0.01, 0.001]), {}),
    ("optimizers.schedules.CosineDecay", (0.1, 100), dict(warmup_steps=5, warmup_target=0.2)),
    ("regularizers.L1L2", (0.01, 0.02), {}),
    ("constraints.MaxNorm", (2.0,), {}),
]


@pytest.mark.parametrize("path,args,kwargs", BUILTINS)
def test_builtin_objects_serialize_as_keras_does_and_read_keras_records(path, args, kwargs):
    theirs = _numbering_removed(keras.saving.serialize_keras_object(_attr(keras, path)(*args, **kwargs)))
    ours = _numbering_removed(serialize(_attr(kerasj, path)(*args, **kwargs)))
    assert ours == theirs
    rebuilt = deserialize(theirs)  # Keras's record -> the kerasj object
    assert type(rebuilt) is _attr(kerasj, path)
    assert _numbering_removed(serialize(rebuilt)) == theirs


def _numbering_removed(record):
    """Both libraries number optimizer and metric names per process ("adam_3", "auc_12"), so the suffix
    depends on which tests ran before in this worker; compare the base name."""
    config = record.get("config")
    if isinstance(config, dict) and isinstance(config.get("name"), str):
        config = {**config, "name": re.sub(r"_\d+$", "", config["name"])}
        record = {**record, "config": config}
    return record


@pytest.mark.parametrize("path,kwargs,extra", [
    # Keras's get_config drops these arguments (so a Keras round trip loses them); kerasj keeps them, and
    # Keras's constructors accept them, so Keras reads kerasj's records.
    ("losses.Huber", dict(delta=2.0), {"delta": 2.0}),
    ("losses.SparseCategoricalCrossentropy", dict(from_logits=True), {"axis": -1}),
])
def test_configs_that_keep_arguments_keras_drops(path, kwargs, extra):
    theirs = keras.saving.serialize_keras_object(_attr(keras, path)(**kwargs))
    ours = serialize(_attr(kerasj, path)(**kwargs))
    assert ours == {**theirs, "config": {**theirs["config"], **extra}}
    assert keras.saving.deserialize_keras_object(ours).get_config() == theirs["config"]
    assert type(deserialize(theirs)) is _attr(kerasj, path)


def test_an_optimizer_with_a_schedule_and_functions_match_keras():
    theirs = keras.saving.serialize_keras_object(
        keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5), name="adam"))
    ours = serialize(kerasj.optimizers.Adam(kerasj.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5), name="adam"))
    theirs, ours = _numbering_removed(theirs), _numbering_removed(ours)
    assert ours == theirs
    optimizer = deserialize(theirs)
    assert type(optimizer) is kerasj.optimizers.Adam and _numbering_removed(serialize(optimizer)) == theirs
    for name, ours_fn, theirs_fn in [("relu", kerasj.activations.relu, keras.activations.relu),
                                     ("mse", kerasj.losses.mean_squared_error, keras.losses.mean_squared_error)]:
        record = keras.saving.serialize_keras_object(theirs_fn)
        assert serialize(ours_fn) == record, name
        assert deserialize(record) is ours_fn


@pytest.mark.parametrize("value", [
    (1, 2, (3, 4)), {"a": [1, (2.5, "x")], "b": None}, np.arange(6, dtype="int32").reshape(2, 3),
    np.linspace(0, 1, 3, dtype="float32"), b"bytes", slice(1, None, 2), np.float32(2.5), True, "mse",
], ids=lambda v: type(v).__name__)
def test_plain_values_and_tagged_forms_match_keras(value):
    theirs = keras.saving.serialize_keras_object(value)
    assert serialize(value) == theirs
    back = deserialize(theirs)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)
    else:
        assert back == (value.item() if isinstance(value, np.generic) else value)


def test_module_paths_resolve_to_kerasj_classes_only():
    record = {"module": "keras.src.layers.core.dense", "class_name": "Dense", "config": {"units": 2},
              "registered_name": None}
    assert type(deserialize(record)) is kerasj.layers.Dense
    assert type(deserialize({"class_name": "Dense", "config": {"units": 2}})) is kerasj.layers.Dense
    for bad in ({"module": "keras.layers", "class_name": "_Private", "config": {}},
                {"module": "keras.layers", "class_name": "NoSuchLayer", "config": {}},
                {"module": "my_package.layers", "class_name": "Dense", "config": {}}):
        with pytest.raises(ValueError, match=f"Could not locate class '{bad['class_name']}'"):
            deserialize(bad)


# -- custom objects ----------------------------------------------------------------------------------------

@kerasj.saving.register_keras_serializable(package="serialization_tests", name="Offset")
class OffsetLayer(kerasj.layers.Layer):
    def __init__(self, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def call(self, x):
        return x + self.offset

    def get_config(self):
        return {**super().get_config(), "offset": self.offset}


@kerasj.saving.register_keras_serializable(package="serialization_tests")
def double(x):
    return 2 * x


def test_registered_objects_round_trip_under_their_registered_names():
    assert kerasj.saving.get_registered_name(OffsetLayer) == "serialization_tests>Offset"
    assert kerasj.saving.get_registered_object("serialization_tests>Offset") is OffsetLayer
    assert kerasj.saving.get_custom_objects()["serialization_tests>double"] is double
    record = serialize(OffsetLayer(1.5, name="off"))
    assert record["registered_name"] == "serialization_tests>Offset"
    assert record["class_name"] == "OffsetLayer"
    layer = deserialize(record)
    assert type(layer) is OffsetLayer and layer.offset == 1.5 and layer.name == "off"
    fn_record = serialize(double)
    assert fn_record == {"module": "builtins", "class_name": "function", "config": "serialization_tests>double",
                         "registered_name": "function"}
    assert deserialize(fn_record) is double


def test_custom_objects_and_scopes_resolve_unregistered_classes():
    class Plain(kerasj.layers.Layer):
        def call(self, x):
            return x

    record = serialize(Plain(name="p"))
    assert record["registered_name"] == "Plain"
    with pytest.raises(ValueError, match=r"Could not locate class 'Plain'.*register_keras_serializable.*"
                                         r"custom_objects"):
        deserialize(record)
    assert type(deserialize(record, custom_objects={"Plain": Plain})) is Plain
    with kerasj.saving.custom_object_scope({"Plain": Plain}):
        assert type(deserialize(record)) is Plain
        with kerasj.saving.custom_object_scope({"Plain": OffsetLayer}):  # the innermost scope wins
            assert type(deserialize(record)) is OffsetLayer
        # custom_objects passed explicitly win over scopes
        assert type(deserialize(record, custom_objects={"Plain": OffsetLayer})) is OffsetLayer
    with pytest.raises(ValueError, match="Could not locate"):
        deserialize(record)  # the scope is closed


def test_registration_errors():
    with pytest.raises(ValueError, match="without '>'"):
        kerasj.saving.register_keras_serializable(package="a>b")
    with pytest.raises(ValueError, match="must define get_config"):
        kerasj.saving.register_keras_serializable(package="serialization_tests")(type("NoConfig", (), {}))
    with pytest.raises(TypeError, match="expected dicts"):
        kerasj.saving.custom_object_scope(["not", "a", "dict"])
    with pytest.raises(TypeError, match="has no get_config"):
        serialize(object())


# -- malformed configs ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("config,message", [
    ({"class_name": 3, "config": {}}, "'class_name' must be a string"),
    ({"class_name": "Dense", "config": [1, 2]}, "The 'config' of Dense must be a dict"),
    ({"class_name": "Dense", "config": {"units": "three"}}, "Dense|units"),
    ({"class_name": "Dense", "config": {"units": 2, "bogus": 1}}, "Could not rebuild Dense"),
    ({"class_name": "Dense", "config": {"units": 2}, "build_config": {"input_shape": "wide"}}, "shape"),
    ({"class_name": "__tuple__", "config": {"value": 3}}, "__tuple__ needs a list"),
    ({"class_name": "__numpy__", "config": {"value": [1], "dtype": "object"}}, "must hold numbers"),
    ({"class_name": "__numpy__", "config": {"value": [1], "dtype": "no_such_dtype"}}, "unknown dtype"),
    ({"class_name": "__numpy__", "config": {"value": [[1], [2, 3]], "dtype": "float32"}}, "not an array"),
    ({"class_name": "__bytes__", "config": {"value": 5}}, "__bytes__ needs a string"),
    ({"class_name": "__slice__", "config": {"start": "a"}}, "integer or null bounds"),
    ({"class_name": "__keras_tensor__", "config": {}}, "inbound nodes"),
    ({"class_name": "function", "config": "no_such_function_anywhere"}, "no_such_function_anywhere"),
    (object(), "cannot read object"),
])
def test_malformed_configs_raise_value_errors(config, message):
    with pytest.raises(ValueError, match=message):
        deserialize(config)


def test_deeply_nested_configs_are_refused_before_recursion_fails():
    nested = "leaf"
    for _ in range(serialization_lib.MAX_DEPTH + 5):
        nested = [nested]
    with pytest.raises(ValueError, match="nests more than"):
        deserialize(nested)
    shallow = "leaf"
    for _ in range(50):
        shallow = {"k": shallow}
    assert deserialize(shallow) == shallow


def test_lambdas_need_safe_mode_off():
    record = serialize(lambda x: x * 3)
    assert record["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match=r"safe mode.*safe_mode=False"):
        deserialize(record)
    assert deserialize(record, safe_mode=False)(2) == 6
    with safe_mode_scope(False):
        assert deserialize(record, safe_mode=None)(2) == 6  # None keeps the scope's setting
        assert deserialize(record)(2) == 6  # the default safe_mode=True follows the scope too, as in Keras
    with safe_mode_scope(True):
        with pytest.raises(ValueError, match="safe mode"):
            deserialize(record, safe_mode=None)
