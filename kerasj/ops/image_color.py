"""Colour-space conversion and blurring ops of `keras.ops.image` (re-exported by `kerasj.ops.image`):
`rgb_to_hsv`, `hsv_to_rgb` and `gaussian_blur`.

    >>> from kerasj import ops
    >>> hsv = ops.image.rgb_to_hsv(jnp.array([[[1.0, 0.0, 0.0]]]))   # pure red: hue 0, saturation 1, value 1
"""
import jax
import jax.numpy as jnp

from kerasj.ops.core import _t
from kerasj.ops.image import _to_nhwc


def _float_images(images, op):
    images = _t(images)
    if not jnp.issubdtype(images.dtype, jnp.floating):
        raise ValueError(f"{op}: `images` must have a float dtype; received images.dtype={images.dtype}.")
    return images


def _three_channels(x, op):
    if x.shape[-1] != 3:
        raise ValueError(f"{op}: `images` must have 3 channels; received images with {x.shape[-1]} channels.")


def rgb_to_hsv(images, data_format=None):
    """RGB `images` (float, values in `[0, 1]`) converted to HSV, every component in `[0, 1]`.

    A hue of 0 is red, 1/3 green and 2/3 blue. Grey pixels (all channels equal) get hue 0 and black
    pixels saturation 0. Channel values within machine epsilon of zero count as zero, as in Keras.

        >>> rgb_to_hsv(jnp.array([[[0.0, 0.5, 0.0]]]))   # hue 1/3, saturation 1, value 0.5
        Array([[[0.33333334, 1. , 0.5]]], dtype=float32)
    """
    x, restore = _to_nhwc(_float_images(images, "rgb_to_hsv"), data_format, "rgb_to_hsv")
    _three_channels(x, "rgb_to_hsv")
    x = jnp.where(jnp.abs(x) < jnp.finfo(x.dtype).eps, jnp.zeros_like(x), x)
    red, green, blue = x[..., 0], x[..., 1], x[..., 2]
    value = jnp.max(x, axis=-1)
    spread = value - jnp.min(x, axis=-1)
    # Divide by 1 where the divisor is zero so that no NaN or inf appears (also in gradients).
    saturation = jnp.where(value > 0, spread / jnp.where(value > 0, value, 1.0), 0.0)
    sixth = 1.0 / (6.0 * jnp.where(spread > 0, spread, 1.0))
    # The sector is decided by which channel is the maximum, red winning ties, then green.
    hue = jnp.where(value == red, (green - blue) * sixth,
                    jnp.where(value == green, (blue - red) * sixth + 1.0 / 3.0, (red - green) * sixth + 2.0 / 3.0))
    hue = jnp.where(spread > 0, hue, 0.0)
    hue = jnp.where(hue < 0.0, hue + 1.0, hue)
    return restore(jnp.stack([hue, saturation, value], axis=-1).astype(x.dtype))


def hsv_to_rgb(images, data_format=None):
    """HSV `images` (float, components in `[0, 1]`; the hue wraps around) converted to RGB.

    The inverse of `rgb_to_hsv`:

        >>> hsv_to_rgb(jnp.array([[[1.0 / 3.0, 1.0, 0.5]]]))   # green at half value
        Array([[[0. , 0.5, 0. ]]], dtype=float32)
    """
    x, restore = _to_nhwc(_float_images(images, "hsv_to_rgb"), data_format, "hsv_to_rgb")
    _three_channels(x, "hsv_to_rgb")
    hue, saturation, value = x[..., 0], x[..., 1], x[..., 2]
    sector = jnp.mod(hue, 1.0) * 6.0
    # Each channel's share of the colour is a trapezoid over the six hue sectors, peaking at 0 (red),
    # 2 (green) and 4 (blue).
    shares = (jnp.clip(jnp.abs(sector - 3.0) - 1.0, 0.0, 1.0),
              jnp.clip(2.0 - jnp.abs(sector - 2.0), 0.0, 1.0),
              jnp.clip(2.0 - jnp.abs(sector - 4.0), 0.0, 1.0))
    rgb = [value * ((1.0 - saturation) + saturation * share) for share in shares]
    return restore(jnp.stack(rgb, axis=-1).astype(x.dtype))


def _gaussian_1d(size, sigma, dtype):
    offsets = jnp.arange(size, dtype=dtype) - jnp.asarray((size - 1) / 2, dtype)
    weights = jnp.exp(-0.5 * jnp.square(offsets / sigma))
    return weights / jnp.sum(weights)


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """`images` blurred channel by channel with a separable Gaussian kernel, zero-padded at the borders
    so the size is kept.

    `kernel_size` and `sigma` are pairs; as Keras 3 computes it (on every backend), the first entry of
    each applies along the image width and the second along its height. `sigma` may be a traced array.
    Integer images are blurred in float32.

        >>> gaussian_blur(jnp.ones((1, 5, 5, 3)), kernel_size=(3, 3), sigma=(1.0, 1.0)).shape
        (1, 5, 5, 3)
    """
    x, restore = _to_nhwc(images, data_format, "gaussian_blur")
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype("float32")
    if (not isinstance(kernel_size, (tuple, list)) or len(kernel_size) != 2
            or not all(isinstance(k, int) and k > 0 for k in kernel_size)):
        raise ValueError(f"gaussian_blur: `kernel_size` must be a pair of positive ints; received {kernel_size!r}.")
    sigma = jnp.asarray(sigma, x.dtype)
    if sigma.shape != (2,):
        raise ValueError(f"gaussian_blur: `sigma` must be a pair of numbers; received shape {sigma.shape}.")
    along_width = _gaussian_1d(kernel_size[0], sigma[0], x.dtype)
    along_height = _gaussian_1d(kernel_size[1], sigma[1], x.dtype)
    channels = x.shape[-1]
    kernel = jnp.outer(along_height, along_width)[:, :, None, None]
    kernel = jnp.tile(kernel, (1, 1, 1, channels))  # HWIO with one input per group: depthwise
    out = jax.lax.conv_general_dilated(x, kernel, window_strides=(1, 1), padding="SAME",
                                       dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=channels)
    return restore(out)
