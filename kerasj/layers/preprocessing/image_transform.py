"""Shared pieces of the image preprocessing layers: the base classes (image rank and `data_format`
handling, the seeded random draw, the affine warp), argument checks with Keras's accepted ranges, the
centred affine matrix of the geometric augmentations, and resizing with aspect-ratio crop or pad.

Images are 3D (one image) or 4D (a batch), laid out as `data_format` says ("channels_last" by default,
from `kerasj.config.image_data_format()`).
"""
import math
import numbers

import jax.numpy as jnp
import numpy as np

from kerasj import random
from kerasj.layers.layer import Layer
from kerasj.ops import image as image_ops
from kerasj.utils.argument_validation import check_choice, standardize_data_format

WARP_INTERPOLATIONS = ("nearest", "bilinear")
WARP_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")


# -- argument checks ------------------------------------------------------------------------------------
def is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def factor_range(owner, arg, factor, low, high, low_open=False, clip_scalar=False, loose_pair=False):
    """`(lower, upper)` from a number `f` (giving `(-|f|, |f|)`) or a pair (sorted), checked against the
    range Keras accepts: `[low, high]`, or `(low, high]` with `low_open`.

    `clip_scalar` raises the lower end of a scalar's range to `low` (RandomContrast: 0.5 -> (0, 0.5)).
    `loose_pair` is Keras's lenient check of pairs for rotation and contrast: only `pair[0] <= high` and
    `pair[1] >= low` are required.
    """
    def out_of_range(value):
        return value > high or (value <= low if low_open else value < low)

    interval = f"{'(' if low_open else '['}{low}, {high}]"
    message = (f"{owner}: `{arg}` must be a number or a pair of numbers in the range {interval}; "
               f"received {arg}={factor!r}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(is_number(f) for f in factor):
            raise ValueError(message)
        bad = (factor[0] > high or factor[1] < low) if loose_pair else any(out_of_range(f) for f in factor)
        if bad:
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if not is_number(factor) or out_of_range(factor):
        raise ValueError(message)
    factor = abs(factor)
    return (max(-factor, low) if clip_scalar else -factor), factor


# -- geometry -----------------------------------------------------------------------------------------
def centered_affine(height, width, angle=None, zoom_x=None, zoom_y=None, shift_x=None, shift_y=None):
    """Per-image transforms `[a0, a1, a2, b0, b1, b2, 0, 0]` (shape `(batch, 8)`) for
    `kerasj.ops.image.affine_transform`, which samples output pixel `p = (x, y)` from input point

        q = R(angle) @ diag(zoom_x, zoom_y) @ (p - c) + c - (shift_x, shift_y)

    with `c = ((width - 1) / 2, (height - 1) / 2)` the image centre and `angle` in degrees. So a positive
    angle turns the picture counter-clockwise on screen (rows grow downwards), a zoom above 1 zooms out, and
    a positive shift moves the content right/down, as in Keras. Arguments are `(batch,)` arrays; omitted
    ones are the identity.
    """
    given = next(v for v in (angle, zoom_x, zoom_y, shift_x, shift_y) if v is not None)
    zeros, ones = jnp.zeros_like(given), jnp.ones_like(given)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    if angle is None:
        cos, sin = ones, zeros
    else:
        radians = angle * jnp.asarray(math.pi / 180.0, given.dtype)
        cos, sin = jnp.cos(radians), jnp.sin(radians)
    zoom_x = ones if zoom_x is None else zoom_x
    zoom_y = ones if zoom_y is None else zoom_y
    a0, a1 = cos * zoom_x, -sin * zoom_y
    b0, b1 = sin * zoom_x, cos * zoom_y
    a2 = cx - cx * a0 - cy * a1 - (zeros if shift_x is None else shift_x)
    b2 = cy - cx * b0 - cy * b1 - (zeros if shift_y is None else shift_y)
    return jnp.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=-1)


def image_axes(data_format):
    """Negative (height, width) axes, valid for both 3D and 4D images."""
    return (-3, -2) if data_format == "channels_last" else (-2, -1)


def aspect_crop_box(height, width, target_height, target_width):
    """(top, crop_height, left, crop_width): the largest centred window with the target aspect ratio."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int((height - crop_height) / 2), crop_height, int((width - crop_width) / 2), crop_width


def resize_images(images, height, width, data_format, interpolation="bilinear", antialias=False,
                  crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_value=0.0):
    """`images` resized to `(height, width)`, first cropped (or padded with `fill_value`) to the target
    aspect ratio if asked. The crop and pad sizes follow Keras's JAX backend exactly: the pad goes on one
    axis only, the same amount on both sides."""
    h_axis, w_axis = image_axes(data_format)
    in_height, in_width = images.shape[h_axis], images.shape[w_axis]
    if crop_to_aspect_ratio:
        top, crop_h, left, crop_w = aspect_crop_box(in_height, in_width, height, width)
        index = [slice(None)] * images.ndim
        index[h_axis], index[w_axis] = slice(top, top + crop_h), slice(left, left + crop_w)
        images = images[tuple(index)]
    elif pad_to_aspect_ratio:
        pad_height = max(in_height, int(float(in_width * height) / width))
        pad_width = max(in_width, int(float(in_height * width) / height))
        pad_top, pad_left = int((pad_height - in_height) / 2), int((pad_width - in_width) / 2)
        pads = [(0, 0)] * images.ndim
        if pad_top > 0:
            pads[h_axis] = (pad_top, pad_top)
        elif pad_left > 0:
            pads[w_axis] = (pad_left, pad_left)
        images = jnp.pad(images, pads, constant_values=jnp.asarray(fill_value, images.dtype))
    return image_ops.resize(images, (height, width), interpolation=interpolation, antialias=antialias,
                            data_format=data_format)


def saturate_cast(values, dtype):
    """`values` rounded and clipped into the range of the integer `dtype`, then cast (no wrap-around)."""
    info = np.iinfo(dtype)
    # float32 rounds large bounds such as 2**31 - 1 up, which would overflow; step back inside the range.
    high = np.float32(info.max)
    high = np.nextafter(high, np.float32(0)) if float(high) > info.max else high
    return jnp.clip(jnp.round(values), np.float32(info.min), high).astype(dtype)


# -- base classes -------------------------------------------------------------------------------------
class ImageLayer(Layer):
    """Base of the image preprocessing layers: checks the image rank and holds `data_format`."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, self._owner())

    def _owner(self):
        return f"{type(self).__name__} '{self.name}'"

    def _check_images(self, images):
        if images.ndim not in (3, 4):
            raise ValueError(f"{self._owner()}: expected images of rank 3 (single image) or 4 (batch of "
                             f"images); received an input of shape {tuple(images.shape)}")

    def _size(self, images):
        h_axis, w_axis = image_axes(self.data_format)
        return images.shape[h_axis], images.shape[w_axis]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _shape_with_size(self, input_shape, height, width):
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            raise ValueError(f"{self._owner()}: expected an input shape of rank 3 or 4; received {tuple(shape)}")
        h_axis, w_axis = image_axes(self.data_format)
        shape[h_axis], shape[w_axis] = height, width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class RandomImageLayer(ImageLayer):
    """An augmentation: applied only when `training` is true (the default of `call`, as in Keras; `fit`
    passes True and `predict`/`evaluate` pass False). Draws come from a SeedGenerator Variable, so each
    compiled step gets fresh ones. Subclasses implement `_augment(images, batch_size)` on float images."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)

    def _uniform(self, shape, low, high):
        return random.uniform(shape, minval=low, maxval=high, dtype=self.compute_dtype, seed=self.seed_generator)

    def call(self, inputs, training=True):
        self._check_images(inputs)
        images = inputs.astype(self.compute_dtype)
        if not training:
            return images
        batched = images.ndim == 4
        out = self._augment(images if batched else images[None], images.shape[0] if batched else 1)
        return out if batched else out[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class AffineImageLayer(RandomImageLayer):
    """A random geometric augmentation: a per-image affine warp with Keras's `fill_mode` ("reflect",
    "wrap", "constant", "nearest"), `interpolation` ("bilinear", "nearest") and `fill_value`. Subclasses
    implement `_transforms(batch_size, height, width)` returning `(batch, 8)` matrices."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode = check_choice(self._owner(), "fill_mode", fill_mode, WARP_FILL_MODES)
        self.interpolation = check_choice(self._owner(), "interpolation", interpolation, WARP_INTERPOLATIONS)
        if not is_number(fill_value):
            raise ValueError(f"{self._owner()}: `fill_value` must be a number; received fill_value={fill_value!r}")
        self.fill_value = fill_value

    def _augment(self, images, batch_size):
        height, width = self._size(images)
        return image_ops.affine_transform(images, self._transforms(batch_size, height, width),
                                          interpolation=self.interpolation, fill_mode=self.fill_mode,
                                          fill_value=self.fill_value, data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}
