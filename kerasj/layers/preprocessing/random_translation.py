"""The RandomTranslation augmentation layer."""
import jax.numpy as jnp

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

    The transformation of `get_random_transformation` is Keras's: `{"translations": (batch, 2) float32
    shifts (x, y) in pixels, "input_shape": shape}`. Inactive (a cast to the compute dtype) with
    `training=False`. Dict inputs: labels pass through, segmentation masks are shifted with "nearest",
    bounding boxes (with `bounding_box_format`) are shifted and clipped to the image (boxes left empty get
    label -1), as in Keras.

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

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        height, width = self._size(images)
        batch_size = self._batch_size(data)
        shift_y = self._draw((batch_size, 1), self.height_lower, self.height_upper, seed) * height
        shift_x = self._draw((batch_size, 1), self.width_lower, self.width_upper, seed) * width
        return {"translations": jnp.concatenate([shift_x, shift_y], axis=1).astype("float32"),
                "input_shape": tuple(images.shape)}

    def _matrices(self, transformation, height, width):
        shifts = jnp.asarray(transformation["translations"], "float32")
        return centered_affine(height, width, shift_x=shifts[:, 0], shift_y=shifts[:, 1])

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
