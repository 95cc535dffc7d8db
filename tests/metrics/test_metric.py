"""The Metric base class: state variables, reset, __call__, sub-metrics, the stateless API, config."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj import metrics
from kerasj.utils import naming
from kerasj.variables import StateScope


class RunningMax(metrics.Metric):
    """Starts at -inf, so resetting to zeros would be wrong."""

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.best = self.add_variable(shape=(), initializer=np.array(-np.inf), name="best")
        self.seen = self.add_weight(name="seen")

    def update_state(self, values):
        values = jnp.asarray(values, self.dtype)
        self.best.assign(jnp.maximum(self.best.value, jnp.max(values)))
        self.seen.assign_add(values.size)

    def result(self):
        return self.best.value


class MeanPlusCount(metrics.Metric):
    """Holds another metric as an attribute."""

    def __init__(self):
        super().__init__(name="mean_plus_count")
        self.calls = self.add_variable(shape=(), initializer=jnp.zeros, name="calls")
        self.inner = metrics.Mean(name="inner")

    def update_state(self, values):
        self.inner.update_state(values)
        self.calls.assign_add(1.0)

    def result(self):
        return self.inner.result() + self.calls.value


def test_variables_are_non_trainable_named_and_typed():
    m = RunningMax(name="rmax")
    assert [v.path for v in m.variables] == ["rmax/best", "rmax/seen"]
    assert all(not v.trainable for v in m.variables)
    assert [v.dtype for v in m.variables] == ["float32", "float32"]
    assert m.seen.shape == () and float(m.seen.numpy()) == 0.0
    assert m.seen.aggregation == "sum"


def test_string_initializer_and_explicit_dtype():
    class Counter(metrics.Metric):
        def __init__(self):
            super().__init__(name="counter")
            self.n = self.add_variable(shape=(2,), initializer="ones", dtype="int32", name="n")

    m = Counter()
    assert m.n.dtype == "int32"
    np.testing.assert_array_equal(m.n.numpy(), [1, 1])


def test_default_name_is_unique_snake_case():
    naming.clear_session()
    assert RunningMax().name == "running_max"
    assert RunningMax().name == "running_max_1"
    assert RunningMax(name="best").name == "best"


def test_non_string_name_is_rejected():
    with pytest.raises(TypeError, match="name"):
        RunningMax(name=3)


def test_reset_state_restores_initial_values_not_zeros():
    m = RunningMax()
    m.update_state([1.0, 5.0, 2.0])
    assert float(m.result()) == 5.0
    m.reset_state()
    assert float(m.best.numpy()) == -np.inf
    assert float(m.seen.numpy()) == 0.0


def test_call_updates_then_returns_the_running_result():
    m = RunningMax()
    assert float(m([1.0, 2.0])) == 2.0
    assert float(m([0.0])) == 2.0
    assert float(m.seen.numpy()) == 3.0


def test_sub_metric_variables_follow_own_and_reset_together():
    m = MeanPlusCount()
    assert [v.path for v in m.variables] == ["mean_plus_count/calls", "inner/total", "inner/count"]
    m.update_state([2.0, 4.0])
    assert float(m.result()) == 4.0  # mean 3 + one call
    m.reset_state()
    assert [float(v.numpy()) for v in m.variables] == [0.0, 0.0, 0.0]


def test_stateless_update_and_result_leave_the_variables_alone():
    m = RunningMax()
    start = [v.value for v in m.variables]
    values = m.stateless_update_state(start, [3.0, 7.0])
    values = m.stateless_update_state(values, [4.0])
    assert [float(v) for v in values] == [7.0, 3.0]
    assert float(m.stateless_result(values)) == 7.0
    assert float(m.best.numpy()) == -np.inf and float(m.seen.numpy()) == 0.0


def test_stateless_reset_state_returns_initial_values_without_assigning():
    m = RunningMax()
    m.update_state([9.0])
    assert [float(v) for v in m.stateless_reset_state()] == [-np.inf, 0.0]
    assert float(m.best.numpy()) == 9.0


def test_stateless_update_rejects_wrong_number_of_values():
    m = MeanPlusCount()
    with pytest.raises(ValueError, match="3"):
        m.stateless_update_state([0.0], [1.0])
    with pytest.raises(ValueError, match="metric_variables"):
        m.stateless_result([0.0, 0.0])


def test_update_under_jit_inside_a_state_scope_matches_eager():
    jitted, eager = MeanPlusCount(), MeanPlusCount()
    variables = jitted.variables

    @jax.jit
    def step(values, batch):
        with StateScope(zip(variables, values)) as scope:
            jitted.update_state(batch)
            return scope.values(variables)

    values = [v.value for v in variables]
    for batch in ([1.0, 2.0], [6.0, 0.0], [5.0, 5.0]):
        values = step(values, jnp.array(batch))
        eager.update_state(batch)
    np.testing.assert_allclose([float(v) for v in values], [3.0, 19.0, 6.0])
    np.testing.assert_allclose(jitted.stateless_result(values), eager.result())
    assert float(jitted.calls.numpy()) == 0.0  # the jitted path only returned new values


def test_stateless_api_runs_under_jit():
    m = metrics.Mean()
    update = jax.jit(m.stateless_update_state)
    values = update([v.value for v in m.variables], jnp.array([1.0, 2.0, 6.0]))
    assert float(jax.jit(m.stateless_result)(values)) == 3.0


def test_base_methods_must_be_implemented():
    m = metrics.Metric(name="bare")
    with pytest.raises(NotImplementedError, match="update_state"):
        m.update_state(1.0)
    with pytest.raises(NotImplementedError, match="result"):
        m.result()


def test_config_round_trip_repr_and_direction():
    m = RunningMax(name="peak", dtype="float32")
    assert m.get_config() == {"name": "peak", "dtype": "float32"}
    clone = RunningMax.from_config(m.get_config())
    assert clone.name == "peak" and clone is not m
    assert repr(m) == "<RunningMax name=peak>"
    assert m._direction is None


def test_dtype_defaults_to_floatx():
    assert metrics.Mean().dtype == "float32"
    assert metrics.Mean(dtype="float16").total.dtype == "float16"
