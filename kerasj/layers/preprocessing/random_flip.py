"""The RandomFlip augmentation layer."""
import jax.numpy as jnp

from kerasj import random
from kerasj.layers.preprocessing.image_transform import RandomImageLayer, image_axes
from kerasj.utils.argument_validation import check_choice
from kerasj.utils.bounding_boxes import clip_to_image_size, convert_format

HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL = "horizontal", "vertical", "horizontal_and_vertical"


class RandomFlip(RandomImageLayer):
    """Randomly flips each image left-right and/or top-bottom while training.

    Each image is flipped with probability 1/2. With `mode="horizontal_and_vertical"` (the default) one
    draw per image decides both flips together, exactly as Keras 3 does, so an image is either unchanged or
    turned by 180 degrees. Inactive (a cast to the compute dtype) with `training=False`. Dict inputs: labels
    pass through, segmentation masks flip with their images, bounding boxes (with `bounding_box_format`)
    are mirrored with them, as in Keras.

    Args:
        mode: "horizontal", "vertical" or "horizontal_and_vertical".
        seed: int or None, for the layer's SeedGenerator.
        data_format: "channels_last" (default) or "channels_first".

        >>> layer = RandomFlip("horizontal", seed=0)
        >>> layer(images, training=True)   # about half of the images mirrored
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = check_choice(self._owner(), "mode", mode, (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL))

    def get_random_transformation(self, data, training=True, seed=None):
        """`{"flips": (batch, 1, 1, 1) booleans, "input_shape": shape}`: which images of the batch flip
        (Keras's keys)."""
        if not training:
            return None
        shape = (self._batch_size(data), 1, 1, 1)
        draws = (self._uniform(shape, 0.0, 1.0) if seed is None
                 else random.uniform(shape, dtype=self.compute_dtype, seed=seed))
        return {"flips": draws <= 0.5, "input_shape": tuple(self._images_of(data).shape)}

    def _flip(self, values, transformation, training):
        if not training or transformation is None:
            return values
        h_axis, w_axis = image_axes(self.data_format)
        axes = {HORIZONTAL: (w_axis,), VERTICAL: (h_axis,), HORIZONTAL_AND_VERTICAL: (h_axis, w_axis)}[self.mode]
        return jnp.where(transformation["flips"], jnp.flip(values, axis=axes), values)

    def transform_images(self, images, transformation, training=True):
        return self._flip(jnp.asarray(images).astype(self.compute_dtype), transformation, training)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self._flip(jnp.asarray(segmentation_masks), transformation, training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not training or transformation is None:
            return bounding_boxes
        h_axis, w_axis = image_axes(self.data_format)
        height, width = transformation["input_shape"][h_axis], transformation["input_shape"][w_axis]
        boxes = convert_format(bounding_boxes, self.bounding_box_format, "rel_xyxy", height, width)
        x1, y1, x2, y2 = (boxes["boxes"][..., i] for i in range(4))
        if self.mode != VERTICAL:
            x1, x2 = 1.0 - x2, 1.0 - x1
        if self.mode != HORIZONTAL:
            y1, y2 = 1.0 - y2, 1.0 - y1
        # One flag per image (a single image's transformation has no batch axis), broadcast over its boxes.
        flips = jnp.reshape(jnp.asarray(transformation["flips"]), (-1, 1, 1))
        moved = jnp.where(flips, jnp.stack([x1, y1, x2, y2], axis=-1), boxes["boxes"])
        # Keras clips these relative boxes to [0, width] x [0, height]; the image is [0, 1] x [0, 1] here.
        boxes = clip_to_image_size({**boxes, "boxes": moved}, bounding_box_format="rel_xyxy")
        return convert_format(boxes, "rel_xyxy", self.bounding_box_format, height, width)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
