"""Any `optax.GradientTransformation` as a kerasj optimizer."""
import re

import jax
import jax.numpy as jnp
import optax

from kerasj.optimizers.optimizer import Optimizer


def _leaf_name(path):
    parts = []
    for key in path:
        for attr in ("name", "key", "idx"):
            if hasattr(key, attr):
                parts.append(str(getattr(key, attr)))
                break
    return re.sub(r"[^0-9A-Za-z_]", "_", "_".join(["state", *parts]))


class OptaxOptimizer(Optimizer):
    """Runs an optax transformation through the Keras optimizer machinery.

    The transformation's state pytree is flattened into Variables (one per leaf, in
    `jax.tree_util.tree_flatten` order, after the step counter and learning rate), so `fit`, `StateScope`
    and `stateless_apply` handle it like any other optimizer state. Each step computes
    `updates, state = transformation.update(grads, state, params)` and adds `learning_rate * updates` to
    the variables: optax's convention, where updates already point downhill.

    Args:
        transformation: an `optax.GradientTransformation`, e.g. `optax.adamw(1e-3)`.
        learning_rate: a multiplier on the transformation's updates (float, schedule or callable). None
            (the default) means 1.0: the updates are applied as the transformation computes them. Pass a
            transformation built with learning rate 1.0 (e.g. `optax.adam(1.0)`) and a `learning_rate` here
            to make the rate settable by callbacks such as ReduceLROnPlateau.
        **kwargs: the base `Optimizer` arguments (clipping, weight_decay, use_ema, ...), applied around the
            transformation as for any optimizer.

    Variables without a gradient in a step get a zero gradient in the transformation (its state covers
    every variable the optimizer was built with), but are left unchanged.

    Example:
        >>> model.compile(optimizer=OptaxOptimizer(optax.adamw(1e-3)), loss="mse")
        >>> model.compile(optimizer=optax.sgd(0.1), loss="mse")   # the same wrapping, done by compile
    """

    def __init__(self, transformation, learning_rate=None, name=None, **kwargs):
        if not isinstance(transformation, optax.GradientTransformation):
            raise TypeError("OptaxOptimizer: `transformation` must be an optax.GradientTransformation; received "
                            f"{type(transformation).__name__}.")
        self.transformation = transformation
        super().__init__(learning_rate=1.0 if learning_rate is None else learning_rate, name=name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        with jax.ensure_compile_time_eval():
            state = self.transformation.init([v.value for v in self._trainable_variables])
        leaves_with_paths, self._state_treedef = jax.tree_util.tree_flatten_with_path(state)
        self._state_variables = [self.add_variable(jnp.shape(leaf), initializer=jnp.asarray(leaf),
                                                   dtype=jnp.asarray(leaf).dtype, name=_leaf_name(path))
                                 for path, leaf in leaves_with_paths]

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        given = {id(v): g for g, v in zip(grads, trainable_variables)}
        params = [v.value for v in self._trainable_variables]
        full_grads = [given[id(v)].astype(v.dtype) if id(v) in given else jnp.zeros_like(p)
                      for v, p in zip(self._trainable_variables, params)]
        state = jax.tree_util.tree_unflatten(self._state_treedef, [v.value for v in self._state_variables])
        updates, new_state = self.transformation.update(full_grads, state, params)
        new_leaves, new_treedef = jax.tree_util.tree_flatten(new_state)
        if new_treedef != self._state_treedef:
            raise ValueError(f"OptaxOptimizer '{self.name}': the transformation changed the structure of its state "
                             f"from {self._state_treedef} to {new_treedef}; kerasj needs a fixed structure.")
        for variable, leaf in zip(self._state_variables, new_leaves):
            variable.assign(leaf)
        for variable in trainable_variables:
            update = updates[self._get_variable_index(variable)]
            variable.assign(variable.value + jnp.asarray(learning_rate, variable.dtype) * update)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # get_config() leaves the transformation out (it has no JSON form), so a config alone cannot rebuild it.
        if "transformation" not in config:
            raise ValueError("OptaxOptimizer.from_config: an optax transformation has no serialized form; add the "
                             "transformation object to the config under 'transformation'.")
        return super().from_config(config, custom_objects)
