"""Keras masks: which time steps of a layer's output are padding.

As in Keras 3, a layer's eager output carries its boolean mask as the attribute `_keras_mask`, and the next
layer whose `call` has a `mask` argument receives it:

    >>> emb = kerasj.layers.Embedding(10, 4, mask_zero=True)
    >>> emb(np.array([[1, 2, 0]]))._keras_mask
    Array([[ True,  True, False]], dtype=bool)

Concrete jax arrays (and KerasTensors) accept the attribute. Tracers (inside `jax.jit`, `jax.grad`,
`jax.vmap`) and numpy arrays do not, so for those kerasj keeps the mask in a side table keyed by the array's
identity. Each entry holds a weak reference to its array and is removed when the array is freed, so an id
reused by a later array never finds a stale mask. `get_mask` and `set_mask` hide which of the two holds it.
"""
import threading
import weakref

import jax

_ATTRIBUTE = "_keras_mask"
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
    """Attach `mask` to array (or KerasTensor) `x`; `mask=None` removes it.

        >>> x = jnp.ones((1, 3))
        >>> set_mask(x, jnp.array([[True, True, False]]))
        >>> x._keras_mask
        Array([[ True,  True, False]], dtype=bool)
    """
    table = _table()
    key = id(x)
    if mask is None:
        table.pop(key, None)
        if hasattr(x, _ATTRIBUTE):
            try:
                delattr(x, _ATTRIBUTE)
            except AttributeError:  # a read-only attribute of the type itself
                pass
        return
    try:
        setattr(x, _ATTRIBUTE, mask)
        return
    except AttributeError:  # tracers and numpy arrays take no new attributes
        pass
    try:
        ref = weakref.ref(x, lambda r, key=key, table=table: _forget(table, key, r))
    except TypeError:  # Python scalars and the like cannot carry a mask
        return
    table[key] = (ref, mask)


def get_mask(x):
    """The mask attached to `x`, or None.

        >>> get_mask(jnp.ones(3)) is None
        True
    """
    mask = getattr(x, _ATTRIBUTE, None)
    if mask is not None:
        return mask
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
    """Attach each mask of `masks` (same structure as `outputs`, or one mask for all) to its output; an
    output that already has a mask (a layer returning its input) keeps it."""
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
