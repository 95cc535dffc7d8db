"""Parity of StringLookup, IntegerLookup and TextVectorization with Keras 3 (JAX backend; Keras runs these
layers on TensorFlow): the same vocabularies and adapt data give the same vocabulary order, indices, vectors,
idf weights, dtypes and configs."""
import numpy as np
import pytest

import keras
import kerasj
from kerasj.layers.preprocessing.integer_lookup import IntegerLookup
from kerasj.layers.preprocessing.string_lookup import StringLookup
from kerasj.layers.preprocessing.text_vectorization import TextVectorization

WORDS = np.array([["b", "a", "c", "b"], ["d", "a", "é", "ab"], ["b", "z", "", "a"]])
QUERY = np.array([["a", "b", "q", ""], ["é", "zz", "hello", "ab"]])
INTS = np.array([[7, 3, 7, 2], [3, 9, 0, 7], [-4, 2, 2, 7]])
INT_QUERY = np.array([[7, 2, 5, 0], [-3, 9, 11, 123]])
TEXTS = np.array(["The cat sat on the MAT.", "the dog ate my homework!", "É, école: café's Ünïcode.",
                  "tabs\tand\xa0nbsp  spaces", "cat-dog's (sat) [on] {it}?"])
TEXT_QUERY = np.array(["the cat ate the école", "UNSEEN words, the END", ""])


def assert_same(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, (ours.dtype, theirs.dtype, ours.shape)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def assert_same_config(ours, theirs):
    ours, theirs = ours.get_config(), theirs.get_config()
    ours.pop("name"), theirs.pop("name")
    assert ours == theirs


def both(kerasj_cls, keras_cls, **kwargs):
    return kerasj_cls(**kwargs), keras_cls(**kwargs)


LOOKUP_CASES = [
    dict(),
    dict(max_tokens=5),
    dict(mask_token=""),
    dict(mask_token="", num_oov_indices=3),
    dict(num_oov_indices=4, salt=123),
    dict(num_oov_indices=3, salt=(5, 9)),
    dict(output_mode="one_hot"),
    dict(output_mode="multi_hot", mask_token=""),
    dict(output_mode="count", num_oov_indices=2),
    dict(output_mode="tf_idf"),
    dict(output_mode="tf_idf", max_tokens=9, pad_to_max_tokens=True, mask_token=""),
    dict(output_mode="multi_hot", max_tokens=12, pad_to_max_tokens=True),
]


@pytest.mark.parametrize("kwargs", LOOKUP_CASES, ids=[str(c) for c in LOOKUP_CASES])
def test_string_lookup_adapt_and_call_match_keras(kwargs):
    ours, theirs = both(StringLookup, keras.layers.StringLookup, **kwargs)
    ours.adapt(WORDS)
    theirs.adapt(WORDS)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    assert_same(ours(QUERY), theirs(QUERY))
    assert_same(ours(QUERY[0]), theirs(QUERY[0]))  # rank 1: one sample in the vector modes
    if kwargs.get("output_mode") == "tf_idf":
        np.testing.assert_allclose(ours.idf_weights, theirs.idf_weights.numpy(), rtol=1e-6)
    assert_same_config(ours, theirs)


def test_adapt_from_batches_counts_each_1d_batch_as_one_document():
    batches = [np.array(["a", "b", "a"]), np.array(["c", "a"]), np.array(["b"])]
    ours, theirs = both(StringLookup, keras.layers.StringLookup, output_mode="tf_idf")
    ours.adapt(iter(batches), steps=2)
    theirs.adapt(iter(batches), steps=2)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert_same(ours(QUERY), theirs(QUERY))


def test_adapt_from_tf_dataset():
    import tensorflow as tf
    ds = tf.data.Dataset.from_tensor_slices(WORDS.reshape(-1)).batch(3)
    ours, theirs = both(StringLookup, keras.layers.StringLookup, max_tokens=6)
    ours.adapt(ds, steps=3)
    theirs.adapt(ds, steps=3)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert_same(ours(QUERY), theirs(QUERY))


@pytest.mark.parametrize("mode", ["multi_hot", "count", "one_hot", "tf_idf"])
def test_rank3_and_scalar_inputs_are_shaped_as_keras(mode):
    kwargs = dict(vocabulary=["a", "b"], output_mode=mode)
    if mode == "tf_idf":
        kwargs["idf_weights"] = [0.5, 2.0]
    ours, theirs = both(StringLookup, keras.layers.StringLookup, **kwargs)
    x = np.array([[["a", "a"], ["b", "b"]], [["a", "b"], ["z", "b"]]])
    assert_same(ours(x), theirs(x))
    assert_same(ours("a"), theirs("a"))
    assert_same(ours(x[0][:, :1]), theirs(x[0][:, :1]))


@pytest.mark.parametrize("with_specials", [False, True])
def test_string_lookup_given_vocabulary_and_idf_match_keras(with_specials):
    vocab = ["[UNK]", "x", "y", "w"] if with_specials else ["x", "y", "w"]
    idf = [0.25, 1.0, 2.0, 3.0] if with_specials else [1.0, 2.0, 3.0]
    ours, theirs = both(StringLookup, keras.layers.StringLookup, vocabulary=vocab, idf_weights=idf,
                        output_mode="tf_idf", max_tokens=6, pad_to_max_tokens=True)
    x = np.array([["x", "w", "w", "q"], ["y", "y", "x", "x"]])
    assert_same(ours(x), theirs(x))
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert_same_config(ours, theirs)


def test_string_lookup_invert_matches_keras():
    import tensorflow as tf
    ours, theirs = both(StringLookup, keras.layers.StringLookup, vocabulary=["a", "b", "c"], mask_token="",
                        invert=True)
    x = np.array([[0, 1, 2], [3, 4, 9]])
    # Keras 3.15 on JAX fails on numpy inputs here (a string tf.Tensor cannot become a JAX array); its
    # TensorFlow-tensor path still gives the reference.
    expected = np.char.decode(theirs(tf.constant(x)).numpy().astype(bytes), "utf-8")
    np.testing.assert_array_equal(ours(x), expected)


INT_CASES = [
    dict(),
    dict(mask_token=0),
    dict(num_oov_indices=3),
    dict(num_oov_indices=3, oov_method="farmhash"),
    dict(num_oov_indices=2, oov_method="farmhash", salt=42),
    dict(output_mode="count", max_tokens=4),
    dict(output_mode="tf_idf", mask_token=0),
    dict(output_mode="one_hot"),
]


@pytest.mark.parametrize("kwargs", INT_CASES, ids=[str(c) for c in INT_CASES])
def test_integer_lookup_matches_keras(kwargs):
    ours, theirs = both(IntegerLookup, keras.layers.IntegerLookup, **kwargs)
    ours.adapt(INTS)
    theirs.adapt(INTS)
    assert ours.get_vocabulary() == [int(v) for v in theirs.get_vocabulary()]
    assert_same(ours(INT_QUERY), theirs(INT_QUERY))
    assert_same_config(ours, theirs)


def test_integer_lookup_in_jit_matches_keras():
    import jax
    for kwargs in (dict(num_oov_indices=3, mask_token=0), dict(output_mode="multi_hot")):
        ours, theirs = both(IntegerLookup, keras.layers.IntegerLookup, vocabulary=[12, 36, 1138, 42], **kwargs)
        assert_same(jax.jit(ours)(INT_QUERY * 6), theirs(INT_QUERY * 6))


def test_integer_lookup_invert_matches_keras():
    ours, theirs = both(IntegerLookup, keras.layers.IntegerLookup, vocabulary=[12, 36, 1138], mask_token=0,
                        invert=True)
    x = np.array([[0, 1, 2, 3, 4, 7]])
    assert_same(ours(x), theirs(x))


TV_CASES = [
    dict(),
    dict(output_sequence_length=4),
    dict(output_sequence_length=12, max_tokens=8),
    dict(standardize="lower"),
    dict(standardize="strip_punctuation"),
    dict(standardize=None, split="character", output_sequence_length=10),
    dict(split=None, standardize="lower"),
    dict(split=None, ngrams=2),
    dict(ngrams=2),
    dict(ngrams=(1, 3), output_mode="count"),
    dict(output_mode="multi_hot", max_tokens=10, pad_to_max_tokens=True),
    dict(output_mode="tf_idf"),
    dict(output_mode="tf_idf", ngrams=2, max_tokens=12),
]


@pytest.mark.parametrize("kwargs", TV_CASES, ids=[str(c) for c in TV_CASES])
def test_text_vectorization_matches_keras(kwargs):
    ours, theirs = both(TextVectorization, keras.layers.TextVectorization, **kwargs)
    ours.adapt(TEXTS)
    theirs.adapt(TEXTS)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert_same(ours(TEXT_QUERY), theirs(TEXT_QUERY))
    assert_same(ours(TEXT_QUERY[:, None]), theirs(TEXT_QUERY[:, None]))
    assert_same_config(ours, theirs)


def test_text_vectorization_callable_standardize_and_given_vocabulary_match_keras():
    def standardize(texts):
        return np.char.upper(texts)

    vocab = ["THE", "CAT", "DOG"]
    ours, theirs = both(TextVectorization, keras.layers.TextVectorization, standardize=standardize,
                        vocabulary=vocab, output_sequence_length=5)
    assert_same(ours(TEXT_QUERY), theirs(TEXT_QUERY))
    assert ours.get_vocabulary() == theirs.get_vocabulary()


def test_text_vectorization_output_shape_matches_keras():
    for kwargs in (dict(output_sequence_length=7), dict(output_mode="multi_hot", max_tokens=9,
                                                          pad_to_max_tokens=True)):
        ours = TextVectorization(**kwargs)(kerasj.Input(shape=(1,), dtype="string"))
        theirs = keras.layers.TextVectorization(**kwargs)(keras.Input(shape=(1,), dtype="string"))
        assert ours.shape == theirs.shape
