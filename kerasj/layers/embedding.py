"""Embedding: integer indices to dense vectors (optionally creating a padding mask)."""
import jax.numpy as jnp

from kerasj import constraints, initializers, regularizers
from kerasj.layers.lora import LoRAMixin
from kerasj.layers.layer import Layer
from kerasj.layers.quantized_layer import QuantizedLayerMixin
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from kerasj.utils.argument_validation import check_positive_int


class Embedding(QuantizedLayerMixin, LoRAMixin, Layer):
    """Maps integer indices in `[0, input_dim)` to rows of a trainable `(input_dim, output_dim)` matrix.

    Args follow `keras.layers.Embedding`: input_dim (vocabulary size), output_dim, embeddings_initializer
    ("uniform"), embeddings_regularizer, embeddings_constraint, mask_zero (index 0 is padding: the layer
    then emits the mask `inputs != 0`), weights (an initial `(input_dim, output_dim)` matrix), lora_rank and
    lora_alpha (train a low-rank update of a frozen matrix), quantization_config (int8 quantization: see
    `kerasj.layers.quantized_layer`).

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
    _quantization_modes = ("int8", "int4")  # int4 is Keras's too; kerasj does not implement it yet

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        check_positive_int(input_dim, "input_dim", "Embedding")
        check_positive_int(output_dim, "output_dim", "Embedding")
        kwargs.pop("input_length", None)  # accepted and ignored, as in Keras 3
        super().__init__(**kwargs)
        self.quantization_config = quantization_config
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
        if self.quantization_mode:
            self.quantized_build((self.input_dim, self.output_dim), self.quantization_mode,
                                 self.quantization_config)
        if self.quantization_mode != "int8":  # int8 creates its own embeddings
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
        if self.quantization_mode:
            return self.quantized_call(inputs)
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
                  "mask_zero": self.mask_zero,
                  "quantization_config": serialize_keras_object(self.quantization_config)}
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
        config["quantization_config"] = deserialize_keras_object(config.get("quantization_config"))
        return cls(**config)

    # Quantization (see kerasj.layers.quantized_layer): one scale per row.
    def quantized_build(self, embeddings_shape, mode, config=None):
        super().quantized_build(embeddings_shape, mode, config)  # Keras's argument name

    def _int8_weight_axis(self):
        return -1

    def _int8_scale_shape(self, shape):
        return (self.input_dim,)

    def _int8_scale_from_quantizer(self, scale):
        return jnp.squeeze(scale, axis=-1)

    def _int8_scale_in_weight_layout(self, scale):
        return scale[:, None]

    def _int8_call(self, inputs):
        # The int8 rows are not trainable, so no gradient needs defining: the lookup is differentiable as is.
        outputs = jnp.take(self._embeddings.value, inputs, axis=0).astype(self.compute_dtype)
        outputs = outputs / jnp.take(self.embeddings_scale.value, inputs, axis=0)[..., None]
        if self.lora_enabled:
            lora = jnp.matmul(jnp.take(self.lora_embeddings_a.value, inputs, axis=0), self.lora_embeddings_b.value)
            outputs = (outputs + (self.lora_alpha / self.lora_rank) * lora).astype(self.compute_dtype)
        return outputs
