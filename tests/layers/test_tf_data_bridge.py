"""kerasj layers on TensorFlow tensors: inside `tf.data.Dataset.map` (a graph, where JAX cannot run) and eagerly,
as Keras 3 allows its preprocessing layers on any backend. Expected values come from the same layer called on
numpy arrays, and from Keras 3's own layers in the same pipeline."""
import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasj

IMAGES = np.random.default_rng(0).uniform(0, 255, (24, 8, 8, 3)).astype("float32")


def _collect(ds):
    return np.concatenate([np.asarray(b) for b in ds])


def test_a_random_layer_in_dataset_map_draws_the_same_stream_as_eager_calls_with_the_same_seed():
    eager = kerasj.layers.RandomFlip(seed=3)
    expected = np.concatenate([np.asarray(eager(IMAGES[i:i + 8])) for i in range(0, 24, 8)])
    mapped = tf.data.Dataset.from_tensor_slices(IMAGES).batch(8).map(kerasj.layers.RandomFlip(seed=3))
    assert mapped.element_spec == tf.TensorSpec((None, 8, 8, 3), tf.float32)
    got = _collect(mapped)
    np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(got, IMAGES)  # some images really were flipped


def test_uint8_images_through_rescaling_and_normalization_match_keras_in_the_same_pipeline():
    # The crash this fixes: "Cannot interpret 'tf.uint8' as a data type" in the layer's input conversion.
    uint8 = IMAGES.astype("uint8")
    ours_norm, theirs_norm = kerasj.layers.Normalization(), keras.layers.Normalization()
    ours_norm.adapt(IMAGES / 255.0)
    theirs_norm.adapt(IMAGES / 255.0)
    ours_scale, theirs_scale = kerasj.layers.Rescaling(1 / 255.0), keras.layers.Rescaling(1 / 255.0)
    ours = tf.data.Dataset.from_tensor_slices((uint8, np.arange(24))).batch(5).map(
        lambda x, y: (ours_norm(ours_scale(x)), y))
    theirs = tf.data.Dataset.from_tensor_slices((uint8, np.arange(24))).batch(5).map(
        lambda x, y: (theirs_norm(theirs_scale(x)), y))
    assert ours.element_spec == theirs.element_spec
    for (xo, yo), (xt, yt) in zip(ours, theirs):
        np.testing.assert_allclose(xo.numpy(), xt.numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(yo.numpy(), yt.numpy())


def test_parallel_map_gives_every_batch_its_own_result():
    scale = kerasj.layers.Rescaling(2.0, offset=1.0)
    ds = tf.data.Dataset.from_tensor_slices(IMAGES).batch(4).map(scale, num_parallel_calls=4, deterministic=True)
    np.testing.assert_allclose(_collect(ds), IMAGES * 2.0 + 1.0, rtol=1e-6)


def test_fit_on_a_dataset_preprocessed_by_kerasj_layers_learns():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 255, (64, 4)).astype("uint8")
    y = (x[:, :1].astype("float32") > 127).astype("float32")
    scale = kerasj.layers.Rescaling(1 / 127.5, offset=-1.0)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).map(lambda a, b: (scale(a), b))
    model = kerasj.Sequential([kerasj.Input((4,)), kerasj.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    history = model.fit(ds, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_eager_tensorflow_tensors_are_converted():
    layer = kerasj.layers.Rescaling(0.5)
    out = layer(tf.constant(IMAGES[:2].astype("uint8")))
    np.testing.assert_allclose(np.asarray(out), IMAGES[:2].astype("uint8") * 0.5)


def test_a_tensor_of_unknown_rank_in_a_graph_fails_clearly():
    layer = kerasj.layers.Rescaling(0.5, name="half")

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
    def apply(x):
        return layer(x)

    with pytest.raises(ValueError, match="'half'.*unknown rank"):
        apply(tf.zeros((2, 2)))
