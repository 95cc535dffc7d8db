"""Merging layers: combine a list of tensors into one (Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot) and their functional forms (`add([a, b])`, `concatenate([a, b], axis=1)`, ...).

Element-wise merges broadcast as Keras does: a lower-rank input gets new axes right after the batch axis
(so (batch, 3) combines with (batch, 4, 3)), then the non-batch axes broadcast like numpy; batch sizes
must agree.

    >>> a, b = kerasj.Input((4,)), kerasj.Input((4,))
    >>> kerasj.layers.add([a, b]).shape
    (None, 4)
"""
import functools

import jax
import jax.numpy as jnp
from jax import lax

from kerasj.layers.layer import Layer
from kerasj.layers.normalization import l2_normalize
from kerasj.ops.symbolic import KerasTensor
from kerasj.utils.argument_validation import is_int


class _Merge(Layer):
    """Base of the merging layers: checks that the input is a list of tensors with compatible shapes.

    Subclasses implement `_merge(list_of_arrays)` and `_output_shape(list_of_shapes)`, which raises a
    ValueError for incompatible shapes; the same check runs at build time, on every eager call (shapes are
    static, so this costs nothing inside compiled code) and for symbolic inputs.
    """

    _num_inputs = None  # exact number of inputs, when the operation needs one

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    @property
    def _kind(self):
        return f"{type(self).__name__} layer '{self.name}'"

    def _check_shapes(self, shapes):
        # Symbolic dimensions (jax.export's free batch size) are shapes too.
        is_shape = lambda s: isinstance(s, (tuple, list)) and all(
            d is None or is_int(d) or jax.export.is_symbolic_dim(d) for d in s)
        if not isinstance(shapes, (list, tuple)) or not shapes or not all(is_shape(s) for s in shapes):
            raise ValueError(f"{self._kind}: a merge layer must be called on a list of at least one input "
                             f"tensor; received input_shape={shapes!r}")
        if self._num_inputs is not None and len(shapes) != self._num_inputs:
            raise ValueError(f"{self._kind} must be called on exactly {self._num_inputs} inputs; received "
                             f"{len(shapes)} input(s) with shapes {[tuple(s) for s in shapes]}")
        return [tuple(s) for s in shapes]

    def build(self, input_shape):
        self._output_shape(self._check_shapes(input_shape))
        self.built = True

    def _as_list(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            shape = getattr(inputs, "shape", None)
            raise ValueError(f"{self._kind}: a merge layer must be called on a list of input tensors; "
                             f"received a single input of shape {shape}")
        return list(inputs)

    def _input_masks(self, inputs, mask):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(self._as_list(inputs)):
            raise ValueError(f"{self._kind}: `mask` must be a list with one entry (or None) per input; received "
                             f"{mask!r} for {len(self._as_list(inputs))} inputs")
        return list(mask)

    def compute_mask(self, inputs, mask=None):
        """A step is kept when any input keeps it; an unmasked input makes the output unmasked."""
        masks = self._input_masks(inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        return functools.reduce(jnp.logical_or, [jnp.asarray(m, bool) for m in masks])

    def call(self, inputs):
        inputs = self._as_list(inputs)
        self._output_shape(self._check_shapes([tuple(x.shape) for x in inputs]))
        return self._merge(inputs)

    def compute_output_shape(self, input_shape):
        return self._output_shape(self._check_shapes(input_shape))

    def compute_output_spec(self, inputs, **kwargs):
        # Computed from shapes rather than by abstract evaluation: unknown (None) sizes may legitimately
        # differ between inputs, which stand-in sizes could not represent.
        inputs = self._as_list(inputs)
        dtype = self._output_dtype(jnp.result_type(*[x.dtype for x in inputs]))
        return KerasTensor(self.compute_output_shape([tuple(x.shape) for x in inputs]), dtype)

    def _output_dtype(self, dtype):
        return dtype

    def _merge(self, inputs):
        raise NotImplementedError

    def _output_shape(self, shapes):
        raise NotImplementedError


class _ElementwiseMerge(_Merge):
    """A merge that folds a binary element-wise operation over the inputs, left to right."""

    def _output_shape(self, shapes):
        batch_sizes = {s[0] for s in shapes if s and s[0] is not None}
        if len(batch_sizes) > 1:
            raise ValueError(f"{self._kind}: cannot merge tensors with different batch sizes; received "
                             f"tensors with shapes {shapes}")
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = self._broadcast(out, shape[1:])
        return (batch_sizes.pop() if batch_sizes else None,) + out

    def _broadcast(self, a, b):
        if len(a) < len(b):
            a, b = b, a
        b = (1,) * (len(a) - len(b)) + b
        out = []
        for i, j in zip(a, b):
            if i is None or j is None:
                out.append(None)
            elif i == 1 or j == 1 or i == j:
                out.append(j if i == 1 else i)
            else:
                raise ValueError(f"{self._kind}: inputs have incompatible shapes; received shapes (excluding "
                                 f"the batch axis) {a} and {b}")
        return tuple(out)

    def _merge(self, inputs):
        ndim = max(x.ndim for x in inputs)
        # New axes go right after the batch axis, so the batch axis stays aligned.
        inputs = [jnp.reshape(x, x.shape[:1] + (1,) * (ndim - x.ndim) + x.shape[1:]) for x in inputs]
        out = inputs[0]
        for x in inputs[1:]:
            out = self._op(out, x)
        return self._finish(out, len(inputs))

    def _finish(self, out, count):
        return out


class Add(_ElementwiseMerge):
    """Sum of a list of inputs (of the same or broadcastable shapes).

        >>> Add()([jnp.ones((2, 3)), jnp.ones((2, 3))])[0]
        Array([2., 2., 2.], dtype=float32)
    """
    _op = staticmethod(jnp.add)


class Subtract(_ElementwiseMerge):
    """Difference of exactly two inputs: `inputs[0] - inputs[1]`.

        >>> Subtract()([jnp.full((1, 2), 5.0), jnp.ones((1, 2))])
        Array([[4., 4.]], dtype=float32)
    """
    _num_inputs = 2
    _op = staticmethod(jnp.subtract)


class Multiply(_ElementwiseMerge):
    """Element-wise product of a list of inputs.

        >>> Multiply()([jnp.full((1, 2), 2.0), jnp.full((1, 2), 3.0)])
        Array([[6., 6.]], dtype=float32)
    """
    _op = staticmethod(jnp.multiply)


class Average(_ElementwiseMerge):
    """Element-wise mean of a list of inputs (always floating point).

        >>> Average()([jnp.zeros((1, 2)), jnp.full((1, 2), 4.0)])
        Array([[2., 2.]], dtype=float32)
    """
    _op = staticmethod(jnp.add)

    def _finish(self, out, count):
        return out / count

    def _output_dtype(self, dtype):
        return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(dtype, jnp.float32)


class Maximum(_ElementwiseMerge):
    """Element-wise maximum of a list of inputs.

        >>> Maximum()([jnp.array([[1.0, 5.0]]), jnp.array([[3.0, 2.0]])])
        Array([[3., 5.]], dtype=float32)
    """
    _op = staticmethod(jnp.maximum)


class Minimum(_ElementwiseMerge):
    """Element-wise minimum of a list of inputs.

        >>> Minimum()([jnp.array([[1.0, 5.0]]), jnp.array([[3.0, 2.0]])])
        Array([[1., 2.]], dtype=float32)
    """
    _op = staticmethod(jnp.minimum)


class Concatenate(_Merge):
    """Concatenates a list of inputs along `axis`; all other dimensions must match.

        >>> Concatenate(axis=1)([jnp.ones((2, 3)), jnp.ones((2, 4))]).shape
        (2, 7)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not is_int(axis):
            raise TypeError(f"Concatenate: `axis` must be an int; received axis={axis!r}")
        self.axis = int(axis)

    def _output_shape(self, shapes):
        ndim = len(shapes[0])
        if any(len(s) != ndim for s in shapes) or not -ndim <= self.axis < ndim:
            raise ValueError(f"{self._kind} requires inputs of the same rank with the concatenation axis "
                             f"{self.axis} in range; received input shapes {shapes}")
        axis = self.axis % ndim
        out = []
        for i in range(ndim):
            dims = [s[i] for s in shapes]
            if i == axis:
                out.append(None if None in dims else sum(dims))
                continue
            known = {d for d in dims if d is not None}
            if len(known) > 1:
                raise ValueError(f"{self._kind} requires inputs with matching shapes except for the "
                                 f"concatenation axis {self.axis}; received input shapes {shapes} (they differ "
                                 f"on axis {i})")
            out.append(known.pop() if known else None)
        return tuple(out)

    def _merge(self, inputs):
        return jnp.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Masks are concatenated like the inputs (an unmasked input counts as all kept); a position of the
        output is kept when any of its features is."""
        masks = self._input_masks(inputs, mask)
        if masks is None or all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(self._as_list(inputs), masks):
            if m is None:
                m = jnp.ones(jnp.shape(x), bool)
            m = jnp.asarray(m, bool)
            if m.ndim < jnp.ndim(x):
                m = jnp.broadcast_to(m[..., None], jnp.shape(x))
            full.append(m)
        return jnp.any(jnp.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Batched dot product of two inputs, contracting `axes` (per sample; the batch axis is kept).

    `axes` is an int (the same axis of both inputs; a negative value counts from the end of each) or a
    pair `(axis_of_a, axis_of_b)`. The result has the remaining axes of `a`, then those of `b`; a result
    with no axis besides the batch is returned as shape (batch, 1). With `normalize=True` both inputs are
    L2-normalized along their contracted axis first, so the result is the cosine similarity.

        >>> Dot(axes=1)([jnp.ones((4, 3)), jnp.ones((4, 3))]).shape
        (4, 1)
        >>> Dot(axes=(1, 2))([jnp.ones((4, 3, 5)), jnp.ones((4, 2, 3))]).shape
        (4, 5, 2)
    """

    _num_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(f"Dot: `axes` must be an int or a pair of ints; received axes={axes!r}")
            if not all(is_int(a) for a in axes):
                raise TypeError(f"Dot: the entries of `axes` must be ints; received axes={axes!r}")
            axes = type(axes)(int(a) for a in axes)  # list or tuple, as given (and as Keras reports it)
        elif is_int(axes):
            axes = int(axes)
        else:
            raise TypeError(f"Dot: `axes` must be an int or a list/tuple of two ints; received axes={axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)
        self.supports_masking = False

    def _resolve_axes(self, shapes):
        a, b = shapes
        if is_int(self.axes):
            axes = [self.axes % len(a), self.axes % len(b)] if self.axes < 0 else [self.axes, self.axes]
        else:
            axes = [ax % len(s) if ax < 0 else ax for ax, s in zip(self.axes, shapes)]
        for ax, s in zip(axes, shapes):
            if not 1 <= ax < len(s):
                raise ValueError(f"{self._kind}: axes={self.axes!r} must name a non-batch axis of each input "
                                 f"(1 <= axis < rank); received input shapes {a} and {b}")
        return axes

    def _output_shape(self, shapes):
        (a, b), (ax_a, ax_b) = shapes, self._resolve_axes(shapes)
        if a[ax_a] is not None and b[ax_b] is not None and a[ax_a] != b[ax_b]:
            raise ValueError(f"{self._kind}: incompatible input shapes: axis values {a[ax_a]} (at axis {ax_a}) "
                             f"!= {b[ax_b]} (at axis {ax_b}). Full input shapes: {a}, {b}")
        if a[0] is not None and b[0] is not None and a[0] != b[0]:
            raise ValueError(f"{self._kind}: inputs must have the same batch size; received shapes {a} and {b}")
        rest = a[1:ax_a] + a[ax_a + 1:] + b[1:ax_b] + b[ax_b + 1:]
        return (a[0] if a[0] is not None else b[0],) + (rest or (1,))

    def _merge(self, inputs):
        a, b = inputs
        ax_a, ax_b = self._resolve_axes([a.shape, b.shape])
        if self.normalize:
            a, b = l2_normalize(a, ax_a), l2_normalize(b, ax_b)
        dtype = jnp.result_type(a, b)
        out = lax.dot_general(a.astype(dtype), b.astype(dtype), (((ax_a,), (ax_b,)), ((0,), (0,))))
        return out[:, None] if out.ndim == 1 else out

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


# -- functional forms ----------------------------------------------------------------------------------

def add(inputs, **kwargs):
    """`Add(**kwargs)(inputs)`: element-wise sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """`Subtract(**kwargs)(inputs)`: difference of two tensors."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """`Multiply(**kwargs)(inputs)`: element-wise product of a list of tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """`Average(**kwargs)(inputs)`: element-wise mean of a list of tensors."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """`Maximum(**kwargs)(inputs)`: element-wise maximum of a list of tensors."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """`Minimum(**kwargs)(inputs)`: element-wise minimum of a list of tensors."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """`Concatenate(axis, **kwargs)(inputs)`, e.g. `concatenate([a, b], axis=1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """`Dot(axes, **kwargs)(inputs)`: batched dot product of two tensors."""
    return Dot(axes=axes, **kwargs)(inputs)
