"""pack/unpack_x_y_sample_weight, compared with Keras 3; the trainer uses these very functions."""
import keras
import numpy as np
import pytest

import kerasj
from kerasj.trainer import data as trainer_data

X, Y, W = np.zeros((2, 1)), np.ones((2,)), np.full((2,), 0.5)


@pytest.mark.parametrize("args", [(X,), (X, Y), (X, Y, W), ((X, X),), ([X, X], Y)])
def test_pack_matches_keras(args):
    ours, theirs = kerasj.utils.pack_x_y_sample_weight(*args), keras.utils.pack_x_y_sample_weight(*args)
    assert type(ours) is type(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("data", [X, (X,), (X, Y), [X, Y, W], {"a": X}])
def test_unpack_matches_keras(data):
    ours, theirs = kerasj.utils.unpack_x_y_sample_weight(data), keras.utils.unpack_x_y_sample_weight(data)
    assert [o is t for o, t in zip(ours, theirs)] == [True, True, True]


def test_unpack_too_long_raises_like_keras():
    with pytest.raises(ValueError):
        keras.utils.unpack_x_y_sample_weight((X, Y, W, W))
    with pytest.raises(ValueError, match="length 4"):
        kerasj.utils.unpack_x_y_sample_weight((X, Y, W, W))


def test_trainer_uses_the_utils_functions():
    assert trainer_data.unpack_x_y_sample_weight is kerasj.utils.unpack_x_y_sample_weight
    assert trainer_data.pack_x_y_sample_weight is kerasj.utils.pack_x_y_sample_weight
