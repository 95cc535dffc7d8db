"""`keras.quantizers` on JAX: quantizers, quantization ops and the configs of `model.quantize`.

    >>> from kerasj import quantizers
    >>> q, scale = quantizers.abs_max_quantize(jnp.array([[0.5, -1.0]]), axis=-1)
    >>> quantizers.serialize(quantizers.AbsMaxQuantizer(axis=-1))["class_name"]
    'AbsMaxQuantizer'

This package sits with the ops (it never imports layers or models); quantized layers build on it.
"""
import inspect as _inspect

from kerasj.quantizers.abs_max import AbsMaxQuantizer, abs_max_quantize
from kerasj.quantizers.awq_config import AWQConfig
from kerasj.quantizers.base import Quantizer
from kerasj.quantizers.fake_quant import fake_quant_with_min_max_vars
from kerasj.quantizers.float8 import compute_float8_amax_history, compute_float8_scale, quantize_and_dequantize
from kerasj.quantizers.gptq_config import GPTQConfig
from kerasj.quantizers.grouped import abs_max_quantize_grouped_with_zero_point
from kerasj.quantizers.int4_packing import pack_int4, unpack_int4
from kerasj.quantizers.quantization_config import (Float8QuantizationConfig, Int4QuantizationConfig,
                                                   Int8QuantizationConfig, QuantizationConfig)
from kerasj.saving.serialization_lib import deserialize_keras_object as _deserialize_keras_object
from kerasj.saving.serialization_lib import serialize_keras_object as _serialize_keras_object
from kerasj.utils.keras_names import register_namespace as _register_namespace
from kerasj.utils.naming import to_snake_case as _to_snake_case

_CLASSES = (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig, Int4QuantizationConfig,
            Float8QuantizationConfig, GPTQConfig, AWQConfig)
# Names a string identifier may use: the class name or its snake_case form ("abs_max_quantizer").
_BY_NAME = {**{cls.__name__: cls for cls in _CLASSES}, **{_to_snake_case(cls.__name__): cls for cls in _CLASSES}}


def serialize(initializer):
    """The Keras config of a quantizer or quantization config (`{"module", "class_name", "config",
    "registered_name"}`). (Keras names the argument `initializer`.)

        >>> serialize(AbsMaxQuantizer())["config"]
        {'value_range': (-127, 127), 'epsilon': 1e-07, 'output_dtype': 'int8'}
    """
    return _serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """The quantizer or quantization config that `config` (from `serialize`, or a name) describes.

        >>> deserialize({"class_name": "AbsMaxQuantizer", "config": {"axis": [0]}}).axis
        (0,)
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        cls = custom_objects.get(config) or _BY_NAME.get(config)
        if cls is None:
            raise ValueError(f"quantizers.deserialize: unknown quantizer {config!r}; expected one of "
                             f"{sorted(_BY_NAME)} or a name in custom_objects.")
        return cls()
    if isinstance(config, dict):
        name = config.get("class_name")
        if name in _BY_NAME and name not in custom_objects and config.get("registered_name") is None:
            # A record without a module, or naming the class in snake_case, still means the built-in.
            config = {**config, "module": "keras.quantizers", "class_name": _BY_NAME[name].__name__}
    return _deserialize_keras_object(config, custom_objects=custom_objects)


def get(identifier, **kwargs):
    """A quantizer from None (gives None), a config dict, a name ("AbsMaxQuantizer", "abs_max_quantizer")
    or a class (built with `**kwargs`), or a quantizer or other callable (returned as is). As in Keras, what
    is not callable (a quantization config) is refused.

        >>> get("abs_max_quantizer", axis=0).axis
        (0,)
    """
    if identifier is None:
        return None
    obj = identifier
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _BY_NAME.get(identifier)
    if _inspect.isclass(obj):
        return obj(**kwargs)
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier!r}. Expected None, a config dict, "
                     f"one of the names {sorted(_BY_NAME)}, a Quantizer class or instance.")


__all__ = ["AWQConfig", "AbsMaxQuantizer", "Float8QuantizationConfig", "GPTQConfig", "Int4QuantizationConfig",
           "Int8QuantizationConfig", "QuantizationConfig", "Quantizer", "abs_max_quantize",
           "abs_max_quantize_grouped_with_zero_point", "compute_float8_amax_history", "compute_float8_scale",
           "deserialize", "fake_quant_with_min_max_vars", "get", "pack_int4", "quantize_and_dequantize",
           "serialize", "unpack_int4"]

_register_namespace("keras.quantizers", globals())  # configs name these classes
