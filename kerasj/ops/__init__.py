"""`keras.ops` on JAX: code written against `keras.ops` runs unchanged with `from kerasj import ops`.

    >>> from kerasj import ops
    >>> ops.relu(ops.convert_to_tensor([-1.0, 2.0]))
    Array([0., 2.], dtype=float32)

Every op accepts kerasj Variables, numpy arrays, jax arrays and Python scalars and can be traced by
`jax.jit`. Ops from the numpy/nn/math/linalg groups also accept symbolic `KerasTensor`s (from
`kerasj.Input`): the call then becomes a node of the functional graph, as in Keras.

The submodules `ops.numpy` (with `ops.numpy_extra`), `ops.nn` (with `ops.nn_extra`), `ops.math` (with
`ops.signal`), `ops.linalg`, `ops.einops` and `ops.core` follow Keras's grouping; image ops live only in
`ops.image`, as in Keras.
"""
import builtins as _builtins
import functools as _functools
import inspect as _inspect

import jax as _jax

from kerasj.ops import core, einops, image, linalg, math, nn, nn_extra, numpy, numpy_extra, signal
from kerasj.ops.operators import FunctionOp as _FunctionOp
from kerasj.ops.symbolic import KerasTensor as _KerasTensor
from kerasj.utils.keras_names import register_namespace as _register_namespace
from kerasj.variables import Variable as _Variable

_SYMBOLIC_CORE = ("cast", "saturate_cast", "stop_gradient", "slice", "slice_update", "scatter_update")


def _has_symbolic(values):
    for value in values:
        if isinstance(value, _KerasTensor):
            return True
        if isinstance(value, (list, tuple)) and _builtins.any(isinstance(v, _KerasTensor) for v in value):
            return True
    return False


def _symbolic_aware(fn):
    """`fn`, extended so a call on KerasTensors records a graph node (a FunctionOp) instead of computing."""
    @_functools.wraps(fn)
    def op(*args, **kwargs):
        if not (_has_symbolic(args) or _has_symbolic(kwargs.values())):
            return fn(*args, **kwargs)
        leaves, treedef = _jax.tree_util.tree_flatten(
            (args, kwargs), is_leaf=lambda v: isinstance(v, (_KerasTensor, _Variable)))
        positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, _KerasTensor)]

        def apply(*tensors):
            filled = list(leaves)
            for i, tensor in zip(positions, tensors):
                filled[i] = tensor
            call_args, call_kwargs = _jax.tree_util.tree_unflatten(treedef, filled)
            return fn(*call_args, **call_kwargs)

        return _FunctionOp(fn.__name__, apply)(*[leaves[i] for i in positions])
    return op


def _public(module):
    return {name: value for name, value in vars(module).items()
            if not name.startswith("_") and _inspect.isfunction(value) and value.__module__ == module.__name__}


for _module in (core, numpy, numpy_extra, math, signal, linalg, nn, nn_extra, einops):
    for _name, _fn in _public(_module).items():
        _wrap = _module is not core or _name in _SYMBOLIC_CORE
        globals()[_name] = _symbolic_aware(_fn) if _wrap else _fn

del _module, _name, _fn, _wrap

# Functions a config may name (a custom activation or loss given as an ops function), as kerasj's own.
_register_namespace("keras.ops", globals(), origins=("kerasj.", "jax"))
