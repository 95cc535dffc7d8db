"""fit(x) without targets: refused early when the compiled loss needs them, accepted (as in Keras 3) when the
model is trained by add_loss alone or by its own compute_loss."""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402

X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")


def _model(lib, base=None):
    base = base or lib.Model

    class AddLossModel(base):
        def __init__(self):
            super().__init__()
            self.dense = lib.layers.Dense(2, kernel_initializer="ones")

        def call(self, x):
            y = self.dense(x)
            self.add_loss(lib.ops.mean(lib.ops.square(y - 1.0)))
            return y

    return AddLossModel()


def test_fit_without_y_is_refused_when_the_compiled_loss_needs_targets():
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="`y` \\(the targets\\) is required"):
        model.fit(X, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_model_trained_by_add_loss_alone_fits_without_y_like_keras():
    weights = {}
    for lib in (keras, kerasj):
        model = _model(lib)
        model.compile(optimizer=lib.optimizers.SGD(0.1))
        history = model.fit(X, batch_size=8, epochs=2, shuffle=False, verbose=0)
        weights[lib.__name__] = (model.get_weights(), history.history["loss"])
    (ours, our_loss), (theirs, their_loss) = weights["kerasj"], weights["keras"]
    np.testing.assert_allclose(our_loss, their_loss, rtol=1e-5)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_model_with_its_own_compute_loss_fits_without_y():
    class OwnLoss(kerasj.Model):
        def __init__(self):
            super().__init__()
            self.dense = kerasj.layers.Dense(1, kernel_initializer="zeros")

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return kerasj.ops.mean(kerasj.ops.square(y_pred - 2.0))  # needs no y

    model = OwnLoss()
    model.compile(optimizer=kerasj.optimizers.SGD(0.1), loss="mse")
    history = model.fit(X, batch_size=16, epochs=3, verbose=0)
    assert history.history["loss"][0] == pytest.approx(4.0, rel=1e-5)  # zero weights: (0 - 2)^2
    assert history.history["loss"][-1] < history.history["loss"][0]
