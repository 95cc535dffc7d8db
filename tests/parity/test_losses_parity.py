"""kerasj.losses against keras.losses (Keras 3, JAX backend) on identical random inputs."""
import os
import zlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from kerasj import losses

RTOL, ATOL = 1e-5, 1e-6
B, D, C = 4, 3, 5
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def make_inputs(kind, rng, lead=(B,)):
    """(y_true, y_pred) for a family of losses; `lead` is the batch (and time) shape."""
    f32 = np.float32
    if kind == "regression":
        return rng.normal(size=lead + (D,)).astype(f32), rng.normal(size=lead + (D,)).astype(f32)
    if kind == "positive":
        return (rng.uniform(0.1, 3.0, size=lead + (D,)).astype(f32),
                rng.uniform(0.1, 3.0, size=lead + (D,)).astype(f32))
    if kind == "binary":
        return (rng.integers(0, 2, size=lead + (D,)).astype(f32),
                rng.uniform(0.01, 0.99, size=lead + (D,)).astype(f32))
    if kind == "binary_logits":
        return rng.integers(0, 2, size=lead + (D,)).astype(f32), rng.normal(0, 3, size=lead + (D,)).astype(f32)
    if kind == "categorical":
        labels = rng.integers(0, C, size=lead)
        return np.eye(C, dtype=f32)[labels], _softmax(rng.normal(size=lead + (C,))).astype(f32)
    if kind == "categorical_logits":
        labels = rng.integers(0, C, size=lead)
        return np.eye(C, dtype=f32)[labels], rng.normal(0, 2, size=lead + (C,)).astype(f32)
    if kind == "sparse":
        return rng.integers(0, C, size=lead), _softmax(rng.normal(size=lead + (C,))).astype(f32)
    if kind == "sparse_logits":
        return rng.integers(0, C, size=lead), rng.normal(0, 2, size=lead + (C,)).astype(f32)
    if kind == "distribution":
        return (_softmax(rng.normal(size=lead + (C,))).astype(f32),
                _softmax(rng.normal(size=lead + (C,))).astype(f32))
    if kind == "signs":
        return (rng.choice([-1.0, 1.0], size=lead + (D,)).astype(f32),
                rng.normal(size=lead + (D,)).astype(f32))
    raise AssertionError(kind)


# (class name, constructor kwargs, input kind)
CASES = [
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("MeanSquaredLogarithmicError", {}, "regression"),  # negatives hit the eps clamp
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("BinaryCrossentropy", {"axis": 0}, "binary"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5}, "binary"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "from_logits": True, "gamma": 3.0},
     "binary_logits"),
    ("CategoricalCrossentropy", {}, "categorical"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.15}, "categorical"),
    ("CategoricalCrossentropy", {"from_logits": True}, "categorical_logits"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "categorical_logits"),
    ("CategoricalCrossentropy", {"axis": 0}, "distribution"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 0}, "sparse_logits"),
    ("KLDivergence", {}, "distribution"),
    ("Poisson", {}, "positive"),
    ("Huber", {}, "regression"),
    ("Huber", {"delta": 0.5}, "regression"),
    ("LogCosh", {}, "regression"),
    ("Hinge", {}, "signs"),
    ("Hinge", {}, "binary"),  # {0, 1} targets are mapped to {-1, 1}
    ("SquaredHinge", {}, "signs"),
    ("SquaredHinge", {}, "binary"),
    ("CategoricalHinge", {}, "categorical"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 0}, "regression"),
]
CASE_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}-{kind}" for n, kw, kind in CASES]


def _sample_weight(kind, rng, loss_shape):
    if kind is None:
        return None
    if kind == "scalar":
        return 0.7
    if kind == "per_sample":
        return rng.uniform(0, 2, size=loss_shape[:1]).astype(np.float32)
    if kind == "per_sample_col":
        return rng.uniform(0, 2, size=loss_shape[:1] + (1,)).astype(np.float32)
    if kind == "full":
        return rng.uniform(0, 2, size=loss_shape).astype(np.float32)
    raise AssertionError(kind)


def _assert_close(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def _compare_reductions(name, kwargs, y_true, y_pred, weight_kinds, rng, reductions=REDUCTIONS):
    loss_shape = np.shape(getattr(keras.losses, name)(reduction="none", **kwargs)(y_true, y_pred))
    for weights in weight_kinds:
        sw = _sample_weight(weights, rng, loss_shape)
        for reduction in reductions:
            ref = getattr(keras.losses, name)(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=sw)
            ours = getattr(losses, name)(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=sw)
            _assert_close(ours, ref)


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=CASE_IDS)
def test_class_matches_keras(name, kwargs, kind):
    """Every loss and argument variant, each reduction, without and with per-sample weights."""
    rng = np.random.default_rng(zlib.crc32(f"{name}{kind}{kwargs}".encode()))
    y_true, y_pred = make_inputs(kind, rng)
    _compare_reductions(name, kwargs, y_true, y_pred, [None, "per_sample"], rng)


@pytest.mark.parametrize("name,kwargs,kind", [
    ("MeanSquaredError", {}, "regression"),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_logits"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, "sparse"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "categorical"),
])
def test_sample_weight_shapes_match_keras(name, kwargs, kind):
    """Scalar weights, (batch, 1) weights and weights shaped like the per-sample loss, for each reduction."""
    rng = np.random.default_rng(1)
    y_true, y_pred = make_inputs(kind, rng)
    _compare_reductions(name, kwargs, y_true, y_pred, ["scalar", "per_sample_col", "full"], rng)


@pytest.mark.parametrize("name,kwargs,kind", [c for c in CASES if c[1].get("axis") != 0],
                         ids=[i for c, i in zip(CASES, CASE_IDS) if c[1].get("axis") != 0])
def test_class_matches_keras_on_sequences(name, kwargs, kind):
    """Batch-and-time inputs: the per-sample loss has shape (batch, time)."""
    rng = np.random.default_rng(7)
    y_true, y_pred = make_inputs(kind, rng, lead=(B, 2))
    _compare_reductions(name, kwargs, y_true, y_pred, [None, "per_sample_col", "full"], rng,
                        reductions=["sum_over_batch_size", "mean_with_sample_weight", "none"])


def test_batch_only_weights_against_sequence_losses_fail_like_keras():
    """Keras rejects (batch,) weights against (batch, time) losses (they do not broadcast); so do we."""
    rng = np.random.default_rng(6)
    y_true, y_pred = make_inputs("regression", rng, lead=(B, 2))
    sw = np.ones((B,), np.float32)
    with pytest.raises(ValueError):
        keras.losses.MeanSquaredError()(y_true, y_pred, sample_weight=sw)
    with pytest.raises((ValueError, TypeError)):
        losses.MeanSquaredError()(y_true, y_pred, sample_weight=sw)


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=CASE_IDS)
def test_gradient_matches_keras(name, kwargs, kind):
    rng = np.random.default_rng(3)
    y_true, y_pred = make_inputs(kind, rng)
    sw = rng.uniform(0, 2, size=(B,)).astype(np.float32) if kwargs.get("axis") != 0 else None
    ours = getattr(losses, name)(**kwargs)
    ref = getattr(keras.losses, name)(**kwargs)
    # Compiled: one XLA program per loss is cheaper than dispatching every op of the backward pass.
    g_ours = jax.jit(jax.grad(lambda p: ours(y_true, p, sample_weight=sw)))(jnp.asarray(y_pred))
    g_ref = jax.jit(jax.grad(lambda p: ref(y_true, p, sample_weight=sw)))(jnp.asarray(y_pred))
    assert np.all(np.isfinite(g_ours))
    np.testing.assert_allclose(g_ours, g_ref, rtol=1e-4, atol=1e-6)


FUNCTIONS = {
    "mean_squared_error": "regression", "mean_absolute_error": "regression",
    "mean_absolute_percentage_error": "regression", "mean_squared_logarithmic_error": "positive",
    "binary_crossentropy": "binary", "binary_focal_crossentropy": "binary",
    "categorical_crossentropy": "categorical", "sparse_categorical_crossentropy": "sparse",
    "kl_divergence": "distribution", "poisson": "positive", "huber": "regression", "log_cosh": "regression",
    "hinge": "signs", "squared_hinge": "signs", "categorical_hinge": "categorical",
    "cosine_similarity": "regression",
}


@pytest.mark.parametrize("fn_name", sorted(FUNCTIONS))
@pytest.mark.parametrize("lead", [(B,), (B, 2)], ids=["2d", "3d"])
def test_function_form_matches_keras(fn_name, lead):
    rng = np.random.default_rng(11)
    y_true, y_pred = make_inputs(FUNCTIONS[fn_name], rng, lead=lead)
    _assert_close(getattr(losses, fn_name)(y_true, y_pred), getattr(keras.losses, fn_name)(y_true, y_pred))


@pytest.mark.parametrize("fn_name,kwargs,kind", [
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.3}, "binary_logits"),
    ("binary_focal_crossentropy", {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.0,
                                   "from_logits": True, "label_smoothing": 0.2}, "binary_logits"),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.2}, "categorical_logits"),
    ("sparse_categorical_crossentropy", {"from_logits": True, "ignore_class": 1}, "sparse_logits"),
    ("huber", {"delta": 0.3}, "regression"),
    ("cosine_similarity", {"axis": 0}, "regression"),
])
def test_function_form_arguments_match_keras(fn_name, kwargs, kind):
    rng = np.random.default_rng(5)
    y_true, y_pred = make_inputs(kind, rng)
    _assert_close(getattr(losses, fn_name)(y_true, y_pred, **kwargs),
                  getattr(keras.losses, fn_name)(y_true, y_pred, **kwargs))


ALIASES = ["mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce", "BCE",
           "kl_divergence", "log_cosh", "huber", "poisson", "hinge", "squared_hinge", "categorical_hinge",
           "cosine_similarity", "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
           "mean_squared_logarithmic_error", "mean_absolute_percentage_error"]


@pytest.mark.parametrize("alias", ALIASES)
def test_string_aliases_resolve_like_keras(alias):
    rng = np.random.default_rng(2)
    y_true, y_pred = make_inputs("distribution", rng)  # valid input for every loss in the list
    ours, ref = losses.get(alias), keras.losses.get(alias)
    assert ours.__name__ == ref.__name__
    _assert_close(ours(y_true, y_pred), ref(y_true, y_pred))


@pytest.mark.parametrize("class_name", sorted(n for n, _, _ in CASES))
def test_class_name_strings_resolve_like_keras(class_name):
    rng = np.random.default_rng(4)
    kind = next(k for n, kw, k in CASES if n == class_name and not kw)
    y_true, y_pred = make_inputs(kind, rng)
    ours = losses.get(class_name)
    assert isinstance(ours, getattr(losses, class_name))
    _assert_close(ours(y_true, y_pred), keras.losses.get(class_name)(y_true, y_pred))


@pytest.mark.parametrize("name,kind", [("MeanSquaredError", "regression"), ("MeanAbsoluteError", "regression"),
                                       ("BinaryCrossentropy", "binary"), ("Huber", "regression"),
                                       ("LogCosh", "regression"), ("BinaryFocalCrossentropy", "binary"),
                                       ("MeanAbsolutePercentageError", "positive"), ("Hinge", "signs"),
                                       ("KLDivergence", "positive"), ("CosineSimilarity", "regression")])
@pytest.mark.parametrize("swap", [False, True], ids=["true_rank1", "pred_rank1"])
def test_rank_mismatch_targets_like_keras(name, kind, swap):
    """y_true of shape (batch,) against y_pred of shape (batch, 1), and the reverse."""
    rng = np.random.default_rng(8)
    y_true, y_pred = make_inputs(kind, rng)
    y_true, y_pred = y_true[:, :1], y_pred[:, :1]
    if swap:
        y_pred = y_pred[:, 0]
    else:
        y_true = y_true[:, 0]
    sw = rng.uniform(0, 2, size=(B,)).astype(np.float32)
    for reduction in ("sum_over_batch_size", "none"):
        ref = getattr(keras.losses, name)(reduction=reduction)(y_true, y_pred, sample_weight=sw)
        _assert_close(getattr(losses, name)(reduction=reduction)(y_true, y_pred, sample_weight=sw), ref)


@pytest.mark.parametrize("label_shape", ["flat", "column"])
def test_sparse_labels_integer_and_column_like_keras(label_shape):
    rng = np.random.default_rng(9)
    y_true, y_pred = make_inputs("sparse", rng)
    if label_shape == "column":
        y_true = y_true[:, None]
    for kwargs in ({}, {"ignore_class": 3}):
        ref = keras.losses.SparseCategoricalCrossentropy(**kwargs)(y_true, y_pred)
        _assert_close(losses.SparseCategoricalCrossentropy(**kwargs)(y_true, y_pred), ref)


def test_integer_targets_are_cast_like_keras():
    rng = np.random.default_rng(10)
    y_true = rng.integers(0, 2, size=(B, D))  # int64 labels
    _, y_pred = make_inputs("binary", rng)
    for name in ("BinaryCrossentropy", "MeanSquaredError", "Hinge"):
        _assert_close(getattr(losses, name)()(y_true, y_pred), getattr(keras.losses, name)()(y_true, y_pred))
    _assert_close(losses.binary_crossentropy(y_true, y_pred), keras.losses.binary_crossentropy(y_true, y_pred))


def test_extreme_probabilities_clip_like_keras():
    y_true = np.array([[1.0, 0.0, 1.0, 0.0]], np.float32)
    y_pred = np.array([[0.0, 1.0, 1.0, 0.0]], np.float32)
    for name in ("BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy", "KLDivergence",
                 "Poisson"):
        _assert_close(getattr(losses, name)()(y_true, y_pred), getattr(keras.losses, name)()(y_true, y_pred))


def test_custom_function_wrapper_matches_keras():
    from keras.src.losses.losses import LossFunctionWrapper as KerasWrapper

    def scaled_abs(y_true, y_pred, scale=1.0):
        return scale * jnp.mean(jnp.abs(y_true - y_pred), axis=-1)

    rng = np.random.default_rng(12)
    y_true, y_pred = make_inputs("regression", rng)
    sw = rng.uniform(0, 2, size=(B, 1)).astype(np.float32)
    for reduction in ("sum", "mean_with_sample_weight"):
        ours = losses.LossFunctionWrapper(scaled_abs, reduction=reduction, scale=2.5)
        ref = KerasWrapper(scaled_abs, reduction=reduction, scale=2.5)
        _assert_close(ours(y_true, y_pred, sample_weight=sw), ref(y_true, y_pred, sample_weight=sw))


def test_all_zero_weights_give_zero_like_keras():
    rng = np.random.default_rng(13)
    y_true, y_pred = make_inputs("regression", rng)
    sw = np.zeros((B,), np.float32)
    for reduction in ("sum_over_batch_size", "mean_with_sample_weight"):
        ref = keras.losses.MeanSquaredError(reduction=reduction)(y_true, y_pred, sample_weight=sw)
        _assert_close(losses.MeanSquaredError(reduction=reduction)(y_true, y_pred, sample_weight=sw), ref)


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=CASE_IDS)
def test_config_matches_keras(name, kwargs, kind):
    """Every key Keras writes is written with the same value (kerasj also keeps Huber's `delta`,
    CosineSimilarity's and SparseCategoricalCrossentropy's `axis`, which Keras drops)."""
    ours = getattr(losses, name)(**kwargs).get_config()
    ref = getattr(keras.losses, name)(**kwargs).get_config()
    assert {k: ours[k] for k in ref} == ref
    assert losses.serialize(getattr(losses, name)(**kwargs))["class_name"] == name


def test_keras_config_deserializes_in_kerasj():
    ref = keras.losses.serialize(keras.losses.BinaryFocalCrossentropy(gamma=3.0, from_logits=True, name="f"))
    loss = losses.deserialize(ref)
    assert isinstance(loss, losses.BinaryFocalCrossentropy)
    assert loss.get_config() == ref["config"]
    fn_ref = keras.losses.serialize(keras.losses.mean_squared_error)
    assert losses.deserialize(fn_ref) is losses.mean_squared_error
    assert losses.serialize(losses.mean_squared_error) == fn_ref


def test_cosine_similarity_of_tiny_vectors_like_keras():
    """Norms below epsilon are floored at epsilon, exactly as Keras does."""
    y_true = np.array([[1e-5, 0.0, 0.0], [1e-9, 0.0, 0.0], [0.0, 0.0, 0.0]], np.float32)
    y_pred = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 2.0, 0.0]], np.float32)
    _assert_close(losses.cosine_similarity(y_true, y_pred), keras.losses.cosine_similarity(y_true, y_pred))


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("labels", [[1, 0, 3, 0], [0, 0, 0, 0]], ids=["some_ignored", "all_ignored"])
def test_ignore_class_values_and_gradients_like_keras(from_logits, labels):
    rng = np.random.default_rng(14)
    _, y_pred = make_inputs("sparse_logits" if from_logits else "sparse", rng)
    y_true = np.array(labels)
    sw = np.array([2.0, 3.0, 0.5, 1.0], np.float32)
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight", "none"):
        ours = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=0, reduction=reduction)
        ref = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=0,
                                                         reduction=reduction)
        for weights in (None, sw):
            _assert_close(ours(y_true, y_pred, sample_weight=weights), ref(y_true, y_pred, sample_weight=weights))
        if reduction != "none":
            g_ours = jax.grad(lambda p: ours(y_true, p, sample_weight=sw))(jnp.asarray(y_pred))
            g_ref = jax.grad(lambda p: ref(y_true, p, sample_weight=sw))(jnp.asarray(y_pred))
            assert np.all(np.isfinite(g_ours))
            np.testing.assert_allclose(g_ours, g_ref, rtol=1e-4, atol=1e-6)
