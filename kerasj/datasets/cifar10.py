"""CIFAR-10: 50,000 training and 10,000 test 32x32 color images in 10 classes.

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.
Source: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009
(https://www.cs.toronto.edu/~kriz/cifar.html). A small fraction of the labels are known to be wrong.
"""
import os

import numpy as np

from kerasj.datasets._common import load_cifar_batch, to_image_data_format
from kerasj.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
# The archive is cached as "<CACHE_NAME>_archive" and unpacked into the directory "<CACHE_NAME>" (as Keras).
CACHE_NAME = "cifar-10-batches-py-target"


def load_data():
    """Load CIFAR-10, downloading and unpacking the archive into the cache on first use.

    The batches are pickled Python dicts; they are read with an unpickler that can only rebuild NumPy arrays
    and plain values, so a tampered download cannot run code.

    Returns `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(50000, 32, 32, 3)` and
    `(10000, 32, 32, 3)` (channels first if `kerasj.config.image_data_format()` is "channels_first"), and
    uint8 labels 0-9 of shape `(50000, 1)` and `(10000, 1)`.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = kerasj.datasets.cifar10.load_data()
        >>> x_train.shape, y_train.shape
        ((50000, 32, 32, 3), (50000, 1))
    """
    folder = os.path.join(get_file(CACHE_NAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH),
                          "cifar-10-batches-py")
    batches = [load_cifar_batch(os.path.join(folder, f"data_batch_{i}"), "labels") for i in range(1, 6)]
    x_train = np.concatenate([images for images, _ in batches])
    y_train = np.concatenate([np.asarray(labels, dtype=np.uint8) for _, labels in batches]).reshape(-1, 1)
    x_test, y_test = load_cifar_batch(os.path.join(folder, "test_batch"), "labels")
    y_test = np.asarray(y_test, dtype=np.uint8).reshape(-1, 1)
    return (to_image_data_format(x_train), y_train), (to_image_data_format(x_test), y_test)
