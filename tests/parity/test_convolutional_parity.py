"""Convolution layers against Keras 3 (JAX backend): outputs from the same weights, weight names and shapes,
compute_output_shape, get_config, configs and .weights.h5 files read across, and one epoch of training (the
seed-003 MNIST convnet and a model using every family) from the same weights."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

RTOL, ATOL = 1e-5, 1e-5

CASES = [
    ("Conv1D", dict(filters=4, kernel_size=3), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2, activation="relu"), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=4, strides=2, padding="causal"), (2, 9, 3)),
    ("Conv1D", dict(filters=6, kernel_size=2, strides=2, padding="same", groups=3), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, data_format="channels_first"), (2, 3, 9)),
    ("Conv2D", dict(filters=4, kernel_size=(3, 2), strides=(2, 1), padding="same"), (2, 7, 8, 3)),
    ("Conv2D", dict(filters=4, kernel_size=2, groups=2, dilation_rate=(2, 1)), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same", data_format="channels_first",
                    use_bias=False), (2, 3, 7, 8)),
    ("Conv3D", dict(filters=2, kernel_size=2, strides=(1, 2, 1), padding="same"), (1, 4, 5, 3, 2)),
    ("Conv3D", dict(filters=2, kernel_size=(2, 1, 2), data_format="channels_first"), (1, 2, 4, 5, 3)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=3, padding="same", output_padding=2), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, dilation_rate=2, data_format="channels_first"), (2, 2, 5)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=(2, 3), strides=(3, 2)), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, data_format="channels_first"), (2, 2, 4, 5)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2, padding="same"), (1, 2, 3, 2, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, output_padding=(0, 1, 0), strides=(1, 2, 1)),
     (1, 2, 3, 2, 2)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2, padding="same"), (2, 9, 3)),
    ("DepthwiseConv1D", dict(kernel_size=3, strides=2, data_format="channels_first"), (2, 3, 9)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2, strides=2, dilation_rate=2, padding="same"),
     (2, 9, 8, 3)),
    ("DepthwiseConv2D", dict(kernel_size=(3, 2), data_format="channels_first", activation="tanh"), (2, 3, 6, 5)),
    ("SeparableConv1D", dict(filters=5, kernel_size=3, depth_multiplier=2, strides=2), (2, 9, 3)),
    ("SeparableConv1D", dict(filters=5, kernel_size=3, padding="same", data_format="channels_first"), (2, 3, 9)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, padding="same", activation="relu"), (2, 7, 7, 3)),
    ("SeparableConv2D", dict(filters=5, kernel_size=2, strides=2, depth_multiplier=3,
                             data_format="channels_first", use_bias=False), (2, 3, 7, 6)),
]

# Weights start as ones in both libraries and then get the same random numpy values, which avoids compiling
# a random-number program per kernel shape (slow on a 2-core machine) without changing what is compared.
ONES = {"Depthwise": ("depthwise_initializer",), "Separable": ("depthwise_initializer", "pointwise_initializer")}


def cheap(name, kwargs):
    keys = next((v for k, v in ONES.items() if name.startswith(k)), ("kernel_initializer",))
    return {**kwargs, **{key: "ones" for key in keys}}


def case_id(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[case_id(c) for c in CASES])
def test_outputs_weights_and_shapes_match_keras(name, kwargs, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32)
    theirs = getattr(keras.layers, name)(**cheap(name, kwargs))
    ours = getattr(kerasj.layers, name)(**cheap(name, kwargs))
    theirs.build(shape)
    theirs.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5 for w in theirs.get_weights()])
    expected = np.asarray(theirs(x))
    ours(x)
    assert [(w.name, tuple(w.shape)) for w in ours.weights] == [(w.name, tuple(w.shape)) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x), expected, rtol=RTOL, atol=ATOL)
    unknown_batch = (None,) + shape[1:]
    assert ours.compute_output_shape(unknown_batch) == tuple(theirs.compute_output_shape(unknown_batch))


@pytest.mark.parametrize("name,kwargs,shape", CASES, ids=[case_id(c) for c in CASES])
def test_config_matches_keras_and_reads_across(name, kwargs, shape):
    theirs = getattr(keras.layers, name)(name="same_name", **kwargs)
    ours = getattr(kerasj.layers, name)(name="same_name", **kwargs)
    assert ours.get_config() == theirs.get_config()
    # a config written by Keras builds the same layer here
    rebuilt = getattr(kerasj.layers, name).from_config(theirs.get_config())
    assert rebuilt.get_config() == theirs.get_config()


def test_config_with_regularizers_constraints_and_initializers_matches_keras():
    kwargs = dict(filters=4, kernel_size=3, kernel_initializer="he_normal", bias_initializer="ones",
                  kernel_regularizer="l2", bias_regularizer="l2", kernel_constraint="max_norm",
                  bias_constraint="non_neg", name="c")
    theirs = keras.layers.Conv2D(**kwargs, activity_regularizer=keras.regularizers.L1(0.5))
    ours = kerasj.layers.Conv2D(**kwargs, activity_regularizer=kerasj.regularizers.L1(0.5))
    assert ours.get_config() == theirs.get_config()
    sep = dict(filters=4, kernel_size=3, depthwise_regularizer="l2", pointwise_constraint="unit_norm",
               pointwise_initializer="lecun_uniform", name="s")
    assert kerasj.layers.SeparableConv2D(**sep).get_config() == keras.layers.SeparableConv2D(**sep).get_config()


def test_symbolic_shapes_match_keras():
    def output(lib, steps):
        x = lib.Input((steps, 5))
        y = lib.layers.Conv1D(4, 3, padding="causal", kernel_initializer="ones")(x)
        y = lib.layers.SeparableConv1D(6, 2, strides=2, **{k: "ones" for k in ONES["Separable"]})(y)
        return lib.layers.Conv1DTranspose(3, 3, strides=2, kernel_initializer="ones")(y)
    for steps in (None, 9):
        assert tuple(output(kerasj, steps).shape) == tuple(output(keras, steps).shape)


# -- one epoch of training -----------------------------------------------------------------------------------
def mnist_convnet(lib):
    """The seed-003 course model; initialized with ones (cheap), train_both(randomize="glorot") then sets
    Glorot-uniform weights (the default initializer's distribution) in both."""
    return lib.Sequential([
        lib.Input((28, 28, 1)),
        lib.layers.Conv2D(32, 3, activation="relu", kernel_initializer="ones"),
        lib.layers.Conv2D(64, 3, activation="relu", kernel_initializer="ones"),
        lib.layers.Flatten(),
        lib.layers.Dense(128, activation="relu", kernel_initializer="ones"),
        lib.layers.Dense(10, activation="softmax", kernel_initializer="ones"),
    ])


def glorot_uniform(shape, rng):
    """Kernels as the default initializer draws them (biases stay zero), from numpy: a random-number program
    compiled per kernel shape in each library cost more than the rest of the model's setup."""
    if len(shape) == 1:
        return np.zeros(shape, np.float32)
    receptive = int(np.prod(shape[:-2]))
    limit = np.sqrt(6.0 / (receptive * (shape[-2] + shape[-1])))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def every_family(lib):
    """Initialized with ones (cheap); train_both(randomize=True) then sets random weights in both."""
    def make(name, *args, **kwargs):
        return getattr(lib.layers, name)(*args, **cheap(name, kwargs))
    return lib.Sequential([
        lib.Input((8, 8, 3)),
        make("Conv2D", 6, 3, padding="same", groups=3, activation="relu"),
        make("DepthwiseConv2D", 3, depth_multiplier=2, strides=2, activation="relu"),
        make("SeparableConv2D", 8, 2, padding="same", activation="relu"),
        make("Conv2DTranspose", 4, 3, strides=2, padding="same", output_padding=1, activation="relu"),
        make("Conv2D", 4, 2, strides=2, data_format="channels_first"),
        lib.layers.Flatten(),
        lib.layers.Dense(3, activation="softmax", kernel_initializer="ones"),
    ])


def train_both(build, x, y, optimizer, batch_size, randomize=False):
    ours, theirs = build(kerasj), build(keras)
    rng = np.random.default_rng(5)
    if randomize == "glorot":
        theirs.set_weights([glorot_uniform(w.shape, rng) for w in theirs.get_weights()])
    elif randomize:
        theirs.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.3 for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=optimizer(lib), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h_ours = ours.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4, err_msg=key)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_mnist_convnet_one_epoch_matches_keras():
    rng = np.random.default_rng(3)
    x = rng.random((96, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, 96)
    train_both(mnist_convnet, x, y, lambda lib: "adam", batch_size=32, randomize="glorot")


def test_every_family_one_epoch_matches_keras():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 8, 8, 3)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    train_both(every_family, x, y, lambda lib: lib.optimizers.SGD(0.05, momentum=0.9), batch_size=16,
               randomize=True)


def test_weights_files_interoperate_with_keras(tmp_path):
    def build(lib):
        return lib.Sequential([
            lib.Input((10, 10, 3)),
            lib.layers.Conv2D(4, 3, **cheap("Conv2D", {})),
            lib.layers.SeparableConv2D(4, 3, **cheap("SeparableConv2D", {})),
            lib.layers.DepthwiseConv2D(3, **cheap("DepthwiseConv2D", {})),
            lib.layers.Conv2DTranspose(2, 3, strides=2, **cheap("Conv2DTranspose", {})),
        ])
    rng = np.random.default_rng(6)
    theirs, ours = build(keras), build(kerasj)
    theirs.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in theirs.get_weights()])
    theirs.save_weights(str(tmp_path / "keras.weights.h5"))
    ours.load_weights(str(tmp_path / "keras.weights.h5"))
    x = rng.normal(size=(2, 10, 10, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=RTOL, atol=ATOL)
    ours.save_weights(str(tmp_path / "kerasj.weights.h5"))
    back = build(keras)
    back.load_weights(str(tmp_path / "kerasj.weights.h5"))
    np.testing.assert_allclose(back(x), theirs(x), rtol=RTOL, atol=ATOL)
