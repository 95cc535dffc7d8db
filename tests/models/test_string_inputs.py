"""Models whose first layer takes text (`Input(dtype="string")` -> TextVectorization / StringLookup): called on
string arrays they run the host-side layer on the strings and the rest as usual; other layers still refuse
strings with a clear error."""
import numpy as np
import pytest
import tensorflow as tf

import kerasj

TEXTS = np.array([["the cat sat"], ["the dog ran far"], ["a cat ran"]])


@pytest.fixture(scope="module")
def vectorize():
    layer = kerasj.layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    layer.adapt(TEXTS)
    return layer


def test_sequential_and_functional_models_called_on_strings_equal_the_layers_applied_in_turn(vectorize):
    embed, pool, head = kerasj.layers.Embedding(20, 4), kerasj.layers.GlobalAveragePooling1D(), kerasj.layers.Dense(1)
    model = kerasj.Sequential([kerasj.Input(shape=(1,), dtype="string"), vectorize, embed, pool, head])
    expected = np.asarray(head(pool(embed(vectorize(TEXTS)))))
    np.testing.assert_allclose(np.asarray(model(TEXTS)), expected, rtol=1e-6)
    inputs = kerasj.Input(shape=(1,), dtype="string")
    functional = kerasj.Model(inputs, head(pool(embed(vectorize(inputs)))))
    np.testing.assert_allclose(np.asarray(functional(TEXTS)), expected, rtol=1e-6)


def test_text_vectorization_in_dataset_map_equals_the_eager_call(vectorize):
    ds = tf.data.Dataset.from_tensor_slices(TEXTS).batch(2).map(vectorize)
    got = np.concatenate([b.numpy() for b in ds])
    np.testing.assert_array_equal(got, np.asarray(vectorize(TEXTS)))


def test_a_numeric_layer_given_strings_names_itself():
    with pytest.raises(TypeError, match="'numbers_only'.*numeric"):
        kerasj.layers.Dense(2, name="numbers_only")(TEXTS)
