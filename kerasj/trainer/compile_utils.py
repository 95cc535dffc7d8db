"""What `compile(loss=..., metrics=...)` turns into: one loss over all outputs and one metric container.

Both match losses and metrics to model outputs the way Keras does: a single entry applies to a single
output (or, for losses, to every output), lists go by position, dicts by output name.
"""
import functools

import jax
import jax.numpy as jnp

from kerasj import losses as losses_module
from kerasj import metrics as metrics_module
from kerasj.variables import pure


def _flatten_outputs(tree):
    return jax.tree_util.tree_leaves(tree)


def _match_to_outputs(spec, output_names, what):
    """Spread a loss/metrics spec over outputs: returns one entry per output (None = nothing)."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"compile: {what} has keys {unknown} that match no model output; the outputs are "
                             f"named {output_names}.")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(f"compile: `{what}` is a list of {len(spec)} items, but the model has {n} "
                             f"output{'s' if n != 1 else ''} {output_names}: give one per output (a list in "
                             "output order, or a dict keyed by output name).")
        return list(spec)
    return [spec] * n


def _as_loss(identifier):
    """A Loss object: plain functions (and names that resolve to functions) are wrapped so they take
    `sample_weight` and reduce over the batch like Loss classes."""
    fn = losses_module.get(identifier)
    if isinstance(fn, losses_module.Loss):
        return fn
    return losses_module.LossFunctionWrapper(fn, name=getattr(fn, "__name__", None))


def _sparse_label_settings(fn):
    """`(axis, ignore_class)` when `fn` is a sparse categorical cross-entropy (class, name or function)."""
    if isinstance(fn, losses_module.LossFunctionWrapper) and fn.fn is losses_module.sparse_categorical_crossentropy:
        return fn._fn_kwargs.get("axis", -1), fn._fn_kwargs.get("ignore_class")
    return None


@functools.partial(jax.jit, static_argnums=1)
def _label_range(labels, ignore_class):
    """Smallest and largest label as the loss reads them (cast to int32), `ignore_class` counting as 0."""
    labels = labels.astype(jnp.int32)
    if ignore_class is not None:
        labels = jnp.where(labels == ignore_class, 0, labels)
    return jnp.min(labels), jnp.max(labels)


class CompileLoss:
    """Weighted sum of per-output losses. Multi-output models also track each output's (unweighted) loss
    as a metric named "<output>_loss", as Keras logs it."""

    def __init__(self, loss, loss_weights=None):
        self.loss = loss
        self.loss_weights = loss_weights
        self.built = False
        self.trackers = []

    def build(self, output_names):
        entries = _match_to_outputs(self.loss, output_names, "loss")
        self.fns = [None if e is None else _as_loss(e) for e in entries]
        if self.loss_weights is None:
            self.weights = [1.0] * len(entries)
        elif isinstance(self.loss_weights, dict):
            self.weights = [self.loss_weights.get(name, 1.0) for name in output_names]
        elif isinstance(self.loss_weights, (list, tuple)):
            self.weights = _match_to_outputs(self.loss_weights, output_names, "loss_weights")
        else:
            self.weights = [float(self.loss_weights)] * len(entries)
        self.output_names = list(output_names)
        if len(entries) > 1:
            self.trackers = [None if fn is None else metrics_module.Mean(name=f"{name}_loss")
                             for fn, name in zip(self.fns, output_names)]
        self.built = True

    def check_sparse_labels(self, where, y_true, y_pred_struct):
        """Raise if an output trained with sparse categorical cross-entropy gets a label outside
        `[0, classes)` (labels equal to the loss's `ignore_class` are fine). One min/max reduction per such
        output, so it runs once per `fit`/`evaluate` call, not per step.

        Keras 3 is silent here: an out-of-range label one-hot encodes to a row of zeros, so the sample adds
        0 to the loss and nothing to the gradient while still counting in the mean.

        >>> model.fit(x, np.array([0, 1, 7]))   # 3-class output: ValueError naming the loss, 3 and 7
        """
        ys, ps = _flatten_outputs(y_true), _flatten_outputs(y_pred_struct)
        if len(ys) != len(ps):
            return  # reported, with the counts, when the step is prepared
        for name, fn, labels, pred in zip(self.output_names, self.fns, ys, ps):
            settings = _sparse_label_settings(fn)
            if settings is None:
                continue
            axis, ignore_class = settings
            class_axis = axis % len(pred.shape)
            classes = pred.shape[class_axis]
            per_row = tuple(pred.shape[1:class_axis]) + tuple(pred.shape[class_axis + 1:])
            if tuple(labels.shape[1:]) not in (per_row, per_row + (1,)):
                continue  # the loss reports the shape mismatch itself
            low, high = (int(v) for v in jax.device_get(_label_range(labels, ignore_class)))
            bad = [v for v in dict.fromkeys((low, high)) if not 0 <= v < classes]
            if bad:
                ignored = f" (or ignore_class={ignore_class})" if ignore_class is not None else ""
                raise ValueError(
                    f"{where}: labels out of range for loss '{fn.name}' on output '{name}': the output has "
                    f"{classes} classes, so labels must be integers in [0, {classes - 1}]{ignored}; received "
                    f"label{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))}.")

    def __call__(self, y_true, y_pred, sample_weight=None):
        ys = _flatten_outputs(y_true)
        ps = _flatten_outputs(y_pred)
        if len(ys) != len(ps):
            raise ValueError(f"The model has {len(ps)} outputs but {len(ys)} target arrays were given.")
        sws = _flatten_outputs(sample_weight) if sample_weight is not None else [None] * len(ps)
        if len(sws) == 1 and len(ps) > 1:
            sws = sws * len(ps)
        total = None
        trackers = self.trackers or [None] * len(ps)
        for fn, weight, yt, yp, sw, tracker in zip(self.fns, self.weights, ys, ps, sws, trackers):
            if fn is None:
                continue
            value = fn(yt, yp, sample_weight=sw) if sw is not None else fn(yt, yp)
            if tracker is not None:
                tracker.update_state(value, sample_weight=yp.shape[0])
            value = weight * value
            total = value if total is None else total + value
        return total


def resolve_metric(identifier, y_true_shape, y_pred_shape):
    """A Metric object for one compile entry; "accuracy"/"acc" picks binary, sparse or categorical accuracy
    from the shapes of targets and predictions, as Keras does, and keeps the name the user wrote."""
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        if y_pred_shape[-1] == 1 or len(y_pred_shape) == 0:
            fn = metrics_module.binary_accuracy
        elif len(y_true_shape) == len(y_pred_shape) - 1 or (
                len(y_true_shape) == len(y_pred_shape) and y_true_shape[-1] == 1):
            fn = metrics_module.sparse_categorical_accuracy
        else:
            fn = metrics_module.categorical_accuracy
        return metrics_module.MeanMetricWrapper(fn, name=identifier)
    metric = metrics_module.get(identifier)
    if not isinstance(metric, metrics_module.Metric):
        metric = metrics_module.MeanMetricWrapper(metric, name=getattr(metric, "__name__", "metric"))
    if isinstance(identifier, str):
        metric.name = identifier  # logged under the string the user wrote ("mae", not "mean_absolute_error")
    return metric


class CompileMetrics:
    """All compiled metrics of a model, updated together; logged under their own names (prefixed by the
    output name for multi-output models)."""

    name = "compile_metrics"

    def __init__(self, metrics, weighted_metrics=None):
        self.metrics_spec = metrics
        self.weighted_spec = weighted_metrics
        self.built = False
        self._entries = []  # (output index, metric, weighted)

    def build(self, output_names, y_true, y_pred):
        ys = _flatten_outputs(y_true)
        ps = _flatten_outputs(y_pred)
        multi = len(output_names) > 1
        for spec, weighted in ((self.metrics_spec, False), (self.weighted_spec, True)):
            if spec is None:
                continue
            if multi:
                per_output = (spec if isinstance(spec, dict) or (isinstance(spec, (list, tuple)) and len(spec) ==
                              len(output_names) and all(isinstance(s, (list, tuple, type(None))) for s in spec))
                              else [spec] * len(output_names))
                per_output = _match_to_outputs(per_output, output_names, "metrics")
            else:
                per_output = [spec]
            for i, entry in enumerate(per_output):
                if entry is None:
                    continue
                if not isinstance(entry, (list, tuple)):
                    entry = [entry]
                for ident in entry:
                    metric = resolve_metric(ident, tuple(ys[i].shape), tuple(ps[i].shape))
                    if multi:
                        metric.name = f"{output_names[i]}_{metric.name}"
                    if weighted and any(m.name == metric.name for _, m, _ in self._entries):
                        metric.name = f"weighted_{metric.name}"
                    self._entries.append((i, metric, weighted))
        self.built = True

    @property
    def metrics(self):
        return [m for _, m, _ in self._entries]

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        ys = _flatten_outputs(y_true)
        ps = _flatten_outputs(y_pred)
        sws = _flatten_outputs(sample_weight) if sample_weight is not None else []
        for i, metric, weighted in self._entries:
            sw = None
            if weighted and sws:
                sw = sws[i] if len(sws) > i else sws[0]
            metric.update_state(ys[i], ps[i], sample_weight=sw)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def result(self):
        return {m.name: m.result() for m in self.metrics}

    # Keras 3's stateless metric API, so custom `train_step(self, state, data)` code can treat the container
    # like any metric.
    def stateless_update_state(self, metric_variables, y_true, y_pred, sample_weight=None):
        return pure(self.update_state, self.variables)(metric_variables, y_true, y_pred, sample_weight)[0]

    def stateless_result(self, metric_variables):
        return pure(self.result, self.variables)(metric_variables)[1]

    def stateless_reset_state(self):
        return pure(self.reset_state, self.variables)([v.value for v in self.variables])[0]


def ordered_log_values(model, logs):
    """`model`'s log values as Keras lists them (what evaluate returns without return_dict): loss, per-output
    losses, compiled metrics in compile order, then anything else sorted by name; one value alone is returned
    as it is."""
    order = ["loss"]
    if model._compile_loss is not None:
        order += [t.name for t in model._compile_loss.trackers if t is not None]
    if model._compile_metrics is not None:
        order += [m.name for m in model._compile_metrics.metrics]
    order += [m.name for m in model.metrics]
    names = [n for i, n in enumerate(order) if n in logs and n not in order[:i]]
    names += sorted(k for k in logs if k not in names)
    values = [logs[n] for n in names]
    return values[0] if len(values) == 1 else values
