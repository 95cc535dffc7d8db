"""Augmentations that remap each pixel value on its own: RandomInvert, Solarization and
RandomPosterization."""
import jax.numpy as jnp

from kerasj import random
from kerasj.layers.preprocessing.color_augmentation import CAST, ColorAugmentation, check_value_range, map_range
from kerasj.layers.preprocessing.image_transform import factor_range, is_number


class RandomInvert(ColorAugmentation):
    """Inverts each image (`high - x`, with `high = value_range[1]`) with a random probability while
    training: per image a probability `p` is drawn uniformly in `factor`, and the image is inverted if a
    uniform draw falls below it.

    Args:
        factor: a number `f` in `[0, 1]` (`p` drawn in `[0, f]`) or a pair; default 1.0.
        value_range: the range of the input values, `(0, 255)` by default.
        seed, data_format: as usual.

    Output is float in training; with `training=False` the input is returned as is. The transformation is
    `{"apply_inversion": bool array (batch,)}`.

        >>> RandomInvert(factor=(1.0, 1.0), value_range=(0, 1))(images)   # always 1 - x
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 0, 1, clip_scalar=True, loose_pair=True)
        self.value_range = check_value_range(self._owner(), value_range, keep_order=True)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = self._batch_size(data)
        probability = self._draw((batch,), self.factor[0], self.factor[1], seed)
        return {"apply_inversion": self._draw((batch,), 0.0, 1.0, seed) < probability}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images)
        if not training:
            return images
        images = images.astype(self.compute_dtype)
        apply = jnp.asarray(transformation["apply_inversion"]).reshape(-1, 1, 1, 1)
        return jnp.where(apply, self.value_range[1] - images, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


def _unit_factor(owner, name, factor):
    """Solarization's factors: a number `f` in [0, 1] gives (0, f); a pair in [0, 1] is sorted."""
    pair = tuple(factor) if isinstance(factor, (tuple, list)) else (0, factor)
    if len(pair) != 2 or not all(is_number(f) and 0 <= f <= 1 for f in pair):
        raise ValueError(f"{owner}: `{name}` must be a number or a pair of numbers in [0, 1]; "
                         f"received {name}={factor!r}")
    return tuple(sorted(pair))


class Solarization(ColorAugmentation):
    """Solarizes images while training: on the 0-255 scale, each image gets a random brightness offset
    (clipped to [0, 255]), then every value at or above a random threshold is inverted (`255 - x`).

    Args:
        addition_factor: a number `f` in `[0, 1]` or a pair; the offset is drawn per image uniformly in
            `[lower, upper * 255]` (only the upper end is scaled, as Keras 3 does). Default 0.
        threshold_factor: the same for the threshold; default 0 (threshold 0: everything inverted).
        value_range: the range of the input values, `(0, 255)` by default.
        seed: int or None.

    The output is float, also with `training=False` (then the input cast, as in Keras). The
    transformation is `{"additions": ..., "thresholds": ...}`, each of shape `(batch, 1, 1, 1)`.

        >>> Solarization(threshold_factor=(0.5, 0.5))(images)   # values >= 127.5 inverted
    """

    _INFERENCE = CAST

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = _unit_factor(self._owner(), "addition_factor", addition_factor)
        self.threshold_factor = _unit_factor(self._owner(), "threshold_factor", threshold_factor)
        self.value_range = check_value_range(self._owner(), value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._per_image_shape(data)
        additions = self._draw(shape, self.addition_factor[0], self.addition_factor[1] * 255, seed)
        thresholds = self._draw(shape, self.threshold_factor[0], self.threshold_factor[1] * 255, seed)
        return {"additions": additions, "thresholds": thresholds}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        dtype = self.compute_dtype
        x = map_range(images, self.value_range, (0, 255), dtype)
        x = jnp.clip(x + jnp.asarray(transformation["additions"], dtype), 0, 255)
        x = jnp.where(x < jnp.asarray(transformation["thresholds"], dtype), x, 255 - x)
        return map_range(x, (0, 255), self.value_range, dtype)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor}


class RandomPosterization(ColorAugmentation):
    """Reduces each image to `b` bits per channel while training (on the 0-255 scale, the lowest `8 - b`
    bits are cleared), with `b` drawn per image as an integer in `[lower, upper)` (or `lower` when both
    are equal, as in Keras 3).

    Args:
        factor: an int `b` in `[1, 8]` (drawn in `[1, b)`) or a pair `(lower, upper)`.
        value_range: the range of the input values, `(0, 255)` by default.
        data_format, seed: as usual.

    Output is float in training; with `training=False` the input is returned as is. The transformation is
    `{"shift_factor": uint8 array (batch,)}`, the number of bits cleared.

        >>> RandomPosterization((4, 4))(images)   # 16 levels per channel
    """

    _MAX_BITS = 8

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, 1, self._MAX_BITS, clip_scalar=True,
                                   loose_pair=True)
        self.value_range = check_value_range(self._owner(), value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        batch = self._batch_size(data)
        low, high = (int(f) for f in self.factor)
        if low != high:
            bits = random.randint((batch,), low, high, dtype="uint8", seed=self._seed(seed))
        else:
            bits = jnp.full((batch,), low, dtype="uint8")
        return {"shift_factor": (self._MAX_BITS - bits).astype("uint8")}

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images)
        if not training:
            return images
        dtype = self.compute_dtype
        shift = jnp.asarray(transformation["shift_factor"]).astype("uint8").reshape(-1, 1, 1, 1)
        levels = map_range(images.astype(dtype), self.value_range, (0, 255), dtype).astype("uint8")
        levels = jnp.left_shift(jnp.right_shift(levels, shift), shift)
        return map_range(levels.astype(dtype), (0, 255), self.value_range, dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
