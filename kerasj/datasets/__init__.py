"""Ready-made datasets, as in `keras.datasets`: each module has a `load_data()` returning
`(x_train, y_train), (x_test, y_test)` NumPy arrays.

    >>> (x_train, y_train), (x_test, y_test) = kerasj.datasets.mnist.load_data()

Downloads come from the URLs Keras uses, are checked against known hashes and cached under `$KERASJ_HOME`
(default `~/.kerasj`); see `kerasj.utils.file_utils.get_file`. `digits` ships with kerasj and needs no
network.
"""
from kerasj.datasets import (boston_housing, california_housing, cifar10, cifar100, digits, fashion_mnist, imdb,
                             mnist, reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "digits", "fashion_mnist", "imdb",
           "mnist", "reuters"]
