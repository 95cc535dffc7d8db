"""`image_dataset_from_directory`: a dataset of `(images, labels)` batches from a folder of image files, one
subfolder per class, as in Keras 3.

    >>> train, val = kerasj.utils.image_dataset_from_directory(
    ...     "photos/", image_size=(64, 64), validation_split=0.2, subset="both", seed=1)
    >>> model.fit(train, validation_data=val, epochs=3)
"""
import functools

import jax
import numpy as np

from kerasj.ops import image as image_ops
from kerasj.utils import argument_validation, directory_index

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
_PIL_MODES = {1: ("L", "I;16", "I"), 3: ("RGB",), 4: ("RGBA",)}  # modes kept as they are; others converted
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
# What `kerasj.ops.image.resize` (like Keras's JAX backend, used by its grain path) can do; tf.image the rest.
_ARRAY_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")
# One compiled program per input shape instead of a dozen eager ops per image.
_resize = jax.jit(image_ops.resize, static_argnames=("size", "interpolation", "data_format"))


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None, validation_split=None,
                                 subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 format=directory_index.DEFAULT_FORMAT, verbose=True):
    """A dataset of images (and labels) read from `directory`, as Keras 3's `image_dataset_from_directory`.

    With `labels="inferred"`, each subfolder of `directory` is a class (its files at any depth are its
    images), labelled 0, 1, ... in the sorted order of the folder names or in the order of `class_names`.
    Supported files: .bmp, .gif (first frame), .jpeg, .jpg, .png. The same files and `seed` give the same
    batches as Keras 3 (for "tf" and "grain").

    Args:
        directory: the folder to read.
        labels: "inferred" (from the subfolders), None (images only), or a list/tuple of integer labels, one
            per file in the sorted order of the file paths.
        label_mode: "int" (int32 `(batch,)`), "categorical" (float32 one-hot), "binary" (float32 `(batch, 1)`,
            exactly 2 classes) or None (images only).
        class_names: with `labels="inferred"`, the subfolders to use, in the order that gives their labels.
        color_mode: "grayscale", "rgb" or "rgba": 1, 3 or 4 channels.
        batch_size: images per batch (default 32); None yields single images.
        image_size: `(height, width)` (or one int) to resize every image to (default `(256, 256)`).
        shuffle: shuffle the files (with `seed`) and then every epoch; False keeps the sorted order.
        seed: seed of both shuffles; needed with `validation_split` when shuffling, so that the training and
            the validation call cut the same permutation.
        validation_split: fraction of the files (taken from the end of the shuffled list) for validation.
        subset: "training", "validation" or "both" (a `[training, validation]` list); with
            `validation_split` only.
        interpolation: resizing method: "bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", and with
            `format="tf"` also "area", "gaussian", "mitchellcubic".
        follow_links: whether to enter subfolders that are symbolic links.
        crop_to_aspect_ratio: crop the largest centred window of the target aspect ratio before resizing.
        pad_to_aspect_ratio: zero-pad to the target aspect ratio before resizing (at most one of the two).
        data_format: "channels_last" or "channels_first"; None: `kerasj.config.image_data_format()`.
        format: "tf" (Keras's default: a `tf.data.Dataset`; needs TensorFlow), "grain" (a grain
            `IterDataset`) or "native" (a `kerasj.utils.native_dataset.NativeDataset`, needing neither). Left
            at its default on a machine without TensorFlow, it gives grain if installed, else native.
        verbose: print how many files and classes were found.

    Returns:
        A dataset of float32 images `(batch, height, width, channels)` (or `(images, labels)` batches), with
        `class_names` and `file_paths` attributes; a `[training, validation]` list for `subset="both"`. The
        grain and native datasets yield NumPy arrays.

    >>> ds = kerasj.utils.image_dataset_from_directory("photos/", image_size=(32, 32), format="native")
    >>> ds.class_names
    ['cats', 'dogs']
    """
    labels, label_mode = directory_index.check_label_args(labels, label_mode, class_names, "image files", "images")
    if color_mode not in _CHANNELS:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: '
                         f"color_mode={color_mode}")
    num_channels = _CHANNELS[color_mode]
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif (not isinstance(image_size, (list, tuple)) or len(image_size) != 2
          or not all(argument_validation.is_int(s) and s > 0 for s in image_size)):
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: "
                         f"image_size={image_size}")
    image_size = tuple(int(s) for s in image_size)
    interpolation = interpolation.lower() if isinstance(interpolation, str) else interpolation
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {INTERPOLATIONS}. Received: "
                         f"interpolation={interpolation}")
    format = directory_index.resolve_format(format)
    if format != "tf" and interpolation not in _ARRAY_INTERPOLATIONS:
        raise ValueError(f'With format="{format}", `interpolation` must be one of {_ARRAY_INTERPOLATIONS} (images '
                         f'are resized by kerasj.ops.image.resize); "{interpolation}" needs format="tf".')
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    data_format = argument_validation.standardize_data_format(data_format, "image_dataset_from_directory")
    options = dict(image_size=image_size, num_channels=num_channels, interpolation=interpolation,
                   data_format=data_format, crop_to_aspect_ratio=bool(crop_to_aspect_ratio),
                   pad_to_aspect_ratio=bool(pad_to_aspect_ratio))
    kind = directory_index.FileKind(formats=ALLOWLIST_FORMATS, noun="images",
                                    allowed=f"Allowed formats: {ALLOWLIST_FORMATS}",
                                    load_tf=functools.partial(_load_image_tf, **options),
                                    load_array=functools.partial(load_image_array, **options))
    return directory_index.dataset_from_directory(directory, kind, labels, label_mode, class_names, batch_size,
                                                  shuffle, seed, validation_split, subset, follow_links, format,
                                                  verbose)


def _crop_box_tf(tf, image, image_size):
    """The centred window of the target aspect ratio, computed in float32 on the image's dynamic shape as
    Keras's `smart_resize` does inside a tf.data map."""
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    target_height, target_width = image_size

    def side(other, target, target_other, limit):
        size = tf.cast(tf.cast(other * target, "float32") / target_other, "int32")
        return tf.maximum(tf.minimum(limit, size), 1)
    crop_height = side(width, target_height, target_width, height)
    crop_width = side(height, target_width, target_height, width)
    top = tf.cast(tf.cast(height - crop_height, "float32") / 2, "int32")
    left = tf.cast(tf.cast(width - crop_width, "float32") / 2, "int32")
    return image[top:top + crop_height, left:left + crop_width, :]


def _load_image_tf(tf, path, image_size, num_channels, interpolation, data_format, crop_to_aspect_ratio,
                   pad_to_aspect_ratio):
    image = tf.image.decode_image(tf.io.read_file(path), channels=num_channels, expand_animations=False)
    if crop_to_aspect_ratio:
        image = tf.image.resize(_crop_box_tf(tf, image, image_size), image_size, method=interpolation)
    elif pad_to_aspect_ratio:
        image = tf.image.resize_with_pad(image, image_size[0], image_size[1], method=interpolation)
    else:
        image = tf.image.resize(image, image_size, method=interpolation)
    if data_format == "channels_first":
        image = tf.transpose(image, (2, 0, 1))
        image.set_shape((num_channels,) + image_size)
    else:
        image.set_shape(image_size + (num_channels,))
    return image


def _to_aspect_ratio(image, image_size, crop):
    """`image` (height, width, channels) cropped to, or zero-padded towards, the aspect ratio of `image_size`,
    with the integer arithmetic of Keras's JAX `resize` (which pads only one pair of sides)."""
    height, width = image.shape[:2]
    target_height, target_width = image_size
    fit_height = int(float(width * target_height) / target_width)
    fit_width = int(float(height * target_width) / target_height)
    if crop:
        crop_height, crop_width = max(min(height, fit_height), 1), max(min(width, fit_width), 1)
        top, left = int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)
        return image[top:top + crop_height, left:left + crop_width]
    top, left = int(float(max(height, fit_height) - height) / 2), int(float(max(width, fit_width) - width) / 2)
    if top > 0:
        return np.pad(image, ((top, top), (0, 0), (0, 0)))
    if left > 0:
        return np.pad(image, ((0, 0), (left, left), (0, 0)))
    return image


def load_image_array(path, image_size, num_channels, interpolation, data_format, crop_to_aspect_ratio=False,
                     pad_to_aspect_ratio=False):
    """One image file as a float32 NumPy array of `image_size` with `num_channels` channels, decoded by PIL
    and resized by `kerasj.ops.image.resize` (Keras's grain path does the same on its JAX backend).

    >>> load_image_array("photos/cats/1.png", (32, 32), 3, "bilinear", "channels_last").shape
    (32, 32, 3)
    """
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Could not import PIL.Image. The use of `load_img` requires PIL.") from None

    with Image.open(path) as image:
        if image.mode not in _PIL_MODES[num_channels]:
            image = image.convert(_PIL_MODES[num_channels][0])
        array = np.asarray(image, dtype="float32")
    if array.ndim == 2:
        array = array[:, :, None]
    if crop_to_aspect_ratio or pad_to_aspect_ratio:
        array = _to_aspect_ratio(array, image_size, crop=crop_to_aspect_ratio)
    # On the host, as Keras's grain path does: the images are input data, not device work.
    with jax.default_device(jax.devices("cpu")[0]):
        resized = np.asarray(_resize(array, size=image_size, interpolation=interpolation,
                                     data_format="channels_last"))
    return resized.transpose(2, 0, 1) if data_format == "channels_first" else resized
