"""The Optimizer base class: state handling, argument checks, the learning-rate forms, constraints, EMA,
gradient accumulation, the pure form and the Keras 3 custom-optimizer API. Expected numbers are computed by
hand (plain SGD makes every step `w - lr * g`)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj import constraints
from kerasj.optimizers import SGD, Adam, Optimizer, schedules
from kerasj.variables import StateScope, Variable


def var(values, name="w", **kwargs):
    return Variable(np.asarray(values, np.float32), name=name, **kwargs)


def test_state_is_variables_in_keras_order():
    w, b = var([[1.0, 2.0]], name="kernel"), var([0.0], name="bias")
    opt = SGD(0.1, momentum=0.9, name="opt")
    opt.build([w, b])
    assert [v.path for v in opt.variables] == ["opt/iteration", "opt/learning_rate", "opt/kernel_momentum",
                                               "opt/bias_momentum"]
    assert all(isinstance(v, Variable) and not v.trainable for v in opt.variables)
    assert opt.variables[0].dtype == "int32" and opt.variables[1].dtype == "float32"


def test_default_names_are_unique_snake_case():
    a, b = Adam(), Adam()
    assert a.name.startswith("adam") and b.name.startswith("adam") and a.name != b.name


def test_apply_builds_lazily_and_counts_steps():
    w = var([1.0, 2.0])
    opt = SGD(0.5)
    assert not opt.built
    opt.apply_gradients([(np.array([1.0, 1.0], np.float32), w)])
    assert opt.built
    np.testing.assert_allclose(w.numpy(), [0.5, 1.5])
    opt.apply([np.array([2.0, 0.0], np.float32)], [w])
    opt.apply([np.array([2.0, 0.0], np.float32)])  # defaults to the built variables
    np.testing.assert_allclose(w.numpy(), [-1.5, 1.5])
    assert int(opt.iterations) == 3


def test_setting_learning_rate_assigns_the_variable():
    w = var([0.0])
    opt = SGD(0.1)
    opt.apply_gradients([(np.ones(1, np.float32), w)])
    lr_variable = opt.variables[1]
    opt.learning_rate = 0.5
    assert opt.variables[1] is lr_variable  # an assign, so compiled steps see it without recompiling
    assert float(opt.learning_rate) == 0.5
    opt.apply_gradients([(np.ones(1, np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [-0.6])


def test_learning_rate_as_schedule_and_callable():
    schedule = schedules.PiecewiseConstantDecay([0], [1.0, 0.25])  # 1.0 at step 0, then 0.25
    w = var([0.0])
    opt = SGD(schedule)
    assert [v.name for v in opt.variables] == ["iteration"]  # no learning-rate variable
    for _ in range(3):
        opt.apply_gradients([(np.ones(1, np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [-1.5])
    assert float(opt.learning_rate) == 0.25
    with pytest.raises(TypeError, match="learning rate cannot be set"):
        opt.learning_rate = 0.1

    w2 = var([0.0])
    opt2 = SGD(lambda: 0.2)
    opt2.apply_gradients([(np.ones(1, np.float32), w2)])
    np.testing.assert_allclose(w2.numpy(), [-0.2])


def test_setting_a_schedule_replaces_the_learning_rate_variable():
    opt = SGD(0.1)
    opt.learning_rate = schedules.ExponentialDecay(0.2, 1, 0.5)
    assert [v.name for v in opt.variables] == ["iteration"]
    np.testing.assert_allclose(float(opt.learning_rate), 0.2)


@pytest.mark.parametrize("kwargs,match", [
    ({"clipnorm": 1.0, "clipvalue": 1.0}, "only one of"),
    ({"use_ema": True, "ema_momentum": 1.5}, "ema_momentum"),
    ({"gradient_accumulation_steps": 1}, "gradient_accumulation_steps"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"lr": 0.1}, "use `learning_rate`"),
    ({"momentum": 2.0}, "momentum"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SGD(**kwargs)


def test_bad_clip_type_raises_type_error():
    with pytest.raises(TypeError, match="clipnorm"):
        SGD(clipnorm="big")


def test_legacy_decay_argument_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="decay"):
        opt = SGD(0.1, decay=0.01)
    assert float(opt.learning_rate) == pytest.approx(0.1)


def test_missing_gradients_are_skipped_with_a_warning():
    a, b = var([1.0], name="a"), var([1.0], name="b")
    opt = SGD(1.0)
    with pytest.warns(UserWarning, match="b"):
        opt.apply_gradients([(np.ones(1, np.float32), a), (None, b)])
    np.testing.assert_allclose([a.numpy()[0], b.numpy()[0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="no gradients"):
        opt.apply_gradients([(None, a), (None, b)])


def test_bad_gradients_and_variables_raise_before_any_change():
    w = var([1.0, 2.0])
    opt = SGD(1.0)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        opt.apply_gradients([(np.ones(3, np.float32), w)])
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    assert int(opt.iterations) == 0
    with pytest.raises(ValueError, match="unknown variable"):
        opt.apply_gradients([(np.ones(1, np.float32), var([0.0], name="other"))])
    with pytest.raises(ValueError, match="must already be built"):
        SGD().apply([np.ones(1, np.float32)])


def test_constraint_is_applied_after_the_update():
    w = var([1.0, 0.2], constraint=constraints.NonNeg())
    opt = SGD(1.0)
    opt.apply_gradients([(np.array([0.5, 0.5], np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [0.5, 0.0])


def test_weight_decay_is_decoupled_and_uses_the_learning_rate():
    w = var([2.0])
    opt = SGD(0.1, weight_decay=0.5)
    opt.apply_gradients([(np.zeros(1, np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [2.0 - 2.0 * 0.5 * 0.1])


def test_weight_decay_exclusion_must_come_before_build():
    opt = SGD(0.1, weight_decay=0.5)
    opt.build([var([1.0])])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["bias"])


def test_clipping_numbers():
    g = np.array([3.0, 4.0], np.float32)  # norm 5
    for kwargs, expected in [({"clipnorm": 1.0}, [0.6, 0.8]), ({"clipvalue": 3.5}, [3.0, 3.5]),
                             ({"global_clipnorm": 2.5}, [1.5, 2.0]), ({"clipnorm": 10.0}, [3.0, 4.0])]:
        w = var([0.0, 0.0])
        SGD(1.0, **kwargs).apply_gradients([(g, w)])
        np.testing.assert_allclose(-w.numpy(), expected, rtol=1e-6, err_msg=str(kwargs))


def test_global_clipnorm_spans_all_gradients():
    a, b = var([0.0]), var([0.0])
    SGD(1.0, global_clipnorm=1.0).apply_gradients([(np.array([3.0], np.float32), a),
                                                    (np.array([4.0], np.float32), b)])
    np.testing.assert_allclose([-a.numpy()[0], -b.numpy()[0]], [0.6, 0.8], rtol=1e-6)


def test_loss_scale_factor_unscales_gradients():
    w = var([0.0])
    opt = SGD(1.0, loss_scale_factor=4.0)
    assert float(opt.scale_loss(jnp.asarray(2.0))) == 8.0
    opt.apply_gradients([(np.array([8.0], np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [-2.0])


def test_gradient_accumulation_updates_every_n_calls_with_the_mean():
    w = var([0.0])
    opt = SGD(1.0, gradient_accumulation_steps=2)
    opt.apply_gradients([(np.array([1.0], np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [0.0])
    assert int(opt.iterations) == 0
    opt.apply_gradients([(np.array([3.0], np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [-2.0])
    assert int(opt.iterations) == 1
    np.testing.assert_allclose(opt.variables[2].numpy(), [0.0])  # accumulator reset


def test_ema_average_and_finalize():
    w = var([1.0])
    opt = SGD(1.0, use_ema=True, ema_momentum=0.5)
    opt.apply_gradients([(np.array([1.0], np.float32), w)])  # w = 0, first average copies it: 0
    opt.apply_gradients([(np.array([1.0], np.float32), w)])  # w = -1, average = 0.5 * 0 + 0.5 * -1
    average = opt.variables[2]
    np.testing.assert_allclose(average.numpy(), [-0.5])
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [-0.5])


def test_stateless_apply_returns_values_and_changes_nothing():
    w = var([1.0, 2.0])
    opt = SGD(0.5, momentum=0.5)
    opt.build([w])
    new_params, new_state = opt.stateless_apply([v.value for v in opt.variables], [jnp.ones(2)], [w.value])
    np.testing.assert_allclose(new_params[0], [0.5, 1.5])
    np.testing.assert_allclose(new_state[2], [-0.5, -0.5])
    assert int(new_state[0]) == 1
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    assert int(opt.iterations) == 0
    with pytest.raises(ValueError, match="one to one"):
        opt.stateless_apply([w.value], [jnp.ones(2)], [w.value])
    with pytest.raises(ValueError, match="must be built"):
        SGD().stateless_apply([], [jnp.ones(2)], [w.value])


def test_stateless_apply_under_jit():
    w = var([1.0, 2.0])
    opt = Adam(0.1)
    opt.build([w])
    step = jax.jit(opt.stateless_apply)
    params, state = [w.value], [v.value for v in opt.variables]
    for _ in range(3):
        params, state = step(state, [jnp.array([1.0, -1.0])], params)
    for _ in range(3):
        opt.apply_gradients([(jnp.array([1.0, -1.0]), w)])
    np.testing.assert_allclose(params[0], w.numpy(), rtol=1e-6)
    for a, b in zip(state, opt.variables):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-6)


def test_apply_inside_a_scope_writes_to_the_scope_only():
    w = var([1.0])
    opt = SGD(1.0)
    opt.build([w])
    state = [w] + opt.variables
    with StateScope(zip(state, [v.value for v in state])) as scope:
        opt.apply_gradients([(jnp.array([1.0]), w)])
        new = scope.values(state)
    np.testing.assert_allclose(new[0], [0.0])
    assert int(new[1]) == 1
    np.testing.assert_array_equal(w.numpy(), [1.0])
    assert int(opt.iterations) == 0


def test_custom_optimizer_with_keras_3_api():
    class SignSGD(Optimizer):
        def build(self, var_list):
            super().build(var_list)
            self.steps_taken = [self.add_variable_from_reference(v, "count") for v in var_list]

        def update_step(self, gradient, variable, learning_rate):
            self.assign_sub(variable, jnp.sign(gradient) * jnp.asarray(learning_rate, variable.dtype))
            self.assign_add(self.steps_taken[self._get_variable_index(variable)], jnp.ones(variable.shape))

    w = var([1.0, 1.0], name="k")
    opt = SignSGD(learning_rate=0.25, name="sign")
    opt.apply_gradients([(np.array([-3.0, 5.0], np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [1.25, 0.75])
    assert [v.path for v in opt.variables] == ["sign/iteration", "sign/learning_rate", "sign/k_count"]
    np.testing.assert_allclose(opt.variables[2].numpy(), [1.0, 1.0])


def test_set_weights_and_save_load_own_variables():
    w = var([1.0, 2.0])
    opt = Adam(0.1)
    opt.apply_gradients([(np.array([1.0, 1.0], np.float32), w)])
    store = {}
    opt.save_own_variables(store)
    assert sorted(store) == ["0", "1", "2", "3"]
    other = Adam(0.5)
    other.build([var([0.0, 0.0])])
    other.load_own_variables(store)
    for a, b in zip(other.variables, opt.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    other.set_weights([np.asarray(5), np.asarray(0.01), np.zeros(2), np.ones(2)])
    assert int(other.iterations) == 5
    with pytest.raises(ValueError, match="expected 4 arrays"):
        other.set_weights([np.asarray(5)])
