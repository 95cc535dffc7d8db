"""The base of the colour and intensity augmentations, structured as Keras 3's are: a layer draws a
`transformation` (a dict of arrays) with `get_random_transformation(data, training=True, seed=None)` and
applies it with `transform_images(images, transformation, training=True)`. The two halves can be called
separately, so one transformation can be inspected, reused, or applied by another implementation.

Also here: the `value_range` argument check and the linear map between value ranges that these layers share.
"""
import jax.numpy as jnp
import numpy as np

from kerasj import random
from kerasj.ops import image as image_ops
from kerasj.layers.preprocessing.image_transform import RandomImageLayer, image_axes, is_number

# What `call(..., training=False)` returns, per layer, as in Keras 3.
IDENTITY = "identity"  # the input itself (floats autocast to the compute dtype, integers kept)
CAST = "cast"  # the input cast to the compute dtype
APPLY = "apply"  # the layer is not an augmentation: it is applied in inference too


def check_value_range(owner, value_range, keep_order=False):
    """`value_range` as Keras stores it: sorted into a list (or kept as given with `keep_order`, for the
    layers that Keras does not sort). Must be a pair of numbers."""
    if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
            or not all(is_number(v) for v in value_range)):
        raise ValueError(f"{owner}: `value_range` must be a list or tuple of two numbers (low, high); "
                         f"received value_range={value_range!r}")
    return value_range if keep_order else sorted(value_range)


def map_range(images, source, target, dtype="float32"):
    """`images` mapped linearly from the range `source = (low, high)` onto `target`, computed in `dtype`
    (the identity, without a cast, when the ranges are equal)."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    images = images.astype(dtype)
    low, high = np.asarray(source[0], dtype), np.asarray(source[1], dtype)
    target_low, target_high = np.asarray(target[0], dtype), np.asarray(target[1], dtype)
    return (images - low) / (high - low) * (target_high - target_low) + target_low


def grayscale(images, data_format):
    """Luma of RGB `images` with one channel, in their dtype (integers truncated, as Keras does); images
    that already have one channel are returned as they are."""
    channel_axis = -1 if data_format == "channels_last" else -3
    if images.shape[channel_axis] == 1:
        return images
    if images.shape[channel_axis] != 3:
        raise ValueError(f"expected RGB images with 3 channels (or 1); received shape {tuple(images.shape)}")
    gray = image_ops.rgb_to_grayscale(images.astype(jnp.result_type(images.dtype, float)), data_format=data_format)
    return gray.astype(images.dtype)


def apply_contrast(images, transformation, value_range, data_format):
    """RandomContrast's formula with a drawn `{"contrast_factor": (batch, 1, 1, 1)}`: every channel moves
    away from its mean over the image by the factor, then values are clipped to `value_range`."""
    factor = jnp.asarray(transformation["contrast_factor"], images.dtype)
    mean = jnp.mean(images, axis=image_axes(data_format), keepdims=True)
    return jnp.clip((images - mean) * factor + mean, value_range[0], value_range[1])


class ColorAugmentation(RandomImageLayer):
    """Base of the colour augmentations. Subclasses implement

    - `get_random_transformation(data, training=True, seed=None)`: the draws for one call, made with
      `seed` (a `kerasj.random.SeedGenerator`, an int or a key) or, by default, the layer's own
      SeedGenerator, so each compiled step gets fresh draws;
    - `transform_images(images, transformation, training=True)` on a batch of 4D images; deterministic.

    Dict inputs are those of `ImageDataLayer`: colour changes move no pixel, so "labels",
    "segmentation_masks" and "bounding_boxes" are returned unchanged. `_INFERENCE` says what
    `training=False` gives (IDENTITY, CAST or APPLY); nothing is drawn then unless the layer applies.
    """

    _INFERENCE = IDENTITY

    def _seed(self, seed):
        return self.seed_generator if seed is None else seed

    def _draw(self, shape, low, high, seed):
        return random.uniform(shape, minval=low, maxval=high, dtype=self.compute_dtype, seed=self._seed(seed))

    def _per_image_shape(self, data):
        """`(batch, 1, 1, 1)` for a batch, `(1, 1, 1)` for one image: Keras's shape of per-image factors."""
        return (self._batch_size(data), 1, 1, 1) if self._images_of(data).ndim == 4 else (1, 1, 1)

    def _draw_contrast(self, data, factor, seed):
        """The transformation of RandomContrast with `factor = (lower, upper)` (which kerasj's RandomContrast
        draws inside its call): one factor per image in `[1 - lower, 1 + upper]`."""
        return {"contrast_factor": self._draw(self._per_image_shape(data), 1.0 - factor[0], 1.0 + factor[1], seed)}

    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def transform_images(self, images, transformation, training=True):
        raise NotImplementedError

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return bounding_boxes

    def call(self, inputs, training=True):
        if training or self._INFERENCE == APPLY:
            return super().call(inputs, training=training)
        images = jnp.asarray(self._images_of(inputs))
        self._check_images(images)
        images = images if self._INFERENCE == IDENTITY else images.astype(self.compute_dtype)
        return {**inputs, "images": images} if isinstance(inputs, dict) else images
