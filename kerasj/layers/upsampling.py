"""Upsampling layers: UpSampling1D, UpSampling2D, UpSampling3D.

"nearest" repeats each entry `size` times along each spatial axis (a `jnp.repeat`, which XLA compiles to a
broadcast). UpSampling2D's other interpolations resize with `jax.image.resize` without antialiasing, which is
what Keras 3 does on JAX, so results agree numerically.
"""
import jax
import jax.numpy as jnp

from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.layers.padding import spatial_offset
from kerasj.utils.argument_validation import check_positive_int, standardize_data_format, standardize_tuple

# Keras's interpolation names -> jax.image.resize methods.
_RESIZE_METHODS = {"nearest": "nearest", "bilinear": "linear", "bicubic": "cubic", "lanczos3": "lanczos3",
                   "lanczos5": "lanczos5"}


class UpSampling(Layer):
    """N-D upsampling by integer factors (base of UpSampling1D/2D/3D)."""

    rank = None

    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} '{self.name}'"
        self.data_format = standardize_data_format(data_format, owner)
        self._factors = standardize_tuple(size, self.rank, "size", owner)
        self.interpolation = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if self.interpolation not in _RESIZE_METHODS:
            raise ValueError(f"{owner}: `interpolation` must be one of {list(_RESIZE_METHODS)}; "
                             f"received interpolation={interpolation!r}")
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def compute_output_shape(self, input_shape):
        start = spatial_offset(self.data_format)
        out = list(input_shape)
        for axis, factor in enumerate(self._factors, start):
            out[axis] = None if out[axis] is None else out[axis] * factor
        return tuple(out)

    def call(self, inputs):
        start = spatial_offset(self.data_format)
        if self.interpolation == "nearest":
            for axis, factor in enumerate(self._factors, start):
                inputs = jnp.repeat(inputs, factor, axis=axis)
            return inputs
        out = jax.image.resize(inputs, self.compute_output_shape(inputs.shape),
                               method=_RESIZE_METHODS[self.interpolation], antialias=False)
        return out.astype(inputs.dtype)


class UpSampling1D(UpSampling):
    """Repeats each step of (batch, steps, features) inputs `size` times.

        >>> UpSampling1D(2)(jnp.arange(3.0).reshape(1, 3, 1))[0, :, 0]
        Array([0., 0., 1., 1., 2., 2.], dtype=float32)
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, data_format="channels_last", **kwargs)
        self.size = check_positive_int(size, "size", f"UpSampling1D '{self.name}'")

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(UpSampling):
    """Enlarges images by (rows, cols) factors, repeating pixels ("nearest", default) or interpolating
    ("bilinear", "bicubic", "lanczos3", "lanczos5").

        >>> UpSampling2D((2, 3), interpolation="bilinear")(jnp.ones((1, 4, 4, 3))).shape
        (1, 8, 12, 3)
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format=data_format, interpolation=interpolation, **kwargs)
        self.size = self._factors

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class UpSampling3D(UpSampling):
    """Enlarges volumes by repeating entries along the three spatial axes.

        >>> UpSampling3D((2, 2, 1))(jnp.ones((1, 1, 2, 3, 4))).shape
        (1, 2, 4, 3, 4)
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format=data_format, **kwargs)
        self.size = self._factors

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
