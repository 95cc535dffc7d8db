"""Embedding: integer indices to dense vectors (optionally creating a padding mask)."""
import jax.numpy as jnp

from kerasj import constraints, initializers, regularizers
from kerasj.layers.lora import LoRAMixin
from kerasj.layers.layer import Layer
from kerasj.utils.argument_validation import check_positive_int


class Embedding(LoRAMixin, Layer):
    """Maps integer indices in `[0, input_dim)` to rows of a trainable `(input_dim, output_dim)` matrix.

    Args follow `keras.layers.Embedding`: input_dim (vocabulary size), output_dim, embeddings_initializer
    ("uniform"), embeddings_regularizer, embeddings_constraint, mask_zero (index 0 is padding: the layer
    then emits the mask `inputs != 0`), weights (an initial `(input_dim, output_dim)` matrix), lora_rank and
    lora_alpha (train a low-rank update of a frozen matrix).

    Float inputs are truncated to int32, as Keras does. Indices are looked up with `jnp.take` semantics,
    exactly like Keras 3 on JAX: negative indices in `[-input_dim, 0)` count from the end, and any index
    outside `[-input_dim, input_dim)` gives a row of NaN (nothing raises, also under jit).

        >>> emb = Embedding(1000, 64, mask_zero=True)
        >>> emb(np.array([[4, 20, 0]])).shape
        (1, 3, 64)
        >>> emb.compute_mask(np.array([[4, 20, 0]]))
        Array([[ True,  True, False]], dtype=bool)
    """

    _lora_weight = "embeddings"

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        check_positive_int(input_dim, "input_dim", "Embedding")
        check_positive_int(output_dim, "output_dim", "Embedding")
        kwargs.pop("input_length", None)  # accepted and ignored, as in Keras 3
        super().__init__(**kwargs)
        if quantization_config is not None:
            raise ValueError(f"Embedding '{self.name}': quantization is not supported by kerasj; received "
                             f"quantization_config={quantization_config!r}")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False  # indices must never be cast to a float compute dtype
        self._init_lora(lora_rank, lora_alpha)
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self._embeddings = self.add_weight(name="embeddings", shape=(self.input_dim, self.output_dim),
                                           initializer=self.embeddings_initializer,
                                           regularizer=self.embeddings_regularizer,
                                           constraint=self.embeddings_constraint)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def embeddings(self):
        """The embeddings Variable, or with LoRA enabled the effective matrix."""
        return self._effective_weight()

    def call(self, inputs):
        inputs = jnp.asarray(inputs)
        if inputs.dtype not in (jnp.int32, jnp.int64):
            inputs = inputs.astype("int32")
        return jnp.take(self._weight_for_call(), inputs, axis=0).astype(self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return jnp.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                  "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                  "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                  "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                  "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                  "mask_zero": self.mask_zero, "quantization_config": None}
        if self.lora_rank:
            config.update(lora_rank=self.lora_rank, lora_alpha=self.lora_alpha)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["embeddings_initializer"] = initializers.get(config.get("embeddings_initializer"))
        for key in ("embeddings_regularizer", "activity_regularizer"):
            config[key] = regularizers.get(config.get(key))
        config["embeddings_constraint"] = constraints.get(config.get("embeddings_constraint"))
        return cls(**config)
