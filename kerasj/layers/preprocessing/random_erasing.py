"""The RandomErasing augmentation layer."""
import jax
import jax.numpy as jnp

from kerasj.layers.preprocessing.image_transform import (RandomImageLayer, factor_range, is_number,
                                                         random_box_masks, single_channel)


class RandomErasing(RandomImageLayer):
    """Overwrites a random box of each image with noise or a constant while training (Zhong et al., 2017,
    "Random Erasing Data Augmentation").

    Per image, the box is `sqrt(s_w)` of the width by `sqrt(s_h)` of the height with `s_w, s_h` drawn in
    `scale`, placed uniformly; the image is erased with probability `q`, itself drawn uniformly in the
    `factor` range. Erased pixels take `fill_value` (a number, or 3 numbers for RGB channels) or, when it
    is None, Gaussian noise times `value_range[1]`; either way clipped to `value_range`.

    Args:
        factor: a number `f` (q in `[0, f]`) or a pair, in [0, 1]. Default 1.0.
        scale: the range of the box's area factors, in [0, 1] (default `(0.02, 0.33)`).
        fill_value: None (noise), a number or a list of 3 numbers.
        value_range: `(low, high)` of the pixel values (default `(0, 255)`).
        seed: int or None. data_format: "channels_last" (default) or "channels_first".

    The transformation is Keras's `{"apply_erasing", "batch_masks", "fill_value"}`. Labels, segmentation
    masks and bounding boxes pass through. Inactive (a cast to the compute dtype) with `training=False`.

        >>> RandomErasing(factor=1.0, fill_value=0, value_range=(0, 1))(images, training=True)
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        self.scale = factor_range(self._owner(), "scale", scale, 0, 1, clip_scalar=True, loose_pair=True)
        if not (fill_value is None or is_number(fill_value) or (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3 and all(map(is_number, fill_value)))):
            raise ValueError(f"{self._owner()}: `fill_value` must be None, a number or a list of 3 numbers; "
                             f"received fill_value={fill_value!r}")
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(is_number(v) for v in value_range)):
            raise ValueError(f"{self._owner()}: `value_range` must be a pair of numbers (low, high); received "
                             f"value_range={value_range!r}")
        self.fill_value = fill_value
        self.value_range = value_range

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        batch_size, dtype = self._batch_size(data), self.compute_dtype
        height, width = self._size(images)
        shape = (batch_size,) + tuple(images.shape[-3:])
        size_key, x_key, y_key, prob_key, threshold_key, fill_key = self._keys(seed, 6)
        ratios = jnp.sqrt(jax.random.uniform(size_key, (batch_size, 2), dtype, self.scale[0], self.scale[1]))
        masks, _ = random_box_masks((x_key, y_key), height, width, ratios[:, 0], ratios[:, 1], self.data_format,
                                    dtype)
        probability = jax.random.uniform(prob_key, (batch_size,), dtype, self.factor[0], self.factor[1])
        apply = jax.random.uniform(threshold_key, (batch_size,), dtype) < probability
        if self.fill_value is None:
            fill = jax.random.normal(fill_key, shape, dtype) * self.value_range[1]
        else:
            # A list of 3 broadcasts over the last axis, as Keras's full_like does.
            fill = jnp.broadcast_to(jnp.asarray(self.fill_value, dtype), shape)
        fill = jnp.clip(fill, self.value_range[0], self.value_range[1])
        return {"apply_erasing": apply, "batch_masks": masks, "fill_value": fill}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        erase = single_channel(transformation["batch_masks"], self.data_format)
        erase = erase & jnp.asarray(transformation["apply_erasing"])[:, None, None, None]
        return jnp.where(erase, jnp.asarray(transformation["fill_value"], images.dtype), images)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale, "fill_value": self.fill_value,
                "value_range": self.value_range}
