"""Lamb (You et al., 2019, "Large Batch Optimization for Deep Learning"): Adam with a per-layer trust ratio."""
import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer


class Lamb(Optimizer):
    """Lamb, in Keras 3's form: a bias-corrected Adam direction, rescaled per variable by the ratio of the
    variable's norm to the direction's norm (1 when either norm is 0). With slots `m`, `v` and step `t`:

        m += (g - m) * (1 - beta_1);  v += (g**2 - v) * (1 - beta_2)
        r = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)
        w -= learning_rate * (||w|| / ||r||) * r

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1, beta_2: decay rates of the first and second moment estimates.
        epsilon: added to the denominator for numerical stability.
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=Lamb(learning_rate=1e-3), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        step = jnp.asarray(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        m.assign_add((gradient - m.value) * (1 - self.beta_1))
        v.assign_add((jnp.square(gradient) - v.value) * (1 - self.beta_2))
        m_hat = m.value / (1.0 - jnp.power(jnp.asarray(self.beta_1, dtype), step))
        v_hat = v.value / (1.0 - jnp.power(jnp.asarray(self.beta_2, dtype), step))
        direction = m_hat / (jnp.sqrt(v_hat) + self.epsilon)
        w_norm = jnp.sqrt(jnp.sum(jnp.square(variable.value)))
        d_norm = jnp.sqrt(jnp.sum(jnp.square(direction)))
        # A zero variable (a fresh bias) or a zero direction gets the plain Adam step.
        ratio = jnp.where((w_norm > 0) & (d_norm > 0), w_norm / jnp.where(d_norm > 0, d_norm, 1.0), 1.0)
        variable.assign_sub(ratio * lr * direction)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
