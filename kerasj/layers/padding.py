"""Zero-padding layers: ZeroPadding1D, ZeroPadding2D, ZeroPadding3D.

Amounts are given per spatial axis as (before, after) pairs. `standardize_pairs` reads Keras's three
spellings of such amounts and is shared with the cropping layers.
"""
import jax.numpy as jnp

from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.utils.argument_validation import is_int, standardize_data_format


def _pair(value, what, owner):
    pair = (value, value) if is_int(value) else value
    try:
        pair = tuple(pair)
    except TypeError:
        pair = None
    if pair is None or len(pair) != 2 or not all(is_int(v) and v >= 0 for v in pair):
        raise ValueError(f"{owner}: {what} must be a non-negative int or a tuple of 2 non-negative ints; "
                         f"received {value!r}")
    return tuple(int(v) for v in pair)


def standardize_pairs(value, rank, name, owner):
    """`rank` (before, after) pairs of non-negative ints from an int (every side), `rank` ints (symmetric per
    axis) or `rank` pairs. For rank 1 a pair is (before, after) itself, as Keras reads it.

        >>> standardize_pairs((1, (2, 3)), 2, "padding", "ZeroPadding2D")
        ((1, 1), (2, 3))
    """
    if rank == 1:
        return (_pair(value, f"`{name}`", owner),)
    entries = (value,) * rank if is_int(value) else value
    try:
        entries = tuple(entries)
    except TypeError:
        entries = None
    if entries is None or len(entries) != rank:
        raise ValueError(f"{owner}: `{name}` must be an int, a tuple of {rank} ints or a tuple of {rank} "
                         f"(before, after) pairs; received {name}={value!r}")
    return tuple(_pair(v, f"entry {i} of `{name}`", owner) for i, v in enumerate(entries))


def spatial_offset(data_format):
    """Index of the first spatial axis in a batched input."""
    return 1 if data_format == "channels_last" else 2


class ZeroPadding(Layer):
    """N-D zero padding (base of ZeroPadding1D/2D/3D). `padding` is stored as Keras writes it in configs: a
    flat (before, after) pair for rank 1, a tuple of pairs otherwise."""

    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} '{self.name}'"
        self.data_format = standardize_data_format(data_format, owner)
        self._pairs = standardize_pairs(padding, self.rank, "padding", owner)
        self.padding = self._pairs[0] if self.rank == 1 else self._pairs
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def _full_padding(self):
        start = spatial_offset(self.data_format)
        pads = [(0, 0)] * (self.rank + 2)
        pads[start:start + self.rank] = self._pairs
        return pads

    def call(self, inputs):
        return jnp.pad(inputs, self._full_padding())

    def compute_output_shape(self, input_shape):
        return tuple(None if d is None else d + lo + hi
                     for d, (lo, hi) in zip(input_shape, self._full_padding()))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(ZeroPadding):
    """Adds zeros before and after the steps axis of (batch, steps, features) inputs.

    `padding` is an int (both ends) or a (before, after) pair.

        >>> ZeroPadding1D((1, 2))(jnp.ones((2, 5, 3))).shape
        (2, 8, 3)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class ZeroPadding2D(ZeroPadding):
    """Adds rows and columns of zeros around images.

    `padding` is an int (every side), (rows, cols) for symmetric amounts, or
    ((top, bottom), (left, right)).

        >>> ZeroPadding2D(((1, 0), (2, 2)))(jnp.ones((1, 4, 4, 3))).shape
        (1, 5, 8, 3)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class ZeroPadding3D(ZeroPadding):
    """Adds zeros around volumes (batch, dim1, dim2, dim3, channels).

    `padding` is an int, three symmetric amounts, or three (before, after) pairs.

        >>> ZeroPadding3D(1)(jnp.ones((1, 2, 2, 2, 4))).shape
        (1, 4, 4, 4, 4)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)
