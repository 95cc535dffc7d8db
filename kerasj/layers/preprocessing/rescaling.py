"""The Rescaling preprocessing layer: `inputs * scale + offset`, in the compute dtype."""
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.layers.layer import Layer
from kerasj.saving.serialization_lib import deserialize_value, serialize_value


class Rescaling(Layer):
    """Multiplies inputs by `scale` and adds `offset`, e.g. to map `[0, 255]` pixels to `[0, 1]`
    (`scale=1/255`) or to `[-1, 1]` (`scale=1/127.5, offset=-1`).

    Integer inputs give float outputs (the compute dtype). `scale` and `offset` may be per-channel arrays;
    with `kerasj.config.image_data_format() == "channels_first"` a per-channel scale is broadcast over the
    channel axis of `(..., channels, height, width)` images, as in Keras.

        >>> Rescaling(1 / 255)(np.array([[0, 51, 255]], dtype="uint8"))
        Array([[0. , 0.2, 1. ]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("scale", scale), ("offset", offset)):
            try:
                numeric = np.asarray(value).dtype.kind in "biuf"
            except (TypeError, ValueError):
                numeric = False
            if not numeric:
                raise ValueError(f"Rescaling '{self.name}': `{arg}` must be a number or an array of numbers; "
                                 f"received {arg}={value!r}")
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        dtype = self.compute_dtype
        scale = jnp.asarray(self.scale, dtype)
        offset = jnp.asarray(self.offset, dtype)
        if scale.ndim > 0 and config.image_data_format() == "channels_first":
            scale = jnp.reshape(scale, scale.shape + (1,) * (3 - scale.ndim))
        return inputs.astype(dtype) * scale + offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": serialize_value(self.scale),
                "offset": serialize_value(self.offset)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["scale"] = deserialize_value(config["scale"])
        config["offset"] = deserialize_value(config["offset"])
        return cls(**config)
