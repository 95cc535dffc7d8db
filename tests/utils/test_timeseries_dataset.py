"""timeseries_dataset_from_array against Keras 3: the same windows, targets and order (shuffled with the same
seed too) for format="tf" vs Keras's tf path and format="grain" vs its grain path; the native dataset gives
Keras's windows exactly without shuffling and the same windows, reproducibly, with it."""
import inspect

import keras
import numpy as np
import pytest

import kerasj
from kerasj.utils.native_dataset import NativeDataset

DATA = np.arange(120, dtype="float32").reshape(60, 2)
TARGETS = np.arange(60) * 10

CASES = [dict(sequence_length=5), dict(sequence_length=4, batch_size=7),
         dict(sequence_length=3, sequence_stride=4, sampling_rate=3, start_index=5, end_index=50, batch_size=4),
         dict(sequence_length=6, shuffle=True, seed=3, batch_size=5),
         dict(sequence_length=2, shuffle=True, seed=8, batch_size=None, start_index=10),
         dict(sequence_length=5, batch_size=None, sequence_stride=7)]


def _numpy(ds):
    return [tuple(np.asarray(t) for t in b) if isinstance(b, tuple) else (np.asarray(b),) for b in ds]


def _assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert u.shape == v.shape
            np.testing.assert_array_equal(u, v)


def test_signature_matches_keras():
    ours = inspect.signature(kerasj.utils.timeseries_dataset_from_array)
    assert ours == inspect.signature(keras.utils.timeseries_dataset_from_array)
    assert kerasj.preprocessing.timeseries_dataset_from_array is kerasj.utils.timeseries_dataset_from_array


@pytest.mark.parametrize("kwargs, targets", [(case, TARGETS) for case in CASES] + [(CASES[2], None), (CASES[3], None)])
def test_tf_and_grain_match_keras(kwargs, targets):
    for format in ("tf", "grain"):
        theirs = keras.utils.timeseries_dataset_from_array(DATA, targets, format=format, **kwargs)
        ours = kerasj.utils.timeseries_dataset_from_array(DATA, targets, format=format, **kwargs)
        _assert_same(_numpy(ours), _numpy(theirs))
        if format == "tf":
            assert len(ours) == len(theirs)
            _assert_same(_numpy(ours), _numpy(theirs))  # the second epoch reshuffles as Keras's does


@pytest.mark.parametrize("kwargs", CASES)
def test_native_windows_match_keras(kwargs):
    theirs = keras.utils.timeseries_dataset_from_array(DATA, TARGETS, **{**kwargs, "shuffle": False})
    ours = kerasj.utils.timeseries_dataset_from_array(DATA, TARGETS, format="native", **kwargs)
    assert isinstance(ours, NativeDataset) and len(ours) == len(theirs)
    first = _numpy(ours)
    if not kwargs.get("shuffle"):
        _assert_same(first, _numpy(theirs))
        return
    batched = kwargs.get("batch_size", 128) is not None

    def windows(ds):
        pairs = [pair for xs, ys in ds for pair in (zip(xs, ys) if batched else [(xs, ys)])]
        return sorted((tuple(x.ravel()), int(y)) for x, y in pairs)
    assert windows(first) == windows(_numpy(theirs))  # the same windows, in another order
    again = kerasj.utils.timeseries_dataset_from_array(DATA, TARGETS, format="native", **kwargs)
    _assert_same(_numpy(again), first)  # a fresh dataset with the same seed: the same order


def test_windows_follow_the_documented_formula():
    ds = kerasj.utils.timeseries_dataset_from_array(DATA, TARGETS, sequence_length=3, sequence_stride=2,
                                                   sampling_rate=2, start_index=1, batch_size=None, format="native")
    for i, (x, y) in enumerate(ds):
        start = 1 + 2 * i
        np.testing.assert_array_equal(x, DATA[[start, start + 2, start + 4]])
        assert y == TARGETS[start]
    assert i == len(ds) - 1 == (60 - 1 - 4 - 1) // 2


@pytest.mark.parametrize("kwargs", [dict(start_index=-1), dict(start_index=60), dict(start_index=5, end_index=5),
                                    dict(end_index=60), dict(sampling_rate=0), dict(sampling_rate=60),
                                    dict(sequence_stride=0), dict(sequence_stride=70), dict(format="torch")])
def test_errors_like_keras(kwargs):
    with pytest.raises(ValueError) as theirs:
        keras.utils.timeseries_dataset_from_array(DATA, TARGETS, 3, **kwargs)
    with pytest.raises(ValueError) as ours:
        kerasj.utils.timeseries_dataset_from_array(DATA, TARGETS, 3, **kwargs)
    if "format" in kwargs:  # kerasj offers a third format
        assert '"tf", "grain" or "native". Received: format=torch' in str(ours.value)
    else:
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="sequence_length"):
        kerasj.utils.timeseries_dataset_from_array(DATA, TARGETS, 0)
