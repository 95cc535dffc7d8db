"""compile / fit / evaluate / predict on arrays: behaviour, compile counts, and bad input."""
import numpy as np
import pytest

import kerasj as keras
from kerasj import layers


def make_data(n=100, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d)).astype(np.float32)
    y = (x.sum(axis=1) > d / 2).astype(np.float32)
    return x, y


def make_model(d=4, dropout=0.0, lr=0.1):
    model = keras.Sequential([keras.Input((d,)), layers.Dense(8, activation="relu"), layers.Dropout(dropout),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", metrics=["accuracy"])
    return model


def test_fit_returns_history_and_learns():
    keras.utils.set_random_seed(0)
    x, y = make_data(200)
    model = make_model(lr=0.3)
    history = model.fit(x, y, batch_size=16, epochs=30, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    assert len(history.history["loss"]) == 30
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8


class EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


def test_compiles_once_per_input_signature():
    x, y = make_data(100)  # 100 = 6 full batches of 16 + a partial batch of 4
    model = make_model()
    model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[EpochCounter()])
    program = model._programs["train"]
    assert program.trace_count == 2  # the full-batch chunk and the final partial batch
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[EpochCounter()])
    assert program.trace_count == 2  # epochs 2..N and a second fit reuse both programs
    assert int(model.optimizer.iterations.numpy()) == 5 * 7


def test_fused_epochs_match_epoch_by_epoch_training():
    # With nothing to look at between epochs (verbose=0, no callbacks, no validation), several epochs run
    # in one compiled call; the host still draws each epoch's permutation in order, so results are identical.
    x, y = make_data(100)
    fused, stepwise = make_model(), make_model()
    stepwise.set_weights(fused.get_weights())
    keras.utils.set_random_seed(7)
    h_fused = fused.fit(x, y, batch_size=16, epochs=4, verbose=0)
    keras.utils.set_random_seed(7)
    h_step = stepwise.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[EpochCounter()])
    assert fused._programs["train"].trace_count == 1
    np.testing.assert_allclose(h_fused.history["loss"], h_step.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(h_fused.history["accuracy"], h_step.history["accuracy"], rtol=1e-6)
    for a, b in zip(fused.get_weights(), stepwise.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert int(fused.optimizer.iterations.numpy()) == 4 * 7


def test_validation_split_uses_the_last_fraction_before_shuffling():
    x, y = make_data(100)
    model = make_model()
    history = model.fit(x, y, batch_size=10, epochs=1, validation_split=0.2, shuffle=True, verbose=0)
    # the reported val_loss is the loss on the last 20 samples with the final weights
    expected = model.evaluate(x[80:], y[80:], verbose=0, return_dict=True)
    np.testing.assert_allclose(history.history["val_loss"][0], expected["loss"], rtol=1e-5)
    np.testing.assert_allclose(history.history["val_accuracy"][0], expected["accuracy"], rtol=1e-5)
    assert int(model.optimizer.iterations.numpy()) == 8  # only the first 80 samples were trained on


def test_validation_data_and_freq():
    x, y = make_data(64)
    model = make_model()
    history = model.fit(x, y, batch_size=16, epochs=4, validation_data=(x[:8], y[:8]), validation_freq=2,
                        verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2


def test_evaluate_return_forms_and_predict_batching():
    x, y = make_data(50)
    model = make_model()
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(as_dict) == ["accuracy", "loss"]
    np.testing.assert_allclose(result, [as_dict["loss"], as_dict["accuracy"]])  # lists start with the loss
    # independent computation of the mse from the model's own outputs
    direct = np.asarray(model(x))[:, 0]
    np.testing.assert_allclose(as_dict["loss"], np.mean((direct - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(as_dict["accuracy"], np.mean((direct > 0.5) == (y > 0.5)), rtol=1e-6)
    for batch_size in (1, 7, 50, 64):
        np.testing.assert_allclose(model.predict(x, batch_size=batch_size, verbose=0), np.asarray(model(x)),
                                   rtol=1e-5, atol=1e-6)
    plain = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    assert isinstance(plain.evaluate(x, y, verbose=0), float)


def test_on_batch_methods():
    x, y = make_data(20)
    model = make_model()
    before = model.get_weights()
    logs = model.train_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    after_train = model.get_weights()
    test_logs = model.test_on_batch(x, y, return_dict=True)
    for a, b in zip(after_train, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(test_logs["loss"], np.mean((np.asarray(model(x))[:, 0] - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(x), np.asarray(model(x)), rtol=1e-6)


def test_zero_sample_weights_leave_weights_unchanged():
    x, y = make_data(32)
    model = make_model()
    before = model.get_weights()
    model.fit(x, y, sample_weight=np.zeros(32, np.float32), batch_size=8, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_allclose(a, b)


def test_class_weight_equals_the_matching_sample_weight():
    x, y = make_data(40)
    a, b = make_model(), make_model()
    b.set_weights(a.get_weights())
    a.fit(x, y, class_weight={0: 0.5, 1: 2.0}, batch_size=8, epochs=2, shuffle=False, verbose=0)
    b.fit(x, y, sample_weight=np.where(y > 0.5, 2.0, 0.5).astype(np.float32), batch_size=8, epochs=2,
          shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)


def test_run_eagerly_matches_compiled():
    x, y = make_data(24)
    a, b = make_model(), make_model()
    b.set_weights(a.get_weights())
    b.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["accuracy"], run_eagerly=True)
    ha = a.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)


def test_dropout_draws_a_fresh_mask_every_step():
    x, y = make_data(32)
    model = make_model(dropout=0.5)
    seed_state = model.layers[1].seed_generator.state
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert int(seed_state.numpy()[1]) == 8  # one draw per training step, none at inference
    model.predict(x, verbose=0)
    assert int(seed_state.numpy()[1]) == 8


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.kernels = []

    def on_train_batch_end(self, batch, logs=None):
        self.kernels.append(np.array(self.model.layers[0].kernel.numpy()))
        if batch == 1:
            self.model.layers[-1].bias.assign(np.array([5.0], np.float32))


def test_callbacks_see_and_change_live_state_between_batches():
    x, y = make_data(32)
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")  # lr 0: only the callback changes weights
    recorder = Recorder()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False, callbacks=[recorder])
    assert len(recorder.kernels) == 4
    np.testing.assert_allclose(model.layers[-1].bias.numpy(), [5.0])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    recorder.kernels.clear()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False, callbacks=[recorder])
    assert not np.allclose(recorder.kernels[0], recorder.kernels[-1])


def test_multi_input_multi_output_fit_with_lists_and_dicts():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    h = layers.Dense(4, activation="relu")(layers.Concatenate()([a, b]) if hasattr(layers, "Concatenate")
                                           else a)
    out1 = layers.Dense(1, name="reg")(h)
    out2 = layers.Dense(3, activation="softmax", name="cls")(h)
    model = keras.Model([a, b], [out1, out2])
    model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[1.0, 0.5])
    rng = np.random.default_rng(0)
    xa, xb = rng.random((32, 3)).astype(np.float32), rng.random((32, 2)).astype(np.float32)
    y1, y2 = rng.random((32, 1)).astype(np.float32), rng.integers(0, 3, 32)
    history = model.fit([xa, xb], [y1, y2], batch_size=8, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    history = model.fit({"a": xa, "b": xb}, {"reg": y1, "cls": y2}, batch_size=8, epochs=1, verbose=0)
    p1, p2 = model.predict([xa, xb], verbose=0)
    assert p1.shape == (32, 1) and p2.shape == (32, 3)
    expected = np.mean((p1 - y1) ** 2) + 0.5 * np.mean(-np.log(p2[np.arange(32), y2]))
    total, reg_loss, cls_loss = model.evaluate([xa, xb], [y1, y2], verbose=0)[:3]
    np.testing.assert_allclose(total, expected, rtol=1e-4)
    np.testing.assert_allclose(reg_loss, np.mean((p1 - y1) ** 2), rtol=1e-4)


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = make_data(32)
    model = make_model()
    model.fit(x, y, batch_size=8, epochs=3, verbose=2)
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 3
    assert len([l for l in out.splitlines() if "loss:" in l]) == 3


# -- bad input: clear errors before anything is compiled, weights untouched --------------------------------

def weights_unchanged(model, before):
    return all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_fit_before_compile():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="compile"):
        model.fit(*make_data(8), verbose=0)
    with pytest.raises(ValueError, match="compile"):
        model.evaluate(*make_data(8), verbose=0)


def test_x_and_y_of_different_lengths():
    model = make_model()
    before = model.get_weights()
    x, y = make_data(10)
    with pytest.raises(ValueError, match=r"x sizes: \[10\].*y sizes: \[9\]"):
        model.fit(x, y[:9], verbose=0)
    assert weights_unchanged(model, before) and "train" not in model._programs


def test_feature_size_the_model_was_not_built_for():
    model = make_model(d=4)
    before = model.get_weights()
    x, y = make_data(10, d=5)
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 4"):
        model.fit(x, y, verbose=0)
    assert weights_unchanged(model, before) and "train" not in model._programs
    assert int(model.optimizer.iterations.numpy()) == 0


def test_unknown_names_list_valid_ones():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="mse"):
        model.compile(optimizer="sgd", loss="mean_sqared_eror")
    with pytest.raises(ValueError, match="adam"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="accuracy"):
        model.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="relu"):
        layers.Dense(2, activation="rleu")
    with pytest.raises(ValueError, match="glorot_uniform"):
        layers.Dense(2, kernel_initializer="glorot")


def test_non_numeric_array():
    model = make_model()
    before = model.get_weights()
    x = np.array([["a", "b", "c", "d"]] * 4)
    with pytest.raises(TypeError, match="numeric"):
        model.fit(x, np.zeros(4), verbose=0)
    assert weights_unchanged(model, before)


class InterruptDuringStep(keras.Sequential):
    """Sends Ctrl-C to this process from inside the compiled train step (through a host callback)."""

    def train_step(self, data):
        import os
        import signal

        import jax
        logs = super().train_step(data)
        jax.debug.callback(lambda: os.kill(os.getpid(), signal.SIGINT))
        return logs


def test_keyboard_interrupt_leaves_the_last_completed_step():
    x, y = make_data(32)
    model = InterruptDuringStep([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    reference = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    reference.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    reference.set_weights(model.get_weights())
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[EpochCounter()])
    # the interrupted call completed and its state was kept: one epoch of 4 steps, then the stop
    reference.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert model.predict(x, verbose=0).shape == (32, 1)  # still usable


def test_memory_does_not_grow_across_epochs():
    import gc

    import jax
    x, y = make_data(64)
    model = make_model()
    counter = EpochCounter()
    counts = []

    class Probe(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            gc.collect()
            counts.append(len(jax.live_arrays()))

    model.fit(x, y, batch_size=16, epochs=6, verbose=0, callbacks=[counter, Probe()])
    assert counts[1:] == [counts[1]] * (len(counts) - 1), counts


def test_terminate_on_nan_stops_cleanly():
    x, y = make_data(64)
    x = x * 1e3
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(10.0), loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=20, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) < 20
    assert not np.isfinite(history.history["loss"][-1])
    assert model.stop_training


def test_fused_fits_with_nearby_epoch_counts_share_one_program():
    """fit(epochs=3) then fit(epochs=4) (as in a notebook) compile the fused-epochs program once; the skipped
    padding epochs change nothing: the same training as one fit of 7 epochs."""
    x, y = make_data(100)
    twice, once = make_model(), make_model()
    once.set_weights(twice.get_weights())
    keras.utils.set_random_seed(3)
    h1 = twice.fit(x, y, batch_size=16, epochs=3, verbose=0)
    h2 = twice.fit(x, y, batch_size=16, epochs=4, verbose=0)
    assert twice._programs["train"].trace_count == 1
    keras.utils.set_random_seed(3)
    h = once.fit(x, y, batch_size=16, epochs=7, verbose=0)
    np.testing.assert_allclose(h1.history["loss"] + h2.history["loss"], h.history["loss"], rtol=1e-5)
    for a, b in zip(twice.get_weights(), once.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert int(twice.optimizer.iterations.numpy()) == 7 * 7 == int(once.optimizer.iterations.numpy())
