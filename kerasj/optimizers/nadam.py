"""Nadam (Dozat, 2016): Adam with Nesterov momentum and a warming-up momentum schedule."""
import jax.numpy as jnp

from kerasj import config
from kerasj.optimizers.optimizer import Optimizer
from kerasj.variables import Variable

# The momentum schedule mu_t = beta_1 * (1 - 0.5 * 0.96**t) from Dozat's paper.
_SCHEDULE_DECAY = 0.96


class Nadam(Optimizer):
    """Nadam, in Keras 3's form. With `t` the 1-based step, the momentum schedule
    `mu_t = beta_1 * (1 - 0.5 * 0.96**t)`, its running product `P_t = mu_1 * ... * mu_t` (one shared
    Variable), and slots `m`, `v` (zeros at first):

        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2**t)
        w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1, beta_2: decay rates of the first and second moment estimates.
        epsilon: added to the denominator (1e-7 as in Keras).
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=Nadam(learning_rate=2e-3), loss="mse")
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
        var_list = list(var_list)
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        # Keras creates the product outside the optimizer's name scope, so its path is plain "variable",
        # and lists it after the slots.
        dtype = var_list[0].dtype if var_list else config.floatx()
        self._u_product = Variable(1.0, dtype=dtype, trainable=False, name="variable")
        self._variables.append(self._u_product)

    def _mu(self, step, dtype):
        return self.beta_1 * (1.0 - 0.5 * jnp.power(jnp.asarray(_SCHEDULE_DECAY, dtype), step))

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # The product advances once per step, before any variable is updated.
        dtype = self._u_product.dtype
        self._u_product.assign(self._u_product.value * self._mu(jnp.asarray(self.iterations + 1, dtype), dtype))
        super()._backend_update_step(grads, trainable_variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        step = jnp.asarray(self.iterations + 1, dtype)
        mu_t, mu_next = self._mu(step, dtype), self._mu(step + 1, dtype)
        product = jnp.asarray(self._u_product.value, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        m.assign_add((gradient - m.value) * (1 - self.beta_1))
        v.assign_add((jnp.square(gradient) - v.value) * (1 - self.beta_2))
        m_hat = mu_next * m.value / (1 - product * mu_next) + (1 - mu_t) * gradient / (1 - product)
        v_hat = v.value / (1 - jnp.power(jnp.asarray(self.beta_2, dtype), step))
        variable.assign_sub(lr * m_hat / (jnp.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
