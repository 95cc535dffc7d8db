"""Metric: the base class of stateful metrics, as in `keras.metrics.Metric`.

A metric keeps its running state in non-trainable Variables. `update_state` folds a batch into them with
`assign`/`assign_add`, `result` reads them, `reset_state` puts the initial values back. Because the state is
only ever touched through Variables, the same methods run eagerly and inside a jitted pure step (under a
`StateScope`); the stateless API below is just that scope, opened for you.
"""
import jax.numpy as jnp

from kerasj import initializers
from kerasj.utils.naming import to_snake_case, uniquify
from kerasj.variables import Variable, name_scope, pure, standardize_dtype


def _resolve_initializer(initializer):
    """A callable `(shape, dtype) -> array` or an array-like, from what `add_variable` accepts."""
    if initializer is None:
        return jnp.zeros
    if isinstance(initializer, str):
        return initializers.get(initializer)
    return initializer


class Metric:
    """Base class for metrics: subclasses create state in `__init__` with `add_variable` and implement
    `update_state(...)` and `result()`.

    Args:
        dtype: dtype of the state variables and of the result (default `kerasj.config.floatx()`).
        name: log key of the metric (default: the snake-cased class name, made unique).

    Example:
        >>> class Count(kerasj.metrics.Metric):
        ...     def __init__(self, name="count", dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.n = self.add_variable(shape=(), initializer="zeros", name="n")
        ...     def update_state(self, values):
        ...         self.n.assign_add(jnp.size(values))
        ...     def result(self):
        ...         return self.n.value
        >>> m = Count(); m.update_state(jnp.ones(3)); m.result()
        Array(3., dtype=float32)
    """

    # "up" or "down": whether larger results are better. Callbacks (EarlyStopping, ModelCheckpoint) use it
    # when mode="auto"; None means unknown.
    _direction = None

    def __init__(self, dtype=None, name=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string; received name={name!r}.")
        self.name = name or uniquify(to_snake_case(type(self).__name__))
        self._dtype = standardize_dtype(dtype)
        self._variables = []
        self._initial_values = []

    def __setattr__(self, key, value):
        # Metrics held as attributes contribute their variables, as in Keras (e.g. a metric built from a
        # Mean). Tracked even if set before super().__init__().
        if isinstance(value, Metric) and key != "_metrics":
            tracked = self.__dict__.setdefault("_metrics", [])
            if all(value is not m for m in tracked):
                tracked.append(value)
        super().__setattr__(key, value)

    @property
    def dtype(self):
        """The dtype name of the metric's state and result ("float32")."""
        return self._dtype

    # -- state ---------------------------------------------------------------------------------------
    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Create a non-trainable state Variable named `<metric name>/<name>`.

        Args:
            shape: tuple of ints.
            initializer: an initializer name ("zeros"), a callable `(shape, dtype) -> array`, or an array.
            dtype: defaults to the metric's dtype.
            aggregation: how replicas combine it ("sum", "mean", ...); recorded on the Variable.
            name: the last part of the Variable's path.
        """
        dtype = standardize_dtype(dtype or self._dtype)
        shape = tuple(shape) if shape is not None else None
        with name_scope(self.name):
            variable = Variable(_resolve_initializer(initializer), shape=shape, dtype=dtype, trainable=False,
                                aggregation=aggregation, name=name)
        self._variables.append(variable)
        # Kept so reset_state can put the exact starting value back (it need not be zero).
        self._initial_values.append(variable.value)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of `add_variable` with Keras's defaults (`shape=()`, zeros)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        """State Variables in creation order, then those of metrics held as attributes."""
        out = list(self._variables)
        for metric in self.__dict__.get("_metrics", []):
            out.extend(metric.variables)
        return out

    # -- the stateful API ------------------------------------------------------------------------------
    def update_state(self, *args, **kwargs):
        """Fold one batch into the state variables."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state(...).")

    def result(self):
        """The metric value computed from the current state."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Assign every state variable its initial value."""
        for variable, initial in zip(self._variables, self._initial_values):
            variable.assign(initial)
        for metric in self.__dict__.get("_metrics", []):
            metric.reset_state()

    def __call__(self, *args, **kwargs):
        """`update_state(*args, **kwargs)`, then return `result()`."""
        self.update_state(*args, **kwargs)
        return self.result()

    # -- the stateless API (Keras 3) -------------------------------------------------------------------
    def _checked(self, metric_variables, method):
        variables = self.variables
        if metric_variables is None or len(metric_variables) != len(variables):
            received = "None" if metric_variables is None else f"{len(metric_variables)} values"
            raise ValueError(f"{type(self).__name__}.{method}: metric_variables must hold one value per "
                             f"variable in `.variables` ({len(variables)}: "
                             f"{[v.path for v in variables]}); received {received}.")
        return metric_variables

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """`update_state` as a pure function: returns the new variable values, in `.variables` order.

        >>> m = kerasj.metrics.Mean()
        >>> values = m.stateless_update_state([v.value for v in m.variables], jnp.array([1.0, 3.0]))
        >>> m.stateless_result(values)
        Array(2., dtype=float32)
        """
        values = self._checked(metric_variables, "stateless_update_state")
        return pure(self.update_state, self.variables)(values, *args, **kwargs)[0]

    def stateless_result(self, metric_variables):
        """`result()` computed from the given variable values instead of the metric's own."""
        return pure(self.result, self.variables)(self._checked(metric_variables, "stateless_result"))[1]

    def stateless_reset_state(self):
        """The variable values `reset_state()` would assign, without assigning them."""
        return pure(self.reset_state, self.variables)([v.value for v in self.variables])[0]

    # -- config ------------------------------------------------------------------------------------------
    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
