"""The RandomCrop augmentation layer."""
import jax
import jax.numpy as jnp

from kerasj import random
from kerasj.layers.preprocessing.image_transform import (RandomImageLayer, aspect_crop_box, image_axes,
                                                         resize_images)
from kerasj.utils.argument_validation import check_positive_int
from kerasj.utils.bounding_boxes import clip_to_image_size, convert_format


class CropStart(tuple):
    """Keras's `(h_start, w_start)` pair, which also remembers the input's `(height, width)` for the boxes."""

    def __new__(cls, h_start, w_start, image_size):
        start = super().__new__(cls, (h_start, w_start))
        start.image_size = image_size
        return start


class RandomCrop(RandomImageLayer):
    """Crops a random `(height, width)` window out of images while training.

    One window position is drawn per call and shared by the whole batch, as in Keras 3. When the input is
    not larger than the target on both sides, the window starts at the top-left corner of the largest
    centred box with the target aspect ratio, and what it cuts is resized (bilinear) to `(height, width)`.

    With `training=False` the layer returns the largest centred window with the target aspect ratio,
    resized to `(height, width)`, as Keras documents (Keras 3.15 itself returns the input unchanged there,
    so its output shape differs between training and inference).

    Args:
        height, width: the output size.
        seed: int or None (as in Keras, a seed is drawn when None, and saved in the config).
        data_format: "channels_last" (default) or "channels_first".

    The transformation of `get_random_transformation` is Keras's pair `(h_start, w_start)`. Dict inputs:
    labels pass through, segmentation masks are cropped like the images (any resizing "nearest"), bounding
    boxes (with `bounding_box_format`) are moved into the window, scaled with any resize and clipped, boxes
    left empty getting label -1. (Keras 3.15 shifts x by the row offset and y by the column offset there.)

        >>> RandomCrop(24, 24, seed=0)(jnp.ones((2, 32, 32, 3))).shape
        (2, 24, 24, 3)
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(seed=random.make_default_seed() if seed is None else seed, data_format=data_format,
                         name=name, **kwargs)
        self.height = check_positive_int(height, "height", self._owner())
        self.width = check_positive_int(width, "width", self._owner())

    def get_random_transformation(self, data, training=True, seed=None):
        in_height, in_width = self._size(self._images_of(data))
        if training and in_height > self.height and in_width > self.width:
            h_key, w_key = self._keys(seed, 2)
            # Float draws truncated to int, as Keras does, so both pick the same starts from the same uniforms.
            h_start = jax.random.uniform(h_key, (), "float32", 0, float(in_height - self.height + 1))
            w_start = jax.random.uniform(w_key, (), "float32", 0, float(in_width - self.width + 1))
            return CropStart(h_start.astype("int32"), w_start.astype("int32"), (in_height, in_width))
        top, _, left, _ = aspect_crop_box(in_height, in_width, self.height, self.width)
        return CropStart(top, left, (in_height, in_width))

    def transform_images(self, images, transformation, training=True):
        return self._crop(images, transformation, training, "bilinear")

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        # Masks follow the images' window; any resizing is "nearest" so class ids stay whole.
        return self._crop(segmentation_masks, transformation, training, "nearest")

    def _crop(self, images, transformation, training, interpolation):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training:
            return resize_images(images, self.height, self.width, self.data_format, interpolation=interpolation,
                                 crop_to_aspect_ratio=True)
        h_start, w_start = transformation
        h_axis, w_axis = image_axes(self.data_format)
        in_height, in_width = self._size(images)
        size = list(images.shape)
        size[h_axis], size[w_axis] = min(self.height, in_height), min(self.width, in_width)
        start = [0] * images.ndim
        start[h_axis], start[w_axis] = h_start, w_start
        if isinstance(h_start, int) and isinstance(w_start, int):
            # Static starts (the aspect-ratio case): a plain slice, clipped at the edge like Keras's.
            index = [slice(None)] * images.ndim
            index[h_axis] = slice(h_start, h_start + self.height)
            index[w_axis] = slice(w_start, w_start + self.width)
            images = images[tuple(index)]
        else:
            images = jax.lax.dynamic_slice(images, [jnp.asarray(s, "int32") for s in start], size)
        if self._size(images) != (self.height, self.width):
            images = resize_images(images, self.height, self.width, self.data_format, interpolation=interpolation)
        return images

    def _window(self, transformation, in_height, in_width, training):
        """(top, left, rows, cols) of the input that the output shows."""
        if not training:
            top, rows, left, cols = aspect_crop_box(in_height, in_width, self.height, self.width)
            return top, left, rows, cols
        top, left = transformation
        if isinstance(top, int) and isinstance(left, int):
            return top, left, min(self.height, in_height - top), min(self.width, in_width - left)
        return top, left, self.height, self.width

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if not isinstance(transformation, CropStart):
            raise ValueError(f"{self._owner()}: moving bounding boxes needs the transformation drawn by this "
                             f"layer's get_random_transformation; received {transformation!r}")
        in_height, in_width = transformation.image_size
        top, left, rows, cols = self._window(transformation, in_height, in_width, training)
        boxes = convert_format(bounding_boxes, self.bounding_box_format, "xyxy", in_height, in_width,
                               self.compute_dtype)
        offset = jnp.stack([jnp.asarray(left), jnp.asarray(top)] * 2).astype(self.compute_dtype)
        scale = jnp.asarray([self.width / cols, self.height / rows] * 2, self.compute_dtype)
        boxes = clip_to_image_size({**boxes, "boxes": (boxes["boxes"] - offset) * scale}, self.height, self.width)
        return convert_format(boxes, "xyxy", self.bounding_box_format, self.height, self.width, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            return input_shape
        return self._shape_with_size(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
