"""Fashion-MNIST: 60,000 training and 10,000 test grayscale 28x28 images of 10 kinds of clothing.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag,
9 Ankle boot. Fashion-MNIST is copyright Zalando SE and released under the MIT license.
"""
import gzip
import os

import numpy as np

from kerasj.datasets._common import ORIGIN_FOLDER
from kerasj.utils.file_utils import get_file

FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")

# IDX files start with a big-endian magic number: 0x0801 + rank-1 vectors of bytes, 0x0803 3-D arrays of bytes.
_LABELS_MAGIC, _IMAGES_MAGIC = 2049, 2051


def _read_idx(path, magic, header_bytes):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    found = int.from_bytes(raw[:4], "big") if len(raw) >= header_bytes else None
    if found != magic:
        raise ValueError(f"fashion_mnist: {path} is not an IDX file of the expected kind (magic number {found}, "
                         f"expected {magic}). Delete it from the cache to download it again.")
    return np.frombuffer(raw, np.uint8, offset=header_bytes)


def load_data():
    """Load Fashion-MNIST, downloading the four IDX files into the cache on first use.

    Returns `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(60000, 28, 28)` and
    `(10000, 28, 28)`, and uint8 labels 0-9 of shape `(60000,)` and `(10000,)`.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = kerasj.datasets.fashion_mnist.load_data()
        >>> x_train.shape
        (60000, 28, 28)
    """
    paths = [get_file(name, origin=ORIGIN_FOLDER + name, cache_subdir=CACHE_SUBDIR) for name in FILES]
    y_train = _read_idx(paths[0], _LABELS_MAGIC, 8)
    x_train = _read_idx(paths[1], _IMAGES_MAGIC, 16).reshape(len(y_train), 28, 28)
    y_test = _read_idx(paths[2], _LABELS_MAGIC, 8)
    x_test = _read_idx(paths[3], _IMAGES_MAGIC, 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
