"""Adagrad's update rule against numpy, and its accumulators' starting value."""
import numpy as np

from kerasj.optimizers import Adagrad
from kerasj.variables import Variable


def test_matches_numpy():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(2, 3)).astype(np.float32)
    grads = [rng.normal(size=(2, 3)).astype(np.float32) for _ in range(5)]
    w = Variable(w0)
    opt = Adagrad(0.1, initial_accumulator_value=0.5, epsilon=1e-3)
    for g in grads:
        opt.apply_gradients([(g, w)])
    expected, s = w0.astype(np.float64), np.full(w0.shape, 0.5)
    for g in grads:
        s = s + g * g
        expected = expected - 0.1 * g / np.sqrt(s + 1e-3)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.variables[2].numpy(), s, rtol=1e-5)


def test_accumulators_start_at_initial_value_and_config_round_trips():
    w = Variable(np.zeros((2,), np.float32), name="w")
    opt = Adagrad(initial_accumulator_value=0.25, name="opt")
    opt.build([w])
    assert opt.variables[2].path == "opt/w_accumulator"
    np.testing.assert_array_equal(opt.variables[2].numpy(), [0.25, 0.25])
    config = opt.get_config()
    assert config["initial_accumulator_value"] == 0.25 and config["epsilon"] == 1e-7
    assert Adagrad.from_config(config).get_config() == config
