"""Layers that stretch or equalize the histogram of pixel values: AutoContrast, Equalization and
ContrastLimitedAdaptiveHistogramEqualization."""
import jax
import jax.numpy as jnp

from kerasj.layers.preprocessing.color_augmentation import APPLY, ColorAugmentation, check_value_range, map_range
from kerasj.layers.preprocessing.image_transform import image_axes
from kerasj.utils.argument_validation import check_positive_int


class AutoContrast(ColorAugmentation):
    """Stretches each channel of each image to the full `value_range`: its minimum maps to the low end and
    its maximum to the high end. A constant channel is left as it is.

    Not an augmentation: applied in inference too (as in Keras 3). Output is float.

    Args:
        value_range: the range of the input values, `(0, 255)` by default.

    Unlike Keras 3 (which always reduces over axes 1 and 2), `data_format="channels_first"` is honoured.

        >>> AutoContrast(value_range=(0, 1))(jnp.array([[[0.25], [0.5]]]))   # [[[0.], [1.]]]
    """

    _INFERENCE = APPLY

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = check_value_range(self._owner(), value_range)

    def transform_images(self, images, transformation=None, training=True):
        images = jnp.asarray(images)
        dtype = self.compute_dtype
        x = map_range(images.astype(dtype), self.value_range, (0, 255), dtype)
        axes = image_axes(self.data_format)
        low, high = jnp.min(x, axis=axes, keepdims=True), jnp.max(x, axis=axes, keepdims=True)
        span = jnp.where(high > low, high - low, 1.0)
        stretched = map_range(jnp.clip((x - low) * (255.0 / span), 0.0, 255.0), (0, 255), self.value_range, dtype)
        return jnp.where(high > low, stretched, images.astype(dtype))

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        return {**config, "value_range": self.value_range}


class Equalization(ColorAugmentation):
    """Histogram equalization of each channel while training: values are remapped through the normalized
    cumulative histogram (`bins` bins over the value range), spreading them evenly over the range.

    As in Keras 3, one histogram per channel is computed over the whole batch, and a channel whose values
    all fall in one bin is left unchanged.

    Args:
        value_range: the range of the input values, `(0, 255)` by default.
        bins: number of histogram bins, default 256.
        data_format: as usual.

    Output is float in training; with `training=False` the input is returned as is.

        >>> Equalization()(images)
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = check_positive_int(bins, "bins", self._owner())
        self.value_range = check_value_range(self._owner(), value_range)

    def _scale(self, values, source, target):
        scale = (target[1] - target[0]) / (source[1] - source[0])
        return values * scale + (target[0] - source[0] * scale)

    def _equalize(self, channel):
        bins = self.bins
        channel = self._scale(channel, self.value_range, (0, 255))
        index = jnp.clip((channel.astype("float32") * (bins - 1) / 255.0).astype("int32"), 0, bins - 1)
        histogram = jnp.bincount(index.reshape(-1), length=bins)
        cdf = jnp.cumsum(histogram)
        cdf_min = cdf[jnp.argmax(cdf > 0)]
        denominator = cdf[-1] - cdf_min
        denominator = jnp.where(denominator == 0, 1, denominator)
        table = jnp.clip(jnp.round((cdf - cdf_min) * 255 / denominator), 0, 255)
        lookup = jnp.clip(channel / 255.0 * (bins - 1), 0, bins - 1).astype("int32")
        equalized = jnp.where(jnp.count_nonzero(histogram) <= 1, channel, table[lookup])
        return self._scale(equalized, (0, 255), self.value_range)

    def transform_images(self, images, transformation=None, training=True):
        images = jnp.asarray(images)
        if not training:
            return images
        images = images.astype(self.compute_dtype)
        axis = -1 if self.data_format == "channels_last" else -3
        channels = [self._equalize(jnp.take(images, i, axis=axis)) for i in range(images.shape[axis])]
        return jnp.stack(channels, axis=axis).astype(self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        return {**config, "bins": self.bins, "value_range": self.value_range}


def _tile_lookup_tables(images, grid, clip_limit):
    """Per tile and channel, the equalizing map of the 256 levels: `(batch, grid_h, grid_w, channels, 256)`.
    Images (0-255, channels_last) are padded by mirroring at the bottom and right to whole tiles."""
    batch, height, width, channels = images.shape
    (grid_h, grid_w), (tile_h, tile_w) = grid, (-(-height // grid[0]), -(-width // grid[1]))
    padded = jnp.pad(images, ((0, 0), (0, tile_h * grid_h - height), (0, tile_w * grid_w - width), (0, 0)),
                     mode="symmetric")
    tiles = padded.reshape(batch, grid_h, tile_h, grid_w, tile_w, channels).transpose(0, 1, 3, 5, 2, 4)
    levels = jnp.clip(tiles.reshape(batch, grid_h, grid_w, channels, tile_h * tile_w).astype("int32"), 0, 255)
    histogram = jnp.sum(jax.nn.one_hot(levels, 256, dtype="float32"), axis=-2)
    area = float(tile_h * tile_w)
    if clip_limit > 0:  # cap each bin and share the excess equally among all bins
        clipped = jnp.minimum(histogram, clip_limit * area / 256.0)
        histogram = clipped + jnp.sum(histogram - clipped, axis=-1, keepdims=True) / 256.0
    cdf = jnp.cumsum(histogram, axis=-1)
    cdf_min = jnp.min(cdf, axis=-1, keepdims=True)
    denominator = jnp.where(area - cdf_min == 0, 1.0, area - cdf_min)
    return jnp.clip((cdf - cdf_min) * 255.0 / denominator, 0, 255), (tile_h, tile_w)


def _clahe(images, grid, clip_limit):
    """CLAHE of channels_last float images in 0-255: each pixel is mapped through the tables of the four
    nearest tile centres, blended bilinearly (tables at the border are repeated outwards)."""
    batch, height, width, channels = images.shape
    tables, (tile_h, tile_w) = _tile_lookup_tables(images, grid, clip_limit)
    tables = jnp.pad(tables, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

    def neighbours(size, tile, count):
        position = (jnp.arange(size, dtype="float32") - tile / 2.0) / tile + 1.0
        low = jnp.floor(position)
        weight = position - low
        return (jnp.clip(low, 0, count + 1).astype("int32"), jnp.clip(low + 1.0, 0, count + 1).astype("int32"),
                weight)

    y0, y1, wy = neighbours(height, tile_h, grid[0])
    x0, x1, wx = neighbours(width, tile_w, grid[1])
    level = jnp.clip(images, 0, 255).astype("int32")
    b = jnp.arange(batch)[:, None, None, None]
    c = jnp.arange(channels)[None, None, None, :]

    def table_at(rows, cols):
        return tables[b, rows[None, :, None, None], cols[None, None, :, None], c, level]

    wy, wx = wy[None, :, None, None], wx[None, None, :, None]
    top = table_at(y0, x0) * (1.0 - wx) + table_at(y0, x1) * wx
    bottom = table_at(y1, x0) * (1.0 - wx) + table_at(y1, x1) * wx
    return top * (1.0 - wy) + bottom * wy


class ContrastLimitedAdaptiveHistogramEqualization(ColorAugmentation):
    """CLAHE: histogram equalization computed per tile of a `tile_grid_size` grid, with each histogram bin
    capped at `clip_limit` times the mean bin count (the excess shared among all bins) to limit the noise
    boost, and the tile maps blended bilinearly between tile centres.

    Not an augmentation: applied in inference too, and the input dtype is kept (as in Keras 3).

    Args:
        value_range: the range of the input values, `(0, 255)` by default.
        clip_limit: number, default 4.0; 0 or less disables the cap.
        tile_grid_size: `(rows, cols)` of tiles, default `(8, 8)`.
        data_format: as usual.

        >>> ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))(images)
    """

    _INFERENCE = APPLY

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = check_value_range(self._owner(), value_range, keep_order=True)
        if not isinstance(clip_limit, (int, float)) or isinstance(clip_limit, bool):
            raise ValueError(f"{self._owner()}: `clip_limit` must be a number; received clip_limit={clip_limit!r}")
        self.clip_limit = clip_limit
        if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
                or not all(isinstance(g, int) and g > 0 for g in tile_grid_size)):
            raise ValueError(f"{self._owner()}: `tile_grid_size` must be a pair of positive ints; "
                             f"received tile_grid_size={tile_grid_size!r}")
        self.tile_grid_size = tile_grid_size

    def transform_images(self, images, transformation=None, training=True):
        images = jnp.asarray(images)
        first = self.data_format == "channels_first"
        x = jnp.moveaxis(images, 1, -1) if first else images
        x = map_range(x.astype("float32"), self.value_range, (0, 255))
        x = map_range(_clahe(x, tuple(self.tile_grid_size), self.clip_limit), (0, 255), self.value_range)
        x = x.astype(images.dtype)
        return jnp.moveaxis(x, -1, 1) if first else x

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        return {**config, "value_range": self.value_range, "clip_limit": self.clip_limit,
                "tile_grid_size": self.tile_grid_size}
