"""FTRL-Proximal (McMahan et al., 2013, "Ad Click Prediction: a View from the Trenches")."""
import jax.numpy as jnp

from kerasj import initializers
from kerasj.optimizers.optimizer import Optimizer


class Ftrl(Optimizer):
    """Follow The Regularized Leader, in Keras 3's form, suited to shallow models with large sparse inputs.

    With slots `n` (starting at `initial_accumulator_value`) and `z` (zeros), `p = -learning_rate_power`,
    `l2 = l2_regularization_strength + beta / (2 * learning_rate)`, and
    `g' = g + 2 * l2_shrinkage_regularization_strength * w`:

        n_new = n + g**2
        z += g' - (n_new**p - n**p) / learning_rate * w
        w = (clip(z, -l1, l1) - z) / (n_new**p / learning_rate + 2 * l2)
        n = n_new

    so every coordinate with `|z| <= l1` is exactly zero.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        learning_rate_power: how the per-coordinate rate falls with `n`; <= 0 (-0.5 is Adagrad-like).
        initial_accumulator_value: the accumulators' starting value; >= 0.
        l1_regularization_strength, l2_regularization_strength: >= 0.
        l2_shrinkage_regularization_strength: an L2 penalty applied through the gradient only; >= 0.
        beta: FTRL's beta, added to the L2 term as `beta / (2 * learning_rate)`.
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=Ftrl(learning_rate=0.1, l1_regularization_strength=0.01), loss="mse")
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        if learning_rate_power > 0:
            raise ValueError(f"Ftrl: `learning_rate_power` must be negative or zero; received "
                             f"learning_rate_power={learning_rate_power!r}.")
        for arg, value in [("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)]:
            if value < 0:
                raise ValueError(f"Ftrl: `{arg}` must be positive or zero; received {arg}={value!r}.")
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Interleaved per variable (accumulator, linear, ...), as Keras lists them; the two start differently.
        start = initializers.Constant(self.initial_accumulator_value)
        self._accumulators, self._linears = [], []
        for variable in var_list:
            self._accumulators.append(self.add_variable_from_reference(variable, "accumulator", start))
            self._linears.append(self.add_variable_from_reference(variable, "linear"))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        index = self._get_variable_index(variable)
        accumulator, linear = self._accumulators[index], self._linears[index]
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        shrunk_gradient = gradient + 2 * self.l2_shrinkage_regularization_strength * variable.value
        new_accumulator = accumulator.value + jnp.square(gradient)
        rate_change = (jnp.power(new_accumulator, power) - jnp.power(accumulator.value, power)) / lr
        linear.assign(linear.value + shrunk_gradient - rate_change * variable.value)
        quadratic = jnp.power(new_accumulator, power) / lr + 2 * l2
        variable.assign((jnp.clip(linear.value, -l1, l1) - linear.value) / quadratic)
        accumulator.assign(new_accumulator)

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
