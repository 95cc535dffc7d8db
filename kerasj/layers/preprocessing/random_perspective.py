"""The RandomPerspective augmentation layer."""
import jax
import jax.numpy as jnp

from kerasj.layers.preprocessing.image_transform import WARP_INTERPOLATIONS, WarpImageLayer, factor_range, is_number
from kerasj.ops import image_geometry
from kerasj.utils.argument_validation import check_choice
from kerasj.utils.bounding_boxes import clip_to_image_size, convert_format


class RandomPerspective(WarpImageLayer):
    """Applies a random perspective warp to images while training.

    Each corner `c` of an image moves to `c + c * d`, with the 2 components of `d` drawn uniformly in
    `[-scale / 2, scale / 2]` (so the top-left corner stays put), and the image is warped by the
    projective map between the old and new corners. Each image is warped with probability `q`, drawn
    uniformly in the `factor` range; pixels from outside the input get `fill_value`.

    Args:
        factor: a number `f` (q in `[0, f]`) or a pair, in [0, 1]. Default 1.0 (q in [0, 1]).
        scale: the strength of the corner moves, in [0, 1]. Default 1.0.
        interpolation: "bilinear" (default) or "nearest".
        fill_value: the value of pixels from outside the input.
        seed: int or None. data_format: "channels_last" (default) or "channels_first".

    The transformation is Keras's `{"apply_perspective", "start_points", "end_points", "input_shape"}`.
    Dict inputs: labels pass through, segmentation masks are warped with "nearest", bounding boxes (with
    `bounding_box_format`) become the boxes around their warped corners, clipped to the image (Keras 3.15
    returns them in "xyxy" whatever the format; kerasj in the layer's format). Inactive (a cast to
    the compute dtype) with `training=False`.

        >>> RandomPerspective(factor=1.0, scale=0.3, seed=0)(images, training=True)
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        if not is_number(scale) or not 0 <= scale <= 1:
            raise ValueError(f"{self._owner()}: `scale` must be a number in [0, 1]; received scale={scale!r}")
        self.scale = scale
        self.interpolation = check_choice(self._owner(), "interpolation", interpolation, WARP_INTERPOLATIONS)
        if not is_number(fill_value):
            raise ValueError(f"{self._owner()}: `fill_value` must be a number; received fill_value={fill_value!r}")
        self.fill_value = fill_value

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        batch_size, dtype = self._batch_size(data), self.compute_dtype
        height, width = self._size(images)
        prob_key, threshold_key, corner_key = self._keys(seed, 3)
        probability = jax.random.uniform(prob_key, (batch_size,), "float32", self.factor[0], self.factor[1])
        apply = jax.random.uniform(threshold_key, (batch_size,), "float32") < probability
        moves = jax.random.uniform(corner_key, (batch_size, 4, 2), dtype, -0.5 * self.scale, 0.5 * self.scale)
        corners = jnp.asarray([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]], dtype)
        start = jnp.broadcast_to(corners, (batch_size, 4, 2))
        return {"apply_perspective": apply, "start_points": start, "end_points": start + start * moves,
                "input_shape": tuple(images.shape)}

    def _warp(self, images, transformation, interpolation):
        warped = image_geometry.perspective_transform(
            images, jnp.asarray(transformation["start_points"]), jnp.asarray(transformation["end_points"]),
            interpolation=interpolation, fill_value=self.fill_value, data_format=self.data_format)
        return jnp.where(jnp.asarray(transformation["apply_perspective"])[:, None, None, None], warped, images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._size(jnp.zeros(transformation["input_shape"], "int8"))
        boxes = convert_format(bounding_boxes, self.bounding_box_format, "xyxy", height, width, self.compute_dtype)
        x0, y0, x1, y1 = (boxes["boxes"][..., i] for i in range(4))
        # The homography maps output points to input points; boxes go the other way, through its inverse.
        coeffs = image_geometry.compute_homography_matrix(jnp.asarray(transformation["start_points"], "float32"),
                                                          jnp.asarray(transformation["end_points"], "float32"))
        forward = jnp.linalg.inv(jnp.concatenate([coeffs, jnp.ones_like(coeffs[:, :1])], 1).reshape(-1, 3, 3))
        corners = jnp.stack([jnp.stack([x, y, jnp.ones_like(x)], -1) for x, y in
                             ((x0, y0), (x1, y1), (x0, y1), (x1, y0))], axis=-2)  # (batch, n, 4, 3)
        moved = jnp.einsum("bij,bnkj->bnki", forward.astype(corners.dtype), corners)
        xs, ys = moved[..., 0] / moved[..., 2], moved[..., 1] / moved[..., 2]
        warped = jnp.stack([xs.min(-1), ys.min(-1), xs.max(-1), ys.max(-1)], axis=-1)
        apply = jnp.asarray(transformation["apply_perspective"])[:, None, None]
        boxes = clip_to_image_size({**boxes, "boxes": jnp.where(apply, warped, boxes["boxes"])}, height, width)
        return convert_format(boxes, "xyxy", self.bounding_box_format, height, width, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}
