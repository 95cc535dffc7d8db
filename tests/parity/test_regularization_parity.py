"""Regularization layers against Keras 3 (JAX backend): configs both ways, identity at inference, the same
noise statistics in training (random streams differ between the libraries, so values are compared only
through their distribution), and ActivityRegularization's loss inside `fit`."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

CASES = [
    ("Dropout", dict(rate=0.3, seed=3), (2, 3, 4)),
    ("Dropout", dict(rate=0.5, noise_shape=(None, 1, 4)), (2, 3, 4)),
    ("SpatialDropout1D", dict(rate=0.2, seed=1), (2, 3, 4)),
    ("SpatialDropout2D", dict(rate=0.2), (2, 3, 4, 2)),
    ("SpatialDropout2D", dict(rate=0.4, data_format="channels_first"), (2, 3, 4, 2)),
    ("SpatialDropout3D", dict(rate=0.2, seed=2), (1, 2, 3, 4, 2)),
    ("SpatialDropout3D", dict(rate=0.2, data_format="channels_first"), (1, 2, 3, 4, 2)),
    ("GaussianNoise", dict(stddev=0.3, seed=4), (2, 3)),
    ("GaussianDropout", dict(rate=0.2), (2, 3)),
    ("AlphaDropout", dict(rate=0.1, noise_shape=(None, 1), seed=5), (2, 3)),
    ("ActivityRegularization", dict(l1=0.1, l2=0.02), (2, 3)),
]


def case_id(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[case_id(c) for c in CASES])
def test_config_inference_and_shapes_match_keras(name, kwargs, shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    theirs = getattr(keras.layers, name)(name="r", **kwargs)
    ours = getattr(kerasj.layers, name)(name="r", **kwargs)
    np.testing.assert_array_equal(ours(x), x)
    np.testing.assert_array_equal(ours(x, training=False), theirs(x, training=False))
    assert ours.compute_output_shape((None,) + shape[1:]) == tuple(theirs.compute_output_shape((None,) + shape[1:]))
    assert ours.supports_masking == theirs.supports_masking
    assert ours.weights == [] and theirs.weights == []
    assert ours.get_config() == theirs.get_config()
    cls = getattr(kerasj.layers, name)
    assert cls.from_config(theirs.get_config()).get_config() == theirs.get_config()


def statistics(lib, name, x, **kwargs):
    out = np.asarray(getattr(lib.layers, name)(seed=11, **kwargs)(x, training=True))
    return out.mean(), out.std(), np.mean(out == 0)


@pytest.mark.parametrize("name,kwargs", [("GaussianDropout", dict(rate=0.3)), ("AlphaDropout", dict(rate=0.2))])
def test_training_noise_has_keras_statistics(name, kwargs):
    x = np.random.default_rng(1).normal(size=(200, 100)).astype(np.float32)
    ours, theirs = statistics(kerasj, name, x, **kwargs), statistics(keras, name, x, **kwargs)
    np.testing.assert_allclose(ours, theirs, atol=0.02)


def regularized_model(lib):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(5, activation="tanh"),
                           lib.layers.ActivityRegularization(l1=0.01, l2=0.05), lib.layers.Dense(1)])


def test_activity_regularization_reaches_fit_loss_like_keras():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(24, 4)).astype(np.float32)
    y = rng.normal(size=(24, 1)).astype(np.float32)
    ours, theirs = regularized_model(kerasj), regularized_model(keras)
    ours.set_weights(theirs.get_weights())
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    h_ours = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def masked_model(lib):
    class MaskNonZero(lib.layers.Layer):
        """Masks the time steps whose features are all zero (a stand-in for Embedding(mask_zero=True))."""
        def call(self, x):
            return x

        def compute_mask(self, x, mask=None):
            return lib.ops.any(x != 0, axis=-1)

    class MaskedMean(lib.layers.Layer):
        def call(self, x, mask=None):
            if mask is None:  # kerasj builds models without masks; they flow when the model runs
                return lib.ops.mean(x, axis=1)
            weights = lib.ops.cast(mask, x.dtype)[..., None]
            return lib.ops.sum(x * weights, axis=1) / lib.ops.sum(weights, axis=1)

        def compute_mask(self, x, mask=None):
            return None

    layers = lib.layers
    inputs = lib.Input((4, 3))
    x = MaskNonZero()(inputs)
    for layer in (layers.Dropout(0.5), layers.SpatialDropout1D(0.5), layers.GaussianNoise(0.5),
                  layers.GaussianDropout(0.5), layers.AlphaDropout(0.5), layers.ActivityRegularization(0.1)):
        x = layer(x)
    return lib.Model(inputs, MaskedMean()(x))


def test_mask_passes_through_regularization_layers_like_keras():
    x = np.random.default_rng(4).normal(size=(2, 4, 3)).astype(np.float32)
    x[0, 1] = x[1, 2:] = 0.0
    ours = np.asarray(masked_model(kerasj)(x))
    np.testing.assert_allclose(ours, masked_model(keras)(x), rtol=1e-6)
    np.testing.assert_allclose(ours[1], x[1, :2].mean(axis=0), rtol=1e-6)
