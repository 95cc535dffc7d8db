"""Adadelta's update rule against numpy, including Keras's learning_rate factor."""
import numpy as np

from kerasj.optimizers import Adadelta
from kerasj.variables import Variable


def test_matches_numpy():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(5,)).astype(np.float32)
    grads = [rng.normal(size=(5,)).astype(np.float32) for _ in range(5)]
    w = Variable(w0)
    opt = Adadelta(0.5, rho=0.8, epsilon=1e-4)
    for g in grads:
        opt.apply_gradients([(g, w)])
    expected, a, d = w0.astype(np.float64), np.zeros(5), np.zeros(5)
    for g in grads:
        a = 0.8 * a + 0.2 * g * g
        delta = -np.sqrt(d + 1e-4) / np.sqrt(a + 1e-4) * g
        d = 0.8 * d + 0.2 * delta * delta
        expected = expected + 0.5 * delta
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_slots_and_config():
    w = Variable(np.zeros((2,), np.float32), name="w")
    opt = Adadelta(name="opt")
    opt.build([w])
    assert [v.path for v in opt.variables[2:]] == ["opt/w_accumulated_grad", "opt/w_accumulated_delta_var"]
    config = opt.get_config()
    assert (config["rho"], config["epsilon"]) == (0.95, 1e-7)
    assert Adadelta.from_config(config).get_config() == config
