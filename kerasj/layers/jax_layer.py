"""JaxLayer and FlaxLayer: a pure JAX function (or a Flax Linen module) as a kerasj layer.

The wrapped function stays pure: the layer holds its parameters as trainable Variables and its state as
non-trainable ones, passes their current values in on each call and writes the returned state back. Inside a
compiled train step those values are the step's traced arrays (DESIGN.md section 1), so `fit` differentiates
through the function and carries its state (BatchNorm statistics, for instance) from step to step.

    >>> def call_fn(params, inputs):
    ...     return inputs @ params["w"] + params["b"]
    >>> def init_fn(rng, inputs):
    ...     return {"w": jax.random.normal(rng, (inputs.shape[-1], 2)), "b": jnp.zeros(2)}
    >>> layer = JaxLayer(call_fn, init_fn)
    >>> layer(jnp.ones((4, 3))).shape
    (4, 2)
"""
import inspect

import jax
import jax.numpy as jnp
import numpy as np

from kerasj.layers.layer import Layer, is_shape
from kerasj.random import SeedGenerator, draw_key
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from kerasj.variables import Variable

_CALL_ARGUMENTS = ("params", "state", "rng", "inputs", "training")
_INIT_ARGUMENTS = ("rng", "inputs", "training")


def _argument_names(fn, fn_name, allowed):
    """The parameter names of `fn` (its call order), each one of `allowed`; `inputs` is required."""
    if not callable(fn):
        raise ValueError(f"JaxLayer: `{fn_name}` must be callable; received {fn!r}")
    names = list(inspect.signature(fn).parameters)
    if "inputs" not in names:
        raise ValueError(f"JaxLayer: `{fn_name}` must take an `inputs` argument; its arguments are {names}")
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValueError(f"JaxLayer: unsupported argument `{unknown[0]}` in `{fn_name}`; the supported "
                         f"arguments are {list(allowed)}")
    return names


def _is_array(value):
    return isinstance(value, (np.ndarray, np.generic, jax.Array))


def _is_float(dtype):
    return jnp.issubdtype(jnp.dtype(dtype), jnp.floating)


def _variable_leaf(x):
    return isinstance(x, Variable)


class JaxLayer(Layer):
    """A layer running `call_fn`, a pure JAX function, with its parameters and state held as Variables.

    `call_fn`'s arguments are recognised by name and passed in the order it declares them:
    `params` (the trainable pytree), `state` (the non-trainable pytree; `call_fn` then returns
    `(outputs, new_state)`), `rng` (a fresh JAX key per call in training, None in inference), `inputs`
    (required) and `training`. `init_fn(rng, inputs, training)` (any subset, `inputs` required) returns the
    initial `params`, or `(params, state)` when `call_fn` takes `state`; it runs at build time on ones of
    the input shape (unknown dimensions as 1). Or pass `params` / `state` directly.

    Array and Python-number leaves become Variables (floats in the layer's dtype); other leaves stay as
    they are. Weights are ordered as `jax.tree_util.tree_flatten` orders the pytrees, params then state, as
    in Keras, so `set_weights` moves weights between the two libraries.

    Args:
        call_fn: the function (see above).
        init_fn: optional initializer (see above).
        params: optional initial parameter pytree.
        state: optional initial state pytree.
        seed: seed of the layer's SeedGenerator for `rng`.
        native_serialization_platforms: accepted for Keras compatibility (it matters only for Keras's
            TensorFlow backend) and kept in the config.

        >>> def call_fn(params, inputs):
        ...     return inputs * params["scale"]
        >>> JaxLayer(call_fn, params={"scale": np.float32(2.0)})(jnp.ones(2))
        Array([2., 2.], dtype=float32)
    """

    def __init__(self, call_fn, init_fn=None, params=None, state=None, seed=None,
                 native_serialization_platforms=None, **kwargs):
        super().__init__(**kwargs)
        self.call_fn = call_fn
        self.init_fn = init_fn
        self.native_serialization_platforms = native_serialization_platforms
        self.call_fn_arguments = _argument_names(call_fn, "call_fn", _CALL_ARGUMENTS)
        self.call_fn_has_params = "params" in self.call_fn_arguments
        self.call_fn_has_state = "state" in self.call_fn_arguments
        self.seed_generator = SeedGenerator(seed) if "rng" in self.call_fn_arguments else None
        if init_fn is None and params is None and state is None and (self.call_fn_has_params
                                                                      or self.call_fn_has_state):
            raise ValueError(f"JaxLayer '{self.name}': `call_fn` takes `params` or `state`, so one of `init_fn`, "
                             "`params` and `state` is needed to create them; all three are None.")
        if init_fn is not None:
            self.init_fn_arguments = _argument_names(init_fn, "init_fn", _INIT_ARGUMENTS)
        self._variable_count = 0
        self.params = self._create_variables(params, trainable=True)
        self.state = self._create_variables(state, trainable=False)
        if params is not None or state is not None:
            self.built = True

    # -- variables --------------------------------------------------------------------------------
    def _create_variables(self, values, trainable):
        """`values` with every array / number leaf replaced by a new Variable (named as Keras names them:
        "variable", "variable_1", ...)."""
        if values is None:
            return None

        def create(value):
            if isinstance(value, Variable):
                value = value.value
            if _is_array(value) or isinstance(value, (bool, int, float)):
                array = np.asarray(value) if not isinstance(value, jax.Array) else value
                dtype = None if _is_float(array.dtype) else array.dtype  # floats follow the dtype policy
                count = self._variable_count
                self._variable_count += 1
                return self.add_weight(shape=array.shape, dtype=dtype, trainable=trainable,
                                       initializer=lambda shape, dtype, a=array: jnp.asarray(a, dtype),
                                       name="variable" if count == 0 else f"variable_{count}")
            return value  # configuration carried in the pytree

        return jax.tree_util.tree_map(create, values, is_leaf=_variable_leaf)

    def _initialize_weights(self, input_shape):
        def ones(shape):
            return jnp.ones([1 if d is None else d for d in shape])

        def run(rng, inputs):
            values = {"rng": rng, "inputs": inputs, "training": True}
            return self.init_fn(*[values[name] for name in self.init_fn_arguments])

        # Evaluated concretely even when the first call is being traced (a subclassed model built inside
        # fit), so the initial values are arrays, not tracers. Jitted as one program: run op by op, a Flax
        # init compiles every initializer separately (seconds on CPU). An init_fn returning non-array leaves
        # (configuration) cannot be jitted and runs op by op.
        with jax.ensure_compile_time_eval():
            inputs = jax.tree_util.tree_map(ones, input_shape, is_leaf=is_shape)
            rng = (jax.tree_util.tree_map(jnp.asarray, self._get_init_rng()) if "rng" in self.init_fn_arguments
                   else None)
            try:
                result = jax.jit(run)(rng, inputs)
            except TypeError:
                result = run(rng, inputs)
        if self.call_fn_has_state:
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                raise ValueError(f"JaxLayer '{self.name}': `call_fn` takes `state`, so `init_fn` must return "
                                 f"`(params, state)`; received a {type(result).__name__}.")
            params, state = result
        else:
            params, state = result, None
        self.params = self._create_variables(params, trainable=True)
        self.state = self._create_variables(state, trainable=False)

    def build(self, input_shape):
        if self.params is None and self.state is None and (self.call_fn_has_params or self.call_fn_has_state):
            self._initialize_weights(input_shape)
        self.built = True

    # -- random keys (override to pass other structures, as in Keras) -------------------------------
    def _get_init_seed(self):
        """A key from the global RNG (deterministic under `kerasj.utils.set_random_seed`)."""
        return draw_key(None)

    def _get_init_rng(self):
        return self._get_init_seed()

    def _get_call_seed(self):
        return self.seed_generator.next()

    def _get_call_rng(self, training):
        return self._get_call_seed() if training else None

    # -- call ---------------------------------------------------------------------------------------
    def call(self, inputs, training=False):
        def values(tree):
            return jax.tree_util.tree_map(lambda v: v.value if isinstance(v, Variable) else v, tree,
                                          is_leaf=_variable_leaf)

        supply = {"params": lambda: values(self.params), "state": lambda: values(self.state),
                  "rng": lambda: self._get_call_rng(training), "inputs": lambda: inputs,
                  "training": lambda: training}
        result = self.call_fn(*[supply[name]() for name in self.call_fn_arguments])
        if not self.call_fn_has_state:
            return result
        outputs, new_state = result
        self._assign_state(new_state)
        return outputs

    def _assign_state(self, new_state):
        held = jax.tree_util.tree_leaves(self.state, is_leaf=_variable_leaf)
        held = [v for v in held if isinstance(v, Variable)]
        new = [x for x in jax.tree_util.tree_leaves(new_state) if hasattr(x, "shape")]
        if len(held) != len(new):
            raise ValueError(f"JaxLayer '{self.name}': `call_fn` returned a state with {len(new)} arrays, but the "
                             f"state created at initialization has {len(held)}; the structures must match.")
        for variable, value in zip(held, new):
            variable.assign(value)

    # -- config -------------------------------------------------------------------------------------
    def get_config(self):
        return {**super().get_config(), "call_fn": serialize_keras_object(self.call_fn),
                "init_fn": serialize_keras_object(self.init_fn),
                "native_serialization_platforms": self.native_serialization_platforms}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("call_fn", "init_fn"):
            config[key] = deserialize_keras_object(config.get(key), safe_mode=None)
        return cls(**config)


def _flax_linen():
    try:
        import flax.linen as linen
    except ImportError as err:
        raise ImportError("FlaxLayer needs the `flax` package: pip install flax") from err
    return linen


def _check_linen_module(module):
    linen = _flax_linen()
    if isinstance(module, linen.Module):
        return linen
    try:
        from flax import nnx
    except ImportError:
        nnx = None
    if nnx is not None and isinstance(module, nnx.Module):
        raise TypeError("FlaxLayer wraps Flax Linen modules (`flax.linen.Module`), as Keras 3.15's does; received "
                        f"the NNX module {type(module).__name__}. Split it with `nnx.split` and wrap "
                        "`nnx.merge(graphdef, params)(inputs)` in a JaxLayer instead.")
    raise TypeError(f"FlaxLayer: `module` must be a flax.linen.Module; received {module!r}")


def _split_variables(variables):
    """A Flax variables dict as Keras splits it: `({"params": ...}, {other collections})`."""
    if variables is None:
        return None, None
    if "params" not in variables:
        return {}, dict(variables)
    params = {"params": variables["params"]}
    return params, {k: v for k, v in variables.items() if k != "params"}


def _join_variables(params, state):
    return {**(params or {}), **(state or {})}


class FlaxLayer(JaxLayer):
    """A Flax Linen module as a layer: its `params` collection becomes trainable weights and every other
    collection (`batch_stats`, ...) non-trainable state that training updates.

    Args:
        module: a `flax.linen.Module` instance.
        method: optional method to call instead of `__call__` (the function or its name's bound method).
            When its signature has `training`, the layer passes its training flag there.
        variables: optional initial variables (what `module.init` returns); else `module.init` runs at
            build time with keys `{"params", "dropout"}` from the global RNG.

    In training, the module receives `rngs={"dropout": key}`, a fresh key per step from the layer's
    SeedGenerator; in inference no keys. For `.keras` saving the module needs `get_config` and
    registration with `kerasj.saving.register_keras_serializable`, as in Keras.

        >>> class Mlp(flax.linen.Module):
        ...     @flax.linen.compact
        ...     def __call__(self, x):
        ...         return flax.linen.Dense(3)(x)
        >>> FlaxLayer(Mlp())(jnp.ones((2, 4))).shape
        (2, 3)
    """

    def __init__(self, module, method=None, variables=None, **kwargs):
        linen = _check_linen_module(module)
        self.module = module
        self.method = method
        mutable = linen.DenyList(["params"])
        target = method if method is not None else module.__call__
        if isinstance(target, str):
            target = getattr(module, target)
        takes_training = "training" in inspect.signature(target).parameters

        def apply(params, state, rng, inputs, training=None):
            extra = {"training": training} if takes_training else {}
            return self.module.apply(_join_variables(params, state), inputs, rngs=rng, method=self.method,
                                     mutable=mutable, **extra)

        def init(rng, inputs, training=None):
            extra = {"training": training} if takes_training else {}
            return _split_variables(self.module.init(rng, inputs, method=self.method, **extra))

        if takes_training:
            def call_fn(params, state, rng, inputs, training):
                return apply(params, state, rng, inputs, training)

            def init_fn(rng, inputs, training):
                return init(rng, inputs, training)
        else:
            def call_fn(params, state, rng, inputs):
                return apply(params, state, rng, inputs)

            def init_fn(rng, inputs):
                return init(rng, inputs)

        params, state = _split_variables(variables)
        super().__init__(call_fn=call_fn, init_fn=init_fn, params=params, state=state, **kwargs)

    def _get_init_rng(self):
        return {"params": self._get_init_seed(), "dropout": self._get_init_seed()}

    def _get_call_rng(self, training):
        return {"dropout": self._get_call_seed()} if training else {}

    def get_config(self):
        method = self.method
        if getattr(method, "__self__", None) is self.module:
            method = method.__name__  # a bound method of the module is saved by name
        config = {**super().get_config(), "module": serialize_keras_object(self.module),
                  "method": serialize_keras_object(method)}
        config.pop("call_fn")
        config.pop("init_fn")
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        module = deserialize_keras_object(config["module"], safe_mode=None)
        method = config.get("method")
        if isinstance(method, str):
            method = getattr(module, method)
        else:
            method = deserialize_keras_object(method, safe_mode=None)
        config.update(module=module, method=method)
        return cls(**config)
