"""The STFT initializer, OrthogonalRegularizer and regularizers/constraints `deserialize` against Keras 3.15:
values, signatures, configs read both ways, aliases, and name / config / custom_objects lookups."""
import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj

STFT_ARGS = [("imag", "hamming", "spectrum", True), ("real", None, None, False),
             ("imag", np.linspace(0.2, 1.0, 12), "density", False)]


@pytest.mark.parametrize("args", STFT_ARGS, ids=range(len(STFT_ARGS)))
def test_stft_initializer_matches_keras(args):
    expected = keras.initializers.STFT(*args)((12, 1, 9))
    ours = kerasj.initializers.STFT(*args)
    actual = ours((12, 1, 9))
    assert actual.dtype == np.float32
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), atol=2e-6)
    if not isinstance(args[1], np.ndarray):  # configs with a named window, read across both ways
        keras_config = keras.initializers.serialize(keras.initializers.STFT(*args))
        assert kerasj.initializers.serialize(ours) == keras_config
        np.testing.assert_allclose(np.asarray(kerasj.initializers.deserialize(keras_config)((12, 1, 9))),
                                   np.asarray(expected), atol=2e-6)


def test_stft_initializer_names_signature_and_errors():
    assert inspect.signature(kerasj.initializers.STFT) == inspect.signature(keras.initializers.STFT)
    for name in ("STFT", "STFTInitializer", "stft"):
        assert getattr(kerasj.initializers, name) is kerasj.initializers.STFT
        assert isinstance(kerasj.initializers.get(name), kerasj.initializers.STFT)
    with pytest.raises(ValueError, match="side"):
        kerasj.initializers.STFT(side="both")
    with pytest.raises(ValueError, match="scaling"):
        kerasj.initializers.STFT(scaling="l2")
    with pytest.raises(ValueError):
        kerasj.initializers.STFT(window="no_such_window")
    with pytest.raises(ValueError, match="window"):
        kerasj.initializers.STFT(window=np.ones(5))((12, 1, 9))


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_matches_keras(mode):
    w = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    w[1] = 0.0  # a zero row must not give NaNs
    theirs, ours = keras.regularizers.OrthogonalRegularizer(0.3, mode), kerasj.regularizers.OrthogonalRegularizer(0.3,
                                                                                                                 mode)
    np.testing.assert_allclose(float(ours(w)), float(theirs(jnp.asarray(w))), rtol=1e-6)
    if mode == "rows":  # one gradient (the penalty trains the kernel)
        grad_theirs = jax.grad(lambda v: theirs(v))(jnp.asarray(w))
        np.testing.assert_allclose(np.asarray(jax.grad(ours)(jnp.asarray(w))), np.asarray(grad_theirs), atol=1e-6)
    assert kerasj.regularizers.serialize(ours) == keras.regularizers.serialize(theirs)
    assert keras.regularizers.deserialize(kerasj.regularizers.serialize(ours)).get_config() == theirs.get_config()
    assert float(ours(np.eye(3, dtype="float32"))) == 0.0


def test_orthogonal_regularizer_api_and_errors():
    R = kerasj.regularizers
    assert inspect.signature(R.OrthogonalRegularizer) == inspect.signature(keras.regularizers.OrthogonalRegularizer)
    assert R.orthogonal_regularizer is R.OrthogonalRegularizer
    assert isinstance(R.get("orthogonal_regularizer"), R.OrthogonalRegularizer)
    with pytest.raises(ValueError, match="mode"):
        R.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="factor"):
        R.OrthogonalRegularizer(factor=-1.0)
    with pytest.raises(ValueError, match="2-D"):
        R.OrthogonalRegularizer()(np.ones((2, 2, 2)))


class Halve(kerasj.constraints.Constraint):
    def __init__(self, scale=0.5):
        self.scale = scale

    def __call__(self, w):
        return w * self.scale

    def get_config(self):
        return {"scale": self.scale}


REG_CONFIGS = ["l2", "L1", "orthogonal_regularizer", {"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}},
               {"module": "keras.regularizers", "class_name": "OrthogonalRegularizer",
                "config": {"factor": 0.5, "mode": "columns"}, "registered_name": None}]
CON_CONFIGS = ["max_norm", "NonNeg", "unit_norm", {"class_name": "MinMaxNorm", "config": {"min_value": 0.5,
                                                                                          "rate": 0.5, "axis": 1}},
               {"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0},
                "registered_name": None}]


@pytest.mark.parametrize("kind,config", [("regularizers", c) for c in REG_CONFIGS]
                         + [("constraints", c) for c in CON_CONFIGS])
def test_deserialize_matches_keras(kind, config):
    theirs = getattr(keras, kind).deserialize(config)
    ours = getattr(kerasj, kind).deserialize(config)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.get_config() == pytest.approx(theirs.get_config())
    w = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(w)), np.asarray(theirs(jnp.asarray(w))), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["regularizers", "constraints"])
def test_deserialize_none_custom_objects_and_errors(kind):
    module = getattr(kerasj, kind)
    assert inspect.signature(module.deserialize) == inspect.signature(getattr(keras, kind).deserialize)
    assert module.deserialize(None) is None
    custom = module.deserialize({"class_name": "Halve", "config": {"scale": 0.25}}, custom_objects={"Halve": Halve})
    assert isinstance(custom, Halve) and custom.scale == 0.25
    with pytest.raises(ValueError, match="Unknown"):
        module.deserialize("no_such_name")
    with pytest.raises(ValueError, match="class_name"):
        module.deserialize(3)
