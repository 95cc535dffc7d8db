"""What the folder dataset builders (`image_dataset_from_directory`, `text_dataset_from_directory`,
`audio_dataset_from_directory`) share: listing a directory's files with their labels, the seeded shuffle of
that list and the validation split taken from it, label encoding, and building the dataset in one of three
formats (also used by `timeseries_dataset_from_array`):

- "tf": a `tf.data.Dataset` (Keras's default), built as Keras 3 builds it, so the same files and seed give the
  same batches;
- "grain": a grain `IterDataset`, built as Keras 3's grain path builds it;
- "native": a `kerasj.utils.native_dataset.NativeDataset`, which needs neither package.

Leaving `format` at its default ("tf") on a machine without TensorFlow gives grain if it is installed, else
the native dataset; asking for "tf" or "grain" explicitly without the package raises ImportError.

    >>> paths, labels, class_names = index_directory("photos/", "inferred", formats=(".png",), seed=1)
    >>> class_names
    ['cats', 'dogs']
"""
import importlib
import os
from typing import Callable, NamedTuple

import numpy as np

from kerasj.utils import io_utils
from kerasj.utils.native_dataset import AUTOTUNE, NativeDataset, stack

FORMATS = ("tf", "grain", "native")
LABEL_MODES = ("int", "categorical", "binary", None)


class _DefaultFormat(str):
    """The default of `format`: equal to (and shown as) "tf", Keras's default, but told apart from a "tf" the
    caller passed, so that only the untouched default falls back to grain or the native dataset."""


DEFAULT_FORMAT = _DefaultFormat("tf")


def import_optional(name):
    """The module `name`, or Keras's ImportError saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ImportError(f"This requires the {name} module. You can install it via `pip install {name}`") from None


def _installed(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def resolve_format(format):
    """The format to build: `format` itself, or for the untouched default without TensorFlow, "grain" when it
    is installed and "native" otherwise."""
    if not isinstance(format, str) or format not in FORMATS:
        raise ValueError(f'`format` should be either "tf", "grain" or "native". Received: format={format}')
    if format is DEFAULT_FORMAT and not _installed("tensorflow"):
        return "grain" if _installed("grain") else "native"
    return str(format)


def check_label_args(labels, label_mode, class_names, files, samples):
    """Keras's checks of `labels`, `class_names` and `label_mode` (the messages name `files`, e.g. "image
    files", and `samples`, e.g. "images"); returns `(labels, label_mode)`, both None when either is None."""
    if not (labels is None or (isinstance(labels, str) and labels == "inferred")):
        if not isinstance(labels, (list, tuple)):
            raise ValueError("`labels` argument should be a list/tuple of integer labels, of the same size as the "
                             f"number of {files} in the target directory. If you wish to infer the labels from "
                             'the subdirectory names in the target directory, pass `labels="inferred"`. If you '
                             f"wish to get a dataset that only contains {samples} (no labels), pass "
                             f"`labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError(f'You can only pass `class_names` if `labels="inferred"`. Received: labels={labels}, '
                             f"and class_names={class_names}")
        bad = [label for label in labels if isinstance(label, bool) or not isinstance(label, (int, np.integer))]
        if bad:
            raise ValueError(f"`labels` must hold integer labels. Received non-integer labels such as {bad[0]!r}.")
    if label_mode not in LABEL_MODES:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", or None. '
                         f"Received: label_mode={label_mode}")
    if labels is None or label_mode is None:
        return None, None
    return labels, label_mode


def check_batch_size(batch_size):
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                   or batch_size < 1):
        raise ValueError(f"`batch_size` must be a positive int or None. Received: batch_size={batch_size!r}")


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Keras's checks of `validation_split` and `subset` (and of a seed, without which a shuffled training
    split and a shuffled validation split, built by two calls, would overlap)."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, "
                         "to make sure that there is no overlap between the training and validation subset.")


def _files_under(directory, formats, follow_links):
    """Paths of the files under `directory` whose names end with one of `formats` (any case), in Keras's
    order: folders sorted by path, files sorted by name within each."""
    for root, _, names in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(names):
            if name.lower().endswith(formats):
                yield os.path.join(root, name)


def _class_folders(directory, class_names):
    folders = [name for name in sorted(os.listdir(directory))
               if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
    if class_names is None:
        return folders
    if not set(class_names).issubset(folders):
        raise ValueError("The `class_names` passed did not match the names of the subdirectories of the target "
                         f"directory. Expected: {folders} (or a subset of it), but received: "
                         f"class_names={class_names}")
    return list(class_names)  # the caller's order sets the label indices


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True):
    """The files of `directory` ending with one of `formats`, with their labels, as Keras 3 lists them.

    With `labels="inferred"` every visible subfolder is a class (sorted by name, or in the order of
    `class_names`) and its files, at any depth, get its index; otherwise the whole tree is listed, and
    `labels` (a list in the files' sorted order) or None gives the labels. With `shuffle`, the list is then
    permuted by `np.random.RandomState(seed)`, the same permutation Keras draws, so a validation split cut
    from its end holds the same files.

    Returns:
        `(file_paths, labels, class_names)`: paths (str), int32 labels (None without labels) and the class
        names (for a list of labels, its sorted distinct values as strings).
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"`directory` must be an existing local directory. Received: directory={directory}")
    inferred = isinstance(labels, str) and labels == "inferred"
    if inferred:
        folders = _class_folders(directory, class_names)
    elif class_names is not None:
        raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be specified."
                         if labels is None else
                         "When argument `labels` is specified, argument `class_names` cannot be specified (the "
                         "`class_names` will be the sorted list of labels).")
    else:
        folders = [""]
    paths, found = [], []
    for index, folder in enumerate(folders):
        files = list(_files_under(os.path.join(directory, folder), formats, follow_links))
        paths += files
        found += [index] * len(files)
    if inferred:
        labels, class_names = np.asarray(found, dtype="int32"), folders
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"Expected the lengths of `labels` to match the number of files in the target "
                             f"directory. len(labels) is {len(labels)} while we found {len(paths)} files in "
                             f"directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels, dtype="int32")
    if verbose:
        io_utils.print_msg(f"Found {len(paths)} files." if labels is None else
                           f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if shuffle and paths:
        order = np.random.RandomState(np.random.randint(1e6) if seed is None else seed).permutation(len(paths))
        paths = [paths[i] for i in order]
        labels = None if labels is None else labels[order]
    return paths, labels, class_names


def training_or_validation_split(samples, labels, validation_split, subset):
    """`samples` and `labels` cut to `subset`: the last `int(validation_split * len(samples))` for
    "validation", the others for "training"; everything without a `validation_split`."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if num_val == 0:
        # Keras would give every file to "validation" here (its slice [-0:] is everything) and none to
        # "training": refuse instead of silently overlapping the two.
        raise ValueError(f"validation_split={validation_split} of {len(samples)} files leaves no file for "
                         "validation; use a larger split or more files.")
    if subset == "training":
        io_utils.print_msg(f"Using {len(samples) - num_val} files for training.")
        chosen = slice(None, -num_val)
    elif subset == "validation":
        io_utils.print_msg(f"Using {num_val} files for validation.")
        chosen = slice(-num_val, None)
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')
    return samples[chosen], None if labels is None else labels[chosen]


def encode_labels(labels, label_mode, num_classes):
    """int32 labels as Keras encodes them: int32 for "int", float32 `(n, 1)` for "binary", float32 one-hot
    `(n, num_classes)` for "categorical" (an index outside the classes gives a zero row, as `tf.one_hot`)."""
    labels = np.asarray(labels, dtype="int32")
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return (labels[:, None] == np.arange(num_classes)).astype("float32")
    return labels


class FileKind(NamedTuple):
    """How one kind of file becomes one sample of a folder dataset.

    `load_tf(tf, path)` reads a file inside a tf.data map; `load_array(path)` reads it for grain and the native
    dataset. `padded` batches samples of different shapes by zero-padding them to the longest;
    `grain_batch` makes a grain batch from a list of samples; `file_paths` says whether the dataset gets a
    `file_paths` attribute (Keras sets one for images only). `noun` and `allowed` word the errors.
    """
    formats: tuple
    noun: str
    allowed: str
    load_tf: Callable
    load_array: Callable
    padded: bool = False
    grain_batch: Callable = stack
    file_paths: bool = True


def _tf_dataset(kind, paths, labels, batch_size, shuffle, buffer_size, seed):
    tf = import_optional("tensorflow")
    ds = tf.data.Dataset.from_tensor_slices(paths)
    if labels is not None:
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(labels)))
    if shuffle:
        ds = ds.shuffle(buffer_size=buffer_size, seed=seed)
    if labels is not None:
        ds = ds.map(lambda path, label: (kind.load_tf(tf, path), label), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda path: kind.load_tf(tf, path), num_parallel_calls=tf.data.AUTOTUNE)
    if batch_size is not None:
        ds = ds.padded_batch(batch_size) if kind.padded else ds.batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)


def _grain_dataset(kind, paths, labels, batch_size, shuffle, seed):
    grain = import_optional("grain")
    ds = grain.MapDataset.source(list(paths))
    if labels is not None:
        ds = grain.experimental.ZipMapDataset([ds, grain.MapDataset.source(list(labels))])
    if shuffle:
        ds = ds.shuffle(seed=seed)  # a global permutation drawn from the seed, as in Keras's grain path
    if labels is not None:
        ds = ds.map(lambda element: (kind.load_array(element[0]), element[1]))
    else:
        ds = ds.map(kind.load_array)
    ds = ds.to_iter_dataset()
    if batch_size is not None:
        ds = ds.batch(batch_size, batch_fn=kind.grain_batch)
    return ds


def _native_dataset(kind, paths, labels, batch_size, shuffle, buffer_size, seed):
    ds = NativeDataset.from_tensor_slices(list(paths) if labels is None else (list(paths), labels))
    if shuffle:
        ds = ds.shuffle(buffer_size, seed=seed)
    if labels is not None:
        ds = ds.map(lambda path, label: (kind.load_array(str(path)), label))
    else:
        ds = ds.map(lambda path: kind.load_array(str(path)))
    if batch_size is not None:
        ds = ds.padded_batch(batch_size) if kind.padded else ds.batch(batch_size)
    return ds.prefetch(AUTOTUNE)


def build_dataset(format, kind, paths, labels, batch_size, shuffle, seed):
    """The dataset of `paths` (and their encoded `labels`, or None) in `format`, shuffled per epoch with
    `seed` (tf and native: a buffer of 8 batches, as Keras; grain: a global permutation)."""
    buffer_size = batch_size * 8 if batch_size is not None else 1024
    if format == "tf":
        return _tf_dataset(kind, paths, labels, batch_size, shuffle, buffer_size, seed)
    if format == "grain":
        return _grain_dataset(kind, paths, labels, batch_size, shuffle, seed)
    return _native_dataset(kind, paths, labels, batch_size, shuffle, buffer_size, seed)


def dataset_from_directory(directory, kind, labels, label_mode, class_names, batch_size, shuffle, seed,
                           validation_split, subset, follow_links, format, verbose):
    """The folder builders' common path, after each has checked its own arguments: index the files, cut the
    split(s) and build the dataset(s) with `class_names` (and `file_paths`) set. `subset="both"` gives
    `[training, validation]`, the validation part never shuffled."""
    check_batch_size(batch_size)
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)  # one seed for the file order and the per-epoch shuffle, as Keras
    paths, labels, class_names = index_directory(directory, labels, formats=kind.formats, class_names=class_names,
                                                 shuffle=shuffle, seed=seed, follow_links=follow_links,
                                                 verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         f"class_names={class_names}")
    encoded = None if label_mode is None else encode_labels(labels, label_mode, len(class_names))
    parts = ["training", "validation"] if subset == "both" else [subset]
    splits = [training_or_validation_split(paths, encoded, validation_split, part) for part in parts]
    for part, (part_paths, _) in zip(parts, splits):
        if not part_paths:
            which = f"{part} " if subset == "both" else ""
            raise ValueError(f"No {which}{kind.noun} found in directory {directory}. {kind.allowed}")
    datasets = []
    for part, (part_paths, part_labels) in zip(parts, splits):
        ds = build_dataset(format, kind, part_paths, part_labels, batch_size,
                           shuffle and not (subset == "both" and part == "validation"), seed)
        ds.class_names = class_names
        if kind.file_paths:
            ds.file_paths = part_paths
        datasets.append(ds)
    return datasets if subset == "both" else datasets[0]
