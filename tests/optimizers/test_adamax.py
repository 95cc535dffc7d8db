"""Adamax's update rule (infinity norm) against numpy."""
import numpy as np

from kerasj.optimizers import Adamax
from kerasj.variables import Variable


def test_matches_numpy():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(4,)).astype(np.float32)
    # Shrinking gradients, so that the decayed maximum and not the latest |g| sets the norm.
    grads = [(rng.normal(size=(4,)) / (k + 1) ** 2).astype(np.float32) for k in range(5)]
    w = Variable(w0)
    opt = Adamax(0.05, beta_1=0.7, beta_2=0.9, epsilon=1e-4)
    for g in grads:
        opt.apply_gradients([(g, w)])
    expected, m, u = w0.astype(np.float64), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * 0.3
        u = np.maximum(0.9 * u, np.abs(g))
        expected = expected - 0.05 * m / ((1 - 0.7 ** t) * (u + 1e-4))
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.variables[3].numpy(), u, rtol=1e-5)


def test_slots_and_config():
    w = Variable(np.zeros((2,), np.float32), name="w")
    opt = Adamax(name="opt")
    opt.build([w])
    assert [v.path for v in opt.variables[2:]] == ["opt/w_momentum", "opt/w_norm"]
    config = Adamax(beta_1=0.8).get_config()
    assert (config["beta_1"], config["beta_2"], config["epsilon"]) == (0.8, 0.999, 1e-7)
    assert Adamax.from_config(config).get_config() == config
