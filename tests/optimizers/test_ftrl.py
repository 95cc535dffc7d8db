"""Ftrl's update rule against numpy (with every regularizer on), the exact zeros of L1, and the argument
checks."""
import numpy as np
import pytest

from kerasj.optimizers import Ftrl
from kerasj.variables import Variable


def numpy_ftrl(w, grads, lr, power, n0, l1, l2, shrinkage, beta):
    n, z = np.full_like(w, n0), np.zeros_like(w)
    l2 = l2 + beta / (2 * lr)
    for g in grads:
        n_new = n + g * g
        z = z + g + 2 * shrinkage * w - (n_new ** -power - n ** -power) / lr * w
        w = (np.clip(z, -l1, l1) - z) / (n_new ** -power / lr + 2 * l2)
        n = n_new
    return w


def test_matches_numpy_with_all_regularizers():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(6,)).astype(np.float32)
    grads = [rng.normal(size=(6,)).astype(np.float32) for _ in range(5)]
    args = dict(learning_rate_power=-0.7, initial_accumulator_value=0.3, l1_regularization_strength=0.05,
                l2_regularization_strength=0.1, l2_shrinkage_regularization_strength=0.02, beta=0.5)
    w = Variable(w0)
    opt = Ftrl(0.2, **args)
    for g in grads:
        opt.apply_gradients([(g, w)])
    expected = numpy_ftrl(w0.astype(np.float64), grads, 0.2, *args.values())
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_strong_l1_gives_exact_zeros():
    w = Variable(np.array([0.5, -0.3], np.float32))
    opt = Ftrl(0.1, l1_regularization_strength=10.0)
    opt.apply_gradients([(np.array([0.2, -0.1], np.float32), w)])
    np.testing.assert_array_equal(w.numpy(), [0.0, 0.0])


@pytest.mark.parametrize("arg,value", [("learning_rate_power", 0.5), ("initial_accumulator_value", -1.0),
                                       ("l1_regularization_strength", -0.1), ("l2_regularization_strength", -0.1),
                                       ("l2_shrinkage_regularization_strength", -0.1)])
def test_bad_arguments_name_the_argument(arg, value):
    with pytest.raises(ValueError, match=f"Ftrl: `{arg}` must be"):
        Ftrl(**{arg: value})


def test_slots_and_config():
    w = Variable(np.zeros((2,), np.float32), name="w")
    opt = Ftrl(initial_accumulator_value=0.2, name="opt")
    opt.build([w])
    assert [v.path for v in opt.variables[2:]] == ["opt/w_accumulator", "opt/w_linear"]
    np.testing.assert_array_equal(opt.variables[2].numpy(), np.float32([0.2, 0.2]))
    np.testing.assert_array_equal(opt.variables[3].numpy(), [0.0, 0.0])
    config = Ftrl(beta=0.3, l1_regularization_strength=0.01).get_config()
    assert Ftrl.from_config(config).get_config() == config
    assert config["beta"] == 0.3 and config["learning_rate_power"] == -0.5
