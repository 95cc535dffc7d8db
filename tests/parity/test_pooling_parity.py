"""Pooling layers against Keras 3 (JAX backend): outputs, compute_output_shape, get_config, configs read
across, the masked GlobalAveragePooling1D, and one epoch of training of a small pooled convnet."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

CASES = [
    ("MaxPooling1D", dict(), (2, 9, 3)),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 9, 3)),
    ("MaxPooling1D", dict(pool_size=2, data_format="channels_first"), (2, 3, 9)),
    ("MaxPooling2D", dict(), (2, 7, 8, 3)),
    ("MaxPooling2D", dict(pool_size=(3, 2), strides=(2, 1), padding="same"), (2, 7, 8, 3)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same", data_format="channels_first"), (2, 3, 7, 8)),
    ("MaxPooling3D", dict(pool_size=2, padding="same"), (1, 3, 5, 4, 2)),
    ("MaxPooling3D", dict(pool_size=(1, 2, 2), data_format="channels_first"), (1, 2, 3, 5, 4)),
    ("AveragePooling1D", dict(pool_size=2), (2, 9, 3)),
    ("AveragePooling1D", dict(pool_size=4, strides=1, padding="same"), (2, 9, 3)),
    ("AveragePooling1D", dict(pool_size=3, padding="same", data_format="channels_first"), (2, 3, 9)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 8, 3)),
    ("AveragePooling2D", dict(pool_size=(2, 3), strides=1, padding="valid"), (2, 7, 8, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=1, padding="same", data_format="channels_first"), (2, 3, 7, 8)),
    ("AveragePooling3D", dict(pool_size=2, padding="same"), (1, 3, 5, 4, 2)),
    ("AveragePooling3D", dict(pool_size=(3, 2, 2), strides=1, padding="same", data_format="channels_first"),
     (1, 2, 3, 5, 4)),
    ("GlobalMaxPooling1D", dict(), (2, 9, 3)),
    ("GlobalMaxPooling1D", dict(data_format="channels_first", keepdims=True), (2, 3, 9)),
    ("GlobalMaxPooling2D", dict(keepdims=True), (2, 7, 8, 3)),
    ("GlobalMaxPooling3D", dict(data_format="channels_first"), (1, 2, 3, 5, 4)),
    ("GlobalAveragePooling1D", dict(keepdims=True), (2, 9, 3)),
    ("GlobalAveragePooling2D", dict(), (2, 7, 8, 3)),
    ("GlobalAveragePooling2D", dict(data_format="channels_first", keepdims=True), (2, 3, 7, 8)),
    ("GlobalAveragePooling3D", dict(keepdims=True), (1, 3, 5, 4, 2)),
]


def case_id(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[case_id(c) for c in CASES])
def test_outputs_shapes_and_config_match_keras(name, kwargs, shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    theirs = getattr(keras.layers, name)(name="p", **kwargs)
    ours = getattr(kerasj.layers, name)(name="p", **kwargs)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-6, atol=1e-6)
    assert ours.weights == [] and theirs.weights == []
    for batch in (None, shape[0]):
        assert ours.compute_output_shape((batch,) + shape[1:]) == tuple(theirs.compute_output_shape(
            (batch,) + shape[1:]))
    assert ours.get_config() == theirs.get_config()
    assert getattr(kerasj.layers, name).from_config(theirs.get_config()).get_config() == theirs.get_config()


def test_masked_global_average_pooling_1d_matches_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 6, 4)).astype(np.float32)
    mask = rng.random((3, 6)) > 0.4
    mask[:, 0] = True
    for kwargs in (dict(), dict(keepdims=True)):
        np.testing.assert_allclose(kerasj.layers.GlobalAveragePooling1D(**kwargs)(x, mask=mask),
                                   keras.layers.GlobalAveragePooling1D(**kwargs)(x, mask=mask), rtol=1e-6)


def pooled_convnet(lib):
    return lib.Sequential([
        lib.Input((12, 12, 2)),
        lib.layers.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer="ones"),
        lib.layers.MaxPooling2D(),
        lib.layers.AveragePooling2D(3, strides=1, padding="same"),
        lib.layers.Conv2D(4, 2, kernel_initializer="ones", data_format="channels_first"),
        lib.layers.MaxPooling2D(2, padding="same", data_format="channels_first"),
        lib.layers.GlobalAveragePooling2D(keepdims=True, data_format="channels_first"),
        lib.layers.Flatten(),
        lib.layers.Dense(3, activation="softmax", kernel_initializer="ones"),
    ])


def test_pooled_convnet_one_epoch_matches_keras():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 12, 12, 2)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    ours, theirs = pooled_convnet(kerasj), pooled_convnet(keras)
    theirs.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.4 for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    h_ours = ours.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, err_msg=key)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
