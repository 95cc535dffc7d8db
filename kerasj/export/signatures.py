"""Input signatures for export: what a model's exported function accepts, as Keras 3 infers and accepts them.

A signature is a list with one entry per positional argument of the exported function; each entry is a spec or
a nested list / tuple / dict of specs. A spec is anything with a `shape` and a `dtype`: a `kerasj.InputSpec`, a
`tf.TensorSpec` or a `jax.ShapeDtypeStruct` is taken as written, while a `KerasTensor` or an array stands for
inputs like it, so its first (batch) dimension becomes free.
"""
import itertools
import string

import jax
import numpy as np

from kerasj.ops.symbolic import KerasTensor
from kerasj.variables import standardize_dtype


def is_spec(x):
    return hasattr(x, "shape") and hasattr(x, "dtype")


def map_specs(fn, signature):
    """`fn` applied to every spec of a (nested) signature, keeping its structure."""
    return jax.tree_util.tree_map(fn, signature, is_leaf=is_spec)


def flat_specs(signature):
    return jax.tree_util.tree_leaves(signature, is_leaf=is_spec)


def shape_dtype_name(spec):
    """`(shape, dtype, name)` of one spec: shape a tuple with None for free sizes, dtype a name string."""
    if not is_spec(spec):
        raise TypeError(f"Unsupported input signature entry {spec!r} of type {type(spec).__name__}: expected a "
                        "`kerasj.InputSpec`, `tf.TensorSpec`, `KerasTensor`, `jax.ShapeDtypeStruct` or an array.")
    shape, dtype = spec.shape, spec.dtype
    if shape is None or dtype is None:
        raise ValueError(f"The `shape` and `dtype` must be provided. Received: x={spec}")
    shape = shape.as_list() if hasattr(shape, "as_list") else shape  # a tf.TensorShape
    if isinstance(shape, str) or not isinstance(shape, (tuple, list)):
        raise ValueError(f"The `shape` of an input signature entry must be a tuple. Received: x={spec}")
    shape = tuple(None if d is None else int(d) for d in shape)
    if isinstance(spec, (KerasTensor, jax.Array, np.ndarray)) and shape:
        shape = (None,) + shape[1:]
    return shape, standardize_dtype(dtype), getattr(spec, "name", None)


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def input_signature_of(model):
    """The signature Keras 3 infers for `model.export`: a functional or Sequential model takes its inputs in
    the structure given to `Model(...)` as one argument; a subclassed model takes one argument shaped like what
    it was first called (or built) on, with a free batch dimension and the model's input dtype."""
    if not hasattr(model, "trainable_variables") or not callable(model):
        raise TypeError(f"The model must be a `kerasj.Model`. Received: model={model!r} of the type "
                        f"{type(model).__name__}")
    if not model.built:
        raise ValueError("The model provided has not yet been built. It must be built before export.")
    if getattr(model, "inputs", None):
        return [model.input]
    shapes = getattr(model, "_build_shapes", None)
    if shapes is None:
        raise ValueError("The model provided has never been called. It must be called at least once before "
                         "export, or pass `input_signature`.")
    dtype = model.input_dtype
    return [jax.tree_util.tree_map(lambda s: jax.ShapeDtypeStruct((None,) + tuple(s)[1:], dtype), shapes,
                                   is_leaf=_is_shape)]


def polymorphic_shapes(shapes):
    """jax2tf / jax.export shape strings for `shapes` (tuples with None for free sizes): the first free axis
    of every input is the shared "batch", other free axes get their own names (a, b, ..., aa, ab, ...)."""
    names = itertools.chain(string.ascii_lowercase,
                            ("".join(p) for p in itertools.product(string.ascii_lowercase, repeat=2)))

    def one(shape):
        dims = [str(d) if d is not None else "batch" if i == 0 else next(names) for i, d in enumerate(shape)]
        return "(" + ", ".join(dims) + ")"

    return [one(shape) for shape in shapes]


def _unflatten_like(signature, leaves):
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(signature, is_leaf=is_spec), leaves)


def polymorphic_signature(signature):
    """The signature's shapes as `polymorphic_shapes` strings, in its structure (jax2tf's argument)."""
    return _unflatten_like(signature, polymorphic_shapes([shape_dtype_name(s)[0] for s in flat_specs(signature)]))


def to_tf_spec(tf, spec, name=None):
    """A `tf.TensorSpec` for one spec (a given `name` replaces the spec's own)."""
    if isinstance(spec, tf.TensorSpec) and name is None:
        return spec
    shape, dtype, own_name = shape_dtype_name(spec)
    return tf.TensorSpec(shape, dtype=dtype, name=name or own_name)


def to_symbolic_structs(signature):
    """The signature as `jax.ShapeDtypeStruct`s whose free sizes are symbolic dimensions (`jax.export`), in one
    scope so that every input's batch size is the same symbol."""
    scope = jax.export.SymbolicScope()
    shapes = jax.tree_util.tree_leaves(polymorphic_signature(signature))
    structs = [jax.ShapeDtypeStruct(jax.export.symbolic_shape(poly, scope=scope), shape_dtype_name(spec)[1])
               for spec, poly in zip(flat_specs(signature), shapes)]
    return _unflatten_like(signature, structs)
