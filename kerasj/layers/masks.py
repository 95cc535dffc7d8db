"""Keras masks on JAX arrays.

Keras attaches a boolean mask (which time steps are padding) to a layer's output as `tensor._keras_mask`, and the
next layer whose `call` has a `mask` argument receives it. JAX arrays and tracers do not accept new attributes,
so kerasj keeps the masks in a side table keyed by the array's identity. Each entry holds a weak reference to
its array and is removed when the array is freed, so an id reused by a later array never finds a stale mask.

    >>> emb = kerasj.layers.Embedding(10, 4, mask_zero=True)
    >>> y = emb(np.array([[1, 2, 0]]))
    >>> kerasj.layers.masks.get_mask(y)
    Array([[ True,  True, False]], dtype=bool)
"""
import threading
import weakref

import jax

_local = threading.local()


def _table():
    table = getattr(_local, "masks", None)
    if table is None:
        table = _local.masks = {}
    return table


def _forget(table, key, ref):
    entry = table.get(key)
    if entry is not None and entry[0] is ref:
        del table[key]


def set_mask(x, mask):
    """Attach `mask` to array (or KerasTensor) `x`; `mask=None` removes it."""
    table = _table()
    key = id(x)
    if mask is None:
        table.pop(key, None)
        return
    try:
        ref = weakref.ref(x, lambda r, key=key, table=table: _forget(table, key, r))
    except TypeError:  # Python scalars and the like cannot carry a mask
        return
    table[key] = (ref, mask)


def get_mask(x):
    """The mask attached to `x`, or None."""
    entry = _table().get(id(x))
    if entry is None or entry[0]() is not x:
        return None
    return entry[1]


def masks_of(tree):
    """The masks of every array in `tree` in the same structure, or None if none has one."""
    leaves, treedef = jax.tree_util.tree_flatten(tree, is_leaf=lambda x: x is None)
    found = [None if leaf is None else get_mask(leaf) for leaf in leaves]
    if all(m is None for m in found):
        return None
    if treedef.num_leaves == 1 and not isinstance(tree, (list, tuple, dict)):
        return found[0]
    return jax.tree_util.tree_unflatten(treedef, found)


def set_masks(outputs, masks):
    """Attach each mask of `masks` (same structure as `outputs`, or one mask for all) to its output."""
    outs = jax.tree_util.tree_leaves(outputs)
    if masks is None:
        return
    if isinstance(masks, (list, tuple)):
        flat = list(masks)
        flat = flat + [None] * (len(outs) - len(flat))
    else:
        flat = [masks] * len(outs)
    for out, mask in zip(outs, flat):
        if mask is not None and get_mask(out) is None:
            set_mask(out, mask)
