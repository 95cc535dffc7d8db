"""Adadelta (Zeiler, 2012): step sizes from running averages of squared gradients and squared updates."""
import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta, in Keras 3's form. With slots `a` (squared gradients) and `d` (squared updates), zeros at
    first, and `rms(x) = sqrt(x + epsilon)`:

        a = rho * a + (1 - rho) * g**2
        delta = -rms(d) / rms(a) * g
        d = rho * d + (1 - rho) * delta**2
        w += learning_rate * delta

    Keras keeps a `learning_rate` (default 0.001) where the paper has none; use 1.0 for the paper's rule.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        rho: decay rate of both running averages.
        epsilon: added inside both square roots (1e-7 as in Keras).
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=Adadelta(learning_rate=1.0, rho=0.95), loss="mse")
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        index = self._get_variable_index(variable)
        grads_sq, deltas_sq = self._accumulated_grads[index], self._accumulated_delta_vars[index]
        grads_sq.assign(self.rho * grads_sq.value + (1 - self.rho) * jnp.square(gradient))
        delta = -jnp.sqrt(deltas_sq.value + self.epsilon) * gradient / jnp.sqrt(grads_sq.value + self.epsilon)
        deltas_sq.assign(self.rho * deltas_sq.value + (1 - self.rho) * jnp.square(delta))
        variable.assign_add(lr * delta)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
