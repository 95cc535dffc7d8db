"""The augmentations that blend images with their grayscale version: RandomGrayscale and
RandomColorDegeneration."""
import jax.numpy as jnp

from kerasj.layers.preprocessing.color_augmentation import ColorAugmentation, check_value_range, grayscale
from kerasj.layers.preprocessing.image_transform import factor_range, is_number


class RandomGrayscale(ColorAugmentation):
    """Turns each image into grayscale with probability `factor` while training, keeping its channels
    (all equal to the luma, ITU-R 601 weights).

    Args:
        factor: probability in `[0, 1]` (default 0.5).
        data_format: "channels_last" or "channels_first".
        seed: int or None.

    The dtype is kept (integer luma is truncated, as in Keras). As in Keras, the transformation is a
    boolean array of shape `(batch, 1, 1, 1)` (not a dict): True where the image turns gray.

        >>> RandomGrayscale(factor=1.0)(images)   # every image gray
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not is_number(factor) or not 0 <= factor <= 1:
            raise ValueError(f"{self._owner()}: `factor` must be a number in [0, 1]; received factor={factor!r}")
        self.factor = factor

    def get_random_transformation(self, data, training=True, seed=None):
        shape = self._per_image_shape(data)
        return self._draw(shape[:1], 0.0, 1.0, seed).reshape(shape[:1] + (1, 1, 1)) < self.factor

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images)
        if not training:
            return images
        return jnp.where(jnp.asarray(transformation), grayscale(images, self.data_format), images)

    def get_config(self):
        config = super().get_config()
        del config["seed"]  # Keras 3 leaves it out of the config too
        return {**config, "factor": self.factor}


class RandomColorDegeneration(ColorAugmentation):
    """Moves each image towards (or, with a negative factor, away from) its grayscale version by a random
    amount while training: `x + f * (gray(x) - x)`, clipped to `value_range`, one `f` per image drawn
    uniformly in `factor`.

    Args:
        factor: a number `f` in `[-1, 1]` (drawn in `[-|f|, |f|]`) or a pair `(lower, upper)`; 1 is fully
            gray, 0 unchanged.
        value_range: the range of the input values, `(0, 255)` by default.
        data_format, seed: as usual.

    Output is float in training; with `training=False` the input is returned as is. The transformation is
    `{"factor": array of shape (batch, 1, 1, 1)}`.

        >>> RandomColorDegeneration((0.5, 0.5))(images)   # halfway to gray
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, -1, 1, clip_scalar=True, loose_pair=True)
        self.value_range = check_value_range(self._owner(), value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        shape = self._per_image_shape(data)
        return {"factor": self._draw(shape[:1] + (1, 1, 1), self.factor[0], self.factor[1], seed)}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images)
        if not training:
            return images
        images = images.astype(self.compute_dtype)
        factor = jnp.asarray(transformation["factor"], self.compute_dtype)
        out = images + factor * (grayscale(images, self.data_format) - images)
        return jnp.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
