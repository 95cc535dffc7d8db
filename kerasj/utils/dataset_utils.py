"""`split_dataset`: cut in-memory data (a NumPy array, or a tuple or list of equally long arrays) into a left
and a right part, such as train and test.

    >>> train, test = kerasj.utils.split_dataset((x, y), left_size=0.8, shuffle=True, seed=1)
    >>> x_train, y_train = train
"""
import random

import numpy as np


def _check_size(name, size, total):
    if size is None:
        return
    if type(size) not in (int, float):
        raise TypeError(f"`{name}` must be an int, a float or None. Received: {name}={size!r} of type "
                        f"{type(size).__name__}.")
    if (type(size) is int and not 0 < size < total) or (type(size) is float and not 0 < size < 1):
        raise ValueError(f"`{name}` must be a positive int smaller than {total} (the number of samples) or a "
                         f"float in (0, 1). Received: {name}={size}.")


def _split_sizes(left_size, right_size, total):
    """Both sizes as sample counts: fractions rounded, a missing side the complement of the other."""
    if left_size is None and right_size is None:
        raise ValueError("At least one of `left_size` or `right_size` must be specified. Received: left_size=None "
                         "and right_size=None.")
    _check_size("left_size", left_size, total)
    _check_size("right_size", right_size, total)
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(f"`left_size` + `right_size` must be at most 1. Received: left_size={left_size} and "
                         f"right_size={right_size}.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"`left_size` + `right_size` must be at most the number of samples, {total}. Received: "
                         f"left_size={left_size} and right_size={right_size} ({left} + {right} samples).")
    for count, side in ((left, "left"), (right, "right")):
        if count == 0:
            raise ValueError(f"With {total} samples, left_size={left_size} and right_size={right_size} leave the "
                             f"{side} split empty.")
    return int(left), int(right)


def _arrays(dataset):
    """The arrays of `dataset`, checked to be NumPy arrays of one length."""
    if isinstance(dataset, np.ndarray):
        return [dataset]
    kind = type(dataset).__name__
    if not dataset:
        raise ValueError(f"`dataset` must be a non-empty {kind} of NumPy arrays. Received an empty {kind}.")
    for i, element in enumerate(dataset):
        if not isinstance(element, np.ndarray):
            raise ValueError(f"`dataset` must be a {kind} of NumPy arrays. Received a "
                             f"{type(element).__name__} at index {i}.")
        if element.shape[:1] != dataset[0].shape[:1]:
            raise ValueError(f"`dataset` must hold arrays of one length. Received shape {element.shape} at index "
                             f"{i}, after shape {dataset[0].shape} at index 0.")
    return list(dataset)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Split `dataset` into `(left, right)` along its first axis.

    Args:
        dataset: a NumPy array, or a tuple or list of NumPy arrays with the same number of samples.
        left_size: an int (a number of samples) or a float in (0, 1) (a fraction, rounded); `None` means the
            complement of `right_size`.
        right_size: likewise for the right split; `None` means the complement of `left_size`.
        shuffle: whether to shuffle the samples before splitting.
        seed: the shuffle's seed (the same permutation as Keras 3 draws from the same seed); `None` draws one.
        preferred_backend: accepted for Keras compatibility; the splits are always NumPy arrays.

    Returns:
        Two splits of the same kind as `dataset`: NumPy arrays for an array, tuples of NumPy arrays for a tuple
        or a list. (Keras 3 returns `tf.data.Dataset`s; kerasj does not depend on TensorFlow, and `fit` takes
        these splits directly.)

    >>> left, right = kerasj.utils.split_dataset(np.arange(10), left_size=0.8)
    >>> left.shape, right.shape
    ((8,), (2,))
    """
    if preferred_backend not in (None, "jax", "numpy"):
        raise ValueError(f"`preferred_backend` must be None, 'jax' or 'numpy' (kerasj returns NumPy arrays). "
                         f"Received: preferred_backend={preferred_backend!r}.")
    if not isinstance(dataset, (np.ndarray, tuple, list)):
        module = type(dataset).__module__
        if module.startswith("tensorflow"):
            raise NotImplementedError("`split_dataset` does not split TensorFlow datasets (tf.data.Dataset) in "
                                      "kerasj. Pass NumPy arrays, or split the dataset with `take` and `skip`.")
        raise TypeError(f"`dataset` must be a NumPy array, or a tuple or list of NumPy arrays. Received: "
                        f"dataset of type {type(dataset).__name__}.")
    arrays = _arrays(dataset)
    total = len(arrays[0])
    left, right = _split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        # Keras shuffles the list of samples with Python's `random` seeded by `seed`; shuffling indices with
        # the same seed gives the same permutation without touching the global generator.
        random.Random(random.randint(0, int(1e6)) if seed is None else seed).shuffle(order)
    order = np.asarray(order, dtype=np.int64)
    splits = [tuple(a[order[:left]] for a in arrays), tuple(a[order[total - right:]] for a in arrays)]
    if isinstance(dataset, np.ndarray):
        return splits[0][0], splits[1][0]
    return splits[0], splits[1]
