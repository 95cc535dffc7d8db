"""RemoteMonitor: POST each epoch's logs to an HTTP server (needs the optional `requests` package)."""
import json
import warnings

import numpy as np

from kerasj.callbacks.callback import Callback

# Keras waits for the server without limit; a server that never answers would then stop training for good.
_TIMEOUT_S = 30


def _plain(value):
    """A log value as JSON can hold it: arrays (numpy or jax) become Python scalars or lists."""
    if isinstance(value, (np.ndarray, np.generic)) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        array = np.asarray(value)
        return array.item() if array.size == 1 else array.tolist()
    return value


class RemoteMonitor(Callback):
    """At the end of every epoch, sends `{"epoch": epoch, **logs}` as JSON in an HTTP POST to `root + path`.

    Args:
        root: the server's root URL.
        path: the path under `root` the events go to.
        field: the form field that holds the JSON text when `send_as_json=False` (the request is then an
            ordinary form post); unused with `send_as_json=True`.
        headers: optional dict of extra HTTP headers.
        send_as_json: send the event itself as the body, with content type `application/json`.

    A server that cannot be reached (or does not answer within 30 seconds) gives a warning, not an error, so
    training goes on. The `requests` package is imported when the first event is sent; without it that
    raises an ImportError.

    Example:

        >>> model.fit(x, y, epochs=5, callbacks=[RemoteMonitor(root="http://localhost:9000", send_as_json=True)])
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        try:
            import requests
        except ImportError as err:
            raise ImportError("RemoteMonitor requires the `requests` library.") from err
        send = {"epoch": epoch, **{k: _plain(v) for k, v in (logs or {}).items()}}
        url = self.root + self.path
        try:
            if self.send_as_json:
                requests.post(url, json=send, headers=self.headers, timeout=_TIMEOUT_S)
            else:
                requests.post(url, {self.field: json.dumps(send)}, headers=self.headers, timeout=_TIMEOUT_S)
        except requests.exceptions.RequestException:
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
