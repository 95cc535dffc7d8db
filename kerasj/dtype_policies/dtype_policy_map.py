"""`DTypePolicyMap`: dtype policies per layer path (exact paths or regular expressions), for configs that mix
policies inside one layer (a partly quantized block), as in Keras 3."""
import re
from collections.abc import MutableMapping

from kerasj.dtype_policies.dtype_policy import DTypePolicy, QuantizedDTypePolicy, get
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """A dict from layer paths to `DTypePolicy`s, with a default policy for paths it does not hold.

    A key is matched exactly first, then as a regular expression (`re.fullmatch`); a path matching two patterns
    is an error. Used as a layer's `dtype`, the layer looks up its own path; its compute and variable dtypes are
    those of `default_policy`.

    Args:
        default_policy: the policy (or name) for unmatched paths; None: the global policy.
        policy_map: an optional `{path or pattern: DTypePolicy}` to start from.

        >>> policies = kerasj.dtype_policies.DTypePolicyMap(default_policy="float32")
        >>> policies["encoder/.*"] = "bfloat16"
        >>> policies["encoder/dense"].name, policies["decoder"].name
        ('bfloat16', 'float32')
    """

    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("DTypePolicyMap: `default_policy` cannot be a DTypePolicyMap.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(f"DTypePolicyMap: `policy_map` must be a dict if given; received policy_map="
                            f"{policy_map!r} of type {type(policy_map).__name__}")
        self._default_policy_arg = default_policy
        self._default_policy = get(default_policy)  # as in Keras, None takes the global policy of this moment
        self._policy_map = dict(policy_map or {})
        self._quantization_mode = None

    @property
    def default_policy(self):
        """The policy for paths the map does not match (the global policy at construction when none was given)."""
        return self._default_policy

    @property
    def name(self):
        return f"map_{self.default_policy.name}"

    @property
    def _name(self):
        return self.name

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    @property
    def quantization_mode(self):
        return self.default_policy.quantization_mode

    def __getitem__(self, key):
        if key in self._policy_map:
            return self._policy_map[key]
        matches = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"Path '{key}' matches multiple dtype policy specification keys: {matches}. Please "
                             "make sure each path only matches at most one dtype policy specification key in "
                             "the DTypePolicyMap.")
        return self._policy_map[matches[0]] if matches else self.default_policy

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(f"{key} already exist in the DTypePolicyMap with value {self._policy_map[key]}. "
                             "Please make sure to not use duplicated keys.")
        try:
            policy = get(policy)
        except Exception as err:
            raise ValueError("Cannot interpret the assigned value by `kerasj.dtype_policies.get`. Received: "
                             f"{policy!r} of type {type(policy).__name__}") from err
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key):
        return key in self._policy_map

    def __len__(self):
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    def __eq__(self, other):
        return (type(other) is DTypePolicyMap and self._default_policy == other._default_policy
                and self._policy_map == other._policy_map)

    def __hash__(self):
        return id(self)

    def get_config(self):
        # As Keras writes it: without an explicit default, the entries are saved without their source policy
        # name, so a loaded map takes them from the global policy where it is loaded.
        entries = {}
        for key, policy in self._policy_map.items():
            record = serialize_keras_object(policy)
            if self._default_policy_arg is None:
                inner = dict(record["config"])
                inner["source_name" if isinstance(policy, QuantizedDTypePolicy) else "name"] = None
                record["config"] = inner
            entries[key] = record
        default = self._default_policy_arg
        if isinstance(default, DTypePolicy):
            default = serialize_keras_object(default)
        return {"default_policy": default, "policy_map": entries}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["policy_map"] = deserialize_keras_object(config.get("policy_map"), custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return f"<DTypePolicyMap at {hex(id(self))} default_policy={self._default_policy.name}, mapping={mapping}>"
