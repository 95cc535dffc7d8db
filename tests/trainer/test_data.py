"""fit / evaluate / predict on generators, PyDatasets and other iterables of batches; bad data."""
import math

import numpy as np
import pytest

import kerasj as keras
from kerasj import layers


def make_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], np.float32))[:, None]
    return x, y


def make_model():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    return model


def twin_models():
    a, b = make_model(), make_model()
    b.set_weights(a.get_weights())
    return a, b


def assert_same_weights(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_pydataset_trains_like_arrays():
    x, y = make_data(70)  # a partial last batch of 6
    a, b = twin_models()
    ds = Batches(x, y, 16)
    ha = a.fit(ds, epochs=2, verbose=0)
    hb = b.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert_same_weights(a, b)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)
    assert ds.epochs_ended == 2
    np.testing.assert_allclose(a.evaluate(ds, verbose=0), b.evaluate(x, y, batch_size=16, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(a.predict(ds, verbose=0), b.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_generator_with_steps_per_epoch_continues_across_epochs():
    x, y = make_data(64)
    seen = []

    def forever():
        i = 0
        while True:
            s = slice((i % 8) * 8, (i % 8 + 1) * 8)
            seen.append(i)
            yield x[s], y[s]
            i += 1

    a, b = twin_models()
    a.fit(forever(), steps_per_epoch=4, epochs=2, verbose=0)
    b.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)  # the same 8 batches in the same order
    assert_same_weights(a, b)
    assert len(seen) == 8


def test_iterable_of_batches_with_numpy_method_and_validation_iterable():
    class TensorLike:  # stands for a tf/torch tensor: converted through .numpy()
        def __init__(self, array):
            self.array = array

        def numpy(self):
            return self.array

    x, y = make_data(32)
    batches = [(TensorLike(x[i:i + 8]), TensorLike(y[i:i + 8])) for i in range(0, 32, 8)]
    a, b = twin_models()
    history = a.fit(batches, epochs=2, validation_data=batches[:2], verbose=0)
    b.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_same_weights(a, b)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}


def test_generator_that_raises_keeps_last_completed_step():
    x, y = make_data(32)

    def broken():
        yield x[:8], y[:8]
        raise RuntimeError("disk on fire")

    a, b = twin_models()
    a.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", steps_per_execution=1)
    b.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    with pytest.raises(RuntimeError, match="disk on fire"):
        a.fit(broken(), epochs=1, verbose=0)
    b.train_on_batch(x[:8], y[:8])
    assert_same_weights(a, b)  # the one completed step, nothing else


def test_bad_arguments():
    x, y = make_data(16)
    model = make_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.0, verbose=0)
    with pytest.raises(ValueError, match="empty"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match="empty"):
        model.fit(iter([]), verbose=0)
    with pytest.raises(ValueError, match="do not pass y"):
        model.fit(Batches(x, y, 4), y, verbose=0)
    with pytest.raises(ValueError, match="validation_split is only supported for array data"):
        model.fit(Batches(x, y, 4), validation_split=0.5, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
