"""Boston housing prices: 506 census tracts of the Boston area in the 1970s, 13 features each, with the median
home value (in $1000s) as target. Source: the StatLib library at Carnegie Mellon University; Harrison, D. and
Rubinfeld, D.L., "Hedonic prices and the demand for clean air", 1978. One of the features encodes the racial
make-up of each tract, which makes the dataset unsuitable for anything beyond educational use.
"""
from kerasj.datasets._common import ORIGIN_FOLDER, check_test_split, load_numeric_npz, shuffle_split
from kerasj.utils.file_utils import get_file

ORIGIN = ORIGIN_FOLDER + "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Load Boston housing, downloading it into the cache on first use.

    The samples are shuffled with `np.random.RandomState(seed)` and the last `test_split` fraction is the test
    set. Returns `(x_train, y_train), (x_test, y_test)`: float features of shape `(n, 13)` and float targets
    of shape `(n,)` (404 training and 102 test samples by default).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = kerasj.datasets.boston_housing.load_data()
        >>> x_train.shape, x_test.shape
        ((404, 13), (102, 13))
    """
    check_test_split(test_split, "boston_housing.load_data")
    x, y = load_numeric_npz(get_file(path, origin=ORIGIN, file_hash=FILE_HASH), ("x", "y"))
    return shuffle_split(x, y, test_split, seed)
