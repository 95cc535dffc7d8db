"""AdamW (Loshchilov & Hutter, 2017): Adam with decoupled weight decay."""
from kerasj.optimizers.adam import Adam
from kerasj.optimizers.optimizer import _is_number


class AdamW(Adam):
    """Adam with decoupled weight decay switched on (Keras 3's `AdamW`).

    Before each Adam step, every variable not excluded with `exclude_from_weight_decay` shrinks by
    `w -= w * weight_decay * learning_rate`; the decay never enters the moment estimates.

    Args:
        learning_rate: float, schedule or callable; default 0.001.
        weight_decay: the decay rate; default 0.004, and it must be a number.
        beta_1, beta_2, epsilon, amsgrad: as in `Adam`.
        **kwargs: the other base `Optimizer` arguments (clipnorm, use_ema, name, ...).

    Example:
        >>> optimizer = AdamW(learning_rate=1e-3, weight_decay=0.01)
        >>> optimizer.exclude_from_weight_decay(var_names=["bias"])
        >>> model.compile(optimizer=optimizer, loss="mse")
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if weight_decay is None or not _is_number(weight_decay):
            raise ValueError(f"AdamW: `weight_decay` must be a float; received weight_decay={weight_decay!r}.")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
