"""Schedule-free AdamW (Defazio et al., 2024, "The Road Less Scheduled"): no learning-rate schedule needed,
the weights being an interpolation between an Adam iterate and its running average."""
import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW, in Keras 3's form. The model's weights hold `y`, the point where gradients are
    taken; the slot `momentum` holds the Adam iterate `z` (it starts equal to the weights) and `velocity` the
    second moment `v`. With step `t` and `lr` warmed up linearly over `warmup_steps`:

        v += (g**2 - v) * (1 - beta_2)
        z -= lr * g / (sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (y_old - (1 - beta_1) * z_old) / beta_1        # the running average, recovered
        x = (1 - 1/t) * x + (1/t) * z
        y = (1 - beta_1) * z + beta_1 * x

    Args:
        learning_rate: float, schedule or callable; default 0.0025.
        beta_1: interpolation between the iterate and its average.
        beta_2: decay rate of the second moment.
        epsilon: added to the denominator for numerical stability (1e-8 here, as in Keras).
        warmup_steps: steps of linear learning-rate warmup (0: none).
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=ScheduleFreeAdamW(learning_rate=2.5e-3, warmup_steps=100), loss="mse")
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0,
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
        self.warmup_steps = warmup_steps

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        for momentum, variable in zip(self._momentums, var_list):
            # A copy: the slot and the weight must not share a buffer that a compiled step donates twice.
            momentum.assign(jnp.array(variable.value, copy=True))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        step = jnp.asarray(self.iterations + 1, dtype)
        beta_1 = jnp.asarray(self.beta_1, dtype)
        if self.warmup_steps > 0:
            lr = lr * jnp.minimum(step / self.warmup_steps, 1.0)
        index = self._get_variable_index(variable)
        z, v = self._momentums[index], self._velocities[index]
        z_old = z.value
        v.assign_add((jnp.square(gradient) - v.value) * (1 - self.beta_2))
        denominator = jnp.sqrt(v.value / (1 - jnp.power(jnp.asarray(self.beta_2, dtype), step))) + self.epsilon
        z.assign_sub(lr * gradient / denominator)
        weight = 1.0 / step
        x = (variable.value - (1 - beta_1) * z_old) / beta_1
        x = (1 - weight) * x + weight * z.value
        variable.assign((1 - beta_1) * z.value + beta_1 * x)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps}
