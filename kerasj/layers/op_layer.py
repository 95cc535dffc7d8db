"""OpLayer: wraps a jax.numpy function applied to KerasTensors (e.g. `x + y` in a functional graph)."""
from kerasj.layers.layer import Layer


class OpLayer(Layer):
    """A weightless layer that applies `fn` to its inputs; created for operators on symbolic tensors."""

    def __init__(self, fn, op_name="op", **kwargs):
        from kerasj.utils.naming import uniquify
        super().__init__(name=kwargs.pop("name", None) or uniquify(op_name), **kwargs)
        self.fn = fn
        self.built = True

    def __call__(self, *args, **kwargs):
        from kerasj.symbolic import any_symbolic
        if any_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        return self._eager_call(args, kwargs)

    def call(self, *args):
        return self.fn(*args)
