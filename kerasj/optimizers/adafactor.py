"""Adafactor (Shazeer & Stern, 2018): Adam-like steps with a factored, sublinear-memory second moment."""
import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer
from kerasj.variables import Variable


def _rms(x):
    return jnp.sqrt(jnp.mean(jnp.square(x)))


class Adafactor(Optimizer):
    """Adafactor, in Keras 3's form. For a variable with two or more dimensions the second moment of the
    gradient is kept as a row slot `r` (shape `w.shape[:-1]`) and a column slot `c`
    (shape `w.shape[:-2] + w.shape[-1:]`) instead of a full matrix. With `t` the 1-based step:

        rho = min(learning_rate, 1 / sqrt(t));   alpha = max(epsilon_2, rms(w)) * rho
        beta = 1 - t**beta_2_decay;              G = g**2 + epsilon_1
        r = beta * r + (1 - beta) * mean(G, axis=-1)          (ndim >= 2)
        c = beta * c + (1 - beta) * mean(G, axis=-2)
        v = r / mean(r, axis=-1) outer c                       (otherwise: v = beta * v + (1 - beta) * G)
        u = g / sqrt(v);   w -= alpha * u / max(1, rms(u) / clip_threshold)

    The slot `v` ("velocity", shaped like the variable) holds the second moment used in the last step. For
    variables with fewer than two dimensions Keras still lists two scalar int32 placeholders in place of
    `r` and `c`; kerasj keeps them too, so that `optimizer.variables` matches Keras one to one.

    Args:
        learning_rate: float, schedule or callable; default 0.001. The step size is
            `min(learning_rate, 1 / sqrt(t))`, scaled by the variable's RMS.
        beta_2_decay: exponent of the second-moment decay schedule.
        epsilon_1: added to the squared gradients.
        epsilon_2: lower bound on the RMS of the variable in the step size.
        clip_threshold: the RMS of each update is clipped to this value.
        relative_step: kept for Keras config compatibility; as in Keras 3, the relative step
            `min(learning_rate, 1 / sqrt(t))` is always used.
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=Adafactor(learning_rate=0.01), loss="mse")
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for variable in var_list:
            if len(variable.shape) < 2:
                # Keras's placeholders: int32 scalars named after the variable, outside the optimizer's scope.
                for slots in (self._r, self._c):
                    slots.append(Variable(0, dtype="int32", trainable=False, name=variable.name))
                    self._variables.append(slots[-1])
            else:
                shape = variable.shape
                self._r.append(self.add_variable(shape[:-1], dtype=variable.dtype, name=variable.name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=variable.dtype,
                                                 name=variable.name))
            self._v.append(self.add_variable_from_reference(variable, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        step = jnp.asarray(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)
        r, c, v = self._r[index], self._c[index], self._v[index]
        rho = jnp.minimum(lr, 1 / jnp.sqrt(step))
        alpha = jnp.maximum(jnp.asarray(self.epsilon_2, dtype), _rms(variable.value)) * rho
        squared = jnp.square(gradient) + self.epsilon_1
        beta = 1 - jnp.power(step, self.beta_2_decay)
        if len(variable.shape) >= 2:
            r.assign(beta * r.value + (1 - beta) * jnp.mean(squared, axis=-1))
            c.assign(beta * c.value + (1 - beta) * jnp.mean(squared, axis=-2))
            row_share = r.value / jnp.mean(r.value, axis=-1, keepdims=True)
            v.assign(row_share[..., :, None] * c.value[..., None, :])
        else:
            v.assign(beta * v.value + (1 - beta) * squared)
        u = gradient / jnp.sqrt(v.value)
        u = u / jnp.maximum(1.0, _rms(u) / self.clip_threshold)
        variable.assign_sub(alpha * u)

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}
