"""CSVLogger: append each epoch's logs to a CSV file."""
import csv
import os

import numpy as np

from kerasj.callbacks.callback import Callback


def _cell(value):
    """How a logged value is written: text as is, scalars via str, sequences as a quoted "[a, b]" list."""
    if isinstance(value, str):
        return value
    if np.ndim(value) == 0:
        return np.asarray(value)[()] if hasattr(value, "dtype") else value
    items = value if isinstance(value, (list, tuple)) else np.asarray(value)
    return f'"[{", ".join(map(str, items))}]"'


class CSVLogger(Callback):
    """Writes one CSV row per epoch: the epoch index, then every logged value in name order.

    The columns are fixed by the first epoch's logs (sorted by name). If that epoch had no validation
    results, `val_` columns for every name are added so that later validation epochs fit; a value missing
    from an epoch is written as `NA`. Each row is flushed to disk as soon as it is written.

    Args:
        filename: path of the CSV file, e.g. "run/log.csv".
        separator: the string between fields.
        append: if True, add to an existing file (writing the header only if the file is empty); if False,
            overwrite it.

    Example:

        >>> model.fit(x, y, epochs=5, callbacks=[CSVLogger("training.csv")])
        >>> open("training.csv").readline()
        'epoch,accuracy,loss,val_accuracy,val_loss\\r\\n'
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        if self.append and os.path.exists(self.filename):
            self.append_header = os.path.getsize(self.filename) == 0
        else:
            self.append_header = True
        # newline="" lets the csv module choose the line ending (\r\n), exactly as Keras's files have.
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.csv_file is None:
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep)
            if self.append_header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [_cell(logs[key]) if key in logs else "NA" for key in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None
