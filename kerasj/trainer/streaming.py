"""In-memory arrays larger than the device budget, streamed to the device in chunks of batches.

An `ArraySource` puts the whole dataset on the device once. When the host arrays (numpy, `np.memmap`) need
more than `kerasj.config.device_array_budget()` bytes there, `make_source` builds a `StreamingArraySource`
instead: the arrays stay on the host, and each compiled call gets its own chunk of batches, gathered on the
host in the epoch's order and transferred on its own. At most two chunks live on the device: while the
program runs on chunk k (dispatch is asynchronous), chunk k+1 is gathered and transferred; before chunk k+2
is put, the call on chunk k must have finished.

The epoch plan (the permutation, the batches, the final partial batch) is the one an `ArraySource` draws,
so training, evaluation and predictions equal the all-on-device path, and each chunk shape compiles once
(a padded last chunk and the final partial batch add at most one program each).

    >>> kerasj.config.set_device_array_budget(64 << 20)
    >>> x = np.memmap("train.f32", np.float32, "r", shape=(1_000_000, 256))   # 1 GB on disk
    >>> model.fit(x, y, batch_size=128)   # chunks of at most 32 MB on the device, two at a time
"""
import collections
import mmap

import jax
import numpy as np

from kerasj import config
from kerasj.trainer import data as data_utils
from kerasj.utils import string_arrays


def _device_itemsize(a):
    """Bytes per element once on the device (floats become floatx, as `data_utils.to_device` converts them,
    and 64-bit integers 32-bit unless jax runs with x64)."""
    dtype = np.dtype(a.dtype)
    return np.dtype(config.floatx() if dtype.kind == "f" else jax.dtypes.canonicalize_dtype(dtype)).itemsize


def device_bytes(tree):
    """Bytes the arrays of `tree` take on the device."""
    return sum(int(np.prod(np.shape(a), dtype=np.int64)) * _device_itemsize(a)
               for a in jax.tree_util.tree_leaves(tree))


def should_stream(x, y, sample_weight, strings):
    """True when numpy arrays (`np.memmap` included) need more device memory than the budget. Other
    arrays (already on the device, or from another library), text (encoded on the host in one go) and data
    under a `kerasj.distribution` (placed on its mesh whole) keep the all-on-device path."""
    leaves = jax.tree_util.tree_leaves((x, y, sample_weight))
    if data_utils.batch_placement() is not None or not all(isinstance(a, np.ndarray) for a in leaves):
        return False
    if strings and any(string_arrays.is_string_array(a) for a in leaves):
        return False
    return device_bytes((x, y, sample_weight)) > config.device_array_budget()


def _take_rows(a, rows):
    """Rows `rows` of host array `a`: a slice when they are consecutive (one sequential read of a memmap)."""
    start = int(rows[0])
    if rows[-1] - start + 1 == rows.size and np.all(np.diff(rows) == 1):
        return a[start:start + rows.size]
    return np.take(a, rows, axis=0)


def _release_pages(a):
    """Drop the pages of a shared, file-backed `np.memmap` from this process's resident set after a chunk was
    read (the OS page cache keeps them; the next read maps them in again). Without it, an epoch over a memmap
    maps in the whole file. (Within one chunk, shuffled rows can still map in whole large page-cache folios.)
    `_mmap` is numpy's attribute for the mapping behind a memmap and its views. Copy-on-write maps (mode "c")
    would lose writes that way and are left alone."""
    mapping = getattr(a, "_mmap", None)
    if isinstance(mapping, mmap.mmap) and getattr(a, "mode", "c") != "c" and hasattr(mmap, "MADV_DONTNEED"):
        try:
            mapping.madvise(mmap.MADV_DONTNEED)
        except (OSError, ValueError):  # a closed map or a kernel that refuses: only memory use is at stake
            pass


class StreamingArraySource:
    """Host arrays `(x, y, sample_weight)` cut into batches of `batch_size` and sent to the device a chunk
    of batches at a time (the source protocol of `kerasj.trainer.sources`); `steps` limits the batches per
    epoch. Each chunk takes at most half of `kerasj.config.device_array_budget()` (a single batch always
    goes, even when it is larger)."""

    can_fuse_epochs = False  # one call per chunk: no epoch holds all its data on the device
    processes = 1

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, steps=None):
        # Validate every array now (dtype, batch dimension) on its first row, as `to_device` would the whole.
        def probe(a, what):
            head = data_utils.to_device(a if np.ndim(a) == 0 else a[:1], what)
            return jax.ShapeDtypeStruct(tuple(np.shape(a)), head.dtype)

        def structs(tree, what):
            return None if tree is None else jax.tree_util.tree_map(lambda a: probe(a, what), tree)

        self.x, self.y, self.sample_weight = x, y, sample_weight
        self._structs = (structs(x, "x"), structs(y, "y"), structs(sample_weight, "sample_weight"))
        self.num_samples = data_utils.check_cardinality(x, y, sample_weight)
        self.batch_size = int(batch_size)
        self.steps = steps
        row_bytes = max(1, device_bytes((x, y, sample_weight)) // max(1, self.num_samples))
        self.max_chunk = max(1, config.device_array_budget() // 2 // (row_bytes * self.batch_size))
        self._in_flight = collections.deque(maxlen=2)

    @property
    def targets(self):
        return self.y

    @property
    def needs_targets(self):
        return self.y is None

    def first_batch_struct(self):
        return data_utils.pack_x_y_sample_weight(*self._structs)

    def num_steps(self):
        full = -(-self.num_samples // self.batch_size)
        return min(full, self.steps) if self.steps else full

    def train_chunk(self, steps_per_execution, per_batch_hooks, verbose):
        return min(self.max_chunk, data_utils.chunk_size_for(self.num_samples // self.batch_size,
                                                             steps_per_execution, per_batch_hooks, verbose))

    def inference_chunk(self, steps_per_execution):
        return min(self.max_chunk, max(1, self.num_samples // self.batch_size))

    def single_batch(self):
        return None  # the data is over the budget: never one call on all of it

    def _put(self, indices):
        """The rows of `indices[K, B]` as device arrays, in that order (a chunk of K batches)."""
        rows = indices.reshape(-1)

        def put(tree, what):
            if tree is None:
                return None
            return jax.tree_util.tree_map(lambda a: data_utils.to_device(_take_rows(a, rows), what), tree)

        chunk = (put(self.x, "x"), put(self.y, "y"), put(self.sample_weight, "sample_weight"))
        for leaf in jax.tree_util.tree_leaves((self.x, self.y, self.sample_weight)):
            _release_pages(leaf)
        return data_utils.pack_x_y_sample_weight(*chunk)

    def dispatches(self, shuffle, chunk):
        """One epoch as compiled calls: yields `(chunk data, arange(K * B)[K, B], n_valid)`."""
        chunks, rest = data_utils.epoch_index_plan(self.num_samples, self.batch_size, shuffle, chunk)
        plan = chunks + ([(rest, 1)] if rest is not None else [])
        self._in_flight.clear()
        for indices, n_valid in data_utils.limit_steps(plan, self.steps):
            if len(self._in_flight) == 2:
                # The call two chunks back must be done before a third chunk goes onto the device.
                jax.block_until_ready(self._in_flight[0])
            local = np.arange(indices.size, dtype=np.int32).reshape(indices.shape)
            yield self._put(indices), local, n_valid

    def dispatched(self, outputs):
        """Record the outputs of the call just made on the last chunk (see `dispatches`)."""
        self._in_flight.append(outputs)
