"""MNIST handwritten digits: 60,000 training and 10,000 test grayscale images of 28x28 pixels.

Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative of the NIST datasets; it is made
available under the Creative Commons Attribution-Share Alike 3.0 license.
"""
from kerasj.datasets._common import ORIGIN_FOLDER, load_numeric_npz
from kerasj.utils.file_utils import get_file

ORIGIN = ORIGIN_FOLDER + "mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Load MNIST, downloading it into the cache on first use (`path` is the cached file's name).

    Returns `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(60000, 28, 28)` and
    `(10000, 28, 28)` with pixel values 0-255, and uint8 digit labels 0-9 of shape `(60000,)` and `(10000,)`.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = kerasj.datasets.mnist.load_data()
        >>> x_train = x_train.reshape(-1, 784).astype("float32") / 255
    """
    path = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    x_train, y_train, x_test, y_test = load_numeric_npz(path, ("x_train", "y_train", "x_test", "y_test"))
    return (x_train, y_train), (x_test, y_test)
