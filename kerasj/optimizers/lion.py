"""Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"): the sign of an interpolated
momentum as the update direction."""
import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """Lion, in Keras 3's form. With a momentum slot `m` (zeros at first):

        w -= learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Every coordinate moves by exactly `learning_rate`, so Lion usually wants a learning rate 3-10x smaller
    than AdamW's (and a larger weight decay).

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        beta_1: interpolation factor for the update direction, in (0, 1].
        beta_2: decay rate of the momentum.
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=Lion(learning_rate=1e-4, weight_decay=0.1), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        # beta_1 = 0 would make the update the sign of the raw gradient (SignSGD), so Keras rejects it.
        if not 0 < beta_1 <= 1:
            raise ValueError(f"Lion: `beta_1` must be in the range (0, 1]; received beta_1={beta_1!r}.")
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        m = self._momentums[self._get_variable_index(variable)]
        variable.assign_sub(lr * jnp.sign(self.beta_1 * m.value + (1 - self.beta_1) * gradient))
        m.assign(self.beta_2 * m.value + (1 - self.beta_2) * gradient)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
