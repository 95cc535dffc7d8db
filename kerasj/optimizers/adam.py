"""Adam (Kingma & Ba, 2014), with the AMSGrad variant."""
import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    """Adam, in Keras 3's form: the bias correction is folded into the step size, and `epsilon` is added to
    the square root of the *uncorrected* second moment (so it differs slightly from `optax.adam`).

    With slots `m`, `v` (zeros at first) and `t` the 1-based step:

        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        w -= learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)

    With `amsgrad=True` the running maximum of `v` (slot `v_hat`) is used in the denominator.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1, beta_2: decay rates of the first and second moment estimates.
        epsilon: added to the denominator for numerical stability (1e-7 as in Keras).
        amsgrad: use the AMSGrad variant.
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=Adam(learning_rate=1e-3), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat") if self.amsgrad else []

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        step = jnp.asarray(self.iterations + 1, dtype)
        beta_1_power = jnp.power(jnp.asarray(self.beta_1, dtype), step)
        beta_2_power = jnp.power(jnp.asarray(self.beta_2, dtype), step)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        alpha = lr * jnp.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign_add((gradient - m.value) * (1 - self.beta_1))
        v.assign_add((jnp.square(gradient) - v.value) * (1 - self.beta_2))
        second_moment = v.value
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            v_hat.assign(jnp.maximum(v_hat.value, v.value))
            second_moment = v_hat.value
        variable.assign_sub((m.value * alpha) / (jnp.sqrt(second_moment) + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}
