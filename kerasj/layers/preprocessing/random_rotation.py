"""The RandomRotation augmentation layer."""
from kerasj.layers.preprocessing.image_transform import AffineImageLayer, centered_affine, factor_range


class RandomRotation(AffineImageLayer):
    """Rotates each image by a random angle about its centre while training.

    Args:
        factor: a fraction of a full turn: a number `f` draws angles uniformly in `[-f, f] * 360` degrees,
            a pair `(lower, upper)` in `[lower, upper] * 360` degrees. A positive angle turns the picture
            counter-clockwise. Values must lie in `[-1, 1]`.
        fill_mode: how points outside the image are filled: "reflect" (default), "wrap", "constant"
            (with `fill_value`) or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: int or None. fill_value: the value of "constant" filling.
        data_format: "channels_last" (default) or "channels_first".

    Inactive (a cast to the compute dtype) with `training=False`.

        >>> RandomRotation(0.1, fill_mode="constant")(images, training=True)   # within +-36 degrees
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, -1, 1, loose_pair=True)

    def _transforms(self, batch_size, height, width):
        angle = self._uniform((batch_size,), self.factor[0] * 360.0, self.factor[1] * 360.0)
        return centered_affine(height, width, angle=angle)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
