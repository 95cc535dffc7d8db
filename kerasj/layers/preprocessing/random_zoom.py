"""The RandomZoom augmentation layer."""
import jax.numpy as jnp

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

    The transformation of `get_random_transformation` is Keras's: `{"height_zoom": (batch, 1),
    "width_zoom": (batch, 1), "input_shape": shape}`. Inactive (a cast to the compute dtype) with
    `training=False`. Dict inputs: labels pass through, segmentation masks are zoomed with "nearest",
    bounding boxes (with `bounding_box_format`) are scaled about the centre and clipped to the image (boxes
    left empty get label -1), as in Keras.

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

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = self._images_of(data)
        shape = (self._batch_size(data), 1)
        height_zoom = self._draw(shape, 1.0 + self.height_lower, 1.0 + self.height_upper, seed)
        width_zoom = height_zoom
        if self.width_factor is not None:
            width_zoom = self._draw(shape, 1.0 + self.width_lower, 1.0 + self.width_upper, seed)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom, "input_shape": tuple(images.shape)}

    def _matrices(self, transformation, height, width):
        zoom_x = jnp.asarray(transformation["width_zoom"], "float32")[:, 0]
        zoom_y = jnp.asarray(transformation["height_zoom"], "float32")[:, 0]
        return centered_affine(height, width, zoom_x=zoom_x, zoom_y=zoom_y)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
