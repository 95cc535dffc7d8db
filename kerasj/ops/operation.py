"""`Operation`: the base of everything a functional graph is made of, the ops and `Layer`.

An Operation has a name and a `call`. Called on concrete arrays it runs `call`; called with a symbolic
`KerasTensor` anywhere among its arguments it instead evaluates `call` abstractly (`compute_output_spec`),
records the call as a `Node` of the graph and returns the symbolic outputs.

    >>> class Double(Operation):
    ...     def call(self, x):
    ...         return 2 * x
    >>> Double()(jnp.ones(2))
    Array([2., 2.], dtype=float32)
    >>> Double()(kerasj.Input((3,))).shape
    (None, 3)
"""
from kerasj.ops.symbolic import Node, any_symbolic, compute_output_spec
from kerasj.utils.naming import reserve, to_snake_case, uniquify


class Operation:
    """Base class of ops and layers.

    Args:
        name: unique name; defaults to the snake-cased class name made unique ("add", "add_1").
    """

    def __init__(self, name=None):
        if name is None:
            name = uniquify(to_snake_case(type(self).__name__))
        elif not isinstance(name, str) or "/" in name:
            raise ValueError(f"{type(self).__name__}: name must be a string without '/'; received {name!r}")
        else:
            reserve(name)
        self.name = name
        self._inbound_nodes = []  # one Node per symbolic call, in call order

    def __call__(self, *args, **kwargs):
        if any_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        return self._eager_call(args, kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement call().")

    def _eager_call(self, args, kwargs):
        return self.call(*args, **kwargs)

    def _symbolic_call(self, args, kwargs):
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, args, kwargs, outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """Symbolic outputs (KerasTensors) for symbolic inputs; the default evaluates `call` abstractly."""
        return compute_output_spec(self.call, args, kwargs)

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
