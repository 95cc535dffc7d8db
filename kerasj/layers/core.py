"""Core layers: Dense, Activation, Identity."""
import jax.numpy as jnp

from kerasj import activations, constraints, initializers, regularizers
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.layers.lora import LoRAMixin
from kerasj.layers.quantized_layer import QuantizedLayerMixin, int8_matmul
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


class Dense(QuantizedLayerMixin, LoRAMixin, Layer):
    """Densely connected layer: `activation(inputs @ kernel + bias)`, applied on the last axis.

    Args follow `keras.layers.Dense`: units, activation, use_bias, kernel_initializer ("glorot_uniform"),
    bias_initializer ("zeros"), kernel/bias/activity regularizers, kernel/bias constraints, lora_rank and
    lora_alpha (train a low-rank update of the frozen kernel: see `kerasj.layers.lora`), quantization_config
    (used by `quantize` and by a quantized dtype policy: see `kerasj.layers.quantized_layer`).

        >>> layer = Dense(16, activation="relu")
        >>> layer(jnp.ones((4, 8))).shape
        (4, 16)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: `units` must be a positive integer; received units={units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True
        self.quantization_config = quantization_config
        self._init_lora(lora_rank, lora_alpha)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense '{self.name}': the last dimension of the input must be known; "
                             f"received input_shape={input_shape}")
        if self.quantization_mode:
            self.quantized_build((input_dim, self.units), self.quantization_mode, self.quantization_config)
        if self.quantization_mode != "int8":  # int8 creates its own kernel
            self._kernel = self.add_weight(shape=(input_dim, self.units), initializer=self.kernel_initializer,
                                           regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                           name="kernel")
        self.bias = (self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                     name="bias") if self.use_bias else None)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def kernel(self):
        """The kernel Variable, or with LoRA enabled the effective kernel array."""
        return self._effective_weight()

    def call(self, inputs, training=None):
        if self.quantization_mode:
            return self.quantized_call(inputs, training=training)
        x = jnp.matmul(inputs, self._weight_for_call().astype(inputs.dtype))
        if self.bias is not None:
            x = x + self.bias.value.astype(x.dtype)
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "quantization_config": serialize_keras_object(self.quantization_config),
                **({"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha} if self.lora_rank else {})}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("kernel_initializer", "bias_initializer"):
            config[key] = initializers.get(config.get(key))
        for key in ("kernel_regularizer", "bias_regularizer"):
            config[key] = regularizers.get(config.get(key))
        for key in ("kernel_constraint", "bias_constraint"):
            config[key] = constraints.get(config.get(key))
        config["quantization_config"] = deserialize_keras_object(config.get("quantization_config"))
        return cls(**config)

    # Quantization layout (see kerasj.layers.quantized_layer): one scale per output unit.
    def _contract(self, x, kernel):
        return int8_matmul(x, kernel)

    def _int8_weight_axis(self):
        return 0

    def _int8_inputs_axis(self):
        return -1

    def _int8_scale_shape(self, kernel_shape):
        return (self.units,)

    def _int8_scale_from_quantizer(self, scale):
        return jnp.squeeze(scale, axis=0)

    def _int8_scale_in_weight_layout(self, scale):
        return scale

    def _inputs_scale_in_output_layout(self, scale):
        return scale


class Activation(Layer):
    """Applies an activation function (by name or callable) to its input.

        >>> Activation("relu")(jnp.array([-1.0, 2.0]))
        Array([0., 2.], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    """Returns its input unchanged."""

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
