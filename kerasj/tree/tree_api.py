"""keras.tree: functions over nested structures of lists, tuples, namedtuples, dicts and the like.

    >>> kerasj.tree.flatten({"b": [1, None], "a": (2, "s")})
    [2, 's', 1, None]
    >>> kerasj.tree.map_structure(lambda x: x * 2, {"b": 1, "a": (2, 3)})
    {'b': 2, 'a': (4, 6)}

The containers are Keras's (optree's built-in nodes): list, tuple, namedtuple, struct sequences (such as
`time.struct_time`), dict and defaultdict (values in sorted-key order), OrderedDict (insertion order) and deque.
Everything else is a leaf, `None` and strings included.

The traversal is written here rather than on `jax.tree_util` because the two disagree with Keras where it
matters: JAX treats `None` as an empty node, rebuilds dicts in sorted-key order (Keras keeps the input's order),
knows neither deque nor struct sequences, and descends into any registered pytree, kerasj's Variables among them
(Keras keeps a Variable as one leaf). Mismatched structures raise the ValueError messages Keras gives.
"""
import collections
import itertools
import warnings

_DICTS = ("dict", "OrderedDict", "defaultdict")
_EXACT_KINDS = {list: "list", tuple: "tuple", dict: "dict", collections.OrderedDict: "OrderedDict",
                collections.defaultdict: "defaultdict", collections.deque: "deque"}
# The "Expected an instance of ..." wording for each kind of node.
_EXPECTED = {"list": "list", "tuple": "tuple", "namedtuple": "collections.namedtuple", "deque": "collections.deque",
             "structseq": "PyStructSequence type",
             **dict.fromkeys(_DICTS, "dict, collections.OrderedDict, or collections.defaultdict")}
_SUBCLASSABLE = 1 << 10  # Py_TPFLAGS_BASETYPE: struct sequence types are the tuple subclasses without it


class MAP_TO_NONE:
    """Special value for use with `traverse()`: a function that returns it replaces the subtree by `None`
    (returning `None` itself means "leave this subtree as it is")."""


def _is_namedtuple_class(cls):
    fields = getattr(cls, "_fields", None)
    return (isinstance(fields, tuple) and all(isinstance(f, str) for f in fields)
            and callable(getattr(cls, "_make", None)) and callable(getattr(cls, "_asdict", None)))


def _is_structseq_class(cls):
    return (cls.__bases__ == (tuple,) and not cls.__flags__ & _SUBCLASSABLE
            and all(isinstance(getattr(cls, a, None), int)
                    for a in ("n_fields", "n_sequence_fields", "n_unnamed_fields")))


def _kind(x, none_is_leaf=True):
    """The kind of node `x` is ("list", "dict", "namedtuple", ...), or None for a leaf. With
    `none_is_leaf=False`, None is the node "None" (with no children)."""
    kind = _EXACT_KINDS.get(type(x))
    if kind is not None:
        return kind
    if x is None:
        return None if none_is_leaf else "None"
    if isinstance(x, tuple):
        if _is_namedtuple_class(type(x)):
            return "namedtuple"
        if _is_structseq_class(type(x)):
            return "structseq"
    return None


def _sorted_keys(d):
    """Keys in Keras's order: sorted; keys of different types that do not compare are grouped by type name;
    keys that do not compare even then keep the dict's order."""
    try:
        return sorted(d)
    except TypeError:
        pass
    try:
        return sorted(d, key=lambda k: (f"{type(k).__module__}.{type(k).__qualname__}", k))
    except TypeError:
        return list(d)


def _entries(x, kind):
    """`(path key, child)` pairs of node `x`, in flattening order."""
    if kind in ("dict", "defaultdict"):
        return [(k, x[k]) for k in _sorted_keys(x)]
    if kind == "OrderedDict":
        return list(x.items())
    if kind == "None":
        return []
    return list(enumerate(x))


def _rebuild(x, kind, keys, children):
    """A node like `x` whose children (at the path keys `keys`, in flattening order) are `children`."""
    if kind == "list":
        return children
    if kind == "tuple":
        return tuple(children)
    if kind == "namedtuple":
        return type(x)(*children)
    if kind == "structseq":
        return type(x)(children)
    if kind == "deque":
        return collections.deque(children, maxlen=x.maxlen)
    if kind == "None":
        return None
    by_key = dict(zip(keys, children))
    # Values come in sorted-key order, but the result keeps the input's own key order, as Keras does.
    values = {k: by_key[k] for k in x}
    if kind == "defaultdict":
        return collections.defaultdict(x.default_factory, values)
    return collections.OrderedDict(values) if kind == "OrderedDict" else values


def _node_kind(x, none_is_leaf, is_leaf):
    return None if is_leaf is not None and is_leaf(x) else _kind(x, none_is_leaf)


def _walk(x, path=(), none_is_leaf=True, is_leaf=None):
    """Yield `(path, leaf)` for every leaf of `x`, in flattening order."""
    kind = _node_kind(x, none_is_leaf, is_leaf)
    if kind is None:
        yield path, x
        return
    for key, child in _entries(x, kind):
        yield from _walk(child, path + (key,), none_is_leaf, is_leaf)


def _map_leaves_of(func, x, none_is_leaf=True, is_leaf=None):
    """`x`'s structure with each leaf replaced by `func(leaf)`, called in flattening order."""
    kind = _node_kind(x, none_is_leaf, is_leaf)
    if kind is None:
        return func(x)
    entries = _entries(x, kind)
    return _rebuild(x, kind, [k for k, _ in entries],
                    [_map_leaves_of(func, c, none_is_leaf, is_leaf) for _, c in entries])


def _fill(x, leaves, none_is_leaf=True):
    """`x`'s structure with its leaves taken in order from the sequence `leaves`."""
    iterator = iter(leaves)
    return _map_leaves_of(lambda _: next(iterator), x, none_is_leaf)


def _check_node(shallow, kind, deep, none_is_leaf):
    """Raise Keras's ValueError if `deep` is not a node of the same kind (and size, keys, type) as `shallow`."""
    if kind == "None":
        if deep is not None:
            raise ValueError(f"Expected None, got {deep!r}.")
        return
    deep_kind = _kind(deep, none_is_leaf)
    if not (deep_kind in _DICTS if kind in _DICTS else deep_kind == kind):
        raise ValueError(f"Expected an instance of {_EXPECTED[kind]}, got {deep!r}.")
    if kind in _DICTS:
        if set(shallow) != set(deep):
            expected, got = [k for k, _ in _entries(shallow, kind)], _sorted_keys(deep)
            missing, extra = [k for k in expected if k not in deep], [k for k in got if k not in shallow]
            raise ValueError(f"dictionary key mismatch; expected key(s): {expected!r}, got key(s): {got!r}"
                             + (f", missing key(s): {missing!r}" if missing else "")
                             + (f", extra key(s): {extra!r}" if extra else "") + f"; {kind}: {deep!r}.")
        return
    if kind == "namedtuple" and type(deep) is not type(shallow):
        raise ValueError(f"namedtuple type mismatch; expected type: {type(shallow)!r}, got type: {type(deep)!r}; "
                         f"tuple: {deep!r}.")
    if len(deep) != len(shallow):
        label = "PyStructSequence" if kind == "structseq" else kind
        raise ValueError(f"{label} arity mismatch; expected: {len(shallow)}, got: {len(deep)}; "
                         f"{'tuple' if kind == 'structseq' else kind}: {deep!r}.")
    if kind == "structseq" and type(deep) is not type(shallow):
        raise ValueError(f"PyStructSequence type mismatch; expected type: {type(shallow)!r}, got type: "
                         f"{type(deep)!r}; tuple: {deep!r}.")


def _flatten_up_to(shallow, deep, none_is_leaf=True, out=None):
    """The subtrees of `deep` at the leaves of `shallow` (which `deep` must match down to them)."""
    out = [] if out is None else out
    kind = _kind(shallow, none_is_leaf)
    if kind is None:
        out.append(deep)
        return out
    _check_node(shallow, kind, deep, none_is_leaf)
    for key, child in _entries(shallow, kind):
        _flatten_up_to(child, deep[key], none_is_leaf, out)
    return out


def _check_callable(func, name):
    if not callable(func):
        raise TypeError(f"{name}: `func` must be callable; received {func!r} of type {type(func).__name__}")


def _map_aligned(func, structures, none_is_leaf):
    """`func` applied to the aligned leaves of two or more `structures`, which must have the first one's structure."""
    first, rest = structures[0], structures[1:]
    columns = [[leaf for _, leaf in _walk(first, none_is_leaf=none_is_leaf)]]
    columns += [_flatten_up_to(first, s, none_is_leaf) for s in rest]
    results = []
    for args in zip(*columns):
        # A deeper structure than the first passes _flatten_up_to; its extra depth shows here.
        if any(_kind(a, none_is_leaf) is not None for a in args[1:]):
            raise ValueError("Structures don't have the same nested structure.")
        results.append(func(*args))
    return results


def is_nested(structure):
    """Whether `structure` is a container (a sequence, mapping or namedtuple) rather than a leaf.

    >>> kerasj.tree.is_nested([]), kerasj.tree.is_nested(None), kerasj.tree.is_nested("abc")
    (True, False, False)
    """
    return _kind(structure) is not None


def flatten(structure):
    """The leaves of `structure` as a list: dict values in sorted-key order (OrderedDict in its own order).

    >>> kerasj.tree.flatten({100: "world!", 6: "Hello"})
    ['Hello', 'world!']
    >>> kerasj.tree.flatten(None)
    [None]
    """
    return [leaf for _, leaf in _walk(structure)]


def flatten_with_path(structure):
    """`(path, leaf)` pairs, in `flatten` order; a path is the tuple of indices and keys leading to the leaf.

    >>> kerasj.tree.flatten_with_path([{"foo": 42}])
    [((0, 'foo'), 42)]
    """
    return list(_walk(structure))


def map_structure(func, *structures, none_is_leaf=True):
    """`func` applied to the leaves of `structures` (one argument per structure), in the first one's structure.

    >>> kerasj.tree.map_structure(lambda x, y: x * y, [[1], (2, 3)], [[4], (5, 6)])
    [[4], (10, 18)]

    Args:
        func: a callable taking as many arguments as there are structures.
        *structures: structures of the same layout (dict-like nodes match by keys).
        none_is_leaf: if False, `None` values are kept as they are instead of being passed to `func`.

    Raises:
        ValueError: no structure is given, or the structures do not match as in `assert_same_structure`.
        TypeError: `func` is not callable.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    _check_callable(func, "map_structure")
    if len(structures) == 1:
        return _map_leaves_of(func, structures[0], none_is_leaf)
    return _fill(structures[0], _map_aligned(func, structures, none_is_leaf), none_is_leaf)


def map_structure_up_to(shallow_structure, func, *structures):
    """`map_structure` down to the leaves of `shallow_structure` only: what the structures hold below them is
    passed to `func` whole.

    >>> kerasj.tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]])
    ['[1, 1]', ['2', '2']]
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    _check_callable(func, "map_structure_up_to")
    columns = [_flatten_up_to(shallow_structure, s) for s in structures]
    return _fill(shallow_structure, [func(*args) for args in zip(*columns)])


def assert_same_structure(a, b, check_types=None):
    """Raise a ValueError unless `a` and `b` are nested the same way: at each level the same kind of container
    with the same length or keys (dict, OrderedDict and defaultdict count as one kind; list, tuple, deque and
    each namedtuple type are all different). Leaves may differ.

    >>> kerasj.tree.assert_same_structure([(0, 1)], [(2, 3)])   # passes
    >>> kerasj.tree.assert_same_structure([0, 1], (2, 3))
    Traceback (most recent call last):
    ValueError: Expected an instance of list, got (2, 3).

    Args:
        check_types: deprecated and without effect (as in Keras); `assert_same_paths` is the looser check.
    """
    if check_types is not None:
        hint = "" if check_types else " For a check that lets list, tuple, namedtuple and deque match, use " \
                                      "`keras.tree.assert_same_paths()`."
        warnings.warn("assert_same_structure: the `check_types` argument is deprecated and has no effect; remove "
                      f"it.{hint}", DeprecationWarning, stacklevel=2)
    _map_aligned(lambda *_: None, (a, b), none_is_leaf=True)


def assert_same_paths(a, b):
    """Raise a ValueError unless `a` and `b` have the same set of leaf paths (container types are not compared:
    a namedtuple's paths are indices, a dict's its keys).

    >>> kerasj.tree.assert_same_paths([0, 1], (2, 3))   # passes
    """
    a_paths, b_paths = {p for p, _ in _walk(a)}, {p for p, _ in _walk(b)}
    if a_paths != b_paths:
        message = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            message += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            message += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(message)


def pack_sequence_as(structure, flat_sequence):
    """The leaves of `flat_sequence`, in order, put into the structure of `structure` (the inverse of `flatten`).

    >>> kerasj.tree.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["value1", "value2", "value3"])
    {'key3': 'value3', 'key1': 'value1', 'key2': 'value2'}

    Raises:
        TypeError: `flat_sequence` is not iterable.
        ValueError: `flat_sequence` has more or fewer items than `structure` has leaves.
    """
    try:
        iterator = iter(flat_sequence)
    except TypeError:
        raise TypeError("pack_sequence_as: `flat_sequence` must be an iterable; received "
                        f"{flat_sequence!r} of type {type(flat_sequence).__name__}") from None
    expected = sum(1 for _ in _walk(structure))
    # One more than needed is enough to tell "too many", so an endless iterator fails too.
    flat = list(itertools.islice(iterator, expected + 1))
    if len(flat) < expected:
        raise ValueError(f"pack_sequence_as: too few leaves for `structure`; expected: {expected}, got: {len(flat)}.")
    if len(flat) > expected:
        raise ValueError(f"pack_sequence_as: too many leaves for `structure`; expected: {expected}.")
    return _fill(structure, flat)


def traverse(func, structure, top_down=True):
    """Apply `func` to every subtree of `structure` (containers and leaves), depth first.

    Top down (the default), a parent is visited before its children: if `func(subtree)` is None the traversal goes
    on into it, otherwise the subtree is replaced by that result and not entered. Bottom up, the children are
    traversed first and `func` sees the rebuilt parent; None keeps it. `MAP_TO_NONE` replaces a subtree by None.

    >>> seen = []
    >>> kerasj.tree.traverse(seen.append, [(1, 2), [3]])
    [(1, 2), [3]]
    >>> seen
    [[(1, 2), [3]], (1, 2), 1, 2, [3], 3]
    """
    _check_callable(func, "traverse")

    def children(x):
        kind = _kind(x)
        if kind is None:
            return x
        entries = _entries(x, kind)
        return _rebuild(x, kind, [k for k, _ in entries], [visit(c) for _, c in entries])

    def visit(x):
        if top_down:
            result = func(x)
            if result is None:
                return children(x)
        else:
            x = children(x)
            result = func(x)
            if result is None:
                return x
        return None if result is MAP_TO_NONE else result

    return visit(structure)


def lists_to_tuples(structure):
    """`structure` with every list turned into a tuple.

    >>> kerasj.tree.lists_to_tuples([1, {"a": [2]}])
    (1, {'a': (2,)})
    """
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, top_down=False)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(isinstance(d, (int, type(None))) for d in x)


def map_shape_structure(func, structure):
    """`map_structure` for structures of shapes: a list or tuple of ints and Nones is one leaf (a shape).

    >>> kerasj.tree.map_shape_structure(lambda s: (None,) + tuple(s), {"a": (2, 3), "b": [(4,), [5, None]]})
    {'a': (None, 2, 3), 'b': [(None, 4), (None, 5, None)]}
    """
    _check_callable(func, "map_shape_structure")
    return _map_leaves_of(func, structure, is_leaf=_is_shape)
