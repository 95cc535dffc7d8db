"""Stochastic gradient descent, with optional (Nesterov) momentum."""
import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum, in Keras 3's form.

    Without momentum: `w -= learning_rate * g`. With momentum, a velocity slot `m` (zeros at first):

        m = momentum * m - learning_rate * g
        w += m                                          (nesterov=False)
        w += momentum * m - learning_rate * g           (nesterov=True)

    Args:
        learning_rate: float, schedule or callable; default 0.01.
        momentum: in [0, 1]; 0 keeps no slot variables.
        nesterov: use Nesterov momentum.
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> optimizer = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
        >>> optimizer.apply_gradients(zip(grads, model.trainable_variables))
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None, gradient_accumulation_steps=None,
                 name=None, **kwargs):
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a float in [0, 1]; received momentum={momentum!r}.")
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum != 0 else []

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        if self.momentum == 0:
            variable.assign_sub(gradient * lr)
            return
        m = self.momentums[self._get_variable_index(variable)]
        momentum = jnp.asarray(self.momentum, dtype)
        m.assign(-gradient * lr + m.value * momentum)
        if self.nesterov:
            variable.assign_add(-gradient * lr + m.value * momentum)
        else:
            variable.assign_add(m.value)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
