"""Image preprocessing layers against Keras 3 (JAX backend): outputs for fixed transforms (a factor pair
`(a, a)` makes the random draw constant), dtypes, compute_output_shape, get_config, and Keras configs read
across with from_config."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, size=(2, 7, 9, 3)).astype(np.float32)
IMAGES_CF = np.transpose(IMAGES, (0, 3, 1, 2)).copy()

# (layer, kwargs, also check a single unbatched image): each case covers different options, on shared shapes.
CASES = [
    ("Rescaling", dict(scale=1 / 255.0, offset=-1.0), True),
    ("Rescaling", dict(scale=[1.0, 2.0, 0.5], offset=[0.0, 1.0, 2.0]), False),
    ("Resizing", dict(height=4, width=5), True),
    ("Resizing", dict(height=12, width=20, interpolation="nearest"), False),
    ("Resizing", dict(height=3, width=4, antialias=True), False),
    ("Resizing", dict(height=5, width=4, interpolation="bicubic", crop_to_aspect_ratio=True), False),
    ("Resizing", dict(height=4, width=9, pad_to_aspect_ratio=True, fill_value=7.0, data_format="channels_first"),
     True),
    ("CenterCrop", dict(height=4, width=5), True),
    ("CenterCrop", dict(height=3, width=12, data_format="channels_first"), False),
    ("RandomRotation", dict(factor=(0.1, 0.1)), False),
    ("RandomRotation", dict(factor=(-0.6, -0.6), fill_mode="constant", interpolation="nearest", fill_value=2.0,
                            data_format="channels_first"), False),
    ("RandomZoom", dict(height_factor=(0.3, 0.3), fill_mode="wrap"), False),
    ("RandomZoom", dict(height_factor=(-0.4, -0.4), width_factor=(0.5, 0.5), fill_mode="constant",
                        interpolation="nearest", data_format="channels_first"), True),
    ("RandomTranslation", dict(height_factor=(0.2, 0.2), width_factor=(-0.3, -0.3)), True),
    ("RandomTranslation", dict(height_factor=(-0.5, -0.5), width_factor=(0.25, 0.25), fill_mode="nearest",
                               interpolation="nearest"), False),
    ("RandomContrast", dict(factor=(-0.9, 0.9), value_range=(0, 200)), True),
]


def case_id(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


@pytest.mark.parametrize("name,kwargs,single", CASES, ids=[case_id(c) for c in CASES])
def test_fixed_transform_outputs_and_config_match_keras(name, kwargs, single):
    theirs = getattr(keras.layers, name)(name="p", **kwargs)
    ours = getattr(kerasj.layers, name)(name="p", **kwargs)
    images = IMAGES_CF if kwargs.get("data_format") == "channels_first" else IMAGES
    for x in (images, images[0]) if single else (images,):
        expected = np.asarray(theirs(x, training=True) if name.startswith("Random") else theirs(x))
        got = np.asarray(ours(x, training=True) if name.startswith("Random") else ours(x))
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)  # pixel values up to 255
        shape = (None,) + x.shape[1:] if x.ndim == 4 else x.shape
        assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))
    assert ours.get_config() == theirs.get_config()
    assert getattr(kerasj.layers, name).from_config(theirs.get_config()).get_config() == theirs.get_config()


def test_resizing_integer_images_round_and_keep_dtype_like_keras():
    kwargs = dict(height=9, width=4, crop_to_aspect_ratio=True)
    x = IMAGES.astype(np.uint8)
    expected = np.asarray(keras.layers.Resizing(**kwargs)(x))
    got = np.asarray(kerasj.layers.Resizing(**kwargs)(x))
    assert got.dtype == expected.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name,kwargs", [("RandomFlip", {}), ("RandomRotation", dict(factor=0.2)),
                                         ("RandomContrast", dict(factor=0.2)), ("CenterCrop", dict(height=3, width=3)),
                                         ("Rescaling", dict(scale=2.0))])
def test_inference_output_dtype_matches_keras(name, kwargs):
    x = IMAGES.astype(np.uint8)
    theirs = getattr(keras.layers, name)(**kwargs)
    ours = getattr(kerasj.layers, name)(**kwargs)
    expected = theirs(x, training=False) if name.startswith("Random") else theirs(x)
    got = ours(x, training=False) if name.startswith("Random") else ours(x)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(np.asarray(got, np.float32), np.asarray(expected, np.float32))


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip_outcomes_match_keras_semantics(mode):
    # Each image is either unchanged or flipped; for horizontal_and_vertical Keras 3 flips both axes
    # together (one draw per image), so the only other outcome is a 180 degree turn.
    axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}[mode]
    x = RNG.uniform(size=(64, 3, 4, 1)).astype(np.float32)
    flipped = np.flip(x, axis=axes)
    for layer in (keras.layers.RandomFlip(mode, seed=3), kerasj.layers.RandomFlip(mode, seed=3)):
        out = np.asarray(layer(x, training=True))
        same = np.all(out == x, axis=(1, 2, 3))
        flip = np.all(out == flipped, axis=(1, 2, 3))
        assert np.all(same | flip) and 10 < flip.sum() < 54
    assert kerasj.layers.RandomFlip(mode).get_config().keys() == keras.layers.RandomFlip(mode).get_config().keys()


@pytest.mark.parametrize("name,kwargs", [
    ("RandomRotation", dict(factor=0.2)), ("RandomRotation", dict(factor=[0.3, -0.1])),
    ("RandomZoom", dict(height_factor=0.2)), ("RandomZoom", dict(height_factor=[0.1, -0.2], width_factor=1.0)),
    ("RandomTranslation", dict(height_factor=0.1, width_factor=[0.2, -1.0])),
    ("RandomContrast", dict(factor=0.5)), ("RandomContrast", dict(factor=[0.2, 0.7], value_range=[0, 1])),
    ("RandomFlip", dict(mode="vertical", seed=7)),
])
def test_default_and_scalar_factor_configs_match_keras(name, kwargs):
    theirs = getattr(keras.layers, name)(name="r", **kwargs)
    ours = getattr(kerasj.layers, name)(name="r", **kwargs)
    assert ours.get_config() == theirs.get_config()
    assert getattr(kerasj.layers, name).from_config(theirs.get_config()).get_config() == theirs.get_config()


def test_augmentation_model_predict_matches_keras_after_weight_copy():
    def build(lib):
        return lib.Sequential([lib.Input((7, 9, 3)), lib.layers.Rescaling(1 / 255.0), lib.layers.RandomFlip(),
                               lib.layers.RandomRotation(0.2), lib.layers.Resizing(6, 6),
                               lib.layers.CenterCrop(4, 4), lib.layers.Flatten(), lib.layers.Dense(2)])
    theirs, ours = build(keras), build(kerasj)
    ours.set_weights(theirs.get_weights())
    # predict runs with training=False, so the augmentations are off in both.
    np.testing.assert_allclose(ours.predict(IMAGES, verbose=0), theirs.predict(IMAGES, verbose=0),
                               rtol=1e-5, atol=1e-5)
