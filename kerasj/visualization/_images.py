"""What the drawing and plotting functions share: batched images as NumPy arrays, their channel layout and
their value range."""
import numpy as np

from kerasj import config


def batched_images(images):
    """`images` as a NumPy array of rank 4 (a batch), or a ValueError naming the shape received."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={images.shape}")
    return images


def data_format_of(data_format):
    """`data_format`, or the configured `image_data_format()` for None; checked."""
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("`data_format` must be 'channels_last' or 'channels_first'; received "
                         f"data_format={data_format!r}")
    return data_format


def channels_last(images, data_format):
    """`(batch, channels, height, width)` images as `(batch, height, width, channels)`; others unchanged."""
    return np.transpose(images, (0, 2, 3, 1)) if data_format == "channels_first" else images


def to_0_255(images, value_range):
    """Images with values in `value_range` rescaled to `[0, 255]` (float32); unchanged when the range is
    already `(0, 255)`."""
    low, high = value_range
    if (low, high) == (0, 255):
        return images
    low, high = np.float32(low), np.float32(high)
    return (images.astype("float32") - low) / (high - low) * np.float32(255)
