"""AdamW: Adam with decoupled weight decay on by default (0.004), checked against numpy; weight_decay must
be a number."""
import numpy as np
import pytest

from kerasj.optimizers import Adam, AdamW
from kerasj.variables import Variable


def numpy_adamw(w, grads, lr, weight_decay, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        w = w - w * weight_decay * lr  # decoupled: applied to the weights, never seen by m or v
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        w = w - lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) * m / (np.sqrt(v) + epsilon)
    return w


@pytest.mark.parametrize("weight_decay", [None, 0.2])
def test_matches_numpy(weight_decay):
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(4,)).astype(np.float32)
    grads = [rng.normal(size=(4,)).astype(np.float32) for _ in range(4)]
    w = Variable(w0)
    opt = AdamW(0.05) if weight_decay is None else AdamW(0.05, weight_decay=weight_decay)
    for g in grads:
        opt.apply_gradients([(g, w)])
    expected = numpy_adamw(w0.astype(np.float64), grads, 0.05, weight_decay or 0.004)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_is_an_adam_with_weight_decay_in_its_config():
    opt = AdamW(amsgrad=True)
    assert isinstance(opt, Adam) and opt.name.startswith("adam_w")
    config = opt.get_config()
    assert config["weight_decay"] == 0.004 and config["amsgrad"] is True
    assert AdamW.from_config(config).get_config() == config


@pytest.mark.parametrize("bad", [None, "0.1"])
def test_weight_decay_must_be_a_number(bad):
    with pytest.raises(ValueError, match="AdamW: `weight_decay` must be a float"):
        AdamW(weight_decay=bad)
