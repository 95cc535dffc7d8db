"""RMSprop (Tieleman & Hinton, 2012): divide by a running root-mean-square of the gradients."""
import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop, in Keras 3's form (the default optimizer of `Model.compile`).

    With a slot `v` (zeros at first), and `epsilon` inside the square root:

        v = rho * v + (1 - rho) * g**2
        step = learning_rate * g / sqrt(v + epsilon)

    With `centered=True` a slot `a` tracks the mean gradient and the variance is used instead:
    `a = rho * a + (1 - rho) * g`, `step = learning_rate * g / sqrt(v - a**2 + epsilon)`.
    Then `w -= step`, or with momentum (slot `m`): `m = momentum * m + step; w -= m`.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        rho: decay rate of the moving averages.
        momentum: 0 keeps no momentum slots.
        epsilon: added to the variance estimate inside the square root (1e-7 as in Keras).
        centered: normalise by the estimated variance of the gradient rather than its second moment.
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=RMSprop(learning_rate=1e-3, momentum=0.9), loss="mse")
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Keras creates each kind of slot for all variables before the next kind (not interleaved).
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum > 0 else []
        self._average_gradients = (self.add_optimizer_variables(var_list, "average_gradient")
                                   if self.centered else [])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        velocity.assign(self.rho * velocity.value + (1 - self.rho) * jnp.square(gradient))
        variance = velocity.value
        if self.centered:
            average = self._average_gradients[index]
            average.assign(self.rho * average.value + (1 - self.rho) * gradient)
            variance = variance - jnp.square(average.value)
        step = lr * gradient / jnp.sqrt(variance + self.epsilon)
        if self.momentum > 0:
            m = self._momentums[index]
            m.assign(self.momentum * m.value + step)
            step = m.value
        variable.assign_sub(step)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
