"""kerasj.optimizers against keras.optimizers (Keras 3, JAX backend): from the same initial variables, the
same five gradient steps give the same variables and the same optimizer state (step counter, learning rate,
slots) after every step; schedules give the same rates; variable names, order and configs match."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import optax
import pytest

import kerasj
from kerasj.variables import StateScope

RTOL, ATOL = 1e-5, 1e-6
SHAPES = [(3, 4), (4,), (2, 2)]
STEPS = 5


def initial_values(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(np.float32) for s in SHAPES]


def gradient_sequence(seed=1, scale=1.0):
    rng = np.random.default_rng(seed)
    return [[(scale * rng.normal(size=s)).astype(np.float32) for s in SHAPES] for _ in range(STEPS)]


def make_pair(factory, values):
    """(kerasj optimizer, its variables, keras optimizer, its variables), variables built from `values`."""
    ours = [kerasj.Variable(v, name=f"w{i}") for i, v in enumerate(values)]
    theirs = [keras.Variable(v, name=f"w{i}") for i, v in enumerate(values)]
    return factory(kerasj), ours, factory(keras), theirs


def assert_state_close(opt_ours, vars_ours, opt_theirs, vars_theirs, step):
    for a, b in zip(vars_ours, vars_theirs):
        np.testing.assert_allclose(a.numpy(), np.asarray(b.value), rtol=RTOL, atol=ATOL,
                                   err_msg=f"variable {a.name} after step {step}")
    assert len(opt_ours.variables) == len(opt_theirs.variables)
    for a, b in zip(opt_ours.variables, opt_theirs.variables):
        np.testing.assert_allclose(a.numpy(), np.asarray(b.value), rtol=RTOL, atol=ATOL,
                                   err_msg=f"optimizer variable {b.path} after step {step}")


def run_parity(factory, between_steps=None, grad_scale=1.0):
    opt_ours, vars_ours, opt_theirs, vars_theirs = make_pair(factory, initial_values())
    for step, grads in enumerate(gradient_sequence(scale=grad_scale)):
        if between_steps is not None:
            between_steps(opt_ours, opt_theirs, step)
        opt_ours.apply_gradients(zip(grads, vars_ours))
        opt_theirs.apply_gradients(zip(grads, vars_theirs))
        assert_state_close(opt_ours, vars_ours, opt_theirs, vars_theirs, step)
    return opt_ours, opt_theirs


SGD_PLAIN = lambda lib, **kw: lib.optimizers.SGD(0.1, **kw)
SGD_MOMENTUM = lambda lib, **kw: lib.optimizers.SGD(0.05, momentum=0.9, **kw)
SGD_NESTEROV = lambda lib, **kw: lib.optimizers.SGD(0.05, momentum=0.8, nesterov=True, **kw)
ADAM = lambda lib, **kw: lib.optimizers.Adam(0.01, **kw)
ADAM_AMSGRAD = lambda lib, **kw: lib.optimizers.Adam(0.02, beta_1=0.8, beta_2=0.99, amsgrad=True, **kw)
RULES = {"sgd": SGD_PLAIN, "sgd_momentum": SGD_MOMENTUM, "sgd_nesterov": SGD_NESTEROV, "adam": ADAM,
         "adam_amsgrad": ADAM_AMSGRAD}

OPTIONS = {
    "plain": {},
    "weight_decay": {"weight_decay": 0.05},
    "clipnorm": {"clipnorm": 0.5},
    "clipvalue": {"clipvalue": 0.3},
    "global_clipnorm": {"global_clipnorm": 1.0},
    "loss_scale_factor": {"loss_scale_factor": 8.0},
    "ema": {"use_ema": True, "ema_momentum": 0.9},
    "ema_overwrite": {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 2},
    "gradient_accumulation": {"gradient_accumulation_steps": 2},
}


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_update_rules_and_options_match_keras(rule, option):
    factory = RULES[rule]
    run_parity(lambda lib: factory(lib, **OPTIONS[option]))


def test_weight_decay_exclusion_matches_keras():
    def factory(lib):
        return lib.optimizers.Adam(0.01, weight_decay=0.1)

    opt_ours, vars_ours, opt_theirs, vars_theirs = make_pair(factory, initial_values())
    opt_ours.exclude_from_weight_decay(var_list=[vars_ours[0]], var_names=["w2"])
    opt_theirs.exclude_from_weight_decay(var_list=[vars_theirs[0]], var_names=["w2"])
    for step, grads in enumerate(gradient_sequence()):
        opt_ours.apply_gradients(zip(grads, vars_ours))
        opt_theirs.apply_gradients(zip(grads, vars_theirs))
        assert_state_close(opt_ours, vars_ours, opt_theirs, vars_theirs, step)


def test_clipping_large_gradients_matches_keras():
    # Gradients far above the thresholds, so that every clip is active.
    for option in ("clipnorm", "clipvalue", "global_clipnorm"):
        run_parity(lambda lib: SGD_MOMENTUM(lib, **OPTIONS[option]), grad_scale=50.0)


SCHEDULES = {
    "exponential": lambda s: s.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5),
    "exponential_staircase": lambda s: s.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
    "piecewise": lambda s: s.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]),
    "polynomial": lambda s: s.PolynomialDecay(0.1, decay_steps=3, end_learning_rate=0.01, power=2.0),
    "polynomial_cycle": lambda s: s.PolynomialDecay(0.1, decay_steps=2, power=0.5, cycle=True),
    "inverse_time": lambda s: s.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5),
    "inverse_time_staircase": lambda s: s.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
    "cosine": lambda s: s.CosineDecay(0.1, decay_steps=4, alpha=0.1),
    "cosine_warmup": lambda s: s.CosineDecay(0.0, decay_steps=5, warmup_target=0.2, warmup_steps=3),
    "cosine_warmup_alpha": lambda s: s.CosineDecay(0.01, decay_steps=20, alpha=0.2, warmup_target=0.1,
                                                   warmup_steps=10),
    "cosine_restarts": lambda s: s.CosineDecayRestarts(0.1, first_decay_steps=3, t_mul=2.0, m_mul=0.5,
                                                       alpha=0.05),
    "cosine_restarts_t1": lambda s: s.CosineDecayRestarts(0.1, first_decay_steps=4, t_mul=1.0, m_mul=0.9),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_match_keras(name):
    ours, theirs = SCHEDULES[name](kerasj.optimizers.schedules), SCHEDULES[name](keras.optimizers.schedules)
    for step in [0, 1, 2, 3, 4, 5, 7, 10, 15, 21, 37, 100]:
        np.testing.assert_allclose(np.asarray(ours(step)), np.asarray(theirs(step)), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} at step {step}")
    assert ours.get_config() == theirs.get_config()
    assert kerasj.optimizers.schedules.serialize(ours) == keras.optimizers.schedules.serialize(theirs)


@pytest.mark.parametrize("rule", ["sgd_momentum", "adam"])
@pytest.mark.parametrize("name", ["exponential", "piecewise", "cosine_warmup", "cosine_restarts"])
def test_schedule_learning_rate_matches_keras(rule, name):
    def factory(lib):
        return RULES[rule](lib).__class__(SCHEDULES[name](lib.optimizers.schedules), weight_decay=0.01)

    opt_ours, opt_theirs = run_parity(factory)
    np.testing.assert_allclose(float(opt_ours.learning_rate), float(opt_theirs.learning_rate), rtol=RTOL)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_changing_learning_rate_between_steps_matches_keras(rule):
    rates = [0.1, 0.01, 0.05, 0.2, 0.001]

    def set_rate(opt_ours, opt_theirs, step):
        opt_ours.learning_rate = rates[step]
        opt_theirs.learning_rate = rates[step]

    run_parity(RULES[rule], between_steps=set_rate)


def test_callable_learning_rate_matches_keras():
    run_parity(lambda lib: lib.optimizers.Adam(lambda: 0.03))


def build_model(lib):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, name="d1"), lib.layers.Dense(1, name="d2")],
                          name="seq")


@pytest.mark.parametrize("factory", [
    lambda lib: lib.optimizers.SGD(name="opt"),
    lambda lib: lib.optimizers.SGD(momentum=0.5, name="opt"),
    lambda lib: lib.optimizers.Adam(name="opt"),
    lambda lib: lib.optimizers.Adam(amsgrad=True, use_ema=True, gradient_accumulation_steps=2, name="opt"),
    lambda lib: lib.optimizers.SGD(lib.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9), name="opt"),
])
def test_variable_names_order_and_dtypes_match_keras(factory):
    opt_ours, opt_theirs = factory(kerasj), factory(keras)
    opt_ours.build(build_model(kerasj).trainable_variables)
    opt_theirs.build(build_model(keras).trainable_variables)
    assert [v.path for v in opt_ours.variables] == [v.path for v in opt_theirs.variables]
    assert [v.dtype for v in opt_ours.variables] == [v.dtype for v in opt_theirs.variables]
    assert [v.shape for v in opt_ours.variables] == [tuple(v.shape) for v in opt_theirs.variables]


def config_without_name(optimizer):
    return {k: v for k, v in optimizer.get_config().items() if k != "name"}


@pytest.mark.parametrize("factory", [
    lambda lib: lib.optimizers.SGD(),
    lambda lib: lib.optimizers.SGD(0.3, momentum=0.9, nesterov=True, clipnorm=1.0, weight_decay=0.01),
    lambda lib: lib.optimizers.Adam(),
    lambda lib: lib.optimizers.Adam(0.01, beta_1=0.8, epsilon=1e-5, amsgrad=True, global_clipnorm=2.0,
                                    use_ema=True, ema_overwrite_frequency=3, loss_scale_factor=4.0,
                                    gradient_accumulation_steps=4),
    lambda lib: lib.optimizers.Adam(lib.optimizers.schedules.CosineDecay(0.1, 100, warmup_target=0.2,
                                                                         warmup_steps=5)),
])
def test_configs_match_keras(factory):
    ours, theirs = factory(kerasj), factory(keras)
    assert config_without_name(ours) == config_without_name(theirs)
    serialized = kerasj.optimizers.serialize(ours)
    assert serialized["class_name"] == keras.optimizers.serialize(theirs)["class_name"]
    rebuilt = kerasj.optimizers.deserialize(serialized)
    assert type(rebuilt) is type(ours)
    assert config_without_name(rebuilt) == config_without_name(ours)
    # A Keras config rebuilds a kerasj optimizer, and the other way round.
    assert config_without_name(type(ours).from_config(theirs.get_config())) == config_without_name(theirs)
    assert config_without_name(type(theirs).from_config(ours.get_config())) == config_without_name(ours)


@pytest.mark.parametrize("rule", ["sgd_nesterov", "adam_amsgrad"])
def test_stateless_apply_matches_keras(rule):
    opt_ours, vars_ours, opt_theirs, vars_theirs = make_pair(
        lambda lib: RULES[rule](lib, weight_decay=0.01), initial_values())
    opt_ours.build(vars_ours)
    opt_theirs.build(vars_theirs)
    params_ours, params_theirs = [v.numpy() for v in vars_ours], [np.asarray(v.value) for v in vars_theirs]
    state_ours = [v.numpy() for v in opt_ours.variables]
    state_theirs = [np.asarray(v.value) for v in opt_theirs.variables]
    for grads in gradient_sequence():
        params_ours, state_ours = opt_ours.stateless_apply(state_ours, grads, params_ours)
        params_theirs, state_theirs = opt_theirs.stateless_apply(state_theirs, grads, params_theirs)
        for a, b in zip(params_ours + state_ours, list(params_theirs) + list(state_theirs)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=RTOL, atol=ATOL)
    # Stateless: the Variables themselves never moved.
    for var, value in zip(vars_ours, initial_values()):
        np.testing.assert_array_equal(var.numpy(), value)
    assert int(opt_ours.iterations) == 0


def jitted_steps(optimizer, variables, grad_list):
    """Apply `grad_list` inside jax.jit, through a StateScope over the variables and the optimizer's state."""
    optimizer.build(variables)
    state = list(variables) + optimizer.variables

    @jax.jit
    def step(values, grads):
        with StateScope(zip(state, values)) as scope:
            optimizer.apply_gradients(zip(grads, variables))
            return scope.values(state)

    values = [v.value for v in state]
    for grads in grad_list:
        values = step(values, grads)
    for var, value in zip(state, values):
        var.assign(value)


@pytest.mark.parametrize("factory", [
    lambda lib: lib.optimizers.SGD(0.05, momentum=0.9, nesterov=True, clipnorm=0.5),
    lambda lib: lib.optimizers.Adam(lib.optimizers.schedules.ExponentialDecay(0.05, 2, 0.5), amsgrad=True,
                                    weight_decay=0.1),
    lambda lib: lib.optimizers.Adam(0.01, use_ema=True, ema_overwrite_frequency=2, gradient_accumulation_steps=2),
])
def test_jit_through_state_scope_matches_eager_and_keras(factory):
    grads = gradient_sequence()
    opt_jit, vars_jit, opt_theirs, vars_theirs = make_pair(factory, initial_values())
    jitted_steps(opt_jit, vars_jit, grads)
    opt_eager = factory(kerasj)
    vars_eager = [kerasj.Variable(v) for v in initial_values()]
    for g in grads:
        opt_eager.apply_gradients(zip(g, vars_eager))
        opt_theirs.apply_gradients(zip(g, vars_theirs))
    for a, b, c in zip(vars_jit + opt_jit.variables, vars_eager + opt_eager.variables,
                       vars_theirs + opt_theirs.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(a.numpy(), np.asarray(c.value), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("wrapped,learning_rate", [(optax.sgd(0.1), None), (optax.sgd(1.0), 0.1)])
def test_optax_sgd_matches_keras_sgd(wrapped, learning_rate):
    opt_ours = kerasj.optimizers.OptaxOptimizer(wrapped, learning_rate=learning_rate)
    vars_ours = [kerasj.Variable(v) for v in initial_values()]
    opt_theirs = keras.optimizers.SGD(0.1)
    vars_theirs = [keras.Variable(v) for v in initial_values()]
    for grads in gradient_sequence():
        opt_ours.apply_gradients(zip(grads, vars_ours))
        opt_theirs.apply_gradients(zip(grads, vars_theirs))
        for a, b in zip(vars_ours, vars_theirs):
            np.testing.assert_allclose(a.numpy(), np.asarray(b.value), rtol=RTOL, atol=ATOL)
    assert int(opt_ours.iterations) == int(opt_theirs.iterations) == STEPS
