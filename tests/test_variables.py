"""Variable and StateScope: the bridge between stateful objects and pure JAX."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj.variables import StateScope, Variable, name_scope


def test_variable_basics():
    v = Variable(np.array([1.0, 2.0]), name="w", trainable=False)
    assert v.shape == (2,) and v.dtype == "float32" and v.name == "w" and v.path == "w"
    assert v.trainable is False
    v.assign([3.0, 4.0])
    v.assign_add(jnp.ones(2))
    v.assign_sub(np.array([0.5, 0.5]))
    np.testing.assert_allclose(v.numpy(), [3.5, 4.5])


def test_variable_from_callable_initializer_and_path():
    with name_scope("block"):
        v = Variable(lambda shape, dtype: jnp.full(shape, 2.0, dtype), shape=(2, 3), name="kernel")
    assert v.path == "block/kernel"
    np.testing.assert_array_equal(v.numpy(), np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match="shape"):
        Variable(lambda shape, dtype: jnp.zeros(shape), name="k")


def test_variable_in_jax_numpy_and_arithmetic():
    v = Variable(np.array([1.0, 4.0]))
    np.testing.assert_allclose(jnp.sqrt(v), [1.0, 2.0])
    np.testing.assert_allclose(jax.nn.relu(v - 2), [0.0, 2.0])
    np.testing.assert_allclose(v * 2 + 1, [3.0, 9.0])
    np.testing.assert_allclose(10 - v, [9.0, 6.0])
    np.testing.assert_allclose(jnp.matmul(v, v), 17.0)
    np.testing.assert_allclose(np.asarray(v), [1.0, 4.0])
    np.testing.assert_array_equal(v > 2, [False, True])
    assert {v: 1}[v] == 1  # hashable by identity although == is elementwise


def test_assign_checks_shape_and_casts_dtype():
    v = Variable(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        v.assign(np.zeros(3))
    v.assign(np.ones((2, 2), np.float64))
    assert v.value.dtype == jnp.float32


def test_assign_tracer_outside_scope_is_refused():
    v = Variable(1.0)

    @jax.jit
    def bad(x):
        v.assign(x)
        return x

    with pytest.raises(ValueError, match="kerasj.function"):
        bad(2.0)
    assert float(v.numpy()) == 1.0


def test_scope_redirects_reads_and_writes():
    v = Variable(1.0)
    with StateScope({v: jnp.float32(5.0)}) as scope:
        assert float(v.value) == 5.0
        v.assign(v * 2)
        assert float(v.value) == 10.0
        assert float(scope.get(v)) == 10.0
    assert float(v.numpy()) == 1.0  # the Variable itself is untouched


def test_nested_scopes_fall_through_and_write_innermost():
    a, b = Variable(1.0), Variable(2.0)
    with StateScope({a: 10.0, b: 20.0}) as outer:
        with StateScope({a: 100.0}) as inner:
            assert float(b.value) == 20.0  # falls through to the outer scope
            b.assign(21.0)
            assert float(b.value) == 21.0
        assert float(outer.get(b)) == 20.0  # write stayed in the inner scope
        assert float(inner.get(b)) == 21.0


def test_pure_step_under_jit_returns_new_state():
    v = Variable(np.array([1.0, 2.0]))
    counter = Variable(0, dtype="int32")

    def step(values, x):
        with StateScope(zip([v, counter], values)) as scope:
            v.assign(v + x)
            counter.assign_add(1)
            return scope.values([v, counter])

    new = jax.jit(step)((v.value, counter.value), jnp.array([1.0, 1.0]))
    np.testing.assert_allclose(new[0], [2.0, 3.0])
    assert int(new[1]) == 1
    np.testing.assert_allclose(v.numpy(), [1.0, 2.0])


def test_jax_grad_with_respect_to_a_variable():
    v = Variable(np.array([1.0, 2.0, 3.0]))
    g = jax.grad(lambda w: jnp.sum(w * w))(v)
    np.testing.assert_allclose(g, 2 * np.array([1.0, 2.0, 3.0]))


def test_variable_created_inside_a_trace_holds_a_concrete_value():
    made = []

    @jax.jit
    def f(x):
        # Layers build lazily, maybe inside a trace: callable initializers still run eagerly.
        made.append(Variable(lambda shape, dtype: jax.random.normal(jax.random.PRNGKey(0), shape, dtype),
                             shape=(3,)))
        return x

    f(1.0)
    np.testing.assert_allclose(made[0].numpy(), np.asarray(jax.random.normal(jax.random.PRNGKey(0), (3,))))
