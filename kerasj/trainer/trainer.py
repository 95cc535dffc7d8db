"""compile / fit / evaluate / predict: the Keras training contract on compiled JAX steps.

The step methods (`train_step`, `test_step`, `predict_step`) are ordinary stateful Keras code and may be
overridden. `fit` runs them inside pure programs (kerasj.trainer.steps) that scan many steps per compiled
call over device-resident data, so small models pay no Python cost per batch.

    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> history = model.fit(x, y, batch_size=64, epochs=5, validation_split=0.1)
    >>> model.evaluate(x_test, y_test)
"""
import functools
import inspect
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from kerasj import config, optimizers
from kerasj import metrics as metrics_module
from kerasj.trainer import compile_config
from kerasj.trainer import data as data_utils
from kerasj.trainer.compile_utils import CompileLoss, CompileMetrics, ordered_log_values
from kerasj.trainer.sources import ArraySource, make_source
from kerasj.trainer.stateless import run_stateless_step
from kerasj.trainer.steps import StepProgram
from kerasj.transforms import value_and_grad
from kerasj.variables import abstract_eval


def _has_parameter(method, name):
    """Whether a hook's signature names the parameter `name`. This is Keras's rule for the optional arguments
    of overridable hooks (`training` of `compute_loss`): an override written before the argument existed,
    or one that collects the rest in `**kwargs`, is called without it."""
    return name in inspect.signature(method).parameters


def _takes_state(method):
    """True for Keras 3's stateless step form `step(self, state, data)`: a step that needs two positional
    arguments. `train_step(self, data)` and `train_step(self, data, extra=None)` are the stateful form."""
    params = inspect.signature(method).parameters.values()
    required = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(required) >= 2


def _unique(variables):
    out, seen = [], set()
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _to_python(logs):
    return {k: float(v) if np.ndim(v) == 0 else np.asarray(v) for k, v in logs.items()}


def _to_numpy_tree(tree):
    return jax.tree_util.tree_map(np.asarray, tree)


class Trainer:
    """Training and inference methods mixed into Model."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self.stop_training = False
        self.history = None
        self.steps_per_execution = 1
        self._run_eagerly = False
        self._programs = {}
        self._checked_signatures = set()

    # -- compile ------------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Configure the model for training.

        Args:
            optimizer: name ("adam", "sgd"), optimizer instance, or an `optax.GradientTransformation`.
            loss: name, function, Loss instance, or a list/dict with one per output.
            loss_weights: scalar weights per output loss (list or dict).
            metrics: names, functions or Metric instances ("accuracy" is resolved from the output shapes).
            weighted_metrics: metrics that use `sample_weight`/`class_weight`.
            run_eagerly: run steps op by op without jit, for debugging.
            steps_per_execution: steps per compiled call when callbacks need per-batch hooks.
            jit_compile: "auto" or True compile the steps with jax.jit; False is the same as run_eagerly=True.
            auto_scale_loss: when the model's dtype policy is "mixed_float16", wrap the optimizer in a
                `LossScaleOptimizer` (dynamic loss scaling, so small float16 gradients do not underflow), as Keras.
        """
        self.optimizer = given_optimizer = optimizers.get(optimizer)
        if (auto_scale_loss is True and self.dtype_policy.name == "mixed_float16"
                and isinstance(self.optimizer, optimizers.Optimizer)
                and not isinstance(self.optimizer, optimizers.LossScaleOptimizer)):
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        compile_config.check_compile_arguments(loss, metrics, weighted_metrics, steps_per_execution, jit_compile,
                                               auto_scale_loss)
        # The compile config names the optimizer as given (Keras saves it unwrapped too); loading re-wraps it.
        self._compile_args = dict(optimizer=given_optimizer, loss=loss, loss_weights=loss_weights, metrics=metrics,
                                  weighted_metrics=weighted_metrics, run_eagerly=run_eagerly,
                                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
        self.loss = loss
        self.loss_weights = loss_weights
        self._compile_loss = CompileLoss(loss, loss_weights) if loss is not None else None
        self._compile_metrics = (CompileMetrics(metrics, weighted_metrics)
                                 if (metrics or weighted_metrics) else None)
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._run_eagerly = bool(run_eagerly) or jit_compile is False
        self.steps_per_execution = steps_per_execution
        self.jit_compile = jit_compile
        self._programs = {}
        self.compiled = True

    def get_compile_config(self):
        """The arguments of `compile` in Keras 3's saved form (None if the model was never compiled), so a
        loaded model can be compiled the same way and continue training."""
        return compile_config.get_compile_config(self)

    def compile_from_config(self, config):
        """Compile from `get_compile_config()` output (also Keras 3's)."""
        compile_config.compile_from_config(self, config)

    @property
    def run_eagerly(self):
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = bool(value)
        self._programs = {}

    # -- metrics ------------------------------------------------------------------------------------
    @property
    def metrics(self):
        """The loss tracker, the compiled metrics, and Metric objects held as attributes."""
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_metrics is not None:
            out.append(self._compile_metrics)
        if self._compile_loss is not None:
            out.extend(t for t in self._compile_loss.trackers if t is not None)
        for value in self.__dict__.values():
            if isinstance(value, metrics_module.Metric) and all(value is not m for m in out):
                out.append(value)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self):
        """Current results of all metrics as a dict (what train_step returns as logs)."""
        logs = {}
        for m in self.metrics:
            result = m.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[m.name] = result
        return logs

    def _ordered_values(self, logs):
        """Log values as Keras lists them (see `compile_utils.ordered_log_values`)."""
        return ordered_log_values(self, logs)

    def _metric_variables(self):
        out = []
        for m in self.metrics:
            out.extend(m.variables)
        return out

    # -- the stateful steps (override these) -------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus every loss added with `add_loss` / weight regularizers."""
        losses = []
        if self._compile_loss is not None:
            if not self._compile_loss.built:
                self._compile_loss.build(self._output_names())
            value = self._compile_loss(y, y_pred, sample_weight)
            if value is not None:
                losses.append(value)
        for extra in self.losses:
            losses.append(jnp.sum(extra).astype(config.floatx()))
        if not losses:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        total = losses[0]
        for value in losses[1:]:
            total = total + value
        return total

    def _compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Call `compute_loss` as Keras does, so overrides with older signatures work: the first four
        arguments by position (any names), `training` only to an override that names it
        (`def compute_loss(self, x, y, y_pred, sample_weight)` predates it)."""
        if _has_parameter(self.compute_loss, "training"):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics and return all metric results."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _track_loss(self, loss, x):
        batch = jax.tree_util.tree_leaves(x)[0].shape[0]
        self._loss_tracker.update_state(loss, sample_weight=batch)

    def train_step(self, data):
        """One optimisation step on a batch; returns logs. Stateful code, compiled by fit."""
        x, y, sample_weight = data_utils.unpack_x_y_sample_weight(data)
        trainable = self.trainable_variables

        def loss_fn():
            y_pred = self(x, training=True)
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
            # Differentiate the scaled loss (`loss_scale_factor`, LossScaleOptimizer's dynamic scale); the
            # optimizer divides the gradients by the same factor. Logs show the unscaled loss.
            return self.optimizer.scale_loss(loss), (loss, y_pred)

        (_, (loss, y_pred)), grads = value_and_grad(loss_fn, trainable, has_aux=True)()
        self.optimizer.apply_gradients(zip(grads, trainable))
        self._track_loss(loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """Loss and metrics on a batch, in inference mode; returns logs."""
        x, y, sample_weight = data_utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._track_loss(loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs on a batch, in inference mode."""
        x, _, _ = data_utils.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # -- preparation ---------------------------------------------------------------------------------
    def _output_names(self):
        graph = getattr(self, "_graph", None)
        if graph is None:
            return ["output"]
        if isinstance(graph.outputs, dict):
            # Outputs are flattened like any dict pytree, in sorted key order (Keras's order too).
            return sorted(graph.outputs)
        return [t._keras_history[0].name for t in graph.output_tensors]

    def _assert_compiled(self, what):
        if not self.compiled:
            raise ValueError(f"You must call `compile()` before using the model for {what}.")

    def _prepare(self, batch_struct, training):
        """Build the model, losses, metrics and optimizer for batches like `batch_struct`, and check that
        the model accepts them, all before anything is compiled."""
        x, y, _ = data_utils.unpack_x_y_sample_weight(batch_struct)
        key = (jax.tree_util.tree_structure(x), tuple((tuple(a.shape[1:]), str(a.dtype))
                                                        for a in jax.tree_util.tree_leaves(x)))
        if not self.built:
            self.build_from_spec(x)
        if key not in self._checked_signatures:
            data_utils.warn_unknown_input_keys(x, getattr(self, "_graph", None))

            self._y_pred_struct = abstract_eval(lambda x: self(x, training=False), x)
            self._clear_losses()
            self._checked_signatures.add(key)
        if y is None:
            return
        if self._compile_loss is not None and not self._compile_loss.built:
            self._compile_loss.build(self._output_names())
        if self._compile_metrics is not None and not self._compile_metrics.built:
            y_pred = self._y_pred_struct
            n_out = len(jax.tree_util.tree_leaves(y_pred))
            if len(jax.tree_util.tree_leaves(y)) != n_out:
                raise ValueError(f"The model has {n_out} outputs but {len(jax.tree_util.tree_leaves(y))} target "
                                 "arrays were given.")
            self._compile_metrics.build(self._output_names(), y, y_pred)
            # Some metrics (F1Score, multi-label AUC) create their variables on the first update: run one
            # abstract update now so those variables exist, concretely, before any step is compiled.
            abstract_eval(self._compile_metrics.update_state, y, y_pred)
        if training and self.optimizer is not None and not getattr(self.optimizer, "built", False):
            self.optimizer.build(self.trainable_variables)

    def _state_variables(self, training):
        variables = list(self.variables)
        if training:
            variables += list(self.optimizer.variables)
        variables += self._metric_variables()
        return _unique(variables)

    def _program(self, kind):
        training = kind == "train"
        state_vars = self._state_variables(training) if kind != "predict" else _unique(self.variables)
        key = (kind, tuple(id(v) for v in state_vars), tuple(v.trainable for v in state_vars), self._run_eagerly,
               type(self).train_step, type(self).test_step, type(self).predict_step)
        program = self._programs.get(kind)
        if program is None or program.key != key:
            step = {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}[kind]
            if _takes_state(step):
                step = functools.partial(run_stateless_step, self, kind, step)
            program = StepProgram(state_vars, step, stack_outputs=kind == "predict",
                                  jit=not self._run_eagerly, cleanup=self._clear_losses,
                                  reset_fn=None if kind == "predict" else self.reset_metrics,
                                  kept_on_stop=self._metric_variables() if training else ())
            program.key = key
            self._programs[kind] = program
        return program

    # -- data ----------------------------------------------------------------------------------------
    def _make_source(self, where, *args, **kwargs):
        """`kerasj.trainer.sources.make_source`, plus the check of in-memory sparse labels against the
        model's outputs (which needs the model built for the data)."""
        source = make_source(where, *args, strings=self._takes_strings(), **kwargs)
        if source.targets is not None and self._compile_loss is not None:
            self._prepare(source.first_batch_struct(), training=False)
            self._compile_loss.check_sparse_labels(where, source.targets, self._y_pred_struct)
        return source

    # -- fit -----------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for `epochs` epochs; returns a History whose `.history` maps log names to per-epoch values.

        `x` may be arrays (numpy or jax; lists/dicts for multi-input models, dict keys matched to Input names),
        a generator or iterable of `(x, y)` / `(x, y, sample_weight)` batches, or a `kerasj.utils.PyDataset`.
        """
        from kerasj.callbacks import CallbackList  # callbacks sit above the trainer (they use saving)
        self._assert_compiled("training (fit)")
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"fit: epochs must be a non-negative int; received {epochs!r}")
        if config.max_epochs() and config.max_epochs() < epochs:  # a debugging cap, as in Keras
            warnings.warn(f"Limiting epochs to {config.max_epochs()}", stacklevel=2)
            epochs = config.max_epochs()
        if not 0 <= validation_split < 1:
            raise ValueError(f"fit: validation_split must be in [0, 1); received {validation_split!r}")
        if validation_split and validation_data is None:
            x, y = data_utils.standardize_input(x), data_utils.standardize_input(y)
            if not data_utils.is_array_data(x):
                raise ValueError("fit: validation_split is only supported for array data; pass validation_data "
                                 "for generators and datasets.")
            (x, y, sample_weight), validation_data = data_utils.split_arrays(x, y, sample_weight, validation_split)
        train = self._make_source("fit", x, y, sample_weight, batch_size, steps_per_epoch, class_weight)
        # Targets are needed only by the compiled loss: not by a model trained through its own train_step or
        # compute_loss (a Distiller), nor by one compiled without a loss (trained by add_loss), as in Keras.
        if (train.needs_targets and self.loss is not None and not self._custom_train_step()
                and type(self).compute_loss is Trainer.compute_loss):
            raise ValueError("fit: `y` (the targets) is required when `x` is an array.")
        val = None
        if validation_data is not None:
            if isinstance(validation_data, (tuple, list)) and data_utils.is_array_data(tuple(validation_data)):
                vx, vy, vsw = data_utils.unpack_x_y_sample_weight(tuple(validation_data))
                val = self._make_source("fit (validation_data)", vx, vy, vsw,
                                        validation_batch_size or batch_size, validation_steps)
            else:
                val = self._make_source("fit (validation_data)", validation_data, steps=validation_steps)
        self._prepare(train.first_batch_struct(), training=True)
        if val is not None:
            self._prepare(val.first_batch_struct(), training=False)
        verbose = 1 if verbose == "auto" else verbose
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=epochs, steps=train.num_steps())
        guard = callbacks.stops_on_nonfinite_loss()
        chunk = train.train_chunk(self.steps_per_execution, callbacks.needs_batch_hooks(), verbose)
        program = self._program("train")
        self.stop_training = False
        callbacks.on_train_begin()
        # A callback resuming an interrupted run (BackupAndRestore) restores the state in on_train_begin and
        # sets the first epoch still to run; it applies to this fit only.
        resume_epoch = getattr(self, "_initial_epoch_override", None)
        if resume_epoch is not None:
            self._initial_epoch_override = None
            initial_epoch = resume_epoch
        logs, step_logs = {}, None
        if self._can_fuse_epochs(train, val, callbacks, verbose):
            logs = self._fit_fused(program, train, shuffle, initial_epoch, epochs, callbacks)
            return self._finish_fit(callbacks, logs)
        for epoch in range(initial_epoch, epochs):
            callbacks.on_epoch_begin(epoch)  # metrics are reset inside the epoch's first compiled call
            step = 0
            for data, indices, n_valid in train.dispatches(shuffle, chunk):
                callbacks.on_train_batch_begin(step)
                step_logs = program(data, indices, n_valid, reset=step == 0, stop_on_nonfinite_loss=guard)
                train.dispatched(step_logs)
                step += program.steps_run
                callbacks.on_train_batch_end(step - 1, step_logs)
                if self.stop_training:
                    break
            if step == 0:
                warnings.warn("fit: the training data ran out (no batch in this epoch); stopping. Pass "
                              "steps_per_epoch, or a dataset that can be iterated once per epoch.", stacklevel=2)
                break
            logs = _to_python(step_logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_source(val, callbacks)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        return self._finish_fit(callbacks, logs)

    def _finish_fit(self, callbacks, logs):
        # With use_ema the optimizer's moving averages become the weights, as Keras does after fit.
        finalize = getattr(self.optimizer, "finalize_variable_values", None)
        if finalize is not None:
            finalize(self.trainable_weights)
        callbacks.on_train_end(logs)
        return self.history

    def _can_fuse_epochs(self, train, val, callbacks, verbose):
        """Several epochs per compiled call are invisible to the user when nothing looks between epochs:
        a source that allows it (in-memory arrays), no validation, nothing printed, no callback but History."""
        from kerasj.callbacks import History  # callbacks sit above the trainer (they use saving)
        return (train.can_fuse_epochs and val is None and verbose == 0 and not self._run_eagerly
                and all(isinstance(c, History) for c in callbacks.callbacks))

    def _fit_fused(self, program, train, shuffle, initial_epoch, epochs, callbacks):
        logs = {}
        for start, count, data, full, rest in train.fused_epochs(initial_epoch, epochs, shuffle):
            epoch_logs = _to_numpy_tree(program.run_epochs(data, full, rest, count))
            for i in range(count):
                callbacks.on_epoch_begin(start + i)
                logs = {k: float(v[i]) for k, v in epoch_logs.items()}
                callbacks.on_epoch_end(start + i, logs)
        return logs

    def _custom_train_step(self):
        return type(self).train_step is not Trainer.train_step

    # -- evaluate --------------------------------------------------------------------------------------
    def _evaluate_source(self, source, callbacks):
        program = self._program("test")
        callbacks.on_test_begin()
        logs, step = {}, 0
        for data, indices, n_valid in source.dispatches(False, source.inference_chunk(self.steps_per_execution)):
            callbacks.on_test_batch_begin(step)
            logs = program(data, indices, n_valid, reset=step == 0)
            source.dispatched(logs)
            step += n_valid
            callbacks.on_test_batch_end(step - 1, logs)
        logs = _to_python(logs)
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on the given data: a scalar, a list (loss first), or a dict with return_dict=True."""
        from kerasj.callbacks import CallbackList  # callbacks sit above the trainer (they use saving)
        if kwargs:  # Keras accepts only its private `_use_cached_eval_dataset` here
            kwargs.pop("_use_cached_eval_dataset", None)
            if kwargs:
                raise ValueError(f"evaluate: arguments not recognized: {sorted(kwargs)}")
        self._assert_compiled("evaluation (evaluate)")
        source = self._make_source("evaluate", x, y, sample_weight, batch_size, steps)
        self._prepare(source.first_batch_struct(), training=False)
        verbose = 1 if verbose == "auto" else verbose
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                                 steps=source.num_steps())
        logs = self._evaluate_source(source, callbacks)
        return logs if return_dict else self._ordered_values(logs)

    # -- predict ---------------------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for all samples in `x`, as numpy arrays (batched, in inference mode)."""
        from kerasj.callbacks import CallbackList  # callbacks sit above the trainer (they use saving)
        if verbose == 0 and callbacks is None and steps is None and type(self).predict_step is Trainer.predict_step:
            outputs = self._small_predict(x, batch_size)
            if outputs is not None:
                return outputs
        source = self._make_source("predict", x, batch_size=batch_size, steps=steps)
        self._prepare(source.first_batch_struct(), training=False)
        verbose = 1 if verbose == "auto" else verbose
        single = source.single_batch() if verbose == 0 and callbacks is None and not self._run_eagerly else None
        if single is not None:
            # A single batch with nothing watching: one compiled call on the data as it is.
            return jax.tree_util.tree_map(np.asarray, self._program("predict").run_single(single))
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1,
                                 steps=source.num_steps())
        program = self._program("predict")
        callbacks.on_predict_begin()
        pieces, step = [], 0
        for data, indices, n_valid in source.dispatches(False, source.inference_chunk(self.steps_per_execution)):
            callbacks.on_predict_batch_begin(step)
            outs = program(data, indices, n_valid)
            outs = jax.tree_util.tree_map(lambda o: np.asarray(o)[:n_valid].reshape((-1,) + o.shape[2:]), outs)
            pieces.append(outs)
            step += n_valid
            callbacks.on_predict_batch_end(step - 1, {"outputs": outs})
        result = pieces[0] if len(pieces) == 1 else jax.tree_util.tree_map(
            lambda *parts: np.concatenate(parts), *pieces)
        callbacks.on_predict_end()
        return result

    def _small_predict(self, x, batch_size):
        """`predict` of at most one batch of plain arrays (one array, or a dict naming exactly the model's
        inputs) through `_inference_call`, skipping the data pipeline; None where that does not apply."""
        if not isinstance(x, (np.ndarray, jax.Array, dict)):
            return None
        leaves = jax.tree_util.tree_leaves(x)
        if not leaves or not all(isinstance(a, (np.ndarray, jax.Array)) and a.ndim for a in leaves):
            return None
        rows = {a.shape[0] for a in leaves}
        if len(rows) != 1 or not 0 < rows.pop() <= (batch_size or 32):
            return None
        outputs = self._inference_call(x)
        return None if outputs is None else jax.tree_util.tree_map(np.asarray, outputs)

    def _inference_call(self, x):
        """`self(x, training=False)` through a compiled forward where the model has one, else None (graph
        models answer; see kerasj.models.model)."""
        return None

    # -- single batches --------------------------------------------------------------------------------
    def _one_batch(self, kind, x, y=None, sample_weight=None):
        x, y = data_utils.standardize_input(x), data_utils.standardize_input(y)
        source = ArraySource(x, y, sample_weight)
        self._prepare(source.first_batch_struct(), training=kind == "train")
        indices = np.arange(source.num_samples, dtype=np.int32)[None, :]
        # As in Keras 3, each call reports this batch alone: the metrics start afresh.
        return self._program(kind)(source.batch(), indices, 1, reset=kind != "predict")

    def _format_logs(self, logs, return_dict):
        logs = _to_python(logs)
        return logs if return_dict else self._ordered_values(logs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on exactly this batch; returns its logs (the metrics are reset first, as in Keras 3).

            >>> loss = model.train_on_batch(x[:32], y[:32])
        """
        self._assert_compiled("training (train_on_batch)")
        if class_weight is not None:
            sample_weight = data_utils.class_weight_to_sample_weight(y, class_weight, sample_weight)
        return self._format_logs(self._one_batch("train", x, y, sample_weight), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics on exactly this batch."""
        self._assert_compiled("evaluation (test_on_batch)")
        return self._format_logs(self._one_batch("test", x, y, sample_weight), return_dict)

    def predict_on_batch(self, x):
        """Model outputs on exactly this batch, as numpy arrays."""
        outs = self._one_batch("predict", x)
        return jax.tree_util.tree_map(lambda o: np.asarray(o[0]), outs)
