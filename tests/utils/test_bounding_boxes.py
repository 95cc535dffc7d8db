"""kerasj.utils.bounding_boxes compared with keras.utils.bounding_boxes on the same inputs (Keras 3, JAX)."""
import inspect
import itertools

import keras
import numpy as np
import pytest

from kerasj.utils import bounding_boxes as ours

theirs = keras.utils.bounding_boxes
NAMES = ["affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou", "convert_format", "crop",
         "decode_deltas_to_boxes", "encode_box_to_deltas", "pad"]
FORMATS = ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx", "rel_xywh",
           "rel_center_xywh"]
H, W = 40, 60


def _close(a, b, atol=1e-5):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=atol)


@pytest.fixture(scope="module")
def boxes():
    """Valid xyxy boxes, batched (2, 3, 4), inside a 40x60 image."""
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 25, size=(2, 3, 2))
    wh = rng.uniform(2, 20, size=(2, 3, 2))
    return np.concatenate([xy, xy + wh], axis=-1).astype("float32")


def _in_format(xyxy, fmt):
    return np.asarray(keras.utils.bounding_boxes.convert_format(xyxy, "xyxy", fmt, height=H, width=W))


def test_the_nine_names_and_their_signatures_match_keras():
    assert sorted(ours.__all__) == NAMES
    for name in NAMES:
        assert inspect.signature(getattr(ours, name)) == inspect.signature(getattr(theirs, name)), name


@pytest.mark.parametrize("source, target", list(itertools.product(FORMATS, FORMATS)))
def test_convert_format_matches_keras_for_every_pair_of_formats(boxes, source, target):
    x = _in_format(boxes, source)
    got = ours.convert_format(x, source, target, height=H, width=W)
    _close(got, theirs.convert_format(x, source, target, height=H, width=W))
    assert got.dtype == np.float32


def test_convert_format_unbatched_case_insensitive_dtype_and_round_trip(boxes):
    x = boxes[0]
    _close(ours.convert_format(x, "XYXY", "Center_YXHW"), theirs.convert_format(x, "XYXY", "Center_YXHW"))
    assert ours.convert_format(x, "xyxy", "xyxy", dtype="int32").dtype == np.int32
    back = ours.convert_format(ours.convert_format(x, "xyxy", "rel_center_xywh", height=H, width=W),
                               "rel_center_xywh", "xyxy", height=H, width=W)
    _close(back, x)


def test_convert_format_of_a_dict_converts_boxes_and_keeps_the_rest(boxes):
    labels = np.array([[0, 1, 2], [2, 1, 0]])
    given = {"boxes": boxes, "labels": labels}
    got = ours.convert_format(given, "xyxy", "xywh")
    expected = theirs.convert_format({"boxes": boxes, "labels": labels}, "xyxy", "xywh")
    _close(got["boxes"], expected["boxes"])
    np.testing.assert_array_equal(got["labels"], labels)
    assert given["boxes"] is boxes  # the caller's dict is left as it was


def test_convert_format_errors_match_keras():
    with pytest.raises(ValueError, match="last dimension of 4. Received: boxes.shape=\\(2, 3\\)"):
        ours.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    with pytest.raises(ValueError, match="last dimension of 4"):
        theirs.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    for fn in (ours.convert_format, theirs.convert_format):
        with pytest.raises(ValueError, match="Invalid source or target format"):
            fn(np.zeros((1, 4)), "xyxy", "corners")
        with pytest.raises(ValueError, match="must receive `height` and `width`"):
            fn(np.zeros((1, 4)), "xyxy", "rel_xyxy", height=10)
    with pytest.raises(ValueError, match="target='corners'"):
        ours.convert_format(np.zeros((1, 4)), "xyxy", "corners")


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
def test_clip_to_image_size_matches_keras(fmt):
    raw = np.array([[[-10.0, -20.0, 150.0, 160.0], [50.0, 40.0, 70.0, 80.0], [70.0, 5.0, 90.0, 9.0]]] * 2, "float32")
    if fmt == "rel_xyxy":
        raw = raw / 100.0
    labels = np.array([[0, 1, 2]] * 2)
    got = ours.clip_to_image_size({"boxes": raw, "labels": labels}, height=50, width=60, bounding_box_format=fmt)
    expected = theirs.clip_to_image_size({"boxes": raw, "labels": labels}, height=50, width=60,
                                         bounding_box_format=fmt)
    _close(got["boxes"], expected["boxes"])
    np.testing.assert_array_equal(got["labels"], expected["labels"])
    if fmt == "xyxy":
        np.testing.assert_array_equal(got["labels"], [[0, 1, -1]] * 2)  # the third box lies outside: no area left


def test_clip_to_image_size_without_labels_and_errors():
    got = ours.clip_to_image_size({"boxes": np.array([[-1.0, 2.0, 5.0, 99.0]] * 3, "float32")}, height=10, width=4)
    _close(got["boxes"], [[0.0, 2.0, 4.0, 10.0]] * 3)
    assert "labels" not in got
    with pytest.raises(ValueError, match="`height` and `width` must be set"):
        ours.clip_to_image_size({"boxes": np.zeros((3, 4))})
    with pytest.raises(NotImplementedError, match="xywh"):
        ours.clip_to_image_size({"boxes": np.zeros((3, 4))}, 10, 10, bounding_box_format="xywh")
    with pytest.raises(ValueError, match="dict with a 'boxes' entry"):
        ours.clip_to_image_size(np.zeros((3, 4)), 10, 10)


@pytest.mark.parametrize("batched", [False, True])
def test_crop_and_pad_match_keras(boxes, batched):
    x = boxes if batched else boxes[0]
    _close(ours.crop(x, 5, 7, 20, 18), theirs.crop(x, 5, 7, 20, 18))
    _close(ours.crop(x, 5, 7, None, None), theirs.crop(x, 5, 7, None, None))
    _close(ours.pad(x, 3, 4), theirs.pad(x, 3, 4))

def test_crop_and_pad_by_hand_on_integer_boxes():
    ints = np.array([[10, 20, 50, 60], [70, 80, 100, 120], [0, 0, 5, 5]])
    got = ours.crop(ints, top=10, left=20, height=40, width=30)
    np.testing.assert_array_equal(got, [[0, 10, 30, 40], [30, 40, 30, 40], [0, 0, 0, 0]])
    np.testing.assert_array_equal(got, theirs.crop(ints, top=10, left=20, height=40, width=30))
    np.testing.assert_array_equal(ours.pad(ints, 2, 3, 200, 200), [[13, 22, 53, 62], [73, 82, 103, 122], [3, 2, 8, 7]])


def test_geometry_functions_other_than_xyxy_are_not_implemented(boxes):
    for call in (lambda f: f.crop(boxes, 1, 1, 5, 5, bounding_box_format="xywh"),
                 lambda f: f.pad(boxes, 1, 1, bounding_box_format="yxyx")):
        with pytest.raises(NotImplementedError):
            call(theirs)
        with pytest.raises(NotImplementedError):
            call(ours)


def test_affine_transform_matches_keras(boxes):
    rng = np.random.default_rng(3)
    params = dict(angle=rng.uniform(-30, 30, 2), translate_x=rng.uniform(-0.2, 0.2, 2),
                  translate_y=rng.uniform(-0.2, 0.2, 2), scale=rng.uniform(0.8, 1.2, 2),
                  shear_x=rng.uniform(-10, 10, 2), shear_y=rng.uniform(-10, 10, 2))
    params = {k: v.astype("float32") for k, v in params.items()}
    for center in ({}, {"center_x": 0.25, "center_y": 0.75}):
        got = ours.affine_transform(boxes, **params, height=H, width=W, **center)
        _close(got, theirs.affine_transform(boxes, **params, height=H, width=W, **center), atol=1e-3)


def test_affine_transform_by_hand():
    # A quarter turn about the center of an 11x11 image maps the corner box [0, 0, 2, 2] to a corner.
    one, zero = np.ones(2, "float32"), np.zeros(2, "float32")
    corner = np.array([[[0.0, 0.0, 2.0, 2.0]] * 3] * 2, "float32")
    got = ours.affine_transform(corner, 90 * one, zero, zero, one, zero, zero, 11, 11)
    _close(got, [[[0.0, 8.0, 2.0, 10.0]] * 3] * 2, atol=1e-4)


@pytest.mark.parametrize("anchor_format, box_format", [("xyxy", "xyxy"), ("xywh", "center_yxhw"),
                                                       ("rel_xyxy", "yxyx")])
@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_encode_and_decode_deltas_match_keras(boxes, anchor_format, box_format, encoding, variance):
    anchors = _in_format(boxes[1], anchor_format)
    x = _in_format(boxes[:, ::-1], box_format)  # batched boxes, unbatched anchors
    kw = dict(variance=variance, image_shape=(H, W, 3))
    deltas = ours.encode_box_to_deltas(anchors, x, anchor_format, box_format, encoding, **kw)
    _close(deltas, theirs.encode_box_to_deltas(anchors, x, anchor_format, box_format, encoding, **kw))
    decoded = ours.decode_deltas_to_boxes(anchors, deltas, anchor_format, box_format, encoding, **kw)
    _close(decoded, theirs.decode_deltas_to_boxes(anchors, np.asarray(deltas), anchor_format, box_format, encoding,
                                                  **kw), atol=1e-4)
    _close(decoded, x, atol=1e-3)  # decoding inverts encoding


def test_decode_deltas_per_level_dicts_match_keras(boxes):
    anchors = {"p3": boxes[0], "p4": boxes[1]}
    deltas = {"p3": np.full((3, 4), 0.1, "float32"), "p4": np.zeros((3, 4), "float32")}
    got = ours.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xywh")
    expected = theirs.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xywh")
    assert sorted(got) == ["p3", "p4"]
    for level in got:
        _close(got[level], expected[level], atol=1e-4)


def test_delta_argument_errors_match_keras(boxes):
    for fn in (ours, theirs):
        with pytest.raises(ValueError, match="`variance` must be length 4"):
            fn.encode_box_to_deltas(boxes[0], boxes[0], "xyxy", "xyxy", variance=[1.0, 1.0])
        with pytest.raises(ValueError, match="`encoding_format` should be one of"):
            fn.encode_box_to_deltas(boxes[0], boxes[0], "xyxy", "xyxy", encoding_format="xyxy")
        with pytest.raises(ValueError, match="`encoded_format` should be 'center_xywh' or 'center_yxhw'"):
            fn.decode_deltas_to_boxes(boxes[0], boxes[0], "xyxy", "xyxy", encoded_format="xywh")


@pytest.mark.parametrize("fmt, ranks", [(fmt, (3, 3)) for fmt in FORMATS]
                         + [("xyxy", (2, 2)), ("xyxy", (3, 2)), ("yxyx", (2, 3))])
def test_compute_iou_matches_keras_for_every_format_and_rank(boxes, fmt, ranks):
    b1 = _in_format(boxes, fmt)
    b2 = _in_format(boxes[:, ::-1] + 3.0, fmt)
    b1 = b1 if ranks[0] == 3 else b1[0]
    b2 = b2 if ranks[1] == 3 else b2[1]
    kw = {"image_shape": (H, W, 3)} if fmt.startswith("rel") else {}
    got = ours.compute_iou(b1, b2, fmt, **kw)
    _close(got, theirs.compute_iou(b1, b2, fmt, **kw))
    assert got.shape[-2:] == (3, 3)


def test_compute_iou_by_hand_and_with_masking():
    a = np.array([[0.0, 0.0, 10.0, 10.0], [-1.0, -1.0, -1.0, -1.0], [0.0, 0.0, 2.0, 2.0]], "float32")
    b = np.array([[5.0, 0.0, 15.0, 10.0], [0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 3.0, 3.0]], "float32")
    got = np.asarray(ours.compute_iou(a, b, "xyxy"))
    _close(got[[0, 2]], [[50 / 150, 1.0, 4 / 100], [0.0, 4 / 100, 1 / 7]])
    for batched in (False, True):
        x, y = (np.stack([a, a]), np.stack([b, b])) if batched else (a, b)
        got = ours.compute_iou(x, y, "xyxy", use_masking=True, mask_val=-7)
        _close(got, theirs.compute_iou(x, y, "xyxy", use_masking=True, mask_val=-7))
        assert np.all(np.asarray(got)[..., 1, :] == -7)


def test_compute_iou_errors_match_keras(boxes):
    for fn in (ours, theirs):
        with pytest.raises(ValueError, match="expects boxes1 to be batched, or to be unbatched"):
            fn.compute_iou(boxes[0, 0], boxes[0], "xyxy")
        with pytest.raises(ValueError, match="expects boxes2 to be batched, or to be unbatched"):
            fn.compute_iou(boxes[0], boxes[None], "xyxy")
        with pytest.raises(ValueError, match="the `image_shape` argument must be provided"):
            fn.compute_iou(boxes, boxes, "rel_xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw"])
def test_compute_ciou_matches_keras(boxes, fmt):
    b1, b2 = _in_format(boxes, fmt), _in_format(boxes[:, ::-1] + 2.0, fmt)
    got = ours.compute_ciou(b1, b2, fmt)
    assert got.shape == (2, 3)
    _close(got, theirs.compute_ciou(b1, b2, fmt))


def test_compute_ciou_by_hand_and_relative_formats(boxes):
    # Same aspect ratio (v = 0): CIoU = IoU - rho^2 / c^2. Boxes [0,0,2,2] and [1,0,3,2]: IoU = 2/6,
    # centers 1 apart, enclosing box 3x2 (c^2 = 13).
    a = np.array([[0.0, 0.0, 2.0, 2.0]] * 3, "float32")
    got = ours.compute_ciou(a, a + np.array([1.0, 0.0, 1.0, 0.0], "float32"), "xyxy")
    _close(got, [1 / 3 - 1 / 13] * 3)
    with pytest.raises(ValueError, match="`image_shape` argument must be provided"):
        ours.compute_ciou(boxes, boxes, "rel_xyxy")
    rel = _in_format(boxes, "rel_xyxy")
    _close(ours.compute_ciou(rel, rel[:, ::-1], "rel_xyxy", image_shape=(H, W, 3)),
           theirs.compute_ciou(boxes, boxes[:, ::-1], "xyxy"))
