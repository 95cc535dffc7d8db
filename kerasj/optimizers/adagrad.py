"""Adagrad (Duchi et al., 2011): per-coordinate step sizes from the sum of squared gradients."""
import jax.numpy as jnp

from kerasj import initializers
from kerasj.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad, in Keras 3's form. With an accumulator slot `s` (starting at `initial_accumulator_value`):

        s += g**2
        w -= learning_rate * g / sqrt(s + epsilon)

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        initial_accumulator_value: the accumulators' starting value.
        epsilon: added inside the square root (1e-7 as in Keras).
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=Adagrad(learning_rate=0.01), loss="mse")
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=initializers.Constant(self.initial_accumulator_value))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        accumulator.assign_add(jnp.square(gradient))
        variable.assign_sub(lr * gradient / jnp.sqrt(accumulator.value + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
