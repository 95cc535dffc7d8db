"""ReversibleEmbedding: an Embedding that can also map hidden vectors back to vocabulary logits.

`layer(ids)` looks rows up as Embedding does; `layer(hidden, reverse=True)` returns `hidden @ embeddings.T`
(tied weights, the usual language-model head) or `hidden @ reverse_embeddings` when `tie_weights=False`.
"""
import jax.numpy as jnp

from kerasj.layers.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """Embedding with a reverse projection to `input_dim` logits (Keras 3 API).

    Args:
        input_dim, output_dim, embeddings_initializer, embeddings_regularizer, embeddings_constraint,
        mask_zero: as for `Embedding`.
        tie_weights: reuse the transposed embeddings for the reverse projection; otherwise a separate
            trainable `reverse_embeddings` matrix of shape `(output_dim, input_dim)` is created (with the
            embeddings' initializer).
        reverse_dtype: dtype the reverse matmul computes in (e.g. "float32" for stable logits under a
            mixed-precision policy); None keeps the inputs' dtype.
        logit_soft_cap: if set, reverse logits become `tanh(logits / cap) * cap`.

        >>> layer = ReversibleEmbedding(100, 8)
        >>> hidden = layer(np.array([[1, 2, 3]]))
        >>> layer(hidden, reverse=True).shape
        (1, 3, 100)
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero, **kwargs)
        if logit_soft_cap is not None and not logit_soft_cap > 0:
            raise ValueError(f"ReversibleEmbedding '{self.name}': `logit_soft_cap` must be a positive number or "
                             f"None; received {logit_soft_cap!r}")
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(name="reverse_embeddings",
                                                      shape=(self.output_dim, self.input_dim),
                                                      initializer=self.embeddings_initializer)

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = self._weight_for_call().T if self.tie_weights else self.reverse_embeddings.value
        inputs = jnp.asarray(inputs)
        if self.reverse_dtype is not None:
            inputs, kernel = inputs.astype(self.reverse_dtype), kernel.astype(self.reverse_dtype)
        logits = jnp.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = jnp.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, mask=None):
        # Only a lookup (integer ids) makes a padding mask; reverse logits carry none, as in Keras.
        dtype = getattr(inputs, "dtype", None)
        if not self.mask_zero or dtype is None or not jnp.issubdtype(dtype, jnp.integer):
            return None
        return jnp.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap}
