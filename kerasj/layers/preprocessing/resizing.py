"""The Resizing preprocessing layer."""
import jax.numpy as jnp

from kerasj.layers.preprocessing.image_transform import RESIZE_INTERPOLATIONS, ImageLayer, resize_images, saturate_cast
from kerasj.utils.argument_validation import check_choice, check_positive_int


class Resizing(ImageLayer):
    """Resizes images to `(height, width)` with `jax.image.resize`.

    Args:
        height, width: the output size (positive integers).
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3" or "lanczos5".
        crop_to_aspect_ratio: first crop the largest centred window with the target aspect ratio, so
            the picture is not distorted.
        pad_to_aspect_ratio: instead pad the short side with `fill_value` to the target aspect ratio.
        fill_mode: how padded areas are filled; only "constant" is supported (as in Keras).
        fill_value: the padding value.
        antialias: low-pass filter when downsampling. Off by default, as in Keras (note that
            `jax.image.resize` itself defaults to on).
        data_format: "channels_last" (default) or "channels_first".

    Integer images are rounded and clipped back to their own dtype, as in Keras; float images come out in
    their dtype.

        >>> Resizing(2, 3)(jnp.ones((4, 8, 8, 3))).shape
        (4, 2, 3, 3)
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        owner = self._owner()
        self.height = check_positive_int(height, "height", owner)
        self.width = check_positive_int(width, "width", owner)
        self.interpolation = check_choice(owner, "interpolation", interpolation, RESIZE_INTERPOLATIONS)
        self.fill_mode = check_choice(owner, "fill_mode", fill_mode, ("constant",))
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"{owner}: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True")
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        self.built = True

    def call(self, inputs):
        self._check_images(inputs)
        out = resize_images(inputs, self.height, self.width, self.data_format, self.interpolation,
                            self.antialias, self.crop_to_aspect_ratio, self.pad_to_aspect_ratio,
                            self.fill_value)
        if out.dtype != inputs.dtype and jnp.issubdtype(inputs.dtype, jnp.integer):
            return saturate_cast(out, inputs.dtype)
        return out.astype(inputs.dtype) if out.dtype != inputs.dtype else out

    def compute_output_shape(self, input_shape):
        return self._shape_with_size(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}
