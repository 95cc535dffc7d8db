"""Optimizers: Keras 3's update rules on kerasj Variables, plus any optax transformation.

    >>> model.compile(optimizer="adam", loss="mse")
    >>> model.compile(optimizer=kerasj.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    >>> model.compile(optimizer=optax.adamw(1e-3), loss="mse")   # wrapped in an OptaxOptimizer
"""
import optax

from kerasj.optimizers import legacy, schedules
from kerasj.optimizers.adadelta import Adadelta
from kerasj.optimizers.adafactor import Adafactor
from kerasj.optimizers.adagrad import Adagrad
from kerasj.optimizers.adam import Adam
from kerasj.optimizers.adamax import Adamax
from kerasj.optimizers.adamw import AdamW
from kerasj.optimizers.ftrl import Ftrl
from kerasj.optimizers.lamb import Lamb
from kerasj.optimizers.lion import Lion
from kerasj.optimizers.loss_scale_optimizer import LossScaleOptimizer
from kerasj.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from kerasj.optimizers.muon import Muon
from kerasj.optimizers.nadam import Nadam
from kerasj.optimizers.optax_optimizer import OptaxOptimizer
from kerasj.optimizers.optimizer import Optimizer
from kerasj.optimizers.rmsprop import RMSprop
from kerasj.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from kerasj.optimizers.sgd import SGD
from kerasj.utils.keras_names import register_namespace

_OPTIMIZERS = (Adadelta, Adafactor, Adagrad, Adam, Adamax, AdamW, Ftrl, Lamb, Lion, Muon, Nadam, RMSprop,
               ScheduleFreeAdamW, SGD)
# Each optimizer by its class name and by its lower-case name ("adamw", "rmsprop"), as Keras accepts both.
_BY_NAME = {**{cls.__name__: cls for cls in _OPTIMIZERS}, **{cls.__name__.lower(): cls for cls in _OPTIMIZERS}}
# The wrappers need their inner optimizers, so they resolve from a config dict only, never from a bare name.
_CLASSES = {**_BY_NAME, "OptaxOptimizer": OptaxOptimizer, "LossScaleOptimizer": LossScaleOptimizer,
            "MultiOptimizer": MultiOptimizer}
# Keras 3 optimizers kerasj does not provide yet, named in the error so that it is clearly a gap.
_NOT_YET = ()


def serialize(optimizer):
    """A JSON-friendly description of an optimizer, in Keras's format.

    >>> serialize(SGD(0.1))["config"]["learning_rate"]
    0.10000000149011612
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizers.serialize: expected an Optimizer; received {type(optimizer).__name__}.")
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__, "config": optimizer.get_config(),
            "registered_name": None}


def _lookup(name, custom_objects, table):
    cls = (custom_objects or {}).get(name) or table.get(name)
    if cls is None:
        gap = (f" ('{name}' is a Keras optimizer that kerasj does not implement yet; an optax transformation such "
               f"as optax.{name.lower()}(...) can stand in.)" if name.lower() in _NOT_YET else "")
        raise ValueError(f"Could not interpret optimizer identifier: {name!r}. Valid names: {sorted(table)}.{gap}")
    return cls


def deserialize(config, custom_objects=None):
    """Rebuild an optimizer from `serialize` output (or a `{"class_name", "config"}` dict).

    >>> deserialize({"class_name": "Adam", "config": {"learning_rate": 0.01}})
    """
    if isinstance(config, str):
        return _lookup(config, custom_objects, _BY_NAME)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"optimizers.deserialize: expected a dict with 'class_name'; received {config!r}.")
    cls = _lookup(config["class_name"], custom_objects, _CLASSES)
    return cls.from_config(config.get("config", {}), custom_objects=custom_objects)


def get(identifier):
    """An optimizer from a name ("rmsprop", "adamw", "Adam", "SGD", ...), a config dict, an Optimizer (returned as is)
    or an `optax.GradientTransformation` (wrapped in an OptaxOptimizer). None gives None.

    >>> get("adam")
    <Adam name=adam>
    >>> get(optax.sgd(0.1))
    <OptaxOptimizer name=optax_optimizer>
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, optax.GradientTransformation):
        return OptaxOptimizer(identifier)
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Expected a name "
                     f"({sorted(_BY_NAME)}), a config dict, an Optimizer or an optax.GradientTransformation.")


__all__ = ["Adadelta", "Adafactor", "Adagrad", "Adam", "Adamax", "AdamW", "Ftrl", "Lamb", "Lion", "LossScaleOptimizer",
           "MultiOptimizer", "Muon", "Nadam", "OptaxOptimizer", "Optimizer", "OptimizerMap", "RMSprop",
           "ScheduleFreeAdamW", "SGD", "deserialize", "get", "legacy", "schedules", "serialize"]


register_namespace("keras.optimizers", globals())  # configs name these classes and functions
