"""`timeseries_dataset_from_array`: batches of sliding windows over an array (and the target at each
window's start), as in Keras 3.

    >>> ds = kerasj.utils.timeseries_dataset_from_array(x[:-10], y[10:], sequence_length=10, batch_size=64)
    >>> model.fit(ds, epochs=3)
"""
import numpy as np

from kerasj.utils import directory_index
from kerasj.utils.native_dataset import NativeDataset, stack


def _check_args(n, sequence_length, sequence_stride, sampling_rate, batch_size, start_index, end_index):
    """Keras's checks (with its messages), and that `sequence_length` is a positive int."""
    if isinstance(sequence_length, bool) or not isinstance(sequence_length, (int, np.integer)) or sequence_length < 1:
        raise ValueError(f"`sequence_length` must be a positive int. Received: sequence_length={sequence_length!r}")
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= n:
            raise ValueError(f"`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {n}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: start_index={start_index}, "
                             f"and end_index={end_index} ")
        if end_index >= n:
            raise ValueError(f"`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {n}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= n:
            raise ValueError(f"`{name}` must be lower than the length of the data. Received: {name}={value}, for "
                             f"data of length {n}")
    directory_index.check_batch_size(batch_size)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  format=directory_index.DEFAULT_FORMAT):
    """A dataset of windows over `data`, as Keras 3's `timeseries_dataset_from_array`.

    Window `i` holds the rows `p, p + sampling_rate, ..., p + (sequence_length - 1) * sampling_rate` of
    `data[start_index:end_index]`, where `p = i * sequence_stride`; its target is `targets[start_index + p]`.
    There are as many windows as fit in the data (and in `targets`). The windows, their order and (with
    `shuffle` and `seed`) their shuffle are Keras 3's.

    Args:
        data: an array (or list) of rows, time along the first axis.
        targets: one target per row of `data` (a window takes the target of its first row), or None.
        sequence_length: rows per window.
        sequence_stride: rows between the starts of consecutive windows.
        sampling_rate: take every `sampling_rate`-th row within a window.
        batch_size: windows per batch (default 128); None yields single windows.
        shuffle: shuffle the windows (with `seed`; the order of the starts, then a buffer of 8 batches for
            "tf" and "native", a global shuffle for "grain").
        seed: seed of the shuffle; None draws one.
        start_index, end_index: use only `data[start_index:end_index]` (and the targets from `start_index`).
        format: "tf" (Keras's default: a `tf.data.Dataset`), "grain" (a grain `IterDataset`) or "native" (a
            `NativeDataset` of NumPy arrays). Left at its default on a machine without TensorFlow, it gives
            grain if installed, else native.

    Returns:
        A dataset of `(batch, sequence_length, ...)` windows, or of `(windows, targets)` batches.

    >>> ds = timeseries_dataset_from_array(np.arange(10), None, sequence_length=5, sequence_stride=3,
    ...                                    batch_size=2, format="native")
    >>> [b.tolist() for b in ds]
    [[[0, 1, 2, 3, 4], [3, 4, 5, 6, 7]]]
    """
    n = len(data)
    _check_args(n, sequence_length, sequence_stride, sampling_rate, batch_size, start_index, end_index)
    format = directory_index.resolve_format(format)
    start_index = start_index or 0
    end_index = n if end_index is None else end_index
    num_windows = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_windows = min(num_windows, len(targets))
    index_dtype = "int32" if num_windows < 2**31 - 1 else "int64"
    starts = np.arange(0, num_windows, sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    offsets = np.arange(0, sequence_length * sampling_rate, sampling_rate, dtype=index_dtype)
    build = {"tf": _tf_windows, "grain": _grain_windows, "native": _native_windows}[format]
    return build(data, targets, starts, offsets, start_index, end_index, batch_size, shuffle, seed)


def _tf_windows(data, targets, starts, offsets, start_index, end_index, batch_size, shuffle, seed):
    tf = directory_index.import_optional("tensorflow")
    # The arrays enter the pipeline once, as repeated single elements: mapped functions capturing them would
    # put them in the graph as constants.
    rows = tf.data.Dataset.from_tensors(data[start_index:end_index]).repeat()
    positions = tf.data.Dataset.from_tensor_slices(starts)
    if targets is None:
        ds = tf.data.Dataset.zip((rows, positions)).map(lambda x, p: tf.gather(x, p + offsets),
                                                         num_parallel_calls=tf.data.AUTOTUNE)
    else:
        # targets[start_index:end_index] as Keras slices them: a window's target is never past end_index.
        goals = tf.data.Dataset.from_tensors(targets[start_index:end_index]).repeat()
        ds = tf.data.Dataset.zip((rows, goals, positions)).map(
            lambda x, y, p: (tf.gather(x, p + offsets), tf.gather(y, p)), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(buffer_size=batch_size * 8 if batch_size is not None else 1024, seed=seed)
    return ds if batch_size is None else ds.batch(batch_size)


def _window_reader(data, targets, offsets, start_index):
    data = np.asarray(data)
    targets = None if targets is None else np.asarray(targets)

    def window(start):
        rows = data[start_index + start + offsets]
        return rows if targets is None else (rows, targets[start_index + start])
    return window


def _grain_windows(data, targets, starts, offsets, start_index, end_index, batch_size, shuffle, seed):
    grain = directory_index.import_optional("grain")
    ds = grain.MapDataset.source(list(starts)).map(_window_reader(data, targets, offsets, start_index))
    if shuffle:
        ds = ds.shuffle(seed=seed)  # after the shuffle of the starts, as Keras's grain path does
    ds = ds.to_iter_dataset()
    return ds if batch_size is None else ds.batch(batch_size, batch_fn=stack)


def _native_windows(data, targets, starts, offsets, start_index, end_index, batch_size, shuffle, seed):
    window = _window_reader(data, targets, offsets, start_index)
    ds = NativeDataset(lambda: (window(start) for start in starts), length=len(starts))
    if shuffle:
        ds = ds.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
    return ds if batch_size is None else ds.batch(batch_size)
