"""Learning-rate schedules: callables `schedule(step) -> learning rate`, evaluated by an optimizer with its
step counter before every update.

    >>> lr = kerasj.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    >>> optimizer = kerasj.optimizers.SGD(learning_rate=lr)

Every schedule is plain jax.numpy arithmetic on `step` (no Python branches on its value), so it works
eagerly, under `jax.jit` and inside `lax.scan`. The numbers follow Keras 3: the computation runs in the dtype
of `initial_learning_rate` (floatx()).
"""
import math

import jax.numpy as jnp

from kerasj import config
from kerasj.variables import Variable
from kerasj.utils.keras_names import register_namespace


def _as_float(x):
    return jnp.asarray(x.value if isinstance(x, Variable) else x, dtype=config.floatx())


def _check_positive(owner, name, value):
    if value is None or value <= 0:
        raise ValueError(f"{owner}: argument `{name}` must be > 0; received {name}={value!r}.")


class LearningRateSchedule:
    """Base class: subclasses implement `__call__(step)` and `get_config()`.

    Example:
        >>> class Halving(LearningRateSchedule):
        ...     def __init__(self, initial, every):
        ...         self.initial, self.every = initial, every
        ...     def __call__(self, step):
        ...         return self.initial * 0.5 ** jnp.floor(step / self.every)
        ...     def get_config(self):
        ...         return {"initial": self.initial, "every": self.every}
    """

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement `__call__(step)`.")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must implement `get_config()`.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _RateDecay(LearningRateSchedule):
    """Schedules of `initial_learning_rate`, `decay_rate` and the progress `step / decay_steps` (floored with
    `staircase=True`); subclasses give the formula in `_decay`."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_positive(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        initial = _as_float(self.initial_learning_rate)
        progress = _as_float(step) / jnp.asarray(self.decay_steps, initial.dtype)
        if self.staircase:
            progress = jnp.floor(progress)
        return self._decay(initial, jnp.asarray(self.decay_rate, initial.dtype), progress)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`; with `staircase=True` the exponent is
    floored, so the rate drops in steps every `decay_steps`.

    Example:
        >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)   # 0.1 * 0.5**2
        Array(0.025, dtype=float32)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, initial, rate, progress):
        return initial * jnp.power(rate, progress)


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` while `boundaries[i-1] < step <= boundaries[i]`,
    and `values[-1]` after the last boundary.

    Example:
        >>> schedule = PiecewiseConstantDecay(boundaries=[100, 200], values=[1.0, 0.5, 0.1])
        >>> float(schedule(150))
        0.5
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError("PiecewiseConstantDecay: `values` must have exactly one more element than "
                             f"`boundaries`; received {len(boundaries)} boundaries and {len(values)} values.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = jnp.asarray(step.value if isinstance(step, Variable) else step)
        # The number of boundaries strictly below `step` is the index of the interval it falls in.
        index = sum((step > b).astype(jnp.int32) for b in self.boundaries)
        values = jnp.asarray(self.values)
        if jnp.issubdtype(values.dtype, jnp.floating):
            values = values.astype(config.floatx())
        return values[index]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decays from `initial_learning_rate` to `end_learning_rate` over `decay_steps` along
    `(initial - end) * (1 - step / decay_steps) ** power + end`, then stays at `end_learning_rate`.
    With `cycle=True` the decay restarts, over a horizon stretched to the next multiple of `decay_steps`.

    Example:
        >>> float(PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0)(5))   # linear by default
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                 name="PolynomialDecay"):
        _check_positive("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        initial = _as_float(self.initial_learning_rate)
        dtype = initial.dtype
        end = jnp.asarray(self.end_learning_rate, dtype)
        step = _as_float(step)
        horizon = jnp.asarray(self.decay_steps, dtype)
        if self.cycle:
            # Step 0 belongs to the first cycle (ceil(0) would give a zero-length horizon).
            horizon = horizon * jnp.where(step == 0, 1.0, jnp.ceil(step / horizon)).astype(dtype)
        else:
            step = jnp.minimum(step, horizon)
        fraction = step / horizon
        return (initial - end) * jnp.power(1 - fraction, jnp.asarray(self.power, dtype)) + end

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(_RateDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)` (the ratio floored with
    `staircase=True`). `InverseTimeDecay(lr, 1, decay)` is the old `decay=` argument of tf.keras optimizers.

    Example:
        >>> float(InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)(2))   # 1 / (1 + 0.5 * 2)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, initial, rate, progress):
        return initial / (1 + rate * progress)


def _cosine(fraction, alpha, dtype):
    """Half a cosine from 1 down to `alpha` as `fraction` goes from 0 to 1."""
    cosine = 0.5 * (1.0 + jnp.cos(jnp.asarray(math.pi, dtype) * fraction))
    return (1 - alpha) * cosine + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay from `initial_learning_rate` to `alpha * initial_learning_rate` over `decay_steps`,
    optionally after a linear warmup.

    Without `warmup_target`: `lr(step) = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`
    with `s = min(step, decay_steps)`. With `warmup_target`: the rate rises linearly from
    `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays from `warmup_target` as above.

    Example:
        >>> schedule = CosineDecay(0.0, decay_steps=1000, warmup_target=0.1, warmup_steps=100)
        >>> float(schedule(50))   # halfway through the warmup
        0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        _check_positive("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        initial = _as_float(self.initial_learning_rate)
        dtype = initial.dtype
        decay_steps = jnp.asarray(self.decay_steps, dtype)
        step = _as_float(step)
        if self.warmup_target is None:
            step = jnp.minimum(step, decay_steps)
            return initial * _cosine(step / decay_steps, self.alpha, dtype)
        target = jnp.asarray(self.warmup_target, dtype)
        warmup_steps = jnp.asarray(self.warmup_steps, dtype)
        step = jnp.minimum(step, decay_steps + warmup_steps)
        # With warmup_steps == 0 the warmup branch divides by zero, but it is never the one selected.
        warming = (target - initial) * (step / warmup_steps) + initial
        decaying = target * _cosine((step - warmup_steps) / decay_steps, self.alpha, dtype)
        return jnp.where(step < warmup_steps, warming, decaying)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2017).

    The first period lasts `first_decay_steps`; each later period is `t_mul` times longer than the one before
    and starts from a rate `m_mul` times the previous start. Within a period the rate follows
    `initial * m_mul**i * ((1 - alpha) * 0.5 * (1 + cos(pi * fraction)) + alpha)` where `i` counts restarts.

    Example:
        >>> schedule = CosineDecayRestarts(0.1, first_decay_steps=10)
        >>> float(schedule(10))   # a restart: back to the initial rate
        0.1
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        _check_positive("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        initial = _as_float(self.initial_learning_rate)
        dtype = initial.dtype
        fraction = _as_float(step) / jnp.asarray(self.first_decay_steps, dtype)
        t_mul = jnp.asarray(self.t_mul, dtype)
        if self.t_mul == 1.0:
            restarts = jnp.floor(fraction)
            fraction = fraction - restarts
        else:
            # Periods grow geometrically: the i-th restart happens at sum_{k<i} t_mul**k first periods.
            restarts = jnp.floor(jnp.log(1.0 - fraction * (1.0 - t_mul)) / jnp.log(t_mul))
            elapsed = (1.0 - t_mul ** restarts) / (1.0 - t_mul)
            fraction = (fraction - elapsed) / t_mul ** restarts
        m_factor = jnp.asarray(self.m_mul, dtype) ** restarts
        cosine = 0.5 * m_factor * (1.0 + jnp.cos(jnp.asarray(math.pi, dtype) * fraction))
        return initial * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_CLASSES = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                         InverseTimeDecay, CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule):
    """A JSON-friendly description of a schedule, in Keras's format.

    >>> serialize(ExponentialDecay(0.1, 10, 0.5))["class_name"]
    'ExponentialDecay'
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError("serialize: expected a LearningRateSchedule; received "
                        f"{type(learning_rate_schedule).__name__}.")
    return {"module": "keras.optimizers.schedules", "class_name": type(learning_rate_schedule).__name__,
            "config": learning_rate_schedule.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """Rebuild a schedule from `serialize` output; custom classes resolve through `custom_objects`.

    >>> deserialize({"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 100}})
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"schedules.deserialize: expected a dict with 'class_name'; received {config!r}.")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"Unknown learning rate schedule {name!r}. Valid names: {sorted(_CLASSES)}; pass custom "
                         f"schedules in custom_objects={{'{name}': cls}}.")
    return cls.from_config(config.get("config", {}))


register_namespace("keras.optimizers.schedules", globals())  # configs name these classes and functions
