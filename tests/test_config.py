"""kerasj.config offers every name keras.config does, with Keras's values and the fit caps."""
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerasj  # noqa: E402


def _public(module):
    return {n for n in dir(module) if not n.startswith("_")}


def test_every_keras_config_name_exists():
    assert sorted(_public(keras.config) - _public(kerasj.config)) == []


def test_values_match_keras():
    for name in ("backend", "epsilon", "floatx", "image_data_format", "is_traceback_filtering_enabled",
                 "is_flash_attention_enabled", "is_nnx_enabled", "max_epochs", "max_steps_per_epoch"):
        assert getattr(kerasj.config, name)() == getattr(keras.config, name)(), name
    assert kerasj.config.dtype_policy().name == keras.config.dtype_policy().name == "float32"


@pytest.fixture
def restore_config():
    saved = (kerasj.config.max_epochs(), kerasj.config.max_steps_per_epoch(), kerasj.config.epsilon(),
             kerasj.config.is_flash_attention_enabled(), kerasj.config.is_traceback_filtering_enabled())
    yield
    kerasj.config.set_max_epochs(saved[0])
    kerasj.config.set_max_steps_per_epoch(saved[1])
    kerasj.config.set_epsilon(saved[2])
    (kerasj.config.enable_flash_attention if saved[3] is None else kerasj.config.disable_flash_attention)()
    (kerasj.config.enable_traceback_filtering if saved[4] else kerasj.config.disable_traceback_filtering)()


def test_switches_as_keras(restore_config):
    kerasj.config.set_epsilon(1e-5)
    assert kerasj.config.epsilon() == kerasj.backend.epsilon() == 1e-5
    kerasj.config.disable_flash_attention()
    assert kerasj.config.is_flash_attention_enabled() is False
    kerasj.config.enable_flash_attention()
    assert kerasj.config.is_flash_attention_enabled() is None
    kerasj.config.disable_traceback_filtering()
    assert not kerasj.config.is_traceback_filtering_enabled()


def _model():
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


class _CountBatches(kerasj.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_max_epochs_and_max_steps_cap_fit(restore_config):
    x, y = np.ones((64, 3), "float32"), np.ones((64, 1), "float32")
    kerasj.config.set_max_epochs(2)
    kerasj.config.set_max_steps_per_epoch(3)
    counter = _CountBatches()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = _model().fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[counter])
    assert len(history.history["loss"]) == 2
    assert counter.batches == 2 * 3
    assert any("Limiting epochs to 2" in str(w.message) for w in caught)
    # Generators: steps capped the same way.
    def batches():
        while True:
            yield x[:8], y[:8]
    counter = _CountBatches()
    _model().fit(batches(), epochs=1, steps_per_epoch=10, verbose=0, callbacks=[counter])
    assert counter.batches == 3


def test_without_caps_fit_runs_every_epoch(restore_config):
    kerasj.config.set_max_epochs(None)
    kerasj.config.set_max_steps_per_epoch(None)
    history = _model().fit(np.ones((16, 3)), np.ones((16, 1)), batch_size=8, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3


def test_dtype_policy_accepts_mixed_policies():
    kerasj.config.set_dtype_policy("float32")
    assert kerasj.config.dtype_policy() == kerasj.DTypePolicy("float32")
    saved = kerasj.dtype_policies.dtype_policy._GLOBAL_POLICY[0]
    try:
        kerasj.config.set_dtype_policy("mixed_float16")
        assert (kerasj.config.dtype_policy() == kerasj.DTypePolicy("mixed_float16")
                == kerasj.mixed_precision.global_policy())
    finally:
        kerasj.dtype_policies.dtype_policy._GLOBAL_POLICY[0] = saved
    policy = kerasj.DTypePolicy("mixed_bfloat16")
    expected = keras.DTypePolicy("mixed_bfloat16")
    assert (policy.compute_dtype, policy.variable_dtype) == (expected.compute_dtype, expected.variable_dtype)


def test_set_backend_only_jax():
    kerasj.config.set_backend("jax")
    with pytest.raises(ValueError, match="JAX only"):
        kerasj.config.set_backend("torch")
