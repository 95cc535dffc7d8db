"""SpectralNormalization (Miyato et al. 2018): divide a layer's kernel by its largest singular value.

The singular value is estimated by power iteration with a persistent vector `u` (a non-trainable weight of
shape (1, units)): per training call, `power_iterations` rounds of `v = normalize(u W^T)`,
`u = normalize(v W)` on the kernel reshaped to (-1, units), then `sigma = v W u^T`. In training the wrapped
layer's kernel is replaced by `W / sigma` (and `u` kept); in inference the stored kernel is used as is, as in
Keras.
"""
import jax.numpy as jnp
from jax import lax

from kerasj import config, initializers
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.wrapper import Wrapper
from kerasj.utils.argument_validation import is_int
from kerasj.variables import Variable


def _l2_normalize(x):
    # Over all entries, with the norm floored at epsilon, in the form Keras evaluates.
    return x * jnp.minimum(lax.rsqrt(jnp.sum(jnp.square(x))), 1.0 / config.epsilon())


class SpectralNormalization(Wrapper):
    """Spectral normalization of the `kernel` (or `embeddings`) of `layer`.

    Args:
        layer: a layer with a `kernel` or `embeddings` weight (Dense, Conv2D, Embedding, ...).
        power_iterations: power-iteration rounds per training call (a positive int).

        >>> sn = SpectralNormalization(Dense(8))
        >>> y = sn(jnp.ones((2, 4)), training=True)   # the kernel now has spectral norm ~1
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if not is_int(power_iterations) or power_iterations <= 0:
            raise ValueError(f"SpectralNormalization '{self.name}': `power_iterations` must be a positive integer; "
                             f"received power_iterations={power_iterations!r}")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if not isinstance(kernel, Variable):
            raise ValueError(f"SpectralNormalization '{self.name}': the wrapped {type(self.layer).__name__} has no "
                             "`kernel` or `embeddings` weight to normalize.")
        # Held as an attribute, as Keras does, so the kernel is also listed among this layer's own weights
        # (weights order: kernel, vector_u, then the rest of the wrapped layer's).
        self.kernel = kernel
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(name="vector_u", shape=(1, self.kernel_shape[-1]),
                                        initializer=initializers.TruncatedNormal(stddev=0.02), trainable=False,
                                        dtype=kernel.dtype)
        self.built = True

    def normalized_weights(self):
        """One power-iteration update: returns (new u, kernel / sigma) without assigning them."""
        kernel = self.kernel.value
        weights = kernel.reshape(-1, self.kernel_shape[-1])
        u = self.vector_u.value
        for _ in range(self.power_iterations):
            v = _l2_normalize(u @ weights.T)
            u = _l2_normalize(v @ weights)
        u, v = lax.stop_gradient(u), lax.stop_gradient(v)
        sigma = (v @ weights) @ u.T
        return u.astype(self.vector_u.dtype), (kernel / sigma).reshape(self.kernel_shape).astype(kernel.dtype)

    def call(self, inputs, training=False):
        if training:
            # An all-zero kernel has no direction to normalize: keep it (and u) unchanged.
            u, kernel = lax.cond(jnp.all(self.kernel.value == 0),
                                 lambda: (self.vector_u.value, self.kernel.value), self.normalized_weights)
            self.vector_u.assign(u)
            self.kernel.assign(kernel)
        return self.layer(inputs).astype(jnp.asarray(inputs).dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
