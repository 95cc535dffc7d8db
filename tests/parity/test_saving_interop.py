"""`.keras` archives move between kerasj and Keras 3 (JAX backend) in both directions.

For one small model per layer family: a kerasj archive loads back in kerasj bit for bit, loads in Keras and
predicts the same, and an archive written by Keras from the same model loads in kerasj and predicts the same.
For compiled models the compile configuration travels too: kerasj trains an epoch and saves; Keras loads the
file (same optimizer type, learning rate, loss, metrics and optimizer state), both train one more epoch and end
with the same weights; Keras saves, kerasj loads, and again both train to the same weights.

Weights are set from numpy after building, so the layers use zero initializers: random initializers compile
one program per weight shape, which would dominate the runtime.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerasj  # noqa: E402

ATOL = 1e-6
Z = {"kernel_initializer": "zeros"}


def _stack(lib, shape, layers, dtype="float32"):
    return lib.Sequential([lib.Input(shape, dtype=dtype)] + layers)


def conv1d(lib):
    L = lib.layers
    return _stack(lib, (6, 2), [L.Conv1D(3, 2, padding="same", **Z), L.Conv1DTranspose(2, 3, strides=2, **Z),
                                L.SeparableConv1D(3, 2, depth_multiplier=2, depthwise_initializer="zeros",
                                                  pointwise_initializer="zeros"),
                                L.DepthwiseConv1D(2, depthwise_initializer="zeros")])


def conv2d(lib):
    L = lib.layers
    return _stack(lib, (5, 5, 2), [L.Conv2D(3, 2, activation="relu", **Z), L.Conv2DTranspose(2, 2, strides=2, **Z),
                                   L.SeparableConv2D(3, 3, depthwise_initializer="zeros",
                                                     pointwise_initializer="zeros"),
                                   L.DepthwiseConv2D(2, depth_multiplier=2, depthwise_initializer="zeros")])


def conv3d(lib):
    L = lib.layers
    return _stack(lib, (3, 3, 3, 1), [L.Conv3D(2, 2, **Z), L.Conv3DTranspose(2, 2, **Z)])


def pooling(lib):
    L = lib.layers
    x = lib.Input((6, 6, 2))
    a = L.MaxPooling2D()(x)
    b = L.AveragePooling2D(3, strides=1, padding="same")(x)
    seq = L.MaxPooling1D(2)(L.Reshape((36, 2))(x))
    vol = L.AveragePooling3D(2)(L.Reshape((6, 6, 2, 1))(x))
    pooled = [L.GlobalAveragePooling2D()(b), L.GlobalMaxPooling2D()(a), L.GlobalMaxPooling1D()(seq),
              L.GlobalAveragePooling1D()(seq), L.GlobalAveragePooling3D()(vol), L.GlobalMaxPooling3D()(vol)]
    return lib.Model(x, L.Concatenate()(pooled))


def normalization(lib):
    L = lib.layers
    return _stack(lib, (3, 4), [L.BatchNormalization(), L.LayerNormalization(), L.GroupNormalization(2),
                                L.UnitNormalization()])


def merging(lib):
    L = lib.layers
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    merged = [L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Average()([a, b]),
              L.Maximum()([a, b]), L.Minimum()([a, b]), L.Dot(axes=1)([a, b])]
    return lib.Model([a, b], L.Concatenate()(merged))


def reshaping(lib):
    L = lib.layers
    return _stack(lib, (4, 4, 2), [
        L.Cropping2D(1), L.ZeroPadding2D((1, 2)), L.UpSampling2D(2), L.Permute((2, 1, 3)), L.Reshape((-1, 2)),
        L.Cropping1D((1, 0)), L.ZeroPadding1D(1), L.UpSampling1D(2), L.Flatten(), L.RepeatVector(2),
        L.Reshape((2, -1, 1, 1)), L.ZeroPadding3D(1), L.Cropping3D(1), L.UpSampling3D((1, 1, 2)), L.Flatten()])


def activations(lib):
    L = lib.layers
    return _stack(lib, (5,), [L.ReLU(max_value=2.0), L.LeakyReLU(0.2), L.PReLU(), L.ELU(), L.Activation("tanh"),
                              L.Softmax()])


def regularization(lib):
    L = lib.layers
    return _stack(lib, (4, 3), [L.Dense(3, **Z), L.Dropout(0.5), L.SpatialDropout1D(0.3), L.GaussianNoise(0.1),
                                L.GaussianDropout(0.2), L.AlphaDropout(0.1), L.ActivityRegularization(0.01, 0.01)])


def preprocessing(lib):
    L = lib.layers
    norm = L.Normalization()
    norm.adapt(np.random.default_rng(3).normal(2, 3, size=(20, 6, 6, 3)).astype("float32"))
    return _stack(lib, (6, 6, 3), [L.Rescaling(1 / 255.0, offset=0.5), norm, L.CenterCrop(4, 4), L.Resizing(3, 3),
                                   L.RandomFlip(), L.RandomRotation(0.1), L.RandomZoom(0.1),
                                   L.RandomTranslation(0.1, 0.1), L.RandomContrast(0.2)])


def embedding(lib):
    L = lib.layers
    return _stack(lib, (5,), [L.Embedding(10, 4, embeddings_initializer="zeros"), L.GlobalAveragePooling1D()],
                  dtype="int32")


def attention(lib):
    L = lib.layers
    q, v = lib.Input((3, 4)), lib.Input((5, 4))
    outs = [L.MultiHeadAttention(2, 3, **Z)(q, v), L.Attention()([q, v]), L.AdditiveAttention()([q, v])]
    return lib.Model([q, v], L.Concatenate()(outs))


def recurrent(lib):
    L = lib.layers
    r = {**Z, "recurrent_initializer": "zeros"}
    return _stack(lib, (4, 3), [L.Masking(), L.Bidirectional(L.LSTM(2, return_sequences=True, **r)),
                                L.GRU(3, **r)])


def core(lib):
    L = lib.layers
    return _stack(lib, (3, 4), [L.TimeDistributed(L.Dense(3, **Z)),
                                L.EinsumDense("abc,cd->abd", (3, 2), bias_axes="d", **Z), L.Identity(),
                                L.Flatten(), L.Dense(2, **Z)])


FAMILIES = [conv1d, conv2d, conv3d, pooling, normalization, merging, reshaping, activations, regularization,
            preprocessing, embedding, attention, recurrent, core]


def random_weights(model, seed):
    """Random values for every weight (positive, so variances and scales are valid)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 1.5, size=w.shape).astype(w.dtype) for w in model.get_weights()]


def inputs_for(model, seed=0):
    rng = np.random.default_rng(seed)
    xs = []
    for t in model.inputs:
        shape = (2,) + tuple(t.shape[1:])
        xs.append(rng.integers(0, 10, size=shape).astype("int32") if "int" in str(t.dtype)
                  else rng.normal(size=shape).astype("float32"))
    return xs if len(xs) > 1 else xs[0]


def architecture(model):
    """The model's config as JSON reads it back (tuples become lists), without the layers' build configs
    (an adapted Normalization has none until it is called; the weights checks cover building)."""
    config = json.loads(model.to_json())
    for record in config["config"]["layers"]:
        record.pop("build_config", None)
    return config


def assert_same_weights(a, b, atol=0.0):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        assert x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=0, atol=atol)


def predict(model, x):
    # predict, not model(x): calling a model directly runs random preprocessing layers in training mode (in
    # both libraries). One compiled program per model is also cheaper than compiling every op eagerly.
    return np.asarray(model.predict(x, verbose=0))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_family_round_trip_and_interop(family, tmp_path):
    ours = family(kerasj)
    weights = random_weights(ours, seed=1)
    ours.set_weights(weights)
    x = inputs_for(ours)
    expected = predict(ours, x)

    # kerasj -> kerasj: bit for bit, same architecture.
    ours.save(tmp_path / "ours.keras")
    again = kerasj.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_array_equal(predict(again, x), expected)
    assert_same_weights(again, ours)
    assert architecture(again) == architecture(ours)

    # kerasj -> Keras.
    theirs_loaded = keras.saving.load_model(tmp_path / "ours.keras")
    assert [type(layer).__name__ for layer in theirs_loaded.layers] == [type(layer).__name__ for layer in ours.layers]
    assert_same_weights(theirs_loaded, ours)
    np.testing.assert_allclose(predict(theirs_loaded, x), expected, rtol=1e-5, atol=ATOL)

    # Keras -> kerasj: the same model built natively by Keras, with the same weights, so (as just checked)
    # it predicts `expected` too.
    theirs = family(keras)
    theirs.set_weights(weights)
    theirs.save(tmp_path / "theirs.keras")
    ours_loaded = kerasj.models.load_model(tmp_path / "theirs.keras")
    assert_same_weights(ours_loaded, theirs)
    np.testing.assert_allclose(predict(ours_loaded, x), expected, rtol=1e-5, atol=ATOL)


# -- compiled models: the compile configuration and the optimizer state carry over ---------------------------

def mlp(lib):
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(5, activation="relu", **Z), lib.layers.Dense(2, **Z)])
    return model, dict(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])


def ops_and_merges(lib):
    L = lib.layers
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    h = L.Dense(4, activation="tanh", **Z)(a * 2.0 + b)
    merged = L.Concatenate()([L.Add()([h, b]), h[:, 0:2], L.Maximum()([a, h])])
    return (lib.Model([a, b], L.Dense(2, **Z)(merged)),
            dict(optimizer=lib.optimizers.SGD(0.05, momentum=0.9), loss="mean_absolute_error", metrics=["mse"]))


def convnet_bn(lib):
    L = lib.layers
    model = lib.Sequential([lib.Input((5, 5, 2)), L.Conv2D(3, 3, **Z), L.BatchNormalization(),
                            L.Activation("relu"), L.GlobalAveragePooling2D(), L.Dense(3, activation="softmax", **Z)])
    return model, dict(optimizer=lib.optimizers.RMSprop(0.005), loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"])


def training_data(model, seed=0):
    rng = np.random.default_rng(seed)
    x = [rng.normal(size=(8,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]
    out = model.outputs[0]
    y = (rng.integers(0, out.shape[-1], size=(8,)) if out.shape[-1] == 3
         else rng.normal(size=(8, out.shape[-1])).astype("float32"))
    return (x if len(x) > 1 else x[0]), y


def fit_epoch(model, x, y):
    return model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0).history


def assert_compile_config(model, kwargs):
    """The loaded model is compiled as `kwargs` (built in the loading library) says: optimizer type and
    arguments (learning rate, momentum, ...), loss and metrics."""
    config = model.get_compile_config()
    assert type(model.optimizer).__name__ == type(kwargs["optimizer"]).__name__
    without_name = lambda c: {k: v for k, v in c.items() if k != "name"}  # noqa: E731
    assert without_name(model.optimizer.get_config()) == without_name(kwargs["optimizer"].get_config())
    assert config["loss"] == kwargs["loss"]
    assert config["metrics"] == kwargs["metrics"]


@pytest.mark.parametrize("make", [mlp, ops_and_merges, convnet_bn], ids=lambda f: f.__name__)
def test_compiled_model_continues_training_in_the_other_library(make, tmp_path):
    ours, kwargs = make(kerasj)
    ours.set_weights(random_weights(ours, seed=2))
    ours.compile(**kwargs)
    x, y = training_data(ours)
    fit_epoch(ours, x, y)
    ours.save(tmp_path / "ours.keras")

    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    _, theirs_kwargs = make(keras)
    assert_compile_config(theirs, theirs_kwargs)
    assert int(theirs.optimizer.iterations) == int(ours.optimizer.iterations) == 2
    assert_same_weights(theirs, ours)
    # Same state in both, so one more epoch gives the same weights and the same logs (loss and metrics).
    ours_logs, theirs_logs = fit_epoch(ours, x, y), fit_epoch(theirs, x, y)
    assert sorted(ours_logs) == sorted(theirs_logs)
    for key in theirs_logs:
        np.testing.assert_allclose(ours_logs[key], theirs_logs[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert_same_weights(theirs, ours, atol=1e-5)

    # Keras -> kerasj, from Keras's state after its epoch.
    theirs.save(tmp_path / "theirs.keras")
    back = kerasj.models.load_model(tmp_path / "theirs.keras")
    assert_compile_config(back, kwargs)
    assert int(back.optimizer.iterations) == int(theirs.optimizer.iterations) == 4
    assert_same_weights(back, theirs)
    fit_epoch(back, x, y)
    fit_epoch(theirs, x, y)
    assert_same_weights(back, theirs, atol=1e-5)
