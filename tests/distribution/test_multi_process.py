"""Multi-process data parallelism (issue 14, item 3): 2 local processes with 2 virtual CPU devices each join
one cluster through `kerasj.distribution.initialize()` (coordinator on 127.0.0.1, Keras's KERAS_DISTRIBUTION_*
variables) and train a small model with DataParallel over the 4 devices, each process passing only its own
rows. Expected values come from a third process: the same model, one process on 4 virtual devices, trained on
the global batches (each the concatenation of the processes' local batches). The script is
`_multi_process_script.py`; every process is bounded by a timeout and killed in `finally`."""
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = pathlib.Path(__file__).with_name("_multi_process_script.py")
TIMEOUT_S = 120
TOL = 1e-5


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(devices, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERAS_DISTRIBUTION_")}
    return dict(env, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}", JAX_PLATFORMS="cpu",
                KERAS_BACKEND="jax", **extra)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("multi_process")
    address = f"127.0.0.1:{_free_port()}"
    procs = []
    try:
        for pid in range(2):
            env = _env(2, KERAS_DISTRIBUTION_JOB_ADDRESSES=address, KERAS_DISTRIBUTION_NUM_PROCESSES="2",
                       KERAS_DISTRIBUTION_PROCESS_ID=str(pid))
            procs.append(subprocess.Popen([sys.executable, str(SCRIPT), "worker", str(out / f"w{pid}")], env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        single = subprocess.run([sys.executable, str(SCRIPT), "single", str(out / "single")], env=_env(4),
                                capture_output=True, text=True, timeout=TIMEOUT_S)
        assert single.returncode == 0, single.stderr[-4000:]
        logs = [p.communicate(timeout=TIMEOUT_S)[0] for p in procs]
        for p, log in zip(procs, logs):
            assert p.returncode == 0, log[-4000:]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
    return (np.load(out / "single.npz"), [np.load(out / f"w{pid}.npz") for pid in range(2)],
            [out / f"w{pid}.weights.h5" for pid in range(2)], [out / f"w{pid}.mp.weights.h5" for pid in range(2)])


def _weights(found, prefix="w"):
    return [found[f"{prefix}{i}"] for i in range(4)]


def _max_diff(a, b):
    return max(float(np.max(np.abs(p - q))) for p, q in zip(a, b))


def test_cluster_has_two_processes_and_four_devices(runs):
    single, workers, *_ = runs
    assert int(single["process_count"]) == 1 and int(single["device_count"]) == 4
    assert [int(w["process"]) for w in workers] == [0, 1]
    assert all(int(w["process_count"]) == 2 and int(w["device_count"]) == 4 for w in workers)
    assert str(workers[0]["kernel_spec"][0]) == "P(None, None)"  # DataParallel: replicated on the mesh


def test_fit_matches_single_process_on_global_batches(runs):
    single, workers, *_ = runs
    for w in workers:
        assert _max_diff(_weights(w), _weights(single)) < TOL
        # The logged losses are global (over every process's rows), so equal to the single run's.
        np.testing.assert_allclose(w["losses"], single["losses"], atol=TOL)


def test_arrays_are_refused_with_auto_shard_dataset_as_in_keras(runs):
    _, workers, *_ = runs
    for w in workers:
        message = str(w["auto_shard_error"][0])
        assert "tf.data.Dataset" in message and "auto_shard_dataset = False" in message


def test_host_batches_match_single_process(runs):
    single, workers, *_ = runs
    for w in workers:
        assert _max_diff(_weights(w, "iter_w"), _weights(single, "iter_w")) < TOL


def test_evaluate_is_global_and_predict_returns_local_rows(runs):
    single, workers, *_ = runs
    for w in workers:
        np.testing.assert_allclose(w["eval"], single["eval"], atol=TOL)
        assert w["predict"].shape == (12, 1)  # this process's 12 rows, not all 24
        np.testing.assert_allclose(w["predict"], single["predict"][w["predict_rows"]], atol=TOL)
        assert w["predict_small"].shape == (4, 1)
        np.testing.assert_allclose(w["predict_small"], single["predict"][w["predict_rows"][:4]], atol=TOL)


def test_shuffling_uses_one_permutation_in_every_process(runs):
    _, workers, *_ = runs
    # Different NumPy seeds per process; a different permutation per process would make the replicas differ.
    assert _max_diff(_weights(workers[0], "shuffled_w"), _weights(workers[1], "shuffled_w")) == 0.0
    assert _max_diff(_weights(workers[0], "shuffled_w"), _weights(workers[0], "iter_w")) > 1e-4  # it trained


def test_each_process_saves_loadable_weights(runs):
    import kerasj as keras

    _, workers, paths, _ = runs
    for path, w in zip(paths, workers):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(1)])
        model.load_weights(str(path))  # a plain file, read here without any distribution
        assert _max_diff(model.get_weights(), _weights(w, "shuffled_w")) == 0.0


def test_model_parallel_across_processes_matches_one_process(runs):
    import kerasj as keras

    single, workers, _, mp_paths = runs
    for w, path in zip(workers, mp_paths):
        # The hidden kernel (4, 8) is split over the 4 devices of both processes: 2 columns on each device.
        assert str(w["mp_kernel_spec"][0]) == "P(None, 'model')"
        assert [tuple(s) for s in w["mp_kernel_local_shards"]] == [(4, 2), (4, 2)]
        np.testing.assert_allclose(w["mp_losses"], single["mp_losses"], atol=TOL)
        assert _max_diff(_weights(w, "mp_w"), _weights(single, "mp_w")) < TOL  # get_weights gathers whole arrays
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                                  keras.layers.Dense(1, name="out")])
        model.load_weights(str(path))  # saved whole from the split arrays
        assert _max_diff(model.get_weights(), _weights(w, "mp_w")) == 0.0
