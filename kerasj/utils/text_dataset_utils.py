"""`text_dataset_from_directory`: a dataset of `(texts, labels)` batches from a folder of .txt files, one
subfolder per class, as in Keras 3.

    >>> train = kerasj.utils.text_dataset_from_directory("reviews/train", batch_size=32, seed=1)
    >>> vectorizer.adapt(train.map(lambda text, label: text))
"""
import functools

import jax
import numpy as np

from kerasj.utils import directory_index


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, format=directory_index.DEFAULT_FORMAT, verbose=True):
    """A dataset of texts (and labels) read from the .txt files of `directory`, as Keras 3's
    `text_dataset_from_directory`: the same files and `seed` give the same batches as Keras 3 (for "tf" and
    "grain").

    Args:
        directory: the folder to read; with `labels="inferred"` each subfolder is a class.
        labels: "inferred" (from the subfolders), None (texts only), or a list/tuple of integer labels, one
            per file in the sorted order of the file paths.
        label_mode: "int", "categorical", "binary" (exactly 2 classes) or None (texts only).
        class_names: with `labels="inferred"`, the subfolders to use, in the order that gives their labels.
        batch_size: texts per batch (default 32); None yields single texts.
        max_length: keep at most this many leading bytes ("tf") or characters ("grain", "native") of each text.
        shuffle: shuffle the files (with `seed`) and then every epoch; False keeps the sorted order.
        seed: seed of both shuffles; needed with `validation_split` when shuffling.
        validation_split: fraction of the files (from the end of the shuffled list) for validation.
        subset: "training", "validation" or "both" (a `[training, validation]` list).
        follow_links: whether to enter subfolders that are symbolic links.
        format: "tf" (Keras's default: a `tf.data.Dataset` of tf.string batches), "grain" (batches of a tuple
            of Python strings, as Keras's grain path) or "native" (a `NativeDataset` of NumPy string arrays).
            Left at its default on a machine without TensorFlow, it gives grain if installed, else native.
        verbose: print how many files and classes were found.

    Returns:
        A dataset of texts, or of `(texts, labels)` batches, with a `class_names` attribute; a
        `[training, validation]` list for `subset="both"`. Files are read as UTF-8 by "grain" and "native";
        "tf" yields their bytes.

    >>> ds = kerasj.utils.text_dataset_from_directory("reviews/", format="native", shuffle=False)
    >>> texts, labels = next(iter(ds))
    """
    labels, label_mode = directory_index.check_label_args(labels, label_mode, class_names, "text files",
                                                          "text samples")
    format = directory_index.resolve_format(format)
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer))
                                   or max_length < 0):
        raise ValueError(f"`max_length` must be None or a non-negative int. Received: max_length={max_length!r}")
    kind = directory_index.FileKind(formats=(".txt",), noun="text files", allowed="Allowed format: .txt",
                                    load_tf=functools.partial(_read_text_tf, max_length=max_length),
                                    load_array=functools.partial(_read_text, max_length=max_length),
                                    grain_batch=_string_batch, file_paths=False)
    return directory_index.dataset_from_directory(directory, kind, labels, label_mode, class_names, batch_size,
                                                  shuffle, seed, validation_split, subset, follow_links, format,
                                                  verbose)


def _read_text_tf(tf, path, max_length):
    text = tf.io.read_file(path)
    return text if max_length is None else tf.strings.substr(text, 0, max_length)


def _read_text(path, max_length):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text if max_length is None else text[:max_length]


def _string_batch(samples):
    """A grain batch as Keras's grain path makes it: strings kept as a tuple, labels stacked."""
    return jax.tree_util.tree_map(lambda *leaves: leaves if isinstance(leaves[0], str) else np.stack(leaves),
                                  *samples)
