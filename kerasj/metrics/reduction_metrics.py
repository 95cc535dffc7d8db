"""Running reductions: `Mean`, `Sum`, and `MeanMetricWrapper` (the mean of a per-sample function).

Values and `sample_weight` meet as in Keras: after the two are brought to the same rank, values are averaged
(or summed) down to the rank of the weights, multiplied by the broadcast weights, and then reduced to one
value per sample; a `Mean` divides the weighted total by the total weight.
"""
import jax.numpy as jnp

from kerasj import losses
from kerasj.masks import get_mask
from kerasj.metrics.metric import Metric
from kerasj.utils.losses_utils import apply_mask, same_rank, to_array


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Weighted per-sample values and the matching per-sample weights (None when unweighted).

    `reduce_fn` (`jnp.mean` or `jnp.sum`) collapses the axes the weights do not cover.

    >>> reduce_to_samplewise_values(jnp.ones((2, 3)), jnp.array([1.0, 2.0]), jnp.mean, "float32")
    (Array([1., 2.], dtype=float32), Array([1., 2.], dtype=float32))
    """
    values = to_array(values, dtype)
    if sample_weight is not None:
        sample_weight = to_array(sample_weight, dtype)
        values, sample_weight = same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values.ndim)))
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def divide_no_nan(x, y):
    """`x / y`, and 0 where `y == 0` (a metric with no data yet reports 0, not NaN)."""
    nonzero = y != 0
    return jnp.where(nonzero, x / jnp.where(nonzero, y, 1), 0).astype(jnp.result_type(x, y))


class Sum(Metric):
    """The running (weighted) sum of all values seen.

    >>> m = kerasj.metrics.Sum()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0])
    >>> m.result()
    Array(16., dtype=float32)
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer=jnp.zeros, dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, jnp.sum, self.dtype)
        self.total.assign_add(jnp.sum(values))

    def result(self):
        return self.total.value


class Mean(Metric):
    """The running (weighted) mean of all values seen: `sum(w * x) / sum(w)`.

    Values of shape `(batch, ...)` count as one sample per row (each row is first averaged).

    >>> m = kerasj.metrics.Mean()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0])
    >>> m.result()
    Array(2., dtype=float32)
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer=jnp.zeros, dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer=jnp.zeros, dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, jnp.mean, self.dtype)
        self.total.assign_add(jnp.sum(values))
        if sample_weight is None:
            num_samples = values.shape[0] if values.ndim else 1  # static: fine under jit
        else:
            num_samples = jnp.sum(sample_weight)
        self.count.assign_add(num_samples)

    def result(self):
        return divide_no_nan(self.total.value, self.count.value)


def _is_loss(fn):
    """Whether `fn` is a kerasj loss (lower is better)."""
    return isinstance(fn, losses.Loss) or getattr(fn, "__module__", None) == losses.__name__


class MeanMetricWrapper(Mean):
    """The running mean of `fn(y_true, y_pred, **kwargs)`, a function returning per-sample values.

    Args:
        fn: the per-sample function, e.g. `kerasj.losses.mean_absolute_error` or a custom one.
        name: log key (default "mean_metric_wrapper", made unique).
        dtype: dtype of the state and result.
        **kwargs: passed to `fn` on every call.

    Example:
        >>> m = kerasj.metrics.MeanMetricWrapper(kerasj.metrics.binary_accuracy, threshold=0.7)
        >>> m.update_state([[1.0], [0.0]], [[0.6], [0.2]])
        >>> m.result()
        Array(0.5, dtype=float32)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: fn must be a callable (y_true, y_pred) -> per-sample values; "
                            f"received {fn!r}.")
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if _is_loss(fn):
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = get_mask(y_pred)  # padded steps of a masked output do not count, as in Keras
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            sample_weight = apply_mask(None if sample_weight is None else to_array(sample_weight, self.dtype),
                                       jnp.asarray(mask, bool), self.dtype, "sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            # Subclasses fix their function; only a bare wrapper needs to record it. Imported here because
            # the package's (de)serializers know every built-in function and are defined after this module.
            from kerasj.metrics import serialize  # the package imports this module first
            config["fn"] = serialize(self._fn)
        return config

    @classmethod
    def from_config(cls, config):
        if "fn" not in config:
            return cls(**config)
        from kerasj.metrics import deserialize  # the package imports this module first
        config = dict(config)
        fn = config.pop("fn")
        return cls(deserialize(fn) if isinstance(fn, (dict, str)) else fn, **config)
