"""Weight regularizers: callables `regularizer(weight) -> scalar loss`, added to `layer.losses`.

    >>> layer = kerasj.layers.Dense(4, kernel_regularizer=kerasj.regularizers.L2(0.01))
"""
import jax.numpy as jnp
import numpy as np

from kerasj import config
from kerasj.saving.object_registration import get_registered_name, get_registered_object
from kerasj.utils.keras_names import register_namespace


class Regularizer:
    """Base class: subclasses implement `__call__(x)` and `get_config()`."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_factor(name, value):
    value = float(value)
    if value < 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a non-negative number; received {name}={value}")
    return value


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x**2)`."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor("l1", l1)
        self.l2 = _check_factor("l2", l2)

    def __call__(self, x):
        loss = 0.0
        if self.l1:
            loss = loss + self.l1 * jnp.sum(jnp.abs(x))
        if self.l2:
            loss = loss + self.l2 * jnp.sum(jnp.square(x))
        return loss

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """`l1 * sum(|x|)`."""

    def __init__(self, l1=0.01):
        self.l1 = _check_factor("l1", l1)

    def __call__(self, x):
        return self.l1 * jnp.sum(jnp.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(x**2)`."""

    def __init__(self, l2=0.01):
        self.l2 = _check_factor("l2", l2)

    def __call__(self, x):
        return self.l2 * jnp.sum(jnp.square(x))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (`mode="rows"`) or columns (`mode="columns"`) of a 2-D weight towards orthogonality:
    `factor * 0.5 * sum(|G - diag(G)|) / (n * (n - 1) / 2)`, with `G` the Gram matrix of the L2-normalised
    rows (or columns) and `n` their number.

        >>> OrthogonalRegularizer(factor=0.1)(jnp.eye(3))
        Array(0., dtype=float32)
    """

    def __init__(self, factor=0.01, mode="rows"):
        # Kept at float32 precision, the value Keras holds and reports in its config.
        self.factor = float(np.float32(_check_factor("factor", factor)))
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: `mode` must be 'rows' or 'columns'; received mode={mode!r}")
        self.mode = mode

    def __call__(self, x):
        x = jnp.asarray(x)
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer: the weight must be 2-D; received shape {x.shape}")
        vectors = x if self.mode == "rows" else x.T
        sq_norms = jnp.sum(jnp.square(vectors), axis=1, keepdims=True)
        unit = vectors * jnp.minimum(jnp.reciprocal(jnp.sqrt(sq_norms)), 1.0 / config.epsilon())
        n = unit.shape[0]
        off_diagonal = (unit @ unit.T) * (1.0 - jnp.eye(n, dtype=unit.dtype))
        return self.factor * 0.5 * jnp.sum(jnp.abs(off_diagonal)) / (n * (n - 1.0) / 2.0)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer,
            "L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer}


def serialize(regularizer):
    if regularizer is None:
        return None
    return _serialize("regularizers", _BY_NAME, regularizer)


def _serialize(kind, by_name, obj):
    """Shared by regularizers and constraints: Keras's record; a user's class keeps its module and the name it
    was registered under, so loading finds it again."""
    cls = type(obj)
    builtin = by_name.get(cls.__name__) is cls
    return {"module": f"keras.{kind}" if builtin else cls.__module__, "class_name": cls.__name__,
            "config": obj.get_config(), "registered_name": None if builtin else get_registered_name(cls)}


def deserialize(config, custom_objects=None):
    """A regularizer from `serialize` output or a name; custom classes resolve through
    `custom_objects={"Name": cls}`.

        >>> deserialize({"class_name": "L2", "config": {"l2": 0.1}}).l2
        0.1
    """
    return _deserialize("regularizer", _BY_NAME, config, custom_objects)


def _deserialize(kind, by_name, config, custom_objects):
    """Shared by regularizers and constraints: a name gives an instance of the named class (built-in or from
    `custom_objects`), a `{"class_name", "config"}` dict one built from its config."""
    if config is None:
        return None
    name = config if isinstance(config, str) else config.get("class_name") if isinstance(config, dict) else None
    if name is None:
        raise ValueError(f"{kind}s.deserialize: expected a name or a dict with 'class_name' and 'config'; "
                         f"received {config!r}")
    registered = config.get("registered_name") if isinstance(config, dict) else None
    cls = next((obj for key in (registered, name) if isinstance(key, str)
                for obj in [get_registered_object(key, custom_objects)] if obj is not None), None)
    cls = cls or by_name.get(name)
    if cls is None:
        raise ValueError(f"Unknown {kind}: {name!r}. Valid names: {sorted(by_name)}; pass a custom class in "
                         "custom_objects.")
    if isinstance(config, str):
        return cls()
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier):
    """A regularizer from None, a name ("l1", "l2", "l1_l2", "orthogonal_regularizer"), a config dict, or a
    callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret regularizer identifier: {identifier!r}")


register_namespace("keras.regularizers", globals())  # configs name these classes and functions
