"""Muon (Jordan et al., 2024, "MomentUm Orthogonalized by Newton-Schulz"): momentum whose 2-D updates are
orthogonalised, with AdamW for every other variable."""
import re

import jax.numpy as jnp

from kerasj.optimizers.optimizer import Optimizer


def _swap_last_axes(x):
    return jnp.swapaxes(x, -2, -1)


def newton_schulz_orthogonalize(x, steps, a=3.4445, b=-4.7750, c=2.0315):
    """An approximation of `U V^T` (from the SVD `x = U S V^T`) by `steps` quintic Newton-Schulz iterations,
    `x <- a x + (b A + c A^2) x` with `A = x x^T`, after scaling `x` to a Frobenius norm of at most 1.

        >>> newton_schulz_orthogonalize(jnp.eye(3) * 5.0, steps=5)   # close to the identity
    """
    if x.ndim < 2:
        raise ValueError(f"Muon: the Newton-Schulz iteration needs a matrix of at least 2 dimensions; received "
                         f"shape={x.shape}")
    tall = x.shape[-2] > x.shape[-1]
    if tall:  # iterate on the wide form, where A = x x^T is the smaller product
        x = _swap_last_axes(x)
    x = x / (jnp.sqrt(jnp.sum(jnp.square(x), axis=(-2, -1), keepdims=True)) + 1e-7)
    for _ in range(steps):
        gram = x @ _swap_last_axes(x)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return _swap_last_axes(x) if tall else x


class Muon(Optimizer):
    """Muon, in Keras 3's form. A 2-D variable (not an embedding, nor matched by `exclude_layers`) moves by
    the orthogonalised momentum; every other variable by AdamW at `learning_rate * adam_lr_ratio`:

        m = momentum * m + g
        u = g + momentum * m  (nesterov)  or  m
        w -= learning_rate * newton_schulz(u) * sqrt(max(rows, cols)) * rms_rate

    Each variable has a `momentum` slot, and the AdamW ones a `velocity` slot as well. Weight decay is
    decoupled: `weight_decay` for the Muon variables, `adam_weight_decay` for the AdamW ones.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        adam_beta_1, adam_beta_2, epsilon: Adam's moment decay rates and epsilon for the AdamW variables.
        adam_weight_decay: decoupled weight decay of the AdamW variables.
        weight_decay: decoupled weight decay of the Muon variables.
        exclude_layers: regular expressions (`re.search` on the variable path) of variables left to AdamW.
        exclude_embeddings: leave variables whose path contains "embedding" to AdamW.
        muon_a, muon_b, muon_c: the coefficients of the quintic Newton-Schulz iteration.
        adam_lr_ratio: the AdamW variables' learning rate, as a fraction of `learning_rate`.
        momentum: Muon's momentum.
        ns_steps: Newton-Schulz iterations per update.
        nesterov: use the Nesterov form of the momentum.
        rms_rate: scale of the update relative to `sqrt(max(rows, cols))` (Moonlight's adjustment, which
            lets Muon share AdamW's learning rate); None leaves the update unscaled.
        **kwargs: the other base `Optimizer` arguments (clipnorm, use_ema, name, ...).

    Example:
        >>> model.compile(optimizer=Muon(learning_rate=1e-3, exclude_layers=["head"]), loss="mse")
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
                 epsilon=1e-7, weight_decay=0.004, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None, exclude_embeddings=True,
                 muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5,
                 nesterov=True, rms_rate=0.2, **kwargs):
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 0:
            raise ValueError(f"Muon: `ns_steps` must be a non-negative integer; received ns_steps={ns_steps!r}")
        if exclude_layers is not None and (isinstance(exclude_layers, str)
                                           or not all(isinstance(p, str) for p in exclude_layers)):
            raise ValueError("Muon: `exclude_layers` must be a list of regular-expression strings; received "
                             f"exclude_layers={exclude_layers!r}")
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        """Whether `variable` is updated by AdamW rather than by Muon."""
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(pattern, variable.path) for pattern in self.exclude_layers)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # Slots variable by variable (momentum, then velocity for AdamW ones), the order Keras lists them in.
        self._momentums, self._adam_velocities = [], []
        for variable in var_list:
            self._momentums.append(self.add_variable_from_reference(variable, "momentum"))
            self._adam_velocities.append(self.add_variable_from_reference(variable, "velocity")
                                         if self._should_use_adamw(variable) else None)

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._adam_velocities[index]
        if v is None:
            self._muon_update_step(gradient, variable, learning_rate, m)
        else:
            self._adamw_update_step(gradient, variable, learning_rate * self.adam_lr_ratio, m, v)

    def _muon_update_step(self, gradient, variable, learning_rate, m):
        dtype = variable.dtype
        gradient = jnp.asarray(gradient, dtype)
        m.assign(self.momentum * m.value + gradient)
        direction = gradient + self.momentum * m.value if self.nesterov else m.value
        update = jnp.asarray(learning_rate, dtype) * newton_schulz_orthogonalize(
            direction, self.ns_steps, self.muon_a, self.muon_b, self.muon_c)
        if self.rms_rate is not None:
            update = update * jnp.sqrt(float(max(update.shape[0], update.shape[1]))) * self.rms_rate
        variable.assign_sub(update.astype(dtype))

    def _adamw_update_step(self, gradient, variable, learning_rate, m, v):
        dtype = variable.dtype
        lr = jnp.asarray(learning_rate, dtype)
        gradient = jnp.asarray(gradient, dtype)
        step = jnp.asarray(self.iterations + 1, dtype)
        beta_1_power = jnp.power(jnp.asarray(self.adam_beta_1, dtype), step)
        beta_2_power = jnp.power(jnp.asarray(self.adam_beta_2, dtype), step)
        alpha = lr * jnp.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign_add((gradient - m.value) * (1 - self.adam_beta_1))
        v.assign_add((jnp.square(gradient) - v.value) * (1 - self.adam_beta_2))
        variable.assign_sub((m.value * alpha) / (jnp.sqrt(v.value) + self.epsilon))

    def _apply_weight_decay(self, variables):
        for variable in variables:
            if not self._use_weight_decay(variable):
                continue
            decay = self.adam_weight_decay if self._should_use_adamw(variable) else self.weight_decay
            if decay is None:
                continue
            lr = jnp.asarray(self.learning_rate, variable.dtype)
            variable.assign(variable.value - variable.value * jnp.asarray(decay, variable.dtype) * lr)

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}
