"""kerasj.distribution's API on the suite's single device, compared with Keras 3's keras.distribution (JAX
backend): signatures, LayoutMap matching and errors, DeviceMesh / TensorLayout attributes, distribute_tensor,
initialize's environment variables, and the current-distribution scope. Multi-device behaviour is tested in
test_distribution_8_devices.py."""
import inspect

import jax
import keras
import numpy as np
import pytest

from kerasj import distribution as D

NAMES = ["DataParallel", "DeviceMesh", "LayoutMap", "ModelParallel", "TensorLayout", "distribute_tensor",
         "distribution", "get_device_count", "initialize", "list_devices", "set_distribution"]


@pytest.mark.parametrize("name", NAMES)
def test_signatures_match_keras(name):
    assert inspect.signature(getattr(D, name)) == inspect.signature(getattr(keras.distribution, name))


def test_devices_match_keras():
    assert D.list_devices() == keras.distribution.list_devices()
    assert D.list_devices("cpu") == keras.distribution.list_devices("CPU")
    assert D.get_device_count() == keras.distribution.get_device_count() == jax.device_count()


def _both(fn):
    """fn(module) for kerasj's and Keras's distribution modules: (result or error type) of each."""
    out = []
    for module in (D, keras.distribution):
        try:
            out.append(fn(module))
        except Exception as e:
            out.append(type(e))
    return out


def _layout_map(module):
    mesh = module.DeviceMesh((1,), ["model"], devices=module.list_devices())
    layout_map = module.LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "model")
    layout_map[".*dense.*bias"] = ("model",)
    layout_map[".*conv2d.*kernel"] = module.TensorLayout((None, None, None, "model"))
    layout_map["my_model/special"] = ("model", None)
    return layout_map


PATHS = ["dense_1/kernel", "dense_1.kernel", "my_model/dense_2/bias", "my_model/conv2d_123/kernel",
         "my_model/conv3d_1/kernel", "my_model/special", "a/dense/kernel/extra", "ense/kernel"]


@pytest.mark.parametrize("path", PATHS)
def test_layout_map_matching_matches_keras(path):
    ours, theirs = _both(lambda m: _layout_map(m)[path])
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert ours.axes == theirs.axes and ours.device_mesh.shape == theirs.device_mesh.shape


def test_layout_map_multiple_matches_raise_as_keras():
    def lookup(module):
        layout_map = _layout_map(module)
        layout_map[".*_1/.*"] = ("model",)
        return layout_map["dense_1/kernel"]
    assert _both(lookup) == [ValueError, ValueError]
    with pytest.raises(ValueError, match="matches several keys"):
        lookup(D)


@pytest.mark.parametrize("value", [("model",), ["model"], "model", 3])
def test_layout_map_values_and_duplicate_keys_as_keras(value):
    def setitem(module):
        layout_map = _layout_map(module)
        layout_map["new"] = value
        return layout_map["new"].axes
    assert _both(setitem)[0] == _both(setitem)[1]

    def duplicate(module):
        _layout_map(module)[".*dense.*bias"] = ("model",)
    assert _both(duplicate) == [ValueError, ValueError]


def test_layout_map_mapping_protocol():
    ours, theirs = _layout_map(D), _layout_map(keras.distribution)
    assert list(ours) == list(theirs) and len(ours) == len(theirs) == 4
    del ours["my_model/special"]
    assert "my_model/special" not in list(ours) and ours["my_model/special"] is None
    assert ours.get("nothing/matches") is theirs.get("nothing/matches") is None


@pytest.mark.parametrize("args", [((2,), ["a"]), ((), ["a"]), ((1,), []), ((1, 1), ["a"]), ((1,), ["a"])])
def test_device_mesh_checks_and_attributes_as_keras(args):
    ours, theirs = _both(lambda m: m.DeviceMesh(*args))
    if isinstance(theirs, type):
        assert ours is theirs
    else:
        assert ours.shape == theirs.shape and list(ours.axis_names) == list(theirs.axis_names)
        assert ours.devices.tolist() == theirs.devices.tolist()
        assert ours.backend_mesh.shape == theirs.backend_mesh.shape
        assert repr(ours) == repr(theirs)


def test_tensor_layout_attributes_and_errors_as_keras():
    def build(module):
        mesh = module.DeviceMesh((1,), ["batch"])
        layout = module.TensorLayout(("batch", None))
        layout.device_mesh = mesh
        return layout
    ours, theirs = _both(build)
    assert ours.axes == theirs.axes and ours.backend_layout.spec == theirs.backend_layout.spec
    assert repr(ours) == repr(theirs)
    assert _both(lambda m: setattr(build(m), "device_mesh", m.DeviceMesh((1,), ["x"]))) == [ValueError] * 2
    assert _both(lambda m: m.TensorLayout(("x",), m.DeviceMesh((1,), ["batch"]))) == [ValueError] * 2
    assert _both(lambda m: m.TensorLayout(("batch",)).backend_layout) == [ValueError] * 2


def test_distribute_tensor_matches_keras():
    x = np.arange(6.0, dtype="float32").reshape(2, 3)
    ours, theirs = _both(lambda m: m.distribute_tensor(
        jax.numpy.asarray(x), m.TensorLayout(("batch", None), m.DeviceMesh((1,), ["batch"]))))
    assert type(ours.sharding) is type(theirs.sharding) and np.array_equal(ours, theirs)
    assert ours.sharding.is_equivalent_to(theirs.sharding, 2)
    traced = jax.jit(lambda a: D.distribute_tensor(a, D.TensorLayout(("batch", None),
                                                                     D.DeviceMesh((1,), ["batch"]))) + 1)(x)
    np.testing.assert_array_equal(traced, x + 1)


def test_distributions_attributes_and_errors_as_keras():
    def data_parallel(module):
        d = module.DataParallel()
        return d.batch_dim_name, d.device_mesh.shape, d.num_model_replicas, d.num_processes, d.data_shard_id
    assert _both(data_parallel)[0] == _both(data_parallel)[1]

    def model_parallel(module):
        d = module.ModelParallel(layout_map=_layout_map(module), device_mesh="ignored (deprecated)")
        layouts = d.get_data_layout((4, 3)).axes, d.get_tensor_layout("dense/kernel").axes
        return d.batch_dim_name, d.num_model_replicas, layouts
    assert _both(model_parallel)[0] == _both(model_parallel)[1]
    assert _both(lambda m: m.ModelParallel()) == [ValueError] * 2
    assert _both(lambda m: m.ModelParallel(layout_map={"a": ("b",)})) == [ValueError] * 2
    assert _both(lambda m: m.DataParallel(device_mesh="mesh")) == [ValueError] * 2


def test_scope_and_set_distribution():
    assert D.distribution() is None
    first, second = D.DataParallel(), D.DataParallel()
    with first.scope():
        assert D.distribution() is first
        with second.scope():
            assert D.distribution() is second
        assert D.distribution() is first
    assert D.distribution() is None
    D.set_distribution(first)
    try:
        assert D.distribution() is first
    finally:
        D.set_distribution(None)
    assert D.distribution() is None


def test_initialize_reads_keras_environment_variables(monkeypatch):
    calls = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kw: calls.append(kw))
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "10.0.0.1:1234,10.0.0.2:2345")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    D.initialize()
    assert calls == [{"coordinator_address": "10.0.0.1:1234", "num_processes": 2, "process_id": 1}]
    D.initialize("10.0.0.9:1", num_processes=1, process_id=0)  # arguments win over the environment
    assert calls[-1] == {"coordinator_address": "10.0.0.9:1", "num_processes": 1, "process_id": 0}
    with pytest.raises(ValueError, match="num_processes=3"):
        D.initialize(num_processes=3)  # two addresses in the environment, three processes


def test_variables_outside_a_distribution_are_untouched():
    from kerasj import Variable
    with D.DataParallel().scope():
        inside = Variable(np.ones((2, 2), "float32"))
    outside = Variable(np.ones((2, 2), "float32"))
    # (On one device a replicated layout is the device itself; the 8-device tests check the placement.)
    assert inside._layout is not None and inside._layout.axes == (None, None)
    assert outside._layout is None


@pytest.mark.parametrize("process", [0, 1])
def test_distribute_dataset_gives_each_process_its_part_of_every_batch_as_keras(process):
    """What each of 2 processes reads of a tf.data.Dataset with 4 model replicas (faked: the suite has one
    device and one process): its block of every global batch, as Keras's distribute_dataset gives it."""
    import tensorflow as tf

    def two_processes(cls):
        class Faked(cls):
            num_model_replicas = 4

        dist = Faked()
        dist._num_processes, dist._process_id, dist._is_multi_process = 2, process, True
        return dist

    dataset = tf.data.Dataset.from_tensor_slices(np.arange(24)).batch(8)
    ours = [b.numpy().tolist() for b in two_processes(D.DataParallel).distribute_dataset(dataset)]
    theirs = [b.numpy().tolist() for b in two_processes(keras.distribution.DataParallel).distribute_dataset(dataset)]
    assert ours == theirs == [list(range(8 * k + 4 * process, 8 * k + 4 * process + 4)) for k in range(3)]
