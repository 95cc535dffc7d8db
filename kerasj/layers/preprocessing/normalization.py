"""The Normalization preprocessing layer: `(x - mean) / sqrt(variance)` with statistics from `adapt`."""
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.layers.input_spec import InputSpec
from kerasj.layers.layer import Layer
from kerasj.layers.normalization import resolve_axes
from kerasj.utils.argument_validation import is_int


def _config_value(value):
    """Arrays in a config become (nested) lists, so the config stays JSON-friendly."""
    return value.tolist() if hasattr(value, "tolist") else value


def _is_array_like(data):
    return isinstance(data, (np.ndarray, list, tuple, int, float)) or hasattr(data, "__array__")


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance per feature on `axis`.

    The statistics are either given (`mean` and `variance`, broadcast to the kept axes) or computed from
    data by `adapt`, over every axis not in `axis`, and stored in the non-trainable weights `mean`,
    `variance` (and `count`, kept for Keras weight compatibility). `axis=None` computes one scalar mean
    and variance. The output is ``(x - mean) / max(sqrt(variance), epsilon)``, or with `invert=True` the
    inverse map ``mean + x * max(sqrt(variance), epsilon)``.

    Args:
        axis: int, tuple of ints or None: the axes that keep separate statistics (default: last axis).
        mean, variance: fixed statistics (both or neither); then `adapt` is not used.
        invert: apply the inverse transformation (e.g. to de-normalize model outputs).

        >>> layer = Normalization()
        >>> layer.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
        >>> layer(np.array([[1.0, 10.0]]))
        Array([[-1., -1.]], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif is_int(axis):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(is_int(a) for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(f"Normalization: `axis` must be an int, a tuple of ints or None; received "
                            f"axis={axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization: when setting the statistics directly, both `mean` and `variance` "
                             f"must be given; received mean={mean!r} and variance={variance!r}")
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self._fixed = None

    # -- weights ---------------------------------------------------------------------------------------
    def build(self, input_shape):
        owner = f"Normalization '{self.name}'"
        ndim = len(input_shape)
        keep = resolve_axes(list(self.axis), ndim, owner) if self.axis else []
        stats_shape = tuple(input_shape[d] for d in keep)
        if any(d is None for d in stats_shape):
            raise ValueError(f"{owner}: the input dimension(s) on axis {self.axis} must be known; received "
                             f"input_shape={tuple(input_shape)}")
        self._keep_axis = tuple(keep)
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape=stats_shape, initializer="zeros", trainable=False,
                                              name="mean")
            self.adapt_variance = self.add_weight(shape=stats_shape, initializer="ones", trainable=False,
                                                  name="variance")
            self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False,
                                         name="count")
        else:
            self._fixed = tuple(self._to_broadcast(v, stats_shape, name)
                                for v, name in ((self.input_mean, "mean"), (self.input_variance, "variance")))
        # Statistics broadcast like numpy, aligned on the trailing axes.
        self.input_spec = InputSpec(axes={d - ndim: input_shape[d] for d in keep})
        self._built_shape = tuple(input_shape)
        self.built = True

    def _to_broadcast(self, value, stats_shape, name):
        value = jnp.asarray(value, dtype=self.variable_dtype)
        try:
            value = jnp.broadcast_to(value, stats_shape)
        except ValueError:
            raise ValueError(f"Normalization '{self.name}': `{name}` of shape {tuple(value.shape)} cannot be "
                             f"broadcast to the statistics shape {stats_shape} (input dimensions on axis "
                             f"{self.axis}).") from None
        return jnp.reshape(value, self._broadcast_shape)

    @property
    def mean(self):
        """The mean, shaped to broadcast against inputs (None before the layer is built)."""
        return self._statistics()[0] if self.built else None

    @property
    def variance(self):
        """The variance, shaped to broadcast against inputs (None before the layer is built)."""
        return self._statistics()[1] if self.built else None

    def _statistics(self):
        if self._fixed is not None:
            return self._fixed
        return (jnp.reshape(self.adapt_mean.value, self._broadcast_shape),
                jnp.reshape(self.adapt_variance.value, self._broadcast_shape))

    # -- adapt -----------------------------------------------------------------------------------------
    def adapt(self, data):
        """Compute the mean and variance of `data` over the non-kept axes and store them.

        `data` is an array (numpy, JAX, nested lists) or an iterable of array batches (a generator, a
        tf.data dataset, a DataLoader yielding arrays); batches are merged with the exact pairwise update
        of mean and variance, so the result equals the statistics of all data at once. Calling `adapt`
        again replaces the statistics.

            >>> layer = Normalization(axis=None)
            >>> layer.adapt(batch for batch in np.split(np.arange(8.0), 4))
            >>> float(layer.mean.squeeze()), float(layer.variance.squeeze())
            (3.5, 5.25)
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}': adapt() cannot be used when `mean` and `variance` "
                             "were passed to the constructor.")
        if _is_array_like(data):
            x = self._adapt_batch(data)
            mean, variance = jnp.mean(x, axis=self._reduce_axis), jnp.var(x, axis=self._reduce_axis)
        else:
            mean, variance = self._merge_batches(data)
        self.adapt_mean.assign(mean)
        self.adapt_variance.assign(variance)

    def _adapt_batch(self, batch):
        x = jnp.asarray(np.asarray(batch) if isinstance(batch, (list, tuple)) else batch)
        if not self.built:
            self._build_with(lambda: self.build(x.shape))
            self._build_shapes = tuple(x.shape)  # saved as the build config, as Keras does after adapt
        elif x.ndim != len(self._built_shape) or any(x.shape[d] != self._built_shape[d] for d in self._keep_axis):
            raise ValueError(f"Normalization '{self.name}': the layer was built for inputs of shape "
                             f"{self._built_shape}, but adapt() received data of incompatible shape "
                             f"{tuple(x.shape)} (axis={self.axis}).")
        return x.astype(self.variable_dtype)

    def _merge_batches(self, batches):
        try:
            iterator = iter(batches)
        except TypeError:
            raise TypeError(f"Normalization '{self.name}': adapt() expects an array or an iterable of array "
                            f"batches; received {type(batches).__name__}.") from None
        total, mean, variance = 0, None, None
        for batch in iterator:
            x = self._adapt_batch(batch)
            count = int(np.prod([x.shape[d] for d in self._reduce_axis]))
            if count == 0:
                continue
            b_mean, b_var = jnp.mean(x, axis=self._reduce_axis), jnp.var(x, axis=self._reduce_axis)
            if mean is None:
                total, mean, variance = count, b_mean, b_var
                continue
            total += count
            w = count / total  # weight of the new batch in the running statistics
            new_mean = mean * (1.0 - w) + b_mean * w
            variance = ((variance + jnp.square(mean - new_mean)) * (1.0 - w)
                        + (b_var + jnp.square(b_mean - new_mean)) * w)
            mean = new_mean
        if mean is None:
            raise ValueError(f"Normalization '{self.name}': adapt() received no data (an empty iterable).")
        return mean, variance

    # -- call ------------------------------------------------------------------------------------------
    def call(self, inputs):
        x = jnp.asarray(inputs)
        if x.dtype != self.compute_dtype:
            x = x.astype(self.compute_dtype)
        mean, variance = (s.astype(x.dtype) for s in self._statistics())
        stddev = jnp.maximum(jnp.sqrt(variance), config.epsilon())
        if self.invert:
            return mean + x * stddev
        return (x - mean) / stddev

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": _config_value(self.input_mean), "variance": _config_value(self.input_variance)}
