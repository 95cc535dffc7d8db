"""split_dataset on NumPy data. Keras 3 returns tf.data datasets (TensorFlow is not installed here), so sizes
and shuffles are checked against what Keras's own rules give."""
import inspect
import random

import keras
import numpy as np
import pytest
from keras.src.utils import dataset_utils as keras_dataset_utils

import kerasj


def test_signature_matches_keras():
    assert inspect.signature(kerasj.utils.split_dataset) == inspect.signature(keras.utils.split_dataset)


@pytest.mark.parametrize("left, right", [(0.8, None), (None, 3), (4, 0.2), (0.25, 0.5), (7, None)])
def test_sizes_follow_keras_rules(left, right):
    x = np.arange(10)
    a, b = kerasj.utils.split_dataset(x, left_size=left, right_size=right)
    assert (len(a), len(b)) == keras_dataset_utils._rescale_dataset_split_sizes(left, right, 10)
    np.testing.assert_array_equal(a, x[:len(a)])
    np.testing.assert_array_equal(b, x[10 - len(b):])


@pytest.mark.parametrize("left, right", [(None, None), (0, 0), (10, None), (1.5, None), ("3", None), (0.6, 0.6),
                                         (6, 6), (0.01, None)])
def test_bad_sizes_raise_like_keras(left, right):
    with pytest.raises(Exception) as theirs:
        if left is None and right is None:
            raise ValueError
        keras_dataset_utils._rescale_dataset_split_sizes(left, right, 10)
    with pytest.raises(theirs.type):
        kerasj.utils.split_dataset(np.arange(10), left_size=left, right_size=right)


def test_tuple_and_list_give_tuples_of_arrays_with_keras_shuffle():
    x, y = np.arange(12).reshape(6, 2), np.arange(6) * 10
    (lx, ly), (rx, ry) = kerasj.utils.split_dataset((x, y), left_size=4, shuffle=True, seed=3)
    order = list(range(6))
    random.seed(3)
    random.shuffle(order)  # Keras shuffles its sample list this way
    np.testing.assert_array_equal(np.concatenate([ly, ry]), y[order])
    np.testing.assert_array_equal(lx, x[order[:4]])
    left, right = kerasj.utils.split_dataset([x, y], right_size=0.5)
    assert isinstance(left, tuple) and len(left) == 2 and left[0].shape == (3, 2) and right[1].shape == (3,)


def test_bad_datasets_raise_clearly():
    with pytest.raises(ValueError, match="one length"):
        kerasj.utils.split_dataset((np.zeros(3), np.zeros(4)), left_size=1)
    with pytest.raises(ValueError, match="index 1"):
        kerasj.utils.split_dataset([np.zeros(3), [1, 2, 3]], left_size=1)
    with pytest.raises(TypeError, match="dict"):
        kerasj.utils.split_dataset({"a": np.zeros(3)}, left_size=1)


def test_tensorflow_dataset_is_not_implemented():
    fake = type("DatasetV2", (), {"__module__": "tensorflow.python.data.ops.dataset_ops"})()
    with pytest.raises(NotImplementedError, match="TensorFlow"):
        kerasj.utils.split_dataset(fake, left_size=0.5)
