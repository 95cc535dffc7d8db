"""The RandomTranslation augmentation layer."""
from kerasj.layers.preprocessing.image_transform import AffineImageLayer, centered_affine, factor_range


class RandomTranslation(AffineImageLayer):
    """Shifts each image by a random offset while training.

    Args:
        height_factor: a number `f` or a pair `(lower, upper)`, each in `[-1, 1]`, as a fraction of the
            height: the vertical shift is drawn uniformly in `[-f, f] * height` (or `[lower, upper] *
            height`) pixels; positive moves the content down.
        width_factor: the same for the horizontal shift (positive moves the content right).
        fill_mode: "reflect" (default), "wrap", "constant" (with `fill_value`) or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: int or None. fill_value: the value of "constant" filling.
        data_format: "channels_last" (default) or "channels_first".

    Inactive (a cast to the compute dtype) with `training=False`.

        >>> RandomTranslation(0.1, 0.1, fill_mode="constant")(images, training=True)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = factor_range(self._owner(), "height_factor", height_factor, -1, 1)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = factor_range(self._owner(), "width_factor", width_factor, -1, 1)

    def _transforms(self, batch_size, height, width):
        shift_y = self._uniform((batch_size,), self.height_lower, self.height_upper) * height
        shift_x = self._uniform((batch_size,), self.width_lower, self.width_upper) * width
        return centered_affine(height, width, shift_x=shift_x, shift_y=shift_y)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
