"""Behaviour of CategoryEncoding, Discretization, Hashing, HashedCrossing and FeatureSpace: errors, configs,
jit inside a compiled model, saving, and running without TensorFlow. (Outputs against Keras 3:
tests/parity/test_preprocessing_structured_parity.py.)"""
import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj.layers.preprocessing.category_encoding import CategoryEncoding
from kerasj.layers.preprocessing.discretization import Discretization
from kerasj.layers.preprocessing.feature_space import FeatureSpace
from kerasj.layers.preprocessing.hashed_crossing import HashedCrossing
from kerasj.layers.preprocessing.hashing import Hashing
from kerasj.utils.native_dataset import NativeDataset


# -- errors -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: CategoryEncoding(), "num_tokens"),
    (lambda: CategoryEncoding(0), "num_tokens"),
    (lambda: CategoryEncoding(3, output_mode="tf_idf"), "output_mode"),
    (lambda: Discretization(), "bin_boundaries"),
    (lambda: Discretization(bin_boundaries=[0.0], num_bins=2), "not both"),
    (lambda: Discretization(num_bins=-1), "num_bins"),
    (lambda: Discretization(num_bins=2, sparse=True), "sparse"),
    (lambda: Hashing(0), "num_bins"),
    (lambda: Hashing(3, salt="pepper"), "salt"),
    (lambda: Hashing(3, dtype="float32"), "dtype"),
    (lambda: Hashing(3, output_mode="bins"), "output_mode"),
    (lambda: HashedCrossing(0), "num_bins"),
    (lambda: HashedCrossing(4, output_mode="multi_hot"), "output_mode"),
    (lambda: FeatureSpace({}), "features"),
    (lambda: FeatureSpace({"a": "floaty"}), "floaty"),
    (lambda: FeatureSpace({"a": "float"}, crosses=[("a", "b")]), "unknown"),
    (lambda: FeatureSpace({"a": "float"}, output_mode="list"), "output_mode"),
])
def test_bad_arguments_fail_early(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_calls_name_the_problem():
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(3)(np.array([[0, 1]]), count_weights=np.ones((1, 2)))
    with pytest.raises(ValueError, match="adapt"):
        Discretization(num_bins=3)(np.ones((2, 1)))
    with pytest.raises(ValueError, match="num_bins"):
        Discretization(bin_boundaries=[0.0]).adapt(np.ones(3))
    crossing = HashedCrossing(4)
    for bad, match in [(np.ones(3, int), "list or tuple"), ((np.ones(3, int),), "at least two"),
                       ((np.ones(3, int), np.ones(2, int)), "same shape"),
                       ((np.ones((2, 2), int), np.ones((2, 2), int)), "shape"),
                       ((np.ones(2), np.ones(2, int)), "integers or strings")]:
        with pytest.raises(ValueError, match=match):
            crossing(bad)
    # Hashing works in numpy on the host; inside jit it runs as a callback with the same bins.
    np.testing.assert_array_equal(jax.jit(Hashing(3))(jnp.arange(5)), Hashing(3)(np.arange(5)))
    space = FeatureSpace({"x": "float_normalized"})
    with pytest.raises(ValueError, match="adapt"):
        space({"x": np.ones(2)})
    space.adapt({"x": np.arange(4.0)})
    with pytest.raises(ValueError, match="dict"):
        space(np.ones(2))
    with pytest.raises(ValueError, match="concatenate"):
        FeatureSpace({"c": FeatureSpace.integer_hashed(4, output_mode="int")}).adapt({"c": np.arange(3)})


# -- configs and shapes -------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [CategoryEncoding(4, output_mode="count"), Discretization(bin_boundaries=[0.0, 1.0]),
                                   Hashing(5, salt=3, mask_value="", output_mode="one_hot"),
                                   HashedCrossing(6, output_mode="one_hot")], ids=lambda l: type(l).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == json.loads(json.dumps(config))  # JSON-friendly
    assert type(layer).from_config(config).get_config() == config


def test_adapted_discretization_config_keeps_boundaries():
    layer = Discretization(num_bins=4, output_mode="one_hot")
    layer.adapt(np.arange(8.0))
    clone = Discretization.from_config(layer.get_config())
    # Eight values, each of weight 1/8: the cumulative weight reaches 1/4, 1/2, 3/4 at the values 1, 3, 5.
    assert clone.bin_boundaries == layer.bin_boundaries == [1.0, 3.0, 5.0]
    x = np.array([[3.0], [60.0]])
    np.testing.assert_array_equal(clone(x), layer(x))


def test_symbolic_outputs_have_the_eager_shapes():
    words = kerasj.Input((1,), dtype="string")
    ids = kerasj.Input((1,), dtype="int32")
    assert Hashing(5)(words).shape == (None, 1)
    assert Hashing(5, output_mode="one_hot")(words).shape == (None, 5)
    assert HashedCrossing(7)((words, ids)).shape == (None, 1)
    assert HashedCrossing(7, output_mode="one_hot")((words, ids)).shape == (None, 7)
    assert Discretization([0.0], output_mode="one_hot")(kerasj.Input((1,))).shape == (None, 2)
    assert CategoryEncoding(3)(kerasj.Input((4,), dtype="int32")).shape == (None, 3)


def test_sparse_outputs_are_bcoo_with_the_dense_values():
    x = np.array([[0, 2], [1, 1]])
    sparse = CategoryEncoding(3, sparse=True)(x)
    assert isinstance(sparse, jax.experimental.sparse.BCOO)
    np.testing.assert_array_equal(sparse.todense(), CategoryEncoding(3)(x))


# -- jit inside a compiled model ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def encoded_model():
    inputs = kerasj.Input((3,))
    bins = Discretization(bin_boundaries=[-1.0, 0.0, 1.0])(inputs)
    encoded = CategoryEncoding(num_tokens=4, output_mode="count")(bins)
    outputs = kerasj.layers.Dense(1)(encoded)
    model = kerasj.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_layers_run_inside_a_compiled_model(encoded_model):
    x = np.array([[-2.0, 0.5, 3.0], [0.0, 0.2, -0.5], [1.0, 1.0, 1.0], [-1.0, 2.0, 0.1]], "float32")
    encoded_model.fit(x, np.ones((4, 1)), epochs=1, batch_size=2, verbose=0)
    kernel, bias = encoded_model.layers[-1].get_weights()
    counts = np.zeros((4, 4), "float32")  # by hand: digitize each value, count the bins per row
    for row, values in enumerate(x):
        for b in np.digitize(values, [-1.0, 0.0, 1.0]):
            counts[row, b] += 1
    np.testing.assert_allclose(encoded_model.predict(x, verbose=0), counts @ kernel + bias, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_encodings_trace_under_jit(mode):
    x = np.array([[0.5, -3.0], [2.5, 0.7]], "float32")
    discretize = Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode=mode)
    np.testing.assert_array_equal(jax.jit(discretize)(x), discretize(x))
    ids = np.array([[0, 3, 3], [2, 1, 0]])
    encode = CategoryEncoding(4, output_mode=mode)
    np.testing.assert_array_equal(jax.jit(encode)(ids), encode(ids))
    weights = np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 3.0]], "float32")
    counted = jax.jit(lambda i, w: CategoryEncoding(4, "count")(i, count_weights=w))(ids, weights)
    np.testing.assert_allclose(counted, [[0.5, 0, 0, 3.0], [3.0, 1.0, 1.0, 0]])


def test_model_with_preprocessing_saves_and_loads(tmp_path, encoded_model):
    path = str(tmp_path / "m.keras")
    encoded_model.save(path)
    loaded = kerasj.saving.load_model(path)
    x = np.array([[-2.0, 0.5, 3.0], [0.0, 0.2, -0.5]], "float32")
    np.testing.assert_allclose(loaded(x), encoded_model(x), rtol=1e-6)


# -- FeatureSpace -------------------------------------------------------------------------------------
TABLE = {"age": np.array([20.0, 35.0, 50.0, 65.0, 30.0, 45.0]), "city": np.array(["a", "b", "a", "c", "b", "a"]),
         "code": np.array([3, 5, 3, 7, 5, 3]), "tag": np.array(["x", "y", "x", "x", "z", "y"])}
SPEC = dict(features={"age": "float_normalized", "city": "string_categorical", "code": "integer_categorical",
                      "tag": FeatureSpace.string_hashed(num_bins=4, name="tag")}, crosses=[("city", "code")],
            crossing_dim=8)


@pytest.fixture(scope="module")
def space():
    fs = FeatureSpace(**SPEC, output_mode="dict")
    fs.adapt(TABLE)
    return fs


def test_feature_space_encodes_each_feature(space):
    out = space(TABLE)
    assert list(out) == ["age", "city", "code", "tag", "city_X_code"]
    age = (TABLE["age"] - TABLE["age"].mean()) / TABLE["age"].std()
    np.testing.assert_allclose(np.asarray(out["age"])[:, 0], age, rtol=1e-5)
    # Vocabulary by frequency after the OOV index: "a" (3) -> 1, "b" (2) -> 2, "c" -> 3.
    np.testing.assert_array_equal(np.argmax(out["city"], -1), [1, 2, 1, 3, 2, 1])
    np.testing.assert_array_equal(np.asarray(out["city"]).sum(-1), 1)
    tag_bins = Hashing(4)(TABLE["tag"][:, None])[:, 0]
    np.testing.assert_array_equal(np.argmax(out["tag"], -1), tag_bins)
    cross = HashedCrossing(8)((np.argmax(out["city"], -1), np.argmax(out["code"], -1)))
    np.testing.assert_array_equal(np.argmax(out["city_X_code"], -1), cross)


def test_feature_space_adapts_from_any_iterable_of_dicts():
    # Mean, variance and vocabularies do not depend on how the rows are batched.
    expected = FeatureSpace(**SPEC)
    expected.adapt(TABLE)
    for source in (NativeDataset.from_tensor_slices(TABLE).batch(4),
                   [{k: v[i:i + 4] for k, v in TABLE.items()} for i in (0, 4)]):
        ours = FeatureSpace(**SPEC)
        ours.adapt(source)
        np.testing.assert_allclose(ours(TABLE), expected(TABLE), rtol=1e-6)


def test_feature_space_functional_model_on_encoded_features(space):
    encoded = space.get_encoded_features()
    inputs = {k: kerasj.Input(v.shape[1:], name=f"enc_{k}") for k, v in encoded.items()}
    merged = kerasj.layers.Concatenate()(list(inputs.values()))
    dense = kerasj.layers.Dense(1)
    model = kerasj.Model(inputs, dense(merged))
    features = space(TABLE)
    kernel, bias = dense.get_weights()
    expected = np.concatenate([np.asarray(v) for v in features.values()], -1) @ kernel + bias
    np.testing.assert_allclose(model(features), expected, rtol=1e-5, atol=1e-6)


def test_feature_space_config_round_trip(space):
    config = json.loads(json.dumps(kerasj.saving.serialize_keras_object(space)))
    clone = kerasj.saving.deserialize_keras_object(config)
    assert isinstance(clone, FeatureSpace) and clone.get_config() == space.get_config()
    assert sorted(clone.features) == sorted(space.features)


def _assert_same_outputs(a, b):
    assert list(a) == list(b)
    for key in a:
        np.testing.assert_allclose(np.asarray(b[key]), np.asarray(a[key]), rtol=1e-6, err_msg=key)


def test_feature_space_saves_and_loads_statistics_and_boundaries(tmp_path):
    # Needs kerasj.saving.load_model to accept a saved layer, not only a model (as Keras does).
    spec = {"age": "float_normalized", "level": FeatureSpace.float_discretized(num_bins=3, name="level"),
            "tag": FeatureSpace.string_hashed(num_bins=4, name="tag"), "code": "integer_hashed"}
    data = {"age": TABLE["age"], "level": TABLE["age"] * 2, "tag": TABLE["tag"], "code": TABLE["code"]}
    space = FeatureSpace(spec, crosses=[("tag", "code")], output_mode="dict")
    space.adapt(data)
    path = str(tmp_path / "space.keras")
    space.save(path)
    loaded = kerasj.saving.load_model(path)
    assert isinstance(loaded, FeatureSpace)
    _assert_same_outputs(space(data), loaded(data))


def test_feature_space_saves_and_loads_vocabularies(tmp_path, space):
    # Also needs the `.keras` archive to carry the lookup layers' vocabularies (their assets).
    path = str(tmp_path / "space.keras")
    space.save(path)
    loaded = kerasj.saving.load_model(path)
    _assert_same_outputs(space(TABLE), loaded(TABLE))


# -- without TensorFlow -------------------------------------------------------------------------------
_NO_TF_SCRIPT = textwrap.dedent("""
    import json, sys
    sys.modules["tensorflow"] = None  # any import of TensorFlow now fails
    import numpy as np
    from kerasj.layers.preprocessing.category_encoding import CategoryEncoding
    from kerasj.layers.preprocessing.discretization import Discretization
    from kerasj.layers.preprocessing.feature_space import FeatureSpace
    from kerasj.layers.preprocessing.hashed_crossing import HashedCrossing
    from kerasj.layers.preprocessing.hashing import Hashing

    words = np.array([["a"], ["bb"], ["a long word, longer than sixty-four bytes, to use the block loop!!"]])
    ids = np.array([[1], [-2], [30]])
    d = Discretization(num_bins=3)
    d.adapt(np.arange(30.0))
    table = {"x": np.arange(6.0), "w": np.array(["p", "q", "p", "r", "p", "q"]), "n": np.array([1, 2, 1, 1, 3, 2])}
    fs = FeatureSpace({"x": "float_discretized", "w": "string_categorical", "n": "integer_hashed"},
                      crosses=[("w", "n")], num_discretization_bins=3, hashing_dim=5, crossing_dim=4)
    fs.adapt(table)
    out = {"hash": Hashing(7)(words), "salted": Hashing(7, salt=[5, 9], mask_value="a")(words),
           "cross": HashedCrossing(11)((words, ids)), "encode": CategoryEncoding(4, "count")(np.array([[0, 3, 3]])),
           "bounds": d.bin_boundaries, "disc": d(np.array([[4.0, 15.0, 29.0]])), "space": fs(table)}
    print(json.dumps({k: np.asarray(v).tolist() for k, v in out.items()}))
    assert "tensorflow" not in [m.split(".")[0] for m in sys.modules if sys.modules[m] is not None]
""")


def test_layers_and_feature_space_work_without_tensorflow():
    import keras

    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run([sys.executable, "-c", _NO_TF_SCRIPT], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    # The same computations in Keras 3 (which uses TensorFlow for hashing) are the expected values.
    words = np.array([["a"], ["bb"], ["a long word, longer than sixty-four bytes, to use the block loop!!"]])
    d = keras.layers.Discretization(num_bins=3)
    d.adapt(np.arange(30.0))
    table = {"x": np.arange(6.0), "w": np.array(["p", "q", "p", "r", "p", "q"]), "n": np.array([1, 2, 1, 1, 3, 2])}
    fs = keras.utils.FeatureSpace({"x": "float_discretized", "w": "string_categorical", "n": "integer_hashed"},
                                  crosses=[("w", "n")], num_discretization_bins=3, hashing_dim=5, crossing_dim=4)
    fs.adapt(table)
    expected = {"hash": keras.layers.Hashing(7)(words),
                "salted": keras.layers.Hashing(7, salt=[5, 9], mask_value="a")(words),
                "cross": keras.layers.HashedCrossing(11)((words, np.array([[1], [-2], [30]]))),
                "encode": keras.layers.CategoryEncoding(4, "count")(np.array([[0, 3, 3]])),
                "bounds": d.bin_boundaries, "disc": d(np.array([[4.0, 15.0, 29.0]])), "space": fs(table)}
    for key, value in expected.items():
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(value), rtol=1e-6, err_msg=key)
