"""F-scores against numpy: per-class, micro, macro and weighted averages, both prediction rules, errors."""
import numpy as np
import pytest

from kerasj import metrics

RNG = np.random.default_rng(0)
Y_TRUE = RNG.integers(0, 2, size=(8, 3)).astype(np.float32)
Y_PRED = RNG.uniform(size=(8, 3)).astype(np.float32)
WEIGHTS = RNG.uniform(0, 2, size=8).astype(np.float32)


def numpy_fbeta(y_true, predicted, weights, beta, average):
    w = weights[:, None]
    axis = None if average == "micro" else 0
    tp = np.sum(w * predicted * y_true, axis=axis)
    fp = np.sum(w * predicted * (1 - y_true), axis=axis)
    fn = np.sum(w * (1 - predicted) * y_true, axis=axis)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    score = (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)
    if average == "weighted":
        support = np.sum(w * y_true, axis=0)
        return np.sum(score * support / support.sum())
    return np.mean(score) if average else score


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_fbeta_with_a_threshold_matches_numpy(average, beta):
    m = metrics.FBetaScore(average=average, beta=beta, threshold=0.4)
    m.update_state(Y_TRUE[:4], Y_PRED[:4], sample_weight=WEIGHTS[:4])
    m.update_state(Y_TRUE[4:], Y_PRED[4:], sample_weight=WEIGHTS[4:])
    expected = numpy_fbeta(Y_TRUE, (Y_PRED > 0.4).astype(np.float32), WEIGHTS, beta, average)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-4)


def test_without_threshold_each_rows_top_score_is_the_prediction():
    y_pred = Y_PRED.copy()
    y_pred[0] = 0.0  # an all-zero row predicts nothing
    m = metrics.F1Score()
    m.update_state(Y_TRUE, y_pred)
    predicted = (y_pred == y_pred.max(-1, keepdims=True)) & (y_pred != 0)
    expected = numpy_fbeta(Y_TRUE, predicted.astype(np.float32), np.ones(8, np.float32), 1.0, None)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-4)


@pytest.mark.parametrize("kwargs,match", [
    ({"average": "mean"}, "average"), ({"beta": 1}, "beta"), ({"beta": -1.0}, "beta"),
    ({"threshold": 1}, "threshold"), ({"threshold": 1.5}, "threshold")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.FBetaScore(**kwargs)


def test_bad_inputs_and_early_result():
    with pytest.raises(ValueError, match="2-D inputs"):
        metrics.F1Score().update_state(Y_TRUE[0], Y_PRED[0])
    with pytest.raises(ValueError, match="before any update_state"):
        metrics.F1Score().result()


def test_state_names_shapes_and_configs():
    m = metrics.F1Score(average="micro", threshold=0.5)
    m.update_state(Y_TRUE, Y_PRED)
    assert [v.name for v in m.variables] == ["true_positives", "false_positives", "false_negatives",
                                            "intermediate_weights"]
    assert all(v.shape == () for v in m.variables)
    assert m.name == "f1_score" and m._direction == "up"
    assert "beta" not in m.get_config()
    config = metrics.FBetaScore(average="weighted", beta=0.5, threshold=0.3).get_config()
    assert metrics.FBetaScore.from_config(config).get_config() == config
    m.reset_state()
    assert all(not np.any(v.numpy()) for v in m.variables)
