"""Behaviour of RMSNormalization, ReversibleEmbedding, GroupQueryAttention, adaptive pooling,
SpectralNormalization and Wrapper: bad arguments fail early with clear messages, and models using them
train with fit (the weights move, the loss falls) and round-trip through .keras files."""
import numpy as np
import pytest

import kerasj
from kerasj import layers

RNG = np.random.default_rng(0)


def build_model():
    """Token ids and images in, 11 logits out: every new layer on the way, so one compiled fit covers them."""
    ids, images = kerasj.Input((6,), dtype="int32"), kerasj.Input((7, 7, 2))
    embedding = layers.ReversibleEmbedding(11, 8, mask_zero=True, name="tokens")
    x = embedding(ids)
    x = x + layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)(x, x,
                                                                                          use_causal_mask=True)
    x = layers.GlobalAveragePooling1D()(embedding(layers.RMSNormalization()(x), reverse=True))
    y = layers.SpectralNormalization(layers.Conv2D(4, 3, activation="relu"))(images)
    y = layers.AdaptiveAveragePooling2D((2, 1))(layers.AdaptiveMaxPooling2D(2)(y))
    return kerasj.Model([ids, images], layers.Add()([x, layers.Dense(11)(layers.Flatten()(y))]))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    kerasj.utils.set_random_seed(1)
    x = [RNG.integers(1, 11, size=(16, 6)).astype("int32"), RNG.normal(size=(16, 7, 7, 2)).astype("float32")]
    y = RNG.integers(0, 11, size=16)
    model = build_model()
    model.compile(optimizer=kerasj.optimizers.Adam(0.05),
                  loss=kerasj.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [w.copy() for w in model.get_weights()]
    losses = model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"]
    path = tmp_path_factory.mktemp("added") / "added.keras"
    model.save(path)
    return model, x, before, losses, kerasj.saving.load_model(path)


def test_a_model_with_the_new_layers_trains_with_fit(trained):
    model, _, before, losses, _ = trained
    assert losses[-1] < losses[0]
    moved = [not np.allclose(a, b) for a, b in zip(before, model.get_weights())]
    assert all(moved), [w.path for w, m in zip(model.weights, moved) if not m]


def test_the_model_round_trips_through_a_keras_file(trained):
    model, x, _, _, loaded = trained
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-5, atol=1e-5)


def test_spectral_normalization_trains_the_wrapped_kernel_and_keeps_u(trained):
    model = trained[0]
    wrapper = next(layer for layer in model.layers if isinstance(layer, layers.SpectralNormalization))
    assert [w.path for w in wrapper.weights][:2] == [wrapper.layer.kernel.path, wrapper.vector_u.path]
    assert wrapper.layer.kernel is wrapper.kernel
    assert not wrapper.vector_u.trainable


def test_wrapper_builds_and_serializes_the_wrapped_layer():
    class Twice(layers.Wrapper):
        def call(self, inputs):
            return 2.0 * self.layer(inputs)

    wrapper = Twice(layers.Dense(2, kernel_initializer="ones"))
    np.testing.assert_allclose(wrapper(np.ones((1, 3), "float32")), [[6.0, 6.0]])
    assert wrapper.layer.built and len(wrapper.weights) == 2
    rebuilt = layers.Wrapper.from_config(wrapper.get_config())
    assert rebuilt.layer.get_config()["units"] == 2
    with pytest.raises(ValueError, match="must be a kerasj Layer"):
        layers.Wrapper("dense")


@pytest.mark.parametrize("make,error,match", [
    (lambda: layers.GroupQueryAttention(4, 6, 4), ValueError, "divisible by `num_key_value_heads`"),
    (lambda: layers.GroupQueryAttention(0, 2, 2), ValueError, "`head_dim` must be a positive integer"),
    (lambda: layers.GroupQueryAttention(2, 2, 1, sliding_window=0), ValueError, "sliding_window"),
    (lambda: layers.GroupQueryAttention(2, 2, 1, dropout=0.1, flash_attention=True), ValueError, "dropout"),
    (lambda: layers.AdaptiveAveragePooling2D((2, 2, 2)), ValueError, "output_size"),
    (lambda: layers.AdaptiveMaxPooling1D("2"), TypeError, "output_size"),
    (lambda: layers.AdaptiveMaxPooling3D(2, data_format="nchw"), ValueError, "data_format"),
    (lambda: layers.SpectralNormalization(layers.Dense(2), power_iterations=0), ValueError, "power_iterations"),
    (lambda: layers.ReversibleEmbedding(5, 2, logit_soft_cap=-1.0), ValueError, "logit_soft_cap"),
    (lambda: layers.RMSNormalization(axis="last"), TypeError, "axis"),
])
def test_bad_arguments_fail_early(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_inputs_fail_with_the_layer_named():
    with pytest.raises(ValueError, match="GroupedQueryAttention 'gqa'.*batch, length, features"):
        layers.GroupQueryAttention(2, 2, 1, name="gqa")(np.ones((2, 3), "float32"), np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="AdaptiveMaxPooling2D 'pool'.*rank 4"):
        layers.AdaptiveMaxPooling2D(2, name="pool")(np.ones((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="no `kernel` or `embeddings`"):
        layers.SpectralNormalization(layers.ReLU())(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        layers.RMSNormalization(axis=3)(np.ones((2, 3), "float32"))


def test_rms_normalization_scale_broadcasts_along_a_middle_axis():
    """Keras 3.15 fails on this (it multiplies a (3,) scale into (2, 3, 4)); here the scale lies along axis 1."""
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    layer = layers.RMSNormalization(axis=1, epsilon=0.0)
    layer.build(x.shape)
    layer.scale.assign(np.array([1.0, 2.0, 3.0], "float32"))
    expected = x / np.sqrt(np.mean(x ** 2, axis=1, keepdims=True)) * np.array([1.0, 2.0, 3.0])[None, :, None]
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-6)


def test_reversible_embedding_reverse_output_has_no_mask_and_lookup_has_one():
    layer = layers.ReversibleEmbedding(5, 3, mask_zero=True)
    ids = np.array([[1, 0, 2]], "int32")
    np.testing.assert_array_equal(layer.compute_mask(ids), [[True, False, True]])
    assert layer.compute_mask(np.ones((1, 3, 3), "float32")) is None
    logits = layer(layer(ids), reverse=True)
    assert logits.shape == (1, 3, 5)


def test_adaptive_pooling_bins_overlap_as_documented():
    x = np.arange(5.0, dtype="float32").reshape(1, 5, 1)
    # bins [0, 2), [1, 4), [3, 5) for 5 steps into 3
    np.testing.assert_allclose(layers.AdaptiveAveragePooling1D(3)(x)[0, :, 0], [0.5, 2.0, 3.5])
    np.testing.assert_allclose(layers.AdaptiveMaxPooling1D(3)(x)[0, :, 0], [1.0, 3.0, 4.0])
