"""kerasj.metrics against keras.metrics (Keras 3, JAX backend) for the confusion-matrix, IoU, F-score,
probabilistic, hinge and correlation metrics: the same batches, with and without sample_weight, give the
same state, results, names and configs; an update jitted inside a StateScope matches the eager one (and so
Keras, which the eager one is checked against on the same batches)."""
import os
import re

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

from kerasj import metrics
from kerasj.utils import naming
from kerasj.variables import StateScope

# Keras warns about whole-number float weights for its integer IoU state, and about int64 labels.
pytestmark = [pytest.mark.filterwarnings("ignore:You are passing weight as `float`:UserWarning"),
              pytest.mark.filterwarnings("ignore:Explicitly requested dtype int64:UserWarning")]

RTOL, ATOL = 1e-5, 1e-6
B, D = 6, 3
C = D  # classes; equal to D so that most inputs share one shape (and compiled programs)
F32 = np.float32


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(F32)


def _edge_scores(rng, shape):
    """Scores on and just beside the thresholds of even grids (n = 3, 5, 200), and outside [0, 1]."""
    grid = np.concatenate([np.arange(5, dtype=F32) / F32(4), np.arange(200, dtype=F32)[::17] / F32(199)])
    grid = np.concatenate([grid, np.nextafter(grid, F32(2)), np.nextafter(grid, F32(-1)),
                           np.array([-0.3, 1.4, 0.0, 1.0], F32)])
    return rng.choice(grid, size=shape).astype(F32)


def make_inputs(kind, rng):
    """(y_true, y_pred) for one batch, and the shape of its per-sample weights."""
    labels = lambda shape: rng.integers(0, 2, size=shape)  # noqa: E731
    if kind == "binary":
        return labels((B, 1)), rng.uniform(size=(B, 1)).astype(F32), (B,)
    if kind == "binary_flat":
        return labels(B).astype(F32), rng.uniform(size=B).astype(F32), (B,)
    if kind == "binary_multi":
        return labels((B, D)), rng.uniform(size=(B, D)).astype(F32), (B,)
    if kind == "edges":
        return labels((B, D)), _edge_scores(rng, (B, D)), (B,)
    if kind == "soft_labels":  # any nonzero label is a positive
        return rng.choice(np.array([0.0, 0.3, 1.0, 2.0], F32), size=(B, D)), _edge_scores(rng, (B, D)), (B,)
    if kind == "scores":  # multi-hot labels, unbounded scores
        return labels((B, C)), rng.normal(size=(B, C)).astype(F32), (B,)
    if kind == "logits":
        return labels((B, D)), (3 * rng.normal(size=(B, D))).astype(F32), (B,)
    if kind == "segments":  # class ids per pixel; per-pixel weights
        return rng.integers(0, C, size=(B, 2)), rng.integers(0, C, size=(B, 2)), (B, 2)
    if kind == "segments_out_of_range":
        return rng.integers(-1, C + 1, size=(B, 2)), rng.integers(-1, C + 1, size=(B, 2)), (B, 2)
    if kind == "sparse_scores":
        return rng.integers(0, C, size=B), _softmax(rng.normal(size=(B, C))), (B,)
    if kind == "onehot":
        return np.eye(C, dtype=F32)[rng.integers(0, C, size=B)], _softmax(rng.normal(size=(B, C))), (B,)
    if kind == "onehot_sparse_pred":
        return np.eye(C, dtype=F32)[rng.integers(0, C, size=B)], rng.integers(0, C, size=B), (B,)
    if kind == "binary_iou":  # includes scores exactly at the 0.5 threshold
        return labels((B, D)), rng.choice(np.array([0.1, 0.5, 0.7, 0.3, 0.9], F32), size=(B, D)), (B, D)
    if kind == "multi_hot":  # includes an all-zero score row
        y_pred = rng.uniform(size=(B, C)).astype(F32)
        y_pred[0] = 0.0
        return labels((B, C)).astype(F32), y_pred, (B,)
    if kind == "categorical":
        return np.eye(C, dtype=F32)[rng.integers(0, C, size=B)], _softmax(rng.normal(size=(B, C))), (B,)
    if kind == "categorical_logits":
        return np.eye(C, dtype=F32)[rng.integers(0, C, size=B)], rng.normal(size=(B, C)).astype(F32), (B,)
    if kind == "sparse":
        return rng.integers(0, C, size=B), _softmax(rng.normal(size=(B, C))), (B,)
    if kind == "positive":
        return rng.uniform(0.1, 3.0, size=(B, D)).astype(F32), rng.uniform(0.1, 3.0, size=(B, D)).astype(F32), (B,)
    if kind == "signs":
        return rng.choice(np.array([-1.0, 1.0], F32), size=(B, D)), rng.normal(size=(B, D)).astype(F32), (B,)
    if kind == "regression":
        y_true = rng.normal(size=(B, D + 2)).astype(F32)
        return y_true, (y_true + rng.normal(size=(B, D + 2))).astype(F32), (B,)
    raise AssertionError(kind)


# (class name, constructor args, constructor kwargs, input kind, integer weights[, extra checks]). Each
# case exercises a distinct behaviour; the list is kept short because every configuration compiles its own
# programs. "jit" / "stateless" select the cases (one per code path) that the compiled / stateless checks run.
CASES = [
    # An even grid of thresholds clips scores to [0, 1]; an uneven one compares them as they are.
    ("TruePositives", (), {"thresholds": [0.0, 0.5, 1.0]}, "edges", False, "jit"),
    ("FalsePositives", (), {"thresholds": [0.2, 0.9]}, "edges", False),
    ("TrueNegatives", (), {}, "binary", False),
    ("FalseNegatives", (), {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, "soft_labels", False),
    ("Precision", (), {}, "binary_flat", False),
    ("Precision", (), {"class_id": 2, "top_k": 2}, "scores", False, "jit"),
    ("Recall", (), {"top_k": 1, "thresholds": [0.1, 0.5, 0.8]}, "scores", False),
    ("SensitivityAtSpecificity", (0.5,), {}, "binary_multi", False),
    ("SpecificityAtSensitivity", (0.3,), {"num_thresholds": 1, "class_id": 1}, "scores", False),
    ("PrecisionAtRecall", (0.7,), {}, "edges", False),
    ("RecallAtPrecision", (0.6,), {"num_thresholds": 2}, "soft_labels", False),
    ("AUC", (), {}, "edges", False),
    ("AUC", (), {"num_thresholds": 11, "summation_method": "majoring"}, "soft_labels", False),
    ("AUC", (), {"curve": "PR", "thresholds": [0.7, 0.2, 0.45]}, "edges", False),
    # User thresholds that form an even grid are treated like the default grid.
    ("AUC", (), {"curve": "PRGAIN", "summation_method": "minoring", "thresholds": [0.25, 0.5, 0.75]}, "edges",
     False),
    ("AUC", (), {"from_logits": True, "label_weights": [0.5, 1.0, 2.0]}, "logits", False),
    ("AUC", (), {"multi_label": True, "label_weights": [0.5, 1.0, 2.0], "curve": "PR"}, "edges", False,
     "jit stateless"),
    ("IoU", (C, [0, 2]), {}, "segments", True, "jit"),
    ("BinaryIoU", (), {"target_class_ids": [1], "threshold": 0.5, "dtype": "float32"}, "binary_iou", False),
    ("MeanIoU", (C,), {"ignore_class": 1, "dtype": "float32"}, "segments_out_of_range", False, "stateless"),
    ("OneHotIoU", (C, [1, 2]), {"sparse_y_pred": True, "dtype": "float32"}, "onehot_sparse_pred", False),
    ("OneHotMeanIoU", (C,), {"ignore_class": 2}, "onehot", True),
    ("FBetaScore", (), {}, "multi_hot", False, "jit stateless"),
    ("FBetaScore", (), {"average": "weighted", "beta": 0.5, "threshold": 0.4}, "multi_hot", False),
    ("F1Score", (), {"average": "micro", "threshold": 0.5}, "multi_hot", False),
    ("BinaryCrossentropy", (), {"from_logits": True, "label_smoothing": 0.1}, "logits", False),
    ("CategoricalCrossentropy", (), {"label_smoothing": 0.2}, "categorical", False),
    ("SparseCategoricalCrossentropy", (), {"ignore_class": 1}, "sparse", False, "jit"),
    ("KLDivergence", (), {}, "categorical", False),
    ("Poisson", (), {}, "positive", False),
    ("Hinge", (), {}, "binary_multi", False),
    ("SquaredHinge", (), {}, "signs", False),
    ("CategoricalHinge", (), {}, "categorical", False),
    ("PearsonCorrelation", (), {}, "regression", False),
    ("ConcordanceCorrelation", (), {}, "regression", False, "jit"),
]


def cases(check=None):
    """pytest params for all CASES, or for those marked with `check`."""
    return [pytest.param(*case[:5], id=f"{case[0]}-{case[3]}-{'-'.join(map(str, case[1]))}-"
                                       f"{'-'.join(f'{k}={v}' for k, v in case[2].items())}")
            for case in CASES if check is None or check in (case[5:] or ("",))[0].split()]


# Metrics whose state is created by their first update (the number of classes or labels comes from data).
LAZY = {"FBetaScore", "F1Score"}


def is_lazy(name, kwargs):
    return name in LAZY or (name == "AUC" and kwargs.get("multi_label") and not kwargs.get("num_labels"))


def batches(kind, integer_weights, seed=0, n=3):
    """`n` batches (y_true, y_pred, sample_weight); the middle one is unweighted."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        y_true, y_pred, weight_shape = make_inputs(kind, rng)
        if i == 1:
            weight = None
        elif integer_weights:  # integer state: Keras truncates fractional weights, so use whole ones
            weight = rng.integers(0, 4, size=weight_shape).astype(F32)
        else:
            weight = rng.uniform(0.0, 2.0, size=weight_shape).astype(F32)
        out.append((y_true, y_pred, weight))
    return out


def pair(name, args, kwargs):
    """The same metric in kerasj (with fresh default-name counters) and in Keras."""
    naming.clear_session()
    return getattr(metrics, name)(*args, **kwargs), getattr(keras.metrics, name)(*args, **kwargs)


def same_name(ours, theirs):
    # Keras's counters are not reset (its clear_session is slow), so its default names may carry a "_<n>"
    # suffix that kerasj's fresh counters do not: compare the names without it.
    return ours.name == re.sub(r"_\d+$", "", theirs.name)


def update(metric, batch):
    y_true, y_pred, weight = batch
    metric.update_state(y_true, y_pred, sample_weight=weight)


def close(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    # Counts near 0 inherit float32 rounding from the totals they are derived from in Keras (e.g. a false
    # negative count of -2e-6 next to counts of 40), so the absolute tolerance scales with the largest value.
    scale = max(1.0, float(np.nanmax(np.abs(theirs)))) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL * scale)


def variable_values(metric):
    return [np.asarray(v) for v in metric.variables]


def plain(value):
    """Config values as plain Python (Keras keeps label_weights as an array and thresholds as np.float64)."""
    if isinstance(value, (list, tuple)) or hasattr(value, "__array__"):
        return [float(v) for v in np.asarray(value).reshape(-1)]
    return value


@pytest.mark.parametrize("name,args,kwargs,kind,integer_weights", cases())
def test_metric_matches_keras(name, args, kwargs, kind, integer_weights):
    """Name, state after each batch, results, reset, __call__, config and direction, all as in Keras."""
    ours, theirs = pair(name, args, kwargs)
    assert same_name(ours, theirs)
    assert getattr(ours, "_direction", None) == getattr(theirs, "_direction", None)
    for batch in batches(kind, integer_weights):
        update(ours, batch)
        update(theirs, batch)
        close(ours.result(), theirs.result())
    assert [v.path for v in ours.variables] == [f"{ours.name}/{v.path.split('/')[-1]}" for v in theirs.variables]
    assert [str(v.dtype) for v in ours.variables] == [str(v.dtype) for v in theirs.variables]
    for a, b in zip(variable_values(ours), variable_values(theirs)):
        close(a, b)

    ours.reset_state()
    theirs.reset_state()
    for a, b in zip(variable_values(ours), variable_values(theirs)):
        close(a, b)
    y_true, y_pred, weight = batches(kind, integer_weights, seed=1, n=1)[0]
    close(ours(y_true, y_pred, sample_weight=weight), theirs(y_true, y_pred, sample_weight=weight))

    ours_config, theirs_config = ours.get_config(), {**theirs.get_config(), "name": ours.name}  # (names: above)
    assert set(ours_config) == set(theirs_config)
    assert {k: plain(v) for k, v in ours_config.items()} == {k: plain(v) for k, v in theirs_config.items()}
    assert type(ours).from_config(ours_config).get_config() == ours_config
    assert metrics.deserialize(metrics.serialize(ours)).get_config() == ours_config


@pytest.mark.parametrize("name,args,kwargs,kind,integer_weights", cases("jit"))
def test_update_jitted_inside_state_scope_matches_eager(name, args, kwargs, kind, integer_weights):
    data = batches(kind, integer_weights)
    ours, eager = pair(name, args, kwargs)[0], getattr(metrics, name)(*args, **kwargs)
    if is_lazy(name, kwargs):  # create the state outside the trace, as a compiled step would
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
        close(result, eager.result())
    for a, b in zip(values, variable_values(eager)):
        close(a, b)
    for a in variable_values(ours):  # the scope kept the metric's own state untouched
        assert not np.any(a)


@pytest.mark.parametrize("name,args,kwargs,kind,integer_weights", cases("stateless"))
def test_stateless_api_matches_keras(name, args, kwargs, kind, integer_weights):
    data = batches(kind, integer_weights)
    ours, theirs = pair(name, args, kwargs)
    if is_lazy(name, kwargs):
        for m in (ours, theirs):
            update(m, data[0])
            m.reset_state()
    ours_values = [v.value for v in ours.variables]
    theirs_values = [v.value for v in theirs.variables]
    for y_true, y_pred, weight in data:
        ours_values = ours.stateless_update_state(ours_values, y_true, y_pred, sample_weight=weight)
        theirs_values = theirs.stateless_update_state(theirs_values, y_true, y_pred, sample_weight=weight)
    for a, b in zip(ours_values, theirs_values):
        close(a, b)
    close(ours.stateless_result(ours_values), theirs.stateless_result(theirs_values))


# -- weights that cover more than the batch axis -----------------------------------------------------------

@pytest.mark.parametrize("values_shape,weight_shape", [((B, D), (B, 1)), ((B, D), (B, D)), ((B, D), ()),
                                                       ((B, 2, D), (B, 2))])
def test_confusion_sample_weight_broadcasting_matches_keras(values_shape, weight_shape):
    rng = np.random.default_rng(7)
    ours, theirs = pair("Precision", (), {"thresholds": [0.3, 0.6]})
    y_true = rng.integers(0, 2, size=values_shape)
    y_pred = rng.uniform(size=values_shape).astype(F32)
    weight = rng.uniform(0, 2, size=weight_shape).astype(F32)
    update(ours, (y_true, y_pred, weight))
    update(theirs, (y_true, y_pred, weight))
    for a, b in zip(variable_values(ours), variable_values(theirs)):
        close(a, b)


# -- function forms and lookup ------------------------------------------------------------------------------

@pytest.mark.parametrize("fn_name", ["pearson_correlation", "concordance_correlation"])
def test_correlation_functions_match_keras(fn_name):
    rng = np.random.default_rng(8)
    y_true = rng.normal(size=(4, 5)).astype(F32)
    y_pred = (y_true + rng.normal(size=(4, 5))).astype(F32)
    ours, theirs = getattr(metrics, fn_name), getattr(keras.metrics, fn_name)
    close(ours(y_true, y_pred, axis=0), theirs(y_true, y_pred, axis=0))
    close(ours(y_true[0], y_pred[0]), theirs(y_true[0], y_pred[0]))


@pytest.mark.parametrize("identifier", [
    "auc", "AUC", "precision", "true_positives", "f_beta_score", "binary_crossentropy", "bce", "BCE",
    "kl_divergence", "squared_hinge", "pearson_correlation"])
def test_get_resolves_new_names_like_keras(identifier):
    naming.clear_session()
    ours, theirs = metrics.get(identifier), keras.metrics.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__
    assert same_name(ours, theirs)


@pytest.mark.parametrize("identifier", ["io_u", "mean_io_u", "sensitivity_at_specificity"])
def test_names_of_classes_with_required_arguments_resolve_but_need_them(identifier):
    with pytest.raises(TypeError):
        keras.metrics.get(identifier)
    with pytest.raises(TypeError):
        metrics.get(identifier)
