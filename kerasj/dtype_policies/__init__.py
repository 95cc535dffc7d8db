"""`keras.dtype_policies`: the policies that set each layer's compute and variable dtypes (mixed precision,
quantized layers), their configs as Keras 3 writes them, and `get` / `serialize` / `deserialize`.

    >>> policy = kerasj.dtype_policies.get("mixed_bfloat16")
    >>> kerasj.layers.Dense(4, dtype=policy).compute_dtype
    'bfloat16'
"""
from kerasj.dtype_policies.dtype_policy import (AWQDTypePolicy, DTypePolicy, FloatDTypePolicy,
                                                GPTQDTypePolicy, Int4DTypePolicy, QuantizedDTypePolicy,
                                                QuantizedFloat8DTypePolicy, deserialize, get, serialize)
from kerasj.dtype_policies.dtype_policy_map import DTypePolicyMap
from kerasj.utils.keras_names import register as _register

# Keras writes the two float policies under "keras" and the others under "keras.dtype_policies"; registering
# "keras" first makes it the module kerasj writes for them too.
for _cls in (DTypePolicy, FloatDTypePolicy):
    _register("keras", _cls.__name__, _cls)
for _cls in (DTypePolicy, FloatDTypePolicy, QuantizedDTypePolicy, QuantizedFloat8DTypePolicy, Int4DTypePolicy,
             GPTQDTypePolicy, AWQDTypePolicy, DTypePolicyMap):
    _register("keras.dtype_policies", _cls.__name__, _cls)

__all__ = ["AWQDTypePolicy", "DTypePolicy", "DTypePolicyMap", "FloatDTypePolicy", "GPTQDTypePolicy",
           "Int4DTypePolicy", "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy",
           "deserialize", "get", "serialize"]
