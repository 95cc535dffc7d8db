"""Reshaping layers (Flatten, Reshape, Permute, RepeatVector, Cropping*, ZeroPadding*, UpSampling*) against
Keras 3 (JAX backend): outputs, compute_output_shape, get_config, Keras configs read back, masking support,
and one epoch of training of a small model that uses them."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

CASES = [
    ("Flatten", dict(), (2, 3, 4, 2)),
    ("Flatten", dict(data_format="channels_first"), (2, 3, 4, 2)),
    ("Reshape", dict(target_shape=(4, -1)), (2, 3, 4, 2)),
    ("Permute", dict(dims=(2, 1)), (2, 3, 4)),
    ("Permute", dict(dims=(3, 1, 2)), (2, 3, 4, 5)),
    ("RepeatVector", dict(n=3), (2, 4)),
    ("Cropping1D", dict(), (2, 6, 3)),
    ("Cropping1D", dict(cropping=(2, 0)), (2, 6, 3)),
    ("Cropping2D", dict(), (2, 5, 6, 3)),
    ("Cropping2D", dict(cropping=1), (2, 5, 6, 3)),
    ("Cropping2D", dict(cropping=(1, 2)), (2, 5, 6, 3)),
    ("Cropping2D", dict(cropping=((0, 2), (3, 1)), data_format="channels_first"), (2, 3, 5, 6)),
    ("Cropping3D", dict(), (1, 4, 5, 6, 2)),
    ("Cropping3D", dict(cropping=((1, 0), 2, (0, 3)), data_format="channels_first"), (1, 2, 4, 5, 6)),
    ("ZeroPadding1D", dict(), (2, 4, 3)),
    ("ZeroPadding1D", dict(padding=(0, 2), data_format="channels_first"), (2, 3, 4)),
    ("ZeroPadding2D", dict(), (2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=(2, 0)), (2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=((1, 0), (0, 3)), data_format="channels_first"), (2, 2, 3, 4)),
    ("ZeroPadding3D", dict(padding=2), (1, 2, 3, 2, 2)),
    ("ZeroPadding3D", dict(padding=((0, 1), (2, 0), (1, 1)), data_format="channels_first"), (1, 2, 2, 3, 2)),
    ("UpSampling1D", dict(), (2, 3, 4)),
    ("UpSampling1D", dict(size=3), (2, 3, 4)),
    ("UpSampling2D", dict(), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(3, 2), data_format="channels_first"), (2, 2, 3, 4)),
    ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=2, interpolation="bilinear", data_format="channels_first"), (2, 2, 3, 4)),
    ("UpSampling2D", dict(size=(3, 2), interpolation="bicubic"), (1, 3, 4, 2)),
    ("UpSampling3D", dict(), (1, 2, 3, 2, 2)),
    ("UpSampling3D", dict(size=(1, 2, 3), data_format="channels_first"), (1, 2, 2, 3, 2)),
]


def case_id(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[case_id(c) for c in CASES])
def test_outputs_shapes_and_config_match_keras(name, kwargs, shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    theirs = getattr(keras.layers, name)(name="r", **kwargs)
    ours = getattr(kerasj.layers, name)(name="r", **kwargs)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    for batch in (None, shape[0]):
        assert ours.compute_output_shape((batch,) + shape[1:]) == tuple(theirs.compute_output_shape(
            (batch,) + shape[1:]))
    assert ours.supports_masking == theirs.supports_masking
    assert ours.get_config() == theirs.get_config()
    cls = getattr(kerasj.layers, name)
    assert cls.from_config(theirs.get_config()).get_config() == theirs.get_config()


def test_symbolic_shapes_with_unknown_axes_match_keras():
    for name, kwargs, shape in [("Cropping2D", dict(cropping=1), (None, 6, 3)), ("ZeroPadding1D", {}, (None, 3)),
                                ("UpSampling2D", {}, (None, None, 3)), ("Permute", dict(dims=(2, 1)), (None, 4))]:
        ours = getattr(kerasj.layers, name)(**kwargs)(kerasj.Input(shape))
        theirs = getattr(keras.layers, name)(**kwargs)(keras.Input(shape))
        assert tuple(ours.shape) == tuple(theirs.shape), name


def reshaping_model(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((6, 5, 2)),
        layers.ZeroPadding2D(((1, 0), (0, 1))),
        layers.Conv2D(3, 3, kernel_initializer="ones"),
        layers.UpSampling2D((2, 1), interpolation="bilinear"),
        layers.Cropping2D(((1, 1), (0, 1))),
        layers.Permute((2, 1, 3)),
        layers.Reshape((3, -1)),
        layers.ZeroPadding1D(1),
        layers.UpSampling1D(2),
        layers.Cropping1D((2, 1)),
        layers.Flatten(),
        layers.RepeatVector(2),
        layers.Flatten(),
        layers.Dense(2, activation="softmax", kernel_initializer="ones"),
    ])


def test_reshaping_model_one_epoch_matches_keras():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 6, 5, 2)).astype(np.float32)
    y = rng.integers(0, 2, 24)
    ours, theirs = reshaping_model(kerasj), reshaping_model(keras)
    theirs.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.3 for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    h_ours = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_masks_stop_at_reshaping_layers_as_in_keras():
    """Keras's reshaping layers do not support masking: a mask reaching them is dropped, with a warning."""
    class MaskNonZero(kerasj.layers.Layer):
        def call(self, x):
            return x

        def compute_mask(self, x, mask=None):
            return kerasj.ops.any(x != 0, axis=-1)

    class SeesMask(kerasj.layers.Layer):
        def call(self, x, mask=None):
            return x if mask is None else x * 0

    x = np.ones((2, 4, 3), np.float32)
    for layer in (kerasj.layers.Cropping1D(1), kerasj.layers.ZeroPadding1D(1), kerasj.layers.UpSampling1D(2),
                  kerasj.layers.Permute((2, 1)), kerasj.layers.Reshape((3, 4)), kerasj.layers.Flatten()):
        with pytest.warns(UserWarning, match="does not support masking"):
            out = SeesMask()(layer(MaskNonZero()(x)))
        np.testing.assert_array_equal(out, layer(x))  # the layer after saw no mask
