"""Metrics, as in `keras.metrics`: stateful `Metric` objects, per-sample metric functions, and `get`.

    >>> m = kerasj.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([1, 0], [[0.1, 0.9], [0.3, 0.7]])
    >>> m.result()
    Array(0.5, dtype=float32)
    >>> kerasj.metrics.get("mae")            # strings give Metric instances, as in Keras 3
    <MeanAbsoluteError name=mean_absolute_error>
"""
from kerasj import losses as _losses
from kerasj.losses import (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
                           categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, log_cosh,
                           mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                           mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)
from kerasj.metrics.accuracy_metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                             SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                                             TopKCategoricalAccuracy, accuracy, binary_accuracy,
                                             categorical_accuracy, sparse_categorical_accuracy,
                                             sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from kerasj.metrics.confusion_metrics import (AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall,
                                              Recall, RecallAtPrecision, SensitivityAtSpecificity,
                                              SpecificityAtSensitivity, TrueNegatives, TruePositives)
from kerasj.metrics.correlation_metrics import (ConcordanceCorrelation, PearsonCorrelation, concordance_correlation,
                                                pearson_correlation)
from kerasj.metrics.f_score_metrics import F1Score, FBetaScore
from kerasj.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from kerasj.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kerasj.metrics.metric import Metric
from kerasj.metrics.probabilistic_metrics import (BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson,
                                                  SparseCategoricalCrossentropy)
from kerasj.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from kerasj.metrics.regression_metrics import (CosineSimilarity, LogCoshError, MeanAbsoluteError,
                                               MeanAbsolutePercentageError, MeanSquaredError,
                                               MeanSquaredLogarithmicError, R2Score, RootMeanSquaredError)
from kerasj.utils.naming import to_snake_case
from kerasj.utils.keras_names import register_namespace

_CLASSES = (Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
            SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
            MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, RootMeanSquaredError,
            CosineSimilarity, LogCoshError, R2Score, TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
            Precision, Recall, AUC, SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall,
            RecallAtPrecision, IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, FBetaScore, F1Score,
            BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson,
            Hinge, SquaredHinge, CategoricalHinge, PearsonCorrelation, ConcordanceCorrelation)

# String identifiers resolve to classes (instantiated by `get`), as in Keras 3: the class name, its
# snake_case form, and the short aliases. "acc" is accepted too (tf.keras code uses it; Keras 3 does not).
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"mse": MeanSquaredError, "MSE": MeanSquaredError, "mae": MeanAbsoluteError,
                 "MAE": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
                 "MAPE": MeanAbsolutePercentageError, "msle": MeanSquaredLogarithmicError,
                 "MSLE": MeanSquaredLogarithmicError, "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
                 "acc": Accuracy})

# Functions that a serialized MeanMetricWrapper may name.
_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy, binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, concordance_correlation, hinge, huber, kl_divergence,
    log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error,
    pearson_correlation, poisson, sparse_categorical_crossentropy, squared_hinge)}


def _lookup(name):
    cls = _BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"Unknown metric identifier: {name!r}. Valid names: {sorted(_BY_NAME)}")
    return cls


def serialize(metric):
    """A JSON-friendly description of a Metric or a metric function (Keras's format).

    >>> kerasj.metrics.serialize(kerasj.metrics.BinaryAccuracy(threshold=0.3))["config"]
    {'name': 'binary_accuracy', 'dtype': 'float32', 'threshold': 0.3}
    """
    if metric is None:
        return None
    if isinstance(metric, Metric):
        cls = type(metric)
        builtin = _BY_NAME.get(cls.__name__) is cls
        return {"module": "keras.metrics" if builtin else cls.__module__, "class_name": cls.__name__,
                "config": metric.get_config(), "registered_name": None if builtin else cls.__name__}
    if isinstance(metric, _losses.Loss):
        return _losses.serialize(metric)
    if callable(metric) and hasattr(metric, "__name__"):
        return {"module": "builtins", "class_name": "function", "config": metric.__name__,
                "registered_name": "function"}
    raise TypeError(f"serialize: expected a Metric instance or a metric function; received {metric!r}.")


def deserialize(config, custom_objects=None):
    """Rebuild a metric from `serialize` output or a name; custom classes and functions resolve through
    `custom_objects`.

    >>> kerasj.metrics.deserialize({"class_name": "Mean", "config": {"name": "m"}})
    <Mean name=m>
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        found = custom_objects.get(config) or _lookup(config)
        return found() if isinstance(found, type) else found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize: expected a metric name or a dict with 'class_name'; received {config!r}.")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "function":
        fn = custom_objects.get(inner) or _FUNCTIONS.get(inner)
        if fn is None:
            raise ValueError(f"Unknown metric function {inner!r}. Built-in functions: {sorted(_FUNCTIONS)}; "
                             f"pass custom functions in custom_objects={{'{inner}': fn}}.")
        return fn
    cls = custom_objects.get(class_name) or _BY_NAME.get(class_name)
    if cls is None:
        if config.get("module") == "keras.losses":
            return _losses.deserialize(config, custom_objects)
        raise ValueError(f"Unknown metric class {class_name!r}. Valid names: {sorted(_BY_NAME)}; pass custom "
                         f"metrics in custom_objects={{'{class_name}': cls}}.")
    return cls.from_config(inner)


def get(identifier):
    """A metric from a name, a config dict, a Metric (instance or class) or a callable.

    As in Keras 3, a string names a metric class and gives a fresh instance ("mae" -> MeanAbsoluteError(),
    "accuracy" -> Accuracy()); a function is returned as is. (`compile(metrics=["accuracy"])` picks binary,
    categorical or sparse accuracy from the data's shapes before it gets here.)

    >>> kerasj.metrics.get("mse").name
    'mean_squared_error'
    >>> kerasj.metrics.get(kerasj.metrics.binary_accuracy) is kerasj.metrics.binary_accuracy
    True
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _lookup(identifier)
    else:
        obj = identifier
    if isinstance(obj, type) and issubclass(obj, Metric):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}; expected a metric name, a config "
                     "dict, a Metric instance or class, or a callable.")


register_namespace("keras.metrics", globals())  # configs name these classes and functions
