"""kerasj.metrics against keras.metrics (Keras 3, JAX backend): the same batches, with and without
sample_weight, give the same state, results, names and configs; jitted and stateless updates agree too."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import keras.src.metrics.accuracy_metrics as keras_accuracy_metrics
import numpy as np
import pytest

from kerasj import metrics
from kerasj.variables import StateScope

RTOL, ATOL = 1e-5, 1e-6
B, D, C = 6, 3, 5


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def make_inputs(kind, rng):
    """(y_true, y_pred) for one batch of a family of metrics."""
    f32 = np.float32
    if kind in ("regression", "columns"):
        return rng.normal(size=(B, D)).astype(f32), rng.normal(size=(B, D)).astype(f32)
    if kind == "positive":
        return rng.uniform(0.1, 3.0, size=(B, D)).astype(f32), rng.uniform(0.1, 3.0, size=(B, D)).astype(f32)
    if kind == "exact":  # small integers, so that some predictions equal their targets
        return rng.integers(0, 3, size=(B, 1)).astype(f32), rng.integers(0, 3, size=(B, 1)).astype(f32)
    if kind == "binary":
        return rng.integers(0, 2, size=(B, 1)).astype(f32), rng.uniform(0.0, 1.0, size=(B, 1)).astype(f32)
    if kind == "binary_multi":
        return rng.integers(0, 2, size=(B, D)), rng.uniform(0.0, 1.0, size=(B, D)).astype(f32)
    if kind == "categorical":
        return (np.eye(C, dtype=f32)[rng.integers(0, C, size=B)],
                _softmax(rng.normal(size=(B, C))).astype(f32))
    if kind == "sparse":
        return rng.integers(0, C, size=B), _softmax(rng.normal(size=(B, C))).astype(f32)
    if kind == "sparse_column":
        return rng.integers(0, C, size=(B, 1)), _softmax(rng.normal(size=(B, C))).astype(f32)
    if kind == "sorted_ids":
        return rng.integers(0, C, size=B), np.argsort(-rng.normal(size=(B, C)), axis=-1).astype(f32)
    raise AssertionError(kind)


# (class name, constructor kwargs, input kind)
CASES = [
    ("Accuracy", {}, "exact"),
    ("BinaryAccuracy", {}, "binary"),
    ("BinaryAccuracy", {"threshold": 0.3}, "binary_multi"),
    ("CategoricalAccuracy", {}, "categorical"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("SparseCategoricalAccuracy", {}, "sparse_column"),
    ("TopKCategoricalAccuracy", {}, "categorical"),
    ("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_column"),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, "sorted_ids"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "positive"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("CosineSimilarity", {}, "regression"),
    ("CosineSimilarity", {"axis": 0}, "columns"),
    ("LogCoshError", {}, "regression"),
    ("R2Score", {}, "regression"),
    ("R2Score", {"class_aggregation": None}, "regression"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    ("R2Score", {"num_regressors": 2}, "regression"),
]
IDS = [f"{name}-{kind}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw, kind in CASES]


def batches(kind, seed=0, n=3):
    """`n` batches (y_true, y_pred, sample_weight); the middle one is unweighted, and so are all "columns"
    batches (values reduced over the batch axis have no per-sample weights)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        y_true, y_pred = make_inputs(kind, rng)
        weight = None if i == 1 or kind == "columns" else rng.uniform(0.0, 2.0, size=B).astype(np.float32)
        out.append((y_true, y_pred, weight))
    return out


def pair(name, kwargs):
    return getattr(metrics, name)(**kwargs), getattr(keras.metrics, name)(**kwargs)


def update(metric, batch):
    y_true, y_pred, weight = batch
    metric.update_state(y_true, y_pred, sample_weight=weight)


def close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=RTOL, atol=ATOL)


def variable_values(metric):
    return [np.asarray(v) for v in metric.variables]


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=IDS)
def test_updates_reset_and_call_match_keras(name, kwargs, kind):
    ours, theirs = pair(name, kwargs)
    assert ours.name == theirs.name
    for batch in batches(kind):
        update(ours, batch)
        update(theirs, batch)
        close(ours.result(), theirs.result())
    assert [v.path for v in ours.variables] == [v.path for v in theirs.variables]
    for a, b in zip(variable_values(ours), variable_values(theirs)):
        close(a, b)

    ours.reset_state()
    theirs.reset_state()
    for a, b in zip(variable_values(ours), variable_values(theirs)):
        close(a, b)
    for batch in batches(kind, seed=1, n=2):
        y_true, y_pred, weight = batch
        close(ours(y_true, y_pred, sample_weight=weight), theirs(y_true, y_pred, sample_weight=weight))


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=IDS)
def test_config_matches_keras(name, kwargs, kind):
    ours, theirs = pair(name, kwargs)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    # kerasj may record more (e.g. CosineSimilarity's axis), never less or different.
    assert {k: ours_config[k] for k in theirs_config} == theirs_config
    rebuilt = type(ours).from_config(ours_config)
    assert rebuilt.get_config() == ours_config
    assert getattr(ours, "_direction", None) == getattr(theirs, "_direction", None)


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=IDS)
def test_jitted_scope_updates_match_eager_and_keras(name, kwargs, kind):
    data = batches(kind)
    ours, theirs = pair(name, kwargs)
    eager = pair(name, kwargs)[0]
    if name == "R2Score":  # its per-output variables are created by the first update
        update(ours, data[0])
        ours.reset_state()
    variables = ours.variables

    @jax.jit
    def step(values, y_true, y_pred, weight):
        with StateScope(zip(variables, values)) as scope:
            ours.update_state(y_true, y_pred, sample_weight=weight)
            return scope.values(variables), ours.result()

    values = [v.value for v in variables]
    for batch in data:
        values, result = step(values, *batch)
        update(eager, batch)
        update(theirs, batch)
        close(result, eager.result())
        close(result, theirs.result())
    for a, b in zip(values, variable_values(eager)):
        close(a, b)


@pytest.mark.parametrize("name,kwargs,kind", CASES, ids=IDS)
def test_stateless_api_matches_keras_and_stateful(name, kwargs, kind):
    data = batches(kind)
    ours, theirs = pair(name, kwargs)
    stateful = pair(name, kwargs)[0]
    if name == "R2Score":  # build the per-output variables first (in both, as Keras needs it too)
        for m in (ours, theirs):
            update(m, data[0])
            m.reset_state()
    ours_values = [v.value for v in ours.variables]
    theirs_values = [v.value for v in theirs.variables]
    before = variable_values(ours)
    for y_true, y_pred, weight in data:
        ours_values = ours.stateless_update_state(ours_values, y_true, y_pred, sample_weight=weight)
        theirs_values = theirs.stateless_update_state(theirs_values, y_true, y_pred, sample_weight=weight)
        stateful.update_state(y_true, y_pred, sample_weight=weight)
    for a, b, c in zip(ours_values, theirs_values, variable_values(stateful)):
        close(a, b)
        close(a, c)
    close(ours.stateless_result(ours_values), theirs.stateless_result(theirs_values))
    close(ours.stateless_result(ours_values), stateful.result())
    for a, b in zip(ours.stateless_reset_state(), theirs.stateless_reset_state()):
        close(a, b)
    # None of that touched the metric's own variables.
    for a, b in zip(variable_values(ours), before):
        np.testing.assert_array_equal(a, b)


# -- reductions -------------------------------------------------------------------------------------------

VALUES_AND_WEIGHTS = [
    ((4,), None), ((4,), (4,)), ((4, 3), None), ((4, 3), (4,)), ((4, 3), (4, 1)), ((4, 3), (4, 3)),
    ((4, 3), ()), ((4, 1), (4,)), ((2, 3, 4), (2,)), ((2, 3, 4), (2, 3)), ((), None), ((), ()),
]


@pytest.mark.parametrize("cls", ["Mean", "Sum"])
@pytest.mark.parametrize("values_shape,weight_shape", VALUES_AND_WEIGHTS)
def test_mean_and_sum_sample_weight_broadcasting_match_keras(cls, values_shape, weight_shape):
    rng = np.random.default_rng(3)
    ours, theirs = getattr(metrics, cls)(), getattr(keras.metrics, cls)()
    for _ in range(2):
        values = rng.normal(size=values_shape).astype(np.float32)
        weight = None if weight_shape is None else rng.uniform(0, 2, size=weight_shape).astype(np.float32)
        ours.update_state(values, sample_weight=weight)
        theirs.update_state(values, sample_weight=weight)
    close(ours.result(), theirs.result())
    for a, b in zip(variable_values(ours), variable_values(theirs)):
        close(a, b)


def test_mean_metric_wrapper_matches_keras_with_kwargs_and_weights():
    rng = np.random.default_rng(4)
    ours = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc_at_0.7", threshold=0.7)
    theirs = keras.metrics.MeanMetricWrapper(keras.metrics.binary_accuracy, name="acc_at_0.7", threshold=0.7)
    for weight_shape in [None, (B,), (B, 1), (B, D)]:
        y_true = rng.integers(0, 2, size=(B, D)).astype(np.float32)
        y_pred = rng.uniform(size=(B, D)).astype(np.float32)
        weight = None if weight_shape is None else rng.uniform(0, 2, size=weight_shape).astype(np.float32)
        close(ours(y_true, y_pred, sample_weight=weight), theirs(y_true, y_pred, sample_weight=weight))
    assert ours.name == theirs.name
    assert ours.get_config() == theirs.get_config()


# -- function forms -----------------------------------------------------------------------------------------

def _probabilities(rng, shape):
    return _softmax(rng.normal(size=shape)).astype(np.float32)


def function_cases():
    rng = np.random.default_rng(5)
    ties = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4], [0.4, 0.4, 0.2]], np.float32)
    one_hot = np.eye(C, dtype=np.float32)
    return [
        ("accuracy", {}, rng.integers(0, 3, (B, 2)).astype(np.float32), rng.integers(0, 3, (B, 2)).astype(
            np.float32)),
        ("accuracy", {}, rng.integers(0, 3, (B,)), rng.integers(0, 3, (B, 1)).astype(np.float32)),
        ("binary_accuracy", {}, rng.integers(0, 2, (B, 1)), rng.uniform(size=(B, 1)).astype(np.float32)),
        ("binary_accuracy", {}, np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.6, 0.4, 0.5, 0.51], np.float32)),
        ("binary_accuracy", {"threshold": 0.45}, np.array([[True], [False]]), np.array([[0.5], [0.2]])),
        ("binary_accuracy", {}, rng.integers(0, 2, (2, 3, 4)), rng.uniform(size=(2, 3, 4)).astype(np.float32)),
        ("categorical_accuracy", {}, one_hot[rng.integers(0, C, B)], _probabilities(rng, (B, C))),
        ("categorical_accuracy", {}, one_hot[rng.integers(0, C, (2, 3))], _probabilities(rng, (2, 3, C))),
        ("categorical_accuracy", {}, np.eye(3, dtype=np.float32)[[0, 1, 0, 0]], ties),
        ("sparse_categorical_accuracy", {}, rng.integers(0, C, B), _probabilities(rng, (B, C))),
        ("sparse_categorical_accuracy", {}, rng.integers(0, C, (B, 1)), _probabilities(rng, (B, C))),
        ("sparse_categorical_accuracy", {}, rng.integers(0, C, (2, 3)), _probabilities(rng, (2, 3, C))),
        ("sparse_categorical_accuracy", {}, rng.integers(0, C, (2, 3, 1)), _probabilities(rng, (2, 3, C))),
        ("sparse_categorical_accuracy", {}, np.array([0, 1, 0, 0]), ties),
        ("top_k_categorical_accuracy", {"k": 2}, one_hot[rng.integers(0, C, B)], _probabilities(rng, (B, C))),
        ("top_k_categorical_accuracy", {"k": 1}, np.eye(3, dtype=np.float32)[[0, 1, 0, 1]], ties),
        ("top_k_categorical_accuracy", {"k": 2}, one_hot[rng.integers(0, C, (2, 3))],
         _probabilities(rng, (2, 3, C))),
        ("sparse_top_k_categorical_accuracy", {"k": 2}, rng.integers(0, C, B), _probabilities(rng, (B, C))),
        ("sparse_top_k_categorical_accuracy", {"k": 1}, np.array([0, 1, 0, 1]), ties),
        ("sparse_top_k_categorical_accuracy", {"k": 3}, rng.integers(0, C, (B, 1)), _probabilities(rng, (B, C))),
        ("sparse_top_k_categorical_accuracy", {"k": 2}, rng.integers(0, C, (2, 3)), _probabilities(rng, (2, 3, C))),
        ("sparse_top_k_categorical_accuracy", {"k": 1}, np.array([1, 0]),
         np.array([[np.nan, 0.2, 0.1], [np.nan, 0.5, 0.4]], np.float32)),
        ("sparse_top_k_categorical_accuracy", {"k": 2, "from_sorted_ids": True}, np.array([1, 1, 2, 1]),
         np.array([[1, 0, 2], [0, 2, 1], [2, 1, 0], [0, 1, 2]], np.float32)),
    ]


@pytest.mark.parametrize("fn_name,kwargs,y_true,y_pred", function_cases())
def test_metric_functions_match_keras(fn_name, kwargs, y_true, y_pred):
    ours = getattr(metrics, fn_name)(y_true, y_pred, **kwargs)
    # Keras 3 does not export `accuracy` from keras.metrics; its module has it.
    theirs = getattr(keras_accuracy_metrics, fn_name)(y_true, y_pred, **kwargs)
    assert ours.shape == theirs.shape
    assert str(ours.dtype) == str(theirs.dtype)
    close(ours, theirs)


# -- lookup ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("identifier", [
    "accuracy", "Accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mse", "MSE", "mae", "MAE", "mape",
    "MAPE", "msle", "MSLE", "mean_squared_error", "MeanAbsoluteError", "root_mean_squared_error",
    "cosine_similarity", "log_cosh_error", "r2_score", "mean", "sum", "RootMeanSquaredError"])
def test_get_resolves_strings_like_keras(identifier):
    ours, theirs = metrics.get(identifier), keras.metrics.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.name == theirs.name


def test_serialize_matches_keras_format():
    for ours, theirs in [(metrics.Mean(name="m"), keras.metrics.Mean(name="m")),
                         (metrics.BinaryAccuracy(threshold=0.3), keras.metrics.BinaryAccuracy(threshold=0.3))]:
        assert metrics.serialize(ours) == keras.metrics.serialize(theirs)
    assert metrics.serialize(metrics.binary_accuracy) == keras.metrics.serialize(keras.metrics.binary_accuracy)
