"""The RandomZoom augmentation layer."""
from kerasj.layers.preprocessing.image_transform import AffineImageLayer, centered_affine, factor_range


class RandomZoom(AffineImageLayer):
    """Zooms each image in or out about its centre by a random amount while training.

    Args:
        height_factor: a number `f` or a pair `(lower, upper)`, each in `(-1, 1]`: the vertical zoom is
            drawn uniformly in `1 + [-f, f]` (or `1 + [lower, upper]`). Positive values zoom out (the
            picture shrinks), negative values zoom in.
        width_factor: the same for the horizontal zoom; None (default) keeps the aspect ratio by using the
            vertical zoom for both.
        fill_mode: "reflect" (default), "wrap", "constant" (with `fill_value`) or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: int or None. fill_value: the value of "constant" filling.
        data_format: "channels_last" (default) or "channels_first".

    Inactive (a cast to the compute dtype) with `training=False`.

        >>> RandomZoom((-0.3, -0.1))(images, training=True)   # zoom in by 10% to 30%
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = factor_range(self._owner(), "height_factor", height_factor, -1, 1,
                                                            low_open=True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = factor_range(self._owner(), "width_factor", width_factor, -1, 1,
                                                              low_open=True)

    def _transforms(self, batch_size, height, width):
        zoom_y = self._uniform((batch_size,), 1.0 + self.height_lower, 1.0 + self.height_upper)
        zoom_x = zoom_y
        if self.width_factor is not None:
            zoom_x = self._uniform((batch_size,), 1.0 + self.width_lower, 1.0 + self.width_upper)
        return centered_affine(height, width, zoom_x=zoom_x, zoom_y=zoom_y)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
