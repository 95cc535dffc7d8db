"""SGD's update rules against an independent numpy computation of the formulas in its docstring."""
import numpy as np
import pytest

from kerasj.optimizers import SGD
from kerasj.variables import Variable


def numpy_sgd(w, grads, lr, momentum, nesterov):
    m = np.zeros_like(w)
    for g in grads:
        if momentum == 0:
            w = w - lr * g
            continue
        m = momentum * m - lr * g
        w = w + (momentum * m - lr * g if nesterov else m)
    return w, m


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.7, True)])
def test_matches_numpy(momentum, nesterov):
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(3, 2)).astype(np.float32)
    grads = [rng.normal(size=(3, 2)).astype(np.float32) for _ in range(4)]
    w = Variable(w0)
    opt = SGD(0.05, momentum=momentum, nesterov=nesterov)
    for g in grads:
        opt.apply_gradients([(g, w)])
    expected_w, expected_m = numpy_sgd(w0.astype(np.float64), grads, 0.05, momentum, nesterov)
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-5, atol=1e-6)
    if momentum:
        np.testing.assert_allclose(opt.variables[2].numpy(), expected_m, rtol=1e-5, atol=1e-6)
    else:
        assert len(opt.variables) == 2  # no momentum slots without momentum


def test_get_config_round_trip():
    opt = SGD(0.25, momentum=0.5, nesterov=True, clipvalue=1.0, name="my_sgd")
    config = opt.get_config()
    assert config["momentum"] == 0.5 and config["nesterov"] is True and config["learning_rate"] == 0.25
    clone = SGD.from_config(config)
    assert clone.get_config() == config
