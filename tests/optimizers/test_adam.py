"""Adam's update rule against an independent numpy computation of Keras's form (epsilon outside the square
root of the uncorrected second moment), and the check that this is not optax.adam's form."""
import numpy as np
import optax
import pytest

from kerasj.optimizers import Adam
from kerasj.variables import Variable


def numpy_adam(w, grads, lr, beta_1, beta_2, epsilon, amsgrad):
    m, v, v_hat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        v_hat = np.maximum(v_hat, v)
        alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w = w - alpha * m / (np.sqrt(v_hat if amsgrad else v) + epsilon)
    return w, m, v, v_hat


def run(grads, w0, **kwargs):
    w = Variable(w0)
    opt = Adam(**kwargs)
    for g in grads:
        opt.apply_gradients([(g, w)])
    return w, opt


@pytest.mark.parametrize("amsgrad", [False, True])
def test_matches_numpy(amsgrad):
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(4,)).astype(np.float32)
    # Shrinking gradients, so that AMSGrad's running maximum differs from v.
    grads = [(rng.normal(size=(4,)) / (k + 1) ** 2).astype(np.float32) for k in range(5)]
    w, opt = run(grads, w0, learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-3, amsgrad=amsgrad)
    expected = numpy_adam(w0.astype(np.float64), grads, 0.01, 0.8, 0.95, 1e-3, amsgrad)
    np.testing.assert_allclose(w.numpy(), expected[0], rtol=1e-5, atol=1e-6)
    slots = [v.numpy() for v in opt.variables[2:]]
    np.testing.assert_allclose(slots[0], expected[1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(slots[1], expected[2], rtol=1e-5, atol=1e-9)
    if amsgrad:
        np.testing.assert_allclose(slots[2], expected[3], rtol=1e-5, atol=1e-9)
    assert len(slots) == (3 if amsgrad else 2)


def test_differs_from_optax_adam_where_epsilon_matters():
    w0 = np.array([1.0], np.float32)
    grads = [np.array([1e-3], np.float32)] * 2
    w, _ = run(grads, w0, learning_rate=0.1, epsilon=1e-2)
    params, tx = [w0], optax.adam(0.1, eps=1e-2)
    state = tx.init(params)
    for g in grads:
        updates, state = tx.update([g], state, params)
        params = optax.apply_updates(params, updates)
    assert abs(float(w.numpy()[0]) - float(params[0][0])) > 1e-3


def test_get_config_round_trip():
    opt = Adam(0.002, beta_1=0.85, epsilon=1e-6, amsgrad=True, weight_decay=0.01)
    config = opt.get_config()
    assert {k: config[k] for k in ("beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay")} == {
        "beta_1": 0.85, "beta_2": 0.999, "epsilon": 1e-6, "amsgrad": True, "weight_decay": 0.01}
    assert Adam.from_config(config).get_config() == config
