"""Parity with Keras 3 of CategoryEncoding, Discretization, Hashing, HashedCrossing and FeatureSpace: the same
inputs in both, outputs equal (bin for bin for the hashing layers), and the same signatures and configs."""
import inspect
import json

import keras
import numpy as np
import pytest

from kerasj.layers.preprocessing.category_encoding import CategoryEncoding
from kerasj.layers.preprocessing.discretization import Discretization
from kerasj.layers.preprocessing.feature_space import FeatureSpace
from kerasj.layers.preprocessing.hashed_crossing import HashedCrossing
from kerasj.layers.preprocessing.hashing import Hashing
from kerasj.saving import serialize_keras_object

RNG = np.random.default_rng(0)
WORDS = np.array(["".join(RNG.choice(list("abxyz01 é"), size=RNG.integers(0, 40))) for _ in range(24)]).reshape(8, 3)
INTS = RNG.integers(-10**6, 10**6, size=(8, 3))
FLOATS = (RNG.normal(size=(8, 3)) * 100).astype("float32")


def _same(a, b, atol=0.0):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(b, a, atol=atol, rtol=0)


def _config(layer, module):
    return {k: v for k, v in module.get_config().items() if k != "name"}, layer


@pytest.mark.parametrize("cls, keras_cls", [(CategoryEncoding, keras.layers.CategoryEncoding),
                                            (Discretization, keras.layers.Discretization),
                                            (Hashing, keras.layers.Hashing),
                                            (HashedCrossing, keras.layers.HashedCrossing)])
def test_signatures_match(cls, keras_cls):
    assert inspect.signature(cls) == inspect.signature(keras_cls)


@pytest.mark.parametrize("kwargs", [dict(num_tokens=5), dict(num_tokens=3, output_mode="one_hot"),
                                    dict(num_tokens=4, output_mode="count", dtype="int32")])
def test_category_encoding_config_matches(kwargs):
    ours, theirs = CategoryEncoding(**kwargs, name="c"), keras.layers.CategoryEncoding(**kwargs, name="c")
    assert ours.get_config() == theirs.get_config()
    assert CategoryEncoding.from_config(ours.get_config()).get_config() == ours.get_config()


@pytest.mark.parametrize("mode", ["multi_hot", "one_hot", "count"])
@pytest.mark.parametrize("x", [np.int64(2), np.array([1, 2, 2]), np.array([[1], [3]]), np.array([[1, 2, 2], [0, 0, 3]]),
                               np.arange(24).reshape(2, 3, 4) % 5, np.array([[1.7, 2.0]]), np.array([[0, 7, -1]])],
                         ids=["scalar", "vector", "column", "matrix", "rank3", "floats", "out_of_range"])
def test_category_encoding_outputs(mode, x):
    _same(keras.layers.CategoryEncoding(5, output_mode=mode)(x), CategoryEncoding(5, output_mode=mode)(x))


def test_category_encoding_count_weights_and_int_dtype():
    x, w = np.array([[1, 2, 2], [0, 0, 3]]), np.array([[0.5, 1.0, 2.0], [1.0, 0.25, 1.0]])
    _same(keras.layers.CategoryEncoding(5, "count")(x, count_weights=w),
          CategoryEncoding(5, "count")(x, count_weights=w))
    _same(keras.layers.CategoryEncoding(5, "count", dtype="int32")(x), CategoryEncoding(5, "count", dtype="int32")(x))


@pytest.mark.parametrize("n, epsilon, num_bins", [(7, 0.01, 3), (100, 0.01, 4), (1000, 0.01, 10), (1000, 0.1, 4),
                                                  (5000, 0.003, 7), (300, 0.07, 5)])
def test_discretization_adapt_boundaries_match(n, epsilon, num_bins):
    data = np.random.default_rng(n).normal(size=(n,)).astype("float32")
    for source in (data, [data[i:i + 64] for i in range(0, n, 64)]):  # all at once, and batch by batch
        theirs = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        theirs.adapt(source)
        ours = Discretization(num_bins=num_bins, epsilon=epsilon)
        ours.adapt(source)
        assert ours.bin_boundaries == theirs.bin_boundaries


def test_discretization_adapt_list_and_steps_match():
    theirs, ours = keras.layers.Discretization(num_bins=3), Discretization(num_bins=3)
    theirs.adapt([1.0, 2.0, 3.0, 4.0, 5.0])  # a list is a sequence of (scalar) batches in Keras
    ours.adapt([1.0, 2.0, 3.0, 4.0, 5.0])
    assert ours.bin_boundaries == theirs.bin_boundaries
    batches = [np.arange(8.0) * k for k in range(1, 5)]
    theirs, ours = keras.layers.Discretization(num_bins=4), Discretization(num_bins=4)
    theirs.adapt(iter(batches), steps=2)
    ours.adapt(iter(batches), steps=2)
    assert ours.bin_boundaries == theirs.bin_boundaries


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_outputs_and_config(mode):
    data = np.random.default_rng(1).normal(size=(50, 3)).astype("float32")
    theirs = keras.layers.Discretization(num_bins=4, output_mode=mode, name="d")
    theirs.adapt(data)
    ours = Discretization(num_bins=4, output_mode=mode, name="d")
    ours.adapt(data)
    for x in (data[:5], data[:4, :1]):
        _same(theirs(x), ours(x))
    assert ours.get_config() == theirs.get_config()
    fixed = dict(bin_boundaries=[-0.5, 0.0, 0.5], output_mode=mode)
    _same(keras.layers.Discretization(**fixed)(data[:6]), Discretization(**fixed)(data[:6]))


HASHING_CASES = [dict(), dict(mask_value=str(WORDS[0, 0])), dict(salt=7), dict(salt=[1, 2**40], mask_value="ab"),
                 dict(salt=-3)]


@pytest.mark.parametrize("kwargs", HASHING_CASES, ids=[json.dumps(c) for c in HASHING_CASES])
def test_hashing_bins(kwargs):
    for data in (WORDS, INTS, FLOATS, np.array([True, False])):
        if "mask_value" in kwargs and data.dtype.kind != "U":
            kwargs = {**kwargs, "mask_value": None}
        _same(keras.layers.Hashing(17, **kwargs)(data), Hashing(17, **kwargs)(data))


@pytest.mark.parametrize("kwargs", [dict(output_mode="multi_hot"), dict(output_mode="count"),
                                    dict(output_mode="count", dtype="int32", salt=3)])
def test_hashing_encodings(kwargs):
    for data in (WORDS, WORDS[:, 0]):
        _same(keras.layers.Hashing(11, **kwargs)(data), Hashing(11, **kwargs)(data))


def test_hashing_one_hot_integer_mask_and_tf_tensors():
    import tensorflow as tf

    _same(keras.layers.Hashing(9, output_mode="one_hot")(WORDS[:, :1]), Hashing(9, output_mode="one_hot")(WORDS[:, :1]))
    _same(keras.layers.Hashing(7, mask_value=2)(INTS % 4), Hashing(7, mask_value=2)(INTS % 4))
    _same(keras.layers.Hashing(7, mask_value=2.0)(FLOATS % 4), Hashing(7, mask_value=2.0)(FLOATS % 4))
    strings = tf.constant([["a"], ["b"], ["c"]])  # tf.string tensors arrive as bytes
    _same(keras.layers.Hashing(7, mask_value="a")(strings), Hashing(7, mask_value="a")(strings))
    _same(keras.layers.Hashing(7)(np.array("x")), Hashing(7)(np.array("x")))


@pytest.mark.parametrize("kwargs", [dict(num_bins=3), dict(num_bins=5, salt=[1, 2], mask_value="x"),
                                    dict(num_bins=4, output_mode="count")])
def test_hashing_config_matches(kwargs):
    assert Hashing(**kwargs, name="h").get_config() == keras.layers.Hashing(**kwargs, name="h").get_config()


@pytest.mark.parametrize("mode", ["int", "one_hot"])
@pytest.mark.parametrize("inputs", [(INTS[:, 0], WORDS[:, 0]), (INTS[:, :1], WORDS[:, :1]),
                                    (np.int64(4), np.array("q")), (INTS[:, 0].astype("int32"), INTS[:, 1]),
                                    (WORDS[:, 0], WORDS[:, 1], INTS[:, 2])],
                         ids=["vector", "column", "scalar", "int32_int64", "three"])
def test_hashed_crossing_outputs(mode, inputs):
    _same(keras.layers.HashedCrossing(1000, output_mode=mode)(inputs), HashedCrossing(1000, output_mode=mode)(inputs))


def test_hashed_crossing_config_matches():
    for mode in ("int", "one_hot"):
        ours = HashedCrossing(5, output_mode=mode, name="x")
        assert ours.get_config() == keras.layers.HashedCrossing(5, output_mode=mode, name="x").get_config()
        assert HashedCrossing.from_config(ours.get_config()).get_config() == ours.get_config()


# -- FeatureSpace ---------------------------------------------------------------------------------------
def _table(n=80):
    rng = np.random.default_rng(3)
    return {"f": rng.normal(size=n).astype("float32"), "n": (rng.normal(size=n) * 3 + 1).astype("float32"),
            "r": rng.uniform(size=n).astype("float32"), "d": rng.normal(size=n).astype("float32"),
            "s": rng.choice(["a", "b", "c", "dd"], size=n, p=[0.4, 0.3, 0.2, 0.1]),
            "i": rng.choice([3, 5, 7, 11], size=n, p=[0.4, 0.3, 0.2, 0.1]),
            "sh": rng.choice(["x", "y", "z"], size=n), "ih": rng.integers(0, 50, size=n)}


def _spec(fs):
    return dict(features={"f": "float", "n": "float_normalized",
                          "r": fs.float_rescaled(scale=2.0, offset=1.0, name="r"),
                          "d": fs.float_discretized(num_bins=4, name="d"), "s": "string_categorical",
                          "i": "integer_categorical", "sh": fs.string_hashed(num_bins=8, name="sh"),
                          "ih": "integer_hashed"},
                crosses=[("s", "i"), fs.cross(("sh", "ih"), crossing_dim=16)])


@pytest.fixture(scope="module")
def spaces():
    """Keras's FeatureSpace in dict mode, and ours in both modes, adapted on the same table. (Keras's concat
    output is its dict's values concatenated in order, so one Keras FeatureSpace checks both of ours.)"""
    data = _table()
    theirs = keras.utils.FeatureSpace(**_spec(keras.utils.FeatureSpace), output_mode="dict")
    theirs.adapt(data)
    ours = {}
    for mode in ("dict", "concat"):
        ours[mode] = FeatureSpace(**_spec(FeatureSpace), output_mode=mode)
        ours[mode].adapt(data)
    return theirs, ours, data


def test_feature_space_outputs_match(spaces):
    theirs, ours, data = spaces
    batch = {k: v[:10] for k, v in data.items()}
    row = {k: v[3] for k, v in data.items()}  # one unbatched row: outputs lose the batch axis
    for x in (batch, row):
        expected = theirs(x)
        got = ours["dict"](x)
        assert list(got) == list(expected)
        for key in expected:
            _same(expected[key], got[key], atol=1e-6)
        concat = np.concatenate([np.asarray(v) for v in expected.values()], axis=-1)
        _same(concat, ours["concat"](x), atol=1e-6)


def test_feature_space_concat_mode_adapted_on_tf_dataset_matches():
    import tensorflow as tf

    data = {k: v for k, v in _table(40).items() if k in ("n", "d", "s", "ih")}
    spec = {"n": "float_normalized", "d": "float_discretized", "s": "string_categorical", "ih": "integer_hashed"}
    kwargs = dict(crosses=[("s", "ih")], crossing_dim=8, num_discretization_bins=3)
    theirs = keras.utils.FeatureSpace(spec, **kwargs)
    theirs.adapt(tf.data.Dataset.from_tensor_slices(data).batch(16))
    ours = FeatureSpace(spec, **kwargs)
    ours.adapt(tf.data.Dataset.from_tensor_slices(data).batch(16))
    _same(theirs(data), ours(data), atol=1e-6)


def test_feature_space_encoded_features_and_inputs_match(spaces):
    theirs, ours, _ = spaces
    a, b = theirs.get_encoded_features(), ours["dict"].get_encoded_features()
    assert {k: tuple(v.shape) for k, v in a.items()} == {k: tuple(v.shape) for k, v in b.items()}
    assert tuple(ours["concat"].get_encoded_features().shape) == (None, sum(v.shape[-1] for v in a.values()))
    assert ({k: (tuple(v.shape), v.dtype) for k, v in theirs.get_inputs().items()}
            == {k: (tuple(v.shape), v.dtype) for k, v in ours["dict"].get_inputs().items()})


def _without(config, keys):
    if isinstance(config, dict):
        return {k: _without(v, keys) for k, v in config.items() if k not in keys}
    if isinstance(config, (list, tuple)):
        return [_without(v, keys) for v in config]
    return config


def test_feature_space_config_matches(spaces):
    theirs, ours, _ = spaces
    ours = ours["dict"]
    # registered_name: kerasj writes None for its own classes; build_config: Keras records the symbolic
    # (None, 1) shape of layers kerasj builds without a recorded shape.
    keys = {"registered_name", "build_config"}
    a = json.loads(json.dumps(keras.saving.serialize_keras_object(theirs)))
    b = json.loads(json.dumps(serialize_keras_object(ours)))
    assert _without(a, keys) == _without(b, keys)
    for key in ("d", "s", "i", "sh", "ih"):  # the layers of this module record their shapes as Keras does
        assert a["build_config"][key] == b["build_config"][key]
    for method in ("float", "float_rescaled", "float_normalized", "float_discretized", "integer_categorical",
                   "string_categorical", "string_hashed", "integer_hashed", "feature", "cross"):
        assert inspect.signature(getattr(FeatureSpace, method)) == inspect.signature(
            getattr(keras.utils.FeatureSpace, method))
    assert inspect.signature(FeatureSpace) == inspect.signature(keras.utils.FeatureSpace)


def _interop_space(fs):
    spec = {"age": "float_normalized", "city": "string_categorical", "d": "float_discretized", "h": "string_hashed"}
    space = fs(spec, output_mode="dict", num_discretization_bins=3, crosses=[("city", "h")])
    space.adapt(INTEROP_DATA)
    return space


INTEROP_DATA = {"age": np.array([1.0, 2.0, 3.0, 7.0]), "city": np.array(["a", "b", "a", "c"]),
                "d": np.array([1.0, 5.0, 9.0, 2.0]), "h": np.array(["x", "y", "z", "x"])}


def _same_dict(a, b):
    assert list(a) == list(b)
    for key in a:
        _same(a[key], b[key], atol=1e-6)


def test_keras_loads_a_kerasj_feature_space_file(tmp_path):
    ours = _interop_space(FeatureSpace)
    ours.save(str(tmp_path / "space.keras"))
    theirs = keras.saving.load_model(str(tmp_path / "space.keras"))
    _same_dict(theirs(INTEROP_DATA), ours(INTEROP_DATA))


def test_kerasj_loads_a_keras_feature_space_file(tmp_path):
    # Needs kerasj.saving.load_model to accept a saved layer, not only a model (as Keras does).
    import kerasj

    theirs = _interop_space(keras.utils.FeatureSpace)
    theirs.save(str(tmp_path / "space.keras"))
    ours = kerasj.saving.load_model(str(tmp_path / "space.keras"))
    assert isinstance(ours, FeatureSpace)
    _same_dict(theirs(INTEROP_DATA), ours(INTEROP_DATA))
