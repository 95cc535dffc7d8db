"""Bounding boxes through the image augmentation layers against Keras 3 (JAX backend): a transformation
drawn by the Keras layer, converted to numpy, moves the boxes of both layers alike, in several box formats
and both data formats; degenerate factors (the draw is then fixed) give the same dict outputs through
`__call__`; layers that leave boxes alone return them as Keras does. (Keras's get_config imports
TensorFlow, ~10 s: configs are compared in the image parity tests, not here.)"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

RNG = np.random.default_rng(0)
HEIGHT, WIDTH = 8, 10
IMAGES = RNG.uniform(0, 255, size=(3, HEIGHT, WIDTH, 3)).astype(np.float32)
IMAGES_CF = np.transpose(IMAGES, (0, 3, 1, 2)).copy()


def xyxy_boxes():
    """(3, 3, 4) boxes inside the image, each of positive area."""
    x = np.sort(RNG.uniform(0, WIDTH, size=(3, 3, 2)), axis=-1)
    y = np.sort(RNG.uniform(0, HEIGHT, size=(3, 3, 2)), axis=-1)
    return np.stack([x[..., 0], y[..., 0], x[..., 1] + 0.5, y[..., 1] + 0.5], axis=-1).clip(0, [WIDTH, HEIGHT] * 2)


BOXES = xyxy_boxes().astype(np.float32)
LABELS = RNG.integers(0, 5, size=(3, 3)).astype(np.int32)


def in_format(boxes, fmt):
    return np.asarray(keras.utils.bounding_boxes.convert_format(boxes, "xyxy", fmt, height=HEIGHT, width=WIDTH))


def from_format(boxes, fmt):
    return np.asarray(keras.utils.bounding_boxes.convert_format(boxes, fmt, "xyxy", height=HEIGHT, width=WIDTH))


def to_numpy(transformation):
    if isinstance(transformation, dict):
        return {key: to_numpy(value) for key, value in transformation.items()}
    if transformation is None or isinstance(transformation, (int, tuple)):
        return transformation
    return np.asarray(transformation)


def assert_boxes_equal(got, expected, fmt):
    scale = 1.0 if fmt.startswith("rel") else max(HEIGHT, WIDTH)
    np.testing.assert_allclose(np.asarray(got["boxes"]), np.asarray(expected["boxes"]), rtol=1e-5,
                               atol=1e-5 * scale)
    np.testing.assert_array_equal(np.asarray(got["labels"]), np.asarray(expected["labels"]))


# (layer, kwargs, box formats): the Keras layer draws, both move the boxes. Each layer sees every format
# once; factors are large enough that boxes leave the image.
CASES = [
    ("RandomFlip", dict(mode="horizontal"), ("xyxy", "center_xywh")),
    ("RandomFlip", dict(mode="vertical", data_format="channels_first"), ("rel_xyxy",)),
    ("RandomFlip", dict(mode="horizontal_and_vertical"), ("xywh",)),
    ("RandomTranslation", dict(height_factor=0.5, width_factor=(-0.6, 0.4)), ("xyxy", "rel_xyxy")),
    ("RandomTranslation", dict(height_factor=(0.3, 0.6), width_factor=0.2, data_format="channels_first"),
     ("xywh", "center_xywh")),
    ("RandomZoom", dict(height_factor=(-0.5, 0.5)), ("xyxy", "xywh")),
    ("RandomZoom", dict(height_factor=(-0.6, -0.2), width_factor=(0.1, 0.5), data_format="channels_first"),
     ("rel_xyxy", "center_xywh")),
]
FORMAT_CASES = [(name, kwargs, fmt) for name, kwargs, formats in CASES for fmt in formats]


@pytest.mark.parametrize("name,kwargs,fmt", FORMAT_CASES,
                         ids=[f"{n}-{'-'.join(map(str, k.values()))}-{f}" for n, k, f in FORMAT_CASES])
def test_keras_transformation_moves_boxes_alike(name, kwargs, fmt):
    theirs = getattr(keras.layers, name)(bounding_box_format=fmt, seed=1, **kwargs)
    ours = getattr(kerasj.layers, name)(bounding_box_format=fmt, **kwargs)
    images = IMAGES_CF if kwargs.get("data_format") == "channels_first" else IMAGES
    transformation = theirs.get_random_transformation(images, training=True)
    if name == "RandomFlip":  # both outcomes in one batch
        transformation["flips"] = np.array([True, False, True]).reshape(3, 1, 1, 1)
    boxes = in_format(BOXES, fmt)
    expected = theirs.transform_bounding_boxes({"boxes": boxes, "labels": LABELS}, transformation, training=True)
    got = ours.transform_bounding_boxes({"boxes": boxes, "labels": LABELS}, to_numpy(transformation),
                                        training=True)
    assert_boxes_equal(got, expected, fmt)
    assert got["boxes"].dtype == np.float32
    assert not np.allclose(got["boxes"], boxes)


@pytest.mark.parametrize("data_format,fmt", [("channels_last", "xyxy"), ("channels_first", "rel_xyxy"),
                                             ("channels_last", "xywh"), ("channels_first", "center_xywh")])
def test_rotation_moves_boxes_like_keras_does_xyxy_boxes(data_format, fmt):
    # Keras 3.15 reads the boxes as xyxy whatever the format (a bug for the others): it is the oracle on
    # xyxy boxes, converted to and from `fmt` around it.
    theirs = keras.layers.RandomRotation(0.3, bounding_box_format="xyxy", data_format=data_format, seed=1)
    ours = kerasj.layers.RandomRotation(0.3, bounding_box_format=fmt, data_format=data_format)
    images = IMAGES_CF if data_format == "channels_first" else IMAGES
    transformation = theirs.get_random_transformation(images, training=True)
    expected = theirs.transform_bounding_boxes({"boxes": BOXES, "labels": LABELS}, transformation)
    expected = {**expected, "boxes": in_format(np.asarray(expected["boxes"]), fmt)}
    got = ours.transform_bounding_boxes({"boxes": in_format(BOXES, fmt), "labels": LABELS},
                                        to_numpy(transformation))
    assert_boxes_equal(got, expected, fmt)
    assert np.any(np.asarray(got["labels"]) == -1) or not np.allclose(got["boxes"], in_format(BOXES, fmt))


# Degenerate factors: the draw cannot differ, so the whole dict call must agree (images, boxes, labels).
# Batched only: each new image shape compiles Keras's eager warp anew (single images are a batch of one in
# kerasj, tested in tests/layers/test_preprocessing_bounding_boxes.py).
CALL_CASES = [
    ("RandomRotation", dict(factor=(0.15, 0.15), fill_mode="constant"), "xyxy"),
    ("RandomTranslation", dict(height_factor=(0.25, 0.25), width_factor=(-0.4, -0.4)), "xywh"),
    ("RandomZoom", dict(height_factor=(-0.3, -0.3), width_factor=(0.2, 0.2)), "center_xywh"),
]


@pytest.mark.parametrize("name,kwargs,fmt", CALL_CASES, ids=[f"{c[0]}-{c[2]}" for c in CALL_CASES])
def test_dict_call_with_a_fixed_draw_matches_keras(name, kwargs, fmt):
    images, boxes, labels = IMAGES, in_format(BOXES, fmt), LABELS

    def data():  # Keras writes into the dict it is given
        return {"images": images, "labels": labels, "bounding_boxes": {"boxes": boxes, "labels": labels}}

    expected = getattr(keras.layers, name)(bounding_box_format=fmt, seed=1, **kwargs)(data(), training=True)
    got = getattr(kerasj.layers, name)(bounding_box_format=fmt, seed=1, **kwargs)(data(), training=True)
    np.testing.assert_allclose(got["images"], expected["images"], rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(got["labels"], expected["labels"])
    assert got["bounding_boxes"]["boxes"].shape == boxes.shape
    assert_boxes_equal(got["bounding_boxes"], expected["bounding_boxes"], fmt)
    assert not np.allclose(got["bounding_boxes"]["boxes"], boxes)


@pytest.fixture(scope="module")
def rand_augment_pair():
    """Keras's RandAugment and a transformation with its own draws for the geometric operations (the colour
    ones leave boxes alone and are not drawn: eager Keras draws cost seconds)."""
    theirs = keras.layers.RandAugment(num_ops=2, factor=0.5, bounding_box_format="xyxy", seed=1)
    order = kerasj.layers.preprocessing.augmentation_policies.RAND_AUGMENT_OPS
    transforms = {name: None for name in order}
    for name in ("random_shear", "random_translation", "random_rotation"):
        transforms[name] = to_numpy(getattr(theirs, name).get_random_transformation(IMAGES, training=True))
    ours = kerasj.layers.RandAugment(num_ops=2, factor=0.5, bounding_box_format="xyxy")
    return theirs, ours, transforms, order


@pytest.mark.parametrize("names", [("random_shear", "random_rotation"), ("random_translation", "random_contrast"),
                                   ("random_rotation", "random_shear")])
def test_rand_augment_moves_boxes_through_the_chosen_keras_operations(rand_augment_pair, names):
    theirs, ours, transforms, order = rand_augment_pair
    transformation = {"transforms": transforms, "layer_idxes": np.array([order.index(n) for n in names], "int32")}
    # The oracle: Keras's own operation layers applied in the chosen order.
    expected = {"boxes": BOXES, "labels": LABELS}
    for name in names:
        expected = getattr(theirs, name).transform_bounding_boxes(dict(expected), transforms[name])
    got = ours.transform_bounding_boxes({"boxes": BOXES, "labels": LABELS}, transformation)
    assert_boxes_equal(got, expected, "xyxy")
    assert not np.allclose(got["boxes"], BOXES)
    if list(transformation["layer_idxes"]) == sorted(transformation["layer_idxes"]):
        # Chosen in the order of Keras's list of operations: Keras's RandAugment agrees (see its docstring).
        assert_boxes_equal(got, theirs.transform_bounding_boxes({"boxes": BOXES, "labels": LABELS},
                                                                transformation), "xyxy")


@pytest.mark.parametrize("fmt", ["xywh", "rel_xyxy"])
def test_contrast_leaves_boxes_as_keras_does(fmt):
    boxes = in_format(BOXES, fmt)

    def data():
        return {"images": IMAGES, "bounding_boxes": {"boxes": boxes, "labels": LABELS}}

    expected = keras.layers.RandomContrast(0.5, bounding_box_format=fmt, seed=1)(data(), training=True)
    got = kerasj.layers.RandomContrast(0.5, bounding_box_format=fmt, seed=1)(data(), training=True)
    assert_boxes_equal(got["bounding_boxes"], expected["bounding_boxes"], fmt)
    np.testing.assert_allclose(got["bounding_boxes"]["boxes"], boxes)
    assert not np.allclose(got["images"], IMAGES)  # the images did change


def test_aug_mix_leaves_boxes_as_keras_does():
    # (An eager AugMix call compiles for seconds in both libraries; the split API shows the same.)
    kwargs = dict(num_chains=2, chain_depth=1, bounding_box_format="xywh")
    theirs, ours = keras.layers.AugMix(**kwargs), kerasj.layers.AugMix(**kwargs)
    boxes = {"boxes": in_format(BOXES, "xywh"), "labels": LABELS}
    expected = theirs.transform_bounding_boxes(dict(boxes), None, training=True)
    assert_boxes_equal(ours.transform_bounding_boxes(dict(boxes), None, training=True), expected, "xywh")
