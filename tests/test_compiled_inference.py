"""`model(x)` outside training on a graph model: one compiled forward per input signature
(kerasj.models.functional.CompiledInference), results equal to the eager path, weights read as arguments, and
the eager path kept wherever its semantics matter. Compilations are counted, never timed."""
import copy
import os
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj as keras
from kerasj import layers
from kerasj.masks import get_mask, set_mask
from kerasj.variables import StateScope


def _traces(model):
    compiled = model.__dict__.get("_compiled_inference")
    return 0 if compiled is None else compiled.trace_count


def _mlp():
    return keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(2)])


def _numpy_mlp(model, x, relu=True):
    w1, b1, w2, b2 = model.get_weights()
    h = x @ w1 + b1
    return (np.maximum(h, 0) if relu else h) @ w2 + b2


def _eager(model, *args, **kwargs):
    """The eager path's answer for the same call (run_eagerly keeps model(x) eager)."""
    model.run_eagerly = True
    try:
        return model(*args, **kwargs)
    finally:
        model.run_eagerly = False


@pytest.fixture(scope="module")
def mlp():
    return _mlp()


def test_one_compile_per_signature_and_results_match_numpy(mlp, rng):
    x = rng.normal(size=(5, 3)).astype("float32")
    start = _traces(mlp)
    np.testing.assert_allclose(mlp(x), _numpy_mlp(mlp, x), rtol=1e-5, atol=1e-6)
    mlp(x)
    mlp(jnp.asarray(x))  # a jax array of the same shape and dtype is the same signature
    assert _traces(mlp) == start + 1
    np.testing.assert_allclose(mlp(x[:2]), _numpy_mlp(mlp, x[:2]), rtol=1e-5, atol=1e-6)
    mlp(x[:2], training=False)
    mlp(x[:2], training=False)
    assert _traces(mlp) == start + 3  # (5, 3), (2, 3), and (2, 3) with training=False
    assert isinstance(mlp(x), jax.Array)


def test_weight_changes_are_seen_without_recompiling(mlp, rng):
    x = rng.normal(size=(5, 3)).astype("float32")
    mlp(x)
    start = _traces(mlp)
    mlp.set_weights([w + 0.5 for w in mlp.get_weights()])
    np.testing.assert_allclose(mlp(x), _numpy_mlp(mlp, x), rtol=1e-5, atol=1e-6)
    mlp.layers[1].bias.assign(np.full((2,), 3.0, "float32"))
    np.testing.assert_allclose(mlp(x), _numpy_mlp(mlp, x), rtol=1e-5, atol=1e-6)
    layers.Dense(3)  # layers and Variables made elsewhere leave this model's programs alone
    mlp(x)
    assert _traces(mlp) == start


def test_a_copied_model_reads_its_own_weights(mlp, rng):
    x = rng.normal(size=(2, 3)).astype("float32")
    mlp(x)
    twin = copy.deepcopy(mlp)
    twin.set_weights([w * 0.0 + 0.25 for w in twin.get_weights()])
    np.testing.assert_allclose(twin(x), _numpy_mlp(twin, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mlp(x), _numpy_mlp(mlp, x), rtol=1e-5, atol=1e-6)
    restored = pickle.loads(pickle.dumps(mlp))
    np.testing.assert_allclose(restored(x), _numpy_mlp(mlp, x), rtol=1e-5, atol=1e-6)


def test_an_optimizer_step_is_seen(rng):
    model = _mlp()
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(4, 3)).astype("float32")
    before = np.asarray(model(x))
    model.train_on_batch(x, np.ones((4, 2), "float32"))
    after = np.asarray(model(x))
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, _numpy_mlp(model, x), rtol=1e-5, atol=1e-6)
    assert _traces(model) == 1


def test_changing_a_layer_attribute_recompiles(rng):
    model = _mlp()
    x = rng.normal(size=(4, 3)).astype("float32")
    model(x)
    model.layers[0].activation = keras.activations.get("linear")
    np.testing.assert_allclose(model(x), _numpy_mlp(model, x, relu=False), rtol=1e-5, atol=1e-6)
    assert _traces(model) == 2


def test_dict_inputs_and_masks_match_an_independent_computation(rng):
    tokens = keras.Input((4,), dtype="int32", name="tokens")
    numbers = keras.Input((3,), name="numbers")
    embedded = layers.Embedding(6, 2, mask_zero=True)(tokens)
    summary = layers.GlobalAveragePooling1D()(embedded)  # averages over the unmasked steps only
    out = layers.Concatenate()([summary, layers.Dense(2)(numbers)])
    model = keras.Model({"tokens": tokens, "numbers": numbers}, {"out": out, "embedded": embedded})
    table, kernel, bias = model.get_weights()
    for batch in (2, 3):
        data = {"tokens": np.array([[1, 2, 0, 0], [3, 0, 0, 0], [5, 4, 3, 2]][:batch], "int32"),
                "numbers": rng.normal(size=(batch, 3)).astype("float32")}
        result = model(data)
        keep = (data["tokens"] != 0)[..., None]
        mean = (table[data["tokens"]] * keep).sum(1) / keep.sum(1)
        expected = np.concatenate([mean, data["numbers"] @ kernel + bias], axis=-1)
        np.testing.assert_allclose(result["out"], expected, rtol=1e-5, atol=1e-6)
        # The embedding's output mask comes out of the program onto the returned array, as eagerly.
        np.testing.assert_array_equal(get_mask(result["embedded"]), data["tokens"] != 0)
    model({"numbers": data["numbers"][:2], "tokens": data["tokens"][:2]})
    assert _traces(model) == 2


def test_an_input_mask_reaches_the_layers(rng):
    inputs = keras.Input((4, 2))
    model = keras.Model(inputs, layers.GlobalAveragePooling1D()(inputs))
    x = jnp.asarray(rng.normal(size=(2, 4, 2)).astype("float32"))
    mask = jnp.array([[True, True, False, False], [True, False, False, False]])
    plain = model(x)
    set_mask(x, mask)
    masked, eager = model(x), _eager(model, x)
    expected = np.stack([np.asarray(x)[0, :2].mean(0), np.asarray(x)[1, :1].mean(0)])
    np.testing.assert_allclose(masked, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(eager, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(plain, masked)
    assert _traces(model) == 2  # with and without a mask


def test_losses_and_variables_assigned_in_inference_match_an_independent_computation(rng):
    inputs = keras.Input((2, 3), batch_size=2)
    h = layers.SimpleRNN(3, stateful=True, return_sequences=True)(inputs)
    model = keras.Model(inputs, layers.Dense(2, activity_regularizer="l2")(h))
    kernel, recurrent, rnn_bias, dense_kernel, dense_bias = model.get_weights()
    x = rng.normal(size=(2, 2, 3)).astype("float32")
    state = np.zeros((2, 3), "float32")
    for _ in range(2):  # the stateful RNN carries its state from call to call
        steps = []
        for t in range(2):
            state = np.tanh(x[:, t] @ kernel + state @ recurrent + rnn_bias)
            steps.append(state)
        expected = np.stack(steps, axis=1) @ dense_kernel + dense_bias
        np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-5)
        assert len(model.losses) == 1  # Keras's activity loss: l2(0.01) of the outputs over the batch size
        np.testing.assert_allclose(model.losses[0], 0.01 * np.sum(expected ** 2) / 2, rtol=1e-4)
    assert _traces(model) == 1


class _CountingLayer(layers.Layer):
    calls = 0

    def call(self, x):
        type(self).calls += 1
        return x * 2.0


def test_the_eager_cases_stay_eager(mlp, rng):
    x = rng.normal(size=(3, 3)).astype("float32")
    mlp(x)
    start = _traces(mlp)
    expected = _numpy_mlp(mlp, x)
    mlp(x, training=True)
    np.testing.assert_allclose(jax.jit(lambda a: mlp(a))(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(keras.function(lambda a: mlp(a))(x), expected, rtol=1e-5, atol=1e-6)
    values = [v.value for v in mlp.variables]
    with StateScope(zip(mlp.variables, values)):
        np.testing.assert_allclose(mlp(x), expected, rtol=1e-5, atol=1e-6)
    out, _ = mlp.stateless_call([v.value for v in mlp.trainable_variables], [], x)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert isinstance(mlp(keras.Input((3,))), keras.KerasTensor)
    _eager(mlp, x)
    assert _traces(mlp) == start


def test_user_layers_and_host_layers_keep_the_model_eager():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, _CountingLayer()(inputs))
    before = _CountingLayer.calls
    for _ in range(3):
        np.testing.assert_allclose(model(np.ones((1, 2), "float32")), [[2.0, 2.0]])
    assert _CountingLayer.calls == before + 3  # the Python side effect runs on every call
    ints = keras.Input((2,), dtype="int32")
    hashed = keras.Model(ints, layers.Hashing(num_bins=3)(ints))
    codes = hashed(np.array([[1, 2]], "int32"))
    assert np.asarray(codes).shape == (1, 2) and np.all((np.asarray(codes) >= 0) & (np.asarray(codes) < 3))
    assert _traces(model) == 0 and _traces(hashed) == 0


def test_a_layer_that_needs_concrete_values_falls_back_to_eager():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layers.Lambda(lambda t: jnp.asarray(np.asarray(t) + 1.0),
                                                   output_shape=(2,))(inputs))
    for _ in range(2):
        np.testing.assert_allclose(model(np.zeros((1, 2), "float32")), [[1.0, 1.0]])
    assert _traces(model) == 1  # tried once; the signature is eager from then on


def test_the_compilation_cache_switch(tmp_path):
    path = keras.config.enable_compilation_cache(str(tmp_path / "cache"))
    try:
        assert keras.config.compilation_cache_dir() == path and jax.config.jax_compilation_cache_dir == path
        jax.jit(lambda a: a * 1.2345 + 6.789)(jnp.ones(3)).block_until_ready()
        assert os.listdir(path)
    finally:
        keras.config.disable_compilation_cache()
    assert keras.config.compilation_cache_dir() is None and jax.config.jax_compilation_cache_dir is None
    count = len(os.listdir(path))
    jax.jit(lambda a: a * 9.876 - 5.4321)(jnp.ones(3)).block_until_ready()
    assert len(os.listdir(path)) == count


def test_small_predict_uses_the_compiled_forward(mlp, rng):
    x = rng.normal(size=(6, 3)).astype("float32")
    out = mlp.predict(x, verbose=0)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, _numpy_mlp(mlp, x), rtol=1e-5, atol=1e-6)
    count = _traces(mlp)
    mlp.predict(x, verbose=0)
    assert _traces(mlp) == count
    big = rng.normal(size=(33, 3)).astype("float32")  # more than one batch: the batched pipeline
    np.testing.assert_allclose(mlp.predict(big, verbose=0), _numpy_mlp(mlp, big), rtol=1e-5, atol=1e-6)
    assert _traces(mlp) == count
