"""RemoteMonitor: each epoch's logs reach an HTTP server as the same request Keras 3's callback sends.

The server is a tiny http.server on 127.0.0.1 (an ephemeral port) in a daemon thread, shut down after each
test; every socket operation has a timeout, so a test can never hang on it."""
import http.server
import json
import os
import sys
import threading
import urllib.parse

import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402
from kerasj.callbacks import RemoteMonitor  # noqa: E402


class _Recorder(http.server.BaseHTTPRequestHandler):
    timeout = 5  # seconds a connection may stay silent

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                     "token": self.headers.get("X-Token"), "body": body})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.received = []
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _root(httpd):
    return f"http://127.0.0.1:{httpd.server_address[1]}"


LOGS = {"loss": np.float32(0.5), "val_loss": np.array(0.25, np.float32), "accuracy": 0.75}


@pytest.mark.parametrize("send_as_json", [False, True])
def test_sends_the_same_request_as_keras(server, send_as_json):
    kwargs = dict(root=_root(server), path="/events/", headers={"X-Token": "t"}, send_as_json=send_as_json)
    RemoteMonitor(**kwargs).on_epoch_end(3, dict(LOGS))
    keras.callbacks.RemoteMonitor(**kwargs).on_epoch_end(3, dict(LOGS))
    ours, theirs = server.received
    assert ours == theirs
    assert ours["path"] == "/events/" and ours["token"] == "t"
    if send_as_json:
        assert ours["content_type"] == "application/json"
        event = json.loads(ours["body"])
    else:
        assert ours["content_type"] == "application/x-www-form-urlencoded"
        event = json.loads(urllib.parse.parse_qs(ours["body"].decode())["data"][0])
    assert event == {"epoch": 3, "loss": 0.5, "val_loss": 0.25, "accuracy": 0.75}


def test_form_field_name(server):
    RemoteMonitor(root=_root(server), field="payload").on_epoch_end(0, {"loss": jnp.float32(2.0)})
    (request,) = server.received
    assert request["path"] == "/publish/epoch/end/"
    form = urllib.parse.parse_qs(request["body"].decode())
    assert json.loads(form["payload"][0]) == {"epoch": 0, "loss": 2.0}  # a jax scalar becomes a number


def test_fit_posts_every_epoch(server):
    model = kerasj.Sequential([kerasj.Input((2,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[RemoteMonitor(root=_root(server), send_as_json=True)])
    events = [json.loads(r["body"]) for r in server.received]
    assert [e["epoch"] for e in events] == [0, 1]
    np.testing.assert_allclose([e["loss"] for e in events], history.history["loss"], rtol=1e-6)


def test_an_unreachable_server_warns_and_training_goes_on():
    probe = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    root = _root(probe)
    probe.server_close()  # nothing listens on that port any more
    with pytest.warns(UserWarning, match=f"Could not reach RemoteMonitor root server at {root}"):
        RemoteMonitor(root=root).on_epoch_end(0, {"loss": 1.0})


def test_without_requests_it_raises_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "requests", None)  # `import requests` now fails
    callback = RemoteMonitor()  # constructing needs no requests
    with pytest.raises(ImportError, match="RemoteMonitor requires the `requests` library"):
        callback.on_epoch_end(0, {"loss": 1.0})
