"""kerasj.utils re-exports: the same objects as in kerasj.saving, Sequence is PyDataset, signatures as Keras."""
import inspect

import keras
import pytest

import kerasj

SAVING = ["custom_object_scope", "CustomObjectScope", "get_custom_objects", "register_keras_serializable",
          "get_registered_name", "get_registered_object", "serialize_keras_object", "deserialize_keras_object"]


@pytest.mark.parametrize("name", SAVING)
def test_saving_names_are_the_same_objects(name):
    assert getattr(kerasj.utils, name) is getattr(kerasj.saving, name)


def test_sequence_is_pydataset_and_standardize_dtype_is_the_variables_one():
    assert kerasj.utils.Sequence is kerasj.utils.PyDataset
    assert kerasj.utils.standardize_dtype is kerasj.variables.standardize_dtype
    for dtype in ("float32", "int64", "bool", "bfloat16", float, int, bool):
        assert kerasj.utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)


@pytest.mark.parametrize("name", ["split_dataset", "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
                                  "get_source_inputs", "is_keras_tensor", "standardize_dtype", "clear_session",
                                  "enable_interactive_logging", "disable_interactive_logging",
                                  "is_interactive_logging_enabled"])
def test_signatures_match_keras(name):
    assert inspect.signature(getattr(kerasj.utils, name)) == inspect.signature(getattr(keras.utils, name))


def test_clear_session_resets_default_names():
    kerasj.layers.Dense(1)
    kerasj.utils.clear_session()
    assert kerasj.layers.Dense(1).name == "dense"
