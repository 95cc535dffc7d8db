"""The RandomRotation augmentation layer."""
import jax.numpy as jnp

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

    The transformation of `get_random_transformation` is Keras's: `{"angle": (batch,) degrees,
    "rotation_matrix": (batch, 8) warp, "image_height", "image_width", "batch_size"}` (a single image
    counts as a batch of one). Inactive (a cast to the compute dtype) with `training=False`. Dict inputs:
    labels pass through, segmentation masks are rotated with "nearest", bounding boxes (with
    `bounding_box_format`) become the boxes around their rotated corners, clipped to the image (boxes left
    empty get label -1).

        >>> RandomRotation(0.1, fill_mode="constant")(images, training=True)   # within +-36 degrees
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.factor = factor_range(self._owner(), "factor", factor, -1, 1, loose_pair=True)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        height, width = self._size(self._images_of(data))
        batch_size = self._batch_size(data)
        angle = self._draw((batch_size,), self.factor[0] * 360.0, self.factor[1] * 360.0, seed)
        return {"angle": angle, "rotation_matrix": centered_affine(height, width, angle=angle),
                "image_height": height, "image_width": width, "batch_size": batch_size}

    def _matrices(self, transformation, height, width):
        # Keras drops the batch axis of a single image's matrix; kerasj warps it as a batch of one.
        return jnp.reshape(jnp.asarray(transformation["rotation_matrix"]), (-1, 8))

    def _image_size(self, transformation):
        # Keras's rotation transformation names the size itself. (Keras 3.15 reads the boxes as xyxy whatever
        # `bounding_box_format` says; AffineImageLayer converts them.)
        return transformation["image_height"], transformation["image_width"]

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
