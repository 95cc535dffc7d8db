"""model.export parity with Keras 3 (JAX backend): the same model exported by both gives SavedModels with the
same signatures (input names, shapes, dtypes; output names), the same variables and the same predictions."""
import inspect

import jax
import keras
import numpy as np
import pytest

import kerasj
from kerasj.export import ExportArchive

tf = pytest.importorskip("tensorflow")


def _pair(kind):
    """The same architecture in kerasj and in Keras."""
    def build(k):
        if kind == "functional":
            a, b = k.Input((3,), name="a"), k.Input((4,), name="b")
            return k.Model([a, b], [k.layers.Dense(2)(a), k.layers.Dense(1)(b)])
        if kind == "dict":
            a, b = k.Input((3,), name="a"), k.Input((4,), name="b")
            return k.Model({"a": a, "b": b}, {"left": k.layers.Dense(2)(a), "right": k.layers.Dense(1)(b)})

        class Sub(k.Model):
            def __init__(self):
                super().__init__()
                self.dense = k.layers.Dense(2)

            def call(self, x):
                return self.dense(x)

        model = Sub()
        model(np.zeros((1, 3), "float32"))
        return model

    ours, theirs = build(kerasj), build(keras)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def _inputs(kind):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 4)).astype("float32")
    return {"functional": [x, y], "dict": {"a": x, "b": y}}.get(kind, x)


def _signature(reloaded, name):
    fn = reloaded.signatures[name]
    inputs = {k: (tuple(s.shape), s.dtype.name) for k, s in fn.structured_input_signature[1].items()}
    outputs = {k: (tuple(s.shape), s.dtype.name) for k, s in fn.structured_outputs.items()}
    return inputs, outputs


# A Sequential model exports as a one-input graph model; these cover list, dict and subclassed inputs.
@pytest.mark.parametrize("kind", ["functional", "dict", "subclassed"])
def test_saved_model_matches_keras(kind, tmp_path):
    ours, theirs = _pair(kind)
    ours.export(str(tmp_path / "ours"), verbose=False)
    theirs.export(str(tmp_path / "theirs"), verbose=False)
    mine, keras_model = tf.saved_model.load(str(tmp_path / "ours")), tf.saved_model.load(str(tmp_path / "theirs"))
    assert sorted(mine.signatures) == sorted(keras_model.signatures) == ["serve", "serving_default"]
    for name in ("serve", "serving_default"):
        assert _signature(mine, name) == _signature(keras_model, name)
    assert [v.name for v in mine.variables] == [v.name for v in keras_model.variables]
    x = _inputs(kind)
    for got, want in zip(tf.nest.flatten(mine.serve(x)), tf.nest.flatten(keras_model.serve(x))):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_public_signatures_match_keras():
    assert inspect.signature(kerasj.Model.export) == inspect.signature(keras.Model.export)
    for method in ("track", "add_endpoint", "track_and_add_endpoint", "add_variable_collection", "write_out"):
        assert inspect.signature(getattr(ExportArchive, method)) == inspect.signature(
            getattr(keras.export.ExportArchive, method)), method


def test_jax_artifact_matches_keras_predictions(tmp_path):
    ours, theirs = _pair("functional")
    ours.export(str(tmp_path / "m.jaxexport"), format="jax", verbose=False)
    with open(tmp_path / "m.jaxexport", "rb") as f:
        artifact = jax.export.deserialize(bytearray(f.read()))
    x = _inputs("functional")
    for got, want in zip(jax.tree_util.tree_leaves(artifact.call(x)), theirs.predict(x, verbose=0)):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
