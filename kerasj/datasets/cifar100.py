"""CIFAR-100: 50,000 training and 10,000 test 32x32 color images in 100 classes grouped into 20 superclasses.

Source: Alex Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009
(https://www.cs.toronto.edu/~kriz/cifar.html).
"""
import os

import numpy as np

from kerasj.datasets._common import load_cifar_batch, to_image_data_format
from kerasj.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
# The archive is cached as "<CACHE_NAME>_archive" and unpacked into the directory "<CACHE_NAME>" (as Keras).
CACHE_NAME = "cifar-100-python-target"


def load_data(label_mode="fine"):
    """Load CIFAR-100, downloading and unpacking the archive into the cache on first use.

    `label_mode` is "fine" (the 100 classes, labels 0-99) or "coarse" (the 20 superclasses, labels 0-19).
    The pickled batches are read with an unpickler that can only rebuild NumPy arrays and plain values.

    Returns `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(50000, 32, 32, 3)` and
    `(10000, 32, 32, 3)` (channels first if `kerasj.config.image_data_format()` is "channels_first"), and
    int64 labels of shape `(50000, 1)` and `(10000, 1)`.

    Example:
        >>> (x_train, y_train), _ = kerasj.datasets.cifar100.load_data(label_mode="coarse")
        >>> int(y_train.max())
        19
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data: `label_mode` must be 'fine' or 'coarse'; "
                         f"received label_mode={label_mode!r}.")
    folder = os.path.join(get_file(CACHE_NAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH),
                          "cifar-100-python")
    splits = []
    for name in ("train", "test"):
        images, labels = load_cifar_batch(os.path.join(folder, name), f"{label_mode}_labels")
        splits.append((to_image_data_format(images), np.asarray(labels, dtype=np.int64).reshape(-1, 1)))
    return tuple(splits)
