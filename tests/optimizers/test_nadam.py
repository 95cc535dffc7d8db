"""Nadam's update rule against numpy (the momentum schedule and its running product), and the product being
one shared Variable in the optimizer's state."""
import numpy as np

from kerasj.optimizers import Nadam
from kerasj.variables import Variable


def numpy_nadam(params, grad_steps, lr, beta_1, beta_2, epsilon):
    mu = lambda t: beta_1 * (1 - 0.5 * 0.96 ** t)
    params = [p.astype(np.float64) for p in params]
    ms, vs = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    product = 1.0
    for t, grads in enumerate(grad_steps, start=1):
        product *= mu(t)
        for i, g in enumerate(grads):
            ms[i] = ms[i] + (g - ms[i]) * (1 - beta_1)
            vs[i] = vs[i] + (g * g - vs[i]) * (1 - beta_2)
            m_hat = mu(t + 1) * ms[i] / (1 - product * mu(t + 1)) + (1 - mu(t)) * g / (1 - product)
            v_hat = vs[i] / (1 - beta_2 ** t)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return params, product


def test_matches_numpy_with_two_variables():
    # Two variables: the shared product must advance once per step, not once per variable.
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3,)).astype(np.float32), rng.normal(size=(2, 2)).astype(np.float32)]
    grad_steps = [[rng.normal(size=p.shape).astype(np.float32) for p in params] for _ in range(5)]
    variables = [Variable(p) for p in params]
    opt = Nadam(0.05, beta_1=0.8, beta_2=0.95, epsilon=1e-4)
    for grads in grad_steps:
        opt.apply_gradients(zip(grads, variables))
    expected, product = numpy_nadam(params, grad_steps, 0.05, 0.8, 0.95, 1e-4)
    for var, exp in zip(variables, expected):
        np.testing.assert_allclose(var.numpy(), exp, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.variables[-1].numpy(), product, rtol=1e-6)


def test_state_layout_and_config():
    w = Variable(np.zeros((2,), np.float32), name="w")
    opt = Nadam(name="opt")
    opt.build([w])
    assert [v.path for v in opt.variables] == ["opt/iteration", "opt/learning_rate", "opt/w_momentum",
                                               "opt/w_velocity", "variable"]
    assert float(opt.variables[-1].numpy()) == 1.0
    config = opt.get_config()
    assert (config["beta_1"], config["beta_2"], config["epsilon"]) == (0.9, 0.999, 1e-7)
    assert Nadam.from_config(config).get_config() == config
