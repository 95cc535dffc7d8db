"""Regression metrics against numpy formulas: error means, RMSE, cosine similarity, R² (plain, weighted,
aggregated, adjusted), names and arguments."""
import jax
import numpy as np
import pytest

from kerasj import metrics
from kerasj.variables import StateScope

RNG = np.random.default_rng(0)
Y_TRUE = RNG.uniform(0.5, 2.0, size=(5, 3)).astype(np.float32)
Y_PRED = RNG.uniform(0.5, 2.0, size=(5, 3)).astype(np.float32)
WEIGHTS = np.array([1.0, 0.5, 0.0, 2.0, 1.0], np.float32)


def weighted_mean(per_sample, w=WEIGHTS):
    return (per_sample * w).sum() / w.sum()


@pytest.mark.parametrize("cls,name,per_sample", [
    (metrics.MeanSquaredError, "mean_squared_error", lambda t, p: ((t - p) ** 2).mean(-1)),
    (metrics.MeanAbsoluteError, "mean_absolute_error", lambda t, p: np.abs(t - p).mean(-1)),
    (metrics.MeanAbsolutePercentageError, "mean_absolute_percentage_error",
     lambda t, p: 100 * np.abs((t - p) / t).mean(-1)),
    (metrics.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error",
     lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1)),
    (metrics.LogCoshError, "logcosh", lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    (metrics.CosineSimilarity, "cosine_similarity",
     lambda t, p: (t * p).sum(-1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1)),
])
def test_error_means_match_numpy(cls, name, per_sample):
    m = cls()
    assert m.name == name
    m.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    np.testing.assert_allclose(m.result(), weighted_mean(per_sample(Y_TRUE, Y_PRED)), rtol=1e-5)
    m.update_state(Y_PRED, Y_TRUE)
    both = np.concatenate([per_sample(Y_TRUE, Y_PRED), per_sample(Y_PRED, Y_TRUE)])
    np.testing.assert_allclose(m.result(), weighted_mean(both, np.concatenate([WEIGHTS, np.ones(5)])), rtol=1e-5)


def test_directions():
    assert metrics.MeanSquaredError()._direction == "down"
    assert metrics.RootMeanSquaredError()._direction == "down"
    assert metrics.CosineSimilarity()._direction == "up"
    assert metrics.R2Score()._direction == "up"


def test_cosine_similarity_along_another_axis():
    m = metrics.CosineSimilarity(axis=0)
    m.update_state(Y_TRUE, Y_PRED)
    expected = (Y_TRUE * Y_PRED).sum(0) / np.linalg.norm(Y_TRUE, axis=0) / np.linalg.norm(Y_PRED, axis=0)
    np.testing.assert_allclose(m.result(), expected.mean(), rtol=1e-5)
    assert m.get_config()["axis"] == 0


def test_rmse_is_sqrt_of_weighted_mean_squared_error():
    m = metrics.RootMeanSquaredError()
    m.update_state(Y_TRUE, Y_PRED, sample_weight=WEIGHTS)
    expected = np.sqrt(weighted_mean(((Y_TRUE - Y_PRED) ** 2).mean(-1)))
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)
    m.reset_state()
    m.update_state(Y_TRUE[:, 0], Y_PRED[:, :1])  # (batch,) targets meet (batch, 1) predictions
    np.testing.assert_allclose(m.result(), np.sqrt(((Y_TRUE[:, 0] - Y_PRED[:, 0]) ** 2).mean()), rtol=1e-5)


def r2_numpy(y_true, y_pred, w=None):
    """Per-column weighted R²: 1 - sum w (y - f)^2 / sum w (y - weighted mean)^2."""
    w = np.ones(len(y_true)) if w is None else w
    w = w[:, None]
    mean = (w * y_true).sum(0) / w.sum(0)
    return 1 - (w * (y_true - y_pred) ** 2).sum(0) / (w * (y_true - mean) ** 2).sum(0)


def test_r2_score_per_output_and_aggregations():
    scores = r2_numpy(Y_TRUE, Y_PRED)
    for aggregation, expected in [(None, scores), ("uniform_average", scores.mean())]:
        m = metrics.R2Score(class_aggregation=aggregation)
        m.update_state(Y_TRUE, Y_PRED)
        np.testing.assert_allclose(m.result(), expected, rtol=1e-4)
    variances = ((Y_TRUE - Y_TRUE.mean(0)) ** 2).sum(0)
    m = metrics.R2Score(class_aggregation="variance_weighted_average")
    m.update_state(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(m.result(), (variances * scores).sum() / variances.sum(), rtol=1e-4)


def test_r2_score_accumulates_weighted_batches():
    m = metrics.R2Score(class_aggregation=None)
    m.update_state(Y_TRUE[:2], Y_PRED[:2], sample_weight=WEIGHTS[:2])
    m.update_state(Y_TRUE[2:], Y_PRED[2:], sample_weight=WEIGHTS[2:])
    np.testing.assert_allclose(m.result(), r2_numpy(Y_TRUE, Y_PRED, WEIGHTS), rtol=1e-4)


def test_adjusted_r2_and_its_fallback():
    plain = r2_numpy(Y_TRUE, Y_PRED).mean()
    n = Y_TRUE.size  # Keras counts every entry as a sample
    m = metrics.R2Score(num_regressors=2)
    m.update_state(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(m.result(), 1 - (1 - plain) * (n - 1) / (n - 2 - 1), rtol=1e-4)
    for p in (n - 1, n + 3):  # too many regressors: plain R²
        m = metrics.R2Score(num_regressors=p)
        m.update_state(Y_TRUE, Y_PRED)
        np.testing.assert_allclose(m.result(), plain, rtol=1e-4)


def test_r2_constant_target_column_scores_zero():
    m = metrics.R2Score(class_aggregation=None)
    m.update_state(np.ones((4, 1)), np.array([[0.5], [1.0], [2.0], [1.5]]))
    assert float(m.result()[0]) == 0.0


def test_r2_variables_are_built_on_first_update_and_reset():
    m = metrics.R2Score()
    assert [v.name for v in m.variables] == ["num_samples"]
    m.update_state(Y_TRUE, Y_PRED)
    assert [v.path for v in m.variables] == ["r2_score/num_samples", "r2_score/squared_sum", "r2_score/sum",
                                             "r2_score/residual", "r2_score/count"]
    assert m.sum.shape == (3,)
    m.reset_state()
    assert all(not np.asarray(v).any() for v in m.variables)


def test_r2_under_jit_matches_eager():
    jitted, eager = metrics.R2Score(num_regressors=1), metrics.R2Score(num_regressors=1)
    jitted.update_state(Y_TRUE, Y_PRED)
    jitted.reset_state()
    variables = jitted.variables

    @jax.jit
    def step(values, y_true, y_pred):
        with StateScope(zip(variables, values)) as scope:
            jitted.update_state(y_true, y_pred)
            return scope.values(variables), jitted.result()

    values = [v.value for v in variables]
    for lo, hi in ((0, 2), (2, 5)):
        values, result = step(values, Y_TRUE[lo:hi], Y_PRED[lo:hi])
        eager.update_state(Y_TRUE[lo:hi], Y_PRED[lo:hi])
    np.testing.assert_allclose(result, eager.result(), rtol=1e-5)


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4)])
def test_r2_rejects_non_2d_inputs(shape):
    with pytest.raises(ValueError, match="R2Score expects 2-D"):
        metrics.R2Score().update_state(np.ones(shape), np.ones(shape))


def test_r2_argument_checks_and_config():
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="before any update_state"):
        metrics.R2Score().result()
    m = metrics.R2Score(class_aggregation=None, num_regressors=3, name="r2")
    assert m.get_config() == {"name": "r2", "dtype": "float32", "class_aggregation": None, "num_regressors": 3}
