"""The RandomBrightness augmentation layer."""
import jax.numpy as jnp

from kerasj.layers.preprocessing.color_augmentation import ColorAugmentation, check_value_range
from kerasj.layers.preprocessing.image_transform import factor_range, saturate_cast


class RandomBrightness(ColorAugmentation):
    """Adds a random brightness offset to each image while training.

    One offset `delta * (high - low)` per image, with `delta` drawn uniformly in `factor` and
    `(low, high) = value_range`, is added to every pixel and channel; the result is clipped to
    `value_range`. A delta of -1 makes an image black, +1 white.

    Args:
        factor: a number `f` in `[-1, 1]` (delta drawn in `[-|f|, |f|]`) or a pair `(lower, upper)`.
        value_range: the range of the input values, `(0, 255)` by default.
        seed: int or None.

    Integer images stay integer (the sum is rounded and saturated back into the dtype; Keras 3 instead
    truncates the offset and wraps around on overflow). With `training=False` the input is returned as is.
    The transformation is `{"rgb_delta": array of shape (batch, 1, 1, 1)}`.

        >>> layer = RandomBrightness(0.2, value_range=(0, 1), seed=0)
        >>> layer(images)    # each image shifted by up to +-0.2
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, -1, 1, clip_scalar=True, loose_pair=True)
        self.value_range = check_value_range(self._owner(), value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        shape = self._per_image_shape(data)
        if not training:
            return {"rgb_delta": jnp.zeros(shape, self.compute_dtype)}
        delta = self._draw(shape, self.factor[0], self.factor[1], seed)
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images)
        if not training:
            return images
        dtype = images.dtype if jnp.issubdtype(images.dtype, jnp.floating) else self.compute_dtype
        out = jnp.clip(images.astype(dtype) + jnp.asarray(transformation["rgb_delta"], dtype),
                       self.value_range[0], self.value_range[1])
        return out if jnp.issubdtype(images.dtype, jnp.floating) else saturate_cast(out, images.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
