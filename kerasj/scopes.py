"""Keras's scope objects: `StatelessScope` (run stateful code against given Variable values, collecting the
assignments instead of applying them), `SymbolicScope` (a marker for code running on symbolic tensors) and
`device` (place new arrays on a device)."""
import threading

import jax
import jax.numpy as jnp

from kerasj.variables import StateScope, Variable


class StatelessScope(StateScope):
    """Keras's `StatelessScope`: inside it, Variables read as the values in `state_mapping` and `assign`s are
    collected in the scope; the Variables themselves never change. Read the results with `get_current_value`.

    Args:
        state_mapping: `(Variable, value)` pairs (or a dict); each value is cast to its Variable's dtype and
            must match its shape.
        collect_losses: gather the losses layers add (`add_loss`) inside the scope in `losses`.
        initialize_variables: accepted for Keras compatibility (kerasj Variables are always initialized).

        >>> v = kerasj.Variable(1.0)
        >>> with kerasj.StatelessScope([(v, 3.0)]) as scope:
        ...     v.assign(v * 2)
        >>> float(scope.get_current_value(v)), float(v.numpy())
        (6.0, 1.0)
    """

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        pairs = []
        items = state_mapping.items() if isinstance(state_mapping, dict) else (state_mapping or ())
        for var, value in items:
            if not isinstance(var, Variable):
                raise ValueError(f"StatelessScope: every key of state_mapping must be a Variable; received {var!r}")
            value = jnp.asarray(value.value if isinstance(value, Variable) else value, dtype=var.dtype)
            if tuple(value.shape) != tuple(var.shape):
                raise ValueError(f"StatelessScope: the value for Variable '{var.path}' has shape {value.shape}; "
                                 f"expected the Variable's shape {var.shape}.")
            pairs.append((var, value))
        super().__init__(pairs)
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses = []

    def get_current_value(self, variable):
        """The value `variable` has in this scope (mapped or assigned here), or None."""
        return self._values.get(id(variable))

    def add_update(self, update):
        """Record the assignment `(variable, value)` in the scope."""
        variable, value = update
        self.set(variable, value)

    def add_loss(self, loss):
        self.losses.append(loss)

    def note_loss(self, layer, value):
        super().note_loss(layer, value)
        if self.collect_losses:
            self.losses.append(value)


_symbolic = threading.local()


class SymbolicScope:
    """Marks a block as running on symbolic tensors (shape inference); `in_symbolic_scope()` tells."""

    def __enter__(self):
        self._previous = getattr(_symbolic, "scope", None)
        _symbolic.scope = self
        return self

    def __exit__(self, *exc):
        _symbolic.scope = self._previous
        return False


def in_symbolic_scope():
    return getattr(_symbolic, "scope", None) is not None


def _to_jax_device(device_name):
    if isinstance(device_name, jax.Device):
        return device_name
    if not isinstance(device_name, str):
        raise ValueError(f"device: expected a string such as 'cpu:0' or 'gpu:1', or a jax.Device; "
                         f"received {device_name!r}")
    kind, _, index = device_name.lower().partition(":")
    try:
        devices = jax.devices(kind)
    except RuntimeError as e:
        raise ValueError(f"device: no {kind!r} devices are available (device_name={device_name!r}).") from e
    index = int(index) if index else 0
    if not 0 <= index < len(devices):
        raise ValueError(f"device: {device_name!r} does not exist; {len(devices)} {kind} device(s) available.")
    return devices[index]


def device(device_name):
    """A context in which new arrays are placed on `device_name` ("cpu", "cpu:0", "gpu:1", or a jax.Device),
    on `jax.default_device`.

        >>> with kerasj.device("cpu:0"):
        ...     x = kerasj.ops.ones((2,))
        >>> x.devices()
        {CpuDevice(id=0)}
    """
    return jax.default_device(_to_jax_device(device_name))
