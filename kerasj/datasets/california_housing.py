"""California housing prices: 20,640 block groups of the 1990 US census, 8 features each (location, housing
age, rooms, population, income, ...), with the median house value in dollars as target. Source: R. Kelley
Pace and Ronald Barry, "Sparse Spatial Autoregressions", Statistics and Probability Letters, 1997.
"""
from kerasj.datasets._common import ORIGIN_FOLDER, check_test_split, load_numeric_npz, shuffle_split
from kerasj.utils.file_utils import get_file

ORIGIN = ORIGIN_FOLDER + "california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
_SMALL_SIZE = 600


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Load California housing, downloading it into the cache on first use.

    `version="large"` keeps all 20,640 samples, `"small"` only the first 600 (for quick experiments). The
    samples are then shuffled with `np.random.RandomState(seed)` and the last `test_split` fraction is the
    test set. Returns `(x_train, y_train), (x_test, y_test)`: float features of shape `(n, 8)` and float
    targets of shape `(n,)` (dollars, typically 25,000 to 500,000).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = kerasj.datasets.california_housing.load_data("small")
        >>> x_train.shape, x_test.shape
        ((480, 8), (120, 8))
    """
    if version not in ("large", "small"):
        raise ValueError(f"california_housing.load_data: `version` must be 'large' or 'small'; "
                         f"received version={version!r}.")
    check_test_split(test_split, "california_housing.load_data")
    x, y = load_numeric_npz(get_file(path, origin=ORIGIN, file_hash=FILE_HASH), ("x", "y"))
    if version == "small":
        x, y = x[:_SMALL_SIZE], y[:_SMALL_SIZE]
    return shuffle_split(x, y, test_split, seed)
