"""Data sources: user data turned, once, into an object the training loop asks instead of inspecting.

`make_source` validates what `fit` / `evaluate` / `predict` were given and returns one of three sources with
the same protocol:

- `ArraySource`: in-memory arrays (numpy or jax; lists/dicts of them), moved to the device once and batched on
  the device by integer indices, so a whole epoch (or several) can run as one compiled call;
- `kerasj.trainer.streaming.StreamingArraySource`: numpy arrays (memmaps too) larger than
  `kerasj.config.device_array_budget()`, sent to the device a chunk of batches at a time;
- `IterableSource`: batches from a generator, a `kerasj.utils.PyDataset` or any iterable (tf.data, grain, a
  torch DataLoader), read two calls ahead in a background thread and stacked on the host into chunks of
  same-shaped batches.

The protocol: `first_batch_struct()` (shapes and dtypes of a batch, for building and checking the model),
`num_steps()` (for the progress bar; None if unknown), `train_chunk(...)` / `inference_chunk(...)` (steps per
compiled call), `dispatches(shuffle, chunk)` (one epoch as `(data, indices[K, B], n_valid)` calls) and
`dispatched(outputs)` (told each call's outputs), `can_fuse_epochs` with `fused_epochs(...)` (several epochs
per call), `single_batch()` (the data as one batch, for the small-predict fast path), `targets` (the in-memory
targets, if any) and `needs_targets`.

    >>> source = make_source("fit", x_train, y_train, batch_size=64)
    >>> for data, indices, n_valid in source.dispatches(shuffle=True, chunk=source.train_chunk(1, False, 0)):
    ...     source.dispatched(program(data, indices, n_valid))
"""
import math
import warnings

import jax
import numpy as np

from kerasj import config
from kerasj.trainer import data as data_utils
from kerasj.trainer import streaming
from kerasj.utils import prefetch


def _struct(tree):
    return jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(tuple(a.shape), a.dtype), tree)


class ArraySource:
    """Validated in-memory `(x, y, sample_weight)` on the device, cut into batches of `batch_size`; `steps`
    (optional) limits the batches per epoch."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, steps=None, strings=False, split=False):
        if x is None:
            raise ValueError("No input data: `x` is None.")
        # Several processes (Keras's multi-process semantics): each passes its own rows, the same number in
        # every process; the data gathered from all of them is batched in a global row space (see `_plan`).
        self.processes = data_utils.process_count()
        self._rng = None
        if self.processes > 1:
            local_rows = int(np.shape(jax.tree_util.tree_leaves(x)[0])[0])
            self._rng = np.random.default_rng(data_utils.batch_placement().agree_on_rows(local_rows))
        # `split`: the arrays are stacked host batches, put split along a distribution's batch axis.
        self.x = jax.tree_util.tree_map(lambda a: data_utils.to_device(a, "x", strings, split), x)
        self.y = None if y is None else jax.tree_util.tree_map(
            lambda a: data_utils.to_device(a, "y", split=split), y)
        self.sample_weight = (None if sample_weight is None else jax.tree_util.tree_map(
            lambda a: data_utils.to_device(a, "sample_weight", split=split), sample_weight))
        # With several processes these count global rows: `batch_size` rows from each process per batch.
        self.num_samples = data_utils.check_cardinality(self.x, self.y, self.sample_weight)
        self.batch_size = int(batch_size) * self.processes
        self.steps = steps
        self.can_fuse_epochs = steps is None

    @property
    def targets(self):
        return self.y

    @property
    def needs_targets(self):
        """True when the data has no targets (the default train step needs them)."""
        return self.y is None

    def batch(self):
        """The whole dataset as a (x, y, sample_weight) tuple."""
        return data_utils.pack_x_y_sample_weight(self.x, self.y, self.sample_weight)

    def first_batch_struct(self):
        return _struct(self.batch())

    def num_steps(self):
        full = math.ceil(self.num_samples / self.batch_size)
        return min(full, self.steps) if self.steps else full

    def train_chunk(self, steps_per_execution, per_batch_hooks, verbose):
        return data_utils.chunk_size_for(self.num_samples // self.batch_size, steps_per_execution,
                                         per_batch_hooks, verbose)

    def inference_chunk(self, steps_per_execution):
        """All full batches at once: nothing watches evaluate/predict between batches of in-memory data."""
        return max(1, self.num_samples // self.batch_size)

    def single_batch(self):
        """The data as one batch if it fits in one (the small-`predict` fast path), else None."""
        return self.batch() if self.num_samples <= self.batch_size else None

    def _plan(self, shuffle, chunk):
        """One epoch's index plan (see `data_utils.epoch_index_plan`). With several processes, every process
        draws the same permutation of its local rows (a generator seeded alike everywhere), and global batch k
        is every process's local batch k (`data_utils.spread_rows`): training equals a single-process run on
        those global batches."""
        if self.processes == 1:
            return data_utils.epoch_index_plan(self.num_samples, self.batch_size, shuffle, chunk)
        rows, batch = self.num_samples // self.processes, self.batch_size // self.processes
        chunks, rest = data_utils.epoch_index_plan(rows, batch, shuffle, chunk, rng=self._rng)
        spread = lambda block: data_utils.spread_rows(block, rows, self.processes)
        return [(spread(block), n) for block, n in chunks], (None if rest is None else spread(rest))

    def dispatches(self, shuffle, chunk):
        """One epoch as compiled calls: yields `(data, indices[K, B], n_valid)`."""
        chunks, rest = self._plan(shuffle, chunk)
        plan = chunks + ([(rest, 1)] if rest is not None else [])
        data = self.batch()
        for indices, n_valid in data_utils.limit_steps(plan, self.steps):
            yield data, indices, n_valid

    def dispatched(self, outputs):
        """Told the outputs of each compiled call (a streaming source waits on them); nothing to do here."""

    def fused_epochs(self, first, last, shuffle):
        """Several epochs per compiled call: yields `(start, count, data, full[E, S, B], rest[E, r] or None)`
        for epochs `first..last-1`, where E (a power of two >= count) is the program's epoch axis (the extra
        epochs are skipped inside it), so fits with nearby epoch counts share one compiled program."""
        n, b = self.num_samples, self.batch_size
        n_full = n // b
        # Bound the host-built index block (int32) to ~32 MB per call (64 MB once padded).
        per_call = max(1, min(last - first, (8 << 20) // max(1, n)))
        for start in range(first, last, per_call):
            count = min(per_call, last - start)
            bucket = 1 << (count - 1).bit_length()
            plans = [self._plan(shuffle, max(1, n_full)) for _ in range(count)]
            full = np.stack([p[0][0][0] if p[0] else np.zeros((0, b), np.int32) for p in plans])
            rest = np.stack([p[1][0] for p in plans]) if plans[0][1] is not None else None
            full = np.concatenate([full, np.zeros((bucket - count,) + full.shape[1:], full.dtype)])
            if rest is not None:
                rest = np.concatenate([rest, np.zeros((bucket - count,) + rest.shape[1:], rest.dtype)])
            yield start, count, self.batch(), full, rest


class IterableSource:
    """Batches from a Python generator, a `kerasj.utils.PyDataset`, or any iterable of batches (tf.data,
    grain, a torch DataLoader, a list of tuples): consumed by duck typing, never imported.

    `steps` limits the batches per epoch; a one-shot generator then continues where it stopped, as in Keras.
    """

    can_fuse_epochs = False
    targets = None  # only known batch by batch
    needs_targets = False

    def __init__(self, source, steps=None, strings=False):
        self.source = source
        self.steps = steps
        self.strings = strings
        self._is_pydataset = hasattr(source, "__getitem__") and hasattr(source, "__len__") and hasattr(
            source, "on_epoch_end")
        self._one_shot = iter(source) is source if not self._is_pydataset else False
        self._iterator = None
        self._peeked = None

    def _next_iterator(self):
        if self._is_pydataset:
            return (self.source[i] for i in range(len(self.source)))
        if self._one_shot:
            return self.source
        return iter(self.source)

    def peek(self):
        """The first batch (kept, and returned again by the first epoch)."""
        if self._peeked is None:
            self._iterator = self._next_iterator()
            try:
                self._peeked = data_utils.standardize_batch(next(self._iterator), index=0,
                                                                   strings=self.strings)
            except StopIteration:
                raise ValueError("The data is empty: the generator or dataset yielded no batch.") from None
        return self._peeked

    def first_batch_struct(self):
        return _struct(self.peek())

    def num_steps(self):
        if self.steps:
            return self.steps
        try:
            return len(self.source)
        except TypeError:
            return None

    def train_chunk(self, steps_per_execution, per_batch_hooks, verbose):
        # steps_per_execution batches per call (as Keras), so a failing generator loses nothing already trained.
        return steps_per_execution

    def inference_chunk(self, steps_per_execution):
        return steps_per_execution

    def single_batch(self):
        return None

    def epoch(self):
        """Yield the `(x, y, sample_weight)` batches of one epoch."""
        if self._peeked is not None:
            first, iterator = self._peeked, self._iterator
            self._peeked = None
        else:
            first, iterator = None, (self._iterator if (self._one_shot and self.steps) else None)
            iterator = iterator or self._next_iterator()
        self._iterator = iterator
        count = 0
        if first is not None:
            yield first
            count += 1
        while self.steps is None or count < self.steps:
            try:
                batch = next(iterator)
            except StopIteration:
                break
            yield data_utils.standardize_batch(batch, index=count, strings=self.strings)
            count += 1
        if self._is_pydataset:
            self.source.on_epoch_end()

    def dispatches(self, shuffle, chunk):
        """One epoch as compiled calls of up to `chunk` same-shaped batches stacked on the host (a batch of a
        new shape starts a new call): yields `(data, indices[K, B], n_valid)`. `shuffle` is the iterable's
        business. The calls are prepared two ahead in a background thread (`kerasj.utils.prefetch`), so
        the next batch is read and on its way to the device while the current step runs; under a
        distribution (a per-thread setting) they are prepared in the calling thread."""
        if data_utils.batch_placement() is not None:
            return self._chunks(chunk)
        return prefetch.prefetch(self._chunks(chunk), size=2)

    def _chunks(self, chunk):
        pending, signature = [], None
        for batch in self.epoch():
            sig = data_utils.batch_signature(batch)
            if pending and sig != signature:
                yield _stacked(pending)
                pending = []
            pending.append(batch)
            signature = sig
            if len(pending) == chunk:  # dispatch now: a later failing batch must not lose this one
                yield _stacked(pending)
                pending = []
        if pending:
            yield _stacked(pending)

    def dispatched(self, outputs):
        """Told the outputs of each compiled call; nothing to do for host batches."""

    def fused_epochs(self, first, last, shuffle):
        raise NotImplementedError("IterableSource: epochs of host batches cannot be fused into one call.")


def _stacked(batches):
    data, indices = data_utils.stack_batches(batches)
    source = ArraySource(*data, batch_size=indices.shape[1], split=True)
    if source.processes > 1:  # global batch k: every process's batch k (see ArraySource._plan)
        indices = data_utils.spread_rows(indices, source.num_samples // source.processes, source.processes)
    return source.batch(), indices, len(batches)


def _capped_steps(steps):
    """`steps`, limited by `kerasj.config.max_steps_per_epoch()` (a debugging cap, as in Keras)."""
    cap = config.max_steps_per_epoch()
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps


def make_source(where, x, y=None, sample_weight=None, batch_size=None, steps=None, class_weight=None,
                strings=False):
    """Validate user data (for the method named `where`) and wrap it in a source: arrays become an
    ArraySource (default batch size 32), generators, PyDatasets and other iterables an IterableSource.
    `strings`: the model takes text (string arrays in x travel as `EncodedStrings`)."""
    x, y = data_utils.standardize_input(x), data_utils.standardize_input(y)
    placement = data_utils.batch_placement()
    if placement is not None and placement.processes > 1:
        x = placement.shard_input(where, x)  # several processes: Keras's auto_shard_dataset rule
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"{where}: batch_size must be a positive int; received {batch_size!r}")
    if steps is not None and (not isinstance(steps, (int, np.integer)) or steps < 1):
        raise ValueError(f"{where}: steps must be a positive int or None; received {steps!r}")
    steps = _capped_steps(steps)
    if data_utils.is_array_data(x) and x is not None:
        if not data_utils.is_array_data(y) or not data_utils.is_array_data(sample_weight):
            raise TypeError(f"{where}: when x is an array, y and sample_weight must be arrays too.")
        if class_weight is not None:
            sample_weight = data_utils.class_weight_to_sample_weight(y, class_weight, sample_weight)
        batch_size = 32 if batch_size is None else int(batch_size)
        if streaming.should_stream(x, y, sample_weight, strings):
            source = streaming.StreamingArraySource(x, y, sample_weight, batch_size=batch_size, steps=steps)
        else:
            source = ArraySource(x, y, sample_weight, batch_size=batch_size, steps=steps, strings=strings)
        if source.num_samples == 0:
            raise ValueError(f"{where}: the data is empty (0 samples).")
        return source
    if x is None:
        raise ValueError(f"{where}: no input data (x is None).")
    if isinstance(x, (str, bytes)) or not (hasattr(x, "__iter__") or hasattr(x, "__getitem__")):
        raise TypeError(f"{where}: x must be arrays, a generator, a kerasj.utils.PyDataset or an iterable of "
                        f"batches; received {type(x).__name__}.")
    if y is not None or sample_weight is not None:
        raise ValueError(f"{where}: when x is a generator or dataset it yields the targets itself; do not "
                         "pass y or sample_weight.")
    if batch_size is not None:
        raise ValueError(f"{where}: do not pass batch_size when x is a generator or dataset (its batches "
                         "already have a size).")
    if class_weight is not None:
        raise ValueError(f"{where}: class_weight is supported for array data only.")
    return IterableSource(x, steps=steps, strings=strings)
