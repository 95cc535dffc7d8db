"""Geometric and mixing augmentation layers and the geometry ops of `ops.image` against Keras 3 (JAX
backend): a transformation drawn by the Keras layer, converted to numpy, is applied by both layers and the
outputs must agree (the random streams differ, the maths must not); degenerate factors through `__call__`;
signatures and configs; ops on the same inputs."""
import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj
from kerasj import ops

RNG = np.random.default_rng(0)
IMAGES = (RNG.uniform(size=(3, 8, 9, 3)) * 255).astype(np.float32)
IMAGES_CF = np.transpose(IMAGES, (0, 3, 1, 2)).copy()
LABELS = np.eye(3, dtype=np.float32)

# (layer, kwargs): the Keras layer draws the transformation, both apply it.
TRANSFORM_CASES = [
    ("RandomShear", dict(x_factor=0.3, y_factor=(0.1, 0.4))),
    ("RandomShear", dict(x_factor=(0.2, 0.5), fill_mode="constant", fill_value=9.0, interpolation="nearest")),
    ("RandomShear", dict(y_factor=0.5, fill_mode="wrap", data_format="channels_first")),
    ("RandomCrop", dict(height=5, width=4)),
    ("RandomCrop", dict(height=4, width=12)),  # input too narrow: aspect box, then resized
    ("RandomPerspective", dict(scale=0.5, fill_value=3.0)),
    ("RandomPerspective", dict(factor=(0.5, 1.0), scale=0.8, interpolation="nearest",
                               data_format="channels_first")),
    ("RandomErasing", dict(scale=(0.2, 0.6), fill_value=5.0, value_range=(0, 100))),
    ("RandomElasticTransform", dict(scale=(0.8, 0.8), fill_mode="constant", value_range=(0, 100),
                                    interpolation="nearest", data_format="channels_first")),
    ("MixUp", dict(alpha=0.3)),
    ("CutMix", dict(factor=(0.2, 0.9), data_format="channels_first")),
]


def to_numpy(transformation):
    if isinstance(transformation, tuple):  # RandomCrop's (h_start, w_start)
        return tuple(v if isinstance(v, int) else np.asarray(v) for v in transformation)
    out = {}
    for key, value in transformation.items():
        out[key] = value if key == "input_shape" else np.asarray(value)
    if "seed" in out:
        out["seed"] = 7  # Keras holds a SeedGenerator; an int seed gives both sides the same noise
    return out


def images_for(kwargs):
    return IMAGES_CF if kwargs.get("data_format") == "channels_first" else IMAGES


@pytest.mark.parametrize("name,kwargs", TRANSFORM_CASES,
                         ids=[f"{n}-{'-'.join(map(str, k.values()))}" for n, k in TRANSFORM_CASES])
def test_keras_transformation_applied_by_both_gives_the_same_images(name, kwargs):
    theirs = getattr(keras.layers, name)(seed=1, name="p", **kwargs)
    ours = getattr(kerasj.layers, name)(seed=1, name="p", **kwargs)
    x = images_for(kwargs)
    transformation = theirs.get_random_transformation(x, training=True)
    ours_t = to_numpy(transformation)
    if isinstance(transformation, dict) and "seed" in transformation:
        transformation["seed"] = 7
    expected = np.asarray(theirs.transform_images(x, transformation, training=True))
    got = np.asarray(ours.transform_images(x, ours_t, training=True))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)  # pixel values up to 255
    if name not in ("RandomCrop", "MixUp"):  # (MixUp's weights may all sit near 1)
        assert not np.allclose(got, x)
    if name in ("MixUp", "CutMix"):
        np.testing.assert_allclose(ours.transform_labels(LABELS, ours_t),
                                   theirs.transform_labels(LABELS, transformation), rtol=1e-6, atol=1e-7)
    assert ours.get_config() == theirs.get_config()
    assert getattr(kerasj.layers, name).from_config(theirs.get_config()).get_config() == theirs.get_config()


@pytest.mark.parametrize("name,kwargs", [
    ("RandomShear", dict(x_factor=0.2, interpolation="nearest", fill_mode="constant")),
    ("RandomPerspective", dict(scale=0.6)),
    ("RandomCrop", dict(height=5, width=6)),
])
def test_segmentation_masks_follow_the_images_like_keras(name, kwargs):
    masks = RNG.integers(0, 4, size=(3, 8, 9, 1)).astype(np.float32)
    theirs = getattr(keras.layers, name)(seed=1, **kwargs)
    ours = getattr(kerasj.layers, name)(seed=1, **kwargs)
    transformation = theirs.get_random_transformation(IMAGES, training=True)
    expected = np.asarray(theirs.transform_segmentation_masks(masks, transformation, training=True))
    got = np.asarray(ours.transform_segmentation_masks(masks, to_numpy(transformation), training=True))
    np.testing.assert_array_equal(got, expected)
    assert set(np.unique(got)) <= {0.0, 1.0, 2.0, 3.0}  # nearest: no blended class ids


@pytest.mark.parametrize("name,kwargs,fmt", [
    ("RandomShear", dict(x_factor=0.3, y_factor=0.2), "xyxy"),
    ("RandomShear", dict(x_factor=(0.1, 0.4)), "rel_xyxy"),
    ("RandomPerspective", dict(scale=0.5), "xyxy"),
])
def test_bounding_boxes_move_like_keras(name, kwargs, fmt):
    corners = np.sort(RNG.uniform(0, 8, size=(3, 4, 2, 2)).astype(np.float32), axis=2)  # (x1, x2), (y1, y2)
    boxes = corners.transpose(0, 1, 3, 2).reshape(3, 4, 4)
    if fmt == "rel_xyxy":
        boxes = boxes / np.array([9, 8, 9, 8], np.float32)
    labels = RNG.integers(0, 3, size=(3, 4)).astype(np.int32)
    theirs = getattr(keras.layers, name)(bounding_box_format=fmt, seed=1, **kwargs)
    ours = getattr(kerasj.layers, name)(bounding_box_format=fmt, **kwargs)
    transformation = theirs.get_random_transformation(IMAGES, training=True)
    expected = theirs.transform_bounding_boxes({"boxes": boxes, "labels": labels}, transformation)
    got = ours.transform_bounding_boxes({"boxes": boxes, "labels": labels}, to_numpy(transformation))
    np.testing.assert_allclose(got["boxes"], expected["boxes"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got["labels"], expected["labels"])


# Degenerate factors make the draw irrelevant: the two layers must agree through __call__.
@pytest.mark.parametrize("name,kwargs,x", [
    ("RandomCrop", dict(height=8, width=9), IMAGES),  # same size: the identity crop
    ("RandomCrop", dict(height=10, width=6), IMAGES),  # larger than the input: aspect box + resize
    ("RandomCrop", dict(height=8, width=9), IMAGES[0]),
    ("RandomShear", dict(), IMAGES),
    ("RandomPerspective", dict(factor=0.0), IMAGES),
    ("RandomPerspective", dict(scale=0.0), IMAGES[0]),
    ("RandomErasing", dict(factor=0.0), IMAGES),
    ("RandomElasticTransform", dict(scale=0.0), IMAGES),
    ("CutMix", dict(), IMAGES[0]),  # a single image is left alone
    ("MixUp", dict(), np.repeat(IMAGES[:1], 3, axis=0)),  # mixing equal images changes nothing
])
def test_degenerate_factors_through_call_match_keras(name, kwargs, x):
    expected = np.asarray(getattr(keras.layers, name)(seed=2, **kwargs)(x, training=True))
    got = np.asarray(getattr(kerasj.layers, name)(seed=2, **kwargs)(x, training=True))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)


def test_shear_through_call_is_one_of_the_two_signed_shears_keras_allows():
    kwargs = dict(x_factor=(0.25, 0.25), fill_mode="constant")
    theirs = keras.layers.RandomShear(**kwargs)
    both = [np.asarray(theirs.transform_images(IMAGES, {"shear_factor": np.tile([[s * 0.25, 0.0]], (3, 1))}))
            for s in (1.0, -1.0)]
    got = np.asarray(kerasj.layers.RandomShear(seed=0, **kwargs)(IMAGES, training=True))
    for i in range(3):
        assert min(np.abs(got[i] - b[i]).max() for b in both) < 1e-3


def test_random_crop_at_inference_is_the_documented_aspect_crop_and_resize():
    # Keras 3.15 returns the input unchanged here (its docs promise this crop); kerasj follows the docs.
    got = kerasj.layers.RandomCrop(4, 6)(IMAGES, training=False)
    expected = keras.ops.image.resize(IMAGES, (4, 6), crop_to_aspect_ratio=True)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)


ALL_LAYERS = ["RandomCrop", "RandomShear", "RandomPerspective", "RandomErasing", "RandomElasticTransform", "MixUp",
              "CutMix", "Pipeline", "MaxNumBoundingBoxes"]


@pytest.mark.parametrize("name", ALL_LAYERS)
def test_signatures_match_keras(name):
    assert inspect.signature(getattr(kerasj.layers, name)) == inspect.signature(getattr(keras.layers, name))


def test_max_num_bounding_boxes_pads_and_truncates_like_keras():
    boxes = {"boxes": RNG.uniform(0, 8, size=(3, 5, 4)).astype(np.float32),
             "labels": RNG.integers(0, 3, size=(3, 5)).astype(np.int32)}
    for n in (2, 7):
        theirs = keras.layers.MaxNumBoundingBoxes(n, fill_value=-2, bounding_box_format="xyxy")
        ours = kerasj.layers.MaxNumBoundingBoxes(n, fill_value=-2, bounding_box_format="xyxy")
        expected = theirs({"images": IMAGES, "bounding_boxes": dict(boxes)})
        got = ours({"images": IMAGES, "bounding_boxes": dict(boxes)})
        for key in ("boxes", "labels"):
            assert got["bounding_boxes"][key].dtype == expected["bounding_boxes"][key].dtype
            np.testing.assert_array_equal(got["bounding_boxes"][key], expected["bounding_boxes"][key])
        np.testing.assert_array_equal(got["images"], IMAGES)
        assert set(ours.get_config()) == set(theirs.get_config()) | {"fill_value"}  # Keras drops fill_value


def test_pipeline_config_reads_across_and_applies_layers_in_order():
    theirs = keras.layers.Pipeline([keras.layers.RandomCrop(4, 5, seed=1), keras.layers.RandomShear(0.2, seed=3)],
                                   name="pipe")
    ours = kerasj.layers.Pipeline.from_config(theirs.get_config())
    assert ours.get_config() == theirs.get_config()
    assert [type(layer).__name__ for layer in ours.layers] == ["RandomCrop", "RandomShear"]
    x = IMAGES[:, :4, :5]  # the crop is the identity, the shear with no draw (inference) too
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), rtol=1e-6)


# -- ops ------------------------------------------------------------------------------------------------
POINTS = np.array([[0, 0], [8, 0], [0, 7], [8, 7]], np.float32)
OP_CASES = [
    ("perspective_transform", (IMAGES, np.repeat(POINTS[None], 3, 0), POINTS + RNG.normal(size=(3, 4, 2))),
     dict(fill_value=0.5)),
    ("perspective_transform", (IMAGES_CF[0], POINTS, POINTS * 0.8 + 0.5),
     dict(interpolation="nearest", data_format="channels_first")),
    ("elastic_transform", (IMAGES / 255,), dict(alpha=3.0, sigma=1.2, seed=3)),
    ("elastic_transform", (IMAGES_CF[0] / 255,), dict(alpha=2.0, sigma=0.8, seed=5, fill_mode="constant",
                                                      interpolation="nearest", data_format="channels_first")),
    ("scale_and_translate", (IMAGES, (3, 11, 5, 3), np.array([1.5, 0.7], np.float32),
                             np.array([0.5, -1.0], np.float32), (1, 2), "bicubic"), {}),
    ("sobel_edges", (IMAGES,), {}),
    ("sobel_edges", (IMAGES_CF,), dict(data_format="channels_first")),
    ("ssim", (IMAGES / 255, np.clip(IMAGES / 255 + RNG.normal(0, 0.1, IMAGES.shape), 0, 1).astype(np.float32)),
     dict(filter_size=3)),
    ("ssim", (IMAGES_CF[0], IMAGES_CF[1]), dict(max_val=255.0, filter_size=5, filter_sigma=1.0, k1=0.02,
                                                data_format="channels_first")),
    ("extract_patches_3d", (RNG.uniform(size=(4, 6, 6, 2)).astype(np.float32), (2, 3, 3)),
     dict(strides=1, padding="same")),
    ("extract_patches_3d", (RNG.uniform(size=(2, 2, 4, 6, 6)).astype(np.float32), 2),
     dict(strides=(1, 2, 2), dilation_rate=1, data_format="channels_first")),
]


@pytest.mark.parametrize("name,args,kwargs", OP_CASES, ids=[c[0] for c in OP_CASES])
def test_geometry_ops_match_keras(name, args, kwargs):
    expected = np.asarray(getattr(keras.ops.image, name)(*args, **kwargs))
    got = np.asarray(getattr(ops.image, name)(*args, **kwargs))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", ["perspective_transform", "elastic_transform", "scale_and_translate", "sobel_edges",
                                  "ssim", "extract_patches_3d"])
def test_op_signatures_match_keras(name):
    assert inspect.signature(getattr(ops.image, name)) == inspect.signature(getattr(keras.ops.image, name))
