"""pad_sequences: results compared with keras.utils.pad_sequences (values, dtype, shape), plus error messages."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402
from kerasj.utils import pad_sequences  # noqa: E402

RAGGED = [[1, 2, 3, 4, 5], [6], [], [7, 8, 9]]


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 2, 4, 7])
def test_matches_keras_on_ragged_int_lists(padding, truncating, maxlen):
    kwargs = dict(maxlen=maxlen, padding=padding, truncating=truncating)
    expected = keras.utils.pad_sequences(RAGGED, **kwargs)
    result = pad_sequences(RAGGED, **kwargs)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("kwargs", [
    dict(value=-1),
    dict(dtype="float32", value=0.5, maxlen=3),
    dict(dtype="int64", padding="post"),
    dict(dtype="float32", value=np.nan),
])
def test_matches_keras_for_dtype_and_value(kwargs):
    sequences = [[1.7, 2.2], [3.9], [4.1, 5.5, 6.6, 7.0]]
    expected = keras.utils.pad_sequences(sequences, **kwargs)
    result = pad_sequences(sequences, **kwargs)
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


def test_matches_keras_for_steps_with_features_and_object_arrays():
    rng = np.random.default_rng(0)
    vectors = [rng.random((n, 3)).astype("float32") for n in (4, 1, 2)]
    expected = keras.utils.pad_sequences(vectors, maxlen=3, dtype="float32", padding="post")
    result = pad_sequences(vectors, maxlen=3, dtype="float32", padding="post")
    assert result.shape == (3, 3, 3)
    np.testing.assert_array_equal(result, expected)
    # An object array of lists is what kerasj.datasets.imdb returns.
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1, 2, 3], [4]]
    np.testing.assert_array_equal(pad_sequences(ragged), keras.utils.pad_sequences(ragged))


def test_pads_strings_with_object_dtype_like_keras():
    words = [["a", "b"], ["c"]]
    expected = keras.utils.pad_sequences(words, dtype=object, value="<pad>")
    result = pad_sequences(words, dtype=object, value="<pad>")
    assert result.tolist() == expected.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_exported_from_kerasj_utils_and_zero_length_cases():
    assert kerasj.utils.pad_sequences is pad_sequences
    assert pad_sequences([[], []]).shape == (2, 0)
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)


@pytest.mark.parametrize("args, kwargs, match", [
    ((RAGGED,), dict(padding="left"), r"`padding` must be 'pre' or 'post'; received padding='left'"),
    ((RAGGED,), dict(truncating="end"), r"`truncating` must be 'pre' or 'post'; received truncating='end'"),
    ((RAGGED,), dict(maxlen=-1), r"`maxlen` must be None or a non-negative int; received maxlen=-1"),
    ((iter(RAGGED),), {}, r"must be a list of sequences; received an object of type list_iterator"),
    (([[1], 5],), {}, r"the entry at position 1 is not one: 5"),
    (([["a"]],), dict(value="x"), r"string padding value 'x' cannot be stored with dtype='int32'"),
    (([np.zeros((2, 3)), np.zeros((1, 4))],), dict(dtype="float32"),
     r"every step must have shape \(3,\).*position 1 has steps of shape \(4,\)"),
])
def test_bad_arguments_raise_clear_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pad_sequences(*args, **kwargs)
