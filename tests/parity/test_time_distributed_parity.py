"""TimeDistributed against Keras 3 (JAX backend): Dense and Conv2D inner layers with the same weights give
the same outputs and output shapes, configs (with the nested layer) match both ways, masks reach a wrapped
layer that takes one, a model with TimeDistributed trains like Keras's, and errors are clear."""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj


def comparable(config):
    """`config` without Keras's `quantization_config: None` in Dense configs (kerasj's Dense has none), and with
    the wrapped layer's `build_config` in its JSON form (Keras keeps tuples in memory, kerasj lists)."""
    layer = dict(config["layer"])
    layer["config"] = {k: v for k, v in layer["config"].items() if k != "quantization_config"}
    if "build_config" in layer:
        layer["build_config"] = json.loads(json.dumps(layer["build_config"]))
    return dict(config, layer=layer)


INNER = [
    (lambda lib: lib.layers.Dense(3, activation="relu", name="inner"), (2, 4, 5)),
    (lambda lib: lib.layers.Dense(3, name="inner"), (2, 4, 2, 5)),
    (lambda lib: lib.layers.Conv2D(3, 2, padding="same", name="inner"), (2, 3, 5, 4, 2)),
    (lambda lib: lib.layers.Conv2D(2, 3, strides=2, data_format="channels_first", name="inner"), (2, 3, 2, 5, 6)),
]


@pytest.mark.parametrize("make,shape", INNER, ids=["dense", "dense-4d", "conv2d", "conv2d-channels-first"])
def test_outputs_shapes_and_config_match_keras(make, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(np.float32)
    theirs = keras.layers.TimeDistributed(make(keras), name="td")
    ours = kerasj.layers.TimeDistributed(make(kerasj), name="td")
    theirs.build(shape)
    ours.build(shape)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    theirs.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in theirs.weights])
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    for batch in (None, shape[0]):
        assert ours.compute_output_shape((batch,) + shape[1:]) == tuple(theirs.compute_output_shape(
            (batch,) + shape[1:]))
    assert ours.supports_masking == theirs.supports_masking
    ref = comparable(theirs.get_config())
    assert comparable(ours.get_config()) == ref
    rebuilt = kerasj.layers.TimeDistributed.from_config(theirs.get_config())
    assert comparable(rebuilt.get_config()) == ref
    rebuilt.build(shape)
    rebuilt.set_weights(theirs.get_weights())
    np.testing.assert_allclose(rebuilt(x), theirs(x), rtol=1e-5, atol=1e-5)


def test_symbolic_output_shape_with_unknown_time():
    out = kerasj.layers.TimeDistributed(kerasj.layers.Conv2D(4, 3))(kerasj.Input((None, 6, 6, 2)))
    assert tuple(out.shape) == (None, None, 4, 4, 4)  # what Keras gives


def test_training_flag_reaches_the_wrapped_layer_under_compilation():
    layer = kerasj.layers.TimeDistributed(kerasj.layers.Dropout(0.5, seed=1))
    x = np.ones((4, 6, 10), np.float32)
    np.testing.assert_array_equal(layer(x), x)
    out = np.asarray(kerasj.function(lambda v: layer(v, training=True))(x))
    assert set(np.unique(out)) == {0.0, 2.0}
    assert len({out[:, t].tobytes() for t in range(6)}) == 6  # each time step draws its own mask


def make_masking_layers(lib):
    class MaskNonZero(lib.layers.Layer):
        """Masks the time steps whose features are all zero (a stand-in for Embedding(mask_zero=True))."""
        def call(self, x):
            return x

        def compute_mask(self, x, mask=None):
            return lib.ops.any(x != 0, axis=-1)

    class MaskedScale(lib.layers.Layer):
        """Per time step: keeps the features where the mask is set and zeroes the others."""
        def call(self, x, mask=None):
            return x if mask is None else x * lib.ops.cast(mask, x.dtype)[..., None]

    class MaskedSum(lib.layers.Layer):
        """Sums the kept time steps (checks that the mask came out of TimeDistributed)."""
        def call(self, x, mask=None):
            if mask is None:  # kerasj builds models without masks; they flow when the model runs
                return lib.ops.sum(x, axis=1)
            return lib.ops.sum(x * lib.ops.cast(mask, x.dtype)[..., None], axis=1)

        def compute_mask(self, x, mask=None):
            return None  # the time axis is gone, and the mask with it

    return MaskNonZero, MaskedScale, MaskedSum


def test_mask_reaches_the_wrapped_layer_and_passes_through_like_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    x[0, 1] = x[1, 3] = 0.0
    mask = np.array([[True, False, True, True], [True, True, False, True]])
    for lib in (kerasj, keras):
        _, masked_scale, _ = make_masking_layers(lib)
        out = lib.layers.TimeDistributed(masked_scale())(x, mask=mask)
        np.testing.assert_allclose(out, x * mask[..., None], rtol=1e-6)
    outs = []
    for lib in (kerasj, keras):
        mask_non_zero, masked_scale, masked_sum = make_masking_layers(lib)
        inputs = lib.Input((4, 3))
        dense = lib.layers.Dense(2, kernel_initializer="ones", bias_initializer="ones")
        y = lib.layers.TimeDistributed(dense)(mask_non_zero()(inputs))
        outs.append(np.asarray(lib.Model(inputs, masked_sum()(y))(x)))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)
    # each kept step contributes sum(features) + 1 (the bias) to both units; all-zero steps are masked out
    kept = x.any(axis=-1)
    expected = [(x[i][kept[i]].sum(axis=-1) + 1).sum() for i in range(2)]
    np.testing.assert_allclose(outs[0], np.repeat(np.array(expected)[:, None], 2, axis=1), rtol=1e-5)


def td_model(lib):
    return lib.Sequential([lib.Input((3, 5, 5, 1)),
                           lib.layers.TimeDistributed(lib.layers.Conv2D(2, 3, activation="relu")),
                           lib.layers.Flatten(), lib.layers.Dense(2, activation="softmax")])


def test_model_with_time_distributed_trains_like_keras():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 3, 5, 5, 1)).astype(np.float32)
    y = rng.integers(0, 2, 16)
    ours, theirs = td_model(kerasj), td_model(keras)
    ours.set_weights(theirs.get_weights())
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    h_ours = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="TimeDistributed.*Layer instance"):
        kerasj.layers.TimeDistributed(lambda x: x)
    with pytest.raises(ValueError, match=r"TimeDistributed 'td'.*rank >= 3"):
        kerasj.layers.TimeDistributed(kerasj.layers.Dense(2), name="td")(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"TimeDistributed 'td2'.*`mask`.*\(2, 5\)"):
        kerasj.layers.TimeDistributed(kerasj.layers.Dense(2), name="td2")(np.zeros((2, 4, 3), np.float32),
                                                                          mask=np.ones((2, 5), bool))
    layer = kerasj.layers.TimeDistributed(kerasj.layers.Conv2D(2, 3, name="conv"))
    with pytest.raises(ValueError, match=r"layer 'conv'.*expected ndim=4"):
        layer(np.zeros((2, 3, 5, 5), np.float32))
