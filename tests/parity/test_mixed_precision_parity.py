"""Mixed precision in kerasj and Keras 3 (JAX backend): the same model (Conv2D, BatchNormalization, Embedding,
LayerNormalization, Dense; no recurrent layer, whose compile time would double the file's) under "mixed_bfloat16"
and "mixed_float16" gives the same outputs, in the same dtypes, after set_weights; one epoch of fit ends with the
same weights (to half-precision tolerance); and LossScaleOptimizer's dynamic scale evolves as Keras's on losses
whose scaled gradients overflow float16."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj
from kerasj.dtype_policies import dtype_policy as policy_state

# bfloat16 keeps 8 bits of mantissa, float16 11: outputs and updated weights agree to a few of their ulps.
TOL = {"mixed_bfloat16": 3e-2, "mixed_float16": 4e-3}


@pytest.fixture(autouse=True)
def restore_global_policy():
    ours, theirs = policy_state._GLOBAL_POLICY[0], keras.config.dtype_policy()
    yield
    policy_state._GLOBAL_POLICY[0] = ours
    keras.config.set_dtype_policy(theirs)


def build(lib, policy):
    """Image and token inputs, two branches, two outputs: one in the compute dtype, one forced to float32."""
    lib.config.set_dtype_policy(policy)
    L = lib.layers
    image = lib.Input((4, 4, 2), name="image")
    tokens = lib.Input((5,), dtype="int32", name="tokens")
    a = L.Conv2D(3, 3, name="conv")(image)
    a = L.BatchNormalization(name="bn")(a)
    a = L.GlobalAveragePooling2D(name="pool")(a)
    b = L.Embedding(10, 4, name="embed")(tokens)
    b = L.LayerNormalization(name="ln")(b)
    b = L.GlobalAveragePooling1D(name="seq_pool")(b)
    h = L.Dense(4, activation="relu", name="hidden")(L.Concatenate(name="cat")([a, b]))
    out = L.Dense(2, name="out")(h)
    out32 = L.Dense(1, dtype="float32", name="out32")(h)
    model = lib.Model([image, tokens], [out, out32])
    lib.config.set_dtype_policy("float32")
    return model


def data(n=16):
    rng = np.random.default_rng(0)
    return ([rng.normal(size=(n, 4, 4, 2)).astype("float32"), rng.integers(0, 10, (n, 5)).astype("int32")],
            [rng.normal(size=(n, 2)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")])


@pytest.fixture(scope="module", params=["mixed_bfloat16", "mixed_float16"])
def models(request):
    policy = request.param
    ours, theirs = build(kerasj, policy), build(keras, policy)
    weights = [np.random.default_rng(1).normal(scale=0.5, size=w.shape).astype("float32") for w in theirs.weights]
    for i, w in enumerate(theirs.weights):
        if "moving_variance" in w.path:
            weights[i] = np.abs(weights[i]) + 0.5
    theirs.set_weights(weights)
    ours.set_weights(weights)
    keras.config.set_dtype_policy("float32")
    return policy, ours, theirs, weights


def test_layers_have_keras_policies_and_weight_dtypes(models):
    policy, ours, theirs, _ = models
    assert [layer.dtype_policy.name for layer in ours.layers] == [layer.dtype_policy.name for layer in theirs.layers]
    assert [(l.compute_dtype, l.variable_dtype) for l in ours.layers] == \
        [(l.compute_dtype, l.variable_dtype) for l in theirs.layers]
    assert [w.dtype for w in ours.weights] == [w.dtype for w in theirs.weights] == ["float32"] * len(ours.weights)
    assert [t.dtype for t in ours.outputs] == [t.dtype for t in theirs.outputs]


def test_outputs_and_their_dtypes_match_keras(models):
    policy, ours, theirs, _ = models
    x, _ = data()
    mine, expected = ours.predict(x, verbose=0), theirs.predict(x, verbose=0)
    for got, want in zip(mine, expected):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got, "float32"), np.asarray(want, "float32"), rtol=TOL[policy],
                                   atol=TOL[policy])
    assert str(mine[0].dtype) == {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}[policy]
    assert str(mine[1].dtype) == "float32"


def test_one_epoch_of_fit_gives_keras_weights(models):
    policy, ours, theirs, weights = models
    x, y = data()
    for model, lib in ((ours, kerasj), (theirs, keras)):
        model.set_weights(weights)
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=["mse", "mse"])
    assert isinstance(ours.optimizer, kerasj.mixed_precision.LossScaleOptimizer) == (policy == "mixed_float16")
    assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__
    h_ours = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=TOL[policy])
    for w_ours, w_theirs in zip(ours.weights, theirs.weights):
        assert w_ours.dtype == "float32"
        np.testing.assert_allclose(np.asarray(w_ours), np.asarray(w_theirs), rtol=TOL[policy], atol=TOL[policy],
                                   err_msg=w_ours.path)
    moved = [not np.allclose(np.asarray(w), start) for w, start in zip(ours.weights, weights)]
    assert sum(moved) >= len(ours.trainable_weights) - 2  # the epoch really trained (not every step was skipped)


def _dense_model(lib):
    lib.config.set_dtype_policy("mixed_float16")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, kernel_initializer="ones")])
    lib.config.set_dtype_policy("float32")
    opt = lib.optimizers.SGD(1e-6)
    model.compile(optimizer=lib.mixed_precision.LossScaleOptimizer(opt, initial_scale=2.0**15, dynamic_growth_steps=2),
                  loss="mse")
    return model


def test_loss_scale_evolution_matches_keras_when_scaled_gradients_overflow():
    """Targets far from the outputs give gradients of about 1e3; times 2**15 they overflow float16 (max 65504),
    so the first steps are skipped and halve the scale, until it is small enough; then two finite steps in a row
    double it again (dynamic_growth_steps=2)."""
    x = np.full((4, 3), 1.0, "float32")
    y = np.full((4, 2), 1000.0, "float32")
    scales, kernels = [], []
    for lib in (kerasj, keras):
        model = _dense_model(lib)
        trace = []
        for _ in range(12):
            model.train_on_batch(x, y)
            trace.append(float(np.asarray(model.optimizer.dynamic_scale)))
        scales.append(trace)
        kernels.append(np.asarray(model.layers[-1].kernel))
    assert scales[0] == scales[1]
    assert scales[0][0] == 2.0**14 and max(scales[0][6:]) > min(scales[0])  # halved, then grew again
    np.testing.assert_allclose(kernels[0], kernels[1], rtol=1e-3)
