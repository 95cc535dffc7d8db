"""NativeDataset, kerasj's own pipeline: every method checked against what tf.data's documented semantics give
on small arrays (computed independently here with NumPy), and fed to fit/evaluate/predict. Neither
TensorFlow nor grain is imported."""
import ast
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import kerasj
from kerasj.trainer.sources import make_source
from kerasj.utils.native_dataset import AUTOTUNE, NativeDataset


def _rows(n=10):
    return NativeDataset.from_tensor_slices((np.arange(n, dtype="float32"), np.arange(n) % 3))


def test_from_tensor_slices_yields_rows_of_tuples_dicts_and_lists():
    x, y = np.arange(12).reshape(6, 2), np.arange(6) * 10
    ds = NativeDataset.from_tensor_slices((x, {"w": y}))
    rows = list(ds)
    assert len(ds) == 6 and len(rows) == 6
    for i, (a, b) in enumerate(rows):
        np.testing.assert_array_equal(a, x[i])
        assert b["w"] == y[i]
    assert [str(s) for s in NativeDataset.from_tensor_slices(["a.png", "b.png"])] == ["a.png", "b.png"]
    with pytest.raises(ValueError, match="same length"):
        NativeDataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="first axis"):
        NativeDataset.from_tensor_slices(np.float32(1.0))


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_batch_stacks_consecutive_rows_and_knows_its_length(drop_remainder):
    ds = _rows(10).batch(4, drop_remainder=drop_remainder)
    batches = list(ds)
    expected = [np.arange(0, 4), np.arange(4, 8)] + ([] if drop_remainder else [np.arange(8, 10)])
    assert len(ds) == len(expected) == len(batches)
    for (x, y), want in zip(batches, expected):
        np.testing.assert_array_equal(x, want.astype("float32"))
        np.testing.assert_array_equal(y, want % 3)
        assert x.dtype == np.float32
    with pytest.raises(ValueError, match="batch_size"):
        _rows().batch(0)


def test_map_unpacks_tuples_like_tf_data_and_passes_other_elements_whole():
    doubled = _rows(4).map(lambda x, y: (x * 2, y + 1))
    assert [(float(x), int(y)) for x, y in doubled] == [(0.0, 1), (2.0, 2), (4.0, 3), (6.0, 1)]
    dicts = NativeDataset.from_tensor_slices({"a": np.arange(3)}).map(lambda d: d["a"] + 1)
    assert [int(v) for v in dicts] == [1, 2, 3] and len(dicts) == 3


def test_unbatch_restores_the_rows_and_makes_the_length_unknown_as_tf():
    ds = _rows(7).batch(3).unbatch()
    assert [(float(x), int(y)) for x, y in ds] == [(float(i), i % 3) for i in range(7)]
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(ds)
    assert make_source("fit", ds.batch(2)).num_steps() is None  # fit shows an open-ended progress bar
    with pytest.raises(ValueError, match="must be a batch"):
        list(NativeDataset.from_tensor_slices([1, 2]).unbatch())


def test_padded_batch_pads_each_batch_to_its_longest_element():
    clips = [np.ones((n, 2)) * n for n in (3, 1, 2)]
    ds = NativeDataset(lambda: iter(clips), length=3).padded_batch(2)
    first, second = list(ds)
    np.testing.assert_array_equal(first, np.stack([clips[0], np.pad(clips[1], ((0, 2), (0, 0)))]))
    np.testing.assert_array_equal(second, clips[2][None])


def _order(ds):
    return [float(x) for x, _ in ds]


def test_shuffle_is_a_seeded_permutation_that_reshuffles_every_epoch():
    ds = _rows(20).shuffle(20, seed=4)
    first, second = _order(ds), _order(ds)
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second and first != list(range(20))
    again = _rows(20).shuffle(20, seed=4)  # the same seed, a fresh dataset: the same sequence of epochs
    assert _order(again) == first and _order(again) == second
    fixed = _rows(20).shuffle(20, seed=4, reshuffle_each_iteration=False)
    assert _order(fixed) == _order(fixed) == first
    assert _order(_rows(20).shuffle(20, seed=5)) != first
    assert len(ds) == 20


def test_shuffle_buffer_bounds_how_early_an_element_can_come():
    # With a buffer of b, element i can only be drawn once it entered the buffer: at output position >= i-b+1.
    b = 4
    order = _order(_rows(50).shuffle(b, seed=0))
    assert sorted(order) == list(range(50))
    assert all(position >= int(value) - b + 1 for position, value in enumerate(order))
    assert _order(_rows(10).shuffle(1, seed=0)) == list(range(10))  # a buffer of one keeps the order


def test_shuffle_without_seed_follows_numpys_global_seed():
    kerasj.utils.set_random_seed(3)
    first = _order(_rows(20).shuffle(20))
    kerasj.utils.set_random_seed(3)
    assert _order(_rows(20).shuffle(20)) == first


def test_take_and_its_length():
    assert _order(_rows(10).take(3)) == [0.0, 1.0, 2.0] and len(_rows(10).take(3)) == 3
    assert len(_rows(4).take(10)) == 4 and len(_rows(4).take(-1)) == 4
    with pytest.raises(TypeError):
        len(_rows(6).batch(2).unbatch().take(2))
    with pytest.raises(ValueError, match="count"):
        _rows().take(-2)


def test_cache_runs_the_steps_before_it_once():
    calls = []
    ds = _rows(5).map(lambda x, y: (calls.append(1) or x, y)).cache()
    list(ds.take(2))  # an abandoned pass caches nothing
    assert _order(ds) == _order(ds) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert len(calls) == 2 + 5
    # Before a shuffle, the cached elements are still reshuffled every epoch.
    shuffled = ds.shuffle(5, seed=1)
    assert _order(shuffled) != _order(shuffled) and len(calls) == 7


def test_prefetch_reads_ahead_in_a_thread_keeps_order_and_raises_errors():
    main = threading.get_ident()
    readers = []
    ds = _rows(6).map(lambda x, y: (readers.append(threading.get_ident()) or x, y)).prefetch(2)
    assert _order(ds) == [float(i) for i in range(6)] and len(ds) == 6
    assert readers and all(ident != main for ident in readers)

    def boom(x, y):
        if x == 3:
            raise RuntimeError("bad file 3")
        return x, y
    with pytest.raises(RuntimeError, match="bad file 3"):
        list(_rows(6).map(boom).prefetch(AUTOTUNE))


def test_an_abandoned_prefetch_stops_its_thread():
    before = threading.active_count()
    iterator = iter(_rows(100).prefetch(1))
    next(iterator)
    iterator.close()
    deadline = time.time() + 5
    while threading.active_count() > before and time.time() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_fit_evaluate_predict_take_a_native_dataset_with_its_length():
    x = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    ds = NativeDataset.from_tensor_slices((x, y)).shuffle(12, seed=0).batch(4).prefetch(AUTOTUNE)
    assert make_source("fit", ds).num_steps() == 3
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(ds, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3 and history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(model.evaluate(ds, verbose=0))
    unshuffled = NativeDataset.from_tensor_slices((x, y)).batch(4)
    np.testing.assert_allclose(model.predict(unshuffled, verbose=0), model.predict(x, verbose=0), rtol=1e-5)


def test_the_builders_import_neither_tensorflow_nor_grain_until_asked():
    code = ("import sys; import kerasj.utils.native_dataset, kerasj.utils.image_dataset_utils, "
            "kerasj.utils.text_dataset_utils, kerasj.utils.audio_dataset_utils, "
            "kerasj.utils.timeseries_dataset_utils as t; "
            "ds = t.timeseries_dataset_from_array(list(range(8)), None, 3, batch_size=4, format='native'); "
            "print(repr(([b.tolist() for b in ds], 'tensorflow' in sys.modules, 'grain' in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    windows = [[i, i + 1, i + 2] for i in range(6)]
    assert ast.literal_eval(out.strip()) == ([windows[:4], windows[4:]], False, False)
