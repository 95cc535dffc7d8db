"""Confusion-matrix metrics against independent numpy computations: threshold counts, precision/recall
(top_k, class_id), rates under a constraint, AUC (ROC, PR, gain curves; multi-label), errors and configs."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj import metrics
from kerasj.metrics.confusion_metrics import update_confusion_matrix
from kerasj.variables import StateScope, Variable

RNG = np.random.default_rng(0)
Y_TRUE = RNG.integers(0, 2, size=(8, 3)).astype(np.float32)
Y_PRED = RNG.uniform(size=(8, 3)).astype(np.float32)
WEIGHTS = RNG.uniform(0, 2, size=8).astype(np.float32)


def numpy_counts(y_true, y_pred, thresholds, weights=None):
    """(tp, fp, tn, fn) per threshold, pooling all entries; weights are per row."""
    w = np.ones_like(y_pred) if weights is None else np.broadcast_to(weights[:, None], y_pred.shape)
    out = []
    for t in thresholds:
        above, positive = y_pred > t, y_true != 0
        out.append([np.sum(w * (above & positive)), np.sum(w * (above & ~positive)),
                    np.sum(w * (~above & ~positive)), np.sum(w * (~above & positive))])
    return np.array(out, np.float64).T


# -- the shared update ---------------------------------------------------------------------------------

def test_update_confusion_matrix_matches_numpy_on_uneven_thresholds():
    thresholds = [0.15, 0.5, 0.62]
    counts = {key: Variable(jnp.zeros(3)) for key in ("tp", "fp", "tn", "fn")}
    update_confusion_matrix(counts, Y_TRUE, Y_PRED, thresholds, sample_weight=WEIGHTS)
    expected = numpy_counts(Y_TRUE, Y_PRED, thresholds, WEIGHTS)
    for key, row in zip(("tp", "fp", "tn", "fn"), expected):
        np.testing.assert_allclose(counts[key].numpy(), row, rtol=1e-5)


def test_evenly_spaced_thresholds_clip_scores_to_the_unit_interval():
    # On the grid [0, 0.5, 1] a score of 1.5 counts as 1 (not above 1) and -0.5 as 0 (not above 0).
    tp = metrics.TruePositives(thresholds=[0.0, 0.5, 1.0])
    tp.update_state([1, 1, 1, 1], [-0.5, 0.0, 0.7, 1.5])
    np.testing.assert_array_equal(tp.result(), [2.0, 2.0, 0.0])
    # Off the grid the comparison is plain: 1.5 > 1.
    tp = metrics.TruePositives(thresholds=[0.2, 1.0])
    tp.update_state([1, 1, 1, 1], [-0.5, 0.0, 0.7, 1.5])
    np.testing.assert_array_equal(tp.result(), [2.0, 1.0])


def test_nonzero_labels_are_positive():
    fn = metrics.FalseNegatives(thresholds=0.5)
    fn.update_state([0.0, 0.3, 2.0, -1.0], [0.9, 0.1, 0.2, 0.8])
    assert float(fn.result()) == 2.0


def test_single_threshold_gives_a_scalar_and_a_list_gives_a_vector():
    assert metrics.TruePositives(thresholds=[0.3])(Y_TRUE, Y_PRED).shape == ()
    assert metrics.TruePositives(thresholds=[0.3, 0.6])(Y_TRUE, Y_PRED).shape == (2,)


def test_update_under_jit_in_a_state_scope_matches_eager():
    eager, traced = metrics.FalsePositives(thresholds=[0.2, 0.7]), metrics.FalsePositives(thresholds=[0.2, 0.7])
    variables = traced.variables

    @jax.jit
    def step(values, y_true, y_pred, weight):
        with StateScope(zip(variables, values)) as scope:
            traced.update_state(y_true, y_pred, sample_weight=weight)
            return scope.values(variables)

    values = step([v.value for v in variables], Y_TRUE, Y_PRED, WEIGHTS)
    eager.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    np.testing.assert_allclose(values[0], eager.accumulator.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(traced.accumulator.numpy(), [0.0, 0.0])


# -- precision and recall -----------------------------------------------------------------------------

def test_precision_and_recall_match_numpy_with_weights():
    tp, fp, _, fn = numpy_counts(Y_TRUE, Y_PRED, [0.5], WEIGHTS)[:, 0]
    precision, recall = metrics.Precision(), metrics.Recall()
    precision.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    recall.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    np.testing.assert_allclose(precision.result(), tp / (tp + fp), rtol=1e-5)
    np.testing.assert_allclose(recall.result(), tp / (tp + fn), rtol=1e-5)


def test_precision_top_k_counts_only_the_k_best_scores_of_each_row():
    y_true = np.array([[1, 0, 1, 0], [0, 1, 0, 1]], np.float32)
    y_pred = np.array([[0.9, 0.8, 0.1, 0.7], [-3.0, -1.0, -2.0, -4.0]], np.float32)
    m = metrics.Precision(top_k=2)  # row 0 picks classes 0, 1; row 1 picks 1, 2 (negative scores count)
    m.update_state(y_true, y_pred)
    assert float(m.true_positives.numpy()[0]) == 2.0 and float(m.false_positives.numpy()[0]) == 2.0
    recall = metrics.Recall(top_k=1, class_id=1)  # only row 1 has class 1 on top
    recall.update_state(y_true, y_pred)
    assert float(recall.result()) == 1.0


def test_precision_and_recall_start_at_zero():
    assert float(metrics.Precision().result()) == 0.0
    assert float(metrics.Recall().result()) == 0.0


# -- best rate under a constraint -------------------------------------------------------------------------

@pytest.mark.parametrize("cls,constrained,maximised", [
    (metrics.SensitivityAtSpecificity, "specificity", "sensitivity"),
    (metrics.SpecificityAtSensitivity, "sensitivity", "specificity"),
    (metrics.PrecisionAtRecall, "sensitivity", "precision"),
    (metrics.RecallAtPrecision, "precision", "sensitivity")])
def test_rate_at_constraint_is_the_best_feasible_value(cls, constrained, maximised):
    m = cls(0.6, num_thresholds=21)
    m.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    thresholds = [0.0] + [(i + 1) / 20 for i in range(19)] + [1.0]
    tp, fp, tn, fn = numpy_counts(Y_TRUE, Y_PRED, thresholds, WEIGHTS)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = {"sensitivity": np.nan_to_num(tp / (tp + fn)), "specificity": np.nan_to_num(tn / (tn + fp)),
                 "precision": np.nan_to_num(tp / (tp + fp))}
    feasible = rates[constrained] >= 0.6
    expected = rates[maximised][feasible].max() if feasible.any() else 0.0
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)


def test_rate_at_constraint_is_zero_when_nothing_is_feasible():
    m = metrics.RecallAtPrecision(1.0, num_thresholds=5)
    m.update_state([1, 0], [0.2, 0.9])  # the negative always outranks the positive
    assert float(m.result()) == 0.0


# -- AUC --------------------------------------------------------------------------------------------------

def rank_auc(y_true, y_score):
    """Exact ROC AUC: the probability that a positive outscores a negative (ties count half)."""
    pos, neg = y_score[y_true == 1], y_score[y_true == 0]
    return np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))


def test_roc_auc_approaches_the_exact_rank_statistic():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, size=400)
    y_score = np.clip(0.3 * y_true + rng.uniform(size=400) * 0.7, 0, 1).astype(np.float32)
    m = metrics.AUC(num_thresholds=1000)
    m.update_state(y_true, y_score)
    np.testing.assert_allclose(m.result(), rank_auc(y_true, y_score), atol=5e-3)


def test_auc_of_separable_and_reversed_scores():
    perfect = metrics.AUC()
    perfect.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    np.testing.assert_allclose(perfect.result(), 1.0, atol=1e-6)
    reversed_ = metrics.AUC()
    reversed_.update_state([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])
    np.testing.assert_allclose(reversed_.result(), 0.0, atol=1e-6)


def riemann_auc(x, y, method):
    heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
               "majoring": np.maximum(y[:-1], y[1:])}[method]
    return np.sum((x[:-1] - x[1:]) * heights)


@pytest.mark.parametrize("curve,method", [("ROC", "interpolation"), ("ROC", "majoring"), ("PR", "minoring")])
def test_auc_is_the_riemann_sum_of_the_curve(curve, method):
    m = metrics.AUC(num_thresholds=11, curve=curve, summation_method=method)
    m.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    eps = 1e-7
    thresholds = [-eps] + [(i + 1) / 10 for i in range(9)] + [1 + eps]
    tp, fp, tn, fn = numpy_counts(Y_TRUE, Y_PRED, thresholds, WEIGHTS)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.nan_to_num(tp / (tp + fn))
        x, y = ((np.nan_to_num(fp / (fp + tn)), recall) if curve == "ROC"
                else (recall, np.nan_to_num(tp / (tp + fp))))
    np.testing.assert_allclose(m.result(), riemann_auc(x, y, method), rtol=1e-5)


def test_interpolated_pr_auc_matches_the_davis_goadrich_integral():
    # With two thresholds between 0 and 1, the curve has three points; integrate precision = tp / p over
    # recall in closed form, where tp is linear in the number of predicted positives p along each segment.
    y_true = np.array([1, 0, 1, 1, 0, 1], np.float32)
    y_pred = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1], np.float32)
    m = metrics.AUC(curve="PR", thresholds=[0.25, 0.5])
    m.update_state(y_true, y_pred)
    tp, fp, _, fn = numpy_counts(y_true, y_pred, [-1e-7, 0.25, 0.5, 1 + 1e-7])
    total = 0.0
    for i in range(3):
        p0, p1 = tp[i] + fp[i], tp[i + 1] + fp[i + 1]
        if p0 == p1:
            continue
        slope = (tp[i] - tp[i + 1]) / (p0 - p1)
        intercept = tp[i + 1] - slope * p1
        ratio = p0 / p1 if p1 > 0 else 1.0  # the last segment ends at p = 0: no log term
        total += slope * (tp[i] - tp[i + 1] + intercept * np.log(ratio)) / (tp[i + 1] + fn[i + 1])
    np.testing.assert_allclose(m.result(), total, rtol=1e-5)


def test_multi_label_auc_averages_per_label_aucs_with_label_weights():
    label_weights = [0.5, 1.0, 2.0]
    multi = metrics.AUC(num_thresholds=50, multi_label=True, label_weights=label_weights)
    multi.update_state(Y_TRUE, Y_PRED)
    per_label = []
    for j in range(3):
        single = metrics.AUC(num_thresholds=50)
        single.update_state(Y_TRUE[:, j], Y_PRED[:, j])
        per_label.append(float(single.result()))
    np.testing.assert_allclose(multi.result(), np.average(per_label, weights=label_weights), rtol=1e-5)
    assert multi.true_positives.shape == (50, 3)


def test_auc_from_logits_applies_a_sigmoid():
    logits = np.array([-2.0, 0.5, 1.0, -0.3], np.float32)
    a, b = metrics.AUC(num_thresholds=7, from_logits=True), metrics.AUC(num_thresholds=7)
    a.update_state([0, 1, 1, 0], logits)
    b.update_state([0, 1, 1, 0], 1 / (1 + np.exp(-logits)))
    np.testing.assert_allclose(a.result(), b.result(), rtol=1e-6)


def test_pr_gain_auc_of_a_perfect_ranking_is_one():
    m = metrics.AUC(curve="PRGAIN", num_thresholds=11)
    m.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    np.testing.assert_allclose(m.result(), 1.0, atol=1e-6)


def test_auc_thresholds_argument():
    m = metrics.AUC(thresholds=[0.7, 0.2])
    assert m.num_thresholds == 4
    np.testing.assert_allclose(m.thresholds, [-1e-7, 0.2, 0.7, 1 + 1e-7])
    assert m.get_config()["thresholds"] == [0.2, 0.7]


# -- errors, names, configs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("build,match", [
    (lambda: metrics.TruePositives(thresholds=[0.2, 1.5]), "threshold values must be in \\[0, 1\\]"),
    (lambda: metrics.Precision(thresholds=-0.1), "threshold values"),
    (lambda: metrics.AUC(num_thresholds=1), "num_thresholds"),
    (lambda: metrics.AUC(curve="roc_curve"), "\\['ROC', 'PR', 'PRGAIN'\\]"),
    (lambda: metrics.AUC(summation_method="trapezoid"), "'interpolation', 'minoring', 'majoring'"),
    (lambda: metrics.AUC(num_labels=3), "num_labels"),
    (lambda: metrics.AUC(label_weights=[1.0, -1.0]), "non-negative"),
    (lambda: metrics.SensitivityAtSpecificity(1.5), "specificity"),
    (lambda: metrics.PrecisionAtRecall(0.5, num_thresholds=0), "num_thresholds"),
])
def test_bad_arguments_raise_value_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match="class_id=5"):
        metrics.Precision(class_id=5).update_state(Y_TRUE, Y_PRED)
    with pytest.raises(ValueError, match="multi_label=True"):
        metrics.AUC(multi_label=True).update_state(Y_TRUE[:, 0], Y_PRED[:, 0])
    with pytest.raises(ValueError, match="before any update_state"):
        metrics.AUC(multi_label=True).result()
    with pytest.raises(ValueError, match="sample_weight of shape \\(3,\\)"):
        metrics.TruePositives().update_state(Y_TRUE, Y_PRED, sample_weight=np.ones(3))


def test_names_directions_and_variables():
    assert metrics.Precision(name="p").name == "p"
    assert metrics.AUC()._direction == "up" and metrics.TruePositives()._direction is None
    assert [v.name for v in metrics.Recall().variables] == ["true_positives", "false_negatives"]
    assert [v.name for v in metrics.FalsePositives().variables] == ["accumulator"]


@pytest.mark.parametrize("metric", [
    metrics.TruePositives(thresholds=[0.2, 0.4]), metrics.Precision(top_k=3, class_id=1),
    metrics.RecallAtPrecision(0.7, num_thresholds=50, class_id=2),
    metrics.AUC(curve="PR", summation_method="majoring", multi_label=True, num_labels=3,
                label_weights=[1.0, 2.0, 0.5], from_logits=True)])
def test_config_round_trip(metric):
    config = metric.get_config()
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    assert [v.shape for v in clone.variables] == [v.shape for v in metric.variables]
