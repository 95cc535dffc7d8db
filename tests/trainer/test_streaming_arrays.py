"""In-memory arrays over `kerasj.config.device_array_budget()` are streamed to the device in chunks of batches
(kerasj.trainer.streaming): results equal the all-on-device path exactly, few programs compile, at most two
chunks are on the device, and peak memory stays bounded for a memmap larger than the budget."""
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import kerasj as keras
from kerasj import layers
from kerasj.trainer import data as data_utils
from kerasj.trainer import streaming
from kerasj.trainer.sources import ArraySource, make_source

# 203 rows of 6 float64 features (float32 on the device), int64 labels (int32) and float64 sample weights: 28
# bytes a row on the device (32 with the weights), 224 (256) a batch of 8. Half of the budget holds 5 batches
# either way, so an epoch's 25 full batches go as 5 chunks of 5.
N, D, BATCH, BUDGET = 203, 6, 8, 2 * 1300


@pytest.fixture
def budget():
    def set_budget(value):
        keras.config.set_device_array_budget(value)
    yield set_budget
    keras.config.set_device_array_budget(None)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((N, D)), rng.integers(0, 3, N), rng.random(N)


def make_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((D,)), layers.Dense(8, activation="relu"), layers.Dropout(0.3),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fit(model, x, y, sw, epochs=2):
    keras.utils.set_random_seed(5)
    return model.fit(x[:152], y[:152], sample_weight=sw[:152], batch_size=BATCH, epochs=epochs, verbose=0)


def run_all(model, x, y, sw):
    history = fit(model, x, y, sw)
    return (history.history, model.get_weights(), model.predict(x, batch_size=10, verbose=0),
            model.evaluate(x, y, sample_weight=sw, batch_size=BATCH, verbose=0))


def test_budget_setting_round_trips_and_rejects_bad_values(budget):
    budget(12345)
    assert keras.config.device_array_budget() == 12345
    budget(None)
    assert keras.config.device_array_budget() == 2 << 30  # CPU: the fixed default
    for bad in (0, -1, 1.5, "1GB", True):
        with pytest.raises(ValueError, match="set_device_array_budget"):
            keras.config.set_device_array_budget(bad)


def test_source_is_chosen_by_size(data, budget):
    x, y, _ = data
    budget(BUDGET)
    assert isinstance(make_source("fit", x, y), streaming.StreamingArraySource)
    assert isinstance(make_source("fit", x[:40], y[:40]), ArraySource)  # under the budget: on the device
    assert isinstance(make_source("fit", jax.numpy.asarray(x), y), ArraySource)  # already on the device
    with pytest.raises(TypeError, match="x must be a numeric array"):
        make_source("fit", x.astype(object), y)
    with pytest.raises(ValueError, match="cardinality"):
        make_source("fit", x, y[:-1])


@pytest.mark.parametrize("shuffle", [True, "batch", False])
def test_chunks_hold_the_epochs_batches_in_order_within_the_budget(data, budget, shuffle):
    x, y, sw = data
    budget(BUDGET)
    stream = make_source("fit", x, y, sw, batch_size=BATCH, steps=11)
    whole = make_source("fit", x[:40], y[:40])  # only for its device dtypes
    chunk = stream.train_chunk(1, False, 0)
    assert chunk == 5
    np.random.seed(3)
    plan, rest = data_utils.epoch_index_plan(N, BATCH, shuffle, chunk)
    np.random.seed(3)
    calls = list(stream.dispatches(shuffle, chunk))
    assert [n for _, _, n in calls] == [5, 5, 1]  # steps=11 stops inside the last chunk
    for (chunk_data, local, n_valid), (indices, _) in zip(calls, plan):
        assert streaming.device_bytes(chunk_data) <= BUDGET // 2
        gathered = jax.tree_util.tree_map(lambda a: np.asarray(a)[local.reshape(-1)], chunk_data)
        rows = indices.reshape(-1)
        expected = (x[rows].astype(np.float32), y[rows], sw[rows].astype(np.float32))
        for got, want in zip(gathered, expected):
            np.testing.assert_array_equal(got, want)
        assert gathered[0].dtype == whole.x.dtype and gathered[1].dtype == whole.y.dtype


def test_fit_evaluate_predict_equal_the_all_on_device_path(data, budget):
    x, y, sw = data
    on_device = make_model()
    expected = run_all(on_device, x, y, sw)
    budget(BUDGET)
    streamed = make_model()
    got = run_all(streamed, x, y, sw)
    assert got[0] == expected[0]  # every epoch's loss and metrics, bit for bit
    for a, b in zip(got[1], expected[1]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(got[2], expected[2])
    assert got[3] == expected[3]
    # The 152 training rows are 19 batches: chunks of 5 and a padded chunk of 4, one program each.
    assert streamed._programs["train"].trace_count == 2
    # Evaluate: 25 batches of 8 (chunks of 5) and a partial batch of 3.
    assert streamed._programs["test"].trace_count == 2
    fit(streamed, x, y, sw, epochs=1)
    assert streamed._programs["train"].trace_count == 2  # a second fit compiles nothing


def test_at_most_two_chunks_are_in_flight(data, budget, monkeypatch):
    x, y, _ = data
    budget(BUDGET)
    stream = make_source("evaluate", x, y, batch_size=BATCH)
    waited = []
    monkeypatch.setattr(streaming.jax, "block_until_ready", waited.append)
    for k, _ in enumerate(stream.dispatches(False, stream.inference_chunk(1))):
        # When chunk k is put, the call on chunk k - 2 must have finished (its outputs were waited on).
        assert waited == list(range(k - 1))
        stream.dispatched(k)
    assert k == 5  # 5 chunks of 5 batches, then the final partial batch


_MEMMAP_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import kerasj as keras

    def peak_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

    rows, dim = 8192, 1024  # a 32 MiB file, 16 times the budget
    x = np.memmap(sys.argv[1], np.float32, "r", shape=(rows, dim))
    y = np.zeros((rows, 1), np.float32)
    model = keras.Sequential([keras.Input((dim,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")  # plain SGD: no state to reset
    start = model.get_weights()
    keras.config.set_device_array_budget(2 << 20)
    model.fit(x[:1024], y[:1024], batch_size=64, verbose=0)  # compile the chunk programs first
    model.set_weights(start)
    before = peak_mb()
    keras.utils.set_random_seed(1)
    model.fit(x, y, batch_size=64, shuffle=False, verbose=0)
    streamed = peak_mb() - before
    weights = model.get_weights()

    keras.config.set_device_array_budget(None)
    on_device = keras.Sequential([keras.Input((dim,)), keras.layers.Dense(1)])
    on_device.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    on_device.set_weights(start)
    before = peak_mb()
    keras.utils.set_random_seed(1)
    on_device.fit(x, y, batch_size=64, shuffle=False, verbose=0)
    whole = peak_mb() - before
    same = all(np.array_equal(a, b) for a, b in zip(weights, on_device.get_weights()))
    finite = all(np.isfinite(w).all() for w in weights)
    print(f"streamed_mb={streamed:.1f} whole_mb={whole:.1f} same={same and finite}")
""")


def test_memmap_larger_than_the_budget_trains_in_bounded_memory(tmp_path):
    path = tmp_path / "x.f32"
    rng = np.random.default_rng(0)
    mm = np.memmap(path, np.float32, "w+", shape=(8192, 1024))
    mm[:] = rng.random((8192, 1024), dtype=np.float32)
    mm.flush()
    del mm
    script = tmp_path / "probe.py"
    script.write_text(_MEMMAP_SCRIPT)
    out = subprocess.run([sys.executable, str(script), str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    figures = dict(item.split("=") for item in out.stdout.split())
    assert figures["same"] == "True"  # the streamed fit equals the all-on-device fit
    # Peak RSS growth: streamed a few chunks, far under the 32 MiB file (whose pages the reader drops after
    # each chunk); all-on-device the file's pages plus its copy. Reads in file order (shuffle=False): a
    # shuffled chunk's rows can map in large page-cache folios (clean, reclaimable file pages) on newer kernels.
    assert float(figures["streamed_mb"]) < 12, figures
    assert float(figures["whole_mb"]) > 32, figures
