"""Dtype policies: the dtype a layer computes in and the dtype it keeps its weights in, named as in Keras 3.

"float32" (or any dtype name) computes and stores in that dtype; "mixed_float16" / "mixed_bfloat16" compute in
half precision and keep float32 weights (layers read their float weights cast to the compute dtype inside
`call`). Quantized policies ("int8_from_float32", "float8_from_mixed_bfloat16", ...) name a quantization mode and
the policy it was applied to; their names and configs are Keras's, so files move between the two libraries.

    >>> kerasj.dtype_policies.DTypePolicy("mixed_bfloat16").compute_dtype
    'bfloat16'
"""
import jax.numpy as jnp

from kerasj import config
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from kerasj.utils.keras_names import builtin
from kerasj.variables import standardize_dtype

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
_MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}


def _parse_name(name):
    """(compute_dtype, variable_dtype) of a policy name."""
    if not isinstance(name, str):
        raise TypeError(f"DTypePolicy: 'name' must be a string, such as 'mixed_float16'; received name={name!r} "
                        f"(of type {type(name).__name__})")
    if name in _MIXED:
        return _MIXED[name]
    try:
        dtype = standardize_dtype(name)
    except (TypeError, ValueError):
        dtype = None
    if dtype is None:
        raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
                         "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as 'float32'.")
    return dtype, dtype


def is_float_dtype(dtype):
    """Whether `dtype` (a name) is a floating-point dtype ("bfloat16" included)."""
    return dtype not in (None, "string") and jnp.issubdtype(jnp.dtype(dtype), jnp.floating)


class DTypePolicy:
    """The compute and variable dtypes of a layer, from a policy name.

    Args:
        name: "mixed_float16" / "mixed_bfloat16" (half-precision computations, float32 weights), or any dtype
            name ("float32", "float64", "int32": both dtypes that one). None: the global policy's name
            (`kerasj.config.dtype_policy()`).

        >>> policy = kerasj.dtype_policies.DTypePolicy("mixed_float16")
        >>> policy.compute_dtype, policy.variable_dtype
        ('float16', 'float32')
        >>> kerasj.layers.Dense(2, dtype=policy).dtype_policy
        <DTypePolicy "mixed_float16">
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        self._name = name
        self._compute_dtype, self._variable_dtype = _parse_name(name)
        self._quantization_mode = None

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of a layer's computations, inputs and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype a layer creates its weights in."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """"int8", "float8", ... for quantized policies; None otherwise."""
        return self._quantization_mode

    def convert_input(self, x, autocast, dtype):
        """`x` as an array, its floats cast to `dtype` when `autocast` (integers and booleans kept)."""
        x = jnp.asarray(x)
        if autocast and jnp.issubdtype(x.dtype, jnp.floating) and x.dtype != dtype:
            return x.astype(dtype)
        return x

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        # Keras shows its alias FloatDTypePolicy under the main name.
        cls = "DTypePolicy" if type(self) is FloatDTypePolicy else type(self).__name__
        return f'<{cls} "{self._name}">'

    def __eq__(self, other):
        plain = (DTypePolicy, FloatDTypePolicy)
        if type(self) in plain:
            if type(other) not in plain:
                return False
        elif type(other) is not type(self):
            return False
        return self._name == other._name

    def __hash__(self):
        return hash((self._name, self._quantization_mode))


class FloatDTypePolicy(DTypePolicy):
    """Keras's other name for `DTypePolicy` (configs may name either)."""


class QuantizedDTypePolicy(DTypePolicy):
    """A policy for weights quantized with `mode` ("int8", "int4", ...) from the policy named `source_name`:
    named "<mode>_from_<source_name>", with the source's compute and variable dtypes.

        >>> policy = kerasj.dtype_policies.QuantizedDTypePolicy("int8", "mixed_bfloat16")
        >>> policy.name, policy.compute_dtype, policy.quantization_mode
        ('int8_from_mixed_bfloat16', 'bfloat16', 'int8')
    """

    def __init__(self, mode, source_name=None):
        if source_name is None:
            source_name = dtype_policy().name
        self._compute_dtype, self._variable_dtype = _parse_name(source_name)
        _check_mode(mode, self._compute_dtype)
        self._name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._quantization_mode = mode

    def __eq__(self, other):
        return (super().__eq__(other) and self._quantization_mode == other._quantization_mode
                and self._source_name == other._source_name)

    __hash__ = DTypePolicy.__hash__

    def get_config(self):
        return {"mode": self._quantization_mode, "source_name": self._source_name}


def _check_mode(mode, compute_dtype):
    if mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode!r}")
    if mode == "int8" and compute_dtype == "float16":
        raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'.")


class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """A float8 quantized policy; `amax_history_length` is the window of absolute maxima its scales use.

        >>> kerasj.dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32").amax_history_length
        1024
    """

    default_amax_history_length = 1024

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode=mode, source_name=source_name)
        if not isinstance(amax_history_length, int) or isinstance(amax_history_length, bool):
            raise TypeError(f"QuantizedFloat8DTypePolicy: `amax_history_length` must be an integer; received "
                            f"amax_history_length={amax_history_length!r}")
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        return self._amax_history_length

    def __eq__(self, other):
        return super().__eq__(other) and self._amax_history_length == other._amax_history_length

    __hash__ = DTypePolicy.__hash__

    def get_config(self):
        return {**super().get_config(), "amax_history_length": self._amax_history_length}


class _ParameterizedQuantizedPolicy(QuantizedDTypePolicy):
    """A quantized policy whose mode carries integer settings after its algorithm: "int4/128", "gptq/4/128"."""

    _algorithm = None
    _fields = ()  # the settings' attribute names, in the order the mode spells them

    def __init__(self, mode, source_name=None):
        cls = type(self).__name__
        expected = "'" + "/".join([self._algorithm] + [f"<{f}>" for f in self._fields]) + "'"
        parts = mode.split("/") if isinstance(mode, str) else []
        if len(parts) != len(self._fields) + 1 or parts[0] != self._algorithm:
            raise ValueError(f"Invalid mode for {cls}. Expected format {expected}, but got {mode!r}.")
        try:
            values = [int(p) for p in parts[1:]]
        except ValueError:
            raise ValueError(f"Invalid mode for {cls}: the settings must be integers. Expected format {expected}, "
                             f"but got {mode!r}.") from None
        for field, value in zip(self._fields, values):
            self._check_setting(field, value, mode)
        super().__init__(mode=self._algorithm, source_name=source_name)
        self._name = f"{mode}_from_{source_name}"
        self.mode = self._algorithm
        for field, value in zip(self._fields, values):
            setattr(self, field, value)

    def _check_setting(self, field, value, mode):
        if field in ("block_size", "group_size") and (value < -1 or value == 0):
            raise ValueError(f"Invalid {field} in mode {mode!r}: expected -1 or a positive integer, got {value}.")

    def _settings(self):
        return tuple(getattr(self, f) for f in self._fields)

    def __eq__(self, other):
        return super().__eq__(other) and self._settings() == other._settings()

    __hash__ = DTypePolicy.__hash__

    def get_config(self):
        return {**super().get_config(), "mode": "/".join([self.mode] + [str(v) for v in self._settings()])}


class Int4DTypePolicy(_ParameterizedQuantizedPolicy):
    """int4 quantization in blocks: mode "int4/<block_size>" (-1: one scale per channel).

        >>> kerasj.dtype_policies.Int4DTypePolicy("int4/128", "float32").block_size
        128
    """

    _algorithm = "int4"
    _fields = ("block_size",)


class GPTQDTypePolicy(_ParameterizedQuantizedPolicy):
    """The policy GPTQ-quantized layers are saved with: mode "gptq/<weight_bits>/<group_size>"."""

    _algorithm = "gptq"
    _fields = ("weight_bits", "group_size")

    def _check_setting(self, field, value, mode):
        if field == "weight_bits" and value not in (2, 3, 4, 8):
            raise ValueError(f"Invalid weight_bits in mode {mode!r}: supported values are 2, 3, 4 and 8, got {value}.")
        super()._check_setting(field, value, mode)


class AWQDTypePolicy(_ParameterizedQuantizedPolicy):
    """The policy AWQ-quantized layers are saved with: mode "awq/4/<group_size>" (AWQ has 4-bit weights only)."""

    _algorithm = "awq"
    _fields = ("weight_bits", "group_size")

    def _check_setting(self, field, value, mode):
        if field == "weight_bits" and value != 4:
            raise ValueError(f"Invalid weight_bits in mode {mode!r}: AWQ only supports 4-bit quantization, got "
                             f"{value}.")
        super()._check_setting(field, value, mode)


def quantized_policy_from_name(name):
    """The quantized policy a name such as "int8_from_float32" or "int4/128_from_mixed_bfloat16" denotes."""
    if not isinstance(name, str):
        raise TypeError(f"`policy` must be a string. Received: policy={name!r}")
    if not name.startswith(QUANTIZATION_MODES):
        raise ValueError(f"'{name}' names no quantized dtype policy: it must start with one of {QUANTIZATION_MODES}.")
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError(f"Cannot read '{name}' as '<mode>_from_<source policy>' for a QuantizedDTypePolicy.")
    mode, source_name = parts
    if mode.startswith("float8"):
        return QuantizedFloat8DTypePolicy(mode, source_name)
    if mode.startswith("int4") and "/" in mode:
        return Int4DTypePolicy(mode, source_name)
    if mode.startswith("gptq"):
        return GPTQDTypePolicy(mode, source_name)
    if mode.startswith("awq"):
        return AWQDTypePolicy(mode, source_name)
    return QuantizedDTypePolicy(mode, source_name)


_GLOBAL_POLICY = [None]


def set_dtype_policy(policy):
    """Set the global dtype policy, which layers created afterwards without a `dtype` use: a `DTypePolicy` or a
    policy name ("mixed_bfloat16", "float32", "int8_from_float32", ...).

        >>> kerasj.config.set_dtype_policy("mixed_bfloat16")
        >>> kerasj.layers.Dense(2).compute_dtype
        'bfloat16'
        >>> kerasj.config.set_dtype_policy("float32")
    """
    if not isinstance(policy, DTypePolicy):
        if not isinstance(policy, str):
            raise ValueError("Invalid `policy` argument. Expected the string name of a policy (such as "
                             f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy!r} "
                             f"(of type {type(policy).__name__})")
        policy = quantized_policy_from_name(policy) if policy.startswith(QUANTIZATION_MODES) else DTypePolicy(policy)
    _GLOBAL_POLICY[0] = policy


def dtype_policy():
    """The global dtype policy: the one `set_dtype_policy` chose, else `DTypePolicy(floatx())`. (Keras fixes the
    floatx policy at its first use, so a later `set_floatx` no longer changes it; kerasj's follows floatx.)

        >>> kerasj.config.dtype_policy()
        <DTypePolicy "float32">
    """
    policy = _GLOBAL_POLICY[0]
    return policy if policy is not None else DTypePolicy(config.floatx())


def serialize(dtype_policy):
    """A policy's config record, as Keras writes it in layer configs.

        >>> kerasj.dtype_policies.serialize(kerasj.dtype_policies.DTypePolicy("mixed_bfloat16"))
        {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'mixed_bfloat16'}, 'registered_name': None}
    """
    return serialize_keras_object(dtype_policy)


def deserialize(config, custom_objects=None):
    """The policy a config record (from `serialize`, or Keras) describes; a record without a "module" names a
    policy class, as in Keras.

        >>> kerasj.dtype_policies.deserialize({"class_name": "DTypePolicy", "config": {"name": "float16"}})
        <DTypePolicy "float16">
    """
    if isinstance(config, dict) and config.get("module") is None and isinstance(config.get("class_name"), str) \
            and builtin("keras.dtype_policies", config["class_name"]) is not None:
        config = {**config, "module": "keras.dtype_policies"}
    return deserialize_keras_object(config, custom_objects=custom_objects)


def get(identifier):
    """A policy from what a layer's `dtype` accepts: None (the global policy), a `DTypePolicy`, a config record, a
    policy name ("mixed_float16", "int8_from_float32") or any dtype (`jnp.float32`).

        >>> kerasj.dtype_policies.get("mixed_bfloat16").variable_dtype
        'float32'
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        policy = deserialize(identifier)
        if not isinstance(policy, DTypePolicy):
            raise ValueError(f"Cannot interpret `dtype` argument: the config names {type(policy).__name__}, not a "
                             f"DTypePolicy. Received: dtype={identifier!r}")
        return policy
    if isinstance(identifier, str):
        if identifier.startswith(QUANTIZATION_MODES):
            return quantized_policy_from_name(identifier)
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(standardize_dtype(identifier))
    except (TypeError, ValueError):
        raise ValueError("Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
                         f"Received: dtype={identifier!r}") from None
