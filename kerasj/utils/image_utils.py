"""Image files and arrays, as in `keras.utils` / `keras.preprocessing.image`: `load_img`, `img_to_array`,
`array_to_img`, `save_img`, and `smart_resize` (resize without distorting the aspect ratio).

    >>> img = keras.utils.load_img("cat.jpg", target_size=(224, 224))
    >>> x = keras.utils.img_to_array(img)            # (224, 224, 3) float32
    >>> keras.utils.save_img("cat_copy.png", x)

Pillow is needed only by the functions that read or make PIL images, and is imported when they are called.
"""
import io
import os
import warnings

import numpy as np

from kerasj import config
from kerasj.ops import image as ops_image
from kerasj.ops.core import convert_to_tensor
from kerasj.utils.argument_validation import is_int, standardize_data_format
from kerasj.utils.file_io import atomic_write

_COLOR_MODES = ("grayscale", "rgb", "rgba")
# Pillow's names of its resampling filters, by the `interpolation` names Keras accepts.
_PIL_FILTERS = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC", "hamming": "HAMMING",
                "box": "BOX", "lanczos": "LANCZOS"}
# The PIL modes an array's channel count maps to (one channel is "L", or "I" beyond 8 bits).
_MODES_BY_CHANNELS = {4: "RGBA", 3: "RGB"}


def _pil_image(fn):
    """`PIL.Image`, or Keras's ImportError naming the function that needs it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"Could not import PIL.Image. The use of `{fn}` requires PIL.") from None
    return Image


def _resample_filter(image_module, interpolation):
    if interpolation not in _PIL_FILTERS:
        raise ValueError(f"Invalid interpolation method {interpolation!r} specified. Supported methods are "
                         f"{', '.join(_PIL_FILTERS)}")
    filters = getattr(image_module, "Resampling", image_module)  # Pillow < 9.1 kept them on the module
    return getattr(filters, _PIL_FILTERS[interpolation])


def _check_size(size, name, fn):
    if not isinstance(size, (tuple, list)) or len(size) != 2 or not all(is_int(s) and s > 0 for s in size):
        raise ValueError(f"{fn}: `{name}` must be a tuple of 2 positive integers (height, width); received "
                         f"{name}={size!r}")
    return int(size[0]), int(size[1])


def _center_crop_box(width, height, target_width, target_height):
    """The largest centred (left, top, right, bottom) box of a width x height image with the target's aspect
    ratio, in whole pixels."""
    crop_width = min(width, height * target_width // target_height)
    crop_height = min(height, width * target_height // target_width)
    left, top = (width - crop_width) // 2, (height - crop_height) // 2
    return left, top, left + crop_width, top + crop_height


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Read an image file into a PIL Image.

        >>> img = keras.utils.load_img("cat.jpg", color_mode="grayscale", target_size=(64, 64))
        >>> x = keras.utils.img_to_array(img)   # (64, 64, 1)

    Args:
        path: a path (str, bytes or pathlib.Path) or an `io.BytesIO` holding the file's bytes.
        color_mode: "grayscale" (8-bit, unless the file already holds 16- or 32-bit grey levels), "rgb" or
            "rgba".
        target_size: None (keep the file's size) or `(height, width)` to resize to.
        interpolation: the resampling filter when resizing: "nearest", "bilinear", "bicubic", "hamming", "box"
            or "lanczos".
        keep_aspect_ratio: resize the largest centred crop with the target's aspect ratio instead of
            stretching the whole image.
    """
    image_module = _pil_image("load_img")
    if color_mode not in _COLOR_MODES:
        raise ValueError(f'load_img: color_mode must be "grayscale", "rgb", or "rgba"; received '
                         f'color_mode={color_mode!r}')
    if target_size is not None:
        target_size = _check_size(target_size, "target_size", "load_img")
        resample = _resample_filter(image_module, interpolation)
    if isinstance(path, io.BytesIO):
        img = image_module.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        # Read the whole file now, so no file handle stays open behind Pillow's lazy loading.
        with open(path, "rb") as f:
            img = image_module.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):  # grey levels deeper than 8 bits are kept as they are
            img = img.convert("L")
    elif img.mode != color_mode.upper():
        img = img.convert(color_mode.upper())
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    box = _center_crop_box(*img.size, *width_height) if keep_aspect_ratio else None
    return img.resize(width_height, resample, box=box)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL Image (or anything `np.asarray` reads) as a 3D array, with a channel axis even for grayscale.

        >>> keras.utils.img_to_array(keras.utils.load_img("cat.png")).shape
        (height, width, 3)

    Args:
        img: the image.
        data_format: "channels_last" (height, width, channels) or "channels_first"; None means
            `keras.config.image_data_format()`.
        dtype: the array's dtype; None means `keras.config.floatx()`.
    """
    data_format = standardize_data_format(data_format, "img_to_array")
    x = np.asarray(img, dtype=config.floatx() if dtype is None else dtype)
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[..., None]
    if x.ndim != 3:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3D array (one image, with 1, 3 or 4 channels) as a PIL Image ("L" or "I", "RGB", "RGBA").

        >>> img = keras.utils.array_to_img(np.random.random((32, 32, 3)))
        >>> img.size
        (32, 32)

    Args:
        x: the image array (anything `np.asarray` reads).
        data_format: "channels_last" or "channels_first"; None means `keras.config.image_data_format()`.
        scale: shift and stretch the values so that the minimum becomes 0 and the maximum 255 (a constant
            image becomes 0). Without it, values are cast to 8 bits as they are.
        dtype: the dtype the values are read as before scaling; None means `keras.config.floatx()`.
    """
    data_format = standardize_data_format(data_format, "array_to_img")
    image_module = _pil_image("array_to_img")
    x = np.asarray(x, dtype=config.floatx() if dtype is None else dtype)
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels in _MODES_BY_CHANNELS:
        return image_module.fromarray(x.astype("uint8"), _MODES_BY_CHANNELS[channels])
    if channels != 1:
        raise ValueError(f"Unsupported channel number: {channels}")
    if np.max(x) > 255:  # more grey levels than 8 bits hold: Pillow's 32-bit integer mode
        return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
    return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")


def _format_from_suffix(image_module, path):
    suffix = os.path.splitext(path)[1].lower()
    image_module.init()  # load every format plugin, so the table of extensions is complete
    file_format = image_module.registered_extensions().get(suffix)
    if file_format is None:
        raise ValueError(f"save_img: cannot tell the image format from the extension {suffix!r} of {path!r}; "
                         "pass file_format (e.g. 'png', 'jpeg').")
    return file_format


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write an image array to a file (written atomically) or a file object.

        >>> keras.utils.save_img("out.jpg", np.random.random((32, 32, 3)), quality=90)

    Args:
        path: a path, or a file object opened for binary writing (then give `file_format`).
        x: the image array, as for `array_to_img`.
        data_format: "channels_last" or "channels_first"; None means `keras.config.image_data_format()`.
        file_format: the format ("png", "jpeg", ...); None takes it from the path's extension.
        scale: stretch the values to [0, 255], as in `array_to_img`.
        **kwargs: passed to `PIL.Image.Image.save` (e.g. `quality=` for JPEG).
    """
    data_format = standardize_data_format(data_format, "save_img")
    img = array_to_img(x, data_format=data_format, scale=scale)  # without Pillow, raises Keras's ImportError
    is_path = isinstance(path, (str, bytes, os.PathLike))
    if is_path:
        path = os.fsdecode(path)
    if file_format is None and is_path:
        file_format = _format_from_suffix(_pil_image("save_img"), path)
    if isinstance(file_format, str) and file_format.lower() == "jpg":
        file_format = "jpeg"  # Pillow knows the format as JPEG only
    if img.mode == "RGBA" and isinstance(file_format, str) and file_format.lower() == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    if not is_path:
        img.save(path, format=file_format, **kwargs)
        return
    with atomic_write(path) as tmp:
        img.save(tmp, format=file_format, **kwargs)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Resize images to `size` without distorting them: take the largest centred crop with the target's
    aspect ratio, then resize it (with `kerasj.ops.image.resize`).

        >>> smart_resize(np.ones((340, 500, 3)), (200, 200)).shape   # crops (340, 340), then resizes
        (200, 200, 3)

    Args:
        x: one image `(height, width, channels)` or a batch `(batch, height, width, channels)` (channels first
            with `data_format="channels_first"`); a NumPy array comes back as one, anything else as a
            `jax.Array`.
        size: `(height, width)` of the result.
        interpolation: "bilinear", "nearest", "bicubic", "lanczos3" or "lanczos5".
        data_format: "channels_last" or "channels_first" (None means `keras.config.image_data_format()`).
        backend_module: (keyword only, as in Keras) a module providing `convert_to_tensor` and
            `image.resize(images, size, interpolation=, data_format=)` to compute with instead of kerasj.ops.
    """
    backend_module = kwargs.pop("backend_module", None)
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs.keys())}")
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    target_height, target_width = _check_size(size, "size", "smart_resize")
    data_format = standardize_data_format(data_format, "smart_resize")
    backend_image, to_tensor = ((ops_image, convert_to_tensor) if backend_module is None
                                else (backend_module.image, backend_module.convert_to_tensor))
    img = to_tensor(x)
    if len(img.shape) not in (3, 4):
        raise ValueError("Expected an image array with shape `(height, width, channels)`, or `(batch_size, "
                         f"height, width, channels)`, but got input with incorrect rank, of shape {img.shape}.")
    rows, cols = (-3, -2) if data_format == "channels_last" else (-2, -1)
    height, width = img.shape[rows], img.shape[cols]
    if not (is_int(height) and is_int(width)):
        raise ValueError(f"smart_resize: the image height and width must be known; received shape {img.shape}.")
    # Float arithmetic, truncated, as Keras computes the crop (it can differ from integer division by one).
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top, left = int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)
    index = [slice(None)] * len(img.shape)
    index[rows], index[cols] = slice(top, top + crop_height), slice(left, left + crop_width)
    img = backend_image.resize(img[tuple(index)], size=(target_height, target_width), interpolation=interpolation,
                               data_format=data_format)
    return np.array(img) if isinstance(x, np.ndarray) else img
