"""Shared checks for the applications tests: build a model in Keras 3 and in kerasj, compare the layer names
and weight shapes, copy Keras's weights across and compare predictions."""
import importlib
import re

import numpy as np
import pytest


@pytest.fixture(autouse=True, scope="module")
def _keras_draws_initial_weights_with_numpy():
    """Keras 3 on JAX compiles a sampling program for every new weight shape, so building one of these
    models in Keras took ~30 s of the test (EfficientNetB0: 33 s, 3.5 s with this). Only the forward pass is
    compared, with the same weights copied into both libraries, so Keras's initial weights are drawn with
    NumPy here (same distributions and arguments) instead. Module-scoped, so that the modules' shared models
    (module-scoped fixtures) are built under it too."""
    from keras.src.backend.common.variables import standardize_dtype
    from keras.src.backend.jax import random as keras_random
    from keras.src.initializers import constant_initializers

    rng = np.random.default_rng(1234)

    def as_array(values, dtype):
        import jax
        return jax.device_put(values.astype(dtype or "float32"))  # jnp.asarray would compile per shape

    # Drawn in float32: float64 draws and the cast took ~10% of a model's build.
    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return as_array(mean + stddev * rng.standard_normal(tuple(shape), np.float32), dtype)

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        values = rng.standard_normal(tuple(shape), np.float32)
        outside = np.abs(values) > 2.0
        values[outside] = rng.uniform(-2.0, 2.0, int(outside.sum()))
        return as_array(mean + stddev * values, dtype)

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return as_array(minval + (maxval - minval) * rng.random(tuple(shape), np.float32), dtype)

    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, fn in (("normal", normal), ("truncated_normal", truncated_normal), ("uniform", uniform)):
            monkeypatch.setattr(keras_random, name, fn)
        # Keras's zeros / ones initializers call jnp.zeros / jnp.ones, which compile a program per new shape
        # (DenseNet121: ~60 distinct BatchNormalization sizes, about half of its Keras build).
        for cls, fill in ((constant_initializers.Zeros, np.zeros), (constant_initializers.Ones, np.ones)):
            monkeypatch.setattr(cls, "__call__", lambda self, shape, dtype=None, fill=fill: as_array(
                fill(tuple(shape)), standardize_dtype(dtype)))
        yield


@pytest.fixture(autouse=True, scope="module")
def _kerasj_draws_initial_weights_with_numpy():
    """The same for kerasj: its initializers compile a sampling program per power-of-two size (ResNet50: ~7 s
    of its build on 2 cores). The weights are overwritten with Keras's before any comparison, and the
    parameter-count tests need only the shapes, so NumPy draws of the same distributions serve."""
    import kerasj.random

    rng = np.random.default_rng(4321)

    def sample(kind, shape, a, b, dtype, seed):
        import jax
        if kind == "uniform":
            values = a + (b - a) * rng.random(tuple(shape), np.float32)
        else:
            values = rng.standard_normal(tuple(shape), np.float32)
            if kind == "truncated_normal":
                np.clip(values, -2.0, 2.0, out=values)
            values = a + b * values
        return jax.device_put(values.astype(dtype, copy=False))

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(kerasj.random, "sample_for_initializer", sample)
        yield


def _perturbed(model, rng):
    """Keras's initial weights, with the BatchNormalization statistics and affine terms moved away from 0 / 1
    so that inference exercises them."""
    values = []
    for v in model.weights:
        w = np.asarray(v.numpy())
        name = v.name
        if name in ("moving_variance", "gamma"):
            w = rng.uniform(0.5, 1.5, w.shape).astype(w.dtype)
        elif name in ("moving_mean", "beta"):
            w = (0.1 * rng.standard_normal(w.shape)).astype(w.dtype)
        values.append(w)
    return values


def _unnumbered(path):
    return re.sub(r"/variable_\d+$", "/variable", path)


def build_pair(family, fn, **kwargs):
    """(keras_model, kerasj_model) built with the same arguments, kerasj's carrying Keras's weights."""
    import keras

    import kerasj

    keras_module = importlib.import_module(f"keras.applications.{family}")
    ours_module = importlib.import_module(f"kerasj.applications.{family}")
    # Unnamed layers are named from per-session counters: start both from zero so the names can be compared.
    keras.backend.clear_session()
    kerasj.utils.clear_session()
    # keras.applications.mobilenet_v3 does not expose its models: they are only in keras.applications.
    theirs = getattr(keras_module, fn, None) or getattr(keras.applications, fn)
    theirs = theirs(weights=None, **kwargs)
    ours = getattr(ours_module, fn)(weights=None, **kwargs)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    # An add_weight without a name is "variable" in both; Keras numbers them from a process-wide counter.
    assert [_unnumbered(w.path) for w in ours.weights] == [_unnumbered(w.path) for w in theirs.weights]
    assert ours.name == theirs.name
    weights = _perturbed(theirs, np.random.default_rng(0))
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return theirs, ours


def assert_same_predictions(theirs, ours, x):
    expected = np.asarray(theirs.predict(x, verbose=0))
    got = np.asarray(ours.predict(x, verbose=0))
    assert got.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-5 * scale)


@pytest.fixture
def parity():
    """`parity(family, fn, x, **kwargs)`: build both models, assert they match, and return them."""
    def check(family, fn, x, **kwargs):
        theirs, ours = build_pair(family, fn, **kwargs)
        assert_same_predictions(theirs, ours, x)
        return theirs, ours
    return check


def count_params_keras(family, fn, **kwargs):
    """Keras's parameter count of the same model (weights=None)."""
    keras_module = importlib.import_module(f"keras.applications.{family}")
    return getattr(keras_module, fn)(weights=None, **kwargs).count_params()


@pytest.fixture
def shapes_only(monkeypatch):
    """For tests that only count parameters: kerasj's initial weights are zeros, not random draws (the
    random draws of the 88M parameters of ConvNeXtBase or NASNetLarge took ~1 s each)."""
    import jax

    import kerasj.random

    monkeypatch.setattr(kerasj.random, "sample_for_initializer",
                        lambda kind, shape, a, b, dtype, seed: jax.device_put(np.zeros(tuple(shape), dtype)))
