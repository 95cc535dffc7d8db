"""to_categorical and normalize, compared with Keras 3 on the same inputs."""
import inspect

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj


def _same(a, b):
    assert type(a) is np.ndarray if isinstance(b, np.ndarray) else True
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)
    assert np.asarray(a).dtype == np.asarray(b).dtype


@pytest.mark.parametrize("name", ["to_categorical", "normalize"])
def test_signatures_match_keras(name):
    assert inspect.signature(getattr(kerasj.utils, name)) == inspect.signature(getattr(keras.utils, name))


@pytest.mark.parametrize("x, num_classes", [([0, 1, 2], None), ([[1], [0]], 3), (np.array([[0, 2], [1, 1]]), None),
                                            (np.array([3]), 5), (2, 4)])
def test_to_categorical_numpy_matches_keras(x, num_classes):
    _same(kerasj.utils.to_categorical(x, num_classes), keras.utils.to_categorical(x, num_classes))


def test_to_categorical_jax_array_matches_keras():
    x = jnp.array([[1], [0], [2]])
    ours, theirs = kerasj.utils.to_categorical(x, 3), keras.utils.to_categorical(x, 3)
    assert isinstance(ours, type(theirs))
    _same(ours, theirs)


def test_to_categorical_out_of_range_raises_like_keras():
    with pytest.raises(IndexError):
        keras.utils.to_categorical([0, 3], 3)
    with pytest.raises(IndexError, match="num_classes=3"):
        kerasj.utils.to_categorical([0, 3], 3)


@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 1), (-1, 3)])
def test_normalize_numpy_matches_keras(axis, order):
    x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0]])
    _same(kerasj.utils.normalize(x, axis, order), keras.utils.normalize(x, axis, order))


def test_normalize_numpy_axis_0_works_where_keras_breaks():
    x = np.array([[3.0, 1.0, 2.0], [4.0, 0.0, 2.0]])
    with pytest.raises(ValueError):  # Keras's `axis or -1` puts axis 0's norms on axis -1
        keras.utils.normalize(x, axis=0)
    _same(kerasj.utils.normalize(x, axis=0), x / np.linalg.norm(x, axis=0, keepdims=True))


@pytest.mark.parametrize("order", [1, 2, 3])
def test_normalize_jax_array_matches_keras(order):
    x = jnp.array([[3.0, 4.0], [0.0, 0.0]])
    _same(kerasj.utils.normalize(x, order=order), keras.utils.normalize(x, order=order))


def test_normalize_bad_order_on_a_tensor_raises_like_keras():
    with pytest.raises(ValueError):
        keras.utils.normalize(jnp.ones((2,)), order=0.5)
    with pytest.raises(ValueError, match="order=0.5"):
        kerasj.utils.normalize(jnp.ones((2,)), order=0.5)
