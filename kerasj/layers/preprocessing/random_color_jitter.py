"""The RandomColorJitter augmentation layer: brightness, contrast, saturation and hue in one."""
import jax.numpy as jnp

from kerasj.layers.preprocessing.color_augmentation import ColorAugmentation, apply_contrast, check_value_range
from kerasj.layers.preprocessing.random_brightness import RandomBrightness
from kerasj.layers.preprocessing.random_contrast import RandomContrast
from kerasj.layers.preprocessing.random_hue_saturation import RandomHue, RandomSaturation


class RandomColorJitter(ColorAugmentation):
    """Applies, in this order, RandomBrightness, RandomContrast, RandomSaturation and RandomHue (each
    only if its factor is given) while training, with draws from this layer's seed.

    Args:
        value_range: the range of the input values, `(0, 255)` by default, shared by the four steps.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the `factor` argument of each
            step (see those layers), or None to skip it.
        seed, data_format: as usual.

    Output is float in training; with `training=False` the input is returned as is. The transformation
    is a dict with one entry per active step ("brightness", "contrast", "saturation", "hue"), each the
    transformation of that step (Keras 3 draws inside `transform_images` instead and returns None here).

        >>> RandomColorJitter(value_range=(0, 1), brightness_factor=0.2, hue_factor=0.1)(images)
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = check_value_range(self._owner(), value_range, keep_order=True)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        common = {"value_range": value_range, "seed": seed, "data_format": self.data_format}
        self._steps = {}
        if brightness_factor is not None:
            self._steps["brightness"] = RandomBrightness(brightness_factor, **common)
        if contrast_factor is not None:
            self._steps["contrast"] = RandomContrast(contrast_factor, **common)
        if saturation_factor is not None:
            self._steps["saturation"] = RandomSaturation(saturation_factor, **common)
        if hue_factor is not None:
            self._steps["hue"] = RandomHue(hue_factor, **common)

    def get_random_transformation(self, data, training=True, seed=None):
        seed = self._seed(seed)
        transformation = {}
        for name, step in self._steps.items():
            if name == "contrast":  # kerasj's RandomContrast draws inside its call
                transformation[name] = self._draw_contrast(data, step.factor, seed)
            else:
                transformation[name] = step.get_random_transformation(data, training=training, seed=seed)
        return transformation

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images)
        if not training:
            return images
        images = images.astype(self.compute_dtype)
        for name, step in self._steps.items():
            if name == "contrast":
                images = apply_contrast(images, transformation[name], self.value_range, self.data_format)
            else:
                images = step.transform_images(images, transformation[name])
        return images.astype(self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor, "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor}
