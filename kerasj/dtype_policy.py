"""The dtype policy names kerasj had before `kerasj.dtype_policies` (kept for code that imports this module)."""
from kerasj.dtype_policies import DTypePolicy, FloatDTypePolicy  # noqa: F401
from kerasj.dtype_policies.dtype_policy import dtype_policy, set_dtype_policy  # noqa: F401
