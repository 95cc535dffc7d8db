"""Hinge metrics: running (weighted) means of numpy per-sample hinge losses, names, directions, lookup."""
import numpy as np
import pytest

from kerasj import metrics

RNG = np.random.default_rng(0)
BINARY = RNG.integers(0, 2, size=(5, 3)).astype(np.float32)
ONE_HOT = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, size=5)]
SCORES = RNG.normal(size=(5, 3)).astype(np.float32)
WEIGHTS = np.array([1.0, 0.5, 0.0, 2.0, 1.0], np.float32)


def hinge(t, p):
    return np.maximum(1 - (2 * t - 1) * p, 0)  # 0/1 targets read as -1/1


CASES = [
    (metrics.Hinge, "hinge", BINARY, lambda t, p: hinge(t, p).mean(-1)),
    (metrics.Hinge, "hinge", 2 * BINARY - 1, lambda t, p: np.maximum(1 - t * p, 0).mean(-1)),
    (metrics.SquaredHinge, "squared_hinge", BINARY, lambda t, p: (hinge(t, p) ** 2).mean(-1)),
    (metrics.CategoricalHinge, "categorical_hinge", ONE_HOT,
     lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
]


@pytest.mark.parametrize("cls,name,y_true,per_sample", CASES)
def test_running_weighted_mean_of_the_per_sample_loss(cls, name, y_true, per_sample):
    m = cls()
    assert m.name == name and m._direction == "down"
    m.update_state(y_true, SCORES, sample_weight=WEIGHTS)
    m.update_state(y_true, SCORES)
    values = per_sample(y_true, SCORES)
    np.testing.assert_allclose(m.result(), (np.sum(values * WEIGHTS) + np.sum(values)) / (WEIGHTS.sum() + 5),
                               rtol=1e-5)
    assert cls.from_config(m.get_config()).get_config() == m.get_config()


@pytest.mark.parametrize("identifier,cls", [("hinge", metrics.Hinge), ("SquaredHinge", metrics.SquaredHinge),
                                            ("categorical_hinge", metrics.CategoricalHinge)])
def test_get_by_name(identifier, cls):
    assert type(metrics.get(identifier)) is cls
