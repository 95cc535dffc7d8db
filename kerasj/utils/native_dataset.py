"""`NativeDataset`: kerasj's own small input pipeline, an iterable of NumPy elements or batches with the
`tf.data.Dataset` methods that data-loading code uses most (`map`, `batch`, `unbatch`, `shuffle`, `take`,
`cache`, `prefetch`, `len`). It needs neither TensorFlow nor grain; the dataset builders of `kerasj.utils`
return one for `format="native"` (and when neither package is installed), and `fit` / `evaluate` /
`predict` take it directly.

Every method returns a new dataset and leaves the original unchanged; nothing is read before iteration, and
every `iter()` is a fresh pass (a new epoch), as with tf.data.

    >>> ds = NativeDataset.from_tensor_slices((np.arange(6.0), np.arange(6) % 2))
    >>> ds = ds.shuffle(6, seed=1).map(lambda x, y: (x * 2, y)).batch(4)
    >>> [x.shape for x, y in ds], len(ds)
    ([(4,), (2,)], 2)
"""
import itertools
import math

import jax
import numpy as np

from kerasj.utils.prefetch import prefetch

# `prefetch(AUTOTUNE)` reads this many elements ahead (tf.data tunes the depth; two already hide the reading
# of one batch behind the use of the previous one).
AUTOTUNE = -1
_AUTOTUNE_DEPTH = 2


def _as_structure(data):
    """Tuples and dicts stay structures; anything else (a list included, as in tf.data) becomes an array."""
    if isinstance(data, tuple):
        return tuple(_as_structure(part) for part in data)
    if isinstance(data, dict):
        return {key: _as_structure(value) for key, value in data.items()}
    return np.asarray(data)


def stack(elements):
    """Same-structured elements as one batch: each leaf stacked along a new first axis."""
    return jax.tree_util.tree_map(lambda *leaves: np.stack([np.asarray(leaf) for leaf in leaves]), *elements)


def _pad_and_stack(*leaves):
    arrays = [np.asarray(leaf) for leaf in leaves]
    if arrays[0].ndim == 0:
        return np.stack(arrays)
    longest = np.max([a.shape for a in arrays], axis=0)
    return np.stack([np.pad(a, [(0, int(n) - d) for n, d in zip(longest, a.shape)]) for a in arrays])


def pad_stack(elements):
    """Like `stack`, zero-padding each leaf at the end of every axis to the largest shape in the batch (what
    `tf.data.Dataset.padded_batch` does without explicit shapes)."""
    return jax.tree_util.tree_map(_pad_and_stack, *elements)


def _rows(batch):
    leaves, structure = jax.tree_util.tree_flatten(batch)
    for i in range(len(leaves[0]) if leaves else 0):
        yield structure.unflatten([leaf[i] for leaf in leaves])


def _check_count(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        bound = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"NativeDataset: `{name}` must be {bound}. Received: {name}={value!r}")
    return int(value)


def _shuffled(elements, buffer_size, rng):
    """Elements drawn at random from a buffer of `buffer_size` that refills from `elements` (tf.data's
    shuffle algorithm: a full pass needs only the buffer in memory, and a buffer at least the size of the
    data gives a uniform permutation)."""
    buffer = []
    for element in elements:
        if len(buffer) < buffer_size:
            buffer.append(element)
            continue
        slot = int(rng.integers(buffer_size))
        yield buffer[slot]
        buffer[slot] = element
    for slot in rng.permutation(len(buffer)):
        yield buffer[slot]


class NativeDataset:
    """A re-iterable dataset of NumPy elements, built from a function that starts one pass over them.

    Args:
        generate: a callable taking no arguments and returning an iterator over the elements (called once
            per pass, so every epoch starts from the beginning).
        length: the number of elements, or None when unknown (then `len()` raises TypeError, as tf.data does).

    Most code builds one with `NativeDataset.from_tensor_slices`, or gets one from
    `kerasj.utils.image_dataset_from_directory(..., format="native")` and the other builders.

    >>> ds = NativeDataset(lambda: iter(range(5)), length=5).batch(2)
    >>> [b.tolist() for b in ds]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, generate, length=None):
        if not callable(generate):
            raise TypeError(f"NativeDataset: `generate` must be a callable returning an iterator. Received: "
                            f"{type(generate).__name__}.")
        self._generate = generate
        self._length = None if length is None else _check_count(length, "length", minimum=0)

    @classmethod
    def from_tensor_slices(cls, data):
        """A dataset of the rows of `data`: an array (or list), or a tuple or dict of arrays of one length.

        >>> [x.item() for x in NativeDataset.from_tensor_slices([3, 1, 2])]
        [3, 1, 2]
        """
        data = _as_structure(data)
        leaves = jax.tree_util.tree_leaves(data)
        if not leaves or any(leaf.ndim == 0 for leaf in leaves):
            raise ValueError("NativeDataset.from_tensor_slices: `data` must hold arrays with a first axis to "
                             f"slice. Received shapes {[leaf.shape for leaf in leaves]}.")
        lengths = {len(leaf) for leaf in leaves}
        if len(lengths) != 1:
            raise ValueError(f"NativeDataset.from_tensor_slices: all arrays in `data` must have the same length. "
                             f"Received lengths {sorted(lengths)}.")
        return cls(lambda: _rows(data), length=lengths.pop())

    def __iter__(self):
        return iter(self._generate())

    def __len__(self):
        if self._length is None:
            raise TypeError("The dataset length is unknown.")
        return self._length

    def __repr__(self):
        return f"<NativeDataset length={'unknown' if self._length is None else self._length}>"

    def as_numpy_iterator(self):
        """An iterator over the elements (already NumPy), as `tf.data.Dataset.as_numpy_iterator`."""
        return iter(self)

    def map(self, map_func, num_parallel_calls=None):
        """Apply `map_func` to every element; a tuple element is passed as separate arguments, as in tf.data
        (`ds.map(lambda x, y: (x / 255, y))`). `num_parallel_calls` is accepted for tf.data code: elements
        are mapped in order, in the thread that reads them."""
        if not callable(map_func):
            raise TypeError(f"NativeDataset.map: `map_func` must be callable. Received: {map_func!r}")
        if num_parallel_calls is not None and num_parallel_calls != AUTOTUNE:
            _check_count(num_parallel_calls, "num_parallel_calls")

        def generate():
            for element in self:
                yield map_func(*element) if isinstance(element, tuple) else map_func(element)
        return NativeDataset(generate, self._length)

    def _batched(self, batch_size, drop_remainder, combine):
        batch_size = _check_count(batch_size, "batch_size")

        def generate():
            iterator = iter(self)
            while True:
                elements = list(itertools.islice(iterator, batch_size))
                if not elements or (drop_remainder and len(elements) < batch_size):
                    return
                yield combine(elements)
        length = None
        if self._length is not None:
            length = (self._length // batch_size if drop_remainder else math.ceil(self._length / batch_size))
        return NativeDataset(generate, length)

    def batch(self, batch_size, drop_remainder=False):
        """Stack `batch_size` consecutive elements into one; the last batch is smaller unless
        `drop_remainder=True` drops it."""
        return self._batched(batch_size, drop_remainder, stack)

    def padded_batch(self, batch_size, drop_remainder=False):
        """Like `batch`, for elements whose shapes differ: each batch is zero-padded at the end of every axis
        to its largest element (e.g. audio clips of different lengths)."""
        return self._batched(batch_size, drop_remainder, pad_stack)

    def unbatch(self):
        """Split every batch back into its rows. The length is unknown afterwards, as with tf.data."""
        def generate():
            for batch in self:
                if any(np.ndim(leaf) == 0 for leaf in jax.tree_util.tree_leaves(batch)):
                    raise ValueError(f"NativeDataset.unbatch: every element must be a batch (arrays with a first "
                                     f"axis). Received an element with a scalar: {batch!r}")
                yield from _rows(batch)
        return NativeDataset(generate)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Shuffle through a buffer of `buffer_size` elements, as tf.data does (a buffer as large as the data
        gives a full shuffle). The order is a function of `seed` and the pass: the same seed gives the same
        sequence of epochs; `reshuffle_each_iteration=False` repeats the first order every pass. A `seed`
        of None draws one from NumPy's global generator (so `kerasj.utils.set_random_seed` fixes it)."""
        buffer_size = _check_count(buffer_size, "buffer_size")
        seed = int(np.random.randint(2**31 - 1)) if seed is None else _check_count(seed, "seed", minimum=0)
        passes = itertools.count()

        def generate():
            epoch = next(passes) if reshuffle_each_iteration else 0
            return _shuffled(self, buffer_size, np.random.default_rng([seed, epoch]))
        return NativeDataset(generate, self._length)

    def take(self, count):
        """The first `count` elements (all of them for -1, as in tf.data)."""
        count = _check_count(count, "count", minimum=-1)
        if count == -1:
            return self
        length = None if self._length is None else min(count, self._length)
        return NativeDataset(lambda: itertools.islice(iter(self), count), length)

    def cache(self):
        """Keep the elements in memory after the first complete pass; later passes replay them without running
        the steps before (file reading, decoding). Put it before `shuffle` so each epoch still reshuffles."""
        kept = []

        def generate():
            if kept:
                return iter(kept[0])
            return self._recording(kept)
        return NativeDataset(generate, self._length)

    def _recording(self, kept):
        seen = []
        for element in self:
            seen.append(element)
            yield element
        if not kept:  # an abandoned pass (e.g. under `take`) is not a complete cache
            kept.append(seen)

    def prefetch(self, buffer_size):
        """Read up to `buffer_size` elements ahead in a background thread (`AUTOTUNE`, -1, reads a few).

        A real thread, not a no-op: reading and decoding files is mostly I/O and C code (PIL, `wave`) that
        releases the GIL, so it overlaps with the training step that consumes the previous batch. The order
        of elements is unchanged (one reader), and an error while reading is raised where the data is used.
        """
        depth = _AUTOTUNE_DEPTH if buffer_size == AUTOTUNE else _check_count(buffer_size, "buffer_size")
        return NativeDataset(lambda: prefetch(iter(self), size=depth), self._length)
