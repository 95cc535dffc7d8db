"""Mean, Sum and MeanMetricWrapper: weighting rules (checked against numpy), empty state, wrappers."""
import jax.numpy as jnp
import numpy as np
import pytest

from kerasj import losses, metrics
from kerasj.metrics.reduction_metrics import reduce_to_samplewise_values


def test_mean_unweighted_averages_rows_then_samples():
    m = metrics.Mean()
    x = np.arange(12.0).reshape(3, 4)
    m.update_state(x)
    m.update_state([20.0])
    np.testing.assert_allclose(m.result(), (x.mean(1).sum() + 20.0) / 4)
    assert float(m.count.numpy()) == 4.0


def test_mean_with_per_sample_weights():
    m = metrics.Mean()
    x, w = np.arange(12.0).reshape(3, 4), np.array([1.0, 0.0, 2.0])
    m.update_state(x, sample_weight=w)
    np.testing.assert_allclose(m.result(), (x.mean(1) * w).sum() / w.sum(), rtol=1e-6)


def test_mean_with_elementwise_weights_weights_each_value():
    x, w = np.arange(12.0).reshape(3, 4), np.tile(np.arange(4.0), (3, 1))
    m = metrics.Mean()
    m.update_state(x, sample_weight=w)
    # Per row: mean(w * x) / mean(w); rows are then combined by their mean weight.
    np.testing.assert_allclose(m.total.numpy(), (x * w).mean(1).sum(), rtol=1e-6)
    np.testing.assert_allclose(m.count.numpy(), w.mean(1).sum(), rtol=1e-6)


def test_mean_scalar_weight_counts_once_per_call():
    # A scalar weight weighs the whole batch as one value (how a batch-mean loss is tracked with
    # sample_weight=batch_size).
    m = metrics.Mean()
    m.update_state(np.array([1.0, 3.0]), sample_weight=4)
    m.update_state(np.array([10.0]), sample_weight=1)
    np.testing.assert_allclose(m.result(), (2.0 * 4 + 10.0) / 5)


def test_mean_of_scalars_and_ints():
    m = metrics.Mean()
    m.update_state(3.0)
    m.update_state(np.array([1, 2]))
    np.testing.assert_allclose(m.result(), 2.0)
    assert m.result().dtype == jnp.float32


def test_mean_weight_of_wrong_length_is_rejected():
    with pytest.raises(ValueError):
        metrics.Mean().update_state(np.ones((3, 4)), sample_weight=np.ones(4))


def test_empty_mean_and_zero_weights_give_zero_not_nan():
    assert float(metrics.Mean().result()) == 0.0
    m = metrics.Mean()
    m.update_state([1.0, 2.0], sample_weight=[0.0, 0.0])
    assert float(m.result()) == 0.0


def test_sum_with_and_without_weights():
    m = metrics.Sum()
    m.update_state(np.arange(6.0).reshape(2, 3))
    m.update_state([1.0, 2.0], sample_weight=[3.0, 0.5])
    np.testing.assert_allclose(m.result(), 15.0 + 3.0 + 1.0)
    assert m.name == "sum" and [v.name for v in m.variables] == ["total"]


def test_reduce_to_samplewise_values_shapes():
    values, weights = reduce_to_samplewise_values(jnp.ones((2, 3, 4)), jnp.array([[1.0, 0.0, 2.0]] * 2),
                                                  jnp.sum, "float32")
    # Values summed over the last axis (4 each), weighted, then summed per sample; weights summed per row.
    np.testing.assert_allclose(values, [12.0, 12.0])
    np.testing.assert_allclose(weights, [3.0, 3.0])
    values, weights = reduce_to_samplewise_values(jnp.ones((2, 3)), None, jnp.mean, "float32")
    assert weights is None and values.shape == (2,)


def test_mean_metric_wrapper_weights_per_sample_values():
    def abs_diff(y_true, y_pred, power=1.0):
        return jnp.mean(jnp.abs(jnp.asarray(y_pred) - jnp.asarray(y_true)) ** power, axis=-1)

    m = metrics.MeanMetricWrapper(abs_diff, name="p2", power=2.0)
    y_true, y_pred, w = np.zeros((3, 2)), np.array([[1.0, 1.0], [2.0, 0.0], [3.0, 3.0]]), np.array([1.0, 1.0, 0.0])
    m.update_state(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(m.result(), (1.0 + 2.0) / 2)
    assert m.name == "p2" and m.get_config()["power"] == 2.0


def test_mean_metric_wrapper_default_name_and_direction():
    m = metrics.MeanMetricWrapper(losses.mean_absolute_error)
    assert m.name.startswith("mean_metric_wrapper")
    assert m._direction == "down"  # wrapping a loss: lower is better
    assert metrics.MeanMetricWrapper(lambda t, p: t)._direction is None


def test_mean_metric_wrapper_config_round_trip_keeps_function_and_kwargs():
    m = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="strict", threshold=0.9)
    config = m.get_config()
    assert config["fn"]["config"] == "binary_accuracy"
    clone = metrics.MeanMetricWrapper.from_config(config)
    assert clone._fn is metrics.binary_accuracy and clone._fn_kwargs == {"threshold": 0.9}
    np.testing.assert_allclose(clone([[1.0], [1.0]], [[0.95], [0.8]]), 0.5)


def test_mean_metric_wrapper_requires_a_callable():
    with pytest.raises(TypeError, match="MeanMetricWrapper"):
        metrics.MeanMetricWrapper("mse")
