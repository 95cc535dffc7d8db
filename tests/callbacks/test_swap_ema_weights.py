"""SwapEMAWeights: validation, evaluate and predict see the optimizer's moving averages, as with Keras 3's."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402
from kerasj.callbacks import SwapEMAWeights  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 3)).astype("float32")
Y = RNG.normal(size=(32, 2)).astype("float32")
XV = RNG.normal(size=(16, 3)).astype("float32")
YV = RNG.normal(size=(16, 2)).astype("float32")


def _pair(use_ema=True):
    """The same model and SGD(momentum, use_ema) optimizer in kerasj and in Keras 3, with equal weights."""
    models = []
    for lib in (kerasj, keras):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh"), lib.layers.Dense(2)])
        model.compile(optimizer=lib.optimizers.SGD(0.1, momentum=0.5, use_ema=use_ema, ema_momentum=0.5),
                      loss="mse")
        models.append(model)
    models[0].set_weights(models[1].get_weights())
    return models


def _close(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-6)


def _fit(swap_on_epoch):
    """Both models after two epochs with validation under the callback: (models, histories, weights)."""
    models, histories = _pair(), []
    for lib, model in zip((kerasj, keras), models):
        history = model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_data=(XV, YV),
                            callbacks=[lib.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)])
        histories.append(history.history)
    weights = [[np.asarray(w) for w in m.get_weights() + list(m.optimizer.variables)] for m in models]
    return models, histories, weights


@pytest.fixture(scope="module")
def fitted():
    return _fit(swap_on_epoch=False)


def _check_like_keras(histories, weights):
    assert set(histories[0]) == set(histories[1]) == {"loss", "val_loss"}
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-5)
    _close(weights[0], weights[1])  # model weights, then optimizer slots, averages and step count


def test_fit_validates_with_the_averages_and_ends_like_keras(fitted):
    _, histories, weights = fitted
    _check_like_keras(histories, weights)


def test_swap_on_epoch_like_keras():
    _, histories, weights = _fit(swap_on_epoch=True)
    _check_like_keras(histories, weights)


def test_the_validation_loss_is_the_loss_of_the_averaged_weights(fitted):
    (ours, _), histories, weights = fitted
    # After fit the model holds the last averages (fit's end copies them in): they give the last val_loss.
    n = len(ours.get_weights())
    averages = [np.asarray(v) for v in ours.optimizer._model_variables_moving_average]
    _close(weights[0][:n], averages)
    hidden = np.tanh(XV @ averages[0] + averages[1])
    expected = np.mean((hidden @ averages[2] + averages[3] - YV) ** 2)
    np.testing.assert_allclose(histories[0]["val_loss"][-1], expected, rtol=1e-5)


def test_evaluate_and_predict_swap_in_and_back_out(fitted):
    (ours, theirs), _, _ = fitted
    # Give the models weights that differ from the averages, identically in both libraries.
    shifted = [w + 0.25 for w in theirs.get_weights()]
    ours.set_weights(shifted)
    theirs.set_weights(shifted)
    averages = [np.asarray(v) for v in ours.optimizer._model_variables_moving_average]
    ours_loss = ours.evaluate(XV, YV, verbose=0, callbacks=[SwapEMAWeights()])
    theirs_loss = theirs.evaluate(XV, YV, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(ours_loss, theirs_loss, rtol=1e-5)
    assert not np.isclose(ours_loss, ours.evaluate(XV, YV, verbose=0))  # the averages made the difference
    _close(ours.get_weights(), shifted)  # swapped back after evaluate
    _close(ours.optimizer._model_variables_moving_average, averages)
    ours_pred = ours.predict(XV, verbose=0, callbacks=[SwapEMAWeights()])
    theirs_pred = theirs.predict(XV, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(ours_pred, theirs_pred, rtol=1e-5, atol=1e-6)
    _close(ours.get_weights(), shifted)  # also after predict (Keras 3.15 leaves the averages in)


def test_an_optimizer_without_ema_is_refused():
    ours, theirs = _pair(use_ema=False)
    with pytest.raises(ValueError, match="use_ema=True") as ours_error:
        ours.evaluate(XV, YV, verbose=0, callbacks=[SwapEMAWeights()])
    with pytest.raises(ValueError) as theirs_error:
        theirs.evaluate(XV, YV, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    assert str(ours_error.value) == str(theirs_error.value)
