"""Stateful transforms: gradients of functions that read Variables (what tf.GradientTape does).

    >>> model = kerasj.Sequential([kerasj.layers.Dense(1)])
    >>> def loss_fn(x, y):
    ...     return jnp.mean((model(x) - y) ** 2)
    >>> loss, grads = kerasj.value_and_grad(loss_fn, model.trainable_variables)(x, y)

`fn` may read any Variable; gradients are taken with respect to `variables`. Assignments `fn` makes to other
Variables (batch-norm statistics, seed state) are kept, eagerly and inside compiled code alike.
"""
import functools
import warnings

import jax
import numpy as np

from kerasj.variables import StateScope, Variable, abstract_eval, current_scope, fill_leaves, split_leaves


def _name(fn):
    return getattr(fn, "__qualname__", None) or type(fn).__name__


# What JAX raises when Python code needs the concrete value of an array that is being traced.
_TRACER_VALUE_ERRORS = (jax.errors.ConcretizationTypeError, jax.errors.TracerBoolConversionError,
                        jax.errors.TracerIntegerConversionError, jax.errors.TracerArrayConversionError)


class UntraceableFunctionError(TypeError):
    """A function given to `kerasj.function` needs concrete array values in Python, so it cannot compile."""


def _untraceable(fn, error):
    return UntraceableFunctionError(
        f"kerasj.function could not compile `{_name(fn)}`: it uses the value of an array in Python while the "
        "array is only a placeholder being traced (float(x), int(x), bool(x), `if x > 0:`, x.numpy(), "
        "np.asarray(x), x.item(), ...). To compile it: branch with ops.where / ops.cond (or jax.lax.cond), loop "
        "with ops.fori_loop / ops.while_loop, return values and convert them after the call instead of inside, "
        "or pass Python numbers as plain arguments (they are static). To run it as ordinary Python instead, use "
        "kerasj.function(fn, jit_compile=False). No Variable was changed by the failed call. JAX said: "
        f"{str(error).splitlines()[0]}")


def _is_layer(obj):
    # Duck-typed: layers sit above this module. A layer or model has its variables and a build state.
    return hasattr(obj, "trainable_variables") and hasattr(obj, "built") and hasattr(obj, "_clear_losses")


def _check_variables(variables, where):
    variables = list(variables)
    for v in variables:
        if not isinstance(v, Variable):
            raise TypeError(f"{where}: `variables` must be kerasj Variables (e.g. model.trainable_variables); "
                            f"received {type(v).__name__}.")
    return variables


def _restore_losses(layers_and_values):
    """Put the values of losses added during a traced call back on their layers (replacing tracers)."""
    by_layer = {}
    for layer, value in layers_and_values:
        by_layer.setdefault(id(layer), (layer, []))[1].append(value)
    for layer, values in by_layer.values():
        layer._losses = values


def _resolve_variables(variables, fn, args, kwargs):
    """`variables` may be a list, or a Layer/Model meaning its trainable variables — built first if needed
    (by evaluating `fn` abstractly), so a lazily built model can be differentiated on its first step."""
    if _is_layer(variables):
        if not variables.built or not variables.trainable_variables:
            abstract_eval(fn, *args, **kwargs)
            variables._clear_losses()
        variables = variables.trainable_variables
    variables = _check_variables(variables, "value_and_grad")
    if not variables:
        warnings.warn("value_and_grad: the list of variables to differentiate is empty (is the model built "
                      "yet? pass the model itself to build it on the first call).", stacklevel=3)
    return variables


def value_and_grad(fn, variables, has_aux=False):
    """Return a function computing `fn(*args, **kwargs)` and its gradients w.r.t. `variables`.

    Args:
        fn: a Python function returning a scalar (or `(scalar, aux)` with has_aux=True).
        variables: the Variables to differentiate with respect to — or a Layer/Model, meaning its
            trainable variables (a model not built yet is built on the first call, as tf.GradientTape allows).
        has_aux: whether fn returns `(value, aux)`.

    Returns:
        A function with fn's arguments returning `(value, grads)` or `((value, aux), grads)`;
        `grads` is a list in the order of `variables`.
    """
    if not _is_layer(variables):
        variables = _check_variables(variables, "value_and_grad")

    def wrapped(*args, **kwargs):
        diff_vars = _resolve_variables(variables, fn, args, kwargs)
        values = [v.value for v in diff_vars]
        # Which Variables fn writes and which layers add losses is only known after tracing: carry the
        # Python objects out through a cell and their values out as auxiliary outputs.
        cell = {}

        def traced(diff_values):
            with StateScope(zip(diff_vars, diff_values), record=True) as scope:
                out = fn(*args, **kwargs)
            cell["unread"] = [v for v in diff_vars if id(v) not in scope.read_ids]
            diff_ids = {id(v) for v in diff_vars}
            side = [(var, val) for var, val in scope.items() if id(var) not in diff_ids]
            if has_aux and not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"value_and_grad(has_aux=True): `{_name(fn)}` must return a pair (loss, aux); "
                                f"received {type(out).__name__}.")
            value, aux = out if has_aux else (out, None)
            if not hasattr(value, "shape") or getattr(value, "shape", None) != ():
                shape = getattr(value, "shape", None)
                raise TypeError(f"value_and_grad: `{_name(fn)}` must return a scalar loss to differentiate, but it "
                                f"returned {'shape ' + str(tuple(shape)) if shape is not None else repr(value)}. "
                                "Reduce it first (e.g. ops.mean or ops.sum), or return (loss, extras) with "
                                "has_aux=True.")
            cell["vars"] = [var for var, _ in side]
            cell["loss_layers"] = [layer for layer, _ in scope.added_losses]
            return value, (aux, [val for _, val in side], [val for _, val in scope.added_losses])

        (value, (aux, side_values, loss_values)), grads = jax.value_and_grad(traced, has_aux=True)(values)
        if cell.get("unread"):
            warnings.warn("Gradients do not exist for variables "
                          f"{[v.path for v in cell['unread']]} when minimizing the loss: the function never "
                          "reads them, so their gradients are zero.", stacklevel=2)
        for var, val in zip(cell.get("vars", []), side_values):
            var.assign(val)
        _restore_losses(zip(cell.get("loss_layers", []), loss_values))
        return ((value, aux), list(grads)) if has_aux else (value, list(grads))

    return wrapped


def grad(fn, variables, has_aux=False):
    """Like `value_and_grad` but returns only the gradients (and aux with has_aux=True)."""
    vg = value_and_grad(fn, variables, has_aux=has_aux)

    def wrapped(*args, **kwargs):
        out, grads = vg(*args, **kwargs)
        return (grads, out[1]) if has_aux else grads

    return wrapped



def _is_dynamic(x):
    return isinstance(x, (jax.Array, np.ndarray, np.generic)) and not isinstance(x, (str, bytes))


def _static_key(x):
    try:
        hash(x)
        return x
    except TypeError:
        return ("id", id(x))


class _Program:
    """The compiled form of one input signature: state Variables in, new values of written ones out."""

    def __init__(self, owner, treedef, leaves, dynamic, written, read_only):
        self.owner, self.treedef, self.leaves, self.dynamic = owner, treedef, leaves, dynamic
        self.written, self.read_only = list(written), list(read_only)
        self._jit()

    def _jit(self):
        donate = (0,) if jax.default_backend() != "cpu" else ()
        self.compiled = jax.jit(self._trace, donate_argnums=donate)
        self.out_written = None

    def _trace(self, written_values, read_values, dynamic_values):
        self.owner.trace_count += 1
        args, kwargs = fill_leaves(self.treedef, self.leaves, self.dynamic, dynamic_values)
        # Recording: Variables the trace writes or reads beyond the known state (see __call__).
        scope = StateScope(list(zip(self.written, written_values)) + list(zip(self.read_only, read_values)),
                           record=True)
        with scope:
            out = self.owner._fn(*args, **kwargs)
        known = {id(v) for v in self.written}
        # Variables this trace wrote but discovery did not see written (e.g. weights first updated on a later
        # call) still get their new values out; the next call recompiles with them as state.
        self.out_written = self.written + [var for k, var in scope.assigned.items() if k not in known]
        self.missed = list(scope.missed.values())
        self.loss_layers = [layer for layer, _ in scope.added_losses]
        out = jax.tree_util.tree_map(lambda x: x.value if isinstance(x, Variable) else x, out,
                                     is_leaf=lambda x: isinstance(x, Variable))
        losses = [value for _, value in scope.added_losses]
        return tuple(scope.get(v) for v in self.out_written), out, losses

    def __call__(self, dynamic_values):
        try:
            new_values, out, losses = self.compiled(tuple(v._value for v in self.written),
                                                    tuple(v._value for v in self.read_only), dynamic_values)
        except _TRACER_VALUE_ERRORS as e:
            raise _untraceable(self.owner._fn, e) from e
        for var, value in zip(self.out_written, new_values):
            var._set_value_unchecked(value)
        _restore_losses(zip(self.loss_layers, losses))
        if len(self.out_written) > len(self.written) or self.missed:
            written_ids = {id(v) for v in self.out_written}
            self.read_only = [v for v in _unique(self.read_only + self.missed) if id(v) not in written_ids]
            self.written = list(self.out_written)
            self._jit()
        return out


def _unique(variables):
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


class Function:
    """A stateful Python function compiled with jax.jit; see `kerasj.function`."""

    def __init__(self, fn, jit_compile=True):
        self._fn = fn
        self.jit_compile = jit_compile
        self._programs = {}
        self.trace_count = 0
        functools.update_wrapper(self, fn)

    def __get__(self, instance, owner):
        # Used as a method decorator: bind like a function would, keeping one cache per instance.
        if instance is None:
            return self
        key = f"__kerasj_function_{id(self)}"
        bound = instance.__dict__.get(key)
        if bound is None:
            bound = Function(self._fn.__get__(instance, owner), self.jit_compile)
            instance.__dict__[key] = bound
        return bound

    def __call__(self, *args, **kwargs):
        if not self.jit_compile or current_scope() is not None:
            # Inside another compiled step the function is simply part of that program.
            return self._fn(*args, **kwargs)
        treedef, leaves, dynamic = split_leaves((args, kwargs), _is_dynamic, is_leaf=lambda x: isinstance(x, Variable))
        dynamic_set = set(dynamic)
        key = (treedef,
               tuple((i, tuple(np.shape(leaves[i])), str(leaves[i].dtype)) for i in dynamic),
               tuple((i, _static_key(leaf)) for i, leaf in enumerate(leaves) if i not in dynamic_set))
        program = self._programs.get(key)
        dynamic_values = tuple(leaves[i] for i in dynamic)
        if program is None:
            # First call with this signature: find the Variables the function reads and writes (layers and
            # optimizers may create theirs now), by evaluating it abstractly under a recording scope — or, if
            # that is not possible (e.g. it needs concrete values), by running it eagerly once.
            scope, eager = StateScope(record=True), False
            try:
                def probe(*values):
                    a, k = fill_leaves(treedef, leaves, dynamic, values)
                    with scope:
                        self._fn(*a, **k)
                jax.eval_shape(probe, *dynamic_values)
                eager_out = None
            except _TRACER_VALUE_ERRORS as e:
                raise _untraceable(self._fn, e) from e
            except Exception:
                scope, eager = StateScope(record=True), True
                with scope:
                    eager_out = self._fn(*args, **kwargs)
                scope.commit()
            written = [var for var, _ in scope.items()]
            written_ids = {id(v) for v in written}
            read_only = [v for k, v in scope.missed.items() if k not in written_ids]
            program = self._programs[key] = _Program(self, treedef, leaves, dynamic, written, read_only)
            if eager:
                return eager_out
        return program(dynamic_values)


def function(fn=None, jit_compile=True, **kwargs):
    """Compile a Python function that reads and assigns Variables (what `@tf.function` does).

    The function may call models, compute gradients with `kerasj.value_and_grad`, apply an optimizer and
    update metrics; every Variable assignment it makes is written back after each call. Layers and
    optimizers that create their Variables lazily work: the first call with a new input signature runs
    eagerly and records the state, later calls with that signature run one compiled program.

        >>> @kerasj.function
        ... def train_step(x, y):
        ...     loss, grads = kerasj.value_and_grad(lambda: loss_fn(y, model(x, training=True)),
        ...                                         model.trainable_variables)()
        ...     optimizer.apply_gradients(zip(grads, model.trainable_variables))
        ...     return loss

    Arrays (numpy or jax) are traced; other arguments (Python numbers, strings, objects) are static, so a new
    value retraces, as with tf.function. `jit_compile=False` runs the function as plain Python.

    tf.function's other options (`input_signature`, `autograph`, `reduce_retracing`, `experimental_*`) have no
    JAX counterpart and raise a TypeError: JAX compiles once per input shape and dtype, and Python control flow
    on array values must be written with `ops.cond` / `ops.while_loop` (or `jit_compile=False`).
    """
    if kwargs:
        raise TypeError(f"kerasj.function: unsupported arguments {sorted(kwargs)}; only `jit_compile` is accepted "
                        "(tf.function's input_signature, autograph and reduce_retracing have no JAX counterpart: "
                        "JAX compiles once per input shape and dtype, and Python control flow on array values "
                        "needs ops.cond / ops.while_loop, or jit_compile=False).")
    if fn is None:
        return lambda f: Function(f, jit_compile=jit_compile)
    return Function(fn, jit_compile=jit_compile)
