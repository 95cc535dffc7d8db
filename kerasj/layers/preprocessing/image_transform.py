"""Shared pieces of the image preprocessing layers: the base classes (image rank and `data_format`
handling; Keras 3's augmentation data — images or a dict of images, labels, segmentation masks and
bounding boxes — with its `get_random_transformation` / `transform_*` split; the seeded random draw; the
affine warp), argument checks with Keras's accepted ranges, the centred affine matrix of the geometric
augmentations, random box masks (CutMix, RandomErasing), and resizing with aspect-ratio crop or pad.

Images are 3D (one image) or 4D (a batch), laid out as `data_format` says ("channels_last" by default,
from `kerasj.config.image_data_format()`).
"""
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import random
from kerasj.layers.layer import Layer
from kerasj.ops import image as image_ops
from kerasj.utils.argument_validation import check_choice, standardize_data_format
from kerasj.utils.bounding_boxes.geometry import warp_bounding_boxes

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


def random_box_masks(keys, height, width, ratio_x, ratio_y, data_format, dtype):
    """Per-image boolean masks of one random box each, shape `(batch, h, w, 1)` (or `(batch, 1, h, w)`),
    which broadcast over channels: the box is `ratio_x * width` by `ratio_y * height` pixels (fractional
    edges), placed uniformly inside the image. Returns the masks and the box corners `(x0, x1, y0, y1)`."""
    corners = []
    for key, length, ratio in ((keys[0], width, ratio_x), (keys[1], height, ratio_y)):
        extent = (ratio * length).astype(dtype)
        start = jax.random.uniform(key, ratio.shape, dtype) * (length - extent)
        corners += [start, start + extent]
    x0, x1, y0, y1 = (c[:, None, None] for c in corners)
    rows, cols = jnp.meshgrid(jnp.arange(height, dtype=dtype), jnp.arange(width, dtype=dtype), indexing="ij")
    masks = (cols >= x0) & (cols < x1) & (rows >= y0) & (rows < y1)
    return (masks[..., None] if data_format == "channels_last" else masks[:, None]), tuple(corners)


def single_channel(masks, data_format):
    """Box masks reduced to one broadcasting channel (Keras's transformations repeat them per channel)."""
    return jnp.any(jnp.asarray(masks), axis=-1 if data_format == "channels_last" else -3, keepdims=True)


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


class ImageDataLayer(ImageLayer):
    """Base of the layers that take Keras 3's augmentation data: images, or a dict `{"images": ...,
    "labels": ..., "segmentation_masks": ..., "bounding_boxes": {"boxes": ..., "labels": ...}}` (only
    "images" is required), returned with the same keys, each transformed alike.

    The work is split as in Keras: `get_random_transformation(data, training, seed)` draws the parameters
    of one batch (a single image counts as a batch of one), and `transform_images` / `transform_labels` /
    `transform_segmentation_masks` / `transform_bounding_boxes(..., transformation, training)` apply them
    to batched inputs. Bounding boxes need `bounding_box_format`.
    """

    def __init__(self, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bounding_box_format = bounding_box_format

    @staticmethod
    def _images_of(data):
        return data["images"] if isinstance(data, dict) else data

    def _batch_size(self, data):
        images = self._images_of(data)
        return images.shape[0] if images.ndim == 4 else 1

    # -- the Keras 3 split API ---------------------------------------------------------------------------
    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def transform_images(self, images, transformation, training=True):
        return jnp.asarray(images).astype(self.compute_dtype)

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if training:
            raise self._unsupported("segmentation_masks")
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if training:
            raise self._unsupported("bounding_boxes")
        return bounding_boxes

    def _unsupported(self, key):
        return NotImplementedError(f"{self._owner()}: inputs with a '{key}' key are not supported by "
                                   f"{type(self).__name__} in kerasj yet; pass images (and labels) only")

    # -- dispatch -------------------------------------------------------------------------------------
    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            images = jnp.asarray(inputs)
            self._check_images(images)
            transformation = self.get_random_transformation(images, training=training)
            return self._batched(self.transform_images, images, 4, transformation, training)
        if "images" not in inputs:
            raise ValueError(f"{self._owner()}: a dict input needs an 'images' key; received keys "
                             f"{sorted(inputs)}")
        unknown = set(inputs) - {"images", "labels", "segmentation_masks", "bounding_boxes"}
        if unknown:
            raise ValueError(f"{self._owner()}: unexpected keys {sorted(unknown)} in a dict input; expected "
                             "'images' and optionally 'labels', 'segmentation_masks', 'bounding_boxes'")
        data = {key: value if key == "bounding_boxes" else jnp.asarray(value) for key, value in inputs.items()}
        self._check_images(data["images"])
        batched = data["images"].ndim == 4
        transformation = self.get_random_transformation(data, training=training)
        out = dict(data)
        out["images"] = self._batched(self.transform_images, data["images"], 4, transformation, training)
        if "bounding_boxes" in data:
            out["bounding_boxes"] = self._boxes(data["bounding_boxes"], batched, transformation, training)
        if "labels" in data:
            # Keras treats a single image's labels as one row of a batch of one.
            out["labels"] = (self.transform_labels(data["labels"], transformation, training) if batched
                             else self.transform_labels(data["labels"][None], transformation, training)[0])
        if "segmentation_masks" in data:
            out["segmentation_masks"] = self._batched(self.transform_segmentation_masks,
                                                      data["segmentation_masks"], 4, transformation, training)
        return out

    @staticmethod
    def _batched(transform, values, batched_rank, transformation, training):
        """`transform` applied to a batch; an unbatched `values` is treated as a batch of one."""
        if values.ndim == batched_rank:
            return transform(values, transformation, training=training)
        return transform(values[None], transformation, training=training)[0]

    def _boxes(self, bounding_boxes, batched, transformation, training):
        if not self.bounding_box_format:
            raise ValueError(f"{self._owner()}: the input has a 'bounding_boxes' key but the layer has no "
                             "`bounding_box_format`; pass one, e.g. bounding_box_format='xyxy'")
        if not isinstance(bounding_boxes, dict) or not {"boxes", "labels"} <= set(bounding_boxes):
            raise ValueError(f"{self._owner()}: 'bounding_boxes' must be a dict with 'boxes' and 'labels'; "
                             f"received {type(bounding_boxes).__name__}")
        boxes = {key: jnp.asarray(value) for key, value in bounding_boxes.items()}
        if batched:
            return self.transform_bounding_boxes(boxes, transformation, training=training)
        out = self.transform_bounding_boxes({k: v[None] for k, v in boxes.items()}, transformation,
                                            training=training)
        return {k: v[0] for k, v in out.items()}

    def compute_output_shape(self, input_shape):
        return input_shape if isinstance(input_shape, dict) else tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


class RandomImageLayer(ImageDataLayer):
    """An augmentation: applied only when `training` is true (the default of `call`, as in Keras; `fit`
    passes True and `predict`/`evaluate` pass False). Draws come from a SeedGenerator Variable, so each
    compiled step gets fresh ones, and two fresh layers with the same seed draw the same stream.

    A subclass implements the split API of `ImageDataLayer`, or only `_augment(images, batch_size)`, which
    draws and applies at once (then dict inputs may carry labels, but not masks or boxes).
    """

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)

    def _uniform(self, shape, low, high):
        return random.uniform(shape, minval=low, maxval=high, dtype=self.compute_dtype, seed=self.seed_generator)

    def _keys(self, seed, count):
        """`count` independent JAX keys for one transformation: from the layer's SeedGenerator (advanced
        once) unless `seed` (an int, a key or a SeedGenerator) is given."""
        return jax.random.split(random.draw_key(self.seed_generator if seed is None else seed), count)

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        return self._augment(images, images.shape[0]) if training else images

    def _augment(self, images, batch_size):
        raise NotImplementedError(f"{self._owner()}: implements neither `transform_images` nor `_augment`")

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class WarpImageLayer(RandomImageLayer):
    """A random geometric augmentation that resamples pixels: images are warped with the layer's
    `interpolation`, segmentation masks with "nearest" (as Keras does, so class ids stay whole).
    Subclasses implement `_warp(images, transformation, interpolation)` on batched images."""

    def transform_images(self, images, transformation, training=True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        return self._warp(images, transformation, self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._warp(segmentation_masks, transformation, "nearest")


class AffineImageLayer(WarpImageLayer):
    """A random geometric augmentation: a per-image affine warp with Keras's `fill_mode` ("reflect",
    "wrap", "constant", "nearest"), `interpolation` ("bilinear", "nearest") and `fill_value`. Subclasses
    implement Keras's `get_random_transformation` (drawing with `_draw`) and `_matrices(transformation, height,
    width)`, the `(batch, 8)` matrices that warp the images."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode = check_choice(self._owner(), "fill_mode", fill_mode, WARP_FILL_MODES)
        self.interpolation = check_choice(self._owner(), "interpolation", interpolation, WARP_INTERPOLATIONS)
        if not is_number(fill_value):
            raise ValueError(f"{self._owner()}: `fill_value` must be a number; received fill_value={fill_value!r}")
        self.fill_value = fill_value

    def _matrices(self, transformation, height, width):
        raise NotImplementedError(f"{type(self).__name__} must implement `_matrices`.")

    def _image_size(self, transformation):
        """(height, width) of the images a transformation was drawn for (Keras's "input_shape" key)."""
        h_axis, w_axis = image_axes(self.data_format)
        return transformation["input_shape"][h_axis], transformation["input_shape"][w_axis]

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes move with the images' warp: corners mapped, the enclosing box clipped to the image (boxes left
        empty get label -1), as in Keras."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._image_size(transformation)
        return warp_bounding_boxes(bounding_boxes, self._matrices(transformation, height, width), height, width,
                                   self.bounding_box_format)

    def _draw(self, shape, low, high, seed=None):
        """Uniform draws in `[low, high)` from `seed` when one is given (an int, key or SeedGenerator, as
        Keras's `get_random_transformation` takes), else from the layer's SeedGenerator."""
        return random.uniform(shape, minval=low, maxval=high, dtype=self.compute_dtype,
                              seed=self.seed_generator if seed is None else seed)

    def _warp(self, images, transformation, interpolation):
        height, width = self._size(images)
        return image_ops.affine_transform(images, self._matrices(transformation, height, width),
                                          interpolation=interpolation, fill_mode=self.fill_mode,
                                          fill_value=self.fill_value, data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}
