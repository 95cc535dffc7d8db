"""Symbolic tensors for the functional API: `KerasTensor` (shape and dtype, no data) and `Node`
(one call of an Operation, a layer or an op, on symbolic inputs). Calling an Operation on KerasTensors
records a Node; a functional Model replays the recorded Nodes on real arrays. Python operators on
KerasTensors (`x + y`, `x[:, 0]`) come from kerasj/ops/operators.py.

    >>> x = kerasj.Input(shape=(784,))
    >>> y = kerasj.layers.Dense(10)(x)
    >>> y.shape
    (None, 10)
"""
import itertools

import jax

from kerasj.variables import abstract_eval, fill_leaves, split_leaves, standardize_dtype

_tensor_ids = itertools.count(1)

# Two stand-in sizes for unknown (None) dimensions: output dimensions that differ between the two
# abstract evaluations depend on an unknown input dimension and are reported as None.
_PROBE_SIZES = (7, 13)
_SYMBOLIC = None


class KerasTensor:
    """A symbolic tensor: a shape (None for unknown sizes), a dtype, and the call that produced it."""

    def __init__(self, shape, dtype="float32", name=None, record_history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = standardize_dtype(dtype)
        self.name = name or f"keras_tensor_{next(_tensor_ids)}"
        self._keras_history = record_history  # (operation, node_index, tensor_index)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, name={self.name}>"

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no value, so it cannot be used as a Python bool. "
                        "Use kerasj.ops (e.g. ops.where, ops.cond) inside a layer's call instead.")

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor cannot be iterated over.")

    def __jax_array__(self):
        raise TypeError(
            f"{self!r} is a symbolic input (from kerasj.Input), not an array: jax.numpy functions cannot be "
            "called on it directly. Put the computation in a layer (kerasj.layers.Lambda or a custom Layer).")


def any_symbolic(tree):
    return any(isinstance(leaf, KerasTensor) for leaf in jax.tree_util.tree_leaves(tree))


class Node:
    """One call of `operation` (a Layer or an op) on symbolic `call_args`/`call_kwargs` producing `outputs`
    (nested KerasTensors)."""

    def __init__(self, operation, call_args, call_kwargs, outputs):
        self.operation = operation
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.input_tensors = [x for x in jax.tree_util.tree_leaves((call_args, call_kwargs))
                              if isinstance(x, KerasTensor)]
        self.output_tensors = [x for x in jax.tree_util.tree_leaves(outputs) if isinstance(x, KerasTensor)]
        index = len(operation._inbound_nodes)
        operation._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t._keras_history = (operation, index, i)

    @property
    def parent_nodes(self):
        parents = []
        for t in self.input_tensors:
            if t._keras_history is not None:
                operation, index, _ = t._keras_history
                parents.append(operation._inbound_nodes[index])
        return parents


def _probe_structs(tree, size):
    def to_struct(x):
        if isinstance(x, KerasTensor):
            return jax.ShapeDtypeStruct(tuple(size if d is None else d for d in x.shape), x.dtype)
        return x
    return jax.tree_util.tree_map(to_struct, tree)


def compute_output_spec(fn, args, kwargs):
    """Shapes and dtypes of `fn(*args, **kwargs)` for symbolic inputs, as nested KerasTensors.

    `fn` is evaluated abstractly (jax.eval_shape) once with a symbolic size for unknown dimensions, or, where
    it needs concrete sizes, twice with different stand-ins. Any Variable assignment it makes goes into a
    throwaway StateScope, so abstract evaluation changes no state.
    """
    treedef, leaves, sym_positions = split_leaves((args, kwargs), lambda leaf: isinstance(leaf, KerasTensor))

    def run(*sym_values):
        a, k = fill_leaves(treedef, leaves, sym_positions, sym_values)
        return fn(*a, **k)

    unknown = any(None in leaves[i].shape for i in sym_positions)
    if unknown:
        # One trace with a symbolic size for the unknown dimensions: an output dimension that comes out
        # symbolic is unknown. Code that needs a concrete size (NumPy on shapes, int(), range) raises on a
        # symbolic one; it falls back to the two probe sizes below (a failed trace changes no Variable).
        try:
            result = abstract_eval(run, *[_probe_structs(leaves[i], _symbolic_size()) for i in sym_positions])
        except Exception:  # noqa: BLE001 - any failure means "needs concrete sizes"; the probes decide
            result = None
        if result is not None:
            return jax.tree_util.tree_map(
                lambda a: _tensor(tuple(d if isinstance(d, int) else None for d in a.shape), a.dtype), result)
    results = []
    for size in _PROBE_SIZES:
        structs = [_probe_structs(leaves[i], size) for i in sym_positions]
        results.append(abstract_eval(run, *structs))
        if not unknown:
            break
    first = results[0]
    other = results[-1]

    def to_tensor(a, b):
        return _tensor(tuple(None if da != db else da for da, db in zip(a.shape, b.shape)), a.dtype)

    return jax.tree_util.tree_map(to_tensor, first, other)


def _tensor(shape, dtype):
    return KerasTensor(shape, dtype.name if hasattr(dtype, "name") else dtype)


def _symbolic_size():
    """One symbolic dimension ("b", at least 1) standing for every unknown size, as each probe size does."""
    global _SYMBOLIC
    if _SYMBOLIC is None:
        _SYMBOLIC = jax.export.symbolic_shape("b")[0]
    return _SYMBOLIC
