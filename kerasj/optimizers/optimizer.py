"""The optimizer base class: everything an optimizer does around its per-variable update rule.

An optimizer's state (step counter, learning rate, slot variables such as momentums) lives in kerasj
Variables, and every write is a `Variable.assign`. So the same `apply_gradients` runs eagerly, and inside a
compiled step that maps the model's and the optimizer's variables to traced values (`kerasj.variables.pure`):

    >>> optimizer = kerasj.optimizers.SGD(0.1)
    >>> optimizer.build(model.trainable_variables)      # create slots eagerly, before compiling
    >>> state = model.trainable_variables + optimizer.variables
    >>> apply = pure(lambda grads: optimizer.apply_gradients(zip(grads, model.trainable_variables)), state)
    >>> new_values, _ = jax.jit(apply)([v.value for v in state], grads)

One call of `apply` does, in Keras 3's order: drop variables without gradients, undo loss scaling, and then
(every `gradient_accumulation_steps` calls, with the mean of the accumulated gradients) clip the gradients,
apply decoupled weight decay, run `update_step` for each variable; then update the moving averages (use_ema),
add one to the step counter, and project variables that have a `constraint`.
"""
import re
import warnings

import jax
import jax.numpy as jnp

from kerasj import config, initializers
from kerasj.optimizers import schedules
from kerasj.utils import naming
from kerasj.variables import Variable, name_scope, pure


def _is_number(x):
    try:
        value = jnp.asarray(x.value if isinstance(x, Variable) else x)
    except (TypeError, ValueError):
        return False
    return value.ndim == 0 and (jnp.issubdtype(value.dtype, jnp.floating) or
                                jnp.issubdtype(value.dtype, jnp.integer))


def clip_by_norm(value, clip_norm):
    """`value` rescaled so that its L2 norm is at most `clip_norm` (an all-zero tensor stays zero)."""
    squared = jnp.sum(jnp.square(value))
    # The double `where` keeps the gradient of sqrt finite at 0.
    norm = jnp.where(squared > 0, jnp.sqrt(jnp.where(squared > 0, squared, 1.0)), squared)
    return value * clip_norm / jnp.maximum(norm, clip_norm)


def clip_by_global_norm(values, clip_norm):
    """`values` all rescaled by one factor so that their joint L2 norm is at most `clip_norm`.

    A non-finite joint norm makes every value NaN, as in Keras (so a divergence is seen, not hidden).
    """
    norm = jnp.sqrt(sum(jnp.sum(jnp.square(v)) for v in values))
    scale = clip_norm * jnp.minimum(1.0 / norm, 1.0 / clip_norm) + (norm - norm)
    return [v * scale.astype(v.dtype) for v in values]


class Optimizer:
    """Base class of kerasj optimizers (Keras 3's `keras.optimizers.Optimizer`).

    Subclasses create their slot variables in `build(var_list)` (calling `super().build(var_list)` first) and
    implement `update_step(gradient, variable, learning_rate)` with `Variable.assign`-style writes.

    Args:
        learning_rate: a float, a `LearningRateSchedule` (called with the step counter), or a callable taking
            no arguments. A float is held in a Variable, so `optimizer.learning_rate = 0.01` takes effect
            on the next step without recompiling.
        weight_decay: decoupled weight decay: before each update, `w -= w * weight_decay * learning_rate`.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to `[-clipvalue, clipvalue]`.
        global_clipnorm: clip all gradients together to this joint L2 norm. At most one of the three
            clipping arguments may be set.
        use_ema: keep an exponential moving average of the variables (`ema_momentum`), and with
            `ema_overwrite_frequency=n` copy it into the variables every n steps.
        loss_scale_factor: gradients are divided by it before anything else (see `scale_loss`).
        gradient_accumulation_steps: update only every n calls, with the mean of the n gradients.
        name: defaults to the snake-cased class name, made unique ("adam", "adam_1", ...).

    Example: a custom optimizer
        >>> class SignSGD(Optimizer):
        ...     def update_step(self, gradient, variable, learning_rate):
        ...         variable.assign_sub(jnp.sign(gradient) * jnp.asarray(learning_rate, variable.dtype))
        >>> SignSGD(learning_rate=0.01).apply_gradients(zip(grads, model.trainable_variables))
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        cls = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn(f"{cls}: argument `decay` is no longer supported and is ignored; for the old behaviour "
                          "use learning_rate=kerasj.optimizers.schedules.InverseTimeDecay(learning_rate, "
                          "decay_steps=1, decay_rate=decay).", stacklevel=2)
        if kwargs:
            hint = " (use `learning_rate`)" if "lr" in kwargs else ""
            raise ValueError(f"{cls}: argument(s) not recognized: {kwargs}{hint}.")
        clip_args = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clip_args.values()) > 1:
            raise ValueError(f"{cls}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set; "
                             f"received clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}.")
        for arg, value in [*clip_args.items(), ("weight_decay", weight_decay),
                           ("loss_scale_factor", loss_scale_factor)]:
            if value is not None and not _is_number(value):
                raise TypeError(f"{cls}: `{arg}` must be a number or None; received {arg}={value!r}.")
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"{cls}: `ema_momentum` must be in the range [0, 1]; received "
                                 f"ema_momentum={ema_momentum}.")
            if ema_overwrite_frequency is not None and (not isinstance(ema_overwrite_frequency, int)
                                                        or ema_overwrite_frequency < 0):
                raise ValueError(f"{cls}: `ema_overwrite_frequency` must be None or a non-negative int; received "
                                 f"ema_overwrite_frequency={ema_overwrite_frequency!r}.")
        if gradient_accumulation_steps is not None and (not isinstance(gradient_accumulation_steps, int)
                                                        or gradient_accumulation_steps < 2):
            raise ValueError(f"{cls}: `gradient_accumulation_steps` must be an integer >= 2; received "
                             f"gradient_accumulation_steps={gradient_accumulation_steps!r}.")
        self.name = name or naming.uniquify(naming.to_snake_case(cls))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []  # slots, in creation order
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        self._exclude_from_weight_decay = set()
        self._exclude_from_weight_decay_names = []
        with name_scope(self.name):
            self._iterations = Variable(0, dtype=jax.dtypes.canonicalize_dtype(jnp.int64), trainable=False,
                                        name="iteration")
        self._learning_rate = self._build_learning_rate(learning_rate)

    # -- learning rate ---------------------------------------------------------------------------------
    def _build_learning_rate(self, learning_rate):
        if isinstance(learning_rate, schedules.LearningRateSchedule) or (
                callable(learning_rate) and not isinstance(learning_rate, Variable)):
            return learning_rate
        if not _is_number(learning_rate):
            raise ValueError(f"{type(self).__name__}: `learning_rate` must be a float, a LearningRateSchedule or "
                             f"a callable with no arguments; received learning_rate={learning_rate!r}.")
        with name_scope(self.name):
            return Variable(learning_rate, dtype=config.floatx(), trainable=False, name="learning_rate")

    @property
    def learning_rate(self):
        """The current learning rate: the Variable holding it, or the schedule's value at `iterations`."""
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if isinstance(learning_rate, schedules.LearningRateSchedule) or (
                callable(learning_rate) and not isinstance(learning_rate, Variable)):
            self._learning_rate = learning_rate
        elif isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(learning_rate)
        else:
            raise TypeError(f"{type(self).__name__} was created with a schedule or callable as its `learning_rate`, "
                            "so its learning rate cannot be set to a number. Create the optimizer with a float "
                            "`learning_rate` if it must be settable.")

    def _get_current_learning_rate(self):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._learning_rate(self._iterations)
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return self._learning_rate()

    # -- state -----------------------------------------------------------------------------------------
    @property
    def iterations(self):
        """The number of updates applied so far (the step counter Variable; with gradient accumulation, the
        number of real updates, i.e. calls // gradient_accumulation_steps)."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @property
    def variables(self):
        """All state, in Keras 3's order: the step counter, the learning rate (when it is a Variable), then
        the slot variables in the order `build` created them."""
        lr = [self._learning_rate] if isinstance(self._learning_rate, Variable) else []
        return [self._iterations, *lr, *self._variables]

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None):
        """Create a non-trainable state Variable named `<optimizer name>/<name>` and track it.

        `initializer` is an initializer name or callable `(shape, dtype)`, or an array giving the initial value.
        """
        if isinstance(initializer, str):
            initializer = initializers.get(initializer)
        with name_scope(self.name):
            variable = Variable(initializer, shape=shape, dtype=dtype, trainable=False, aggregation=aggregation,
                                name=name or "variable")
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot shaped like `reference_variable`, named after its path (`dense_kernel_momentum`)."""
        name = f"{reference_variable.path.replace('/', '_')}_{name or 'var'}"
        return self.add_variable(reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype, name=name)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Slots for every variable. With a list of names, one list per name, created variable by variable
        (kernel_m, kernel_v, bias_m, bias_v, ...), which is the order Keras 3 lists them in."""
        names = [name] if isinstance(name, str) else list(name)
        slots = [[] for _ in names]
        for variable in trainable_variables:
            for slot_list, slot_name in zip(slots, names):
                slot_list.append(self.add_variable_from_reference(variable, slot_name, initializer))
        return slots[0] if isinstance(name, str) else slots

    def build(self, var_list):
        """Create the optimizer's slots for `var_list`. Call it before compiling a step that applies
        gradients: a compiled step carries only the state it is given, so slots created while tracing it
        would be lost. (`apply` builds on first use when called eagerly.)"""
        var_list = list(var_list)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(var_list, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(var_list, "gradient_accumulator")
        self._trainable_variables = var_list
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(var_list)}
        self.built = True

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[id(variable)]

    def _check_variables_are_known(self, variables):
        for v in variables:
            if id(v) not in self._trainable_variables_indices:
                raise ValueError(f"{type(self).__name__} '{self.name}': unknown variable '{getattr(v, 'path', v)}'. "
                                 "An optimizer can only update the variables it was built with; create a new "
                                 "optimizer for a new set of variables.")

    # -- applying gradients ----------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply `(gradient, variable)` pairs; returns the step counter.

        >>> optimizer.apply_gradients(zip(grads, model.trainable_variables))
        """
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            return self._iterations
        grads, variables = zip(*grads_and_vars)
        return self.apply(grads, variables)

    def apply(self, grads, trainable_variables=None):
        """Apply `grads` to `trainable_variables` (by default, the variables the optimizer was built with).

        >>> optimizer.apply(grads, model.trainable_variables)
        """
        grads = list(grads)
        if not grads:
            return self._iterations
        if trainable_variables is None:
            if not self.built:
                raise ValueError(f"{type(self).__name__}.apply: when `trainable_variables` is not given, the "
                                 "optimizer must already be built; call `optimizer.build(variables)` first.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
            self._check_variables_are_known(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"{type(self).__name__}.apply: got {len(grads)} gradients for "
                             f"{len(trainable_variables)} variables.")
        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        grads, trainable_variables = self._overwrite_with_gradients(grads, trainable_variables)
        if not grads:  # every variable took its gradient as its new value: no update step, as in Keras
            return self._iterations
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        self._backend_apply_gradients(grads, trainable_variables)
        # Constraints project the variables after every update, as Keras does.
        for variable in trainable_variables:
            if getattr(variable, "constraint", None) is not None:
                variable.assign(variable.constraint(variable.value))
        return self._iterations

    def _overwrite_with_gradients(self, grads, variables):
        """Variables marked `overwrite_with_gradient` (float8 scales and amax histories, whose "gradient" is their
        next value) are assigned their gradient and left out of the update, as in Keras. With gradient
        accumulation they take the largest gradient seen over the window, on the update step."""
        kept_grads, kept_vars = [], []
        for g, v in zip(grads, variables):
            if not getattr(v, "overwrite_with_gradient", False):
                kept_grads.append(g)
                kept_vars.append(v)
            elif self.gradient_accumulation_steps:
                is_update = (self._iterations.value + 1) % self.gradient_accumulation_steps == 0
                accumulator = self._accumulated_gradients[self._get_variable_index(v)]
                largest = jnp.maximum(g, accumulator.value)
                v.assign(jnp.where(is_update, largest, v.value))
                accumulator.assign(jnp.where(is_update, jnp.zeros_like(largest), largest))
            else:
                v.assign(g)
        return kept_grads, kept_vars

    def _filter_empty_gradients(self, grads, variables):
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise ValueError(f"{type(self).__name__}: no gradients provided for any variable "
                             f"(variables: {[v.path for v in variables]}).")
        if len(kept) < len(grads):
            missing = [v.path for g, v in zip(grads, variables) if g is None]
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss.",
                          stacklevel=3)
        out_grads, out_vars = [], []
        for g, v in kept:
            g = jnp.asarray(g.value if isinstance(g, Variable) else g)
            if tuple(g.shape) != tuple(v.shape):
                raise ValueError(f"{type(self).__name__}: the gradient for variable '{v.path}' has shape "
                                 f"{tuple(g.shape)}, expected the variable's shape {tuple(v.shape)}.")
            out_grads.append(g)
            out_vars.append(v)
        return out_grads, out_vars

    def _backend_apply_gradients(self, grads, trainable_variables):
        if self.gradient_accumulation_steps:
            self._accumulate_or_update(grads, trainable_variables)
        else:
            self._clip_decay_and_update(grads, trainable_variables)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency:
                overwrite = (self.iterations + 1) % self.ema_overwrite_frequency == 0
                for variable, average in zip(self._trainable_variables, self._model_variables_moving_average):
                    variable.assign(jnp.where(overwrite, average.value, variable.value))
        self._iterations.assign_add(1)

    def _clip_decay_and_update(self, grads, trainable_variables):
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(trainable_variables)
        self._backend_update_step(grads, trainable_variables, self.learning_rate)

    def _accumulate_or_update(self, grads, trainable_variables):
        # Whether this call updates is a traced value under jit, so both outcomes are computed and `where`
        # keeps one: the update (with the mean gradient) or the old values plus a grown accumulator.
        steps = self.gradient_accumulation_steps
        is_update = (self._iterations.value + 1) % steps == 0
        accumulators = [self._accumulated_gradients[self._get_variable_index(v)] for v in trainable_variables]
        touched = list(trainable_variables) + self.variables
        before = [v.value for v in touched]
        new_accumulators = [jnp.where(is_update, jnp.zeros_like(a.value), a.value + g)
                            for a, g in zip(accumulators, grads)]
        mean_grads = [(g + a.value) / steps for g, a in zip(grads, accumulators)]
        self._clip_decay_and_update(mean_grads, trainable_variables)
        for variable, old in zip(touched, before):
            variable.assign(jnp.where(is_update, variable.value, old))
        for accumulator, value in zip(accumulators, new_accumulators):
            accumulator.assign(value)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        for grad, variable in zip(grads, trainable_variables):
            self.update_step(grad, variable, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        """Update one variable from its gradient (subclasses implement this)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_step`.")

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [jnp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # -- weight decay and moving averages --------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt variables from weight decay: those in `var_list`, and those whose name matches (`re.search`)
        any of `var_names` (e.g. `["bias"]`). Must be called before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_from_weight_decay |= {id(v) for v in (var_list or [])}
        self._exclude_from_weight_decay_names += list(var_names or [])

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_from_weight_decay:
            return False
        return not any(re.search(pattern, variable.name) for pattern in self._exclude_from_weight_decay_names)

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                lr = jnp.asarray(self.learning_rate, variable.dtype)
                wd = jnp.asarray(self.weight_decay, variable.dtype)
                variable.assign(variable.value - variable.value * wd * lr)

    def _update_model_variables_moving_average(self, variables):
        # The first step copies the variables, so the average never starts from zeros.
        momentum = jnp.where(self.iterations != 0, self.ema_momentum, 0.0)
        for variable, average in zip(variables, self._model_variables_moving_average):
            m = momentum.astype(variable.dtype)
            average.assign(m * average.value + (1 - m) * variable.value)

    def finalize_variable_values(self, var_list):
        """With use_ema, copy the moving averages into `var_list` (Keras's trainer does this after fit)."""
        if self.use_ema:
            for variable in var_list:
                # A copy: the weight and its average must not share one buffer, which a compiled step that
                # donates its inputs would then donate twice.
                average = self._model_variables_moving_average[self._get_variable_index(variable)].value
                variable.assign(jnp.array(average, copy=True))

    # -- pure form -------------------------------------------------------------------------------------
    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """The pure form of `apply`: returns `(new_trainable_values, new_optimizer_values)` and changes no
        Variable. `optimizer_variables` and `trainable_variables` are values matching `optimizer.variables`
        and the variables the optimizer was built with.

        >>> new_params, new_opt_state = optimizer.stateless_apply(opt_state, grads, params)
        """
        if not self.built:
            raise ValueError(f"To call `stateless_apply`, {type(self).__name__} must be built; call "
                             "`optimizer.build(trainable_variables)` first.")
        optimizer_variables, trainable_variables = list(optimizer_variables), list(trainable_variables)
        if len(optimizer_variables) != len(self.variables):
            raise ValueError(f"stateless_apply: `optimizer_variables` must match {type(self).__name__}().variables "
                             f"one to one; received {len(optimizer_variables)} values for "
                             f"{len(self.variables)} variables.")
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError(f"stateless_apply: `trainable_variables` must match the {len(self._trainable_variables)} "
                             f"variables the optimizer was built with; received {len(trainable_variables)} values.")
        n = len(self._trainable_variables)
        new_values, _ = pure(self.apply, self._trainable_variables + list(self.variables))(
            trainable_variables + optimizer_variables, grads)
        return new_values[:n], new_values[n:]

    def scale_loss(self, loss):
        """`loss * loss_scale_factor` (the gradients are divided by it again in `apply`)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # -- Keras 3 helpers for custom update rules -------------------------------------------------------
    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    # -- weights and config ----------------------------------------------------------------------------
    def set_weights(self, weights):
        """Assign `weights` (arrays, in the order of `variables`)."""
        weights = list(weights)
        variables = self.variables
        if len(weights) != len(variables):
            raise ValueError(f"{type(self).__name__}.set_weights: expected {len(variables)} arrays (one per "
                             f"optimizer variable); received {len(weights)}.")
        for variable, value in zip(variables, weights):
            variable.assign(value)

    def save_own_variables(self, store):
        """Write every variable into `store` under keys "0", "1", ... (Keras's saving format)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Read variables written by `save_own_variables` (the optimizer must be built the same way)."""
        if len(store) != len(self.variables):
            raise ValueError(f"{type(self).__name__} '{self.name}': the saved state has {len(store)} variables, "
                             f"but this optimizer has {len(self.variables)}. Build it on the same model first.")
        for i, variable in enumerate(self.variables):
            variable.assign(store[str(i)])

    def get_config(self):
        """The constructor arguments, with Keras 3's keys."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            learning_rate = schedules.serialize(self._learning_rate)
        elif isinstance(self._learning_rate, Variable):
            learning_rate = float(self._learning_rate.numpy())
        else:
            learning_rate = self._learning_rate  # a callable: kept as is, it has no JSON form
        return {"name": self.name, "learning_rate": learning_rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
