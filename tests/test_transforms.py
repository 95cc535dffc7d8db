"""value_and_grad / grad / function: stateful transforms on top of StateScope."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj as keras
from kerasj import layers


def test_value_and_grad_equals_jax_grad_of_the_pure_function():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    y = np.ones((5, 1), np.float32)

    def loss_fn():
        return jnp.mean((model(x) - y) ** 2)

    value, grads = keras.value_and_grad(loss_fn, model.trainable_variables)()
    k1, b1, k2, b2 = [v.numpy() for v in model.trainable_variables]

    def pure(params):
        k1, b1, k2, b2 = params
        return jnp.mean((jnp.tanh(x @ k1 + b1) @ k2 + b2 - y) ** 2)

    expected_value, expected = jax.value_and_grad(pure)([k1, b1, k2, b2])
    np.testing.assert_allclose(value, expected_value, rtol=1e-6)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7)


def test_assignments_to_other_variables_are_kept():
    w = keras.Variable(np.array([2.0], np.float32))
    calls = keras.Variable(np.float32(0.0))

    def f():
        calls.assign_add(1.0)
        return jnp.sum(w * w)

    (value, aux), grads = keras.value_and_grad(lambda: (f(), calls.value), [w], has_aux=True)()
    assert float(value) == 4.0 and float(grads[0][0]) == 4.0
    assert float(calls.numpy()) == 1.0


def test_second_derivative_by_nesting():
    w = keras.Variable(np.array([1.0, 2.0], np.float32))

    def first():
        return keras.grad(lambda: jnp.sum(w ** 3), [w])()[0].sum()  # sum(3 w^2)

    second = keras.grad(first, [w])()[0]
    np.testing.assert_allclose(second, 6 * np.array([1.0, 2.0]), rtol=1e-6)


def test_value_and_grad_inside_jit_through_a_scope():
    w = keras.Variable(np.array([3.0], np.float32))

    @jax.jit
    def step(value):
        with keras.StateScope({w: value}) as scope:
            loss, grads = keras.value_and_grad(lambda: jnp.sum(w * w), [w])()
            w.assign_sub(0.1 * grads[0])
            return scope.get(w)

    np.testing.assert_allclose(step(w.value), [3.0 - 0.1 * 6.0], rtol=1e-6)


def test_rejects_non_variables():
    with pytest.raises(TypeError, match="kerasj Variables"):
        keras.value_and_grad(lambda: 0.0, [np.zeros(2)])


def make_training():
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)])
    optimizer = keras.optimizers.SGD(0.1)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    metric = keras.metrics.SparseCategoricalAccuracy()

    def train_step(x, y):
        def f():
            logits = model(x, training=True)
            return loss_fn(y, logits), logits

        (loss, logits), grads = keras.value_and_grad(f, model.trainable_variables, has_aux=True)()
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        metric.update_state(y, logits)
        return loss

    return model, optimizer, metric, train_step


def test_function_matches_eager_and_writes_state_back():
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(16, 5)).astype(np.float32), rng.integers(0, 3, 16)) for _ in range(4)]
    keras.utils.set_random_seed(1)
    m1, o1, a1, step1 = make_training()
    keras.utils.set_random_seed(1)
    m2, o2, a2, step2 = make_training()
    m1.build((None, 5))
    m2.build((None, 5))
    compiled = keras.function(step2)
    eager_losses = [float(step1(x, y)) for x, y in batches]
    compiled_losses = [float(compiled(x, y)) for x, y in batches]
    np.testing.assert_allclose(compiled_losses, eager_losses, rtol=1e-5)
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert int(o2.iterations.numpy()) == 4  # optimizer state lives on across calls
    np.testing.assert_allclose(a2.result(), a1.result(), rtol=1e-6)
    assert compiled.trace_count == 1  # the first call ran eagerly (building optimizer state), then one trace


def test_function_with_an_unbuilt_model_builds_it_while_discovering_state():
    # `model.trainable_variables` is read inside the step. Under kerasj.function the first call's abstract
    # discovery pass builds the model, so even the first call updates the weights — as an eager loop over
    # a model built beforehand does.
    rng = np.random.default_rng(1)
    batches = [(rng.normal(size=(8, 5)).astype(np.float32), rng.integers(0, 3, 8)) for _ in range(4)]
    keras.utils.set_random_seed(2)
    m1, o1, _, step1 = make_training()
    keras.utils.set_random_seed(2)
    m2, o2, _, step2 = make_training()
    m1.build((None, 5))
    compiled = keras.function(step2)
    for x, y in batches:
        np.testing.assert_allclose(float(compiled(x, y)), float(step1(x, y)), rtol=1e-5)
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert int(o2.iterations.numpy()) == int(o1.iterations.numpy()) == 4
    # Discovery saw no weight updates (the list was read before the build); the first compiled call found
    # them, kept them, and the program was recompiled once with the weights as written state.
    assert compiled.trace_count == 2


def test_function_retraces_only_for_new_signatures():
    v = keras.Variable(np.float32(0.0))

    @keras.function
    def add(x, scale):
        v.assign_add(jnp.sum(x) * scale)
        return v.value

    for _ in range(3):
        add(np.ones(3, np.float32), 2.0)
    assert add.trace_count == 1 and float(v.numpy()) == 18.0
    add(np.ones(4, np.float32), 2.0)   # new shape: eager discovery
    add(np.ones(4, np.float32), 2.0)   # ... then one more trace
    add(np.ones(3, np.float32), 3.0)   # a Python number is static: new signature
    add(np.ones(3, np.float32), 3.0)
    assert add.trace_count == 3
    assert float(v.numpy()) == 18.0 + 8.0 + 8.0 + 9.0 + 9.0


def test_function_inside_a_compiled_step_is_inlined():
    counter = keras.Variable(np.float32(0.0))

    @keras.function
    def bump():
        counter.assign_add(1.0)

    @jax.jit
    def outer(value):
        with keras.StateScope({counter: value}) as scope:
            bump()
            bump()
            return scope.get(counter)

    assert float(outer(counter.value)) == 2.0


class Penalized(layers.Layer):
    def call(self, x):
        self.add_loss(0.5 * jnp.sum(x * x))
        return x


def test_losses_after_a_transform_are_concrete_values():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layers.Dense(1)(Penalized()(inputs)))
    x = np.array([[1.0, 2.0]], np.float32)
    keras.value_and_grad(lambda: jnp.sum(model(x)) + sum(model.losses), model.trainable_variables)()
    assert [float(l) for l in model.losses] == [2.5]

    @keras.function
    def step(x):
        return jnp.sum(model(x))

    for _ in range(3):
        step(x * 2)
    assert [float(l) for l in model.losses] == [10.0]


def test_value_and_grad_builds_an_unbuilt_model_on_the_first_call():
    model = keras.Sequential([layers.Dense(3), layers.Dense(1)])
    x = np.ones((4, 5), np.float32)
    loss, grads = keras.value_and_grad(lambda: jnp.mean(model(x) ** 2), model)()
    assert model.built and len(grads) == 4
    assert [g.shape for g in grads] == [v.shape for v in model.trainable_variables]
    with pytest.warns(UserWarning, match="empty"):
        keras.value_and_grad(lambda: jnp.float32(0.0), [])()


def test_unread_variables_get_zero_gradients_and_a_warning():
    used, unused = keras.Variable(np.float32(3.0), name="used"), keras.Variable(np.float32(1.0), name="unused")
    with pytest.warns(UserWarning, match=r"\['unused'\]"):
        grads = keras.grad(lambda: used * used, [used, unused])()
    assert float(grads[0]) == 6.0 and float(grads[1]) == 0.0


def test_batch_norm_statistics_update_through_value_and_grad():
    model = keras.Sequential([keras.Input((3,)), layers.BatchNormalization(momentum=0.5), layers.Dense(1)])
    bn = model.layers[0]
    x = np.random.default_rng(0).normal(2.0, 1.0, size=(16, 3)).astype(np.float32)
    keras.value_and_grad(lambda: jnp.mean(model(x, training=True) ** 2), model.trainable_variables)()
    # moving = momentum * moving + (1 - momentum) * batch statistic (independent numpy computation)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * 0.0 + 0.5 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.5 * 1.0 + 0.5 * x.var(axis=0), rtol=1e-5)
    assert all(not isinstance(v.value, jax.core.Tracer) for v in model.variables)


def test_gradient_of_a_non_scalar_value_explains_how_to_reduce_it():
    v = keras.Variable(np.ones(3, np.float32))
    with pytest.raises(TypeError, match=r"must return a scalar loss.*shape \(3,\).*ops.mean"):
        keras.value_and_grad(lambda x: x * v, [v])(jnp.ones(3))
    with pytest.raises(TypeError, match=r"has_aux=True.*must return a pair"):
        keras.value_and_grad(lambda x: jnp.sum(x * v), [v], has_aux=True)(jnp.ones(3))
    np.testing.assert_array_equal(v.numpy(), np.ones(3))


@pytest.mark.parametrize("convert", ["float", "if", "numpy", "item"])
def test_function_using_concrete_values_fails_clearly_and_changes_nothing(convert):
    v = keras.Variable(np.ones(3, np.float32))

    def step(x):
        v.assign_add(x)  # assigned before the untraceable line: must not leak a tracer into v
        total = jnp.sum(v * x)
        if convert == "float":
            return float(total)
        if convert == "if":
            return 1.0 if total > 0 else 0.0
        if convert == "numpy":
            return np.asarray(total)
        return total.item()

    fn = keras.function(step)
    for _ in range(2):  # the first call (state discovery) and a retry fail the same way
        with pytest.raises(keras.UntraceableFunctionError, match=r"could not compile `.*step`.*ops.cond"
                                                                 r".*jit_compile=False"):
            fn(jnp.ones(3))
        assert isinstance(v.value, jax.Array) and not isinstance(v.value, jax.core.Tracer)
        np.testing.assert_array_equal(v.numpy(), np.ones(3))
    # The advertised way out runs it as Python.
    eager = keras.function(step, jit_compile=False)
    eager(jnp.ones(3))
    np.testing.assert_array_equal(v.numpy(), 2 * np.ones(3))
