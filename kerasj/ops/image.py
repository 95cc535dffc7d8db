"""Image ops of `keras.ops.image` (reachable as `kerasj.ops.image`): resizing, cropping/padding, colour
conversion, patch extraction and coordinate mapping. Images are batched or single, laid out by
`data_format` (default `kerasj.config.image_data_format()`).

    >>> from kerasj import ops
    >>> ops.image.resize(jnp.ones((1, 4, 4, 3)), (2, 2)).shape
    (1, 2, 2, 3)
"""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.ops.conv_math import conv as _conv
from kerasj.ops.core import _t

_RESIZE_METHODS = {"bilinear": "linear", "nearest": "nearest", "bicubic": "cubic", "lanczos3": "lanczos3",
                   "lanczos5": "lanczos5"}


def _format(data_format, op):
    data_format = config.image_data_format() if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: `data_format` must be 'channels_last' or 'channels_first'; "
                         f"received {data_format!r}.")
    return data_format


def _to_nhwc(images, data_format, op):
    """Batched channels_last view of `images`, and a function undoing that."""
    images = _t(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"{op}: `images` must be rank 3 (single image) or 4 (batch); received shape "
                         f"{images.shape}.")
    single = images.ndim == 3
    first = _format(data_format, op) == "channels_first"
    x = images[None] if single else images
    x = jnp.transpose(x, (0, 2, 3, 1)) if first else x

    def restore(y):
        y = jnp.transpose(y, (0, 3, 1, 2)) if first else y
        return y[0] if single else y
    return x, restore


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """`images` resized to `size = (height, width)` with `interpolation` ("bilinear", "nearest", "bicubic",
    "lanczos3", "lanczos5").

        >>> resize(jnp.ones((4, 4, 1)), (8, 8)).shape
        (8, 8, 1)
    """
    if interpolation not in _RESIZE_METHODS:
        raise ValueError(f"resize: `interpolation` must be one of {list(_RESIZE_METHODS)}; "
                         f"received {interpolation!r}.")
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise ValueError("resize: `crop_to_aspect_ratio` and `pad_to_aspect_ratio` are not supported by kerasj; "
                         f"received {crop_to_aspect_ratio!r}, {pad_to_aspect_ratio!r}.")
    x, restore = _to_nhwc(images, data_format, "resize")
    height, width = (int(s) for s in size)
    shape = (x.shape[0], height, width, x.shape[3])
    out = jax.image.resize(x, shape, method=_RESIZE_METHODS[interpolation], antialias=antialias)
    return restore(out.astype(x.dtype) if jnp.issubdtype(x.dtype, jnp.floating) else out)


def rgb_to_grayscale(images, data_format=None):
    """Luma (ITU-R 601 weights) of RGB `images`, keeping a channel axis of size 1."""
    x, restore = _to_nhwc(images, data_format, "rgb_to_grayscale")
    if x.shape[-1] == 1:
        return images  # already grayscale, as Keras passes it through
    if x.shape[-1] != 3:
        raise ValueError(f"rgb_to_grayscale: expected 3 (RGB) or 1 (grayscale) channels; received images of shape "
                         f"{tuple(images.shape)}")
    # Weighted in floating point and cast back, as Keras does (integer weights would all be 0).
    compute = jnp.result_type(x.dtype, jnp.float32)
    weights = jnp.asarray([0.2989, 0.5870, 0.1140], compute)
    return restore(jnp.sum(x.astype(compute) * weights, axis=-1, keepdims=True).astype(x.dtype))


def _box(height, width, top, bottom, left, right, target_height, target_width, op, verb):
    """Resolve Keras's (edge amounts | target size) arguments into top/bottom/left/right amounts."""
    if top is None and bottom is None:
        top = 0 if target_height is None else None
    if left is None and right is None:
        left = 0 if target_width is None else None
    resolved = []
    for first, second, target, length, names in ((top, bottom, target_height, height, "top/bottom"),
                                                 (left, right, target_width, width, "left/right")):
        if first is not None and second is not None:
            resolved.append((first, second))
            continue
        if target is None:
            if first is None and second is None:
                raise ValueError(f"{op}: give {names} amounts or a target size.")
            resolved.append((first or 0, second or 0))
            continue
        extra = (target - length) if verb == "pad" else (length - target)
        if first is None and second is None:
            first = 0
        resolved.append((first, extra - first) if second is None else (extra - second, second))
    (top, bottom), (left, right) = resolved
    if min(top, bottom, left, right) < 0:
        raise ValueError(f"{op}: the {verb} amounts must be non-negative; received top={top}, bottom={bottom}, "
                         f"left={left}, right={right}.")
    return top, bottom, left, right


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                target_height=None, target_width=None, data_format=None):
    """`images` with rows/columns removed from the edges, given as amounts or as a target size.

        >>> crop_images(jnp.ones((6, 6, 1)), 1, 2, target_height=3, target_width=3).shape
        (3, 3, 1)
    """
    x, restore = _to_nhwc(images, data_format, "crop_images")
    top, bottom, left, right = _box(x.shape[1], x.shape[2], top_cropping, bottom_cropping, left_cropping,
                                    right_cropping, target_height, target_width, "crop_images", "crop")
    return restore(x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :])


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None):
    """`images` with zero rows/columns added at the edges, given as amounts or as a target size.

        >>> pad_images(jnp.ones((2, 2, 1)), 1, 1, target_height=4, target_width=4).shape
        (4, 4, 1)
    """
    x, restore = _to_nhwc(images, data_format, "pad_images")
    top, bottom, left, right = _box(x.shape[1], x.shape[2], top_padding, bottom_padding, left_padding,
                                    right_padding, target_height, target_width, "pad_images", "pad")
    return restore(jnp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0))))


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of `size` (int or `(h, w)`) from `images`, flattened into the channel axis in
    (row, column, channel) order.

        >>> extract_patches(jnp.ones((1, 4, 4, 3)), 2).shape
        (1, 2, 2, 12)
    """
    x, restore = _to_nhwc(images, data_format, "extract_patches")
    size = (size, size) if isinstance(size, int) else tuple(size)
    strides = size if strides is None else ((strides, strides) if isinstance(strides, int) else tuple(strides))
    dilation = (dilation_rate,) * 2 if isinstance(dilation_rate, int) else tuple(dilation_rate)
    channels = x.shape[-1]
    # A convolution with a one-hot kernel copies every (row, col, channel) of a window to its own output channel.
    eye = np.eye(size[0] * size[1] * channels, dtype=np.float32)
    kernel = jnp.asarray(eye.reshape(size[0], size[1], channels, -1), x.dtype)
    out = _conv(x, kernel, data_format="channels_last", strides=strides, padding=padding,
                dilation_rate=dilation)
    return restore(out)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Values of `inputs` interpolated (`order` 0 or 1) at `coordinates` (one array per input axis)."""
    modes = ("constant", "nearest", "wrap", "mirror", "reflect")
    if fill_mode not in modes:
        raise ValueError(f"map_coordinates: `fill_mode` must be one of {list(modes)}; received {fill_mode!r}.")
    return jax.scipy.ndimage.map_coordinates(_t(inputs), [_t(c) for c in coordinates], order, mode=fill_mode,
                                             cval=fill_value)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """`images` warped by `transform`s `[a0, a1, a2, b0, b1, b2, c0, c1]` (one, or one per image): output
    pixel `(x, y)` (column, row) samples the input at `(a0 x + a1 y + a2, b0 x + b1 y + b2)`. As in Keras on
    JAX for the first channel, the projective terms `c0, c1` are ignored (Keras 3.15 on JAX mixes them into
    the channel coordinate for the other channels; kerasj warps every channel alike).

        >>> affine_transform(jnp.ones((1, 4, 4, 1)), jnp.array([1.0, 0, 0, 0, 1, 0, 0, 0])).shape
        (1, 4, 4, 1)
    """
    orders = {"nearest": 0, "bilinear": 1}
    if interpolation not in orders:
        raise ValueError(f"affine_transform: `interpolation` must be one of {list(orders)}; "
                         f"received {interpolation!r}.")
    x, restore = _to_nhwc(images, data_format, "affine_transform")
    transform = _t(transform).astype(x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else "float32")
    if transform.ndim == 1:
        transform = jnp.broadcast_to(transform, (x.shape[0], 8))
    rows, cols = jnp.meshgrid(jnp.arange(x.shape[1]), jnp.arange(x.shape[2]), indexing="ij")
    rows, cols = rows.astype(transform.dtype), cols.astype(transform.dtype)

    def warp_one(image, t):
        src_cols = t[0] * cols + t[1] * rows + t[2]
        src_rows = t[3] * cols + t[4] * rows + t[5]

        def warp_channel(channel):
            return map_coordinates(channel, [src_rows, src_cols], orders[interpolation], fill_mode, fill_value)
        return jax.vmap(warp_channel, in_axes=-1, out_axes=-1)(image)

    return restore(jax.vmap(warp_one)(x, transform).astype(x.dtype))

from kerasj.ops.image_color import gaussian_blur, hsv_to_rgb, rgb_to_hsv  # noqa: E402,F401
from kerasj.ops.image_geometry import (elastic_transform, extract_patches_3d, perspective_transform,  # noqa: E402,F401
                                     scale_and_translate, sobel_edges, ssim)
