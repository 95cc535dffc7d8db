"""kerasj: the Keras API on JAX.

    import kerasj as keras
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)

The floors below the layers (DESIGN.md section 2) load with the package; layers, models and the packages above
them load on first use (`kerasj.layers`, `kerasj.Model`, ...), so `import kerasj.ops` or `kerasj.losses` does
not import them.
"""
import importlib as _importlib

from kerasj import (activations, backend, config, constraints, initializers, losses, metrics, ops, optimizers,
                    random, regularizers, utils)
from kerasj.dtype_policy import DTypePolicy, FloatDTypePolicy
from kerasj.initializers import Initializer
from kerasj.losses import Loss
from kerasj.metrics import Metric
from kerasj.ops.operation import Operation
from kerasj.ops.symbolic import KerasTensor
from kerasj.optimizers import Optimizer
from kerasj.regularizers import Regularizer
from kerasj.remat import RematScope, remat
from kerasj.scopes import StatelessScope, SymbolicScope, device
from kerasj.transforms import UntraceableFunctionError, function, grad, value_and_grad
from kerasj.utils import keras_names as _keras_names
from kerasj.utils.lazy import lazy_attributes as _lazy_attributes
from kerasj.variables import StateScope, Variable, name_scope

__version__ = "0.1.0"


def version():
    """The kerasj version string (`kerasj.__version__`)."""
    return __version__


_LAZY_MODULES = ("applications", "callbacks", "datasets", "distillation", "layers", "legacy", "models",
                 "preprocessing", "saving", "tree", "visualization", "wrappers", "distribution", "mixed_precision",
                 "dtype_policies", "quantizers", "export")
_LAZY_NAMES = {"Function": "kerasj.ops.function", "Quantizer": "kerasj.quantizers", "Input": "kerasj.layers",
               "InputSpec": "kerasj.layers", "Layer": "kerasj.layers", "Functional": "kerasj.models",
               "Model": "kerasj.models", "Sequential": "kerasj.models"}
__all__ = ["DTypePolicy", "FloatDTypePolicy", "Function", "Functional", "Initializer", "Input", "InputSpec",
           "KerasTensor", "Layer", "Loss", "Metric", "Model", "Operation", "Optimizer", "Quantizer", "Regularizer",
           "RematScope",
           "Sequential", "StateScope", "StatelessScope", "SymbolicScope", "UntraceableFunctionError", "Variable",
           "activations", "backend", "callbacks", "config", "constraints", "datasets", "device", "distillation",
           "distribution", "dtype_policies", "export",
           "function", "grad", "initializers", "layers", "legacy", "losses", "metrics", "mixed_precision", "models",
           "name_scope",
           "ops", "optimizers", "preprocessing", "quantizers", "random", "regularizers", "remat", "saving", "tree",
           "utils", "value_and_grad", "version", "visualization", "wrappers"]


def _load_namespaces():
    """Import the lazily loaded namespaces whose classes configs may name (see kerasj.utils.keras_names)."""
    for name in ("layers", "models", "distillation", "quantizers"):
        _importlib.import_module(f"kerasj.{name}")


_keras_names.set_loader(_load_namespaces)
_keras_names.register_namespace("keras", {"Variable": Variable, "StateScope": StateScope})


__getattr__, __dir__ = _lazy_attributes("kerasj", globals(), _LAZY_NAMES, submodules=_LAZY_MODULES)
