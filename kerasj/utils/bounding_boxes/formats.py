"""Bounding-box formats and the conversion between them (`keras.utils.bounding_boxes.convert_format`).

A box is four numbers along the last axis. The absolute formats, in pixels:

    xyxy         [left, top, right, bottom]
    yxyx         [top, left, bottom, right]
    xywh         [left, top, width, height]
    center_xywh  [center_x, center_y, width, height]
    center_yxhw  [center_y, center_x, height, width]

and the relative ones, `rel_xyxy`, `rel_yxyx`, `rel_xywh`, `rel_center_xywh`, whose x values are fractions of
the image width and y values fractions of its height. Every conversion goes through `xyxy`.

    >>> convert_format([[10, 20, 30, 40]], source="xyxy", target="center_xywh")
    Array([[20., 30., 20., 20.]], dtype=float32)
"""
import jax.numpy as jnp
import numpy as np

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx", "rel_xywh",
                     "rel_center_xywh")


def _to_xyxy(base, boxes):
    a, b, c, d = jnp.split(boxes, 4, axis=-1)
    if base == "xyxy":
        return boxes
    if base == "yxyx":
        x1, y1, x2, y2 = b, a, d, c
    elif base == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif base == "center_xywh":
        x1, y1, x2, y2 = a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0
    else:  # center_yxhw
        x1, y1, x2, y2 = b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0
    return jnp.concatenate([x1, y1, x2, y2], axis=-1)


def _from_xyxy(base, boxes):
    x1, y1, x2, y2 = jnp.split(boxes, 4, axis=-1)
    w, h = x2 - x1, y2 - y1
    if base == "xyxy":
        return boxes
    if base == "yxyx":
        parts = [y1, x1, y2, x2]
    elif base == "xywh":
        parts = [x1, y1, w, h]
    elif base == "center_xywh":
        parts = [x1 + w / 2.0, y1 + h / 2.0, w, h]
    else:  # center_yxhw
        parts = [y1 + h / 2.0, x1 + w / 2.0, h, w]
    return jnp.concatenate(parts, axis=-1)


def _check_format(value, argument):
    if not isinstance(value, str) or value.lower() not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}. "
                         f"Received: {argument}={value!r}")
    return value.lower()


def box_array(boxes, argument="boxes"):
    """`boxes` (a list, NumPy or JAX array) as a JAX array whose last axis holds the 4 coordinates."""
    boxes = jnp.asarray(boxes)
    if boxes.ndim == 0 or boxes.shape[-1] != 4:
        raise ValueError(f"`{argument}` must be a tensor with the last dimension of 4. "
                         f"Received: {argument}.shape={tuple(boxes.shape)}")
    return boxes


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Convert bounding boxes from the `source` format to the `target` format (names are case-insensitive).

    Args:
        boxes: boxes with 4 coordinates on the last axis (`(N, 4)`, `(batch, N, 4)`, ...), or a dict whose
            `"boxes"` entry holds them (the other entries, e.g. `"labels"`, are kept).
        source: the format of `boxes`, one of `SUPPORTED_FORMATS`.
        target: the format to return.
        height: the image height; required when exactly one of the formats is relative.
        width: the image width; required likewise.
        dtype: the dtype of the result (default `"float32"`).

    Returns:
        The converted boxes (a JAX array), or for a dict input a new dict with the converted `"boxes"`.

    >>> convert_format(np.array([[10, 20, 30, 40]]), source="xyxy", target="rel_xyxy", height=200, width=300)
    Array([[0.03333334, 0.1       , 0.1       , 0.2       ]], dtype=float32)
    """
    if isinstance(boxes, dict):
        # A new dict: Keras writes the converted boxes into the caller's dict, which surprises callers that
        # keep the original.
        return {**boxes, "boxes": convert_format(boxes["boxes"], source, target, height, width, dtype)}
    boxes = box_array(boxes)
    source, target = _check_format(source, "source"), _check_format(target, "target")
    if (source.startswith("rel_") or target.startswith("rel_")) and (width is None or height is None):
        raise ValueError("convert_format() must receive `height` and `width` when transforming between relative "
                         f"and absolute formats. convert_format() received source=`{source}`, "
                         f"target=`{target}`, but height={height} and width={width}.")
    boxes = boxes.astype(dtype)
    if source == target:
        return boxes
    source_relative, target_relative = source.startswith("rel_"), target.startswith("rel_")
    xyxy = _to_xyxy(source.removeprefix("rel_"), boxes)
    if source_relative != target_relative:
        size = jnp.stack([jnp.asarray(width, boxes.dtype), jnp.asarray(height, boxes.dtype)] * 2, axis=-1)
        xyxy = xyxy * size if source_relative else xyxy / size
    return _from_xyxy(target.removeprefix("rel_"), xyxy)


def is_relative(bounding_box_format):
    """Whether `bounding_box_format` names a relative format (`"rel_..."`)."""
    return "rel" in str(bounding_box_format)


def image_height_width(image_shape):
    """`(height, width)` from an image shape `(height, width, channels)`, or `(None, None)` for None."""
    if image_shape is None:
        return None, None
    shape = tuple(np.asarray(image_shape).tolist()) if not isinstance(image_shape, (tuple, list)) else image_shape
    if len(shape) != 3:
        raise ValueError(f"`image_shape` must be (height, width, channels); received image_shape={image_shape!r}")
    return shape[0], shape[1]
