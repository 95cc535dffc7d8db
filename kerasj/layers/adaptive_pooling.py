"""Adaptive pooling layers: average or max pooling to a fixed spatial `output_size`, whatever the input size.

Along each spatial axis of length L, output bin i covers `[floor(i * L / out), ceil((i + 1) * L / out))`
(neighbouring bins may overlap), the bin edges Keras 3 and PyTorch use; the math is
`kerasj.ops.adaptive_average_pool` / `adaptive_max_pool`.

    >>> AdaptiveAveragePooling2D((2, 2))(jnp.ones((1, 7, 5, 3))).shape
    (1, 2, 2, 3)
"""
from kerasj.layers.layer import Layer
from kerasj.ops.nn import adaptive_average_pool, adaptive_max_pool
from kerasj.utils.argument_validation import standardize_data_format, standardize_tuple


class _AdaptivePooling(Layer):
    """Shared argument handling; subclasses set `rank` and `_pool` (the op)."""

    rank = None
    _pool = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if not isinstance(output_size, (int, tuple, list)) or isinstance(output_size, bool):
            raise TypeError(f"{owner}: `output_size` must be an int or a tuple of {self.rank} ints; received "
                            f"{output_size!r} of type {type(output_size).__name__}")
        self.output_size = standardize_tuple(output_size, self.rank, "output_size", owner)
        self.data_format = standardize_data_format(data_format, owner)

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected inputs of rank {self.rank + 2} "
                             f"(batch, {self.rank} spatial axes, channels); received shape {tuple(inputs.shape)}")
        return type(self)._pool(inputs, self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Mean over adaptive bins of a (batch, steps, channels) input (channels first: (batch, channels, steps)).

        >>> AdaptiveAveragePooling1D(2)(jnp.arange(5.0).reshape(1, 5, 1))[0, :, 0]
        Array([1., 3.], dtype=float32)
    """

    rank = 1
    _pool = staticmethod(adaptive_average_pool)


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Mean over adaptive bins of a (batch, height, width, channels) input; `output_size` int or (h, w)."""

    rank = 2
    _pool = staticmethod(adaptive_average_pool)


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Mean over adaptive bins of a (batch, depth, height, width, channels) input."""

    rank = 3
    _pool = staticmethod(adaptive_average_pool)


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Maximum over adaptive bins of a (batch, steps, channels) input.

        >>> AdaptiveMaxPooling1D(2)(jnp.arange(5.0).reshape(1, 5, 1))[0, :, 0]
        Array([2., 4.], dtype=float32)
    """

    rank = 1
    _pool = staticmethod(adaptive_max_pool)


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Maximum over adaptive bins of a (batch, height, width, channels) input; `output_size` int or (h, w)."""

    rank = 2
    _pool = staticmethod(adaptive_max_pool)


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Maximum over adaptive bins of a (batch, depth, height, width, channels) input."""

    rank = 3
    _pool = staticmethod(adaptive_max_pool)
