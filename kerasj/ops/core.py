"""Core ops of `keras.ops`: tensor conversion, dtype/shape queries, control flow, scatter/slice updates.

Every op accepts kerasj Variables, numpy arrays, jax arrays and Python scalars, and is traceable by
`jax.jit` (control flow maps onto `jax.lax`).

    >>> from kerasj import ops
    >>> ops.fori_loop(0, 3, lambda i, x: x + i, 0)
    Array(3, dtype=int32, weak_type=True)
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kerasj.variables import Variable, standardize_dtype, to_device


def _value(x):
    """The array behind `x` (a Variable's current value, possibly a tracer inside a StateScope)."""
    return x.value if isinstance(x, Variable) else x


def _t(x):
    """`x` as a jax array; Variables give their current value."""
    x = _value(x)
    if isinstance(x, (list, tuple)):
        x = [_value(v) for v in x]
    return to_device(x)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """`x` (array-like, Variable) as a jax array, optionally cast to `dtype`.

        >>> convert_to_tensor([1, 2], dtype="float32")
        Array([1., 2.], dtype=float32)
    """
    x = _t(x)
    return x if dtype is None else x.astype(standardize_dtype(dtype))


def convert_to_numpy(x):
    """`x` as a numpy array (copies device data to the host).

        >>> convert_to_numpy(jnp.ones(2))
        array([1., 1.], dtype=float32)
    """
    return np.asarray(_value(x))


def is_tensor(x):
    """Whether `x` is a jax array (the backend's native tensor)."""
    return isinstance(x, jax.Array)


def cast(x, dtype):
    """`x` converted to `dtype`.

        >>> cast([1.7, -1.7], "int32")
        Array([ 1, -1], dtype=int32)
    """
    return _t(x).astype(standardize_dtype(dtype))


def saturate_cast(x, dtype):
    """`cast` that first clips `x` into the range representable by `dtype`."""
    dtype = standardize_dtype(dtype)
    x = _t(x)
    if jnp.issubdtype(jnp.dtype(dtype), jnp.integer):
        info = jnp.iinfo(dtype)
        x = jnp.clip(x, info.min, info.max)
    elif jnp.issubdtype(jnp.dtype(dtype), jnp.floating) and jnp.issubdtype(x.dtype, jnp.floating):
        info = jnp.finfo(dtype)
        x = jnp.clip(x, info.min, info.max)
    return x.astype(dtype)


def shape(x):
    """The static shape of `x` as a tuple of ints.

        >>> shape(jnp.zeros((2, 3)))
        (2, 3)
    """
    return tuple(_value(x).shape) if hasattr(_value(x), "shape") else tuple(np.shape(x))


def dtype(x):
    """The dtype name of `x` ("float32", "int32", ...)."""
    return standardize_dtype(_t(x).dtype)


def stop_gradient(variable):
    """`variable` with its gradient blocked.

        >>> jax.grad(lambda x: stop_gradient(x) * x)(2.0)
        Array(2., dtype=float32, weak_type=True)
    """
    return lax.stop_gradient(_value(variable))


def _as_arrays(tree):
    return jax.tree_util.tree_map(_value, tree, is_leaf=lambda v: isinstance(v, Variable))


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`, traceable (both branches must return the same structure).

        >>> cond(True, lambda: 1.0, lambda: 0.0)
        Array(1., dtype=float32, weak_type=True)
    """
    return lax.cond(_value(pred), true_fn, false_fn)


def switch(index, branches, *operands):
    """`branches[index](*operands)`, traceable; `index` is clamped into range."""
    return lax.switch(_value(index), branches, *_as_arrays(operands))


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Repeat `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`, at most `maximum_iterations` times.

    A tuple/list `loop_vars` is unpacked into `cond` and `body` and returned as a tuple; a single value is
    passed and returned as is.

        >>> while_loop(lambda i: i < 10, lambda i: i + 3, 0)
        Array(12, dtype=int32, weak_type=True)
    """
    is_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(_as_arrays(loop_vars)) if is_tuple else (_as_arrays(loop_vars),)

    def as_tuple(out):
        return tuple(out) if is_tuple else (out,)

    if maximum_iterations is None:
        out = lax.while_loop(lambda s: cond(*s), lambda s: as_tuple(body(*s)), state)
    else:
        def limited_cond(s):
            return jnp.logical_and(s[0] < maximum_iterations, cond(*s[1]))

        def limited_body(s):
            return s[0] + 1, as_tuple(body(*s[1]))

        out = lax.while_loop(limited_cond, limited_body, (jnp.asarray(0), state))[1]
    return tuple(out) if is_tuple else out[0]


def fori_loop(lower, upper, body_fun, init_val):
    """`init_val` updated by `body_fun(i, val)` for `i` in `range(lower, upper)`, traceable."""
    return lax.fori_loop(_value(lower), _value(upper), body_fun, _as_arrays(init_val))


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """`jax.lax.scan`: carry `init` through `f(carry, x) -> (carry, y)` over the leading axis of `xs`.

        >>> scan(lambda c, x: (c + x, c), 0.0, jnp.arange(3.0))[0]
        Array(3., dtype=float32)
    """
    return lax.scan(f, _as_arrays(init), _as_arrays(xs), length=length, reverse=reverse, unroll=unroll)


def associative_scan(f, elems, reverse=False, axis=0):
    """Parallel prefix scan of `elems` with the associative binary `f` (e.g. a cumulative sum)."""
    return lax.associative_scan(f, _as_arrays(elems), reverse=reverse, axis=axis)


def map(f, xs):
    """`f` applied to each slice of `xs` along its leading axis, results stacked (`jax.lax.map`)."""
    return lax.map(f, _as_arrays(xs))


def vectorized_map(function, elements):
    """`function` vectorised over the leading axis of `elements` (`jax.vmap`).

        >>> vectorized_map(lambda row: row.sum(), jnp.ones((3, 2)))
        Array([2., 2., 2.], dtype=float32)
    """
    return jax.vmap(function)(_as_arrays(elements))


def _index_tuple(indices):
    indices = _t(indices)
    if indices.ndim == 1:
        indices = indices[None, :]
    return tuple(jnp.moveaxis(indices, -1, 0))


def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (shape `(N, index_depth)`).

        >>> scatter([[0], [2]], [1.0, 5.0], (4,))
        Array([1., 0., 5., 0.], dtype=float32)
    """
    values = _t(values)
    return jnp.zeros(shape, values.dtype).at[_index_tuple(indices)].add(values)


def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with `updates` written at `indices` (shape `(N, index_depth)`); `reduction` ("add", "mul",
    "max", "min") combines with the existing values instead of overwriting.

        >>> scatter_update(jnp.zeros(3), [[1]], [7.0])
        Array([0., 7., 0.], dtype=float32)
    """
    inputs = _t(inputs)
    at = inputs.at[_index_tuple(indices)]
    updates = _t(updates).astype(inputs.dtype)
    methods = {None: "set", "add": "add", "mul": "multiply", "max": "max", "min": "min"}
    if reduction not in methods:
        raise ValueError(f"scatter_update: `reduction` must be one of {list(methods)}; received {reduction!r}.")
    return getattr(at, methods[reduction])(updates)


def slice(inputs, start_indices, shape):
    """The block of `inputs` of size `shape` starting at `start_indices` (`lax.dynamic_slice`).

        >>> slice(jnp.arange(5), [1], [2])
        Array([1, 2], dtype=int32)
    """
    inputs = _t(inputs)
    starts = [_value(s) for s in start_indices] if isinstance(start_indices, (list, tuple)) else _t(start_indices)
    return lax.dynamic_slice(inputs, starts, tuple(int(s) for s in shape))


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block starting at `start_indices` replaced by `updates`.

        >>> slice_update(jnp.zeros(4), [1], jnp.ones(2))
        Array([0., 1., 1., 0.], dtype=float32)
    """
    inputs = _t(inputs)
    starts = [_value(s) for s in start_indices] if isinstance(start_indices, (list, tuple)) else _t(start_indices)
    return lax.dynamic_update_slice(inputs, _t(updates).astype(inputs.dtype), starts)


def dynamic_update_slice(operand, update, start_indices):
    """`jax.lax.dynamic_update_slice` accepting Variables (alias of `slice_update` with lax's argument order)."""
    return slice_update(operand, start_indices, update)


def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis`, as a list.

        >>> len(unstack(jnp.zeros((3, 2))))
        3
    """
    x = _t(x)
    return [jnp.squeeze(part, axis) for part in jnp.split(x, x.shape[axis], axis=axis)]


def custom_gradient(f):
    """Decorator for a function returning `(output, grad_fn)`; `grad_fn(upstream)` returns the gradient(s)
    with respect to the function's positional arguments.

        >>> @custom_gradient
        ... def clip_grad(x):
        ...     return x, lambda upstream: jnp.clip(upstream, -1.0, 1.0)
    """
    @jax.custom_gradient
    def wrapped(*args):
        out, grad_fn = f(*args)

        def vjp(upstream):
            grads = grad_fn(upstream)
            return tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
        return out, vjp

    return wrapped


def jvp(fun, primals, tangents, has_aux=False):
    """`(fun(*primals), J @ tangents)`: forward-mode derivative of `fun` (`jax.jvp`); with `has_aux`, `fun`
    returns `(output, aux)` and the result is `(output, tangent_out, aux)`.

        >>> jvp(lambda x: x ** 2, (3.0,), (1.0,))[1]
        Array(6., dtype=float32, weak_type=True)
    """
    return jax.jvp(fun, tuple(_as_arrays(primals)), tuple(_as_arrays(tangents)), has_aux=has_aux)
