"""Host-side layers inside compiled programs.

Some layers work in numpy on the host (`supports_jit = False`, as Keras marks them): TextVectorization,
StringLookup, Hashing, HashedCrossing. Keras 3 on JAX turns off jit for the whole model when it holds one, and
its data adapters cannot batch strings at all, so `fit` on raw text fails there. kerasj keeps the model
compiled: a host layer called on traced values becomes a `jax.pure_callback` (its output shapes and dtypes from
`compute_output_spec`), and string data travels into the program as `EncodedStrings` (code points in a uint32
array), decoded back to numpy strings just before the host layer runs.

    >>> model = keras.Sequential([keras.Input((), dtype="string"), text_vectorization, embedding, ...])
    >>> model.fit(np.array(["a cat sat", ...]), labels)   # one compiled train step; the lookup runs on the host

Called on concrete values (an eager call, `run_eagerly=True`), a host layer simply runs, with `EncodedStrings`
decoded first.
"""
import threading

import jax
import numpy as np

from kerasj.ops.symbolic import KerasTensor
from kerasj.utils.string_arrays import EncodedStrings, decode

# Callbacks may run on XLA's threads while the caller traces or runs another program: one host call at a time.
_LOCK = threading.RLock()


def _is_encoded(x):
    return isinstance(x, EncodedStrings)


def has_encoded_strings(args):
    """Whether the first call argument is, or directly holds, an `EncodedStrings` (a cheap, shallow check:
    every layer call asks)."""
    if not args:
        return False
    first = args[0]
    if isinstance(first, EncodedStrings):
        return True
    if isinstance(first, (list, tuple)):
        return any(isinstance(v, EncodedStrings) for v in first)
    if isinstance(first, dict):
        return any(isinstance(v, EncodedStrings) for v in first.values())
    return False


def _is_array(x):
    return isinstance(x, (EncodedStrings, jax.Array, np.ndarray))


def needs_host_call(args, kwargs):
    """Whether a host layer's arguments hold encoded strings or traced values (it cannot run on them as is)."""
    for leaf in jax.tree_util.tree_leaves((args, kwargs), is_leaf=_is_encoded):
        if isinstance(leaf, EncodedStrings) or isinstance(leaf, jax.core.Tracer):
            return True
    return False


def call_on_host(layer, call, args, kwargs):
    """`call(*args, **kwargs)` (the layer's `__call__`) for a host layer: directly when the values are concrete,
    as a `jax.pure_callback` when they are traced."""
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_encoded)
    codes = [leaf.codes if isinstance(leaf, EncodedStrings) else leaf for leaf in leaves]
    if not any(isinstance(c, jax.core.Tracer) for c in codes):
        concrete = [decode(leaf.codes) if isinstance(leaf, EncodedStrings) else leaf for leaf in leaves]
        args, kwargs = jax.tree_util.tree_unflatten(treedef, concrete)
        return call(*args, **kwargs)
    return _callback_call(layer, call, leaves, treedef)


def _callback_call(layer, call, leaves, treedef):
    positions = [i for i, leaf in enumerate(leaves) if _is_array(leaf)]
    symbolic = list(leaves)
    for i in positions:
        leaf = leaves[i]
        symbolic[i] = KerasTensor(leaf.shape, "string" if isinstance(leaf, EncodedStrings) else leaf.dtype)
    sym_args, sym_kwargs = jax.tree_util.tree_unflatten(treedef, symbolic)
    sym_kwargs = {k: v for k, v in sym_kwargs.items() if k != "training"}
    with _LOCK:
        layer._maybe_build(sym_args, sym_kwargs)
        spec = layer.compute_output_spec(*sym_args, **sym_kwargs)
    out_leaves, out_tree = jax.tree_util.tree_flatten(spec, is_leaf=lambda x: isinstance(x, KerasTensor))
    for t in out_leaves:
        if any(d is None for d in t.shape) or t.dtype == "string":
            what = "strings" if t.dtype == "string" else f"shape {tuple(t.shape)}, which depends on the data"
            raise ValueError(f"Layer '{layer.name}' runs on the host and cannot be part of a compiled program here: "
                             f"its output has {what}. Give it a fixed output shape (for TextVectorization, "
                             f"`output_sequence_length`), apply it to the data before `fit`, or compile the model "
                             f"with `run_eagerly=True`.")
    results = [jax.ShapeDtypeStruct(tuple(t.shape), jax.dtypes.canonicalize_dtype(t.dtype)) for t in out_leaves]
    encoded = {i for i in positions if isinstance(leaves[i], EncodedStrings)}

    def host(*arrays):
        filled = list(leaves)
        for i, array in zip(positions, arrays):
            filled[i] = decode(array) if i in encoded else np.asarray(array)
        args, kwargs = jax.tree_util.tree_unflatten(treedef, filled)
        with _LOCK:
            outputs = call(*args, **kwargs)
        return [np.asarray(r, dtype=s.dtype).reshape(s.shape) for r, s in zip(jax.tree_util.tree_leaves(outputs),
                                                                             results)]

    arrays = [leaves[i].codes if i in encoded else leaves[i] for i in positions]
    outputs = jax.pure_callback(host, results, *arrays, vmap_method="sequential")
    return jax.tree_util.tree_unflatten(out_tree, list(outputs))
