"""InputLayer and Input: the entry points of a functional graph."""
from kerasj.layers.layer import Layer
from kerasj.ops.symbolic import KerasTensor, Node
from kerasj.variables import standardize_dtype


class InputLayer(Layer):
    """The layer behind `Input`; holds the symbolic input tensor of a functional model."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        kwargs.pop("input_shape", None) if shape is not None else None
        if kwargs.pop("ragged", False):
            raise ValueError("InputLayer: ragged inputs are not supported in kerasj (JAX has no ragged arrays).")
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: pass `shape` or `batch_shape`, not both.")
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: `shape` (the shape of one sample, without the batch axis) is "
                                 "required, e.g. Input(shape=(784,)).")
            if isinstance(shape, int):
                shape = (shape,)
            try:
                batch_shape = (batch_size,) + tuple(shape)
            except TypeError:
                raise ValueError(f"InputLayer: `shape` must be a tuple of ints or None; received {shape!r}")
        for d in batch_shape:
            if d is not None and (not isinstance(d, int) or d < 0):
                raise ValueError(f"InputLayer: shape entries must be non-negative ints or None; "
                                 f"received {tuple(batch_shape)}")
        self.batch_shape = tuple(batch_shape)
        self._dtype_name = standardize_dtype(dtype)
        self.sparse = bool(sparse)
        self.optional = optional
        self.built = True
        if input_tensor is None:
            input_tensor = KerasTensor(self.batch_shape, self._dtype_name, name=self.name)
        self._input_tensor = input_tensor
        Node(self, (), {}, input_tensor)

    @property
    def dtype(self):
        return self._dtype_name

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self._dtype_name, "sparse": self.sparse,
                "ragged": False, "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,
          optional=False):
    """A symbolic input for the functional API.

    Args:
        shape: shape of one sample, without the batch axis, e.g. (784,) or (28, 28, 1).
        batch_size: optional fixed batch size.
        dtype: dtype of the input data (default float32).
        name: name of the input (dict inputs to `fit` are matched by it).

        >>> inputs = Input(shape=(784,))
        >>> outputs = kerasj.layers.Dense(10)(inputs)
        >>> model = kerasj.Model(inputs, outputs)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                       input_tensor=tensor, optional=optional, name=name)
    return layer.output
