"""Handwritten digits: 1,797 grayscale 8x8 images of the digits 0-9, shipped with kerasj (no download).

Each pixel counts the "on" pixels of a 4x4 block of a 32x32 bitmap, so values are integers from 0 to 16
(not 0-255 as in MNIST). Small enough to train a classifier in seconds, which makes it handy for examples
and tests that must run offline.

Source and credit: the test set of the "Optical Recognition of Handwritten Digits" dataset by E. Alpaydin
and C. Kaynak (1998), UCI Machine Learning Repository (https://doi.org/10.24432/C50P49), licensed under
Creative Commons Attribution 4.0 (CC BY 4.0). The file `data/digits.csv.gz` is the copy distributed with
scikit-learn (`sklearn/datasets/data/digits.csv.gz`), unmodified: one image per row, 64 pixel values in
row-major order followed by the label.
"""
import gzip
from importlib import resources

import numpy as np

from kerasj.datasets._common import check_test_split, shuffle_split

_FILE = "data/digits.csv.gz"
NUM_SAMPLES = 1797


def _read():
    with resources.files(__package__).joinpath(_FILE).open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.uint8)
    if table.shape != (NUM_SAMPLES, 65):
        raise ValueError(f"digits: the packaged file {_FILE} is damaged: expected a {NUM_SAMPLES}x65 table, found "
                         f"shape {table.shape}. Reinstall kerasj.")
    return table[:, :64].reshape(-1, 8, 8), table[:, 64]


def load_data(test_split=0.2, seed=113):
    """Load the 1,797 digits, shuffled with `np.random.RandomState(seed)`; the last `test_split` fraction is
    the test set (1,437 training and 360 test images by default).

    Returns `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(n, 8, 8)` with values 0-16, and
    uint8 labels 0-9 of shape `(n,)`. Nothing is downloaded: the data ships with kerasj.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = kerasj.datasets.digits.load_data()
        >>> x_train.shape, x_test.shape
        ((1437, 8, 8), (360, 8, 8))
        >>> x_train = x_train.reshape(-1, 64).astype("float32") / 16
    """
    check_test_split(test_split, "digits.load_data")
    x, y = _read()
    return shuffle_split(x, y, test_split, seed)
