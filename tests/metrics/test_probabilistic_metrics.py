"""Probabilistic metrics: running (weighted) means of numpy per-sample losses, names,
directions and the ignore_class weighting of SparseCategoricalCrossentropy."""
import numpy as np
import pytest

from kerasj import metrics

RNG = np.random.default_rng(0)
EPS = 1e-7
LABELS = RNG.integers(0, 3, size=5)
ONE_HOT = np.eye(3, dtype=np.float32)[LABELS]
PROBS = RNG.uniform(0.05, 1.0, size=(5, 3)).astype(np.float32)
PROBS /= PROBS.sum(-1, keepdims=True)
BINARY = RNG.integers(0, 2, size=(5, 3)).astype(np.float32)
SCORES = RNG.normal(size=(5, 3)).astype(np.float32)  # logits
WEIGHTS = np.array([1.0, 0.5, 0.0, 2.0, 1.0], np.float32)


def bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


CASES = [
    (metrics.BinaryCrossentropy, {}, "binary_crossentropy", BINARY, PROBS, bce),
    (metrics.CategoricalCrossentropy, {}, "categorical_crossentropy", ONE_HOT, PROBS,
     lambda t, p: -(t * np.log(np.clip(p, EPS, 1 - EPS))).sum(-1)),
    (metrics.SparseCategoricalCrossentropy, {}, "sparse_categorical_crossentropy", LABELS, PROBS,
     lambda t, p: -np.log(np.clip(p, EPS, 1 - EPS))[np.arange(5), t]),
    (metrics.KLDivergence, {}, "kl_divergence", ONE_HOT, PROBS,
     lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1)),
    (metrics.Poisson, {}, "poisson", ONE_HOT, PROBS, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
]


@pytest.mark.parametrize("cls,kwargs,name,y_true,y_pred,per_sample", CASES, ids=[c[2] for c in CASES])
def test_running_weighted_mean_of_the_per_sample_loss(cls, kwargs, name, y_true, y_pred, per_sample):
    m = cls(**kwargs)
    assert m.name == name and m._direction == "down"
    m.update_state(y_true, y_pred, sample_weight=WEIGHTS)
    m.update_state(y_true, y_pred)
    values = per_sample(y_true, y_pred)
    expected = (np.sum(values * WEIGHTS) + np.sum(values)) / (WEIGHTS.sum() + 5)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)
    config = m.get_config()
    assert type(m).from_config(config).get_config() == config


def test_cross_entropies_from_logits_and_with_label_smoothing():
    logits = SCORES
    m = metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    m.update_state(BINARY, logits)
    smoothed = BINARY * 0.8 + 0.1
    expected = np.mean(-(smoothed * np.log(1 / (1 + np.exp(-logits)))
                         + (1 - smoothed) * np.log(1 - 1 / (1 + np.exp(-logits)))).mean(-1))
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)
    assert m.get_config()["label_smoothing"] == 0.2


def test_sparse_crossentropy_ignore_class_leaves_weighted_samples_out_of_the_mean():
    loss = -np.log(np.clip(PROBS, EPS, 1 - EPS))[np.arange(5), LABELS]
    kept = LABELS != 1
    unweighted = metrics.SparseCategoricalCrossentropy(ignore_class=1)
    unweighted.update_state(LABELS, PROBS)  # ignored samples add 0 but count
    np.testing.assert_allclose(unweighted.result(), np.sum(loss * kept) / 5, rtol=1e-5)
    weighted = metrics.SparseCategoricalCrossentropy(ignore_class=1)
    weighted.update_state(LABELS[:, None], PROBS, sample_weight=WEIGHTS)  # ... and leave the count
    np.testing.assert_allclose(weighted.result(), np.sum(loss * kept * WEIGHTS) / np.sum(kept * WEIGHTS),
                               rtol=1e-5)


@pytest.mark.parametrize("identifier,cls", [("bce", metrics.BinaryCrossentropy),
                                            ("kl_divergence", metrics.KLDivergence),
                                            ("poisson", metrics.Poisson)])
def test_get_by_name(identifier, cls):
    assert type(metrics.get(identifier)) is cls
