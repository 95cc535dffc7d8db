"""OpLayer: an operator applied to KerasTensors (`x + y`, `2 * x`, `x[:, 0]`) as a node of a functional graph.

Each op is named as Keras 3 names it (`Add`, `TrueDivide`, `GetItem`, ...; module `keras.src.ops.numpy` in a
config), so functional models using operators save and load in both libraries.

    >>> x = kerasj.Input((4,))
    >>> y = 2.0 * x + 1.0          # two OpLayer nodes: Multiply(2.0, x) then Add(..., 1.0)
"""
import jax.numpy as jnp

from kerasj.layers.layer import Layer


def _get_item(x, key):
    # A saved config holds a tuple key (x[:, 0]) as a JSON list; indexing with a list of slices or of ints
    # means a multi-axis index here, as in Keras's GetItem.
    if isinstance(key, list):
        key = tuple(key)
    return x[key]


# Keras op class name -> (function, snake_case base name for the layer).
_OPS = {
    "Add": (jnp.add, "add"), "Subtract": (jnp.subtract, "subtract"), "Multiply": (jnp.multiply, "multiply"),
    "TrueDivide": (jnp.true_divide, "true_divide"), "Power": (jnp.power, "power"),
    "Matmul": (jnp.matmul, "matmul"), "FloorDivide": (jnp.floor_divide, "floor_divide"),
    "Mod": (jnp.mod, "mod"), "Negative": (jnp.negative, "negative"), "Absolute": (jnp.abs, "absolute"),
    "GetItem": (_get_item, "get_item"),
}


class OpLayer(Layer):
    """A weightless layer applying the Keras op `op_class_name` (a key of the table above) to its arguments."""

    def __init__(self, op_class_name, name=None, fn=None, **kwargs):
        """`fn` (with `op_class_name` a plain name) wraps any other kerasj.ops function; such nodes run but
        cannot be saved in a config."""
        if fn is None and op_class_name not in _OPS:
            raise ValueError(f"OpLayer: unknown op {op_class_name!r}; known ops are {sorted(_OPS)}")
        from kerasj.utils.naming import to_snake_case, uniquify
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        base = _OPS[op_class_name][1] if fn is None else to_snake_case(op_class_name)
        super().__init__(name=name or uniquify(base), **kwargs)
        self.op_class_name = op_class_name
        self.fn = fn if fn is not None else _OPS[op_class_name][0]
        self._saveable = fn is None
        self.built = True

    @staticmethod
    def knows(op_class_name):
        return op_class_name in _OPS

    @classmethod
    def for_op(cls, op_class_name):
        """A constructor taking a saved op's config (`{"name": ...}`), for loading."""
        class _Loader:
            @staticmethod
            def from_config(config):
                return cls(op_class_name, name=config.get("name"))
        return _Loader

    def __call__(self, *args, **kwargs):
        from kerasj.symbolic import any_symbolic
        if any_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        return self._eager_call(args, kwargs)

    def call(self, *args):
        return self.fn(*args)

    def get_config(self):
        if not self._saveable:
            raise NotImplementedError(
                f"The functional model applies kerasj.ops.{self.op_class_name} to a symbolic tensor (node "
                f"'{self.name}'); only the operators +, -, *, /, //, %, **, @, unary -, abs() and indexing can be "
                "saved in a config so far. Wrap the computation in a layer (a Layer subclass registered with "
                "kerasj.saving.register_keras_serializable) to save the model.")
        return {"name": self.name}

    def get_build_config(self):
        return None
