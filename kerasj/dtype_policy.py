"""`DTypePolicy`: the dtypes a layer computes in and keeps its weights in. Only full-precision policies are
supported for now; mixed precision ("mixed_float16", "mixed_bfloat16") comes later."""
from kerasj import config

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_FLOATS = ("float16", "bfloat16", "float32", "float64")


class DTypePolicy:
    """A dtype policy, named as in Keras: "float32" (weights and computations in float32), or any float name.

        >>> policy = kerasj.DTypePolicy("float32")
        >>> policy.compute_dtype, policy.variable_dtype
        ('float32', 'float32')
    """

    def __init__(self, name=None):
        name = config.floatx() if name is None else name
        if not isinstance(name, str) or (name not in _FLOATS and name not in _MIXED):
            raise ValueError(f"DTypePolicy: expected a policy name such as 'float32' or 'mixed_float16'; "
                             f"received name={name!r}")
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return _MIXED.get(self._name, self._name)

    @property
    def variable_dtype(self):
        return "float32" if self._name in _MIXED else self._name

    @property
    def quantization_mode(self):
        return None

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self._name == other._name

    def __hash__(self):
        return hash((type(self), self._name))

    def __repr__(self):
        return f'<{type(self).__name__} "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """Keras's older name for `DTypePolicy`."""


_GLOBAL_POLICY = None


def dtype_policy():
    """The global dtype policy: `DTypePolicy(floatx())` unless set otherwise.

        >>> kerasj.config.dtype_policy().name
        'float32'
    """
    return _GLOBAL_POLICY if _GLOBAL_POLICY is not None else DTypePolicy(config.floatx())


def set_dtype_policy(policy):
    """Set the global dtype policy: a `DTypePolicy` or its name. Only "float32" is supported for now.

        >>> kerasj.config.set_dtype_policy("float32")
    """
    global _GLOBAL_POLICY
    name = policy.name if isinstance(policy, DTypePolicy) else policy
    if not isinstance(name, str):
        raise ValueError(f"set_dtype_policy: expected a DTypePolicy or a policy name; received {policy!r}")
    if name != "float32":
        raise NotImplementedError(f"set_dtype_policy({name!r}): mixed precision and non-float32 dtype policies "
                                  "are not supported yet in kerasj; only 'float32' is.")
    _GLOBAL_POLICY = policy if isinstance(policy, DTypePolicy) else DTypePolicy(name)
