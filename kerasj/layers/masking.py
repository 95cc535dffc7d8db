"""Masking: mark time steps whose features all equal `mask_value` as padding."""
import jax.numpy as jnp

from kerasj.layers.layer import Layer


class Masking(Layer):
    """Masks time steps (axis 1) in which every feature equals `mask_value`.

    The output equals the input with masked steps set to 0, and carries the mask
    `any(inputs != mask_value, axis=-1)` to the layers after it (e.g. an LSTM skips masked steps).

        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
        >>> Masking(mask_value=0.0).compute_mask(x)
        Array([[ True, False,  True]], dtype=bool)
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict):
            raise ValueError(f"Masking '{self.name}': mask_value must be a number; received a serialized "
                             f"object {mask_value!r}")
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def _keep(self, inputs):
        return jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1)

    def compute_mask(self, inputs, mask=None):
        return self._keep(jnp.asarray(inputs))

    def call(self, inputs):
        if inputs.ndim < 2:
            raise ValueError(f"Masking '{self.name}': expected inputs of rank >= 2 (batch, time, ...); received "
                             f"shape {tuple(inputs.shape)}")
        return jnp.where(self._keep(inputs)[..., None], inputs, jnp.zeros((), inputs.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
