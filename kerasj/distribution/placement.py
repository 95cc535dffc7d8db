"""Where the current distribution puts things: new Variables (their layouts) and the trainer's data, batches
and state. The floors below (`kerasj.variables`, `kerasj.trainer`) never import the distribution; they call the
hooks `install` gives them, and with no distribution set nothing of theirs changes.

- A Variable gets `variable._layout` from `Distribution.get_variable_layout`. A layout that splits it is
  applied as it is created: the initializer runs in `jax.jit(..., out_shardings=...)`, so each device computes
  only its own shards and the whole array never sits on one device. Replicated values are put in place.
- An optimizer slot (created by `add_variable_from_reference`, named `<optimizer>/<variable path with "_">_<slot>`)
  takes the layout of its variable, as Keras passes the reference's layout to the slot.
- In-memory training data is replicated on the mesh; each gathered batch is constrained to the batch layout
  (split along the batch axis) inside the compiled steps; stacked chunks of host batches are put split along
  the batch axis; state created outside the distribution is replicated onto the mesh before a compiled call.
- Several processes (Keras's semantics: each passes its own part of the data, the same number of rows): the
  data is gathered from every process (`gather_processes`, process after process) and placed as above, and the
  sources' index plans address that global row space so that global batch k is every process's local batch k;
  shuffled plans use one permutation of the local rows in every process (`agree_on_rows` shares the seed).
  `predict` hands each process the outputs of its own rows (`local_rows`).
"""
import contextlib
import json
import sys
import weakref

import jax
import numpy as np

from kerasj import initializers, random, variables
from kerasj.distribution.layout_map import TensorLayout
from kerasj.trainer import data as trainer_data

_current = None  # the distribution getter (kerasj.distribution.distribution)
# `path.replace("/", "_")` of each Variable whose layout splits it -> the Variable (for optimizer slots).
_split_variables = weakref.WeakValueDictionary()


def install(current):
    """Connect the Variables and the trainer to `current()` (the current distribution, or None)."""
    global _current
    _current = current
    if not isinstance(variables._layout_hook, VariableLayouts):
        variables.set_layout_hook(VariableLayouts())
    trainer_data.set_distribution_hook(_batch_placement)


def _is_split(layout):
    return any(axis is not None for axis in layout.axes)


def _check_fits(layout, shape, what):
    mesh = layout.device_mesh
    if len(layout.axes) != len(shape):
        raise ValueError(f"{what}: its layout has {len(layout.axes)} axes {layout.axes}, but it has "
                         f"{len(shape)} dimensions (shape {tuple(shape)}).")
    sizes = dict(zip(mesh.axis_names, mesh.shape))
    for dim, axis in zip(shape, layout.axes):
        parts = int(np.prod([sizes[a] for a in (axis if isinstance(axis, tuple) else (axis,))])) if axis else 1
        if dim % parts:
            raise ValueError(f"{what}: dimension of size {dim} cannot be split {parts} ways along mesh axis "
                             f"{axis!r} (layout {layout.axes}, shape {tuple(shape)}, mesh {mesh}).")


def _slot_reference(variable, shape):
    """The split Variable whose optimizer slot `variable` is, per Keras's slot naming, or None."""
    name = variable.name
    for i, char in enumerate(name):
        if char == "_":
            ref = _split_variables.get(name[:i])
            if ref is not None and ref.shape == tuple(shape) and ref is not variable:
                return ref
    return None


def _layout_of(dist, variable, shape, dtype):
    # get_variable_layout reads `variable.shape`, whose value is not set yet: give it a placeholder.
    variable._value = jax.ShapeDtypeStruct(tuple(shape), dtype)
    try:
        layout = dist.get_variable_layout(variable)
    finally:
        del variable._value
    if not _is_split(layout):
        ref = _slot_reference(variable, shape)
        if ref is not None:
            layout = ref._layout
    _check_fits(layout, shape, f"Variable '{variable.path}'")
    variable._layout = layout
    if _is_split(layout):
        _split_variables[variable.path.replace("/", "_")] = variable
    return layout


class VariableLayouts:
    """The hook `kerasj.variables` calls for each new Variable (see `kerasj.variables.set_layout_hook`)."""

    def initialize(self, variable, initializer, shape, dtype):
        dist = _current()
        if dist is None:
            return None
        layout = _layout_of(dist, variable, shape, dtype)
        if not _is_split(layout):
            return None  # every device holds all of it anyway: computed as usual, then placed
        return _initialize_split(initializer, shape, dtype, layout.backend_layout)

    def place(self, variable, value):
        dist = _current()
        if dist is None or isinstance(value, jax.core.Tracer):
            return value
        layout = variable.__dict__.get("_layout") or _layout_of(dist, variable, value.shape, value.dtype)
        sharding = layout.backend_layout
        if value.sharding.is_equivalent_to(sharding, value.ndim):
            return value
        with jax.ensure_compile_time_eval():
            return jax.device_put(value, sharding)

    def active(self):
        """Whether a distribution is set (layer calls skip building their output path otherwise)."""
        return _current() is not None

    def relayout(self, path, outputs):
        """`outputs` of the layer at `path` with the distribution's `get_tensor_layout(path)`, if any."""
        dist = _current()
        layout = dist.get_tensor_layout(path) if dist is not None else None
        if not layout:
            return outputs
        sharding = layout.backend_layout
        return jax.tree_util.tree_map(lambda t: relayout_tensor(t, sharding), outputs)


def _program_key(initializer, shape, dtype, sharding):
    """A key under which the compiled initialization can be reused (optimizer slots: many zeros of one shape),
    for kerasj's own initializers whose config and fixed seed say all about their values; else None."""
    if not isinstance(initializer, initializers.Initializer) or not type(initializer).__module__.startswith(
            "kerasj.") or isinstance(getattr(initializer, "seed", None), random.SeedGenerator):
        return None
    config = json.dumps(initializer.get_config(), sort_keys=True, default=str)
    return type(initializer), config, getattr(initializer, "_draw_seed", None), shape, str(dtype), sharding


_programs = {}


def relayout_tensor(tensor, sharding):
    """`tensor` with `sharding`: a sharding constraint while tracing, else a device_put unless it has it."""
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, sharding)
    if isinstance(tensor, jax.Array) and not tensor.sharding.is_equivalent_to(sharding, tensor.ndim):
        return jax.device_put(tensor, sharding)
    return tensor


def _initialize_split(initializer, shape, dtype, sharding):
    """`initializer(shape, dtype)` computed by each device for its own shards. State the initializer updates
    (a SeedGenerator's counter) is written back afterwards."""
    key = _program_key(initializer, shape, dtype, sharding)
    if key is not None and key in _programs:
        return _programs[key]()[0]
    touched = []

    def create():
        with variables.StateScope(record=True) as scope:
            value = initializer(shape, dtype)
        touched[:] = list(scope.assigned.values())
        return value, [scope.get(v) for v in touched]

    # Variables are created under jax.ensure_compile_time_eval (they must be concrete even when a layer is
    # built inside a traced function), which folds constant computations eagerly, and so would compute the
    # whole array on one device: the program is traced with folding off, then its executable run directly.
    with _constant_folding_off():
        program = jax.jit(create, out_shardings=(sharding, None)).lower().compile()
    value, updates = program()
    if key is not None and not touched:
        _programs[key] = program
    for var, update in zip(touched, updates):
        var.assign(update)
    return value


def _constant_folding_off():
    # No public switch for this flag's context-local value. A JAX without it (a private module may change in any
    # release): the values are computed whole, then placed, which is correct, only not memory-bounded.
    try:
        from jax._src import config as jax_config
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    switch = getattr(jax_config, "eager_constant_folding", None)
    return contextlib.nullcontext() if switch is None else switch(False)


class BatchPlacement:
    """How the trainer places data and state under one distribution (see the module docstring)."""

    def __init__(self, dist):
        mesh = dist.device_mesh.backend_mesh
        self.mesh = mesh
        self.batch_axis = dist.batch_dim_name
        self.batch_parts = mesh.shape[self.batch_axis]
        self.replicated = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
        self._batch = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(self.batch_axis))
        self.processes = jax.process_count()
        self.process = jax.process_index()
        self._distribution = weakref.ref(dist)  # the placements are cached per distribution, weakly

    # -- several processes: each passes its own rows (Keras's semantics) ----------------------------------
    def shard_input(self, where, x):
        """The data `where` (fit / evaluate / predict) reads in this process of a multi-process run, by
        Keras's rule: with `auto_shard_dataset` (the default) only a `tf.data.Dataset` is accepted, and each
        process reads its part of it (`Distribution.distribute_dataset`); without it, each process passes its
        own part of the data (arrays, generators, datasets) and it is used as it is."""
        dist = self._distribution()
        if self.processes == 1 or dist is None or not dist.auto_shard_dataset:
            return x
        tf = sys.modules.get("tensorflow")  # a tf.data.Dataset means tensorflow is already imported
        if tf is None or not isinstance(x, tf.data.Dataset):
            raise ValueError(f"{where}: with several processes and `auto_shard_dataset=True` (the default), the "
                             f"data must be a tf.data.Dataset, which each process then reads its part of; received "
                             f"{type(x).__name__}. If each process already passes its own part of the data, set "
                             "`distribution.auto_shard_dataset = False`.")
        return dist.distribute_dataset(x)

    def agree_on_rows(self, local_rows):
        """Check every process passed `local_rows` rows; returns a seed shared by all processes (process 0's
        draw), for the permutations each draws alike."""
        from jax.experimental import multihost_utils  # only multi-process runs need it

        mine = np.array([local_rows, np.random.randint(0, 2**31 - 1)], dtype=np.int64)
        every = np.asarray(multihost_utils.process_allgather(mine))
        if len(set(every[:, 0].tolist())) != 1:
            raise ValueError(f"Each process must pass the same number of samples (rows of its own part of the "
                             f"data); received {every[:, 0].tolist()} (process order).")
        return int(every[0, 1])

    def gather_processes(self, array):
        """Every process's `array` (same shape in each), concatenated along the first axis in process order,
        on the host: the data each process then puts on the mesh is the same everywhere."""
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(np.asarray(array), tiled=True))

    def local_rows(self, outputs, axis):
        """This process's part (its block of rows along `axis`) of outputs computed on global batches."""
        from jax.experimental import multihost_utils

        def local(a):
            a = np.asarray(multihost_utils.process_allgather(a, tiled=True)) if not a.is_fully_addressable \
                else np.asarray(a)
            rows = a.shape[axis] // self.processes
            return np.take(a, np.arange(self.process * rows, (self.process + 1) * rows), axis=axis)
        return jax.tree_util.tree_map(local, outputs)

    def _split_along_batch(self, shape):
        return len(shape) >= 1 and shape[0] % self.batch_parts == 0

    def put_dataset(self, array):
        """In-memory data, replicated: every device gathers its part of each batch locally."""
        return jax.device_put(array, self.replicated)

    def put_batches(self, array):
        """A chunk of stacked host batches, split along the batch axis (replicated if it does not divide)."""
        return jax.device_put(array, self._batch if self._split_along_batch(array.shape) else self.replicated)

    def constrain_batch(self, batch):
        """Inside a compiled step: each array of the gathered batch split along the batch axis."""
        def constrain(a):
            if isinstance(a, jax.Array) and self._split_along_batch(a.shape):
                return jax.lax.with_sharding_constraint(a, self._batch)
            return a
        return jax.tree_util.tree_map(constrain, batch)

    def _on_mesh(self, value):
        sharding = getattr(value, "sharding", None)
        return isinstance(sharding, jax.sharding.NamedSharding) and sharding.mesh == self.mesh

    def place_state(self, state_vars):
        """Replicate onto the mesh the state created before the distribution was set (a compiled call cannot
        mix arrays committed to one device with arrays on the mesh)."""
        for var in state_vars:
            value = var._value
            if not self._on_mesh(value):
                var._layout = var.__dict__.get("_layout") or _replicated_layout(var)
                var._set_value_unchecked(jax.device_put(value, var._layout.backend_layout))

    def constrain_state(self, state_vars, values):
        """Inside a compiled program: the new state keeps each Variable's sharding."""
        out = []
        for var, value in zip(state_vars, values):
            sharding = getattr(var._value, "sharding", None)
            if isinstance(sharding, jax.sharding.NamedSharding) and isinstance(value, jax.core.Tracer):
                value = jax.lax.with_sharding_constraint(value, sharding)
            out.append(value)
        return tuple(out)


def _replicated_layout(var):
    return TensorLayout([None] * len(var.shape), _current().device_mesh)


_placements = weakref.WeakKeyDictionary()


def _batch_placement():
    dist = _current()
    if dist is None:
        return None
    placement = _placements.get(dist)
    if placement is None:
        placement = _placements[dist] = BatchPlacement(dist)
    return placement
