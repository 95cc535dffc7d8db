"""How often fit / evaluate trace the model's train_step / test_step: once per distinct batch shape in each
compiled program (kerasj/trainer/steps.py), so a deep model's Python runs as few times as possible."""
import numpy as np
import pytest

import kerasj as keras


class CountingModel(keras.Sequential):
    """Counts the Python calls of its steps: each call is one trace (the steps run compiled)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = {"train": 0, "test": 0}

    def train_step(self, data):
        self.calls["train"] += 1
        return super().train_step(data)

    def test_step(self, data):
        self.calls["test"] += 1
        return super().test_step(data)


@pytest.fixture
def model():
    model = CountingModel([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile("adam", "mse", metrics=["mae"])
    return model


def _data(n=10):
    rng = np.random.default_rng(0)
    return rng.random((n, 4), dtype=np.float32), rng.random((n, 3), dtype=np.float32)


def test_fused_fit_traces_train_step_once_per_batch_shape(model):
    x, y = _data()  # batches of 4, 4 and a partial batch of 2
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0)  # several epochs in one compiled program
    assert model.calls == {"train": 2, "test": 0}  # the full batch and the partial one, nothing more
    assert model._programs["train"].trace_count == 1
    model.fit(x, y, batch_size=4, epochs=4, verbose=0)  # the same program (4 epochs share its bucket)
    assert model.calls["train"] == 2
    assert len(history.history["loss"]) == 3 and np.all(np.isfinite(history.history["loss"]))


def test_fit_per_epoch_and_guarded_traces(model):
    x, y = _data()
    watch = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[watch])  # one call per epoch, then the rest
    assert model.calls["train"] == 2
    # TerminateOnNaN's guarded programs (a step's non-finite loss stops the chunk): one trace per batch shape.
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert model.calls["train"] == 4


def test_padded_chunk_traces_its_step_once(model):
    x, y = _data(14)  # 3 full batches of 4 in chunks of 2 (the second one padded), then a batch of 2
    model.compile("adam", "mse", steps_per_execution=2)
    model.calls["train"] = 0
    every_batch = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False, callbacks=[every_batch])
    assert model.calls["train"] == 3  # the full chunk, the padded chunk and the partial batch: once each
    assert model._programs["train"].trace_count == 3


def test_evaluate_traces_test_step_once_per_batch_shape(model):
    x, y = _data()
    model.evaluate(x, y, batch_size=4, verbose=0)
    model.evaluate(x, y, batch_size=4, verbose=0)
    assert model.calls == {"train": 0, "test": 2}  # the full batches and the partial one; reused after
