"""Lion's update rule against numpy (a fixed-size signed step), and the beta_1 check."""
import numpy as np
import pytest

from kerasj.optimizers import Lion
from kerasj.variables import Variable


def test_matches_numpy():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(5,)).astype(np.float32)
    grads = [rng.normal(size=(5,)).astype(np.float32) for _ in range(5)]
    w = Variable(w0)
    opt = Lion(0.01, beta_1=0.5, beta_2=0.9)
    for g in grads:
        opt.apply_gradients([(g, w)])
    expected, m = w0.astype(np.float64), np.zeros(5)
    for g in grads:
        expected = expected - 0.01 * np.sign(0.5 * m + 0.5 * g)
        m = 0.9 * m + 0.1 * g
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(opt.variables[2].numpy(), m, rtol=1e-5)


@pytest.mark.parametrize("beta_1", [0.0, -0.1, 1.5])
def test_beta_1_must_be_in_range(beta_1):
    with pytest.raises(ValueError, match=r"Lion: `beta_1` must be in the range \(0, 1\]"):
        Lion(beta_1=beta_1)


def test_config_round_trip():
    config = Lion(beta_1=0.95, beta_2=0.98).get_config()
    assert (config["beta_1"], config["beta_2"]) == (0.95, 0.98)
    assert Lion.from_config(config).get_config() == config
