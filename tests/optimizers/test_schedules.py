"""Learning-rate schedules: values from their formulas (computed here with math), argument checks,
serialization, and use under jax.jit with a traced step."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj.optimizers import schedules
from kerasj.variables import Variable

S = schedules


def close(schedule, step, expected):
    np.testing.assert_allclose(float(schedule(step)), expected, rtol=1e-6, atol=1e-8)


def test_exponential_decay():
    close(S.ExponentialDecay(0.1, 4, 0.5), 6, 0.1 * 0.5 ** 1.5)
    close(S.ExponentialDecay(0.1, 4, 0.5, staircase=True), 6, 0.1 * 0.5)


def test_piecewise_constant_decay_boundaries_are_inclusive_on_the_left_interval():
    s = S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    for step, expected in [(0, 1.0), (10, 1.0), (11, 0.5), (20, 0.5), (21, 0.1), (1000, 0.1)]:
        close(s, step, expected)


def test_polynomial_decay():
    s = S.PolynomialDecay(1.0, 10, end_learning_rate=0.1, power=2.0)
    close(s, 5, 0.9 * 0.25 + 0.1)
    close(s, 50, 0.1)
    cycled = S.PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    close(cycled, 0, 1.0)
    close(cycled, 15, 1.0 - 15 / 20)  # the horizon stretches to the next multiple, 20


def test_inverse_time_decay():
    close(S.InverseTimeDecay(1.0, 2, 0.5), 3, 1.0 / (1 + 0.5 * 1.5))
    close(S.InverseTimeDecay(1.0, 2, 0.5, staircase=True), 3, 1.0 / (1 + 0.5 * 1))


def test_cosine_decay_with_and_without_warmup():
    s = S.CosineDecay(1.0, 10, alpha=0.2)
    close(s, 5, 0.8 * 0.5 * (1 + math.cos(math.pi * 0.5)) + 0.2)
    close(s, 100, 0.2)
    warm = S.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)
    close(warm, 2, 0.5)
    close(warm, 4, 1.0)
    close(warm, 9, 0.5 * (1 + math.cos(math.pi * 0.5)))


def test_cosine_decay_restarts():
    s = S.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
    close(s, 5, 0.5 * (1 + math.cos(math.pi * 0.5)))
    close(s, 10, 0.5)          # first restart, at half height
    close(s, 20, 0.5 * 0.5 * (1 + math.cos(math.pi * 0.5)))  # halfway through the 20-step second period
    close(s, 30, 0.25)         # second restart


@pytest.mark.parametrize("make", [
    lambda: S.ExponentialDecay(0.1, 0, 0.5), lambda: S.PolynomialDecay(0.1, -1), lambda: S.InverseTimeDecay(0.1, 0, 1),
    lambda: S.CosineDecay(0.1, 0), lambda: S.CosineDecayRestarts(0.1, 0),
    lambda: S.PiecewiseConstantDecay([1, 2], [0.1, 0.2]),
])
def test_bad_arguments_raise(make):
    with pytest.raises(ValueError):
        make()


def test_serialize_round_trip_and_unknown_names():
    s = S.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.3, warmup_steps=10)
    config = S.serialize(s)
    assert config["class_name"] == "CosineDecay"
    rebuilt = S.deserialize(config)
    assert isinstance(rebuilt, S.CosineDecay) and rebuilt.get_config() == s.get_config()
    with pytest.raises(ValueError, match="Valid names"):
        S.deserialize({"class_name": "Nope", "config": {}})


def test_custom_schedule_base_class():
    class Halving(S.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 * 0.5 ** jnp.floor(step / 2)

    assert float(Halving()(4)) == 0.25
    with pytest.raises(NotImplementedError):
        Halving().get_config()


def test_schedules_accept_variables_and_traced_steps():
    s = S.PiecewiseConstantDecay([2], [1.0, 0.5])
    counter = Variable(3, dtype="int32")
    assert float(s(counter)) == 0.5
    values = jax.jit(jax.vmap(S.CosineDecayRestarts(1.0, 4)))(jnp.arange(8))
    assert values.shape == (8,) and float(values[0]) == 1.0
