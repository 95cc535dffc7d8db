"""Cropping layers: Cropping1D, Cropping2D, Cropping3D. Amounts are read as the padding layers read them
(`standardize_pairs`); cropping as much as or more than an axis holds is an error."""
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.layers.padding import spatial_offset, standardize_pairs
from kerasj.utils.argument_validation import standardize_data_format


class Cropping(Layer):
    """N-D cropping (base of Cropping1D/2D/3D). `cropping` is stored as Keras writes it in configs: a flat
    (before, after) pair for rank 1, a tuple of pairs otherwise."""

    rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} '{self.name}'"
        self.data_format = standardize_data_format(data_format, owner)
        self._pairs = standardize_pairs(cropping, self.rank, "cropping", owner)
        self.cropping = self._pairs[0] if self.rank == 1 else self._pairs
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        start = spatial_offset(self.data_format)
        out = list(input_shape)
        for axis, (lo, hi) in enumerate(self._pairs, start):
            size = input_shape[axis]
            if size is None:
                continue
            if lo + hi >= size:
                raise ValueError(f"{type(self).__name__} '{self.name}': cropping {(lo, hi)} removes all of axis "
                                 f"{axis} (size {size}); each axis must keep at least one entry. Received "
                                 f"input_shape={input_shape}, cropping={self.cropping}")
            out[axis] = size - lo - hi
        return tuple(out)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)  # the layer-named error for over-cropping
        start = spatial_offset(self.data_format)
        index = [slice(None)] * inputs.ndim
        for axis, (lo, hi) in enumerate(self._pairs, start):
            index[axis] = slice(lo, inputs.shape[axis] - hi)
        return inputs[tuple(index)]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class Cropping1D(Cropping):
    """Trims the steps axis of (batch, steps, features) inputs.

    `cropping` is an int (both ends) or a (before, after) pair.

        >>> Cropping1D((1, 2))(jnp.ones((2, 6, 3))).shape
        (2, 3, 3)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, data_format="channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]  # always steps-then-features, so Keras keeps no data_format
        return config


class Cropping2D(Cropping):
    """Trims rows and columns of images.

    `cropping` is an int (every side), (rows, cols) for symmetric amounts, or ((top, bottom), (left, right)).

        >>> Cropping2D(((2, 2), (4, 4)))(jnp.ones((2, 28, 28, 3))).shape
        (2, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


class Cropping3D(Cropping):
    """Trims the three spatial axes of volumes.

    `cropping` is an int, three symmetric amounts, or three (before, after) pairs.

        >>> Cropping3D(1)(jnp.ones((1, 4, 5, 6, 2))).shape
        (1, 2, 3, 4, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)
