"""Embedding and Masking in kerasj and Keras 3 (JAX backend): same weights in, same outputs (float and
out-of-range indices included), same masks, weight layout and configs; masks created by them reach later
layers of a model as in Keras."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

RNG = np.random.default_rng(0)
TABLE = RNG.normal(size=(6, 3)).astype(np.float32)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)


def assert_config_matches(ours, theirs):
    mine, ref = ours.get_config(), theirs.get_config()
    assert mine == {**ref, "name": mine["name"]}
    assert type(ours).from_config(mine).get_config() == mine
    assert type(ours).from_config(ref).get_config() == ref


def embedding_pair(**kwargs):
    kwargs = {"embeddings_initializer": "zeros", **kwargs}
    theirs, ours = keras.layers.Embedding(6, 3, **kwargs), kerasj.layers.Embedding(6, 3, **kwargs)
    theirs.build()
    ours.build()
    assert [(w.path.split("/")[-1], w.shape, w.trainable) for w in ours.weights] == \
        [(w.path.split("/")[-1], tuple(w.shape), w.trainable) for w in theirs.weights]
    theirs.set_weights([TABLE])
    ours.set_weights([TABLE])
    return ours, theirs


@pytest.mark.parametrize("ids", [
    np.array([[1, 5, 0], [2, 2, 4]], np.int32),
    np.array([[1, 5, 0], [2, 2, 4]], np.int64),
    np.array([[1.7, -1.2, 2.9], [0.2, 4.99, 3.0]], np.float32),  # truncated to int32, as Keras does
    np.array([[-1, -6, 6], [7, -7, 0]], np.int32),  # jnp.take: negatives wrap, out of range gives NaN
    np.array([3, 0, 1], np.int32),
    np.zeros((2, 2, 3), np.int32),
])
@pytest.mark.parametrize("mask_zero", [False, True])
def test_embedding_matches_keras(ids, mask_zero):
    ours, theirs = embedding_pair(mask_zero=mask_zero)
    close(ours(ids), theirs(ids))
    expected_mask, got_mask = theirs.compute_mask(ids), ours.compute_mask(ids)
    assert (got_mask is None) == (expected_mask is None) == (not mask_zero)
    if mask_zero:
        np.testing.assert_array_equal(got_mask, expected_mask)
    assert ours.compute_output_shape(ids.shape) == theirs.compute_output_shape(ids.shape)


def test_embedding_out_of_range_rows_are_nan_like_keras():
    ours, theirs = embedding_pair()
    got, expected = np.asarray(ours(np.array([[6, -7, -6]]))), np.asarray(theirs(np.array([[6, -7, -6]])))
    assert np.isnan(got[0, :2]).all() and np.isnan(expected[0, :2]).all()
    close(got[0, 2], TABLE[0])


@pytest.mark.parametrize("kwargs", [
    {},
    {"mask_zero": True, "embeddings_regularizer": "l2", "embeddings_constraint": "non_neg"},
    {"embeddings_initializer": "ones", "activity_regularizer": "l2", "dtype": "float16"},
])
def test_embedding_config_matches_keras(kwargs):
    assert_config_matches(kerasj.layers.Embedding(6, 3, **kwargs), keras.layers.Embedding(6, 3, **kwargs))


def test_embedding_weights_argument_like_keras():
    init = {"embeddings_initializer": "zeros"}
    theirs = keras.layers.Embedding(6, 3, weights=TABLE, **init)
    ours = kerasj.layers.Embedding(6, 3, weights=[TABLE], **init)
    assert ours.built
    close(ours(np.array([1, 4])), theirs(np.array([1, 4])))


@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_masking_matches_keras(mask_value):
    x = RNG.normal(size=(2, 4, 3)).astype(np.float32)
    x[0, 1] = mask_value
    x[1, 3] = mask_value
    x[1, 0, 0] = mask_value  # only partly equal: not masked
    theirs, ours = keras.layers.Masking(mask_value), kerasj.layers.Masking(mask_value)
    close(ours(x), theirs(x))
    np.testing.assert_array_equal(ours.compute_mask(x), theirs.compute_mask(x))
    assert np.asarray(ours.compute_mask(x)).tolist() == [[True, False, True, True], [True, True, True, False]]
    assert_config_matches(ours, theirs)


@pytest.mark.parametrize("first", ["embedding", "masking"])
def test_masks_propagate_in_a_sequential_model_like_keras(first):
    if first == "embedding":
        x = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], np.int32)

        def head(lib):
            return [lib.Input((4,), dtype="int32"),
                    lib.layers.Embedding(6, 3, mask_zero=True, embeddings_initializer="zeros")]
    else:
        x = RNG.normal(size=(2, 4, 3)).astype(np.float32)
        x[:, 2:] = 0.0

        def head(lib):
            return [lib.Input((4, 3)), lib.layers.Masking()]

    theirs = keras.Sequential(head(keras) + [keras.layers.GlobalAveragePooling1D()])
    ours = kerasj.Sequential(head(kerasj) + [kerasj.layers.GlobalAveragePooling1D()])
    weights = [TABLE] if first == "embedding" else []
    ours.set_weights(weights)
    theirs.set_weights(weights)
    expected = theirs.predict(x, verbose=0)
    close(ours.predict(x, verbose=0), expected)
    close(ours(x), expected)
    # Averaging over the unmasked steps only differs from averaging over all of them.
    assert not np.allclose(expected, np.asarray(ours.layers[0](x)).mean(axis=1), atol=1e-4)
