"""`Quantizer`: the base of objects that turn a float tensor into a lower-precision one.

    >>> class Halve(Quantizer):
    ...     def __call__(self, x):
    ...         return x / 2
    ...     def get_config(self):
    ...         return {"output_dtype": self.output_dtype}
    >>> Halve.from_config(Halve().get_config()).output_dtype
    'int8'
"""


class Quantizer:
    """Base class: subclasses implement `__call__(x)` (the base returns `x` unchanged) and `get_config()`.

    Args:
        output_dtype: the dtype of the quantized values (Keras's default: "int8").
    """

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        """A quantizer built from `get_config()`'s output."""
        return cls(**config)

    def get_config(self):
        """The constructor arguments as a dict; subclasses must provide it to be saved."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config(); a Quantizer subclass "
                                  "needs one to be serialized.")
