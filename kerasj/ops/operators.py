"""Ops applied to symbolic tensors, as graph nodes: Python operators (`x + y`, `2 * x`, `x[:, 0]`) and any
`kerasj.ops` or `kerasj.activations` function called on a KerasTensor.

Each operator is an Operation subclass named as Keras 3 names it (`Add`, `TrueDivide`, `GetItem`, ...;
module `keras.src.ops.numpy` in a config), so functional models using operators save and load in both
libraries. This module also gives `KerasTensor` its operators.

    >>> x = kerasj.Input((4,))
    >>> y = 2.0 * x + 1.0          # two nodes: Multiply(2.0, x) then Add(..., 1.0)
    >>> type(y._keras_history[0]).__name__
    'Add'
"""
import jax.numpy as jnp

from kerasj.ops.operation import Operation
from kerasj.ops.symbolic import KerasTensor
from kerasj.utils.keras_names import register
from kerasj.utils.naming import to_snake_case, uniquify


class SymbolicOp(Operation):
    """An op recorded in a functional graph. Unlike layers, ops are not among a model's `layers` and have
    no weights; `op_class_name` is the name of its Keras op class."""

    def __init__(self, op_class_name, name=None):
        # A default name is reserved like an explicit one, as for every op node so far.
        super().__init__(name=name or uniquify(to_snake_case(op_class_name)))
        self.op_class_name = op_class_name

    @staticmethod
    def knows(op_class_name):
        """Whether `op_class_name` is an operator that a config can hold."""
        return op_class_name in OPERATORS

    @staticmethod
    def for_op(op_class_name):
        """The class of operator `op_class_name`, whose `from_config` takes a saved config (`{"name": ...}`)."""
        return OPERATORS[op_class_name]


class _Operator(SymbolicOp):
    """Base of the operator classes below: `fn` is the jax function, the class name the Keras op name."""

    fn = None

    def __init__(self, name=None):
        super().__init__(type(self).__name__, name=name)

    def call(self, *args):
        return type(self).fn(*args)

    @classmethod
    def from_config(cls, config):
        return cls(name=config.get("name"))


def _get_item(x, key):
    # A saved config holds a tuple key (x[:, 0]) as a JSON list; indexing with a list of slices or of ints
    # means a multi-axis index here, as in Keras's GetItem.
    if isinstance(key, list):
        key = tuple(key)
    return x[key]


# Keras op class name -> jax function.
_FUNCTIONS = {
    "Add": jnp.add, "Subtract": jnp.subtract, "Multiply": jnp.multiply, "TrueDivide": jnp.true_divide,
    "Power": jnp.power, "Matmul": jnp.matmul, "FloorDivide": jnp.floor_divide, "Mod": jnp.mod,
    "Negative": jnp.negative, "Absolute": jnp.abs, "GetItem": _get_item,
}
OPERATORS = {name: type(name, (_Operator,), {"fn": staticmethod(fn), "__module__": __name__,
                                              "__doc__": f"The Keras op `{name}` as a graph node."})
             for name, fn in _FUNCTIONS.items()}
for _name, _cls in OPERATORS.items():  # Keras writes graph operators under this module name
    register("keras.src.ops.numpy", _name, _cls)


class FunctionOp(SymbolicOp):
    """A call of the kerasj.ops or activations function named `op_class_name`, as `fn` of the call's
    symbolic arguments. Such nodes run, but cannot be saved in a config."""

    def __init__(self, op_class_name, fn, name=None):
        super().__init__(op_class_name, name=name)
        self.fn = fn

    def call(self, *args):
        return self.fn(*args)

    def get_config(self):
        raise NotImplementedError(
            f"The functional model applies kerasj.ops.{self.op_class_name} to a symbolic tensor (node "
            f"'{self.name}'); only the operators +, -, *, /, //, %, **, @, unary -, abs() and indexing can be "
            "saved in a config so far. Wrap the computation in a layer (a Layer subclass registered with "
            "kerasj.saving.register_keras_serializable) to save the model.")


def _binary(op_class, reflected=False):
    if reflected:
        return lambda self, other: op_class()(other, self)
    return lambda self, other: op_class()(self, other)


for _dunder, _name in [("add", "Add"), ("sub", "Subtract"), ("mul", "Multiply"), ("truediv", "TrueDivide"),
                       ("pow", "Power"), ("matmul", "Matmul"), ("floordiv", "FloorDivide"), ("mod", "Mod")]:
    setattr(KerasTensor, f"__{_dunder}__", _binary(OPERATORS[_name]))
    setattr(KerasTensor, f"__r{_dunder}__", _binary(OPERATORS[_name], reflected=True))
KerasTensor.__neg__ = lambda self: OPERATORS["Negative"]()(self)
KerasTensor.__abs__ = lambda self: OPERATORS["Absolute"]()(self)
KerasTensor.__getitem__ = lambda self, key: OPERATORS["GetItem"]()(self, key)
del _dunder, _name
