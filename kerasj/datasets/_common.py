"""Pieces shared by the dataset loaders: safe reading of pickled arrays, shuffled train/test splits, and the
word-index sequence processing of IMDB and Reuters.

Why a restricted unpickler: the IMDB and Reuters `.npz` files hold ragged sequences as `dtype=object` arrays,
which NumPy can only store as a pickle stream, and the CIFAR batches are pickled Python dicts. Unpickling
runs whatever callables the stream names, so a tampered download could execute code. `SafeUnpickler` lets a
stream name only the three NumPy callables that rebuild an array (`ndarray`, `dtype` and the `_reconstruct`
helper, under its NumPy 1 and NumPy 2 module names); dicts, lists, ints and strings need no callable at all.
"""
import io
import pickle
import zipfile

import numpy as np

from kerasj import config

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# Taken from a live array, so no deprecated `numpy.core` import is needed to resolve the legacy name.
_RECONSTRUCT = np.empty(0).__reduce__()[0]
_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
}


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays and plain containers, and refuses any other callable.

    Example:
        >>> with open("data_batch_1", "rb") as f:
        ...     batch = SafeUnpickler(f, encoding="bytes").load()
    """

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load {module}.{name} from a dataset file: only NumPy arrays and plain Python "
                f"values are allowed. The file is corrupted or has been tampered with; delete it from the "
                f"cache to download it again.") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("Refusing a persistent reference in a dataset file.")


def _read_npy(stream):
    """One `.npy` member: numeric arrays with pickling disabled, object arrays through `SafeUnpickler`."""
    version = np.lib.format.read_magic(stream)
    # Version 3 differs from 2 only in the header's text encoding, which 2's reader accepts for ASCII headers.
    read_header = np.lib.format.read_array_header_1_0 if version[0] == 1 else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    array = SafeUnpickler(stream).load()
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise ValueError(f"Corrupted .npy member: expected an array of shape {shape}, found {type(array).__name__}.")
    return array


def load_npz(path, names):
    """The arrays `names` of the `.npz` file at `path`, as a tuple; object arrays are allowed (safely)."""
    with zipfile.ZipFile(path) as archive:
        members = set(archive.namelist())
        arrays = []
        for name in names:
            if f"{name}.npy" not in members:
                raise ValueError(f"{path} has no array named {name!r}; it holds {sorted(members)}. "
                                 f"Delete it from the cache to download it again.")
            arrays.append(_read_npy(io.BytesIO(archive.read(f"{name}.npy"))))
    return tuple(arrays)


def load_numeric_npz(path, names):
    """The numeric arrays `names` of the `.npz` file at `path` (pickled content is refused)."""
    with np.load(path, allow_pickle=False) as f:
        return tuple(f[name] for name in names)


def check_test_split(test_split, caller):
    if not 0 <= test_split < 1:
        raise ValueError(f"{caller}: `test_split` must be in [0, 1) (the fraction of samples held out for "
                         f"testing); received test_split={test_split!r}.")


def shuffle_split(x, y, test_split, seed):
    """Shuffle `(x, y)` with `np.random.RandomState(seed)` and split off the last `test_split` fraction."""
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def as_sequence_array(sequences):
    """A 1-D object array holding each sequence (a list), whatever the sequences' lengths."""
    return np.fromiter(sequences, dtype=object, count=len(sequences))


def encode_sequences(sequences, labels, *, num_words, skip_top, maxlen, start_char, oov_char, index_from):
    """The word-index processing of the IMDB and Reuters loaders, vectorised over all words at once.

    Each sequence becomes `[start_char] + [w + index_from ...]` (no marker when `start_char` is None);
    sequences with `maxlen` or more entries (after the marker) are dropped when `maxlen` is set; then every
    entry outside `[skip_top, num_words)` becomes `oov_char`, or is removed when `oov_char` is None. Without
    `num_words` the bound is the largest entry, so, as in Keras, that largest entry itself counts as out of
    range. Returns `(list of lists of ints, labels, kept)`, `kept` being the mask of sequences kept.
    """
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    words = np.concatenate([np.asarray(s, dtype=np.int64) for s in sequences] or [np.zeros(0, np.int64)])
    if index_from:
        words = words + index_from
    if start_char is not None:
        # Make room for one marker in front of each sequence: shift word i of sequence k right by k + 1.
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) + np.arange(len(lengths))
        with_marker = np.full(len(words) + len(lengths), start_char, dtype=np.int64)
        is_word = np.ones(len(with_marker), dtype=bool)
        is_word[starts] = False
        with_marker[is_word] = words
        words, lengths = with_marker, lengths + 1

    kept = np.ones(len(lengths), dtype=bool)
    if maxlen:
        kept = lengths < maxlen
        words, lengths = words[np.repeat(kept, lengths)], lengths[kept]
    if not num_words:
        num_words = int(words.max()) if words.size else 0
    in_range = (words >= skip_top) & (words < num_words)
    if oov_char is not None:
        words = np.where(in_range, words, oov_char)
    else:
        segment = np.repeat(np.arange(len(lengths)), lengths)
        lengths = np.bincount(segment[in_range], minlength=len(lengths))
        words = words[in_range]
    pieces = np.split(words, np.cumsum(lengths)[:-1]) if len(lengths) else []
    return [piece.tolist() for piece in pieces], np.asarray(labels)[kept], kept


def load_cifar_batch(path, label_key):
    """`(images, labels)` of one pickled CIFAR batch: uint8 images `(n, 3, 32, 32)` and the list of labels.

    The batches were written by Python 2, whose byte strings are read back as `bytes` (keys included).
    """
    with open(path, "rb") as f:
        batch = SafeUnpickler(f, encoding="bytes").load()
    if not isinstance(batch, dict):
        raise ValueError(f"{path} is not a CIFAR batch (found a {type(batch).__name__}, expected a dict).")
    batch = {k.decode("utf-8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(f"{path} is not a CIFAR batch with {label_key!r}: its keys are {sorted(batch)}.")
    data = np.asarray(batch["data"], dtype=np.uint8)
    return data.reshape(len(data), 3, 32, 32), batch[label_key]


def to_image_data_format(images):
    """CIFAR images are stored channels-first; follow `kerasj.config.image_data_format()` like Keras."""
    return images.transpose(0, 2, 3, 1) if config.image_data_format() == "channels_last" else images
