"""The `x` / `(x, y)` / `(x, y, sample_weight)` batch convention of `Model.fit`, packed and unpacked.

    >>> x, y, sample_weight = kerasj.utils.unpack_x_y_sample_weight((features, labels))
    >>> sample_weight is None
    True
"""


def unpack_x_y_sample_weight(data):
    """Split a batch given as `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` into `(x, y, sample_weight)`,
    with `None` for what is missing. A list is read as a tuple.

    >>> kerasj.utils.unpack_x_y_sample_weight((x, y))
    (x, y, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError("`data` is expected to be `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`. Received a "
                     f"{type(data).__name__} of length {len(data)}.")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch `Model.fit` takes: `x` alone when there is no `y` (`(x,)` if `x` is itself a tuple or list,
    so that it is not read as `(x, y)`), else `(x, y)` or `(x, y, sample_weight)`.

    >>> kerasj.utils.pack_x_y_sample_weight(x, y)
    (x, y)
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)
