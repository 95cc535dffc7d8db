"""The `Loss` base class, `LossFunctionWrapper`, the reductions, and lookup by name (`get`, `serialize`,
`deserialize`).

A `Loss` calls its per-sample function, weights the values by `sample_weight` and a mask, and reduces them:

    >>> loss = LossFunctionWrapper(lambda t, p: jnp.abs(p - t), reduction="sum")
    >>> loss([[0.0], [1.0]], [[1.0], [3.0]])   # 1 + 2 = 3.0

The name tables that `get` and `deserialize` consult are filled by the `kerasj.losses` namespace once every
family module is imported (`register_builtins`), so this module needs none of them.
"""
import jax
import jax.numpy as jnp

from kerasj import config
from kerasj.masks import get_mask
# The helpers that metrics share live in utils/losses_utils.py; here they keep their short private names.
from kerasj.utils.losses_utils import (apply_mask as _apply_mask, divide_no_nan as _divide_no_nan,
                                       same_rank as _same_rank, to_array as _array)
from kerasj.utils.naming import to_snake_case

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

# Built-in names, filled by `register_builtins`: class name -> class, function name -> function, alias -> function.
_CLASSES = {}
_FUNCTIONS = {}
_ALIASES = {}


# -- reduction -----------------------------------------------------------------------------------------

def _standardize_reduction(reduction, owner="Loss"):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{owner}: invalid reduction {reduction!r}; expected one of "
                         f"{[r for r in REDUCTIONS]}.")
    return reduction


def _reduce_weighted(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Weight per-sample loss values and reduce them.

    - "sum": `sum(w * l)`.
    - "sum_over_batch_size" / "mean": `sum(w * l) / n`, with `n` the number of loss values (not the weight
      sum).
    - "mean_with_sample_weight": `sum(w * l) / sum(w)` (`n` when there are no weights).
    - "none" / None: the weighted values, unreduced.
    """
    values = _array(values, dtype)
    if sample_weight is not None:
        sample_weight = _array(sample_weight, values.dtype)
    sample_weight = _apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = _same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = jnp.sum(sample_weight)
    else:
        divisor = jnp.asarray(values.size, values.dtype)
    return _divide_no_nan(total, divisor)


def _merge_masks(first, second):
    if first is None:
        return second
    if second is None:
        return first
    return jnp.logical_and(*_same_rank(jnp.asarray(first, bool), jnp.asarray(second, bool)))


# -- Loss classes --------------------------------------------------------------------------------------

class Loss:
    """Base class for losses. Subclasses implement `call(y_true, y_pred)`, returning per-sample values;
    `__call__` applies `sample_weight` and the reduction.

    >>> class MyMSE(kerasj.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return jnp.mean(jnp.square(y_pred - y_true), axis=-1)
    >>> MyMSE(reduction="sum")([[0.0], [1.0]], [[1.0], [1.0]])   # 1.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = _standardize_reduction(reduction, type(self).__name__)
        if isinstance(dtype, str) and dtype.startswith("mixed_"):
            dtype = dtype[len("mixed_"):]  # a mixed-precision policy computes in its half-precision type
        self.dtype = dtype or config.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        # A mask on the predictions (e.g. from Embedding(mask_zero=True) through an RNN with
        # return_sequences) excludes the padded steps, as in Keras; so does a mask that `call` puts on its
        # values (Circle marks the samples that have no positive or no negative pair).
        output_mask = get_mask(y_pred)
        y_pred = self._to_arrays(y_pred)
        y_true = self._to_arrays(y_true)
        values = self.call(y_true, y_pred)
        mask = _merge_masks(self._valid_mask(y_true, y_pred), output_mask)
        mask = _merge_masks(mask, get_mask(values))
        return _reduce_weighted(values, sample_weight, mask, self.reduction, self.dtype)

    def _to_arrays(self, x):
        """`x` as an array of this loss's dtype. Nested lists of numbers become one array; dicts, and lists
        or tuples of arrays (a custom loss over several outputs), keep their structure."""
        if isinstance(x, dict):
            return {k: self._to_arrays(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)) and any(hasattr(v, "shape") or isinstance(v, dict) for v in x):
            return type(x)(self._to_arrays(v) for v in x)
        return _array(x, self.dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def _valid_mask(self, y_true, y_pred):
        """Which per-sample values count (None: all). Overridden by losses that ignore some targets."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A `Loss` around a per-sample function `fn(y_true, y_pred, **kwargs)`, e.g. a custom loss.

    >>> def my_loss(y_true, y_pred, power=2.0):
    ...     return jnp.mean(jnp.abs(y_pred - y_true) ** power, axis=-1)
    >>> loss = kerasj.losses.LossFunctionWrapper(my_loss, power=3.0)
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: fn must be callable; received {fn!r}.")
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if isinstance(y_true, jax.Array) and isinstance(y_pred, jax.Array):
            y_true, y_pred = _same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        return cls(deserialize(fn) if isinstance(fn, (dict, str)) else fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its function is fixed, so the config holds only its own arguments. (All of
    them: Keras leaves Huber's `delta` and the `axis` of CosineSimilarity and SparseCategoricalCrossentropy
    out of their configs; kerasj keeps them so that a config round-trip rebuilds the same loss.)"""

    fn_for_class = None

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(type(self).fn_for_class, reduction=reduction, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _builtin(class_name, fn, default_name, doc, module):
    """Define a built-in loss class with no arguments of its own, in `module`."""
    def __init__(self, reduction="sum_over_batch_size", name=default_name, dtype=None):
        _BuiltinLoss.__init__(self, reduction=reduction, name=name, dtype=dtype)
    return type(class_name, (_BuiltinLoss,), {"__init__": __init__, "__doc__": doc,
                                               "fn_for_class": staticmethod(fn), "__module__": module})


# -- lookup and serialization --------------------------------------------------------------------------

def register_builtins(classes, functions, aliases):
    """Make built-in loss classes, functions and function aliases (`{"mse": fn}`) known to `get` and
    `deserialize`; called once by the `kerasj.losses` namespace."""
    _CLASSES.update({cls.__name__: cls for cls in classes})
    _FUNCTIONS.update({fn.__name__: fn for fn in functions})
    _ALIASES.update(aliases)


def _valid_names():
    return sorted({**_CLASSES, **_FUNCTIONS, **_ALIASES})


def serialize(loss):
    """A JSON-friendly description of a loss object or built-in loss function (Keras's format).

    >>> kerasj.losses.serialize(kerasj.losses.MeanSquaredError())["class_name"]   # "MeanSquaredError"
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": loss.get_config(),
                "registered_name": None}
    if callable(loss) and hasattr(loss, "__name__"):
        return {"module": "builtins", "class_name": "function", "config": loss.__name__,
                "registered_name": "function"}
    raise TypeError(f"serialize: expected a Loss instance or a loss function; received {loss!r}.")


def deserialize(config, custom_objects=None):
    """Rebuild a loss from `serialize` output (or a name). Custom classes/functions resolve through
    `custom_objects`.

    >>> kerasj.losses.deserialize({"class_name": "Huber", "config": {"delta": 2.0}})
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return custom_objects[config]
        return _lookup(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"deserialize: expected a loss name or a dict with 'class_name'; received {config!r}.")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "function":
        return deserialize(inner, custom_objects)
    cls = custom_objects.get(class_name) or _CLASSES.get(class_name)
    if cls is None:
        raise ValueError(f"Unknown loss class {class_name!r}. Valid names: {sorted(_CLASSES)}; pass custom "
                         f"losses in custom_objects={{'{class_name}': cls}}.")
    return cls.from_config(inner)


def _lookup(name):
    if name in _CLASSES:
        return _CLASSES[name]()
    fn = _FUNCTIONS.get(name) or _ALIASES.get(name)
    if fn is None:
        raise ValueError(f"Unknown loss identifier: {name!r}. Valid names: {_valid_names()}")
    return fn


def get(identifier):
    """A loss from a name, a config dict, a Loss instance or a callable. As in Keras, class names give
    instances (`"MeanSquaredError"`) and function names/aliases give per-sample functions (`"mse"`).

    >>> kerasj.losses.get("mse") is kerasj.losses.mean_squared_error   # True
    >>> kerasj.losses.get("BinaryCrossentropy")                          # a BinaryCrossentropy()
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return _lookup(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}; expected a name, a config dict, "
                     "a Loss instance or a callable.")
