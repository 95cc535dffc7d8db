"""Pure, jitted programs that run a model's stateful steps over many batches (DESIGN.md sections 1 and 4).

Each program takes the state as a flat tuple of arrays (one per Variable, in a fixed order), the whole
in-memory dataset, and a `[K, B]` matrix of sample indices. It runs `K` steps in one `lax.scan`: each step
gathers its batch on the device, opens a StateScope mapping the Variables to the carried arrays, calls the
model's ordinary stateful `train_step` / `test_step` / `predict_step`, and carries the scope's new values.
Chunks padded to `K` steps skip the padding with `lax.cond`, so one compiled program serves every chunk.
"""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj.variables import StateScope


def _gather(data, rows):
    return jax.tree_util.tree_map(lambda a: a[rows], data)


def _run_stateful(state_vars, state, fn, batch):
    with StateScope(zip(state_vars, state)) as scope:
        out = fn(batch)
        new_state = tuple(scope.values(state_vars))
    return new_state, out


def _backend_donates():
    return jax.default_backend() != "cpu"  # CPU ignores donation and warns about it


class StepProgram:
    """A compiled multi-step program over `state_vars` for `step_fn` (e.g. model.train_step).

    `program(data, indices, n_valid)` runs the steps, writes the new state back into the Variables (a
    reference swap), and returns the outputs of the last valid step — or, with `stack_outputs=True`
    (predict), every step's outputs stacked. `trace_count` counts compilations, for tests.
    """

    def __init__(self, state_vars, step_fn, stack_outputs=False, jit=True, cleanup=None):
        self.state_vars = list(state_vars)
        self.step_fn = step_fn
        self.stack_outputs = stack_outputs
        self.cleanup = cleanup
        self.trace_count = 0
        self.jit = jit
        donate = (0,) if _backend_donates() else ()
        self._fn = jax.jit(self._program, static_argnames=("padded",), donate_argnums=donate) if jit \
            else self._program

    def _program(self, state, data, indices, n_valid, padded):
        self.trace_count += 1
        state_vars = self.state_vars

        def one_step(state, rows):
            return _run_stateful(state_vars, state, self.step_fn, _gather(data, rows))

        if padded:
            out_shape = jax.eval_shape(lambda s, r: one_step(s, r)[1], state, indices[0])

            def skip(s):
                return s, jax.tree_util.tree_map(lambda o: jnp.zeros(o.shape, o.dtype), out_shape)

        def body(state, step):
            i, rows = step
            if padded:
                return jax.lax.cond(i < n_valid, lambda s: one_step(s, rows), skip, state)
            return one_step(state, rows)

        state, outs = jax.lax.scan(body, state, (jnp.arange(indices.shape[0]), indices))
        if self.cleanup is not None:
            self.cleanup()  # drop tracers left on Python objects during tracing (e.g. add_loss values)
        if self.stack_outputs:
            return state, outs
        return state, jax.tree_util.tree_map(lambda o: o[n_valid - 1], outs)

    def __call__(self, data, indices, n_valid):
        state = tuple(v._value for v in self.state_vars)
        padded = n_valid < indices.shape[0]
        if self.jit:
            new_state, outs = self._fn(state, data, indices, np.int32(n_valid), padded=padded)
        else:
            with jax.disable_jit():  # run_eagerly: every op runs in Python, for debugging
                new_state, outs = self._fn(state, data, indices, np.int32(n_valid), padded=padded)
        for v, value in zip(self.state_vars, new_state):
            v._set_value_unchecked(value)
        return outs
