"""Adafactor's update rule against numpy, for a factored (2-D) and an unfactored (1-D) variable, and its
Keras-shaped state (row/column slots, or int32 placeholders)."""
import numpy as np

from kerasj.optimizers import Adafactor
from kerasj.variables import Variable


def rms(x):
    return np.sqrt(np.mean(x * x))


def numpy_adafactor(w, grads, lr, decay, eps_1, eps_2, clip):
    r, c, v = np.zeros(w.shape[:-1]), np.zeros(w.shape[-1:]), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        alpha = max(eps_2, rms(w)) * min(lr, 1 / np.sqrt(t))
        G, beta = g * g + eps_1, 1 - t ** decay
        if w.ndim == 2:
            r = beta * r + (1 - beta) * G.mean(axis=1)
            c = beta * c + (1 - beta) * G.mean(axis=0)
            v = np.outer(r / r.mean(), c)
        else:
            v = beta * v + (1 - beta) * G
        u = g / np.sqrt(v)
        w = w - alpha * u / max(1.0, rms(u) / clip)
    return w


def test_matches_numpy_factored_and_unfactored():
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(4,)).astype(np.float32)]
    grad_steps = [[rng.normal(size=p.shape).astype(np.float32) for p in params] for _ in range(5)]
    variables = [Variable(p) for p in params]
    # A learning rate above 1/sqrt(t) from step 2 on, and a clip threshold that is reached.
    opt = Adafactor(0.8, beta_2_decay=-0.6, epsilon_2=1e-2, clip_threshold=0.5)
    for grads in grad_steps:
        opt.apply_gradients(zip(grads, variables))
    for i, var in enumerate(variables):
        expected = numpy_adafactor(params[i].astype(np.float64), [g[i] for g in grad_steps], 0.8, -0.6, 1e-30,
                                   1e-2, 0.5)
        np.testing.assert_allclose(var.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_state_layout_matches_keras_form():
    kernel = Variable(np.ones((3, 2), np.float32), name="kernel")
    bias = Variable(np.ones((2,), np.float32), name="bias")
    opt = Adafactor(name="opt")
    opt.build([kernel, bias])
    state = opt.variables[2:]
    assert [(v.path, v.shape, v.dtype) for v in state] == [
        ("opt/kernel", (3,), "float32"), ("opt/kernel", (2,), "float32"), ("opt/kernel_velocity", (3, 2), "float32"),
        ("bias", (), "int32"), ("bias", (), "int32"), ("opt/bias_velocity", (2,), "float32")]


def test_config_round_trip():
    config = Adafactor(beta_2_decay=-0.7, clip_threshold=2.0, relative_step=False).get_config()
    assert {k: config[k] for k in ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step")} == {
        "beta_2_decay": -0.7, "epsilon_1": 1e-30, "epsilon_2": 1e-3, "clip_threshold": 2.0, "relative_step": False}
    assert Adafactor.from_config(config).get_config() == config
