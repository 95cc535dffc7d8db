"""The augmentations that work in HSV space: RandomHue and RandomSaturation."""
import jax.numpy as jnp

from kerasj import config
from kerasj.layers.preprocessing.color_augmentation import ColorAugmentation, check_value_range, map_range
from kerasj.layers.preprocessing.image_transform import factor_range
from kerasj.ops import image_color


def _with_hsv_channel(hsv, index, channel, data_format):
    """`hsv` with its channel `index` replaced by `channel` (shape of the image without channel axis)."""
    axis = -1 if data_format == "channels_last" else -3
    planes = [jnp.take(hsv, i, axis=axis) for i in range(3)]
    planes[index] = channel
    return jnp.stack(planes, axis=axis)


class RandomHue(ColorAugmentation):
    """Turns the hue of each image by a random amount while training.

    Each image's hue (in `[0, 1)`, a full turn of the colour wheel) is shifted by `+-f / 2` with `f`
    drawn uniformly in `factor` and the sign drawn with even odds, wrapping around; saturation and value
    are kept.

    Args:
        factor: a number `f` in `[0, 1]` (drawn in `[0, f]`) or a pair `(lower, upper)`.
        value_range: the range of the input values, `(0, 255)` by default.
        data_format, seed: as usual.

    Output is float in training; with `training=False` the input is returned as is. The transformation is
    `{"factor": array of shape (batch,)}`, the signed hue shift.

        >>> RandomHue(0.5, value_range=(0, 1))(images)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        self.value_range = check_value_range(self._owner(), value_range, keep_order=True)

    def get_random_transformation(self, data, training=True, seed=None):
        batch = self._batch_size(data)
        sign = jnp.where(self._draw((batch,), 0.0, 1.0, seed) > 0.5, -1.0, 1.0).astype(self.compute_dtype)
        return {"factor": sign * self._draw((batch,), self.factor[0], self.factor[1], seed) * 0.5}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images)
        if not training:
            return images
        images = map_range(images.astype(self.compute_dtype), self.value_range, (0, 1), self.compute_dtype)
        shift = jnp.asarray(transformation["factor"], images.dtype)[:, None, None]
        hsv = image_color.rgb_to_hsv(images, data_format=self.data_format)
        hue = jnp.take(hsv, 0, axis=-1 if self.data_format == "channels_last" else -3) + shift
        hue = jnp.where(hue > 1.0, hue - 1.0, jnp.where(hue < 0.0, hue + 1.0, hue))
        rgb = image_color.hsv_to_rgb(_with_hsv_channel(hsv, 0, hue, self.data_format), data_format=self.data_format)
        return map_range(jnp.clip(rgb, 0, 1), (0, 1), self.value_range, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomSaturation(ColorAugmentation):
    """Scales the saturation of each image by a random amount while training.

    A number `u` is drawn per image uniformly in `factor` and the HSV saturation is multiplied by
    `u / (1 - u)`: `u = 0.5` changes nothing, `u = 0` makes the image gray, `u` near 1 saturates it fully.
    As in Keras 3, the scaled saturation is clipped to `value_range` (not to `[0, 1]`).

    Args:
        factor: a number `f` (drawn in `[-f, f]`, as Keras 3 does; negative draws give gray) or a pair
            `(lower, upper)` within `[-1, 1]`; `(0.5, 0.5)` is a no-op.
        value_range: the range of the input values, `(0, 255)` by default.
        data_format, seed: as usual.

    Output is float in training (integer input is converted; Keras 3 rejects it); with `training=False` the
    input is returned as is. The transformation is `{"factor": array of shape (batch,)}`, the multiplier.

        >>> RandomSaturation((0.2, 0.8), value_range=(0, 1))(images)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, -1, 1, clip_scalar=True, loose_pair=True)
        self.value_range = check_value_range(self._owner(), value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        draw = self._draw((self._batch_size(data),), self.factor[0], self.factor[1], seed)
        return {"factor": draw / (1.0 - draw + config.epsilon())}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images)
        if not training:
            return images
        images = images.astype(self.compute_dtype)
        scale = jnp.asarray(transformation["factor"], images.dtype)[:, None, None]
        hsv = image_color.rgb_to_hsv(images, data_format=self.data_format)
        saturation = jnp.take(hsv, 1, axis=-1 if self.data_format == "channels_last" else -3) * scale
        saturation = jnp.clip(saturation, self.value_range[0], self.value_range[1])
        return image_color.hsv_to_rgb(_with_hsv_channel(hsv, 1, saturation, self.data_format),
                                      data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
