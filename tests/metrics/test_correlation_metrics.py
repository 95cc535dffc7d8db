"""Correlation metrics against numpy: Pearson's r (np.corrcoef) and Lin's concordance coefficient, per
sample along an axis, averaged over samples."""
import numpy as np
import pytest

from kerasj import metrics

RNG = np.random.default_rng(0)
Y_TRUE = RNG.normal(size=(4, 6)).astype(np.float32)
Y_PRED = (Y_TRUE + RNG.normal(size=(4, 6))).astype(np.float32)


def concordance(t, p):
    cov = np.mean((t - t.mean()) * (p - p.mean()))
    return 2 * cov / (t.var() + p.var() + (t.mean() - p.mean()) ** 2)


@pytest.mark.parametrize("axis", [-1, 0])
def test_functions_match_numpy(axis):
    t, p = (Y_TRUE, Y_PRED) if axis == -1 else (Y_TRUE.T, Y_PRED.T)
    np.testing.assert_allclose(metrics.pearson_correlation(Y_TRUE, Y_PRED, axis=axis),
                               [np.corrcoef(a, b)[0, 1] for a, b in zip(t, p)], rtol=1e-4)
    np.testing.assert_allclose(metrics.concordance_correlation(Y_TRUE, Y_PRED, axis=axis),
                               [concordance(a, b) for a, b in zip(t, p)], rtol=1e-4)


def test_concordance_is_one_only_for_identical_inputs():
    np.testing.assert_allclose(metrics.concordance_correlation(Y_TRUE, Y_TRUE), np.ones(4), rtol=1e-5)
    shifted = metrics.concordance_correlation(Y_TRUE, Y_TRUE + 1.0)
    assert np.all(np.asarray(shifted) < 0.9)
    np.testing.assert_allclose(metrics.pearson_correlation(Y_TRUE, Y_TRUE + 1.0), np.ones(4), rtol=1e-5)


@pytest.mark.parametrize("cls,fn,name", [
    (metrics.PearsonCorrelation, metrics.pearson_correlation, "pearson_correlation"),
    (metrics.ConcordanceCorrelation, metrics.concordance_correlation, "concordance_correlation")])
def test_classes_average_per_sample_values(cls, fn, name):
    weights = np.array([1.0, 2.0, 0.0, 1.0], np.float32)
    m = cls()
    assert m.name == name and m._direction == "up"
    m.update_state(Y_TRUE, Y_PRED, sample_weight=weights)
    per_sample = np.asarray(fn(Y_TRUE, Y_PRED))
    np.testing.assert_allclose(m.result(), np.sum(per_sample * weights) / weights.sum(), rtol=1e-5)
    assert cls.from_config(cls(axis=0).get_config()).get_config()["axis"] == 0
