"""Quantization configs: what `model.quantize(mode, config=...)` applies. A config names its `mode` and may
carry the quantizers for weights and activations; configs serialize as Keras's do, so quantized layers'
configs move between kerasj and Keras 3.

    >>> config = Int8QuantizationConfig(weight_quantizer=AbsMaxQuantizer(axis=0))
    >>> config.mode, type(config.activation_quantizer).__name__
    ('int8', 'AbsMaxQuantizer')
"""
from kerasj.quantizers.abs_max import AbsMaxQuantizer
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

# The modes a quantized layer or dtype policy can be in, in Keras's order.
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


class QuantizationConfig:
    """Base of the quantization configs; subclasses give `mode` (and `get_config`/`from_config` when they
    hold more than the two quantizers).

    Args:
        weight_quantizer: the `Quantizer` for the weights, or None for the layer's default.
        activation_quantizer: the `Quantizer` for the inputs, or None for weight-only quantization.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} does not define `mode`: use a subclass such as "
                                  "Int8QuantizationConfig rather than QuantizationConfig itself.")

    def get_config(self):
        return {"weight_quantizer": serialize_keras_object(self.weight_quantizer),
                "activation_quantizer": serialize_keras_object(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=deserialize_keras_object(config.get("weight_quantizer")),
                   activation_quantizer=deserialize_keras_object(config.get("activation_quantizer")))

    @staticmethod
    def weight_quantizer_or_default(config, default):
        """`config`'s weight quantizer, or `default` when there is no config or it names none."""
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        """`config`'s activation quantizer (None means none: weight-only), or `default` without a config."""
        if config is not None:
            return config.activation_quantizer
        return default


def _check_weight_quantizer(owner, quantizer, value_range=None):
    """The weight quantizer must produce int8 (int4 values travel in int8) and, for int4, cover [-8, 7]."""
    if quantizer is None:
        return
    output_dtype = getattr(quantizer, "output_dtype", None)
    if output_dtype != "int8":
        raise ValueError(f"{owner}: `weight_quantizer` must have output_dtype='int8'; received a "
                         f"{type(quantizer).__name__} with output_dtype={output_dtype!r}")
    if value_range is not None:
        received = getattr(quantizer, "value_range", None)
        if received is None or tuple(received) != value_range:
            raise ValueError(f"{owner}: `weight_quantizer` must have value_range={value_range}; received a "
                             f"{type(quantizer).__name__} with value_range={received!r}")


class Int8QuantizationConfig(QuantizationConfig):
    """Int8 weights and, by default, int8 activations quantized per row by an `AbsMaxQuantizer`.

    Args:
        weight_quantizer: a quantizer with output_dtype "int8", or None for the layer's default.
        activation_quantizer: "default" (an `AbsMaxQuantizer()`), a quantizer, or None (weight-only).

        >>> Int8QuantizationConfig(activation_quantizer=None).get_config()
        {'weight_quantizer': None, 'activation_quantizer': None}
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        _check_weight_quantizer("Int8QuantizationConfig", self.weight_quantizer)

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """Int4 weights (two per byte), weight-only by default.

    Args:
        weight_quantizer: a quantizer with output_dtype "int8" and value_range (-8, 7), or None.
        activation_quantizer: "default" (None: weight-only), a quantizer, or None.
        block_size: the group length along the input dimension, one scale per group (sub-channel); None or
            -1 for one scale per output channel. Custom quantizers need per-channel mode.

        >>> Int4QuantizationConfig(block_size=64).get_config()["block_size"]
        64
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and (isinstance(block_size, bool) or not isinstance(block_size, int)
                                       or (block_size != -1 and block_size <= 0)):
            raise ValueError(f"Int4QuantizationConfig: `block_size` must be None, -1 or a positive integer; "
                             f"received block_size={block_size!r}")
        if block_size is not None and block_size > 0 and (weight_quantizer is not None
                                                          or self.activation_quantizer is not None):
            raise ValueError("Int4QuantizationConfig: custom quantizers need per-channel quantization: set "
                             "`block_size` to None or -1, or pass no `weight_quantizer`/`activation_quantizer`; "
                             f"received block_size={block_size}")
        self.block_size = block_size
        _check_weight_quantizer("Int4QuantizationConfig", self.weight_quantizer, value_range=(-8, 7))

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config):
        # A config without block_size comes from a Keras version that only had per-channel int4.
        return cls(weight_quantizer=deserialize_keras_object(config.get("weight_quantizer")),
                   activation_quantizer=deserialize_keras_object(config.get("activation_quantizer")),
                   block_size=config.get("block_size"))


class Float8QuantizationConfig(QuantizationConfig):
    """Float8 training (delayed scaling); it takes no custom quantizers, it only selects the mode.

        >>> Float8QuantizationConfig().mode
        'float8'
    """

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()


def check_group_size(owner, group_size):
    """GPTQ and AWQ share this argument: -1 (whole channels) or a positive group length."""
    if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < -1 or group_size == 0:
        raise ValueError(f"{owner}: `group_size` must be -1 (one group per channel) or a positive integer; "
                         f"received group_size={group_size!r}")


def _check_mode(mode):
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"quantize: `mode` must be one of {QUANTIZATION_MODES}; received mode={mode!r}")


def validate_and_resolve_config(mode, config):
    """The `QuantizationConfig` that `quantize(mode, config)` means: `config` checked against `mode`, or the
    default config of `mode` (a string `config` is read as the mode, as older Keras code passes it).

        >>> validate_and_resolve_config("int8", None).mode
        'int8'
    """
    if isinstance(config, str):
        mode, config = config, None
    _check_mode(mode)
    if config is None:
        defaults = {"int8": Int8QuantizationConfig, "int4": Int4QuantizationConfig,
                    "float8": Float8QuantizationConfig}
        if mode in ("gptq", "awq"):
            name = "GPTQConfig" if mode == "gptq" else "AWQConfig"
            raise ValueError(f"quantize: mode {mode!r} needs a `config` argument, a {name}; received config=None")
        if mode is None:
            raise ValueError("quantize: pass `mode` or `config`; received neither.")
        config = defaults[mode]()
    elif not isinstance(config, QuantizationConfig):
        raise ValueError(f"quantize: `config` must be a QuantizationConfig; received config={config!r} "
                         f"(of type {type(config).__name__})")
    if mode is not None and config.mode != mode:
        raise ValueError(f"quantize: `mode` and `config` disagree: mode={mode!r} but config.mode={config.mode!r}")
    _check_mode(config.mode)
    return config
