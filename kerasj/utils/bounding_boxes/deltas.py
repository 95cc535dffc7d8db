"""Boxes as offsets from anchor boxes, the regression targets of anchor-based detectors (RetinaNet, SSD).

With anchor and box in a center format (`center_yxhw` by default), the deltas are

    d_center = (box_center - anchor_center) / anchor_size,    d_size = log(box_size / anchor_size)

each divided by `variance` when one is given; decoding inverts this.

    >>> anchors = np.array([[0.0, 0.0, 10.0, 10.0]])
    >>> deltas = encode_box_to_deltas(anchors, np.array([[1.0, 1.0, 11.0, 11.0]]), "xyxy", "xyxy")
    >>> decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy")   # [[1., 1., 11., 11.]]
"""
import jax.numpy as jnp

from kerasj import config
from kerasj.utils.bounding_boxes.formats import convert_format, image_height_width

_CENTER_FORMATS = ("center_xywh", "center_yxhw")


def _variance(variance):
    if variance is None:
        return None
    variance = jnp.asarray(variance, "float32")
    if variance.ndim == 0 or variance.shape[-1] != 4:
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return variance


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format, encoding_format="center_yxhw", variance=None,
                         image_shape=None):
    """Encode `boxes` as deltas from `anchors` (see the module docstring for the formula).

    Args:
        anchors: `(N, 4)` anchor boxes.
        boxes: `(N, 4)` or `(batch, N, 4)` boxes to encode.
        anchor_format: the format of `anchors` (`"xyxy"`, `"xywh"`, ...).
        box_format: the format of `boxes`.
        encoding_format: the center format the deltas are taken in, `"center_yxhw"` (default) or
            `"center_xywh"`; it also orders the 4 deltas.
        variance: optional 4 numbers the deltas are divided by.
        image_shape: `(height, width, channels)`, needed when a format is relative.

    Returns:
        The deltas, shaped like `boxes`.
    """
    variance = _variance(variance)
    if encoding_format not in _CENTER_FORMATS:
        raise ValueError(f"`encoding_format` should be one of 'center_xywh' or 'center_yxhw', got "
                         f"{encoding_format}")
    height, width = image_height_width(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height=height, width=width)
    boxes = convert_format(boxes, box_format, encoding_format, height=height, width=width)
    # Sizes are floored at epsilon so that degenerate (zero-size) boxes give finite deltas.
    anchor_size = jnp.maximum(anchors[..., 2:], config.epsilon())
    box_size = jnp.maximum(boxes[..., 2:], config.epsilon())
    deltas = jnp.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size, jnp.log(box_size / anchor_size)],
                             axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format, encoded_format="center_yxhw",
                           variance=None, image_shape=None):
    """Boxes in `box_format` from deltas relative to `anchors` (the inverse of `encode_box_to_deltas`).

    Args:
        anchors: `(N, 4)` anchor boxes, or a dict of them per feature level.
        boxes_delta: `(N, 4)` or `(batch, N, 4)` deltas, or a dict with the same keys as `anchors`.
        anchor_format: the format of `anchors`.
        box_format: the format of the returned boxes.
        encoded_format: the center format the deltas were taken in (`"center_yxhw"` by default).
        variance: optional 4 numbers the deltas are multiplied by first.
        image_shape: `(height, width, channels)`, needed when a format is relative.

    Returns:
        The decoded boxes, or a dict of them per level for dict inputs.
    """
    variance = _variance(variance)
    if encoded_format not in _CENTER_FORMATS:
        raise ValueError(f"`encoded_format` should be 'center_xywh' or 'center_yxhw', but got '{encoded_format}'.")
    height, width = image_height_width(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height=height, width=width)
        delta = jnp.asarray(delta)
        if variance is not None:
            delta = delta * variance
        boxes = jnp.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                                 jnp.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(boxes, encoded_format, box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
