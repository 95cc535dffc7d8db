"""keras.tree: flatten, map and compare nested structures (lists, tuples, namedtuples, dicts, ...) as Keras 3
does: None and strings are leaves, dicts flatten in sorted-key order and are rebuilt in their own order.

    >>> kerasj.tree.flatten({"b": 1, "a": [2, None]})
    [2, None, 1]
"""
from kerasj.tree.tree_api import (MAP_TO_NONE, assert_same_paths, assert_same_structure, flatten, flatten_with_path,
                                  is_nested, lists_to_tuples, map_shape_structure, map_structure, map_structure_up_to,
                                  pack_sequence_as, traverse)

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path", "is_nested",
           "lists_to_tuples", "map_shape_structure", "map_structure", "map_structure_up_to", "pack_sequence_as",
           "traverse"]
