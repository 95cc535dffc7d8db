"""The RandomContrast augmentation layer."""
import jax.numpy as jnp

from kerasj.layers.preprocessing.image_transform import RandomImageLayer, factor_range, image_axes, is_number


class RandomContrast(RandomImageLayer):
    """Scales each image's contrast by a random factor while training.

    Every channel `x` of an image becomes `(x - mean) * c + mean`, with `mean` the channel's mean over the
    image and one `c` per image drawn uniformly in `[1 - lower, 1 + upper]`; the result is clipped to
    `value_range`.

    Args:
        factor: a pair `(lower, upper)`, or a number `f` which (as in Keras 3) means `(0, f)`, so that
            `c` is drawn in `[1, 1 + f]`. Values are in `[0, 1]`.
        value_range: `(low, high)`, the range of the input pixel values (default `(0, 255)`).
        seed: int or None.

    With `training=False` the input is returned unchanged (integer images keep their dtype); in training
    the output is float. Dict inputs: labels, segmentation masks and bounding boxes pass through unchanged
    (contrast moves no pixel), as in Keras.

        >>> RandomContrast((0.5, 0.5), value_range=(0, 1))(images, training=True)   # c in [0.5, 1.5]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(is_number(v) for v in value_range) or value_range[0] >= value_range[1]):
            raise ValueError(f"{self._owner()}: `value_range` must be a pair of numbers (low, high) with "
                             f"low < high; received value_range={value_range!r}")
        self.value_range = value_range

    def call(self, inputs, training=True):
        if not training:
            if isinstance(inputs, dict):  # checked and dispatched as usual, the images given back uncast
                return {**super().call(inputs, training=False), "images": inputs["images"]}
            self._check_images(inputs)
            return inputs
        return super().call(inputs, training=True)

    def _augment(self, images, batch_size):
        contrast = self._uniform((batch_size, 1, 1, 1), 1.0 - self.factor[0], 1.0 + self.factor[1])
        mean = jnp.mean(images, axis=image_axes(self.data_format), keepdims=True)
        return jnp.clip((images - mean) * contrast + mean, self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks  # contrast changes pixel values, not where the classes are (as in Keras)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes  # nor where the objects are (as in Keras, boxes are not even converted)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
