"""Nested structures of losses and model outputs (lists, tuples, dicts; anything else, None included, is a
leaf), mapped and flattened as `keras.tree` does for the distillation losses. jax.tree_util is not enough:
None must be a leaf (it means "no loss for this output"), and Loss objects are not pytrees."""


def _is_sequence(x):
    return isinstance(x, (list, tuple))


def describe(structure):
    """The shape of a structure with every leaf written as `*`, for error messages."""
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in structure.items()) + "}"
    if _is_sequence(structure):
        inner = ", ".join(describe(v) for v in structure)
        return f"[{inner}]" if isinstance(structure, list) else f"({inner}{',' if len(structure) == 1 else ''})"
    return "*"


def _mismatch(first, other):
    return ValueError("The two structures don't have the same nested structure. First structure: "
                      f"{describe(first)}, second structure: {describe(other)}.")


def map_structure(fn, structure, *others):
    """`fn` applied to the leaves of `structure` and the leaves at the same places in `others`, in a structure
    like `structure`. A ValueError if the structures differ (lists and tuples count as the same kind)."""
    if isinstance(structure, dict):
        for other in others:
            if not isinstance(other, dict) or set(other) != set(structure):
                raise _mismatch(structure, other)
        return {k: map_structure(fn, structure[k], *(other[k] for other in others)) for k in structure}
    if _is_sequence(structure):
        for other in others:
            if not _is_sequence(other) or len(other) != len(structure):
                raise _mismatch(structure, other)
        out = [map_structure(fn, *items) for items in zip(structure, *others)]
        return out if isinstance(structure, list) else tuple(out)
    for other in others:
        if isinstance(other, dict) or _is_sequence(other):
            raise _mismatch(structure, other)
    return fn(structure, *others)


def assert_same_structure(first, second):
    """A ValueError unless `first` and `second` nest the same way."""
    map_structure(lambda *_: None, first, second)


def flatten(structure):
    """The leaves of `structure` in order (dict entries by sorted key, as Keras flattens them)."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if _is_sequence(structure):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]
