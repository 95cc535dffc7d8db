"""Dynamic loss scaling (Keras 3's `LossScaleOptimizer`), for training in float16 without underflowing
gradients."""
import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer, _is_number
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

# Arguments of the base Optimizer that a LossScaleOptimizer has no use for; Keras's older configs hold them
# with their defaults, so those values are accepted (and ignored) when loading.
_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                  "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                  "loss_scale_factor": None, "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """Wraps `inner_optimizer` with dynamic loss scaling.

    `scale_loss(loss)` multiplies the loss by the current scale before differentiation; `apply` divides the
    gradients by it again and then:

    - if every gradient is finite, lets `inner_optimizer` apply them, and doubles the scale after
      `dynamic_growth_steps` such steps in a row;
    - otherwise leaves the weights and the inner optimizer untouched (the step is skipped) and halves the
      scale.

    Both outcomes are computed and one is kept with `where`, so this runs inside a compiled train step.
    `variables` are this optimizer's own (iteration, learning_rate, step_counter, dynamic_scale) followed
    by the inner optimizer's; `iterations` and `learning_rate` are the inner optimizer's.

    Args:
        inner_optimizer: the Optimizer that applies the unscaled gradients.
        initial_scale: the first loss scale (2**15).
        dynamic_growth_steps: finite steps after which the scale doubles.
        name: defaults to "loss_scale_optimizer" (made unique).

    Example:
        >>> optimizer = LossScaleOptimizer(kerasj.optimizers.Adam(1e-3), initial_scale=2.0**10)
        >>> grads = kerasj.grad(lambda: optimizer.scale_loss(loss_fn()), model.trainable_variables)()
        >>> optimizer.apply(grads, model.trainable_variables)   # skipped, scale halved, if any is inf/NaN
    """

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer: `dynamic=False` is not supported (as in Keras 3); set "
                             "`loss_scale_factor` on the inner optimizer for a fixed scale instead.")
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`; set `{arg}` on the "
                                 "`inner_optimizer` instead.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer: argument(s) not recognized: {sorted(kwargs)}.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"LossScaleOptimizer: `inner_optimizer` must be a kerasj Optimizer; received "
                            f"{inner_optimizer!r}.")
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise ValueError("LossScaleOptimizer: `inner_optimizer` is already a LossScaleOptimizer.")
        if not _is_number(initial_scale) or not float(initial_scale) > 0:
            raise ValueError(f"LossScaleOptimizer: `initial_scale` must be a positive number; received "
                             f"initial_scale={initial_scale!r}.")
        if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps, int) \
                or dynamic_growth_steps < 1:
            raise ValueError(f"LossScaleOptimizer: `dynamic_growth_steps` must be a positive integer; received "
                             f"dynamic_growth_steps={dynamic_growth_steps!r}.")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        # The inner optimizer must not unscale the gradients a second time.
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        self.step_counter = self.add_variable((), initializer="zeros", dtype="int32", name="step_counter")
        self.dynamic_scale = self.add_variable((), initializer=jnp.asarray(self.initial_scale, "float32"),
                                               dtype="float32", name="dynamic_scale")
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        return [self._iterations, self._learning_rate, *self._variables, *self.inner_optimizer.variables]

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def check_finite(self, grads):
        """Whether every gradient (None ones left out) is finite: a boolean scalar array."""
        finite = [jnp.all(jnp.isfinite(g)) for g in grads if g is not None]
        return jnp.all(jnp.asarray(finite)) if finite else jnp.asarray(True)

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError("LossScaleOptimizer.apply: when `trainable_variables` is not given, the "
                                 "optimizer must already be built; call `optimizer.build(variables)` first.")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        finite = self.check_finite(grads)
        scale = self.dynamic_scale.value
        unscaled = [None if g is None else jnp.asarray(g) / scale.astype(jnp.result_type(g, scale))
                    for g in grads]
        touched = trainable_variables + list(self.inner_optimizer.variables)
        before = [v.value for v in touched]
        self.inner_optimizer.apply(unscaled, trainable_variables)
        for variable, old in zip(touched, before):  # a non-finite step is skipped: everything as it was
            variable.assign(jnp.where(finite, variable.value, old))
        grow = finite & (self.step_counter.value == self.dynamic_growth_steps - 1)
        self.step_counter.assign(jnp.where(finite & ~grow, self.step_counter.value + 1, 0).astype("int32"))
        self.dynamic_scale.assign(jnp.where(grow, scale * 2.0, jnp.where(finite, scale, scale * 0.5)))
        return self.iterations

    def scale_loss(self, loss):
        """`loss` times the current scale (the initial one before the optimizer is built)."""
        scale = self.dynamic_scale.value if self.built else self.initial_scale
        return loss * scale

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {"name": self.name, "inner_optimizer": serialize_keras_object(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = deserialize_keras_object(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
