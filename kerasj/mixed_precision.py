"""`keras.mixed_precision`: Keras's older names for the dtype-policy functions, and `LossScaleOptimizer`.

    >>> kerasj.mixed_precision.set_global_policy("mixed_float16")
    >>> kerasj.mixed_precision.global_policy()
    <DTypePolicy "mixed_float16">
    >>> kerasj.mixed_precision.set_global_policy("float32")
"""
from kerasj.dtype_policies.dtype_policy import DTypePolicy, dtype_policy, set_dtype_policy
from kerasj.optimizers.loss_scale_optimizer import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
           "set_global_policy"]
