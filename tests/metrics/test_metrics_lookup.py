"""kerasj.metrics.get / serialize / deserialize and the package's exports."""
import numpy as np
import pytest

from kerasj import losses, metrics


@pytest.mark.parametrize("identifier,cls,name", [
    ("accuracy", metrics.Accuracy, "accuracy"),
    ("acc", metrics.Accuracy, "accuracy"),
    ("Accuracy", metrics.Accuracy, "accuracy"),
    ("binary_accuracy", metrics.BinaryAccuracy, "binary_accuracy"),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy, "sparse_categorical_accuracy"),
    ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy, "top_k_categorical_accuracy"),
    ("mse", metrics.MeanSquaredError, "mean_squared_error"),
    ("MSE", metrics.MeanSquaredError, "mean_squared_error"),
    ("mae", metrics.MeanAbsoluteError, "mean_absolute_error"),
    ("mape", metrics.MeanAbsolutePercentageError, "mean_absolute_percentage_error"),
    ("msle", metrics.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error"),
    ("root_mean_squared_error", metrics.RootMeanSquaredError, "root_mean_squared_error"),
    ("log_cosh_error", metrics.LogCoshError, "logcosh"),
    ("r2_score", metrics.R2Score, "r2_score"),
    ("mean", metrics.Mean, "mean"),
])
def test_get_turns_strings_into_fresh_instances(identifier, cls, name):
    first, second = metrics.get(identifier), metrics.get(identifier)
    assert type(first) is cls and first.name == name
    assert first is not second


def test_get_passes_instances_and_callables_through_and_instantiates_classes():
    m = metrics.Mean(name="kept")
    assert metrics.get(m) is m
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    assert type(metrics.get(metrics.Sum)) is metrics.Sum
    assert metrics.get(None) is None


def test_get_from_config_dict():
    m = metrics.get({"class_name": "BinaryAccuracy", "config": {"name": "ba", "threshold": 0.2}})
    assert isinstance(m, metrics.BinaryAccuracy) and m.name == "ba" and m._fn_kwargs == {"threshold": 0.2}


def test_unknown_identifiers_raise_with_the_valid_names():
    with pytest.raises(ValueError, match="Valid names:.*'mae'"):
        metrics.get("mean_absolute_eror")
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        metrics.get(3)


@pytest.mark.parametrize("metric", [
    metrics.Mean(name="m"), metrics.Sum(), metrics.BinaryAccuracy(threshold=0.2),
    metrics.SparseTopKCategoricalAccuracy(k=2), metrics.CosineSimilarity(axis=0),
    metrics.R2Score(class_aggregation=None), metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.1),
    metrics.MeanMetricWrapper(losses.mean_absolute_error, name="l1")])
def test_serialize_deserialize_round_trip(metric):
    config = metrics.serialize(metric)
    assert config["module"] == "keras.metrics" and config["class_name"] == type(metric).__name__
    clone = metrics.deserialize(config)
    assert type(clone) is type(metric) and clone.get_config() == metric.get_config()


def test_functions_and_custom_objects_round_trip():
    assert metrics.deserialize(metrics.serialize(metrics.categorical_accuracy)) is metrics.categorical_accuracy

    def my_score(y_true, y_pred):
        return y_pred

    class MyMetric(metrics.Mean):
        pass

    assert metrics.deserialize(metrics.serialize(my_score), custom_objects={"my_score": my_score}) is my_score
    config = metrics.serialize(MyMetric(name="mine"))
    assert config["registered_name"] == "MyMetric"
    assert metrics.deserialize(config, custom_objects={"MyMetric": MyMetric}).name == "mine"
    with pytest.raises(ValueError, match="custom_objects"):
        metrics.deserialize(config)
    with pytest.raises(ValueError, match="my_score"):
        metrics.deserialize(metrics.serialize(my_score))


def test_deserialize_a_name():
    assert isinstance(metrics.deserialize("mse"), metrics.MeanSquaredError)


def test_loss_function_forms_are_the_losses_functions():
    assert metrics.mean_squared_error is losses.mean_squared_error
    assert metrics.log_cosh is losses.log_cosh
    np.testing.assert_allclose(metrics.mean_absolute_error([[0.0, 2.0]], [[1.0, 1.0]]), [1.0])
