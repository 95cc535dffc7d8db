"""Variable and StateScope: the one bridge between stateful Keras objects and pure JAX.

Every piece of state in kerasj (layer weights, optimizer slots, metric accumulators, seed state) is a
`Variable`. Outside any scope a Variable behaves like a mutable array. Inside a `StateScope`, reads return
the scope's value for the Variable (often a tracer) and assignments are recorded in the scope instead of in
the Variable, so ordinary stateful Keras code can run inside `jax.jit`, `jax.grad` or `lax.scan`:

    >>> v = Variable(1.0)
    >>> def step(x):
    ...     with StateScope({v: x}) as scope:
    ...         v.assign(v * 2)
    ...         return scope.get(v)
    >>> float(jax.jit(step)(3.0))
    6.0
    >>> float(v.numpy())   # the Variable itself is untouched
    1.0

No other module knows how state is traced; they read `v.value` (or pass `v` to jax.numpy) and call `assign`.
"""
import contextlib
import operator as _op
import threading

import jax
import jax.numpy as jnp
from jax.experimental import multihost_utils
import numpy as np

from kerasj import config
from kerasj.utils.memory import check_allocation

try:  # no public spelling in jax 0.10; without it every Variable takes the (slower) always-right path below
    from jax._src.core import trace_state_clean as _trace_state_clean
except ImportError:  # pragma: no cover
    def _trace_state_clean():
        return False


def outside_traces():
    """True when no JAX trace is open (so a NumPy value put on the device stays concrete); False when unsure."""
    return _trace_state_clean()


def to_device(x):
    """`x` as a jax array. NumPy data outside traces goes to the device with `jax.device_put` (same dtype
    canonicalisation and a copy, like `jnp.asarray`): on jax 0.10 `jnp.asarray` of a NumPy array compiles a
    small program for every new shape (~30 ms on CPU), which eager code with varying shapes paid every time.

        >>> to_device(np.ones(2)).dtype
        dtype('float32')
    """
    if isinstance(x, (np.ndarray, np.generic)) and _trace_state_clean():
        return jax.device_put(x)
    return jnp.asarray(x)

_local = threading.local()
_name_local = threading.local()


def _scope_stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


# Bumped whenever Layers or Variables are created or re-attached, so cached variable lists (looked up on
# every fit/predict call) can tell that the model's structure may have changed.
_structure_version = [0]


def structure_version():
    return _structure_version[0]


def bump_structure_version():
    _structure_version[0] += 1


def current_scope():
    """The innermost active StateScope, or None."""
    stack = _scope_stack()
    return stack[-1] if stack else None


class StateScope:
    """Maps Variables to values for the duration of a `with` block.

    Reads of a Variable look in the innermost scope that holds it, then outward, then at the Variable
    itself. Assignments always go to the innermost scope. `values(variables)` returns the current value of
    each given Variable as seen from this scope, which is how a pure step collects its new state.

    Args:
        state: a dict `{Variable: value}` or an iterable of `(Variable, value)` pairs.
        record: also note what the block reads and writes: `read_ids` (ids of held Variables read), `missed`
            (`{id: Variable}` read but not held here: their value would be baked into a traced program as a
            constant), `assigned` (`{id: Variable}` written). `kerasj.function` discovers a function's state
            this way, and `value_and_grad` finds differentiated Variables the function never reads.

        >>> with StateScope({v: jnp.zeros(3)}) as scope:
        ...     v.assign_add(jnp.ones(3))
        ...     new = scope.values([v])     # [Array([1., 1., 1.])]; v itself is unchanged
    """

    def __init__(self, state=None, record=False):
        self._values = {}
        self._vars = {}
        self.added_losses = []  # (layer, value) from add_loss while this is the innermost scope
        self.record = record
        self.read_ids, self.missed, self.assigned = set(), {}, {}
        if state is not None:
            items = state.items() if isinstance(state, dict) else state
            for var, value in items:
                self._values[id(var)] = value
                self._vars[id(var)] = var

    def __enter__(self):
        _scope_stack().append(self)
        return self

    def __exit__(self, *exc):
        stack = _scope_stack()
        if not stack or stack[-1] is not self:
            raise RuntimeError("StateScope exited out of order.")
        stack.pop()
        return False

    def __contains__(self, var):
        return id(var) in self._values

    def get(self, var):
        """The value of `var` as seen from inside this scope."""
        key = id(var)
        if key in self._values:
            if self.record:
                self.read_ids.add(key)
            return self._values[key]
        if self.record:
            self.missed.setdefault(key, var)
        stack = _scope_stack()
        if self in stack:
            for scope in reversed(stack[: stack.index(self)]):
                if id(var) in scope._values:
                    return scope.get(var)
        return var._value

    def set(self, var, value):
        if self.record:
            self.assigned.setdefault(id(var), var)
        self._values[id(var)] = value
        self._vars[id(var)] = var

    def note_loss(self, layer, value):
        self.added_losses.append((layer, value))

    def values(self, variables):
        """Current values of `variables`, as a list in the same order."""
        return [self.get(v) for v in variables]

    def items(self):
        """(Variable, value) for every Variable this scope holds, in insertion order."""
        return [(self._vars[k], v) for k, v in self._values.items()]

    def commit(self):
        """Assign every value this scope holds to its Variable (after an eager run under the scope)."""
        for var, value in self.items():
            var.assign(value)


def pure(fn, variables):
    """`fn`, stateful Keras code that reads and assigns `variables`, as a pure function
    `(values, *args, **kwargs) -> (new_values, out)` that jax.jit, grad and scan accept: the Variables are
    mapped to `values` for the call and left untouched.

        >>> step = pure(lambda x: model(x, training=True), model.variables)
        >>> new_values, y = jax.jit(step)([v.value for v in model.variables], x)
    """
    variables = list(variables)

    def run(values, *args, **kwargs):
        with StateScope(zip(variables, values)) as scope:
            out = fn(*args, **kwargs)
            return scope.values(variables), out

    return run


def abstract_eval(fn, *args, **kwargs):
    """The shapes and dtypes (`jax.ShapeDtypeStruct`s) of what `fn(*args, **kwargs)` returns, found by tracing
    it (`jax.eval_shape`) in a throwaway scope: no Variable changes, while Variables the call creates (layers
    built lazily) get their concrete initial values.

        >>> abstract_eval(model, jax.ShapeDtypeStruct((8, 784), "float32")).shape
        (8, 10)
    """
    def run(*a, **k):
        with StateScope():
            return fn(*a, **k)

    return jax.eval_shape(run, *args, **kwargs)


def split_leaves(tree, is_dynamic, is_leaf=None):
    """`(treedef, leaves, dynamic)`: `tree` flattened, and the indices of the leaves `is_dynamic` picks (the
    ones a traced function receives as arguments; the others stay static)."""
    leaves, treedef = jax.tree_util.tree_flatten(tree, is_leaf=is_leaf)
    return treedef, leaves, [i for i, leaf in enumerate(leaves) if is_dynamic(leaf)]


def fill_leaves(treedef, leaves, dynamic, values):
    """The tree of `split_leaves` with the leaves at indices `dynamic` replaced by `values` (e.g. tracers)."""
    filled = list(leaves)
    for i, value in zip(dynamic, values):
        filled[i] = value
    return jax.tree_util.tree_unflatten(treedef, filled)


def _is_tracer(x):
    return isinstance(x, jax.core.Tracer)


def standardize_dtype(dtype):
    """A dtype name string ("float32") from any dtype-like; None gives floatx()."""
    if dtype is None:
        return config.floatx()
    # Python types name JAX's default widths, as in Keras on JAX. (The type check first: numpy dtypes compare
    # equal to Python types, np.dtype("int64") == int.)
    if isinstance(dtype, type) and dtype in (float, int, bool, str, bytes):
        return {float: "float32", int: "int32", bool: "bool", str: "string", bytes: "string"}[dtype]
    # Strings are Keras's "string" dtype (text preprocessing inputs), whatever spells them: numpy's unicode,
    # bytes and object arrays, or TensorFlow's tf.string.
    if getattr(dtype, "kind", None) in ("U", "S", "O") or getattr(dtype, "name", None) == "string":
        return "string"
    if hasattr(dtype, "name") and not isinstance(dtype, str) and hasattr(dtype, "itemsize"):
        return dtype.name
    if hasattr(dtype, "as_numpy_dtype"):  # a TensorFlow DType (tf.float32), named as numpy names it
        return dtype.name
    if isinstance(dtype, str):
        if dtype in ("float", "double", "string", "str"):
            return {"float": "float32", "double": "float64", "string": "string", "str": "string"}[dtype]
        return jnp.dtype(dtype).name
    return jnp.dtype(dtype).name


def _name_stack():
    stack = getattr(_name_local, "stack", None)
    if stack is None:
        stack = _name_local.stack = []
    return stack


class name_scope:
    """Prefix for the `path` of Variables created inside it (layers open one while they build)."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        _name_stack().append(self.name)
        return self

    def __exit__(self, *exc):
        _name_stack().pop()
        return False


def current_path():
    return "/".join(_name_stack())


class Variable:
    """A named, mutable array; the unit of state in kerasj.

    Args:
        initializer: an array-like initial value, or a callable `(shape, dtype) -> array`
            (e.g. an initializer from `kerasj.initializers`) used with `shape`.
        shape: required when `initializer` is a callable.
        dtype: defaults to the value's dtype for arrays, floatx() otherwise.
        trainable: whether optimizers should update it.
        name: the last part of `path`.

    Example:
        >>> v = Variable(jnp.zeros(3), name="bias")
        >>> v.assign_add(jnp.ones(3))
        >>> jnp.sum(v)   # usable directly in jax.numpy
        Array(3., dtype=float32)
    """

    _layout = None  # a distribution's TensorLayout for this variable (set by its layout hook), kept by `assign`

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, constraint=None, **kwargs):
        if kwargs:
            raise TypeError(f"Variable got unexpected keyword arguments: {sorted(kwargs)}")
        name = name or "variable"
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Variable name must be a string without '/'; received name={name!r}")
        self.name = name
        parent = current_path()
        self.path = f"{parent}/{name}" if parent else name
        self.trainable = bool(trainable)
        self.autocast = autocast
        self.aggregation = aggregation
        self.synchronization = synchronization
        self.constraint = constraint
        # Initial values are computed eagerly even when a layer is first built inside a traced function,
        # so no tracer ever becomes a Variable's stored value. Outside a trace that context is left out: under
        # it jax misses its compilation caches (a model of 80 convolutions compiled ~100 small programs).
        with jax.ensure_compile_time_eval() if not _trace_state_clean() else contextlib.nullcontext():
            if callable(initializer) and not hasattr(initializer, "__array__") and not isinstance(
                    initializer, Variable):
                if shape is None:
                    raise ValueError(f"Variable '{name}': `shape` is required when the initializer is a callable.")
                self._dtype = standardize_dtype(dtype)
                check_allocation(shape, self._dtype, f"Variable '{name}'")
                value = _initial_value(self, initializer, tuple(shape), self._dtype)
            else:
                if isinstance(initializer, Variable):
                    initializer = initializer.value
                if dtype is None:
                    arr = jnp.asarray(initializer)
                    if jnp.issubdtype(arr.dtype, jnp.floating) and not hasattr(initializer, "dtype"):
                        arr = arr.astype(config.floatx())
                    self._dtype = arr.dtype.name
                else:
                    self._dtype = standardize_dtype(dtype)
                value = initializer
            if isinstance(value, np.ndarray):  # jnp.asarray would compile a copy program per new shape
                value = jax.device_put(np.asarray(value, dtype=jnp.dtype(self._dtype)))
            else:
                value = jnp.asarray(value, dtype=self._dtype)
        if _is_tracer(value):
            raise ValueError(f"Variable '{name}' cannot be initialized from a traced value; "
                             "create it outside jitted code or from a concrete array.")
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(f"Variable '{name}': initial value has shape {tuple(value.shape)}, "
                             f"expected shape {tuple(shape)}.")
        # Under a distribution, the value goes where the variable's layout puts it.
        if _layout_hook is not None:
            value = _layout_hook.place(self, value)
        self._value = value
        bump_structure_version()

    # -- reading -------------------------------------------------------------------------------
    @property
    def value(self):
        # Inside a layer call with another compute dtype (mixed precision), float variables read cast.
        if _autocast_open[0] and _autocast.dtype is not None and self.autocast:  # one list read when none is open
            return _autocast_read(self, _autocast.dtype)
        scope = current_scope()
        if scope is not None:
            return scope.get(self)
        return self._value

    @property
    def shape(self):
        return tuple(self._value.shape)

    @property
    def dtype(self):
        # As in Keras, inside an autocast scope a float variable reports the dtype it reads as.
        if _autocast_open[0] and _autocast.dtype is not None and self.autocast and "float" in self._dtype:
            return standardize_dtype(_autocast.dtype)
        return self._dtype

    @property
    def ndim(self):
        return len(self.shape)

    def numpy(self):
        value = self.value
        if _is_tracer(value):
            raise ValueError(f"Variable '{self.path}' holds a traced value here; numpy() works only "
                             "outside compiled code.")
        if isinstance(value, jax.Array) and not value.is_fully_addressable and not value.is_fully_replicated:
            # Split across processes (a multi-process ModelParallel): every process gathers the whole value.
            return np.asarray(multihost_utils.process_allgather(value, tiled=True))
        return np.asarray(value)

    def __jax_array__(self):
        return self.value

    def __array__(self, dtype=None, copy=None):
        out = self.numpy()
        return out.astype(dtype) if dtype is not None else out

    # -- writing -------------------------------------------------------------------------------
    def _convert(self, value):
        if isinstance(value, Variable):
            value = value.value
        layout = self._layout
        if layout is not None and isinstance(value, np.ndarray) and value.shape == self.shape:
            # From the host straight to each device's shards: the whole array never sits on one device.
            value = jax.device_put(np.asarray(value, dtype=jnp.dtype(self._dtype)), _sharding_of(layout))
        value = jnp.asarray(value, dtype=self._dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(f"Cannot assign a value of shape {tuple(value.shape)} to variable "
                             f"'{self.path}' of shape {self.shape}.")
        if layout is not None and not _is_tracer(value):
            # Loading or `set_weights` under a distribution keeps each weight where its layout says.
            sharding = _sharding_of(layout)
            if not value.sharding.is_equivalent_to(sharding, value.ndim):
                value = jax.device_put(value, sharding)
        return value

    def assign(self, value):
        value = self._convert(value)
        scope = current_scope()
        if scope is not None:
            scope.set(self, value)
        else:
            if _is_tracer(value):
                raise ValueError(
                    f"Assigning a traced value to variable '{self.path}' outside a StateScope would leak the "
                    "tracer. Wrap the function in kerasj.function (stateful jit) instead of jax.jit.")
            self._value = value
        return value

    def assign_add(self, value):
        return self.assign(self.value + (value.value if isinstance(value, Variable) else value))

    def assign_sub(self, value):
        return self.assign(self.value - (value.value if isinstance(value, Variable) else value))

    def _set_value_unchecked(self, value):
        """Reference swap after a compiled step: the value already has the right shape and dtype."""
        self._value = value

    # -- python protocol ---------------------------------------------------------------------------
    def __repr__(self):
        try:
            shown = np.asarray(self._value)
        except Exception:  # a tracer, or a deleted (donated) buffer
            shown = "<traced>"
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={shown}>"

    __hash__ = object.__hash__  # __eq__ (set below) is elementwise, as in Keras; identity keeps it hashable

    def __len__(self):
        return self.shape[0]

    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __getitem__(self, idx):
        return self.value[idx]

    def __iter__(self):
        return iter(self.value)

    def astype(self, dtype):
        return self.value.astype(dtype)

    @property
    def T(self):
        return self.value.T


def _unwrap(x):
    return x.value if isinstance(x, Variable) else x


def _binary(op, reflected=False):
    if reflected:
        return lambda self, other: op(_unwrap(other), self.value)
    return lambda self, other: op(self.value, _unwrap(other))


for _name, _fn in [("add", _op.add), ("sub", _op.sub), ("mul", _op.mul), ("truediv", _op.truediv),
                   ("floordiv", _op.floordiv), ("mod", _op.mod), ("pow", _op.pow), ("matmul", _op.matmul),
                   ("and", _op.and_), ("or", _op.or_), ("xor", _op.xor)]:
    setattr(Variable, f"__{_name}__", _binary(_fn))
    setattr(Variable, f"__r{_name}__", _binary(_fn, reflected=True))
for _name, _fn in [("lt", _op.lt), ("le", _op.le), ("gt", _op.gt), ("ge", _op.ge), ("eq", _op.eq),
                   ("ne", _op.ne)]:
    setattr(Variable, f"__{_name}__", _binary(_fn))
for _name, _fn in [("neg", _op.neg), ("pos", _op.pos), ("abs", _op.abs), ("invert", _op.invert)]:
    setattr(Variable, f"__{_name}__", (lambda f: lambda self: f(self.value))(_fn))

# A Variable flattens to its current value, so jax.numpy functions, jax.jit and jax.grad accept it
# directly; unflattening yields a plain array (grads with respect to a Variable are arrays).
jax.tree_util.register_pytree_node(Variable, lambda v: ((v.value,), None), lambda _, children: children[0])


# -- layouts (kerasj.distribution) ------------------------------------------------------------------------
# kerasj.distribution sits above this floor, so it reaches new Variables through a hook it installs when
# imported: an object with `initialize(variable, initializer, shape, dtype)` (the initial value, created
# directly with the variable's layout; None when the variable has none) and `place(variable, value)` (the value
# put per the variable's layout). It sets `variable._layout` (a `TensorLayout`, or None), which `assign` keeps.
_layout_hook = None


def _sharding_of(layout):
    return getattr(layout, "backend_layout", layout)  # a TensorLayout, or a jax Sharding as it is


def set_layout_hook(hook):
    """Install (or with None remove) the hook that lays out new Variables (see above)."""
    global _layout_hook
    _layout_hook = hook


def _initial_value(variable, initializer, shape, dtype):
    if _layout_hook is not None:
        value = _layout_hook.initialize(variable, initializer, shape, dtype)
        if value is not None:
            return value
    return initializer(shape, dtype)




def relayout_outputs(outputs):
    """A layer's `outputs` with the layout the current distribution gives `<current path>/output` (its
    `get_tensor_layout`, as Keras asks for each layer's outputs); unchanged without one. Layers call it inside
    their own name scope."""
    if _layout_hook is None or not _layout_hook.active():  # every layer call asks: no path built without one
        return outputs
    return _layout_hook.relayout(current_path() + "/output", outputs)


# -- autocasting (mixed precision) ------------------------------------------------------------------------
class _AutocastState(threading.local):
    dtype = None  # the float dtype autocast variables read as; None: reads are not cast
    active = False  # inside an AutocastScope, even one that turned casting off


_autocast = _AutocastState()
# AutocastScopes open in any thread: while there are none, reads skip the (slower) thread-local test.
_autocast_open = [0]
_autocast_lock = threading.Lock()


def _autocast_read(variable, dtype):
    scope = current_scope()
    value = scope.get(variable) if scope is not None else variable._value
    if value.dtype != dtype and jnp.issubdtype(value.dtype, jnp.floating):
        return value.astype(dtype)
    return value


class AutocastScope:
    """Inside it, float Variables created with `autocast=True` read as `dtype` (None: as they are stored). Layers
    open one around `call` when their compute dtype differs from their variable dtype (mixed precision), as
    Keras's AutocastScope does; assignments still store the variable's own dtype.

        >>> v = Variable(jnp.ones(2))
        >>> with AutocastScope("bfloat16"):
        ...     v.value.dtype
        dtype(bfloat16)
    """

    def __init__(self, dtype):
        if dtype is not None:
            dtype = standardize_dtype(dtype)
            if not jnp.issubdtype(jnp.dtype(dtype), jnp.floating):
                raise ValueError(f"AutocastScope: expected a floating-point dtype such as 'float16'; received "
                                 f"dtype={dtype!r}")
        self.dtype = dtype
        self._outer = None

    def __enter__(self):
        self._outer = (_autocast.dtype, _autocast.active)
        with _autocast_lock:
            _autocast_open[0] += 1
        _autocast.dtype, _autocast.active = self.dtype, True
        return self

    def __exit__(self, *exc):
        _autocast.dtype, _autocast.active = self._outer
        with _autocast_lock:
            _autocast_open[0] -= 1
        return False


def autocast_state():
    """`(active, dtype)`: whether an AutocastScope is open, and the dtype it casts to (None: no casting)."""
    return _autocast.active, _autocast.dtype
