"""RMSprop's update rule against an independent numpy computation (epsilon inside the square root; plain,
momentum and centered variants), its slot layout and its config."""
import numpy as np
import pytest

from kerasj.optimizers import RMSprop
from kerasj.variables import Variable


def numpy_rmsprop(w, grads, lr, rho, momentum, epsilon, centered):
    v, m, a = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        a = rho * a + (1 - rho) * g
        step = lr * g / np.sqrt((v - a * a if centered else v) + epsilon)
        m = momentum * m + step
        w = w - (m if momentum > 0 else step)
    return w


@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.9, False), (0.0, True), (0.5, True)])
def test_matches_numpy(momentum, centered):
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(3, 2)).astype(np.float32)
    grads = [rng.normal(size=(3, 2)).astype(np.float32) for _ in range(5)]
    w = Variable(w0)
    opt = RMSprop(0.01, rho=0.8, momentum=momentum, epsilon=1e-3, centered=centered)
    for g in grads:
        opt.apply_gradients([(g, w)])
    expected = numpy_rmsprop(w0.astype(np.float64), grads, 0.01, 0.8, momentum, 1e-3, centered)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_slots_are_grouped_by_kind():
    kernel, bias = Variable(np.ones((2, 2), np.float32), name="kernel"), Variable(np.ones(2, np.float32), name="bias")
    opt = RMSprop(momentum=0.9, centered=True, name="opt")
    opt.build([kernel, bias])
    assert [v.path for v in opt.variables[2:]] == [
        "opt/kernel_velocity", "opt/bias_velocity", "opt/kernel_momentum", "opt/bias_momentum",
        "opt/kernel_average_gradient", "opt/bias_average_gradient"]
    assert len(RMSprop().variables) == 2 and RMSprop().name.startswith("rm_sprop")


def test_get_config_round_trip():
    opt = RMSprop(0.01, rho=0.8, momentum=0.5, epsilon=1e-4, centered=True, clipnorm=1.0)
    config = opt.get_config()
    assert {k: config[k] for k in ("rho", "momentum", "epsilon", "centered", "clipnorm")} == {
        "rho": 0.8, "momentum": 0.5, "epsilon": 1e-4, "centered": True, "clipnorm": 1.0}
    assert RMSprop.from_config(config).get_config() == config
