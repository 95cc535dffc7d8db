"""A model's `compile` arguments in Keras 3's saved form (`compile_config` in a `.keras` file) and back, so a
loaded model is compiled as it was saved and continues training.

    >>> config = get_compile_config(model)   # {"optimizer": {...}, "loss": "mse", ...}
    >>> compile_from_config(other_model, config)
"""
import jax

from kerasj import losses, metrics as metrics_module
from kerasj.saving.serialization_lib import _expect_dict, deserialize_keras_object, serialize_keras_object

_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly", "steps_per_execution",
         "jit_compile")


def get_compile_config(model):
    """The arguments `model.compile` was called with, serialized (None if it never was)."""
    args = getattr(model, "_compile_args", None)
    if not getattr(model, "compiled", False) or args is None:
        return None
    jit_compile = args["jit_compile"]
    return {"optimizer": serialize_keras_object(args["optimizer"]),
            "loss": serialize_keras_object(args["loss"]),
            "loss_weights": serialize_keras_object(args["loss_weights"]),
            "metrics": serialize_keras_object(args["metrics"]),
            "weighted_metrics": serialize_keras_object(args["weighted_metrics"]),
            "run_eagerly": bool(args["run_eagerly"]),
            "steps_per_execution": args["steps_per_execution"],
            "jit_compile": True if jit_compile == "auto" else bool(jit_compile)}


def compile_from_config(model, config):
    """`model.compile(...)` with the arguments in `config` (from `get_compile_config`, or Keras 3's); unknown
    keys are ignored, as in Keras."""
    _expect_dict(config, "compile_config")
    args = {k: deserialize_keras_object(v, safe_mode=None) for k, v in config.items() if k in _KEYS}
    if "optimizer" in args and isinstance(args["optimizer"], dict):
        raise ValueError(f"compile_config: cannot rebuild the optimizer from {args['optimizer']!r}")
    steps = args.get("steps_per_execution", 1)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"compile_config: steps_per_execution must be a positive int; received {steps!r}")
    model.compile(**args)


def _leaves(spec):
    return jax.tree_util.tree_leaves(spec, is_leaf=lambda s: not isinstance(s, (list, tuple, dict)))


def check_compile_arguments(loss, metrics, weighted_metrics, steps_per_execution, jit_compile, auto_scale_loss):
    """Refuse bad `compile` arguments at once (unknown loss or metric names list the valid ones)."""
    for spec in _leaves(loss):
        if spec is not None:
            losses.get(spec)
    for ident in _leaves(metrics) + _leaves(weighted_metrics):
        if isinstance(ident, str) and ident.lower() not in ("accuracy", "acc"):
            metrics_module.get(ident)
    if not isinstance(auto_scale_loss, bool):
        raise ValueError(f"compile: auto_scale_loss must be True or False; received {auto_scale_loss!r}")
    if jit_compile not in ("auto", True, False):
        raise ValueError(f"compile: jit_compile must be 'auto', True or False; received {jit_compile!r}")
    if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
        raise ValueError(f"compile: steps_per_execution must be a positive int; received {steps_per_execution!r}")
