"""Bounding boxes through RandomFlip, RandomRotation, RandomTranslation, RandomZoom, RandomContrast and the
policies on their own: the box maths against hand-computed boxes, boxes following the pixels they frame
inside one compiled function, inference leaving boxes alone, single images as a batch of one, and the
layers that refuse boxes."""
import jax
import numpy as np
import pytest

import kerasj
from kerasj import layers

H, W = 8, 10
BOXES = np.array([[[2.0, 1.0, 6.0, 4.0], [7.0, 5.0, 9.0, 8.0]]] * 4, np.float32)  # xyxy, 2 per image
LABELS = np.array([[1, 2]] * 4, np.int32)


def marked_images():
    """Zero images with the first box painted 255 (its pixels: columns 2..5, rows 1..3)."""
    images = np.zeros((4, H, W, 1), np.float32)
    images[:, 1:4, 2:6] = 255.0
    return images


def data(images=None, boxes=BOXES, labels=LABELS):
    images = marked_images() if images is None else images
    return {"images": images, "labels": labels, "bounding_boxes": {"boxes": boxes, "labels": labels}}


def moved(layer, boxes=BOXES):
    """The layer's boxes for one draw, through the split API (the image warp is compiled elsewhere)."""
    transformation = layer.get_random_transformation(marked_images(), training=True)
    return layer.transform_bounding_boxes({"boxes": boxes, "labels": LABELS}, transformation, training=True)


def painted_box(image):
    """xyxy extent of the painted pixels of one image."""
    rows, cols = np.nonzero(image[..., 0] > 127)
    return [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]


# -- the maths, with draws fixed by degenerate factors ---------------------------------------------------
def test_translation_shifts_boxes_by_whole_pixels_and_drops_the_ones_pushed_out():
    layer = layers.RandomTranslation((0.25, 0.25), (0.5, 0.5), bounding_box_format="xyxy")  # 2 down, 5 right
    out = moved(layer)
    expected = np.clip(BOXES + [5, 2, 5, 2], 0, [W, H, W, H])
    np.testing.assert_allclose(out["boxes"], expected, atol=1e-5)
    np.testing.assert_array_equal(out["labels"], [[1, -1]] * 4)  # the second box is now [10, 7, 10, 8]


def test_half_turn_maps_boxes_through_the_image_centre():
    # Keras turns boxes about ((W - 1) / 2, (H - 1) / 2), the centre of the pixel grid, as the pixels turn.
    out = moved(layers.RandomRotation((0.5, 0.5), bounding_box_format="xyxy"))
    x1, y1, x2, y2 = np.moveaxis(BOXES, -1, 0)
    expected = np.stack([W - 1 - x2, H - 1 - y2, W - 1 - x1, H - 1 - y1], axis=-1).clip(0, [W, H, W, H])
    np.testing.assert_allclose(out["boxes"], expected, atol=1e-4)
    np.testing.assert_array_equal(out["labels"], LABELS)


def test_zoom_scales_boxes_about_the_centre_in_their_own_format():
    zx, zy = 0.5, 0.8  # zoom in: boxes grow by 1/z about the centre
    layer = layers.RandomZoom((zy - 1, zy - 1), (zx - 1, zx - 1), bounding_box_format="rel_xyxy")
    relative = BOXES / [W, H, W, H]
    out = moved(layer, relative)
    cx, cy = (W - 1) / 2, (H - 1) / 2
    x1, y1, x2, y2 = np.moveaxis(BOXES, -1, 0)
    expected = np.stack([(x1 - cx) / zx + cx, (y1 - cy) / zy + cy, (x2 - cx) / zx + cx, (y2 - cy) / zy + cy], -1)
    np.testing.assert_allclose(out["boxes"], np.clip(expected, 0, [W, H, W, H]) / [W, H, W, H], atol=1e-5)


@pytest.mark.parametrize("mode,expected", [
    ("horizontal", [[W - 6, 1, W - 2, 4], [W - 9, 5, W - 7, 8]]),
    ("vertical", [[2, H - 4, 6, H - 1], [7, H - 8, 9, H - 5]]),
    ("horizontal_and_vertical", [[W - 6, H - 4, W - 2, H - 1], [W - 9, H - 8, W - 7, H - 5]]),
])
def test_flip_mirrors_the_boxes_of_the_flipped_images_only(mode, expected):
    layer = layers.RandomFlip(mode, bounding_box_format="center_xywh")
    centered = kerasj.utils.bounding_boxes.convert_format(BOXES[:2], "xyxy", "center_xywh")
    flips = np.array([True, False]).reshape(2, 1, 1, 1)
    out = layer.transform_bounding_boxes({"boxes": centered, "labels": LABELS[:2]},
                                         {"flips": flips, "input_shape": (2, H, W, 1)})
    xyxy = kerasj.utils.bounding_boxes.convert_format(out["boxes"], "center_xywh", "xyxy")
    np.testing.assert_allclose(xyxy, [expected, BOXES[1]], atol=1e-5)


# -- dispatch -------------------------------------------------------------------------------------------
INFERENCE_LAYERS = [
    lambda: layers.RandomFlip(bounding_box_format="xyxy"),
    lambda: layers.RandomRotation(0.3, bounding_box_format="xyxy"),
    lambda: layers.RandomTranslation(0.3, 0.3, bounding_box_format="xyxy"),
    lambda: layers.RandomZoom(0.3, bounding_box_format="xyxy"),
    lambda: layers.RandomContrast(0.3, bounding_box_format="xyxy"),
    lambda: layers.RandAugment(bounding_box_format="xyxy"),
    lambda: layers.AugMix(bounding_box_format="xyxy"),
]


@pytest.mark.parametrize("make", INFERENCE_LAYERS, ids=lambda make: type(make()).__name__)
def test_inference_leaves_boxes_and_labels_unchanged(make):
    out = make()(data(), training=False)
    np.testing.assert_array_equal(out["bounding_boxes"]["boxes"], BOXES)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], LABELS)
    np.testing.assert_array_equal(out["labels"], LABELS)


def test_a_single_image_is_a_batch_of_one():
    layer = layers.RandomFlip("horizontal_and_vertical", seed=1, bounding_box_format="xywh")
    boxes = np.asarray(kerasj.utils.bounding_boxes.convert_format(BOXES[0], "xyxy", "xywh"))
    step = kerasj.function(lambda single: layer(single, training=True))
    outcomes = set()
    for _ in range(4):
        out = step({"images": marked_images()[0], "bounding_boxes": {"boxes": boxes, "labels": LABELS[0]}})
        assert out["images"].shape == (H, W, 1) and out["bounding_boxes"]["boxes"].shape == (2, 4)
        xyxy = kerasj.utils.bounding_boxes.convert_format(out["bounding_boxes"]["boxes"][:1], "xywh", "xyxy")
        np.testing.assert_allclose(xyxy[0], painted_box(np.asarray(out["images"])), atol=1e-4)
        np.testing.assert_array_equal(out["bounding_boxes"]["labels"], LABELS[0])
        outcomes.add(bool(np.allclose(out["bounding_boxes"]["boxes"], boxes)))
    assert outcomes == {True, False}


def test_boxes_follow_their_pixels_through_a_compiled_pipeline():
    fmt = {"bounding_box_format": "xyxy"}
    pipeline = layers.Pipeline([
        layers.RandomFlip("horizontal", seed=4, **fmt),
        layers.RandomZoom(0.0, **fmt),  # the identity, compiled all the same (rotation: in the RandAugment test)
        layers.RandomTranslation((0.25, 0.25), (-0.2, -0.2), fill_mode="constant", interpolation="nearest", **fmt),
        layers.RandomContrast((0.0, 0.0), **fmt),
    ])
    step = kerasj.function(lambda batch: pipeline(batch, training=True))
    outputs = [step(data()) for _ in range(2)]
    assert step.trace_count == 1
    flipped = []
    for out in outputs:
        boxes = np.asarray(out["bounding_boxes"]["boxes"])
        for image, box in zip(np.asarray(out["images"]), boxes[:, 0]):
            np.testing.assert_allclose(box, painted_box(image), atol=1e-4)
        flipped += list(boxes[:, 0, 0] != BOXES[0, 0, 0] - 2)
    assert 0 < sum(flipped) < len(flipped)  # both outcomes seen: the draws differ per image and per call


def test_rand_augment_compiled_boxes_match_the_eager_ones():
    layer = layers.RandAugment(num_ops=3, factor=0.5, bounding_box_format="xyxy", seed=2)
    order = kerasj.layers.preprocessing.augmentation_policies.RAND_AUGMENT_OPS
    # Only the geometric operations' draws matter to boxes (drawing all eleven eagerly takes seconds).
    transforms = {name: None for name in order}
    for name in ("random_rotation", "random_shear"):
        transforms[name] = getattr(layer, name).get_random_transformation(marked_images(), seed=3)
    chosen = [order.index(name) for name in ("random_rotation", "solarization", "random_shear")]
    transformation = {"transforms": transforms, "layer_idxes": np.array(chosen, "int32")}
    boxes = {"boxes": BOXES, "labels": LABELS}
    eager = layer.transform_bounding_boxes(boxes, transformation)
    traced = jax.jit(layer.transform_bounding_boxes)(boxes, transformation)
    np.testing.assert_allclose(traced["boxes"], eager["boxes"], rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(traced["labels"], eager["labels"])
    assert not np.allclose(eager["boxes"], BOXES)
    config = layer.get_config()
    assert config["bounding_box_format"] == "xyxy" == type(layer).from_config(config).random_shear.bounding_box_format


@pytest.mark.parametrize("make", [lambda: layers.RandomElasticTransform(bounding_box_format="xyxy", name="e"),
                                  lambda: layers.CutMix(bounding_box_format="xyxy", name="e")],
                         ids=["RandomElasticTransform", "CutMix"])
def test_layers_that_cannot_move_boxes_refuse_them_like_keras(make):
    layer = make()
    match = rf"{type(layer).__name__} 'e'.*'bounding_boxes'"
    with pytest.raises(NotImplementedError, match=match):  # in inference too, as Keras
        layer(data(), training=False)
    # (Through a training call the error comes after the images are warped: seconds of eager compiling.)
    with pytest.raises(NotImplementedError, match=match):
        layer.transform_bounding_boxes({"boxes": BOXES, "labels": LABELS}, None, training=True)
