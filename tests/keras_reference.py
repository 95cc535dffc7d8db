"""Keras 3 reference values computed as one compiled program (shared by the ops parity tests).

Eagerly, Keras's composite ops compile one XLA program per primitive and new shape (43 for one stft, 42 for
ctc_loss), which dominated those tests; compiled with their NumPy arguments traced they compile once. kerasj is
still called eagerly by the tests: that is what they check."""
import jax
import numpy as np


def keras_reference(fn, *args, fallback=True, **kwargs):
    """`fn(*args, **kwargs)` (a Keras op) jitted over its NumPy arguments. Ops that need concrete values (window
    lengths, `unique` without `size`) raise a TypeError while tracing; with `fallback` they run eagerly."""
    leaves, tree = jax.tree_util.tree_flatten((args, kwargs))
    traced = [isinstance(leaf, np.ndarray) for leaf in leaves]

    def run(*arrays):
        arrays = iter(arrays)
        a, k = jax.tree_util.tree_unflatten(tree, [next(arrays) if t else x for x, t in zip(leaves, traced)])
        return fn(*a, **k)

    try:
        return jax.jit(run)(*[x for x, t in zip(leaves, traced) if t])
    except TypeError:  # jax.errors.ConcretizationTypeError and friends are TypeErrors
        if not fallback:
            raise
        return fn(*args, **kwargs)
