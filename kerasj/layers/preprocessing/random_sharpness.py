"""The RandomSharpness augmentation layer."""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj.layers.preprocessing.color_augmentation import CAST, ColorAugmentation, check_value_range
from kerasj.layers.preprocessing.image_transform import factor_range

# The smoothing filter of PIL's ImageEnhance.Sharpness, which Keras 3 uses too.
_SMOOTH = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], dtype=np.float64) / 13.0


class RandomSharpness(ColorAugmentation):
    """Sharpens or blurs each image by a random amount while training.

    With `s = 2 * f`, `f` drawn per image uniformly in `factor`, the output is
    `x + (1 - s) * (smooth(x) - x)` clipped to `value_range`, where `smooth` is a 3x3 smoothing filter
    (zero padding at the borders): `f = 0.5` leaves the image unchanged, `f = 0` gives the smoothed image,
    `f = 1` sharpens by as much.

    Args:
        factor: a number `f` in `[0, 1]` (drawn in `[0, f]`) or a pair `(lower, upper)`.
        value_range: the range of the input values, `(0, 255)` by default.
        data_format, seed: as usual.

    The output is float, also with `training=False` (then the input cast, as in Keras). The
    transformation is `{"factor": array of shape (batch,)}`.

        >>> RandomSharpness((0.5, 0.5))(images)   # unchanged, as float
    """

    _INFERENCE = CAST

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        self.value_range = check_value_range(self._owner(), value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        return {"factor": self._draw((self._batch_size(data),), self.factor[0], self.factor[1], seed)}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training:
            return images
        first = self.data_format == "channels_first"
        x = jnp.moveaxis(images, 1, -1) if first else images
        channels = x.shape[-1]
        kernel = jnp.tile(jnp.asarray(_SMOOTH, x.dtype)[:, :, None, None], (1, 1, 1, channels))
        smooth = jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                              feature_group_count=channels)
        amount = 1.0 - jnp.asarray(transformation["factor"], x.dtype).reshape(-1, 1, 1, 1) * 2.0
        x = jnp.clip(x + amount * (smooth - x), self.value_range[0], self.value_range[1])
        return jnp.moveaxis(x, -1, 1) if first else x

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
