"""The Layer base class: weights, lazy build, call, losses, tracking of sub-layers and Variables.

    >>> class Linear(kerasj.layers.Layer):
    ...     def __init__(self, units=32, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.units = units
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
    ...         self.b = self.add_weight(shape=(self.units,), initializer="zeros")
    ...     def call(self, inputs):
    ...         return jnp.matmul(inputs, self.w) + self.b
    >>> Linear(4)(jnp.ones((2, 3))).shape
    (2, 4)
"""
import inspect
import threading
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import constraints, dtype_policies, initializers, regularizers
from kerasj.dtype_policies import DTypePolicyMap
from kerasj.dtype_policies.dtype_policy import is_float_dtype
from kerasj.layers.input_spec import assert_input_compatibility
from kerasj.layers import host_call, tf_data_bridge
from kerasj.layers.tf_data_bridge import has_tf_tensors
from kerasj.masks import masks_of, set_masks
from kerasj.ops.operation import Operation
from kerasj.ops.symbolic import KerasTensor, Node, compute_output_spec
from kerasj.random import SeedGenerator
from kerasj.remat import get_current_remat_mode, rematerialized_call
from kerasj.utils.memory import check_allocation
from kerasj.variables import (AutocastScope, Variable, _name_stack, autocast_state, bump_structure_version,
                              current_scope, name_scope, relayout_outputs, standardize_dtype, structure_version,
                              to_device)

_call_local = threading.local()


def _call_stack():
    stack = getattr(_call_local, "stack", None)
    if stack is None:
        stack = _call_local.stack = []
    return stack


def in_call_context():
    """True while a layer's call is running (used to tell a top-level call from a nested one)."""
    return bool(_call_stack())


# Bumped when a built layer's public attribute (or dtype policy) changes outside any call: a compiled forward
# (kerasj.models.functional.CompiledInference) traced before may no longer match what an eager call computes.
_forward_version = [0]


def forward_version():
    return _forward_version[0]


def _context_training():
    stack = _call_stack()
    return stack[-1] if stack else None


class Layer(Operation):
    """Base class of all layers and models (Keras 3 API): an Operation with weights, a lazy `build`, masks,
    losses and a config.

    Args:
        trainable: whether the layer's weights are updated by training.
        dtype: a dtype policy: a `DTypePolicy`, its name ("float32", "mixed_bfloat16") or a dtype; None: the
            global policy (`kerasj.config.dtype_policy()`).
        name: unique name; defaults to the snake-cased class name made unique ("dense", "dense_1").
        activity_regularizer: optional function of the outputs, added to `losses` at each call.
    """

    # Attributes that hold bookkeeping, never tracked as children.
    _UNTRACKED = frozenset({"_inbound_nodes", "_losses", "_own_variables", "_regularized",
                            "_build_shapes", "input_spec", "_call_signature", "_collect_cache",
                            "_children_cache", "_call_sig_cache", "_checked_signatures", "_programs",
                            "_batch_input_shape", "_y_pred_struct", "_compile_args", "_compiled_inference"})
    # Public attributes that do not change what `call` computes (the trainer's, on models): setting them keeps
    # compiled forwards.
    _FORWARD_NEUTRAL = frozenset()
    # TensorFlow's AutoGraph rewrites the Python code a `tf.data` map function calls, which breaks kerasj's
    # JAX code (tf_data_bridge runs layers there through tf.numpy_function instead). AutoGraph leaves alone
    # any callable carrying this attribute, as it does its own artifacts.
    autograph_info__ = {}
    # False for layers whose call runs on the host in numpy (string lookups): they cannot be traced by jit.
    supports_jit = True

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None,
                 **kwargs):
        allowed = {"input_shape", "input_dim", "batch_input_shape", "batch_size"}
        unknown = set(kwargs) - allowed
        if unknown:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments {sorted(unknown)}")
        object.__setattr__(self, "_own_variables", [])
        bump_structure_version()
        self._losses = []
        self._regularized = []  # (variable, regularizer) pairs from add_weight
        self._trainable = bool(trainable)
        self._remat_mode = get_current_remat_mode()  # as in Keras, the RematScope a layer is created in
        self.built = False
        self.input_spec = None
        # As in Keras, a layer that defines compute_mask supports masking unless it says otherwise.
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        self.autocast = autocast
        self._dtype_policy = dtype_policies.get(dtype)
        super().__init__(name=name)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        # tf.keras-style shape hints on the first layer of a Sequential model.
        input_shape = kwargs.get("input_shape")
        if kwargs.get("input_dim") is not None and input_shape is None:
            input_shape = (kwargs["input_dim"],)
        batch_shape = kwargs.get("batch_input_shape")
        if batch_shape is None and input_shape is not None:
            batch_shape = (kwargs.get("batch_size"),) + tuple(input_shape)
        self._batch_input_shape = tuple(batch_shape) if batch_shape is not None else None

    # -- attribute tracking ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if name not in self._UNTRACKED and isinstance(value, (Layer, Variable, SeedGenerator, list, tuple, dict)):
            bump_structure_version()
        if (name[0] != "_" and name not in self._FORWARD_NEUTRAL and self.__dict__.get("built")
                and not _call_stack()):
            _forward_version[0] += 1
        if isinstance(value, Variable) and "_own_variables" in self.__dict__ and name not in self._UNTRACKED:
            if not any(v is value for v in self._own_variables):
                self._own_variables.append(value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        value = self.__dict__.get(name)
        if isinstance(value, Variable):
            self._own_variables[:] = [v for v in self._own_variables if v is not value]
        object.__delattr__(self, name)

    def _tracked_children(self):
        """Sub-layers and seed generators reachable from attributes (also inside lists, tuples and dicts),
        in attribute order. Cached until the structure version changes (any Layer or Variable created or
        attached), so lists filled after assignment with newly made layers are seen."""
        cache = self.__dict__.get("_children_cache")
        version = structure_version()
        if cache is not None and cache[0] == version:
            return cache[1]
        found = self._find_children()
        self.__dict__["_children_cache"] = (version, found)
        return found

    def _find_children(self):
        found, seen = [], set()

        def visit(value, depth=0):
            if depth > 4:
                return
            if isinstance(value, (Layer, SeedGenerator)):
                if id(value) not in seen and value is not self:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    visit(item, depth + 1)
            elif isinstance(value, dict):
                for item in value.values():
                    visit(item, depth + 1)

        for key, value in self.__dict__.items():
            if key in self._UNTRACKED or key == "_tracker_exclude":
                continue
            visit(value)
        return found

    def _flatten_layers(self, include_self=True, recursive=True):
        """This layer and all layers under it, depth-first in tracking order, each once."""
        out, seen = [], set()

        def walk(layer):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            out.append(layer)
            if recursive:
                for child in layer._layers:
                    walk(child)

        if include_self:
            walk(self)
        else:
            seen.add(id(self))
            for child in self._layers:
                walk(child)
        return out

    @property
    def _layers(self):
        return [c for c in self._tracked_children() if isinstance(c, Layer)]

    @property
    def _seed_generators(self):
        return [c for c in self._tracked_children() if isinstance(c, SeedGenerator)]

    # -- weights ------------------------------------------------------------------------------------
    def _collect(self, with_state):
        cache = self.__dict__.get("_collect_cache")
        version = structure_version()
        if cache is not None and cache[0] == version and with_state in cache[1]:
            return list(cache[1][with_state])
        if cache is None or cache[0] != version:
            cache = (version, {})
            self.__dict__["_collect_cache"] = cache
        out = self._collect_uncached(with_state)
        cache[1][with_state] = out
        return list(out)

    def _collect_uncached(self, with_state):
        out, seen = [], set()

        def add(v):
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)

        # Keras orders a layer's weights by whether they were created trainable, not by their current flag,
        # so freezing a layer does not reorder get_weights().
        own = self._own_variables
        created = [getattr(v, "_created_trainable", v.trainable) for v in own]
        for v in [v for v, c in zip(own, created) if c] + [v for v, c in zip(own, created) if not c]:
            add(v)
        if with_state:
            for gen in self._seed_generators:
                add(gen.state)
            for v in self._extra_state_variables():
                add(v)
        for layer in self._layers:
            for v in layer._collect(with_state):
                add(v)
        return out

    def _extra_state_variables(self):
        """Variables that are state but not weights (e.g. a stateful RNN's carried states): left out of
        `weights` as in Keras, but part of `variables`, so compiled steps carry and update them."""
        return []

    @property
    def weights(self):
        """All weights (trainable first within each layer, then sub-layers), in Keras's order."""
        return self._collect(with_state=False)

    @property
    def trainable_weights(self):
        return [v for v in self.weights if v.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [v for v in self.weights if not v.trainable] if self.trainable else self.weights

    @property
    def variables(self):
        """All state: weights plus non-weight state such as seed-generator state."""
        return self._collect(with_state=True)

    @property
    def trainable_variables(self):
        return [v for v in self.variables if v.trainable] if self.trainable else []

    @property
    def non_trainable_variables(self):
        return [v for v in self.variables if not v.trainable] if self.trainable else self.variables

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # As in Keras, freezing flips the flag of every weight that was created trainable, recursively;
        # weights created non-trainable (moving statistics) stay non-trainable when unfrozen.
        value = bool(value)
        self._trainable = value
        bump_structure_version()
        for v in self._own_variables:
            if getattr(v, "_created_trainable", v.trainable):
                v._created_trainable = True
                v.trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def dtype(self):
        """The dtype of the layer's weights (`variable_dtype`)."""
        return self._own_policy().variable_dtype

    @property
    def variable_dtype(self):
        """The dtype the layer creates its weights in ("float32" under "mixed_bfloat16")."""
        return self._own_policy().variable_dtype

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs ("bfloat16" under "mixed_bfloat16")."""
        return self._own_policy().compute_dtype

    @property
    def input_dtype(self):
        """The dtype float inputs are cast to before `call`: the compute dtype (a subclass may answer None to
        keep them as they come)."""
        return self.compute_dtype

    @property
    def quantization_mode(self):
        """The quantization mode of the layer's policy ("int8", ...), None when it is not quantized."""
        return self._own_policy().quantization_mode

    @property
    def dtype_policy(self):
        """The layer's `DTypePolicy` (or the `DTypePolicyMap` it was given).

            >>> kerasj.layers.Dense(2, dtype="mixed_float16").dtype_policy
            <DTypePolicy "mixed_float16">
        """
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        policy = dtype_policies.get(value)
        _forward_version[0] += 1
        path = getattr(self, "path", None)
        if isinstance(self._dtype_policy, DTypePolicyMap) and path:
            if path in self._dtype_policy:
                del self._dtype_policy[path]
            self._dtype_policy[path] = policy
        else:
            self._dtype_policy = policy

    @property
    def _dtype_policy_name(self):
        return self._own_policy().name

    def _own_policy(self):
        """The policy that applies to this layer: its own, or its path's entry in a DTypePolicyMap."""
        policy = self._dtype_policy
        if isinstance(policy, DTypePolicyMap):
            path = getattr(self, "path", None)
            if path:
                return policy[path]
        return policy

    def _autocast_scope(self):
        """The AutocastScope this layer's call runs in, or None to stay in the enclosing one. As in Keras: a
        mixed layer casts its float weights to its compute dtype; inside a casting parent, a layer that does
        not autocast (or computes in a non-float dtype) turns casting off and one with another compute dtype
        casts to its own."""
        active, current = autocast_state()
        compute = self.compute_dtype
        if active:
            if not self.autocast or not is_float_dtype(compute):
                return AutocastScope(None) if current is not None else None
            return AutocastScope(compute) if current != compute else None
        if compute != self.variable_dtype and is_float_dtype(compute):
            return AutocastScope(compute)
        return None

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", name=None):
        """Create a weight Variable tracked by this layer.

        `initializer` defaults to "glorot_uniform" for float weights and "zeros" otherwise, as in Keras.
        """
        shape = () if shape is None else tuple(shape)
        dtype = standardize_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if jnp.issubdtype(jnp.dtype(dtype), jnp.floating) else "zeros"
        init = initializers.get(initializer)
        check_allocation(shape, dtype, f"Layer '{self.name}': weight '{name or 'variable'}'")
        with name_scope(self.name) if not self._inside_own_scope() else _null_scope():
            variable = Variable(init, shape=shape, dtype=dtype, trainable=trainable, autocast=autocast,
                                aggregation=aggregation, name=name or "variable",
                                constraint=constraints.get(constraint))
        variable._created_trainable = bool(trainable)
        self._own_variables.append(variable)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularized.append((variable, regularizer))
        return variable

    def add_variable(self, *args, **kwargs):
        """Alias of add_weight (Keras 3 name)."""
        return self.add_weight(*args, **kwargs)

    def _inside_own_scope(self):
        stack = _name_stack()
        return bool(stack) and stack[-1] == self.name

    def get_weights(self):
        """Weights as a list of numpy arrays, in the order of `weights`."""
        return [np.asarray(v.numpy()) for v in self.weights]

    def set_weights(self, weights):
        """Set weights from a list of arrays in the order and shapes of `get_weights()`."""
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(f"Layer '{self.name}' expects {len(params)} weight arrays, but set_weights received "
                             f"{len(weights)}. Expected shapes: {[v.shape for v in params]}")
        converted = []
        for var, value in zip(params, weights):
            value = np.asarray(value)
            if tuple(value.shape) != var.shape:
                raise ValueError(f"Layer '{self.name}': weight '{var.path}' has shape {var.shape}, but "
                                 f"set_weights received an array of shape {tuple(value.shape)}.")
            converted.append(value)
        for var, value in zip(params, converted):
            var.assign(value)

    def count_params(self):
        """Total number of scalars in the layer's weights."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                             "built. You can build it manually via: `layer.build(input_shape)`.")
        return int(sum(np.prod(v.shape) for v in self.weights))

    # -- losses -------------------------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar (or tensor, summed) loss from inside `call`; collected in `losses`."""
        self._losses.append(loss)
        scope = current_scope()
        if scope is not None:
            scope.note_loss(self, loss)  # lets transforms hand back concrete values after tracing

    @property
    def losses(self):
        """Losses added during the last top-level call, plus weight-regularization losses."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._losses)
            for var, reg in layer._regularized:
                out.append(reg(var.value))
        return out

    def _clear_losses(self):
        for layer in self._flatten_layers():
            layer._losses = []

    # -- build and call -----------------------------------------------------------------------------
    def build(self, input_shape):
        """Create weights for inputs of `input_shape`. Called once, lazily, before the first `call`."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    @property
    def _call_signature(self):
        sig = self.__dict__.get("_call_sig_cache")
        if sig is None:
            sig = inspect.signature(self.call)
            object.__setattr__(self, "_call_sig_cache", sig)
        return sig

    def _call_accepts(self, name):
        params = self._call_signature.parameters
        return name in params or any(p.kind == p.VAR_KEYWORD for p in params.values())

    def _shape_arguments(self, method, args, kwargs):
        """The shapes Keras passes to `build` / `compute_output_shape` (`method`) for a call on `args, kwargs`:
        none to a method without parameters (`build(self)`), the first input's shape to a method with one,
        whatever its name, and to `build(self, query_shape, value_shape)` the shape of each call argument
        named before `_shape`. Returns `(shape_args, shape_kwargs)`."""
        def shapes(x):
            return jax.tree_util.tree_map(_shape_of, x, is_leaf=lambda t: isinstance(t, KerasTensor))

        params = inspect.signature(method).parameters.values()
        names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if len(names) > 1 and all(n.endswith("_shape") for n in names):
            bound = self._call_signature.bind_partial(*args, **kwargs).arguments
            return (), {n: shapes(bound[n[:-6]]) for n in names if n[:-6] in bound}
        if not names and not any(p.kind == p.VAR_POSITIONAL for p in params):
            return (), {}
        return (shapes(self._first_input(args, kwargs)),), {}

    def _build_from_args(self, args, kwargs):
        """Build with shapes taken from the call's arguments, as Keras does (see `_shape_arguments`)."""
        shape_args, shape_kwargs = self._shape_arguments(self.build, args, kwargs)
        self._build_with(lambda: self.build(*shape_args, **shape_kwargs))
        if not shape_args:
            object.__setattr__(self, "_build_shapes_dict", shape_kwargs)
        self._build_shapes = jax.tree_util.tree_map(_shape_of, self._first_input(args, kwargs),
                                                    is_leaf=lambda t: isinstance(t, KerasTensor))

    def get_build_config(self):
        """The input shapes this layer was built for (`{"input_shape": ...}`, or `{"shapes_dict": ...}` for
        layers built from several arguments), saved so a loaded layer creates the same weights; None if unbuilt."""
        if not self.built:
            return None
        shapes_dict = self.__dict__.get("_build_shapes_dict")
        if shapes_dict is not None:  # also empty, for `build(self)`
            return {"shapes_dict": _shapes_to_lists(shapes_dict)}
        shapes = self.__dict__.get("_build_shapes")
        if shapes is None:
            return None
        return {"input_shape": _shapes_to_lists(shapes)}

    def build_from_config(self, config):
        """Build from `get_build_config()` output."""
        if not config or self.built:
            return
        if "shapes_dict" in config:
            shapes = {k: _lists_to_shapes(v) for k, v in config["shapes_dict"].items()}
            self._build_with(lambda: self.build(**shapes))
            object.__setattr__(self, "_build_shapes_dict", shapes)
        elif config.get("input_shape") is not None:
            shape = _lists_to_shapes(config["input_shape"])
            self._build_with(lambda: self.build(shape))
            self._build_shapes = shape

    def _build_with(self, fn):
        with name_scope(self.name):
            fn()
        self.built = True

    def _maybe_build(self, args, kwargs):
        if not self.built:
            self._build_from_args(args, kwargs)

    def _check_inputs(self, inputs):
        if self.input_spec is None:
            return
        flat = [x for x in jax.tree_util.tree_leaves(inputs, is_leaf=lambda x: isinstance(x, KerasTensor))]
        shapes = [tuple(x.shape) if hasattr(x, "shape") else np.shape(x) for x in flat]
        assert_input_compatibility(self.input_spec, shapes, self.name)

    def _convert_inputs(self, inputs):
        """Arrays in, floats cast to `input_dtype` (Keras autocasting; None: kept); other leaves untouched."""
        cast_to = self.input_dtype if self.autocast else None

        def convert(x):
            if isinstance(x, (KerasTensor, Variable)) or x is None:
                return x.value if isinstance(x, Variable) else x
            if isinstance(x, (np.ndarray, jax.Array, np.generic, float, int, list)) or hasattr(x, "__array__"):
                # Check the dtype before converting: jnp.asarray fails obscurely on strings, and numpy's
                # issubdtype does not know bfloat16.
                dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
                if getattr(dtype, "kind", None) in ("U", "S", "O") and self._takes_strings():
                    return np.asarray(x)  # text for a host-side layer (StringLookup, TextVectorization)
                if not (jnp.issubdtype(dtype, jnp.number) or dtype == np.bool_):
                    raise TypeError(f"Layer '{self.name}' expects numeric input; received an array of dtype "
                                    f"{dtype}.")
                if cast_to is not None and isinstance(x, np.ndarray) and jnp.issubdtype(x.dtype, jnp.floating):
                    # Cast on the host (a device cast compiles per shape), through float32 as jax would.
                    x = x.astype(np.float32, copy=False).astype(jnp.dtype(cast_to), copy=False)
                arr = to_device(x)
                if cast_to is not None and jnp.issubdtype(arr.dtype, jnp.floating) and arr.dtype != cast_to:
                    arr = arr.astype(cast_to)
                return arr
            return x
        return jax.tree_util.tree_map(convert, inputs, is_leaf=lambda x: isinstance(x, (KerasTensor, Variable)))

    def _takes_strings(self):
        """Whether string inputs reach `call`: for layers that work on the host (`supports_jit` False, as in
        Keras: the text lookups) and for models containing one."""
        return any(not layer.supports_jit for layer in self._flatten_layers())

    def __call__(self, *args, **kwargs):
        if not args and not kwargs:
            raise ValueError(f"Layer '{self.name}' was called without inputs.")
        if has_tf_tensors((args, kwargs)):  # eager TF tensors, or a tf.data.map graph
            return tf_data_bridge.call_layer(self, self.__call__, args, kwargs)
        if not self.supports_jit and host_call.needs_host_call(args, kwargs):  # traced, or text from fit
            return host_call.call_on_host(self, self.__call__, args, kwargs)
        if host_call.has_encoded_strings(args) and not self._takes_strings():
            raise TypeError(f"Layer '{self.name}' expects numeric input; received strings. Only host-side layers "
                            f"(TextVectorization, StringLookup, Hashing, ...) and models containing them take text.")
        if args:
            args = (self._convert_inputs(args[0]),) + tuple(args[1:])
        # Eager, traced and symbolic calls all pass here, so each runs with the same autocasting.
        scope = self._autocast_scope()
        if scope is None:
            return super().__call__(*args, **kwargs)
        with scope:
            return super().__call__(*args, **kwargs)

    def _resolve_training(self, kwargs):
        training = kwargs.get("training")
        if training is None:
            training = _context_training()
        if training is None:
            param = self._call_signature.parameters.get("training")
            if param is not None and param.default is not inspect.Parameter.empty:
                training = param.default
        # As in Keras, only a parameter named `training` receives it, not a `**kwargs` catch-all; the value
        # still reaches nested layers through the call context.
        if "training" in self._call_signature.parameters:
            kwargs["training"] = training
        else:
            kwargs.pop("training", None)
        return training

    def _fill_masks(self, args, kwargs):
        """Pass input masks to `call` as Keras does; return the mask that `compute_mask` will receive."""
        params = self._call_signature.parameters
        tensors = {}
        if "mask" in params or any(name.endswith("_mask") for name in params):
            try:
                bound = self._call_signature.bind_partial(*args, **kwargs).arguments
            except TypeError:
                bound = {}
            tensors = {k: v for k, v in bound.items() if k not in ("mask", "training")
                       and not k.endswith("_mask") and any(hasattr(x, "shape")
                                                          for x in jax.tree_util.tree_leaves(v))}
        if len(tensors) == 1 and "mask" in params and kwargs.get("mask") is None:
            found = masks_of(next(iter(tensors.values())))
            if found is not None:
                kwargs["mask"] = found
        elif len(tensors) > 1:
            for name, value in tensors.items():
                if f"{name}_mask" in params and kwargs.get(f"{name}_mask") is None:
                    found = masks_of(value)
                    if found is not None:
                        kwargs[f"{name}_mask"] = found
        if kwargs.get("mask") is not None:
            return kwargs["mask"]
        return masks_of(self._first_input(args, kwargs))

    def _first_input(self, args, kwargs):
        """The first call argument, also when passed by keyword (`layer(inputs=x)`)."""
        if args:
            return args[0]
        for name in self._call_signature.parameters:
            if name in kwargs and name not in ("mask", "training"):
                return kwargs[name]
        return None

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's outputs, given its inputs and their `mask`. By default the input mask
        passes through unchanged. Override in layers that create (Embedding) or change (RNN) masks."""
        return mask

    def _set_output_masks(self, inputs, outputs, previous_mask):
        if self.supports_masking:
            set_masks(outputs, self.compute_mask(inputs, previous_mask))
        elif previous_mask is not None and not self.__dict__.get("_warned_mask_lost"):
            object.__setattr__(self, "_warned_mask_lost", True)
            warnings.warn(f"Layer '{self.name}' ({type(self).__name__}) received an input with a mask but does not "
                          "support masking, so layers after it will not see the mask.", stacklevel=4)

    def _eager_call(self, args, kwargs):
        kwargs = dict(kwargs)
        training = self._resolve_training(kwargs)
        previous_mask = self._fill_masks(args, kwargs)
        if "mask" in kwargs and not self._call_accepts("mask"):
            kwargs.pop("mask")
        top_level = not in_call_context()
        if top_level:
            self._clear_losses()
        # Check before building too, so a wrong-rank first call fails instead of building wrong weights.
        was_built = self.built
        self._check_inputs(args[0] if args else None)
        self._maybe_build(args, kwargs)
        if not was_built:
            self._check_inputs(args[0] if args else None)
        _call_stack().append(training)
        try:
            with name_scope(self.name):
                outputs = rematerialized_call(self, self.call, args, kwargs)(*args, **kwargs)
                # Under a distribution, the layout it gives "<layer path>/output" (Keras asks it per layer).
                outputs = relayout_outputs(outputs)
        finally:
            _call_stack().pop()
        if self.activity_regularizer is not None:
            for out in jax.tree_util.tree_leaves(outputs):
                self.add_loss(self.activity_regularizer(out) / out.shape[0])
        self._set_output_masks(self._first_input(args, kwargs), outputs, previous_mask)
        return outputs

    def _symbolic_call(self, args, kwargs):
        self._check_inputs(args[0] if args else None)
        self._maybe_build(args, kwargs)
        self._check_inputs(args[0] if args else None)
        # As in Keras, `call`'s mask arguments receive the inputs' symbolic masks while shapes are evaluated
        # (a layer may insist on one); the node records the call without them, since running the model
        # computes the real masks.
        spec_kwargs = dict(kwargs)
        self._fill_masks(args, spec_kwargs)
        outputs = self.compute_output_spec(*args, **spec_kwargs)
        Node(self, args, kwargs, outputs)
        self._clear_losses()  # losses added while evaluating shapes are abstract; drop them
        self._set_symbolic_masks(self._first_input(args, kwargs), outputs)
        return outputs

    def _set_symbolic_masks(self, inputs, outputs):
        """As in Keras 3, a symbolic output carries its mask as a KerasTensor in `_keras_mask` (scripts print it
        while building a model). It is for reading only: the graph records no masks, and running the model
        computes the real ones."""
        previous = masks_of(inputs)
        if not self.supports_masking or (previous is None and type(self).compute_mask is Layer.compute_mask):
            return
        spec = compute_output_spec(lambda x, mask: self.compute_mask(x, mask), (inputs, previous), {})
        set_masks(outputs, spec)

    def compute_output_spec(self, *args, **kwargs):
        """Symbolic outputs for symbolic inputs: by evaluating `call` abstractly, or, as Keras does, from
        `compute_output_shape` where a user's subclass overrides it (so a layer whose `call` cannot be traced
        still works in a functional model). kerasj's own layers are always evaluated, which gets their
        output dtypes exact."""
        if not type(self).compute_output_shape.__module__.startswith("kerasj."):
            k = dict(kwargs)
            self._resolve_training(k)
            if "mask" in k and not self._call_accepts("mask"):
                k.pop("mask")
            shape_args, shape_kwargs = self._shape_arguments(self.compute_output_shape, args, k)
            shape = self.compute_output_shape(*shape_args, **shape_kwargs)
            if isinstance(shape, list) and is_shape(shape) and shape:
                shape = tuple(shape)  # a list of dims is one shape, as in Keras
            return jax.tree_util.tree_map(lambda s: KerasTensor(tuple(s), self.compute_dtype), shape,
                                          is_leaf=is_shape)

        def run(*a, **k):
            k = dict(k)
            self._resolve_training(k)
            if "mask" in k and not self._call_accepts("mask"):
                k.pop("mask")
            if a:  # symbolic inputs are autocast here, as arrays are in _convert_inputs
                a = (self._convert_inputs(a[0]),) + a[1:]
            _call_stack().append(k.get("training"))
            try:
                return self.call(*a, **k)
            finally:
                _call_stack().pop()
        return compute_output_spec(run, args, kwargs)

    def compute_output_shape(self, input_shape):
        """Output shape for `input_shape` (None entries allowed), via abstract evaluation of `call`."""
        def spec(shape):
            return KerasTensor(shape, self.compute_dtype)
        inputs = jax.tree_util.tree_map(spec, input_shape, is_leaf=is_shape)
        out = self.compute_output_spec(inputs)
        return jax.tree_util.tree_map(lambda t: t.shape, out, is_leaf=lambda x: isinstance(x, KerasTensor))

    # -- symbolic graph helpers -----------------------------------------------------------------------
    def _node_output(self, attr):
        # As in Keras 3, a layer called on several symbolic inputs answers for its first call (no error), and
        # eager calls leave no node behind.
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no defined {attr}. "
                                 "Only calls on symbolic tensors (from keras.Input) define it.")
        node = self._inbound_nodes[0]
        tensors = node.output_tensors if attr == "output" else node.input_tensors
        return tensors[0] if len(tensors) == 1 else tensors

    @property
    def input(self):
        """The symbolic input(s) of the layer's first call on symbolic tensors: one tensor, or a list.

            >>> x = kerasj.Input((3,))
            >>> dense = kerasj.layers.Dense(2)
            >>> y = dense(x)
            >>> dense.input is x, dense.output is y
            (True, True)
        """
        return self._node_output("input")

    @property
    def output(self):
        """The symbolic output(s) of the layer's first call on symbolic tensors: one tensor, or a list."""
        return self._node_output("output")

    # -- config ------------------------------------------------------------------------------------
    def get_config(self):
        """Constructor arguments as a JSON-friendly dict (`from_config(get_config())` rebuilds the layer)."""
        cfg = {"name": self.name, "trainable": self.trainable, "dtype": dtype_policies.serialize(self._dtype_policy)}
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = self._batch_input_shape
        return cfg

    def save_own_variables(self, store):
        """Write the layer's own variables (not its sub-layers') into `store`, a dict-like view of its group
        in a weights file, under the keys "0", "1", ... (created-trainable ones first, as `weights` orders them).

        Override it, with `load_own_variables`, to save state that is not a variable; saving calls an override
        instead of writing the variables itself.

            >>> layer = kerasj.layers.Dense(2)
            >>> layer.build((None, 3))
            >>> store = {}
            >>> layer.save_own_variables(store)
            >>> sorted(store)  # kernel, bias
            ['0', '1']
        """
        own = self._own_variables
        created = [getattr(v, "_created_trainable", v.trainable) for v in own]
        ordered = [v for v, c in zip(own, created) if c] + [v for v, c in zip(own, created) if not c]
        for i, variable in enumerate(ordered):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Assign the layer's own variables from `store` (keys "0", "1", ... as `save_own_variables` writes);
        the number of entries must equal the number of variables.

            >>> same_shape = kerasj.layers.Dense(2)
            >>> same_shape.build((None, 3))
            >>> same_shape.load_own_variables(store)
        """
        own = self._own_variables
        created = [getattr(v, "_created_trainable", v.trainable) for v in own]
        ordered = [v for v, c in zip(own, created) if c] + [v for v, c in zip(own, created) if not c]
        stored = len(store.keys())
        if stored != len(ordered):
            if not ordered and not self.built:
                raise ValueError(f"Layer '{self.name}' was never built and so has no variables, but the weights "
                                 f"file lists {stored} variables for it. Either a parent layer's build() does not "
                                 f"build this layer, or the layer needs build_from_config() (and "
                                 f"get_build_config()) to recreate its variables when it is loaded.")
            raise ValueError(f"Layer '{self.name}' expected {len(ordered)} variables, but received {stored} "
                             f"variables during loading. Expected: {[v.name for v in ordered]}")
        for i, variable in enumerate(ordered):
            variable.assign(store[str(i)])

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _shape_of(x):
    # A symbolic size (a layer built inside compute_output_spec's shape trace) is an unknown one.
    shape = tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))
    return tuple(d if d is None or isinstance(d, (int, np.integer)) else None for d in shape)


def is_shape(value):
    """Whether `value` is one shape: a tuple or list of ints and Nones (used to map over nested shapes)."""
    return isinstance(value, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer)) for d in value)


def _shapes_to_lists(shapes):
    """Nested shapes as JSON lists (the build config's form)."""
    if is_shape(shapes):
        return [None if d is None else int(d) for d in shapes]
    if isinstance(shapes, dict):
        return {k: _shapes_to_lists(v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return [_shapes_to_lists(s) for s in shapes]
    raise ValueError(f"Not a shape: {shapes!r}")


def _lists_to_shapes(value):
    """The inverse of _shapes_to_lists: flat lists become shape tuples."""
    if is_shape(value):
        return tuple(value)
    if isinstance(value, dict):
        return {k: _lists_to_shapes(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists_to_shapes(v) for v in value]
    raise ValueError(f"A build config shape must be a list of ints and nulls; received {value!r}")


class _null_scope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
