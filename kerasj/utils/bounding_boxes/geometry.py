"""Moving boxes with their image: clipping to the image, cropping, padding and affine transforms (the box
side of the image augmentation layers). All take and return `xyxy` boxes, as Keras's do, but
`warp_bounding_boxes`, which keeps the boxes' own format.

    >>> crop(np.array([[10, 20, 50, 60]]), top=10, left=20, height=40, width=30)
    Array([[ 0, 10, 30, 40]], dtype=int32)
"""
import math

import jax
import jax.numpy as jnp

from kerasj.utils.bounding_boxes.formats import box_array, convert_format


def _only_xyxy(bounding_box_format, function, allowed=("xyxy",)):
    if bounding_box_format not in allowed:
        raise NotImplementedError(f"{function}() supports bounding_box_format in {allowed} only; received "
                                  f"bounding_box_format={bounding_box_format!r}. Convert the boxes with "
                                  "keras.utils.bounding_boxes.convert_format first.")


def _clip_xyxy(boxes, x_max, y_max):
    x1, y1, x2, y2 = jnp.split(boxes, 4, axis=-1)
    return jnp.concatenate([jnp.clip(x1, 0, x_max), jnp.clip(y1, 0, y_max), jnp.clip(x2, 0, x_max),
                            jnp.clip(y2, 0, y_max)], axis=-1)


def _shift(boxes, dx, dy):
    # Coordinate by coordinate, so that the result's dtype follows the usual promotion of boxes and offsets.
    x1, y1, x2, y2 = jnp.split(boxes, 4, axis=-1)
    return jnp.concatenate([x1 + dx, y1 + dy, x2 + dx, y2 + dy], axis=-1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clip boxes to the image; boxes left with no area get the label -1 (no box).

    Args:
        bounding_boxes: a dict with `"boxes"` (`(N, 4)` or `(batch, N, 4)`) and optionally `"labels"`
            (`(N,)` or `(batch, N)`).
        height: the image height (required for `"xyxy"`).
        width: the image width (required for `"xyxy"`).
        bounding_box_format: `"xyxy"` (pixels, clipped to `[0, width] x [0, height]`) or `"rel_xyxy"`
            (clipped to `[0, 1]`).

    Returns:
        A new dict with the clipped `"boxes"` and, when given, the updated `"labels"`.

    >>> clip_to_image_size({"boxes": np.array([[-10, -20, 150, 160], [50, 40, 70, 80]]),
    ...                     "labels": np.array([0, 1])}, height=100, width=120)["boxes"]
    Array([[  0,   0, 120, 100],
           [ 50,  40,  70,  80]], dtype=int32)
    """
    _only_xyxy(bounding_box_format, "clip_to_image_size", ("xyxy", "rel_xyxy"))
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise ValueError("clip_to_image_size() expects `bounding_boxes` to be a dict with a 'boxes' entry. "
                         f"Received: bounding_boxes={bounding_boxes!r}")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = box_array(bounding_boxes["boxes"], "bounding_boxes['boxes']")
    if bounding_box_format == "rel_xyxy":
        height = width = 1.0
    boxes = _clip_xyxy(boxes, jnp.asarray(width, boxes.dtype), jnp.asarray(height, boxes.dtype))
    result = dict(bounding_boxes, boxes=boxes)
    if bounding_boxes.get("labels") is not None:
        area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
        result["labels"] = jnp.where(area > 0, jnp.asarray(bounding_boxes["labels"]), -1)
    return result


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Boxes in the frame of the crop of `height x width` pixels whose top-left corner is `(left, top)`:
    shifted by `(-left, -top)` and clipped to the crop (`None` for `height` or `width` clips below only).

    >>> crop(np.array([[10, 20, 50, 60], [70, 80, 100, 120]]), top=10, left=20, height=40, width=30)
    Array([[ 0, 10, 30, 40],
           [30, 40, 30, 40]], dtype=int32)
    """
    _only_xyxy(bounding_box_format, "crop")
    return _clip_xyxy(_shift(box_array(boxes), -left, -top), width, height)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Boxes in the frame of an image padded by `top` rows above and `left` columns on the left: shifted by
    `(left, top)`. `height` and `width` (the padded size) are accepted for Keras's signature and not needed.

    >>> pad(np.array([[10, 20, 30, 40]]), top=5, left=2)
    Array([[12, 25, 32, 45]], dtype=int32)
    """
    _only_xyxy(bounding_box_format, "pad")
    return _shift(box_array(boxes), left, top)


def _inverse_affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale, shear_x, shear_y, height,
                           width):
    """The `[batch, 2, 3]` matrices that map an input pixel to its place in the transformed image (the
    inverse of the matrix the image layers sample with, which maps output pixels to input pixels)."""
    rad = math.pi / 180.0
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    rot, sx, sy = -angle * rad, -shear_x * rad, -shear_y * rad
    # The rotation-with-shear matrix [[a, b], [c, d]] has determinant 1, so its inverse is [[d, -b], [-c, a]].
    a = jnp.cos(rot - sy) / jnp.cos(sy)
    b = a * jnp.tan(sx) + jnp.sin(rot)
    c = -jnp.sin(rot - sy) / jnp.cos(sy)
    d = jnp.cos(rot) - c * jnp.tan(sx)
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    return jnp.stack([jnp.stack([a0, a1, a2], -1), jnp.stack([b0, b1, b2], -1)], axis=-2)


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height, width, center_x=None,
                     center_y=None, bounding_box_format="xyxy"):
    """Move batched boxes with their images through a rotation, translation, scaling and shear (the
    transform `RandomRotation`, `RandomTranslation`, `RandomZoom` and `RandomShear` apply), returning the
    axis-aligned boxes around the moved corners.

    Args:
        boxes: `(batch, N, 4)` boxes in pixels.
        angle: `(batch,)` rotation angles in degrees.
        translate_x: `(batch,)` horizontal translations, as fractions of the width.
        translate_y: `(batch,)` vertical translations, as fractions of the height.
        scale: `(batch,)` scale factors.
        shear_x: `(batch,)` shear angles along x, in degrees.
        shear_y: `(batch,)` shear angles along y, in degrees.
        height: the image height.
        width: the image width.
        center_x: the transform's center as a fraction of the width (default 0.5).
        center_y: the transform's center as a fraction of the height (default 0.5).
        bounding_box_format: must be `"xyxy"`.

    Returns:
        The `(batch, N, 4)` transformed boxes, in the dtype of `angle` (float32 for Python numbers).

    >>> affine_transform(np.array([[[0.0, 0.0, 10.0, 10.0]]]), angle=np.zeros(1), translate_x=np.full(1, 0.1),
    ...                  translate_y=np.zeros(1), scale=np.ones(1), shear_x=np.zeros(1), shear_y=np.zeros(1),
    ...                  height=11, width=11)   # one pixel right: [[[1., 0., 11., 10.]]]
    """
    _only_xyxy(bounding_box_format, "affine_transform")
    angle = jnp.asarray(angle)
    dtype = angle.dtype if jnp.issubdtype(angle.dtype, jnp.floating) else jnp.float32
    params = [jnp.asarray(p, dtype) for p in (angle, translate_x, translate_y, scale, shear_x, shear_y)]
    boxes = box_array(boxes).astype(dtype)
    if boxes.ndim != 3:
        raise ValueError(f"affine_transform() expects batched boxes of shape (batch, N, 4); received "
                         f"boxes.shape={tuple(boxes.shape)}")
    center_x = 0.5 if center_x is None else center_x
    center_y = 0.5 if center_y is None else center_y
    matrix = _inverse_affine_matrix(center_x, center_y, *params, height, width)  # [batch, 2, 3]
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    # The four corners of each box, as homogeneous points [x, y, 1]: [batch, N, 4, 3].
    corners = jnp.stack([jnp.stack([x1, y1], -1), jnp.stack([x2, y1], -1), jnp.stack([x2, y2], -1),
                         jnp.stack([x1, y2], -1)], axis=-2)
    corners = jnp.concatenate([corners, jnp.ones(corners.shape[:-1] + (1,), dtype)], axis=-1)
    moved = jnp.einsum("bnkj,bij->bnki", corners, matrix)
    return jnp.concatenate([jnp.min(moved, axis=2), jnp.max(moved, axis=2)], axis=-1)



def _inverse_sampling_matrices(transforms):
    """`(batch, 2, 3)` maps from input to output points for `ops.image.affine_transform`'s `(batch, 8)`
    transforms, which map output points to the input points they sample."""
    t = jnp.reshape(jnp.asarray(transforms, "float32"), (-1, 8))
    a0, a1, a2, b0, b1, b2 = (t[:, i] for i in range(6))
    det = a0 * b1 - a1 * b0
    rows = [jnp.stack([b1, -a1, a1 * b2 - b1 * a2], -1), jnp.stack([-b0, a0, b0 * a2 - a0 * b2], -1)]
    return jnp.stack(rows, axis=1) / det[:, None, None]


def warp_bounding_boxes(bounding_boxes, transforms, height, width, bounding_box_format="xyxy"):
    """Boxes that follow their images through `kerasj.ops.image.affine_transform(images, transforms)` (the
    warp of RandomRotation, RandomTranslation, RandomZoom): each box's 4 corners are mapped to where the
    warp puts them, the axis-aligned box around them is clipped to the image, and boxes left with no area
    get the label -1.

    Args:
        bounding_boxes: a dict with `"boxes"` `(batch, N, 4)` and `"labels"` `(batch, N)`.
        transforms: `(batch, 8)` projective transforms `[a0, a1, a2, b0, b1, b2, 0, 0]` of the images, each
            mapping an output point `(x, y)` to the input point `(a0 x + a1 y + a2, b0 x + b1 y + b2)`.
        height: the image height.
        width: the image width.
        bounding_box_format: the format of the boxes, kept in the result.

    Returns:
        A new dict with the moved float32 `"boxes"` and the updated `"labels"`.

    >>> shift = np.array([[1.0, 0.0, -2.0, 0.0, 1.0, 0.0, 0.0, 0.0]])   # content moves 2 pixels right
    >>> warp_bounding_boxes({"boxes": np.array([[[1.0, 1.0, 4.0, 3.0]]]), "labels": np.array([[0]])}, shift,
    ...                     height=5, width=5)["boxes"]   # [[[3., 1., 5., 3.]]]
    """
    boxes = convert_format(bounding_boxes, bounding_box_format, "xyxy", height, width)
    boxes = _warp_xyxy(boxes, jnp.asarray(transforms, "float32"), height, width)
    return convert_format(boxes, "xyxy", bounding_box_format, height, width)


@jax.jit
def _warp_xyxy(bounding_boxes, transforms, height, width):
    # Compiled as one program: run eagerly, its few dozen small ops each compiled on first use (seconds).
    inverse = _inverse_sampling_matrices(transforms)
    x1, y1, x2, y2 = (bounding_boxes["boxes"][..., i] for i in range(4))
    xs = jnp.stack([x1, x2, x2, x1], axis=-1)  # [batch, N, 4 corners]
    ys = jnp.stack([y1, y1, y2, y2], axis=-1)
    m = inverse[:, None]  # [batch, 1, 2, 3]: one map for all the boxes of an image
    mapped_x = m[..., 0, 0:1] * xs + m[..., 0, 1:2] * ys + m[..., 0, 2:3]
    mapped_y = m[..., 1, 0:1] * xs + m[..., 1, 1:2] * ys + m[..., 1, 2:3]
    enclosing = jnp.stack([mapped_x.min(-1), mapped_y.min(-1), mapped_x.max(-1), mapped_y.max(-1)], axis=-1)
    return clip_to_image_size({**bounding_boxes, "boxes": enclosing}, height, width)
