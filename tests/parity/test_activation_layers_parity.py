"""Activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax) against Keras 3 (JAX backend): outputs, configs,
Keras configs read back, PReLU weights and training, masked Softmax, and a mask reaching Softmax inside a
model."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

CASES = [
    ("ReLU", dict()),
    ("ReLU", dict(max_value=1.5)),
    ("ReLU", dict(negative_slope=0.1, threshold=0.5)),
    ("ReLU", dict(max_value=2.0, negative_slope=0.2, threshold=0.3)),
    ("LeakyReLU", dict()),
    ("LeakyReLU", dict(negative_slope=0.05)),
    ("ELU", dict()),
    ("ELU", dict(alpha=0.4)),
    ("Softmax", dict()),
    ("Softmax", dict(axis=1)),
    ("Softmax", dict(axis=(1, 2))),
    ("PReLU", dict()),
    ("PReLU", dict(alpha_initializer="ones", shared_axes=[1, 2], alpha_regularizer="l2",
                   alpha_constraint="non_neg")),
    ("PReLU", dict(shared_axes=2)),
]


def case_id(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


@pytest.mark.parametrize("name,kwargs", CASES, ids=[case_id(c) for c in CASES])
def test_outputs_and_config_match_keras(name, kwargs):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(2, 3, 4)) * 2).astype(np.float32)
    theirs = getattr(keras.layers, name)(name="a", **kwargs)
    ours = getattr(kerasj.layers, name)(name="a", **kwargs)
    theirs.build(x.shape)
    ours.build(x.shape)
    if theirs.weights:
        theirs.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in theirs.weights])
        ours.set_weights(theirs.get_weights())
        assert [w.path.split("/")[-1] for w in ours.weights] == ["alpha"]
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-6)
    assert ours.compute_output_shape((None, 3, 4)) == tuple(theirs.compute_output_shape((None, 3, 4)))
    assert ours.supports_masking == theirs.supports_masking
    assert ours.get_config() == theirs.get_config()
    rebuilt = getattr(kerasj.layers, name).from_config(theirs.get_config())
    assert rebuilt.get_config() == theirs.get_config()


def test_prelu_regularizer_loss_matches_keras():
    x = np.ones((2, 3, 4), np.float32)
    theirs = keras.layers.PReLU(alpha_initializer="ones", alpha_regularizer=keras.regularizers.L2(0.1))
    ours = kerasj.layers.PReLU(alpha_initializer="ones", alpha_regularizer=kerasj.regularizers.L2(0.1))
    theirs(x)
    ours(x)
    np.testing.assert_allclose(sum(ours.losses), sum(theirs.losses), rtol=1e-6)
    np.testing.assert_allclose(sum(ours.losses), 0.1 * 12, rtol=1e-6)  # 12 slopes of 1.0


@pytest.mark.parametrize("mask_shape,dtype", [((2, 3, 4), bool), ((2, 1, 4), bool), ((4,), np.float32)])
def test_masked_softmax_matches_keras(mask_shape, dtype):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    mask = (rng.random(mask_shape) > 0.4).astype(dtype)
    mask.reshape(-1)[0] = 0  # at least one masked entry, and with shape (2, 1, 4) or (4,) a whole column
    for axis in (-1, 1):
        np.testing.assert_allclose(kerasj.layers.Softmax(axis=axis)(x, mask=mask),
                                   keras.layers.Softmax(axis=axis)(x, mask=mask), rtol=1e-6, atol=1e-7)


def prelu_model(lib):
    return lib.Sequential([lib.Input((5,)), lib.layers.Dense(4), lib.layers.PReLU(alpha_initializer="ones"),
                           lib.layers.ELU(0.5), lib.layers.Dense(2), lib.layers.Softmax()])


def test_model_with_activation_layers_trains_like_keras():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 5)).astype(np.float32)
    y = rng.integers(0, 2, 32)
    ours, theirs = prelu_model(kerasj), prelu_model(keras)
    theirs.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    h_ours = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def masking_model(lib):
    class MaskNonZero(lib.layers.Layer):
        """Masks the features that are exactly zero (a stand-in for a mask-producing layer)."""
        def call(self, x):
            return x

        def compute_mask(self, x, mask=None):
            return x != 0

    inputs = lib.Input((3, 4))
    return lib.Model(inputs, lib.layers.Softmax()(lib.layers.ReLU()(MaskNonZero()(inputs))))


def test_mask_propagates_through_relu_into_softmax_like_keras():
    x = np.random.default_rng(3).normal(size=(2, 3, 4)).astype(np.float32)
    x[0, 1, 2] = x[1, 0, :] = 0.0
    ours = masking_model(kerasj)(x)
    np.testing.assert_allclose(ours, masking_model(keras)(x), rtol=1e-6, atol=1e-7)
    assert ours[0, 1, 2] == 0 and np.all(np.asarray(ours)[1, 0] == 0)
