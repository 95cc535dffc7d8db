"""One epoch of training in kerasj and in Keras 3 (JAX backend) from the same weights gives the same
weights, losses, metrics, evaluation and predictions (shuffle=False, float32 tolerance)."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

RTOL, ATOL = 2e-5, 2e-6


def build(lib, hidden_activation="relu", out_units=3, out_activation="softmax", dropout=0.0):
    return lib.Sequential([
        lib.Input((6,)),
        lib.layers.Dense(16, activation=hidden_activation),
        lib.layers.Dropout(dropout),
        lib.layers.Dense(8, activation="tanh"),
        lib.layers.Dense(out_units, activation=out_activation),
    ])


def data(n=70, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = rng.integers(0, classes, n)
    return x, y


def pair(**kwargs):
    ours, theirs = build(kerasj, **kwargs), build(keras, **kwargs)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def assert_weights_close(ours, theirs):
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def assert_logs_close(ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-4, atol=1e-6, err_msg=key)


# Evaluation and prediction depend on the optimizer only through the trained weights: one case runs them in
# batches of 32 (70 = 2 x 32 + 6, a partial last batch), the others in one batch, which compiles half the programs.
@pytest.mark.parametrize("optimizer,eval_batch_size", [
    (lambda lib: lib.optimizers.SGD(0.1), None),
    (lambda lib: lib.optimizers.SGD(0.05, momentum=0.9, nesterov=True), 70),
    (lambda lib: lib.optimizers.Adam(1e-2), 70),
], ids=["sgd", "sgd_nesterov", "adam"])
def test_one_epoch_matches_keras(optimizer, eval_batch_size):
    x, y = data()
    ours, theirs = pair()
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=optimizer(lib), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h_ours = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert_weights_close(ours, theirs)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, err_msg=key)
    kw = {"batch_size": eval_batch_size, "verbose": 0}
    assert_logs_close(ours.evaluate(x, y, return_dict=True, **kw), theirs.evaluate(x, y, return_dict=True, **kw))
    np.testing.assert_allclose(ours.predict(x, **kw), theirs.predict(x, **kw), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("loss,metrics,out_units,out_activation,targets", [
    ("mse", ["mae", "mse"], 1, None, "regression"),
    ("mae", ["mse"], 1, None, "regression"),
    ("binary_crossentropy", ["accuracy", "binary_accuracy"], 1, "sigmoid", "binary"),
    ("categorical_crossentropy", ["accuracy", "categorical_accuracy"], 3, "softmax", "onehot"),
    ("sparse_categorical_crossentropy", ["accuracy", "sparse_categorical_accuracy"], 3, "softmax", "sparse"),
])
def test_losses_and_metrics_in_fit_match_keras(loss, metrics, out_units, out_activation, targets):
    x, labels = data(48, classes=3 if targets != "binary" else 2)
    y = {"regression": x[:, :1] * 2.0 - 1.0, "binary": labels.astype(np.float32),
         "onehot": np.eye(3, dtype=np.float32)[labels], "sparse": labels}[targets]
    ours, theirs = pair(out_units=out_units, out_activation=out_activation)
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=loss, metrics=metrics)
    h_ours = ours.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    assert_logs_close({k: v[0] for k, v in h_ours.history.items()},
                      {k: v[0] for k, v in h_theirs.history.items()})
    assert_weights_close(ours, theirs)


def test_from_logits_loss_object_and_sample_weight_match_keras():
    x, y = data(40)
    sw = np.random.default_rng(1).random(40).astype(np.float32)
    ours, theirs = pair(out_activation=None)
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.Adam(), metrics=[lib.metrics.SparseCategoricalAccuracy()],
                      loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    ours.fit(x, y, sample_weight=sw, batch_size=8, epochs=1, shuffle=False, verbose=0)
    theirs.fit(x, y, sample_weight=sw, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_weights_close(ours, theirs)
    # One batch of 40: the partial last batch of evaluate is covered by test_one_epoch_matches_keras.
    assert_logs_close(ours.evaluate(x, y, sample_weight=sw, batch_size=40, verbose=0, return_dict=True),
                      theirs.evaluate(x, y, sample_weight=sw, batch_size=40, verbose=0, return_dict=True))


def test_validation_split_logs_match_keras():
    x, y = data(50)
    ours, theirs = pair()
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    h_ours = ours.fit(x, y, batch_size=8, epochs=2, validation_split=0.3, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=2, validation_split=0.3, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, err_msg=key)


def multi_output(lib):
    a = lib.Input((3,), name="a")
    b = lib.Input((2,), name="b")
    h = lib.layers.Dense(8, activation="relu", name="h")(a)
    g = lib.layers.Dense(8, activation="relu", name="g")(b)
    reg = lib.layers.Dense(1, name="reg")(h)
    cls = lib.layers.Dense(3, activation="softmax", name="cls")(g)
    return lib.Model([a, b], [reg, cls])


def test_multi_input_multi_output_matches_keras():
    rng = np.random.default_rng(2)
    xa, xb = rng.normal(size=(30, 3)).astype(np.float32), rng.normal(size=(30, 2)).astype(np.float32)
    y1, y2 = rng.normal(size=(30, 1)).astype(np.float32), rng.integers(0, 3, 30)
    ours, theirs = multi_output(kerasj), multi_output(keras)
    ours.set_weights(theirs.get_weights())
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=["mse", "sparse_categorical_crossentropy"],
                      loss_weights=[2.0, 0.5], metrics=[["mae"], ["accuracy"]])
    h_ours = ours.fit([xa, xb], [y1, y2], batch_size=8, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit([xa, xb], [y1, y2], batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_logs_close({k: v[0] for k, v in h_ours.history.items()},
                      {k: v[0] for k, v in h_theirs.history.items()})
    assert_weights_close(ours, theirs)
    ev_ours = ours.evaluate([xa, xb], [y1, y2], verbose=0)
    ev_theirs = theirs.evaluate([xa, xb], [y1, y2], verbose=0)
    np.testing.assert_allclose(ev_ours[:3], ev_theirs[:3], rtol=1e-5)  # loss, reg_loss, cls_loss


def test_layers_forward_match_keras():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 2, 3, 5)).astype(np.float32)
    for make in (lambda lib: lib.layers.Dense(7, activation="gelu"),
                 lambda lib: lib.layers.Dense(7, use_bias=False),
                 lambda lib: lib.layers.Activation("softmax"),
                 lambda lib: lib.layers.Flatten(),
                 lambda lib: lib.layers.Flatten(data_format="channels_first"),
                 lambda lib: lib.layers.Reshape((5, -1)),
                 lambda lib: lib.layers.Dropout(0.3)):
        ours, theirs = make(kerasj), make(keras)
        expected = np.asarray(theirs(x))
        ours(x)
        ours.set_weights(theirs.get_weights())
        np.testing.assert_allclose(ours(x), expected, rtol=RTOL, atol=ATOL, err_msg=type(ours).__name__)
        assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]


def test_weight_order_matches_keras_for_nested_models():
    def nested(lib):
        inner_in = lib.Input((4,))
        inner = lib.Model(inner_in, lib.layers.Dense(3)(inner_in))
        x = lib.Input((4,))
        return lib.Model(x, lib.layers.Dense(2)(lib.layers.Dense(5)(inner(x))))
    ours, theirs = nested(kerasj), nested(keras)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(4).normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=RTOL, atol=ATOL)


# Every loss, trained 2 epochs with a partial last batch (70 = 4 x 16 + 6) and shuffle=False.
LOSS_CASES = {
    "mean_squared_error": ("regression", None),
    "mean_absolute_error": ("regression", None),
    "mean_absolute_percentage_error": ("positive", "softplus"),
    "mean_squared_logarithmic_error": ("positive", "softplus"),
    "binary_crossentropy": ("binary", "sigmoid"),
    "binary_focal_crossentropy": ("binary", "sigmoid"),
    "categorical_crossentropy": ("onehot", "softmax"),
    "sparse_categorical_crossentropy": ("sparse", "softmax"),
    "kl_divergence": ("distribution", "softmax"),
    "poisson": ("counts", "softplus"),
    "huber": ("regression", None),
    "log_cosh": ("regression", None),
    "hinge": ("signs", "tanh"),
    "squared_hinge": ("signs", "tanh"),
    "categorical_hinge": ("onehot", "softmax"),
    "cosine_similarity": ("regression", None),
}


def targets(kind, labels, x):
    rng = np.random.default_rng(5)
    width = 3
    return {
        "regression": x[:, :width] * 2.0 - 0.5,
        "positive": np.abs(x[:, :width]) + 0.5,
        "binary": (labels % 2).astype(np.float32)[:, None] * np.ones((1, width), np.float32),
        "onehot": np.eye(width, dtype=np.float32)[labels],
        "sparse": labels,
        "distribution": rng.dirichlet(np.ones(width), size=len(labels)).astype(np.float32),
        "counts": rng.poisson(2.0, size=(len(labels), width)).astype(np.float32),
        "signs": np.where(x[:, :width] > 0, 1.0, -1.0).astype(np.float32),
    }[kind]


@pytest.mark.parametrize("loss_name", sorted(LOSS_CASES))
def test_every_loss_trains_like_keras(loss_name):
    kind, activation = LOSS_CASES[loss_name]
    x, labels = data(70)
    y = targets(kind, labels, x)
    ours, theirs = pair(out_units=3, out_activation=activation)
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=loss_name)
    h_ours = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-4, atol=1e-6)
    assert_weights_close(ours, theirs)
    # Evaluated in one batch (one test program per library instead of two).
    np.testing.assert_allclose(ours.evaluate(x, y, batch_size=70, verbose=0),
                               theirs.evaluate(x, y, batch_size=70, verbose=0), rtol=1e-4)


def test_use_ema_weights_after_fit_match_keras():
    x, y = data(40)
    ours, theirs = pair()
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9),
                      loss="sparse_categorical_crossentropy")
    ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_weights_close(ours, theirs)


def test_lazily_built_metrics_in_fit_match_keras():
    x, labels = data(64, classes=3)
    y = np.eye(3, dtype=np.float32)[labels]
    ours, theirs = pair()
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="categorical_crossentropy",
                      # explicit names: Keras numbers default metric names per process (auc_1, auc_2, ...)
                      metrics=[lib.metrics.F1Score(average="macro", threshold=0.3, name="f1"),
                               lib.metrics.AUC(multi_label=True, name="auc"), "precision"])
    h_ours = ours.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, atol=1e-6, err_msg=key)


def test_weighted_metrics_and_class_weight_match_keras():
    x, y = data(70)
    sw = np.random.default_rng(3).random(70).astype(np.float32)
    ours, theirs = pair()
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], weighted_metrics=["accuracy"])
    h_ours = ours.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, err_msg=key)
    cw = {0: 0.3, 1: 1.0, 2: 2.5}
    h_ours = ours.fit(x, y, class_weight=cw, batch_size=16, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, class_weight=cw, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, err_msg=key)
    assert_weights_close(ours, theirs)
