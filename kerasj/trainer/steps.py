"""Pure, jitted programs that run a model's stateful steps over many batches (DESIGN.md sections 1 and 4).

Each program takes the state as a flat tuple of arrays (one per Variable, in a fixed order), the whole
in-memory dataset, and a `[K, B]` matrix of sample indices. It runs `K` steps in one `lax.scan`: each step
gathers its batch on the device, opens a StateScope mapping the Variables to the carried arrays, calls the
model's ordinary stateful `train_step` / `test_step` / `predict_step`, and carries the scope's new values.
Chunks padded to `K` steps skip the padding with `lax.cond`, so one compiled program serves every chunk.
"""
import signal
import threading

import jax
import jax.numpy as jnp
import numpy as np

from kerasj.trainer import data as data_utils
from kerasj.variables import pure


def _gather(data, rows):
    # Under a distribution each gathered batch is split along its batch axis (decided while tracing).
    return data_utils.constrain_batch(jax.tree_util.tree_map(lambda a: a[rows], data))


def _placed_state(state_vars):
    """The state's arrays for a compiled call; under a distribution, state created before it was set is
    first replicated onto its mesh (one compiled call cannot mix devices)."""
    placement = data_utils.batch_placement()
    if placement is not None:
        placement.place_state(state_vars)
    return tuple(v._value for v in state_vars)


def _keep_layouts(state_vars, state):
    """Inside a compiled program: under a distribution, the new state keeps each Variable's sharding."""
    placement = data_utils.batch_placement()
    return state if placement is None else placement.constrain_state(state_vars, state)


def _run_stateful(state_vars, state, fn, batch):
    new_state, out = pure(fn, state_vars)(state, batch)
    return tuple(new_state), out


class _DeferInterrupt:
    """Hold Ctrl-C until the new state is written back, so an interrupted fit leaves the Variables holding
    the last completed step's arrays (the old ones may have been donated to the call)."""

    def __enter__(self):
        self.pending = False
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            try:
                self.previous = signal.signal(signal.SIGINT, self._hold)
            except ValueError:  # not allowed here (e.g. embedded interpreter)
                self.previous = None
        return self

    def _hold(self, signum, frame):
        self.pending = True

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        if self.pending and exc[0] is None:
            raise KeyboardInterrupt
        return False


def _zeros(spec):
    return jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), spec)


def _donated():
    return (0,) if jax.default_backend() != "cpu" else ()  # CPU ignores donation and warns about it


class StepProgram:
    """A compiled multi-step program over `state_vars` for `step_fn` (e.g. model.train_step).

    `program(data, indices, n_valid, reset)` runs the steps, writes the new state back into the Variables
    (a reference swap), and returns the outputs of the last valid step — or, with `stack_outputs=True`
    (predict), every step's outputs stacked. With `reset` true, `reset_fn` (e.g. resetting the metrics at the
    start of an epoch) runs inside the program first, so it costs no host work. With
    `stop_on_nonfinite_loss=True` (what `TerminateOnNaN` asks for) the chunk stops at the first step whose
    `loss` is NaN or infinite, keeping the weights of the step before it (see `_program`). `trace_count`
    counts compilations, for tests.
    """

    def __init__(self, state_vars, step_fn, stack_outputs=False, jit=True, cleanup=None, reset_fn=None,
                 kept_on_stop=()):
        self.state_vars = list(state_vars)
        self.step_fn = step_fn
        self.stack_outputs = stack_outputs
        self.cleanup = cleanup
        self.reset_fn = reset_fn
        # Variables a step stopped for a non-finite loss still updates (the metrics, so the logs report the
        # bad loss as Keras's do); every other variable keeps its value from before that step.
        kept = {id(v) for v in kept_on_stop}
        self._reverted_on_stop = tuple(id(v) not in kept for v in self.state_vars)
        self.trace_count = 0
        self.steps_run = None
        self.jit = jit
        self._variants = {}
        epochs = self._epochs_program
        if jit:
            epochs = jax.jit(epochs, donate_argnums=_donated())
        self._epochs = epochs

    def _variant(self, padded, guard):
        """The compiled program for chunks that are padded (or not) and stop at a non-finite loss (or not).
        Separate programs rather than static arguments, so that jax.jit's fast C++ dispatch path applies."""
        fn = self._variants.get((padded, guard))
        if fn is None:
            def fn(state, data, indices, n_valid, reset):
                return self._program(state, data, indices, n_valid, reset, padded=padded, guard=guard)
            if self.jit:
                fn = jax.jit(fn, donate_argnums=_donated())
            self._variants[(padded, guard)] = fn
        return fn

    def _reset(self, state, reset):
        if self.reset_fn is None:
            return state
        fresh = tuple(pure(self.reset_fn, self.state_vars)(state)[0])
        return tuple(jnp.where(reset, f, s) if f is not s else s for f, s in zip(fresh, state))

    def _one_step(self, state, rows, data):
        return _run_stateful(self.state_vars, state, self.step_fn, _gather(data, rows))

    def _epochs_program(self, state, data, full_indices, rest_indices, count):
        """Whole epochs in one call: `full_indices[E, S, B]` (and `rest_indices[E, r]` for a final partial
        batch per epoch), of which the first `count` run. E is a bucket size and `count` a traced number, so
        fits with different epoch counts share one program. Returns the new state and each epoch's final logs
        stacked along E (entries past `count` are zeros)."""
        self.trace_count += 1

        def epoch(state, idx, data):
            full, rest = idx
            state = self._reset(state, True)
            logs = None
            if full.shape[0]:
                state, outs = jax.lax.scan(lambda s, rows: self._one_step(s, rows, data), state, full)
                logs = jax.tree_util.tree_map(lambda o: o[-1], outs)
            if rest is not None:
                state, logs = self._one_step(state, rest, data)
            return state, logs

        # An inner jit traces the epoch (the step once per batch shape) once: eval_shape, which learns the
        # logs' shapes, and lax.cond below reuse that trace instead of running the model's Python again.
        epoch = jax.jit(epoch)
        first = jax.tree_util.tree_map(lambda a: a[0], (full_indices, rest_indices))
        logs_spec = jax.eval_shape(epoch, state, first, data)[1]

        def skip(state, idx, data):
            return state, _zeros(logs_spec)

        def maybe_epoch(state, xs):
            e, idx = xs
            return jax.lax.cond(e < count, epoch, skip, state, idx, data)

        epochs = jnp.arange(full_indices.shape[0])
        state, logs = jax.lax.scan(maybe_epoch, state, (epochs, (full_indices, rest_indices)))
        if self.cleanup is not None:
            self.cleanup()
        return _keep_layouts(self.state_vars, state), logs

    def run_single(self, data):
        """One step on `data` as a whole batch, without gathering (the small-`predict` fast path)."""
        fn = self.__dict__.get("_single")
        if fn is None:
            def single(state, data):
                self.trace_count += 1
                new_state, out = _run_stateful(self.state_vars, state, self.step_fn, data_utils.constrain_batch(data))
                if self.cleanup is not None:
                    self.cleanup()
                # Return only the state the step changed (usually none, in inference): passing every weight
                # back out of the compiled call costs as much as a small forward pass.
                changed = [i for i, (old, new) in enumerate(zip(state, new_state)) if new is not old]
                if self._single_changed is None:
                    self._single_changed = changed
                elif changed != self._single_changed:
                    self._single_all = True  # signatures disagree: this and later traces return everything
                keep = range(len(state)) if self._single_all else self._single_changed
                return _keep_layouts([self.state_vars[i] for i in keep], tuple(new_state[i] for i in keep)), out
            self._single_changed, self._single_all = None, False
            fn = self._single = jax.jit(single) if self.jit else single
        new_values, out = fn(_placed_state(self.state_vars), data)
        keep = range(len(self.state_vars)) if len(new_values) == len(self.state_vars) else self._single_changed
        for i, value in zip(keep, new_values):
            self.state_vars[i]._set_value_unchecked(value)
        return data_utils.local_outputs(out, axis=0) if self.stack_outputs else out

    def run_epochs(self, data, full_indices, rest_indices, count=None):
        """Run the first `count` (default all) of the epochs planned in `full_indices` / `rest_indices` in one
        compiled call (see `_epochs_program`); returns their logs."""
        count = full_indices.shape[0] if count is None else count
        state = _placed_state(self.state_vars)
        with _DeferInterrupt():
            new_state, logs = self._epochs(state, data, full_indices, rest_indices, np.int32(count))
            self._write_back(new_state)
        return jax.tree_util.tree_map(lambda v: v[:count], logs)

    def _write_back(self, new_state):
        for v, value in zip(self.state_vars, new_state):
            v._set_value_unchecked(value)

    def _program(self, state, data, indices, n_valid, reset, padded, guard):
        """`indices.shape[0]` steps in one scan, of which the first `n_valid` run (`padded`). With `guard`, a
        step whose logs report a non-finite `loss` is the last: its update of the model and optimizer is
        undone (so the weights stay those of the last finite step), and the steps after it are skipped, as
        if training had stopped by hand there. Returns the state, the last step's outputs (or all of them,
        with `stack_outputs`) and the number of steps run."""
        self.trace_count += 1
        state = self._reset(state, reset)
        one_step, out_shape = self._one_step, None
        if padded or guard:
            # Traced once (see `_epochs_program`): eval_shape and lax.cond share the inner jit's trace. A fresh
            # function, so that trace is never one cached from another program's (a bound method compares equal).
            one_step = jax.jit(lambda state, rows, data: self._one_step(state, rows, data))
            out_shape = jax.eval_shape(one_step, state, indices[0], data)[1]
        watch = guard and isinstance(out_shape, dict) and "loss" in out_shape

        def skip(s, rows, data):
            return s, _zeros(out_shape)

        def body(carry, step):
            state, stopped = carry
            i, rows = step
            if not (padded or watch):
                new_state, out = one_step(state, rows, data)
                return (new_state, stopped), (out, jnp.bool_(True))
            run = (i < n_valid) & ~stopped
            new_state, out = jax.lax.cond(run, one_step, skip, state, rows, data)
            if watch:
                bad = run & ~jnp.all(jnp.isfinite(out["loss"]))
                new_state = tuple(jnp.where(bad, old, new) if revert else new
                                  for old, new, revert in zip(state, new_state, self._reverted_on_stop))
                stopped = stopped | bad
            return (new_state, stopped), (out, run)

        (state, _), (outs, runs) = jax.lax.scan(body, (state, jnp.bool_(False)),
                                                (jnp.arange(indices.shape[0]), indices))
        ran = jnp.sum(runs, dtype=jnp.int32) if (padded or watch) else jnp.int32(indices.shape[0])
        if self.cleanup is not None:
            self.cleanup()  # drop tracers left on Python objects during tracing (e.g. add_loss values)
        state = _keep_layouts(self.state_vars, state)
        if self.stack_outputs:
            return state, outs, ran
        return state, jax.tree_util.tree_map(lambda o: o[ran - 1], outs), ran

    def __call__(self, data, indices, n_valid, reset=False, stop_on_nonfinite_loss=False):
        """Run the chunk and write the new state back; returns its outputs. `steps_run` tells how many steps
        ran (fewer than `n_valid` only when `stop_on_nonfinite_loss` stopped at a non-finite loss)."""
        state = _placed_state(self.state_vars)
        fn = self._variant(n_valid < indices.shape[0], bool(stop_on_nonfinite_loss))
        args = (state, data, indices, np.int32(n_valid), np.bool_(reset))
        with _DeferInterrupt():
            if self.jit:
                new_state, outs, ran = fn(*args)
            else:
                with jax.disable_jit():  # run_eagerly: every op runs in Python, for debugging
                    new_state, outs, ran = fn(*args)
            self._write_back(new_state)
        # Reading the count waits for the device, so only a guarded call does it.
        self.steps_run = int(ran) if stop_on_nonfinite_loss else n_valid
        # predict, with several processes: each returns the outputs of its own rows, as it passed them.
        return data_utils.local_outputs(outs, axis=1) if self.stack_outputs else outs
