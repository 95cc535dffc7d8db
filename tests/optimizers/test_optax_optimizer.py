"""OptaxOptimizer: optax transformations driven through the Keras optimizer path, checked against plain
optax loops (the independent reference), with their state in Variables."""
import jax
import numpy as np
import optax
import pytest

import kerasj
from kerasj.optimizers import SGD, OptaxOptimizer
from kerasj.variables import StateScope, Variable


def setup(seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=(2,)).astype(np.float32)]
    grads = [[rng.normal(size=p.shape).astype(np.float32) for p in params] for _ in range(4)]
    return params, grads


def optax_loop(tx, params, grads):
    state = tx.init(params)
    for g in grads:
        updates, state = tx.update(g, state, params)
        params = optax.apply_updates(params, updates)
    return params, state


@pytest.mark.parametrize("tx", [optax.adam(0.01), optax.adamw(0.01, weight_decay=0.1),
                                optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.1, momentum=0.9))])
def test_matches_a_plain_optax_loop(tx):
    params, grads = setup()
    variables = [Variable(p) for p in params]
    opt = OptaxOptimizer(tx)
    for g in grads:
        opt.apply_gradients(zip(g, variables))
    expected_params, expected_state = optax_loop(tx, params, grads)
    for v, p in zip(variables, expected_params):
        np.testing.assert_allclose(v.numpy(), p, rtol=1e-6, atol=1e-7)
    state_leaves = jax.tree_util.tree_leaves(expected_state)
    ours = opt.variables[2:]
    assert len(ours) == len(state_leaves)
    for v, leaf in zip(ours, state_leaves):
        np.testing.assert_allclose(v.numpy(), leaf, rtol=1e-6, atol=1e-7)
    assert int(opt.iterations) == len(grads)


def test_learning_rate_multiplies_the_updates_and_is_settable():
    params, grads = setup()
    variables = [Variable(p) for p in params]
    opt = OptaxOptimizer(optax.adam(1.0), learning_rate=0.01)
    for g in grads:
        opt.apply_gradients(zip(g, variables))
    expected, _ = optax_loop(optax.adam(0.01), params, grads)
    for v, p in zip(variables, expected):
        np.testing.assert_allclose(v.numpy(), p, rtol=1e-5, atol=1e-7)
    opt.learning_rate = 0.0
    before = [v.numpy() for v in variables]
    opt.apply_gradients(zip(grads[0], variables))
    for v, b in zip(variables, before):
        np.testing.assert_array_equal(v.numpy(), b)


def test_state_variable_names():
    w = Variable(np.zeros(2, np.float32), name="w")
    opt = OptaxOptimizer(optax.adam(0.1), name="ox")
    opt.build([w])
    assert [v.path for v in opt.variables] == ["ox/iteration", "ox/learning_rate", "ox/state_0_count",
                                               "ox/state_0_mu_0", "ox/state_0_nu_0"]


def test_jit_through_state_scope_matches_eager():
    params, grads = setup()
    eager_vars, jit_vars = [Variable(p) for p in params], [Variable(p) for p in params]
    eager, jitted = OptaxOptimizer(optax.adam(0.05)), OptaxOptimizer(optax.adam(0.05))
    jitted.build(jit_vars)
    state = jit_vars + jitted.variables

    @jax.jit
    def step(values, g):
        with StateScope(zip(state, values)) as scope:
            jitted.apply_gradients(zip(g, jit_vars))
            return scope.values(state)

    values = [v.value for v in state]
    for g in grads:
        values = step(values, g)
        eager.apply_gradients(zip(g, eager_vars))
    for a, b in zip(values, eager_vars + eager.variables):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-6, atol=1e-7)


def test_compile_accepts_an_optax_transformation_and_fit_matches_sgd():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = rng.normal(size=(32, 1)).astype(np.float32)
    models = []
    for optimizer in (optax.sgd(0.1), SGD(0.1)):
        model = kerasj.Sequential([kerasj.Input((4,)), kerasj.layers.Dense(1)])
        if models:
            model.set_weights(models[0].get_weights())
        model.compile(optimizer=optimizer, loss="mse")
        models.append(model)
    for model in models:
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert isinstance(models[0].optimizer, OptaxOptimizer)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_bad_transformation_and_from_config():
    with pytest.raises(TypeError, match="GradientTransformation"):
        OptaxOptimizer("adam")
    opt = OptaxOptimizer(optax.sgd(0.1))
    with pytest.raises(ValueError, match="transformation"):
        OptaxOptimizer.from_config(opt.get_config())
    rebuilt = OptaxOptimizer.from_config({**opt.get_config(), "transformation": optax.sgd(0.2)})
    assert isinstance(rebuilt, OptaxOptimizer)
