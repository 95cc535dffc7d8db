"""PyDataset: Keras's indexable dataset contract (`__len__` batches, `__getitem__(i)` -> batch).

    >>> class Batches(kerasj.utils.PyDataset):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return math.ceil(len(self.x) / self.batch_size)
    ...     def __getitem__(self, i):
    ...         s = slice(i * self.batch_size, (i + 1) * self.batch_size)
    ...         return self.x[s], self.y[s]
    >>> model.fit(Batches(x, y, 32), epochs=3)
"""


class PyDataset:
    """Base class for datasets given to fit/evaluate/predict by index.

    Subclasses implement `__len__` (batches per epoch) and `__getitem__(index)` returning `x`, `(x, y)` or
    `(x, y, sample_weight)`. `on_epoch_end` runs after every epoch (e.g. to reshuffle). `workers`,
    `use_multiprocessing` and `max_queue_size` are accepted for compatibility; batches are read in order in
    the calling thread.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return self._workers

    @property
    def use_multiprocessing(self):
        return self._use_multiprocessing

    @property
    def max_queue_size(self):
        return self._max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index).")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__().")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch."""

    def on_epoch_end(self):
        """Called after each epoch."""
