"""kerasj.backend offers every name keras.backend does, with Keras's results."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasj  # noqa: E402


def test_every_keras_backend_name_exists():
    public = {n for n in dir(keras.backend) if not n.startswith("_")}
    assert sorted(public - set(dir(kerasj.backend))) == []


def test_settings_match_keras():
    for name in ("backend", "epsilon", "floatx", "image_data_format"):
        assert getattr(kerasj.backend, name)() == getattr(keras.backend, name)(), name


def test_dtype_helpers_match_keras():
    for dtypes in [("int32", "float32"), ("float16", "float32"), ("int8", "uint8"), ("bool", "int32"),
                   ("bfloat16", "float16"), (int, "int8"), (float, "int32"), (int,), (float,), ()]:
        assert kerasj.backend.result_type(*dtypes) == keras.backend.result_type(*dtypes), dtypes
    for dtype in ("float32", "bfloat16", "int8", "uint16", "bool", "complex64", np.float16, np.dtype("int64"),
                  np.dtype("float64"), np.dtype("bool")):
        assert kerasj.backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype), dtype
        assert kerasj.backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype), dtype
    for dtype in ("float32", np.int8, None, "bool", float, int, bool, np.dtype("int64"), np.dtype("bool")):
        assert kerasj.backend.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype), dtype


def test_get_uid_counts_per_prefix_until_clear_session():
    kerasj.backend.clear_session()
    assert [kerasj.backend.get_uid("a"), kerasj.backend.get_uid("a"), kerasj.backend.get_uid("b")] == [1, 2, 1]
    kerasj.backend.clear_session()
    assert kerasj.backend.get_uid("a") == 1


def test_is_keras_tensor():
    assert kerasj.backend.is_keras_tensor(kerasj.Input((3,)))
    assert not kerasj.backend.is_keras_tensor(np.ones(3))
