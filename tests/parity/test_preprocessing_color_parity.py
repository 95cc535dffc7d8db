"""Parity of the colour augmentation layers and the colour ops with Keras 3 (JAX backend).

The random streams of the two libraries differ, so each layer is compared through its two halves: a
transformation drawn by one library (converted to numpy) is applied by both `transform_images`, which must
agree to float32 tolerance. Degenerate factors (a range of one value) are compared through `__call__`.
"""
import inspect

import jax
import keras
import numpy as np
import pytest

import kerasj
from kerasj import ops

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, size=(3, 6, 7, 3)).astype("float32")
IMAGES[0, :2, :2] = 128.0  # grey pixels: hue 0, saturation 0
IMAGES[1, 0, 0] = [255.0, 0.0, 0.0]
IMAGES_U8 = IMAGES.astype("uint8")

# (name, kwargs): the layers compared by drawing transformations.
LAYERS = [
    ("RandomBrightness", {"factor": 0.3}),
    ("RandomBrightness", {"factor": (-0.5, 0.2), "value_range": (0, 1)}),
    ("RandomGrayscale", {"factor": 0.5}),
    ("RandomColorDegeneration", {"factor": 0.8}),
    ("RandomHue", {"factor": 0.9}),
    ("RandomHue", {"factor": (0.2, 0.6), "value_range": (0, 1)}),
    ("RandomSaturation", {"factor": (0.1, 0.9)}),
    ("RandomSaturation", {"factor": 0.7}),
    ("RandomSharpness", {"factor": (0.0, 1.0)}),
    ("RandomInvert", {"factor": 0.7}),
    ("Solarization", {"addition_factor": 0.3, "threshold_factor": (0.2, 0.8)}),
    ("RandomPosterization", {"factor": (2, 7)}),
    ("RandomPosterization", {"factor": 3, "value_range": (0, 1)}),
    ("AutoContrast", {}),
    ("AutoContrast", {"value_range": (0, 1)}),
    ("Equalization", {"bins": 6}),  # few bins: Keras 3 counts each bin in a Python loop
    ("Equalization", {"bins": 4, "value_range": (0, 1)}),
    ("RandomGaussianBlur", {"factor": 0.8, "kernel_size": (3, 5), "sigma": (0.3, 1.0)}),
]
# Keras 3 handles channels_first in these (a subset, to keep the suite fast).
CHANNELS_FIRST = {"RandomGrayscale", "RandomHue", "RandomSaturation", "RandomSharpness", "Equalization",
                  "RandomGaussianBlur"}
NAMES = sorted({name for name, _ in LAYERS} | {"RandomColorJitter", "RandAugment", "AugMix",
                                              "ContrastLimitedAdaptiveHistogramEqualization"})


def _images(kwargs, dtype="float32"):
    scale = 1.0 / 255.0 if tuple(kwargs.get("value_range", (0, 255))) == (0, 1) else 1.0
    return IMAGES_U8.copy() if dtype == "uint8" else (IMAGES * scale).astype(dtype)


def _numpy(tree):
    return jax.tree_util.tree_map(np.asarray, tree)


def _close(ours, theirs, atol=2e-4):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.astype("float64"), theirs.astype("float64"), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("name", NAMES)
def test_signature_and_config_keys_match_keras(name):
    theirs, ours = getattr(keras.layers, name), getattr(kerasj.layers, name)
    assert inspect.signature(ours.__init__) == inspect.signature(theirs.__init__)
    defaults = {"RandomColorJitter": {"brightness_factor": 0.2}, "AugMix": {"factor": 0.4}, "RandAugment": {},
                "ContrastLimitedAdaptiveHistogramEqualization": {"tile_grid_size": (2, 2)}}
    kwargs = dict(defaults[name] if name in defaults else next(kw for n, kw in LAYERS if n == name))
    k_config, j_config = theirs(**kwargs).get_config(), ours(**kwargs).get_config()  # one layer each
    assert set(j_config) == set(k_config)
    for key in k_config:
        if key not in ("name", "dtype"):
            assert j_config[key] == k_config[key] or list(j_config[key]) == list(k_config[key]), key


CASES = [(name, kwargs, "channels_last") for name, kwargs in LAYERS] + [
    (name, kwargs, "channels_first") for i, (name, kwargs) in enumerate(LAYERS)
    if name in CHANNELS_FIRST and name not in [n for n, _ in LAYERS[:i]]]


@pytest.mark.parametrize("name,kwargs,data_format", CASES, ids=[f"{n}-{i}-{f}" for i, (n, _, f) in enumerate(CASES)])
def test_transform_images_matches_keras_on_shared_transformations(name, kwargs, data_format):
    theirs = getattr(keras.layers, name)(**kwargs, data_format=data_format)
    ours = getattr(kerasj.layers, name)(**kwargs, data_format=data_format)
    images = _images(kwargs)
    if data_format == "channels_first":
        images = np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)))
    # One compiled program per library (cheaper than the many small eager ones), fed a transformation drawn
    # by Keras, then one drawn by kerasj.
    ours_apply, theirs_apply = jax.jit(ours.transform_images), jax.jit(theirs.transform_images)
    for transformation in (theirs.get_random_transformation(images), ours.get_random_transformation(images)):
        transformation = _numpy(transformation)
        _close(ours_apply(images, transformation), theirs_apply(images, transformation))


DEGENERATE = [
    ("RandomBrightness", {"factor": (0.1, 0.1)}),
    ("RandomColorDegeneration", {"factor": (0.3, 0.3)}),
    ("RandomSaturation", {"factor": (0.3, 0.3)}),
    ("RandomSharpness", {"factor": (0.8, 0.8)}),
    ("RandomInvert", {"factor": (1.0, 1.0)}),
    ("RandomGrayscale", {"factor": 1.0}),
    ("Solarization", {"addition_factor": (0.0, 0.0), "threshold_factor": (0.0, 0.0)}),
    ("RandomPosterization", {"factor": (3, 3)}),
    ("AutoContrast", {}),
    ("Equalization", {"bins": 5}),  # few bins: Keras 3 counts each bin in a Python loop
    ("RandomGaussianBlur", {"factor": (1.0, 1.0), "kernel_size": 5, "sigma": (0.6, 0.6)}),
    ("RandomColorJitter", {"brightness_factor": (0.1, 0.1), "saturation_factor": (0.6, 0.6)}),
]


@pytest.mark.parametrize("name,kwargs", DEGENERATE, ids=[n for n, _ in DEGENERATE])
def test_degenerate_factors_match_keras_through_call(name, kwargs):
    theirs = getattr(keras.layers, name)(**kwargs)
    ours = getattr(kerasj.layers, name)(**kwargs)
    images = _images(kwargs)
    _close(ours(images, training=True), theirs(images, training=True))
    _close(ours(images[0], training=True), theirs(images[0], training=True))  # a single image


def test_color_jitter_is_keras_steps_in_sequence():
    # Keras 3's RandomColorJitter draws inside transform_images; the same steps applied one after the other
    # by Keras's own layers, with kerasj's draws, must give kerasj's output.
    kwargs = {"brightness_factor": 0.2, "contrast_factor": 0.5, "saturation_factor": (0.2, 0.8), "hue_factor": 0.3}
    ours = kerasj.layers.RandomColorJitter(**kwargs)
    transformation = _numpy(ours.get_random_transformation(IMAGES))
    expected = IMAGES
    steps = [("brightness", keras.layers.RandomBrightness(0.2)), ("contrast", keras.layers.RandomContrast(0.5)),
             ("saturation", keras.layers.RandomSaturation((0.2, 0.8))), ("hue", keras.layers.RandomHue(0.3))]
    for step, layer in steps:
        expected = layer.transform_images(expected, transformation[step])
    _close(ours.transform_images(IMAGES, transformation), expected)


# RandomHue draws the sign of its shift even with a degenerate factor, so it is compared above only.
# Layers whose Keras output for uint8 input is exact (no wrap-around, no rejected dtype).
UINT8 = ["RandomGrayscale", "RandomColorDegeneration", "RandomSharpness", "RandomInvert",
         "Solarization", "RandomPosterization", "AutoContrast", "Equalization", "RandomGaussianBlur"]


@pytest.mark.parametrize("name", UINT8)
def test_uint8_inputs_match_keras(name):
    kwargs = next(kw for n, kw in DEGENERATE if n == name)
    theirs = getattr(keras.layers, name)(**kwargs)
    ours = getattr(kerasj.layers, name)(**kwargs)
    for training in (True, False):
        _close(ours(IMAGES_U8, training=training), theirs(IMAGES_U8, training=training))


def test_brightness_on_uint8_keeps_the_dtype_like_keras():
    # An integer offset that does not overflow: where Keras 3's uint8 arithmetic is exact.
    theirs, ours = keras.layers.RandomBrightness(0.5), kerasj.layers.RandomBrightness(0.5)
    images = (IMAGES_U8 // 2).astype("uint8")
    transformation = {"rgb_delta": np.full((3, 1, 1, 1), 20.0, "float32")}
    _close(ours.transform_images(images, transformation), theirs.transform_images(images, transformation))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_color_ops_match_keras(data_format):
    x = RNG.uniform(size=(2, 5, 6, 3)).astype("float32")
    x[0, 0, 0], x[0, 0, 1], x[0, 0, 2] = [0.5, 0.5, 0.5], [0.2, 0.7, 0.7], [0.0, 0.0, 0.0]
    if data_format == "channels_first":
        x = np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)))
    for fn in ("rgb_to_hsv", "hsv_to_rgb"):
        _close(getattr(ops.image, fn)(x, data_format=data_format),
               getattr(keras.ops.image, fn)(x, data_format=data_format), atol=1e-6)
        _close(getattr(ops.image, fn)(x[0], data_format=data_format),
               getattr(keras.ops.image, fn)(x[0], data_format=data_format), atol=1e-6)
    for size, sigma in (((3, 3), (1.0, 1.0)), ((3, 5), (0.5, 2.0))):
        _close(ops.image.gaussian_blur(x, size, sigma, data_format=data_format),
               keras.ops.image.gaussian_blur(x, size, sigma, data_format=data_format), atol=1e-6)
    _close(ops.image.gaussian_blur(x[0], data_format=data_format),
           keras.ops.image.gaussian_blur(x[0], data_format=data_format), atol=1e-6)


def test_color_op_signatures_match_keras():
    for fn in ("rgb_to_hsv", "hsv_to_rgb", "gaussian_blur"):
        assert inspect.signature(getattr(ops.image, fn)) == inspect.signature(getattr(keras.ops.image, fn))


def _keras_colour_ops(**kwargs):
    return {"random_brightness": keras.layers.RandomBrightness(**kwargs),
            "random_contrast": keras.layers.RandomContrast(**kwargs),
            "random_sharpness": keras.layers.RandomSharpness(**kwargs),
            "solarization": keras.layers.Solarization(addition_factor=kwargs["factor"],
                                                      threshold_factor=kwargs["factor"])}


def test_rand_augment_applies_the_chosen_keras_operations_in_order():
    ours = kerasj.layers.RandAugment(num_ops=3, factor=0.4)
    theirs = _keras_colour_ops(factor=(0.0, 0.4))
    transformation = _numpy(ours.get_random_transformation(IMAGES))
    names = ["random_sharpness", "random_brightness", "solarization"]
    for name in names:  # Keras's own draws for the colour operations
        transformation["transforms"][name] = _numpy(theirs[name].get_random_transformation(IMAGES))
    order = kerasj.layers.preprocessing.augmentation_policies.RAND_AUGMENT_OPS
    transformation["layer_idxes"] = np.array([order.index(name) for name in names], "int32")
    expected = IMAGES
    for name in names:
        expected = theirs[name].transform_images(expected, transformation["transforms"][name])
    _close(ours.transform_images(IMAGES, transformation), expected, atol=1e-3)


def test_aug_mix_matches_keras_on_a_keras_transformation():
    kwargs = {"num_chains": 2, "chain_depth": 2, "factor": 0.3}
    ours, theirs = kerasj.layers.AugMix(**kwargs), keras.layers.AugMix(**kwargs)
    steps = [["random_brightness", "solarization"], ["random_contrast"]]
    transformation = {"chain_mixing_weights": np.array([0.3, 0.7], "float32"),
                      "weight_sample": np.float32(0.4),
                      "chain_transforms": [[{"layer_name": name, "transformation": _numpy(
                          getattr(theirs, name).get_random_transformation(IMAGES))} for name in chain]
                          for chain in steps]}
    _close(ours.transform_images(IMAGES, transformation), theirs.transform_images(IMAGES, transformation),
           atol=1e-3)


# Keras 3's eager CLAHE is slow (~25 s a call): one call per case, the batched input in inference with one
# setting, a single image in training with the other.
@pytest.mark.parametrize("kwargs,dtype,data_format,batched", [
    ({"tile_grid_size": (3, 2), "clip_limit": 0.0, "value_range": (0, 1)}, "float32", "channels_first", True),
    ({"tile_grid_size": (2, 3), "clip_limit": 2.0}, "uint8", "channels_last", False),
])
def test_clahe_matches_keras_in_training_and_inference(kwargs, dtype, data_format, batched):
    images = _images(kwargs, dtype)[:2]  # 6x7 images: padded to whole tiles by mirroring
    if data_format == "channels_first":
        images = np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)))
    ours = kerasj.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs, data_format=data_format)
    theirs = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs, data_format=data_format)
    if batched:
        _close(ours(images, training=False), theirs(images, training=False))
    else:
        _close(ours(images[0], training=True), theirs(images[0], training=True))
