"""TensorBoard(profile_batch=...): a JAX profiler trace of the requested training batches, in the layout
TensorBoard's profile plugin reads (`<log_dir>/train/plugins/profile/<timestamp>/<host>.xplane.pb`).

The .xplane.pb is parsed with TensorFlow's XSpace proto (tsl's xplane_pb2, loaded from its file so that
TensorFlow itself is not imported); the gzip'd Chrome trace next to it is read as JSON.
"""
import glob
import gzip
import importlib.util
import json
import os
import warnings

import numpy as np
import pytest

import kerasj
from kerasj.callbacks.tensorboard import TensorBoard

X = np.random.RandomState(0).rand(12, 3).astype("float32")
Y = np.random.RandomState(1).rand(12, 1).astype("float32")


def _xplane_proto():
    """tsl's generated xplane_pb2 module, or None where TensorFlow is not installed."""
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(spec.submodule_search_locations[0], "tsl", "profiler", "protobuf", "xplane_pb2.py")
    if not os.path.exists(path):
        return None
    module_spec = importlib.util.spec_from_file_location("_kerasj_test_xplane_pb2", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _annotations_in_xplane(path):
    """The names of the "Profiled batch ..." events in an .xplane.pb file (an XSpace protobuf)."""
    proto = _xplane_proto()
    if proto is None:
        return None
    space = proto.XSpace()
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    assert space.planes, "the XSpace holds no planes"
    names = set()
    for plane in space.planes:
        metadata = {key: value.name for key, value in plane.event_metadata.items()}
        for line in plane.lines:
            names.update(metadata.get(event.metadata_id, "") for event in line.events)
    return {name for name in names if name.startswith("Profiled batch")}


@pytest.fixture(scope="module")
def profiled_run(tmp_path_factory):
    """A 2-epoch fit of 3 batches each (6 batches in the run) profiling batches 2 to 4 of the run."""
    log_dir = tmp_path_factory.mktemp("profile_logs")
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # profiling is supported: no "ignoring" warning any more
        callback = TensorBoard(log_dir, profile_batch=(2, 4))
    history = model.fit(X, Y, batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    return log_dir, history


def test_trace_files_exist_where_the_profile_plugin_looks(profiled_run):
    log_dir, history = profiled_run
    sessions = glob.glob(os.path.join(log_dir, "train", "plugins", "profile", "*"))
    assert len(sessions) == 1  # one trace for the one requested range
    files = os.listdir(sessions[0])
    assert any(name.endswith(".xplane.pb") for name in files)
    assert any(name.endswith(".trace.json.gz") for name in files)
    # The scalars are written as before, next to the trace.
    assert glob.glob(os.path.join(log_dir, "train", "events.out.tfevents.*"))
    assert len(history.history["loss"]) == 2


def test_only_the_requested_batches_are_traced(profiled_run):
    """Run batches 2, 3, 4 are epoch 0's batches 1 and 2 and epoch 1's batch 0."""
    log_dir, _ = profiled_run
    session = glob.glob(os.path.join(log_dir, "train", "plugins", "profile", "*"))[0]
    with gzip.open(glob.glob(os.path.join(session, "*.trace.json.gz"))[0], "rt") as f:
        trace = json.load(f)
    events = [event for event in trace["traceEvents"] if str(event.get("name", "")).startswith("Profiled batch")]
    assert sorted(event["name"] for event in events) == ["Profiled batch 0", "Profiled batch 1", "Profiled batch 2"]
    # The compiled train step ran inside the trace (not only the annotations).
    assert len(trace["traceEvents"]) > len(events)
    xplane = _annotations_in_xplane(glob.glob(os.path.join(session, "*.xplane.pb"))[0])
    assert xplane is None or xplane == {"Profiled batch 0", "Profiled batch 1", "Profiled batch 2"}
    assert _xplane_proto() is not None  # CI installs tensorflow: the .xplane.pb is checked there


def test_one_batch_and_string_forms(tmp_path):
    callback = TensorBoard(tmp_path, profile_batch=3)
    assert (callback._profile_start, callback._profile_stop) == (3, 3)
    callback = TensorBoard(tmp_path, profile_batch="2,5")
    assert (callback._profile_start, callback._profile_stop) == (2, 5)
    assert TensorBoard(tmp_path, profile_batch=np.int64(0))._chunked_batch_hooks  # off: chunks allowed
    assert not TensorBoard(tmp_path, profile_batch=1)._chunked_batch_hooks


def test_no_trace_when_off_or_beyond_the_run(tmp_path):
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / "off")])
    # A range past the run's 3 batches never starts; a range cut short by the end of fit is saved.
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / "late", profile_batch=5)])
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0,
              callbacks=[TensorBoard(tmp_path / "cut", profile_batch=(3, 9))])
    assert not glob.glob(str(tmp_path / "off" / "train" / "plugins"))
    assert not glob.glob(str(tmp_path / "late" / "train" / "plugins"))
    assert len(glob.glob(str(tmp_path / "cut" / "train" / "plugins" / "profile" / "*" / "*.xplane.pb"))) == 1


@pytest.mark.parametrize("bad", [-1, (3, 2), (0, 4), (1, 2, 3), "a,b", "5", 2.5, True, None, (1, "2")])
def test_bad_profile_batch_names_the_argument(tmp_path, bad):
    with pytest.raises(ValueError, match=r"profile_batch.*non-negative integer.*pair of positive integers"):
        TensorBoard(tmp_path, profile_batch=bad)
