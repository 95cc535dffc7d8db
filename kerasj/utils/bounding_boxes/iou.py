"""Overlap of boxes: the pairwise IoU table (`compute_iou`) and the Complete IoU of paired boxes
(`compute_ciou`, the CIoU loss's similarity).

    IoU(a, b) = area(a ∩ b) / (area(a ∪ b) + eps)
    CIoU(a, b) = IoU - rho² / c² - alpha * v,   v = 4/pi² (atan(w_b/h_b) - atan(w_a/h_a))²,
                 alpha = v / (v - IoU + 1 + eps)

where rho is the distance between the box centers and c the diagonal of the smallest box enclosing both.

    >>> compute_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]]), "xyxy")   # [[0.3333]]
"""
import math

import jax.numpy as jnp

from kerasj import config
from kerasj.utils.bounding_boxes.formats import convert_format, image_height_width, is_relative


def _relative_needs_shape(bounding_box_format, image_shape):
    if is_relative(bounding_box_format) and image_shape is None:
        raise ValueError("When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` argument "
                         f"must be provided. Received `image_shape`: {image_shape}")


def _check_rank(boxes, argument, ranks):
    if boxes.ndim not in (2, 3):
        raise ValueError(f"compute_iou() expects {argument} to be batched, or to be unbatched. Received "
                         f"len(boxes1.shape)={ranks[0]}, len(boxes2.shape)={ranks[1]}. Expected either "
                         f"len({argument}.shape)=2 AND or len({argument}.shape)=3.")


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1, image_shape=None):
    """The IoU of every box of `boxes1` with every box of `boxes2`.

    Args:
        boxes1: `(M, 4)` or `(batch, M, 4)` boxes.
        boxes2: `(N, 4)` or `(batch, N, 4)` boxes.
        bounding_box_format: the format of both (`"xyxy"`, `"yxyx"`, `"rel_xyxy"`, ...).
        use_masking: give pairs with a padding box (all 4 coordinates negative) the value `mask_val`.
        mask_val: the value of masked pairs (default -1).
        image_shape: `(height, width, channels)`, required for relative formats.

    Returns:
        `(M, N)` IoUs for unbatched inputs, `(batch, M, N)` when either is batched.

    >>> compute_iou(np.array([[0, 0, 2, 2]]), np.array([[0, 0, 2, 2], [1, 1, 3, 3]]), "xyxy")
    ... # [[1.0, 0.142857]]
    """
    boxes1, boxes2 = jnp.asarray(boxes1), jnp.asarray(boxes2)
    ranks = (boxes1.ndim, boxes2.ndim)
    _check_rank(boxes1, "boxes1", ranks)
    _check_rank(boxes2, "boxes2", ranks)
    _relative_needs_shape(bounding_box_format, image_shape)
    height, width = image_height_width(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    # Pairs along the last two axes: boxes1 as [..., M, 1], boxes2 as [..., 1, N].
    a, b = boxes1[..., :, None, :], boxes2[..., None, :, :]
    overlap_w = jnp.maximum(0.0, jnp.minimum(a[..., 2], b[..., 2]) - jnp.maximum(a[..., 0], b[..., 0]))
    overlap_h = jnp.maximum(0.0, jnp.minimum(a[..., 3], b[..., 3]) - jnp.maximum(a[..., 1], b[..., 1]))
    intersection = overlap_w * overlap_h
    area = lambda box: (box[..., 2] - box[..., 0]) * (box[..., 3] - box[..., 1])
    union = area(a) + area(b) - intersection
    iou = intersection / (union + config.epsilon())
    if not use_masking:
        return iou
    padding1 = jnp.max(boxes1, axis=-1) < 0.0
    padding2 = jnp.max(boxes2, axis=-1) < 0.0
    masked = padding1[..., :, None] | padding2[..., None, :]
    return jnp.where(masked, jnp.asarray(mask_val, iou.dtype), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """The Complete IoU of each box of `boxes1` with the box at the same place in `boxes2` (shapes
    broadcast), as in the CIoU loss: IoU penalised by the distance of the centers and the difference of
    the aspect ratios (see the module docstring).

    Args:
        boxes1: boxes shaped `(..., 4)`.
        boxes2: boxes shaped `(..., 4)`.
        bounding_box_format: the format of both.
        image_shape: `(height, width, channels)`, required for relative formats.

    Returns:
        The CIoU values, shaped like the boxes without their last axis.

    >>> compute_ciou(np.array([[0.0, 0.0, 2.0, 2.0]]), np.array([[0.0, 0.0, 2.0, 2.0]]), "xyxy")   # [~1.0]
    """
    # Keras refuses relative formats here even with `image_shape`; with it, they convert like any other.
    _relative_needs_shape(bounding_box_format, image_shape)
    height, width = image_height_width(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    eps = config.epsilon()
    x1a, y1a, x2a, y2a = (boxes1[..., i] for i in range(4))
    x1b, y1b, x2b, y2b = (boxes2[..., i] for i in range(4))
    # Heights carry epsilon so that the aspect ratio of a flat box stays finite.
    w_a, h_a = x2a - x1a, y2a - y1a + eps
    w_b, h_b = x2b - x1b, y2b - y1b + eps
    intersection = (jnp.maximum(jnp.minimum(x2a, x2b) - jnp.maximum(x1a, x1b), 0)
                    * jnp.maximum(jnp.minimum(y2a, y2b) - jnp.maximum(y1a, y1b), 0))
    union = w_a * h_a + w_b * h_b - intersection + eps
    iou = intersection / (union + eps)
    enclosing_diagonal = ((jnp.maximum(x2a, x2b) - jnp.minimum(x1a, x1b)) ** 2
                          + (jnp.maximum(y2a, y2b) - jnp.minimum(y1a, y1b)) ** 2 + eps)
    center_distance = ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2
    v = (4 / math.pi ** 2) * (jnp.arctan(w_b / h_b) - jnp.arctan(w_a / h_a)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (center_distance / enclosing_diagonal + v * alpha)
