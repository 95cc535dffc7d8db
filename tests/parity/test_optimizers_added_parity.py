"""The optimizers added to kerasj.optimizers (Lamb, Muon, ScheduleFreeAdamW, LossScaleOptimizer,
MultiOptimizer) against Keras 3 (JAX backend): from the same weights, the same gradient steps give the same
weights and the same optimizer variables (names, order, values); one fit epoch gives the same weights."""
import os
import re

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

import kerasj

RTOL, ATOL = 2e-5, 2e-6
STEPS = 3
# Dense(3) on 4 features: kernel (4, 3) is 2-D (Muon's rule), bias (3,) is not (Muon's AdamW rule).
KERNEL, BIAS = (4, 3), (3,)


def dense_pair(seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=KERNEL).astype("float32"), rng.normal(size=BIAS).astype("float32")]
    ours, theirs = kerasj.layers.Dense(3, name="dense"), keras.layers.Dense(3, name="dense")
    ours.build((None, 4))
    theirs.build((None, 4))
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


def gradients(seed=1, steps=STEPS):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=KERNEL).astype("float32"), rng.normal(size=BIAS).astype("float32")]
            for _ in range(steps)]


def _unnumbered(path):
    return "/".join(re.sub(r"_\d+$", "", part) for part in path.split("/"))


def assert_same(opt_ours, layer_ours, opt_theirs, layer_theirs, step):
    for a, b in zip(layer_ours.get_weights(), layer_theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=f"weights after step {step}")
    # Optimizer names are numbered from per-process counters ("lamb_2"), which depend on the tests run before.
    assert [_unnumbered(v.path) for v in opt_ours.variables] == [_unnumbered(v.path) for v in opt_theirs.variables]
    for a, b in zip(opt_ours.variables, opt_theirs.variables):
        np.testing.assert_allclose(np.asarray(a.value), np.asarray(b.value), rtol=RTOL, atol=ATOL,
                                   err_msg=f"optimizer variable {b.path} after step {step}")


FACTORIES = {
    "lamb": lambda lib: lib.optimizers.Lamb(0.01),
    "lamb_options": lambda lib: lib.optimizers.Lamb(0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-6,
                                                    weight_decay=0.1, clipnorm=1.0),
    "muon": lambda lib: lib.optimizers.Muon(0.01),
    "muon_options": lambda lib: lib.optimizers.Muon(0.02, momentum=0.9, nesterov=False, ns_steps=3, rms_rate=None,
                                                    adam_lr_ratio=0.5, weight_decay=0.1, adam_weight_decay=0.01),
    "muon_exclude": lambda lib: lib.optimizers.Muon(0.01, exclude_layers=["dense"]),
    "schedule_free": lambda lib: lib.optimizers.ScheduleFreeAdamW(0.01),
    "schedule_free_warmup": lambda lib: lib.optimizers.ScheduleFreeAdamW(0.02, beta_1=0.8, warmup_steps=2,
                                                                         weight_decay=0.05),
    "multi": lambda lib: lib.optimizers.MultiOptimizer(lib.optimizers.OptimizerMap(
        lib.optimizers.SGD(0.1, momentum=0.9), {".*bias": lib.optimizers.Adam(0.01)})),
}


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_apply_gradients_matches_keras(kind):
    ours, theirs = dense_pair()
    opt_ours, opt_theirs = FACTORIES[kind](kerasj), FACTORIES[kind](keras)
    for step, grads in enumerate(gradients()):
        opt_ours.apply_gradients(zip(grads, ours.trainable_variables))
        opt_theirs.apply_gradients(zip(grads, theirs.trainable_variables))
        assert_same(opt_ours, ours, opt_theirs, theirs, step)
    assert int(opt_ours.iterations.value) == int(opt_theirs.iterations.value) == STEPS


def _keras_loss_scale_steps(opt, layer, grad_steps):
    # Keras 3.15's eager LossScaleOptimizer.apply fails on JAX (a tracer leaks out of its `cond`), so its
    # oracle here is `stateless_apply`, the form Keras's own JAX trainer uses.
    opt.build(layer.trainable_variables)
    train = [v.value for v in layer.trainable_variables]
    state = [v.value for v in opt.variables]
    for grads in grad_steps:
        train, state = opt.stateless_apply(state, grads, train)
    for v, value in zip(layer.trainable_variables, train):
        v.assign(value)
    for v, value in zip(opt.variables, state):
        v.assign(value)


def test_loss_scale_optimizer_matches_keras_with_growth_and_a_skipped_inf_step():
    ours, theirs = dense_pair()
    make = lambda lib: lib.optimizers.LossScaleOptimizer(lib.optimizers.SGD(0.1, momentum=0.9), initial_scale=8.0,
                                                        dynamic_growth_steps=2)
    opt_ours, opt_theirs = make(kerasj), make(keras)
    grad_steps = gradients(steps=4)
    grad_steps[2][0] = grad_steps[2][0].copy()
    grad_steps[2][0][0, 0] = np.inf  # step 2 has an inf: skipped, scale halved
    scales = []
    for step, grads in enumerate(grad_steps):
        opt_ours.apply(grads, ours.trainable_variables)
        scales.append(float(opt_ours.dynamic_scale.value))
    _keras_loss_scale_steps(opt_theirs, theirs, grad_steps)
    # Two finite steps double the scale (8 -> 16), the inf step halves it, one more finite step counts 1.
    assert scales == [8.0, 16.0, 8.0, 8.0]
    assert_same(opt_ours, ours, opt_theirs, theirs, "last")
    assert int(opt_ours.iterations.value) == 3  # the skipped step does not count


def test_loss_scale_optimizer_skips_the_whole_update_inside_a_compiled_step():
    ours, _ = dense_pair()
    opt = kerasj.optimizers.LossScaleOptimizer(kerasj.optimizers.Adam(0.1), initial_scale=4.0)
    opt.build(ours.trainable_variables)
    state = ours.trainable_variables + opt.variables
    step = jax.jit(kerasj.variables.pure(lambda g: opt.apply(g, ours.trainable_variables), state))
    before = [np.asarray(v.value) for v in state]
    bad = [np.full(KERNEL, np.nan, "float32"), np.ones(BIAS, "float32")]
    values, _ = step([v.value for v in state], bad)
    after = [np.asarray(v) for v in values]
    scale_index = [v is opt.dynamic_scale for v in state].index(True)
    for i, (a, b) in enumerate(zip(before, after)):
        if i != scale_index:
            np.testing.assert_array_equal(a, b)
    assert after[scale_index] == 2.0
    good = [np.ones(KERNEL, "float32") * 4.0, np.ones(BIAS, "float32") * 4.0]
    values, _ = step(values, good)
    kernel = np.asarray(values[0])
    # Adam's first step moves every weight by about lr against the sign of the (unscaled) gradient.
    np.testing.assert_allclose(before[0] - kernel, 0.1, rtol=1e-4)


# Lamb is a per-variable rule like Adam, fully covered above; these three also build or dispatch differently.
FIT_FACTORIES = {k: FACTORIES[k] for k in ("muon", "schedule_free", "multi")}


@pytest.fixture(scope="module")
def regression_data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 3)).astype("float32")
    return x, y


@pytest.mark.parametrize("kind", sorted(FIT_FACTORIES))
def test_one_fit_epoch_matches_keras(kind, regression_data):
    x, y = regression_data
    weights = [w for w in dense_pair()[0].get_weights()]
    models = []
    for lib in (kerasj, keras):
        model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, name="dense")])
        model.set_weights(weights)
        model.compile(optimizer=FIT_FACTORIES[kind](lib), loss="mse")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        models.append(model)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


SCALED = {"loss_scale_optimizer": lambda lib: lib.optimizers.LossScaleOptimizer(lib.optimizers.Adam(0.01),
                                                                                dynamic_growth_steps=1),
          # fit differentiates the loss times the factor and the optimizer divides the gradients by it again
          "loss_scale_factor": lambda lib: lib.optimizers.SGD(0.1, loss_scale_factor=8.0)}


@pytest.mark.parametrize("kind", sorted(SCALED))
def test_fit_with_a_scaled_loss_matches_keras(kind, regression_data):
    x, y = regression_data
    weights = dense_pair()[0].get_weights()
    ours = kerasj.Sequential([kerasj.Input((4,)), kerasj.layers.Dense(3, name="dense")])
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")])
    for model, lib in ((ours, kerasj), (theirs, keras)):
        model.set_weights(weights)
        model.compile(optimizer=SCALED[kind](lib), loss="mse")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    if kind == "loss_scale_optimizer":
        # Two finite steps, each doubling the scale (dynamic_growth_steps=1).
        assert float(ours.optimizer.dynamic_scale.value) == float(theirs.optimizer.dynamic_scale.value) == 2.0**17
