"""RMSNormalization: `x * rsqrt(mean(x**2) + epsilon) * scale` (Zhang & Sennrich, 2019), without LayerNorm's
centering. Statistics are computed in at least float32, as Keras does, and the result is cast back."""
import jax.numpy as jnp

from kerasj.layers.layer import Layer
from kerasj.layers.normalization import resolve_axes, standardize_axis, upcast
from kerasj.ops.nn import rms_normalization


class RMSNormalization(Layer):
    """Root-mean-square normalization over `axis` with a trainable `scale` (initialized to ones).

    Args:
        axis: int or list of ints, the axes normalized over (and the shape of `scale`).
        epsilon: added to the mean square before the reciprocal square root.

        >>> layer = RMSNormalization()
        >>> layer(jnp.array([[3.0, 4.0]]))  # rms = sqrt(12.5)
        Array([[0.8485281, 1.1313708]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = standardize_axis(axis, "RMSNormalization")
        self.epsilon = epsilon
        self.supports_masking = True

    def build(self, input_shape):
        # As in Keras, a list axis is sorted and an int one becomes a one-element list once built.
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        resolve_axes(axes, len(input_shape), f"RMSNormalization '{self.name}'")
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(f"RMSNormalization '{self.name}': the input dimension(s) on axis {axes} must be "
                             f"known; received input_shape={tuple(input_shape)}")
        self.axis = axes
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, x):
        x = jnp.asarray(x)
        dtype = x.dtype
        wide = upcast(x)
        axes = resolve_axes(self.axis, wide.ndim, f"RMSNormalization '{self.name}'")
        # `scale` laid along its axes, so any axes broadcast (Keras multiplies the bare (d,) scale, which
        # fails unless the axes are the trailing ones; for those the result is the same).
        scale_shape = [wide.shape[a] if a in axes else 1 for a in range(wide.ndim)]
        scale = jnp.reshape(self.scale.value.astype(wide.dtype), scale_shape)
        return rms_normalization(wide, scale=scale, axis=tuple(axes), epsilon=self.epsilon).astype(dtype)

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        resolve_axes(axes, len(input_shape), f"RMSNormalization '{self.name}'")
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
