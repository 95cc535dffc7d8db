"""kerasj.tree against Keras 3's keras.tree (the oracle) on the same inputs: results (types, dict key order,
the very leaf objects), call and visit orders, and the exceptions (types and messages) for mismatches."""
import ast
import collections
import inspect
import itertools
import pathlib
import sys
import time
import typing
import warnings

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj
from kerasj import tree

P = collections.namedtuple("P", "x y")
OtherP = collections.namedtuple("P", "x y")  # same name and fields, another type
OD, DD, DQ = collections.OrderedDict, collections.defaultdict, collections.deque


class SubP(P):
    pass


class TypedNT(typing.NamedTuple):
    a: int
    b: object


class ListSub(list):  # a subclass of a container is a leaf
    pass


class FieldsOnly(tuple):  # `_fields` alone does not make a namedtuple
    _fields = ("a", "b")


class Key:  # hashable keys that do not compare
    def __init__(self, n):
        self.n = n

    def __hash__(self):
        return self.n

    def __repr__(self):
        return f"Key({self.n})"


VARIABLE = kerasj.Variable(np.ones(2, "float32"), name="v")  # a JAX pytree node, but one leaf for keras.tree
ARRAY, JAX_ARRAY = np.arange(3), jnp.ones((2,))
STRUCTURES = {
    "int": 1, "none": None, "str": "abc", "bytes": b"x", "array": ARRAY, "jax_array": JAX_ARRAY,
    "variable": VARIABLE, "set": {1, 2}, "list_subclass": ListSub([1, 2]), "fields_only": FieldsOnly((1, 2)),
    "empty_list": [], "empty_tuple": (), "empty_dict": {}, "list_of_none": [None], "one_leaf_list": [ARRAY],
    "nested": [1, [2, (3, None)], "s"],
    "dict": {"b": 1, "a": [2, None], "c": {"z": (), "y": "s"}},
    "ordered_dict": OD([("b", 1), ("a", [2, OD([("d", 3), ("c", 4)])])]),
    "defaultdict": DD(list, {"b": [1], "a": 2}),
    "namedtuple": P(1, (2, None)), "namedtuple_subclass": SubP([1], 2), "typed_namedtuple": TypedNT(1, {"k": 2}),
    "deque": DQ([1, [2, None]], maxlen=4), "struct_time": time.gmtime(0),
    "mixed_keys": {"b": 2, 1: "a", None: 3, 1.5: 4}, "incomparable_keys": {Key(2): "two", Key(1): "one", "a": 0},
    "numpy_and_str_keys": {np.int64(1): 1, "a": 2},
    "everything": {"x": [P(VARIABLE, DQ([None])), (ARRAY, "s")], "w": OD(k=(1,)), "v": [{}, [], ()]},
    "shapes": [(1, None), {"a": (2,), "b": [3, 4]}, [], (), (1, (2,)), None, 3, [None], (True,),
               P(1, 2), (np.int64(1), 2), (1.5, 2)],
}


def same(a, b):
    """Equal structure with identical container types and key order, and identical (or equal) leaves."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return (list(a) == list(b) and all(same(a[k], b[k]) for k in a)
                and getattr(a, "default_factory", None) is getattr(b, "default_factory", None))
    if isinstance(a, (list, tuple, DQ)) and not isinstance(a, ListSub):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b)) and getattr(a, "maxlen", 0) == getattr(
            b, "maxlen", 0)
    if a is b:
        return True
    if isinstance(a, (np.ndarray, type(JAX_ARRAY))):
        return np.array_equal(a, b)
    return a == b


def outcome(fn, *args, **kwargs):
    """("ok", result) or ("raised", exception type, message)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as e:  # the exception is the compared result
        return ("raised", type(e), str(e))


def assert_same_outcome(ours, theirs):
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert same(ours[1], theirs[1]), (ours[1], theirs[1])
    else:
        assert ours[1:] == theirs[1:]


def test_the_twelve_keras_names_with_keras_signatures():
    public = sorted(n for n in dir(keras.tree) if not n.startswith("_"))
    assert public == sorted(tree.__all__) and len(public) == 12
    for name in public:
        ours, theirs = getattr(tree, name), getattr(keras.tree, name)
        if not isinstance(ours, type):
            assert inspect.signature(ours) == inspect.signature(theirs), name
    assert kerasj.tree is tree


def test_tree_imports_only_the_standard_library():
    # A low floor (DESIGN.md section 2), and no optree: kerasj's core depends on jax, optax, numpy, h5py only.
    imported = set()
    for path in pathlib.Path(tree.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module if node.module.startswith("kerasj") else node.module.split(".")[0])
    assert imported - {"kerasj.tree.tree_api"} <= set(sys.stdlib_module_names)


@pytest.mark.parametrize("structure", list(STRUCTURES.values()), ids=list(STRUCTURES))
def test_flatten_paths_nesting_and_packing_match_keras(structure):
    assert tree.is_nested(structure) == keras.tree.is_nested(structure)
    ours, theirs = tree.flatten(structure), keras.tree.flatten(structure)
    assert len(ours) == len(theirs) and all(o is t for o, t in zip(ours, theirs))
    ours, theirs = tree.flatten_with_path(structure), keras.tree.flatten_with_path(structure)
    assert [p for p, _ in ours] == [p for p, _ in theirs] and all(o is t for (_, o), (_, t) in zip(ours, theirs))
    tags = [f"leaf{i}" for i in range(len(theirs))]
    assert same(tree.pack_sequence_as(structure, tags), keras.tree.pack_sequence_as(structure, tags))
    assert same(tree.lists_to_tuples(structure), keras.tree.lists_to_tuples(structure))
    tree.assert_same_structure(structure, structure)
    tree.assert_same_paths(structure, structure)


@pytest.mark.parametrize("structure", list(STRUCTURES.values()), ids=list(STRUCTURES))
def test_map_structure_and_traverse_match_keras_in_results_and_call_order(structure):
    def recorder(calls):
        return lambda *args: calls.append(args) or ("mapped", len(calls))

    for kwargs in ({}, {"none_is_leaf": False}):
        ours_calls, theirs_calls = [], []
        ours = tree.map_structure(recorder(ours_calls), structure, **kwargs)
        theirs = keras.tree.map_structure(recorder(theirs_calls), structure, **kwargs)
        assert same(ours, theirs) and same(ours_calls, theirs_calls)
        # Two structures: each leaf paired with itself.
        ours = tree.map_structure(lambda a, b: (a is b, a), structure, structure, **kwargs)
        assert same(ours, keras.tree.map_structure(lambda a, b: (a is b, a), structure, structure, **kwargs))
    ours_calls, theirs_calls = [], []
    ours = tree.map_shape_structure(recorder(ours_calls), structure)
    assert same(ours, keras.tree.map_shape_structure(recorder(theirs_calls), structure))
    assert same(ours_calls, theirs_calls)
    for top_down in (True, False):
        ours_seen, theirs_seen = [], []
        ours = tree.traverse(ours_seen.append, structure, top_down=top_down)
        assert same(ours, keras.tree.traverse(theirs_seen.append, structure, top_down=top_down))
        assert same(ours_seen, theirs_seen)


def _replace_tuples(mark):
    return lambda x: mark if isinstance(x, tuple) else (x * 10 if isinstance(x, int) else None)


@pytest.mark.parametrize("top_down", [True, False])
@pytest.mark.parametrize("structure", [[1, (2, 3), {"b": [4], "a": (5,)}], (1, [2]), {"k": None}, 7])
def test_traverse_replacements_and_map_to_none_match_keras(structure, top_down):
    for ours_mark, theirs_mark in ((tree.MAP_TO_NONE, keras.tree.MAP_TO_NONE), ("T", "T")):
        ours = tree.traverse(_replace_tuples(ours_mark), structure, top_down=top_down)
        assert same(ours, keras.tree.traverse(_replace_tuples(theirs_mark), structure, top_down=top_down))


def test_traverse_top_down_does_not_enter_a_replaced_subtree():
    seen = []
    out = tree.traverse(lambda x: seen.append(x) or ("cut" if isinstance(x, tuple) else None), [(1, 2), [3]])
    assert out == ["cut", [3]] and seen == [[(1, 2), [3]], (1, 2), [3], 3]


MISMATCHES = {
    "list_tuple": ([1, 2], (1, 2)), "tuple_list": ((1,), [1]), "list_arity": ([1, 2], [1, 2, 3]),
    "tuple_arity_nested": ([1, (2, 3)], [1, (2,)]), "b_deeper": ([1, 2], [1, [2]]), "a_deeper": ([1, [2]], [1, 2]),
    "none_leaf": ([None], [1]), "none_vs_list": ([None], [[]]), "list_vs_none": ([], None),
    "empty_list_tuple": ([], ()), "dict_keys": ({"b": 1, "a": 2, "c": 3}, {"d": 1, "a": 2, "e": 3, "f": 4}),
    "dict_missing": ({"b": 1, "a": 2, "c": 3}, {"c": 1, "a": 2}),
    "dict_extra": ({"b": 1, "a": 2}, {"b": 1, "a": 2, "z": 0}),
    "ordered_dict_keys": (OD([("b", 1), ("a", 2)]), {"c": 1, "a": 2}),
    "dict_vs_ordered_dict_keys": ({"b": 1, "a": 2}, OD([("c", 1), ("a", 2), ("0", 3)])),
    "defaultdict_keys": (DD(int, a=1), {"b": 1}),
    "dict_kinds_match": ({"a": 1, "b": 2}, OD([("b", 1), ("a", 2)])),
    "defaultdict_vs_dict": (DD(int, b=1, a=2), {"a": 1, "b": 2}), "dict_vs_list": ({"a": 1}, [1]),
    "list_vs_dict": ([1], {"a": 1}), "namedtuple_types": (P(1, 2), OtherP(1, 2)),
    "namedtuple_subclass": (SubP(1, 2), P(1, 2)), "namedtuple_vs_tuple": (P(1, 2), (1, 2)),
    "tuple_vs_namedtuple": ((1, 2), P(1, 2)), "list_vs_namedtuple": ([1, 2], P(1, 2)),
    "deque_vs_list": (DQ([1]), [1]), "list_vs_deque": ([1], DQ([1])), "deque_arity": (DQ([1]), DQ([1, 2])),
    "deque_maxlen": (DQ([1], maxlen=2), DQ([1])), "struct_time_vs_tuple": (time.gmtime(0), tuple(range(9))),
    "struct_sequence_types": (time.gmtime(0), sys.hash_info), "struct_sequence_arity": (time.gmtime(0), sys.flags),
    "list_subclass": (ListSub([1]), [1]), "leaves_differ": ("ab", np.ones(3)),
    "none_node_vs_leaf": ([None, 1], [3, 2]), "leaf_vs_none_node": ([3, 1], [None, 2]),
}


@pytest.mark.parametrize("a, b", list(MISMATCHES.values()), ids=list(MISMATCHES))
def test_structure_mismatches_raise_as_keras(a, b):
    theirs = outcome(keras.tree.assert_same_structure, a, b)
    assert_same_outcome(outcome(tree.assert_same_structure, a, b), theirs)
    for kwargs in ({}, {"none_is_leaf": False}):
        theirs = outcome(keras.tree.map_structure, lambda x, y: (x, y), a, b, **kwargs)
        assert_same_outcome(outcome(tree.map_structure, lambda x, y: (x, y), a, b, **kwargs), theirs)
    assert_same_outcome(outcome(tree.assert_same_paths, a, b), outcome(keras.tree.assert_same_paths, a, b))


def test_map_structure_over_three_structures_and_its_argument_errors():
    a, b, c = {"b": 1, "a": (2, 3)}, OD([("a", (20, 30)), ("b", 10)]), DD(int, {"a": (200, 300), "b": 100})
    assert same(tree.map_structure(lambda *x: sum(x), a, b, c), keras.tree.map_structure(lambda *x: sum(x), a, b, c))
    assert_same_outcome(outcome(tree.map_structure, len), outcome(keras.tree.map_structure, len))
    for structure in (1, [1]):
        assert outcome(tree.map_structure, 5, structure)[1] is outcome(keras.tree.map_structure, 5, structure)[1]
        assert outcome(tree.traverse, 5, structure)[1] is outcome(keras.tree.traverse, 5, structure)[1] is TypeError


UP_TO = {
    "deeper": ([0, 0], [1, [2]], [[3], 4]), "tuple_dict": ((0, {"a": 0}), (1, {"a": [1]})),
    "dict_order": ({"b": 0, "a": 0}, {"a": [1], "b": [1, 2]}), "leaf": (1, [1, 2]),
    "shallower": ([0, [0, 0]], [[1, 1], 2]), "list_tuple": ([0, 0], ([1, 1], 2)),
    "wrong_key": ((0, {"a": 0}), (1, {"b": [1]})), "namedtuple": (P(0, 0), P([1], (2,))),
}


@pytest.mark.parametrize("case", list(UP_TO.values()), ids=list(UP_TO))
def test_map_structure_up_to_matches_keras(case):
    shallow, *structures = case
    theirs = outcome(keras.tree.map_structure_up_to, shallow, lambda *x: x, *structures)
    assert_same_outcome(outcome(tree.map_structure_up_to, shallow, lambda *x: x, *structures), theirs)


def test_map_structure_up_to_treats_none_in_the_shallow_structure_as_a_leaf():
    # Keras's own docstring examples; Keras 3.15 (optree) raises on them, as its check counts None as a node.
    assert tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2]]) == [2, 2]
    assert tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]]) == ["[1, 1]", ["2", "2"]]
    with pytest.raises(ValueError, match="at least one structure"):
        tree.map_structure_up_to([None], len)


@pytest.mark.parametrize("structure, flat", [([1, 2], [1]), ([1, 2], [1, 2, 3]), (1, [1, 2]), ([1], 5),
                                             ({"b": 0, "a": 0}, [])])
def test_pack_sequence_as_errors_match_keras(structure, flat):
    ours = outcome(tree.pack_sequence_as, structure, flat)
    theirs = outcome(keras.tree.pack_sequence_as, structure, flat)
    assert ours[:2] == theirs[:2] and ours[0] == "raised"
    if ours[1] is ValueError:
        assert ("too few" in ours[2].lower()) == ("too few" in theirs[2].lower())
        assert ("too many" in ours[2].lower()) == ("too many" in theirs[2].lower())


def test_pack_sequence_as_stops_reading_an_endless_iterator():
    with pytest.raises(ValueError, match="too many leaves"):
        tree.pack_sequence_as([0, [0]], itertools.count())


@pytest.mark.parametrize("make_flat", [lambda: (7, 8), lambda: iter("ab"), lambda: np.array([7, 8]),
                                       lambda: {"a": 1, "b": 2}, lambda: (x for x in [None, 3])],
                         ids=["tuple", "iterator", "array", "dict", "generator"])
@pytest.mark.parametrize("structure", [[1, 2], {"b": 0, "a": None}, P(0, 0)])
def test_pack_sequence_as_takes_any_iterable_as_keras(structure, make_flat):
    assert same(tree.pack_sequence_as(structure, make_flat()), keras.tree.pack_sequence_as(structure, make_flat()))


def test_dicts_are_rebuilt_in_their_own_key_order_with_values_in_sorted_key_order():
    structure = {"key3": {"c": ("alpha", "beta"), "a": "gamma"}, "key1": {"e": "val1", "d": "val2"}}
    packed = tree.pack_sequence_as(structure, ["val2", "val1", 3.0, 1.0, 2.0])
    assert packed == {"key3": {"c": (1.0, 2.0), "a": 3.0}, "key1": {"e": "val1", "d": "val2"}}
    assert list(packed) == ["key3", "key1"] and list(packed["key3"]) == ["c", "a"]


@pytest.mark.parametrize("check_types, warns", [(None, False), (True, True), (False, True)])
def test_check_types_is_deprecated_as_in_keras(check_types, warns):
    for module in (tree, keras.tree):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module.assert_same_structure([1], [2], check_types=check_types)
        assert [w.category for w in caught] == ([DeprecationWarning] if warns else [])
        assert not caught or caught[0].filename == __file__  # points at the caller
    with pytest.raises(ValueError, match="Expected an instance of list"), pytest.warns(DeprecationWarning):
        tree.assert_same_structure([1], (1,), check_types=False)  # no effect: still strict
