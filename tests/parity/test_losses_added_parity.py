"""The losses added to kerasj.losses (CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy, Dice,
Tversky, CTC, Circle) against Keras 3 (JAX backend): classes with every reduction, without and with sample
weights; the functions; the gradient; and kerasj.metrics.categorical_focal_crossentropy."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj
from kerasj import losses

RTOL, ATOL = 2e-5, 2e-6
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]
SLOW = ("Circle",)
# One CTC batch covers every label case: a double repeat that just fits the 6 steps (1 _ 1 2 _ 2), a repeat
# with room to spare, no repeat, padded labels of length 1 and an empty label. Keras's eager CTC is slow, so
# Keras runs once per module (values and gradient together) and the kerasj cases are compared against that.
CTC_LABELS = np.array([[1, 1, 2, 2], [1, 2, 2, 1], [2, 3, 1, 4], [3, 0, 0, 0], [0, 0, 0, 0]], "float32")


def _close(actual, expected, rtol=RTOL, atol=ATOL):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def _probs(rng, shape):
    p = rng.uniform(0.05, 1.0, size=shape).astype("float32")
    return p / p.sum(-1, keepdims=True)


def _one_hot(rng, batch, classes):
    return np.eye(classes, dtype="float32")[rng.integers(0, classes, size=batch)]


def _unit_rows(rng, shape):
    x = rng.normal(size=shape).astype("float32")
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _inputs(kind, rng):
    if kind == "onehot_probs":
        return _one_hot(rng, 6, 4), _probs(rng, (6, 4))
    if kind == "onehot_logits":
        return _one_hot(rng, 6, 4), rng.normal(size=(6, 4)).astype("float32")
    if kind == "labels_probs":
        return rng.integers(0, 4, size=(6,)).astype("float32"), _probs(rng, (6, 4))
    if kind == "masks":  # (batch, h, w, 1) soft masks
        return ((rng.uniform(size=(3, 4, 4, 1)) > 0.5).astype("float32"),
                rng.uniform(size=(3, 4, 4, 1)).astype("float32"))
    if kind == "ctc":
        return CTC_LABELS, rng.normal(size=(len(CTC_LABELS), 6, 5)).astype("float32")
    if kind == "embeddings":
        return np.array([0, 0, 1, 1, 2, 1], "float32"), _unit_rows(rng, (6, 5))
    raise AssertionError(kind)


CASES = [
    ("CategoricalFocalCrossentropy", {}, "onehot_probs"),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.5, "label_smoothing": 0.1}, "onehot_probs"),
    ("CategoricalFocalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("CategoricalFocalCrossentropy", {"alpha": [0.1, 0.2, 0.3, 0.4], "from_logits": True}, "onehot_logits"),
    ("CategoricalGeneralizedCrossEntropy", {}, "labels_probs"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.2}, "labels_probs"),
    ("Dice", {}, "masks"),
    ("Dice", {"axis": (1, 2, 3)}, "masks"),
    ("Tversky", {}, "masks"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)}, "masks"),
    ("Circle", {}, "embeddings"),
    ("Circle", {"gamma": 10.0, "margin": 0.25, "remove_diagonal": False}, "embeddings"),
]


def _ids(case):
    name, kwargs, _ = case
    return name + ("-" + "-".join(f"{k}={v}" for k, v in kwargs.items()) if kwargs else "")


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=[_ids(c) for c in CASES])
def test_class_matches_keras_for_every_reduction_and_weighting(name, kwargs, kind):
    rng = np.random.default_rng(len(name) + len(kwargs))
    y_true, y_pred = _inputs(kind, rng)
    loss_shape = np.shape(getattr(keras.losses, name)(reduction="none", **kwargs)(y_true, y_pred))
    weightings = [None, 0.7]
    if loss_shape:
        weightings.append(rng.uniform(0, 2, size=loss_shape[:1]).astype("float32"))
    reductions = REDUCTIONS
    if name in SLOW:  # each eager call runs many small ops: fewer combinations
        weightings, reductions = weightings[-1:], ["sum_over_batch_size", None]
    for sample_weight in weightings:
        for reduction in reductions:
            expected = getattr(keras.losses, name)(reduction=reduction, **kwargs)(y_true, y_pred,
                                                                                 sample_weight=sample_weight)
            actual = getattr(losses, name)(reduction=reduction, **kwargs)(y_true, y_pred,
                                                                         sample_weight=sample_weight)
            _close(actual, expected, rtol=1e-4 if name == "Circle" else RTOL, atol=1e-4 if name == "Circle" else ATOL)


FUNCTIONS = [
    ("categorical_focal_crossentropy", {"gamma": 3.0, "from_logits": True}, "onehot_logits"),
    ("categorical_generalized_cross_entropy", {"q": 0.7}, "labels_probs"),
    ("dice", {"axis": (1, 2)}, "masks"),
    ("tversky", {"alpha": 0.9, "beta": 0.1}, "masks"),
    ("circle", {"gamma": 20}, "embeddings"),
]


@pytest.mark.parametrize("name,kwargs,kind", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_function_matches_keras(name, kwargs, kind):
    y_true, y_pred = _inputs(kind, np.random.default_rng(7))
    _close(getattr(losses, name)(y_true, y_pred, **kwargs), getattr(keras.losses, name)(y_true, y_pred, **kwargs),
           rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def keras_ctc():
    y_true, y_pred = _inputs("ctc", np.random.default_rng(3))

    def mean_loss(logits):
        per_sample = keras.losses.CTC(reduction=None)(y_true, logits)
        return jnp.mean(per_sample), per_sample

    (_, per_sample), grad = jax.jit(jax.value_and_grad(mean_loss, has_aux=True))(jnp.asarray(y_pred))
    return y_true, y_pred, np.asarray(per_sample), np.asarray(grad)


def test_ctc_class_function_reductions_and_gradient_match_keras(keras_ctc):
    y_true, y_pred, expected, expected_grad = keras_ctc
    assert np.all(np.isfinite(expected)) and expected.shape == (len(CTC_LABELS),)
    _close(losses.CTC(reduction=None)(y_true, y_pred), expected, rtol=1e-4, atol=1e-4)
    _close(losses.ctc(y_true, y_pred), expected, rtol=1e-4, atol=1e-4)
    # Reductions and sample weights: the Loss rules applied to Keras's per-sample values.
    weights = np.random.default_rng(4).uniform(0, 2, size=len(CTC_LABELS)).astype("float32")
    _close(losses.CTC()(y_true, y_pred, sample_weight=weights), np.sum(expected * weights) / len(expected),
           rtol=1e-4, atol=1e-4)
    _close(losses.CTC(reduction="sum")(y_true, y_pred, sample_weight=0.7), np.sum(expected) * 0.7,
           rtol=1e-4, atol=1e-4)
    _close(losses.CTC(reduction=None)(y_true, y_pred, sample_weight=weights), expected * weights,
           rtol=1e-4, atol=1e-4)
    ours = jax.grad(lambda p: losses.CTC()(y_true, p))(jnp.asarray(y_pred))
    _close(ours, expected_grad, rtol=1e-4, atol=1e-5)
    assert np.all(np.isfinite(np.asarray(ours)))


def test_ctc_with_a_single_path_is_its_log_probability():
    # Labels [1] over one step: the only alignment emits class 1, so the loss is -log softmax(logits)[1].
    logits = np.array([[[0.3, 1.2, -0.5]]], "float32")
    expected = -jax.nn.log_softmax(logits[0, 0])[1]
    _close(losses.ctc([[1]], logits), [expected], rtol=1e-5, atol=1e-5)


def test_circle_from_reference_embeddings_matches_keras():
    rng = np.random.default_rng(5)
    y_true, y_pred = np.array([0, 1, 1]), _unit_rows(rng, (3, 4))
    ref_labels, ref_embeddings = np.array([1, 0, 0, 1, 2]), _unit_rows(rng, (5, 4))
    kwargs = dict(ref_labels=ref_labels, ref_embeddings=ref_embeddings, remove_diagonal=False)
    _close(losses.circle(y_true, y_pred, **kwargs), keras.losses.circle(y_true, y_pred, **kwargs), rtol=1e-4,
           atol=1e-4)


@pytest.mark.parametrize("name,kwargs,kind", [CASES[2], CASES[5], CASES[9], CASES[10]],
                         ids=lambda c: c if isinstance(c, str) else None)
def test_gradient_matches_keras(name, kwargs, kind):
    y_true, y_pred = _inputs(kind, np.random.default_rng(11))
    ours = jax.grad(lambda p: getattr(losses, name)(**kwargs)(y_true, p))(jnp.asarray(y_pred))
    loss = getattr(keras.losses, name)(**kwargs)
    theirs = jax.grad(lambda p: loss(y_true, p))(jnp.asarray(y_pred))
    _close(ours, theirs, rtol=1e-4, atol=1e-5)
    assert np.all(np.isfinite(np.asarray(ours)))


def test_metric_function_categorical_focal_crossentropy_matches_keras():
    y_true, y_pred = _inputs("onehot_probs", np.random.default_rng(2))
    assert kerasj.metrics.categorical_focal_crossentropy is losses.categorical_focal_crossentropy
    _close(kerasj.metrics.categorical_focal_crossentropy(y_true, y_pred),
           keras.metrics.categorical_focal_crossentropy(y_true, y_pred))
    ours = kerasj.metrics.MeanMetricWrapper(kerasj.metrics.categorical_focal_crossentropy, gamma=1.0)
    theirs = keras.metrics.MeanMetricWrapper(keras.metrics.categorical_focal_crossentropy, gamma=1.0)
    ours.update_state(y_true, y_pred)
    theirs.update_state(y_true, y_pred)
    _close(ours.result(), theirs.result())


@pytest.mark.parametrize("name,kwargs", [(c[0], c[1]) for c in CASES[1::2]] + [("CTC", {})],
                         ids=lambda c: c if isinstance(c, str) else None)
def test_config_and_signature_match_keras(name, kwargs):
    import inspect
    ours, theirs = getattr(losses, name), getattr(keras.losses, name)
    assert inspect.signature(ours) == inspect.signature(theirs)
    fn_name = {"CTC": "ctc"}.get(name, getattr(theirs(), "fn").__name__)
    assert inspect.signature(getattr(losses, fn_name)) == inspect.signature(getattr(keras.losses, fn_name))
    assert ours(**kwargs).get_config() == theirs(**kwargs).get_config()
