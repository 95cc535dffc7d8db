"""Helpers for user data: unpacking and standardizing batches, class weights, validation splits, and the
index plans that cut an epoch of in-memory arrays into compiled calls (used by `kerasj.trainer.sources`).

In-memory arrays are batched on the device by integer indices, so a whole epoch can run as one compiled call
without Python work per step; the host only draws the epoch's permutation (`epoch_index_plan`).
"""
import math
import reprlib
import warnings

import jax
import numpy as np

from kerasj import config
from kerasj.utils import string_arrays
from kerasj.utils.data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight  # noqa: F401
from kerasj.variables import to_device as _device_array


def _is_nested(x, kinds):
    if isinstance(x, (list, tuple)):
        return len(x) > 0 and all(_is_nested(e, kinds) for e in x)
    return isinstance(x, kinds)


def standardize_input(x):
    """Plain Python lists of numbers (`[[0, 1], [1, 0]]`) or of strings (`["a cat", "a dog"]`) become numpy
    arrays; structures of arrays stay."""
    if _is_nested(x, (int, float, bool, np.number)) or _is_nested(x, str):
        return np.asarray(x)
    if isinstance(x, dict):
        return {k: standardize_input(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(standardize_input(v) for v in x)
    return x


def _is_array_like(x):
    return isinstance(x, (np.ndarray, jax.Array)) or (hasattr(x, "__array__") and hasattr(x, "shape"))


def is_array_data(x):
    """True for an array or a (nested) list/tuple/dict of arrays."""
    if x is None:
        return True
    if not isinstance(x, (list, tuple, dict)) and not _is_array_like(x):
        return False
    leaves = jax.tree_util.tree_leaves(x)
    return bool(leaves) and all(_is_array_like(l) for l in leaves)


# The current kerasj.distribution's placement of data and state (kerasj.distribution.placement sets the hook;
# the trainer sits below the distribution and never imports it). None: no distribution, nothing changes.
_distribution_hook = None


def set_distribution_hook(hook):
    """Install `hook`, a function returning the current distribution's placement (or None)."""
    global _distribution_hook
    _distribution_hook = hook


def batch_placement():
    """The current distribution's `BatchPlacement` (see kerasj.distribution.placement), or None."""
    return None if _distribution_hook is None else _distribution_hook()


def constrain_batch(batch):
    """Inside a compiled step: the gathered batch split along the distribution's batch axis (unchanged
    without a distribution; checked while tracing, so it costs nothing per step)."""
    placement = batch_placement()
    return batch if placement is None else placement.constrain_batch(batch)


def process_count():
    """How many processes share the current distribution's mesh (1 without a distribution)."""
    placement = batch_placement()
    return 1 if placement is None else placement.processes


def _put(arr, split):
    placement = batch_placement()
    if placement is None:
        return _device_array(arr)
    if placement.processes > 1:
        arr = placement.gather_processes(arr)  # every process's rows, process after process (see spread_rows)
    return placement.put_batches(arr) if split else placement.put_dataset(arr)


def spread_rows(indices, local_rows, processes):
    """Local row indices `[K, B]` as indices `[K, processes * B]` into data gathered from every process
    (process p's rows start at `p * local_rows`): global batch k is each process's batch k, in process order,
    as Keras's multi-process data parallelism builds it from each process's own batch."""
    offsets = np.arange(processes, dtype=indices.dtype) * local_rows
    return np.concatenate([indices + o for o in offsets], axis=1)


def local_outputs(outputs, axis):
    """In a multi-process run: this process's rows (along `axis`, the batch axis) of outputs computed on
    global batches, as numpy arrays; unchanged otherwise."""
    placement = batch_placement()
    if placement is None or placement.processes == 1:
        return outputs
    return placement.local_rows(outputs, axis)


def to_device(x, what, strings=False, split=False):
    """`x` as a device array of a numeric dtype (floats in floatx), with a batch dimension. With `strings`
    (the model has host-side text layers), a string array becomes `EncodedStrings` with its codes on the device.
    Under a distribution the array goes onto its mesh: replicated, or split along the batch axis with `split`
    (a chunk of stacked host batches)."""
    arr = x if isinstance(x, jax.Array) else np.asarray(x)
    kind = arr.dtype.kind
    if strings and string_arrays.is_string_array(arr):
        if arr.ndim == 0:
            raise ValueError(f"{what} must have a batch dimension; received a scalar.")
        return string_arrays.EncodedStrings(_put(string_arrays.encode(arr).codes, split))
    if kind not in "biuf":
        raise TypeError(f"{what} must be a numeric array; received an array of dtype {arr.dtype}. "
                        "Convert strings or objects to numbers first.")
    if kind == "f" and arr.dtype != np.dtype(config.floatx()):
        arr = arr.astype(config.floatx())
    if arr.ndim == 0:
        raise ValueError(f"{what} must have a batch dimension; received a scalar.")
    return _put(arr, split)


def warn_unknown_input_keys(x, graph):
    """Warn when an input dict has keys that no Input of the functional model `graph` reads: they are
    ignored, which usually means a misspelt name. Keras 3 warns too (that the input structure does not match).

    >>> model.predict({"a": xa, "b": xb, "typo": xc})   # UserWarning naming ['typo'] and the Input names
    """
    if graph is None or not isinstance(x, dict):
        return
    expected = list(graph.inputs) if isinstance(graph.inputs, dict) else graph.input_names()
    unknown = [k for k in x if k not in expected]
    if unknown:
        warnings.warn(f"The input dict has key(s) {unknown} that match no model input; they are ignored. The "
                      f"model's inputs are named {expected}; received keys {list(x)}.", stacklevel=4)


def _to_numpy(x):
    """A batch leaf from any library (tf/torch tensors, jax or numpy arrays) as a numpy array."""
    if isinstance(x, (np.ndarray, jax.Array)):
        return x
    if hasattr(x, "numpy") and not isinstance(x, np.generic):
        x = x.numpy()
    return np.asarray(x)


def standardize_batch(batch, index, strings=False):
    """A user batch as `(x, y, sample_weight)` with numpy/jax leaves. A batch that is not numeric arrays
    raises a TypeError naming `index` (its position in the epoch) and what it holds, before it reaches the
    model (where it would fail as an IndexError or a JAX tracing error). With `strings`, string arrays in x
    become `EncodedStrings` (numpy codes)."""
    try:
        x, y, sw = unpack_x_y_sample_weight(batch)
    except ValueError as e:
        raise TypeError(_bad_batch(index, batch, str(e))) from None
    if x is None:
        raise TypeError(_bad_batch(index, batch, "it has no inputs (x is None)"))
    convert = lambda t: None if t is None else jax.tree_util.tree_map(_to_numpy, standardize_input(t))
    out = convert(x), convert(y), convert(sw)
    if strings:
        encode = lambda a: string_arrays.encode(a) if string_arrays.is_string_array(a) and a.ndim else a
        out = (jax.tree_util.tree_map(encode, out[0]),) + out[1:]
    for name, part in zip(("x", "y", "sample_weight"), out):
        for leaf in jax.tree_util.tree_leaves(part):
            if leaf.dtype.kind not in "biuf" or leaf.ndim == 0:
                what = f"an array of dtype {leaf.dtype}" if leaf.dtype.kind not in "biuf" else "a scalar"
                raise TypeError(_bad_batch(index, batch, f"its {name} holds {what}"))
    return out


def _bad_batch(index, batch, detail):
    return (f"Invalid batch {index} of the epoch (counting from 0) from the generator or dataset: expected x, "
            f"(x, y) or (x, y, sample_weight) of numeric arrays with a batch dimension, but {detail}. Received "
            f"{type(batch).__name__}: {reprlib.repr(batch)}")


def stack_batches(batches):
    """K same-shaped batches as one `(x, y, sw)` of K*B rows and the `[K, B]` index matrix into it."""
    first = batches[0]
    b = jax.tree_util.tree_leaves(first[0])[0].shape[0]
    if len(batches) == 1:
        data = first
    else:
        data = jax.tree_util.tree_map(lambda *parts: np.concatenate(parts), *batches)
    return data, np.arange(len(batches) * b, dtype=np.int32).reshape(len(batches), b)


def batch_signature(batch):
    return jax.tree_util.tree_structure(batch), tuple(
        (tuple(a.shape), str(a.dtype)) for a in jax.tree_util.tree_leaves(batch))


def check_cardinality(x, y, sample_weight):
    """The number of samples shared by every array of `x`, `y` and `sample_weight`, or a ValueError listing
    the sizes of each."""
    sizes = {}
    for name, tree in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for leaf in jax.tree_util.tree_leaves(tree):
            sizes.setdefault(name, set()).add(int(leaf.shape[0]))
    all_sizes = set().union(*sizes.values())
    if len(all_sizes) != 1:
        detail = ", ".join(f"{k} sizes: {sorted(v)}" for k, v in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous: x, y and sample_weight must all have the same "
                         f"number of samples (first dimension). Received {detail}.")
    return all_sizes.pop()


def limit_steps(plan, steps):
    """The `(indices, n_valid)` calls of an epoch plan, stopped after `steps` batches (None: all of them)."""
    taken = 0
    for indices, n_valid in plan:
        if steps is not None:
            if taken >= steps:
                return
            n_valid = min(n_valid, steps - taken)
        taken += n_valid
        yield indices, n_valid


def split_arrays(x, y, sample_weight, validation_split):
    """Keras's validation_split: the last fraction of the samples, taken before any shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1); received {validation_split}")
    n = jax.tree_util.tree_leaves(x)[0].shape[0]
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves no samples on one side of the split "
                         f"(the data has {n} samples).")

    def head(t):
        return None if t is None else jax.tree_util.tree_map(lambda a: a[:split_at], t)

    def tail(t):
        return None if t is None else jax.tree_util.tree_map(lambda a: a[split_at:], t)

    return (head(x), head(y), head(sample_weight)), (tail(x), tail(y), tail(sample_weight))


def class_weight_to_sample_weight(y, class_weight, sample_weight=None):
    """Per-sample weights from a `{class_index: weight}` dict. Sparse labels are used as they are, one-hot
    targets through their argmax (as in Keras).

    Every label in `y` needs an entry: a class missing from `class_weight`, or a negative label such as an
    `ignore_class` of -1, raises instead of silently getting weight 1 (Keras 3 does that, quietly leaving the
    missing classes unweighted). Give an ignored label its own entry, e.g. `{-1: 0.0}`.

    >>> class_weight_to_sample_weight(np.array([0, 1, 1]), {0: 1.0, 1: 3.0})   # [1., 3., 3.]
    """
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("class_weight is only supported for models with a single output.")
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict mapping class indices to weights; received "
                        f"{type(class_weight).__name__}.")
    y = np.asarray(y)
    labels = np.argmax(y, axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(y.shape[0], -1)[:, 0]
    labels = np.round(labels).astype(int)
    keys = np.array(sorted(int(k) for k in class_weight), dtype=int)
    values = np.array([class_weight[k] for k in sorted(class_weight, key=int)], dtype=np.float32)
    slot = np.minimum(np.searchsorted(keys, labels), max(len(keys) - 1, 0))
    known = keys[slot] == labels if len(keys) else np.zeros(labels.shape, bool)
    if not known.all():
        missing = sorted(int(v) for v in np.unique(labels[~known]))
        negative = [v for v in missing if v < 0]
        hint = (f" y holds the negative label(s) {negative}, which are not class indices; if they mark ignored "
                f"samples, give them a weight, e.g. {{{negative[0]}: 0.0}}." if negative else "")
        if not negative:
            hint = (f" Give every class a weight (Keras 3 silently uses 1.0 for missing ones), e.g. "
                    f"{{{missing[0]}: 1.0}}.")
        raise ValueError(f"class_weight has no weight for the class(es) {missing} found in y; it has weights "
                         f"for {keys.tolist()}.{hint}")
    weights = values[slot]
    if sample_weight is not None:
        weights = weights * np.asarray(sample_weight, dtype=np.float32)
    return weights


def epoch_index_plan(num_samples, batch_size, shuffle, chunk_size, rng=None):
    """Indices for one epoch: a list of (indices[K, B], n_valid) chunks of full batches, padded to K steps,
    and the indices of the final partial batch (or None). Permutations come from `rng` (a numpy Generator;
    by default NumPy's global RNG)."""
    rng = np.random if rng is None else rng
    if shuffle == "batch":
        order = np.arange(num_samples)
        n_full = num_samples // batch_size
        blocks = order[: n_full * batch_size].reshape(n_full, batch_size)
        blocks = blocks[rng.permutation(n_full)] if n_full else blocks
        order = np.concatenate([blocks.reshape(-1), order[n_full * batch_size:]])
    elif shuffle:
        order = rng.permutation(num_samples)
    else:
        order = np.arange(num_samples)
    order = order.astype(np.int32)
    n_full = num_samples // batch_size
    full = order[: n_full * batch_size].reshape(n_full, batch_size)
    chunks = []
    for start in range(0, n_full, chunk_size):
        block = full[start:start + chunk_size]
        n_valid = block.shape[0]
        if n_valid < chunk_size:
            block = np.concatenate([block, np.repeat(block[-1:], chunk_size - n_valid, axis=0)])
        chunks.append((block, n_valid))
    rest = order[n_full * batch_size:]
    return chunks, (rest[None, :] if rest.size else None)


def chunk_size_for(n_full, steps_per_execution, per_batch_hooks, verbose):
    """How many steps one compiled call runs.

    Whole epochs run as one call unless a callback needs per-batch hooks (then `steps_per_execution`, as
    Keras) or a live progress bar is shown (then at most ~64 steps per call, evenly sized, so the bar moves
    while the overhead stays near the one-call-per-epoch floor).
    """
    if n_full == 0:
        return 1
    if per_batch_hooks:
        return max(1, min(steps_per_execution, n_full))
    if verbose == 1 and n_full > 64:
        n_chunks = math.ceil(n_full / max(64, steps_per_execution))
        return math.ceil(n_full / n_chunks)
    return n_full
