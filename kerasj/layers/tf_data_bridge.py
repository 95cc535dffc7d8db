"""Layers called on TensorFlow tensors: eagerly (a `tf.Tensor` in a script) or inside a `tf.data` graph
(`dataset.map(layer)`), as Keras 3 allows for its preprocessing layers whatever the backend.

kerasj layers compute with JAX, which cannot run inside a TensorFlow graph. So inside a graph the call becomes
a `tf.numpy_function` node: TensorFlow hands the batch over as numpy arrays, the layer runs as usual (its
SeedGenerator advancing, so random layers draw afresh per batch), and the results go back with the static
shapes and dtypes the layer's `compute_output_spec` gives. Eager TensorFlow tensors are simply converted.

    >>> ds = tf.data.Dataset.from_tensor_slices(images).batch(8)
    >>> ds = ds.map(kerasj.layers.RandomFlip(seed=1))     # runs kerasj's layer on each batch

TensorFlow is never imported here: a TensorFlow tensor can only exist once the caller has imported it.
"""
import sys
import threading
import weakref

import jax
import numpy as np

from kerasj.ops.symbolic import KerasTensor
from kerasj.transforms import function
from kerasj.variables import standardize_dtype

# tf.data runs map functions on several threads (num_parallel_calls); one layer's state (its seed, a lookup
# table being built) must be advanced by one batch at a time.
_HOST_CALL_LOCK = threading.RLock()
_PROGRAMS = weakref.WeakKeyDictionary()  # layer -> its compiled call
_EAGER_ONLY = weakref.WeakKeyDictionary()  # layer -> True once its call proved untraceable


def is_tf_tensor(x):
    module = type(x).__module__
    return module.startswith("tensorflow") and hasattr(x, "dtype") and hasattr(x, "shape")


def has_tf_tensors(tree):
    # Every layer call asks this; without TensorFlow imported there can be no TF tensor, so skip the walk.
    if sys.modules.get("tensorflow") is None:
        return False
    return any(is_tf_tensor(leaf) for leaf in jax.tree_util.tree_leaves(tree, is_leaf=is_tf_tensor))


def _is_symbolic(x):
    import tensorflow as tf  # already imported by whoever made `x`
    return tf.is_symbolic_tensor(x)


def to_numpy(tree):
    """Eager TensorFlow tensors as numpy arrays (strings as arrays of bytes), the rest unchanged."""
    return jax.tree_util.tree_map(lambda x: x.numpy() if is_tf_tensor(x) else x, tree, is_leaf=is_tf_tensor)


def call_layer(layer, call, args, kwargs):
    """`call(*args, **kwargs)` for a layer given TensorFlow tensors: converted when eager, a `tf.numpy_function`
    node when inside a graph (`tf.data.Dataset.map`, `tf.function`)."""
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=is_tf_tensor)
    if not any(is_tf_tensor(x) and _is_symbolic(x) for x in leaves):
        args, kwargs = to_numpy((args, kwargs))
        return call(*args, **kwargs)
    return _graph_call(layer, call, leaves, treedef)


def _run(layer, call, arrays, args, kwargs):
    """The layer's call on one batch: compiled (with kerasj.function, so its Variables, such as a random layer's
    seed, advance as in an eager call) when the inputs are numeric, eager for strings or where the call cannot
    be traced (a lookup layer working in numpy). Op-by-op dispatch costs ~10x the compiled call per batch."""
    if _EAGER_ONLY.get(layer) or not all(np.asarray(a).dtype.kind in "biuf" for a in arrays):
        return call(*args, **kwargs)
    program = _PROGRAMS.get(layer)
    if program is None:
        program = _PROGRAMS[layer] = function(call)
    try:
        return program(*args, **kwargs)
    except Exception:  # not traceable: a failed trace assigned nothing, so run it eagerly from now on
        _EAGER_ONLY[layer] = True
        return call(*args, **kwargs)


def _graph_call(layer, call, leaves, treedef):
    import tensorflow as tf

    positions = [i for i, x in enumerate(leaves) if is_tf_tensor(x)]
    for i in positions:
        if leaves[i].shape.rank is None:
            raise ValueError(f"Layer '{layer.name}' was called inside a tf.data/tf.function graph on a tensor of "
                             f"unknown rank; give the dataset elements a static rank (e.g. with "
                             f"`tensor.set_shape`).")
    symbolic = list(leaves)
    for i in positions:
        symbolic[i] = KerasTensor(tuple(leaves[i].shape.as_list()), standardize_dtype(leaves[i].dtype))
    sym_args, sym_kwargs = jax.tree_util.tree_unflatten(treedef, symbolic)
    with _HOST_CALL_LOCK:
        layer._maybe_build(sym_args, sym_kwargs)
        try:
            spec = layer.compute_output_spec(*sym_args, **sym_kwargs)
        except Exception as error:
            raise TypeError(f"Layer '{layer.name}' cannot run inside a tf.data/tf.function graph: its output shapes "
                            f"and dtypes could not be inferred ({type(error).__name__}: {error}).") from error
    out_leaves, out_tree = jax.tree_util.tree_flatten(spec, is_leaf=lambda x: isinstance(x, KerasTensor))
    out_dtypes = [tf.string if t.dtype == "string" else tf.as_dtype(t.dtype) for t in out_leaves]

    def host(*arrays):
        filled = list(leaves)
        for i, array in zip(positions, arrays):
            filled[i] = array
        args, kwargs = jax.tree_util.tree_unflatten(treedef, filled)
        with _HOST_CALL_LOCK:
            outputs = _run(layer, call, arrays, args, kwargs)
        results = jax.tree_util.tree_leaves(outputs)
        return [np.asarray(r, dtype=object if d == tf.string else d.as_numpy_dtype)
                for r, d in zip(results, out_dtypes)]

    results = tf.numpy_function(host, [leaves[i] for i in positions], out_dtypes, stateful=True,
                                name=f"kerasj_{layer.name}")
    for result, t in zip(results, out_leaves):
        result.set_shape(t.shape)
    return jax.tree_util.tree_unflatten(out_tree, list(results))
