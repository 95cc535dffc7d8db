"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector.

Cropping, zero-padding and upsampling live in cropping.py, padding.py and upsampling.py.
"""
import math

import jax.numpy as jnp

from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.utils.argument_validation import check_positive_int, standardize_data_format


class Flatten(Layer):
    """Flattens all but the batch axis: (batch, d1, d2, ...) -> (batch, d1*d2*...).

    With data_format="channels_first" the channel axis is moved last first, so the ordering matches a
    channels_last model (as Keras does).

        >>> Flatten()(jnp.ones((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, f"Flatten '{self.name}'")
        self.input_spec = InputSpec(min_ndim=1)
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = jnp.moveaxis(inputs, 1, -1)
        return jnp.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(math.prod(rest))
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes the non-batch axes to `target_shape` (one entry may be -1).

        >>> Reshape((2, 6))(jnp.ones((5, 12))).shape
        (5, 2, 6)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(1 for d in target_shape if d == -1) > 1 or any(isinstance(d, int) and d < -1 for d in target_shape):
            raise ValueError(f"Reshape '{self.name}': target_shape must hold non-negative sizes and at most "
                             f"one -1; received target_shape={target_shape}")
        self.target_shape = target_shape
        self.built = True

    def _resolve(self, input_shape):
        size = math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size % known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape input of shape {tuple(input_shape)} "
                                 f"to target_shape {self.target_shape}")
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ValueError(f"Reshape '{self.name}': total size of the new shape {self.target_shape} must be "
                             f"unchanged from the input's non-batch shape {tuple(input_shape[1:])}")
        return self.target_shape

    def call(self, inputs):
        return jnp.reshape(inputs, (inputs.shape[0],) + self._resolve(inputs.shape))

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._resolve(input_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Reorders the non-batch axes: `dims` is a permutation of 1..n (the batch axis 0 stays first).

        >>> Permute((2, 1))(jnp.ones((4, 10, 64))).shape
        (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute '{self.name}': `dims` must be a permutation of 1..{len(dims)} (the batch "
                             f"axis is not included); received dims={dims}")
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)
        self.built = True

    def call(self, inputs):
        return jnp.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a batch of vectors `n` times along a new axis 1: (batch, features) -> (batch, n, features).

        >>> RepeatVector(3)(jnp.ones((2, 5))).shape
        (2, 3, 5)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = check_positive_int(n, "n", f"RepeatVector '{self.name}'")
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs):
        return jnp.broadcast_to(inputs[:, None, :], (inputs.shape[0], self.n, inputs.shape[1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
