"""Generators, PyDatasets and other iterables feed `fit` through a bounded background prefetch
(kerasj.utils.prefetch): same order, same results and compilations as pulling inline, generator errors
raised in `fit` at the batch where they happen, and the thread stops when the consumer does."""
import threading
import time
import traceback

import numpy as np
import pytest

import kerasj as keras
from kerasj import layers
from kerasj.utils import prefetch


class Counting:
    """An iterator over range(n) that counts how many items were pulled and whether it was closed."""

    def __init__(self, n, fail_at=None):
        self.n, self.fail_at, self.pulled, self.closed = n, fail_at, 0, False

    def __iter__(self):
        return self

    def __next__(self):
        if self.pulled == self.fail_at:
            raise ValueError(f"broken item {self.pulled}")
        if self.pulled == self.n:
            raise StopIteration
        self.pulled += 1
        return self.pulled - 1

    def close(self):
        self.closed = True


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "kerasj-prefetch"]


def test_items_arrive_in_order_at_most_size_plus_one_ahead():
    source = Counting(20)
    items = prefetch.prefetch(source, size=2)
    assert next(items) == 0
    deadline = time.monotonic() + 5
    while source.pulled < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)
    assert source.pulled == 4  # the item consumed, two queued and one waiting for room: no further
    assert list(items) == list(range(1, 20))
    assert not _prefetch_threads()


def test_closing_early_stops_the_thread_and_closes_the_iterator():
    source = Counting(1000)
    items = prefetch.prefetch(source, size=2)
    assert [next(items), next(items)] == [0, 1]
    items.close()
    assert source.closed and source.pulled <= 5
    assert not _prefetch_threads()


def test_an_error_surfaces_after_the_items_before_it_with_its_traceback():
    items = prefetch.prefetch(Counting(10, fail_at=3), size=2)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="broken item 3") as info:
        next(items)
    assert any(frame.name == "__next__" for frame in traceback.extract_tb(info.value.__traceback__))


def make_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def batches(n, pulled=None, fail_at=None):
    rng = np.random.default_rng(0)
    for i in range(n):
        if i == fail_at:
            raise RuntimeError(f"the generator failed at batch {i}")
        if pulled is not None:
            pulled.append(i)
        rows = 5 if i < n - 1 else 2  # a smaller last batch: a second program
        yield rng.random((rows, 3), dtype=np.float32) + i, rng.random((rows, 1), dtype=np.float32)


class Reiterable:
    def __iter__(self):
        return batches(4)


@pytest.fixture
def inline(monkeypatch):
    """Pull batches in the calling thread, as before prefetching existed."""
    monkeypatch.setattr(prefetch, "prefetch", lambda iterator, size=2: iterator)


def fit_on_generators(model):
    pulled = []
    one_shot = batches(6, pulled)  # two epochs of 3 steps continue through the same generator
    history = model.fit(one_shot, steps_per_epoch=3, epochs=2, verbose=0)
    assert pulled == list(range(6))  # nothing pulled beyond the steps asked for
    model.fit(Reiterable(), epochs=2, verbose=0)  # a fresh iterator every epoch
    return history.history, model.get_weights(), model.predict(batches(4), verbose=0)


@pytest.fixture(scope="module")
def prefetched():
    model = make_model()
    return fit_on_generators(model), model._programs["train"].trace_count


def test_fit_and_predict_equal_the_inline_path(prefetched, inline):
    model = make_model()
    expected = fit_on_generators(model)
    (history, weights, predictions), traces = prefetched
    assert history == expected[0]
    for a, b in zip(weights, expected[1]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(predictions, expected[2])
    # Prediction order: the generator's batches, one after the other.
    x = np.concatenate([b[0] for b in batches(4)])
    np.testing.assert_array_equal(predictions, model.predict(x, batch_size=5, verbose=0))
    assert traces == model._programs["train"].trace_count == 2  # batches of 5 and of 2; nothing extra


def test_a_generator_error_surfaces_in_fit_after_the_batches_before_it():
    model = make_model()
    with pytest.raises(RuntimeError, match="failed at batch 3"):
        model.fit(batches(6, fail_at=3), epochs=1, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 3  # the three good batches were trained on
    assert not _prefetch_threads()


def test_pydataset_epochs_end_in_order():
    class Data(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.ends, self.seen = 0, []

        def __len__(self):
            return 3

        def __getitem__(self, i):
            self.seen.append((self.ends, i))
            return np.full((4, 3), i, np.float32), np.zeros((4, 1), np.float32)

        def on_epoch_end(self):
            self.ends += 1

    data = Data()
    model = make_model()
    model.fit(data, epochs=2, verbose=0)
    assert data.ends == 2
    assert data.seen == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
