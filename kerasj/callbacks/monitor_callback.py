"""MonitorCallback: the shared "has the monitored value improved?" logic of EarlyStopping and ReduceLROnPlateau."""
import warnings

import numpy as np

from kerasj.callbacks.callback import Callback

_MODES = ("auto", "min", "max")

# Directions of Keras's built-in metrics, used when the model's metric objects do not say (for instance before
# they are built, or for a model that has none).
_KNOWN_DIRECTIONS = {
    "up": ("accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "auc", "precision", "recall",
           "f1_score", "fbeta_score", "r2_score", "iou", "mean_iou", "one_hot_iou", "one_hot_mean_iou",
           "binary_iou", "cosine_similarity"),
    "down": ("mae", "mse", "mape", "msle", "mean_absolute_error", "mean_squared_error",
             "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "root_mean_squared_error",
             "hinge", "squared_hinge", "categorical_hinge",
             "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
             "kl_divergence", "poisson", "log_cosh_error", "logcosh"),
}


def _metric_objects(model):
    """All metric objects reachable from `model.metrics`, looking inside containers that hold others."""
    try:
        pending = list(getattr(model, "metrics", None) or ())
    except Exception:  # a model whose metrics are not built yet may refuse to list them
        return
    while pending:
        metric = pending.pop(0)
        yield metric
        pending.extend(getattr(metric, "metrics", None) or ())


def metric_direction(model, monitor):
    """"down" (smaller is better), "up", or None when neither the name nor the model tells."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "down"
    for metric in _metric_objects(model):
        if getattr(metric, "name", None) == name and getattr(metric, "_direction", None) in ("up", "down"):
            return metric._direction
    for direction, names in _KNOWN_DIRECTIONS.items():
        if name in names:
            return direction
    return None


class MonitorCallback(Callback):
    """Base for callbacks that watch one logged value and react when it stops improving.

    Args:
        monitor: the log entry to watch, e.g. "val_loss".
        mode: "min", "max", or "auto" (infer the direction from the name: losses go down; a metric's own
            direction, e.g. accuracy up, mean squared error down).
        min_delta: an improvement must exceed this absolute amount.
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0):
        super().__init__()
        if mode not in _MODES:
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode. "
                          f"Valid modes: {', '.join(_MODES)}.", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.monitor_op = None
        if mode != "auto":
            self._set_monitor_op()

    def _set_monitor_op(self):
        direction = {"min": "down", "max": "up"}.get(self.mode) or metric_direction(self.model, self.monitor)
        if direction is None:
            raise ValueError(
                f"{type(self).__name__}: cannot tell whether monitor={self.monitor!r} should be maximized or "
                "minimized. Pass mode='max' to keep the highest value, or mode='min' to keep the lowest.")
        self.monitor_op = np.less if direction == "down" else np.greater

    def _is_improvement(self, value, reference):
        """Whether `value` beats `reference` (None: nothing to beat) by more than `min_delta`."""
        if reference is None:
            return True
        delta = self.min_delta if self.monitor_op is np.greater else -self.min_delta
        return bool(self.monitor_op(value - delta, reference))
