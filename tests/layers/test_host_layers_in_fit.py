"""Host-side layers (TextVectorization, StringLookup, Hashing) inside compiled fit/evaluate/predict on raw
strings. Keras 3 on JAX cannot batch strings at all (`Invalid dtype: str352`), so the oracle is the same model
trained on the same data vectorized beforehand: the host layer has no weights, so the two must agree exactly."""
import numpy as np
import pytest

import kerasj as keras

WORDS = ["the", "a", "cat", "dog", "sat", "ran", "far", "away"]


def _texts(n, seed):
    rng = np.random.default_rng(seed)
    return np.array([" ".join(rng.choice(WORDS, rng.integers(1, 6))) for _ in range(n)])


TEXTS = _texts(40, 0)
LABELS = np.array([("cat" in t) for t in TEXTS], dtype="float32")


def _vectorizer():
    tv = keras.layers.TextVectorization(max_tokens=12, output_sequence_length=5)
    tv.adapt(TEXTS)
    return tv


def _head(x):
    x = keras.layers.Embedding(12, 4)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.layers.Dense(1, activation="sigmoid")(x)


def _pair():
    """The text model and the same model on token ids, with equal weights."""
    tv = _vectorizer()
    text_in = keras.Input(shape=(1,), dtype="string")
    text_model = keras.Model(text_in, _head(tv(text_in)))
    ids_in = keras.Input(shape=(5,), dtype="int32")
    ids_model = keras.Model(ids_in, _head(ids_in))
    ids_model.set_weights(text_model.get_weights())
    for m in (text_model, ids_model):
        m.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy", metrics=["accuracy"])
    return tv, text_model, ids_model


def test_fit_evaluate_predict_on_raw_strings_match_the_pre_vectorized_model_in_one_compiled_step():
    tv, text_model, ids_model = _pair()
    ids = np.asarray(tv(TEXTS))
    h_text = text_model.fit(TEXTS[:, None], LABELS, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h_ids = ids_model.fit(ids, LABELS, batch_size=8, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_text.history["loss"], h_ids.history["loss"], rtol=1e-6)
    for a, b in zip(text_model.get_weights(), ids_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert text_model._programs["train"].trace_count == 1
    # A plain list of strings, and (batch,) instead of the Input's (batch, 1), are accepted too.
    np.testing.assert_allclose(text_model.predict(list(TEXTS[:10]), verbose=0),
                               ids_model.predict(ids[:10], verbose=0), rtol=1e-6)
    np.testing.assert_allclose(text_model.evaluate(TEXTS, LABELS, verbose=0),
                               ids_model.evaluate(ids, LABELS, verbose=0), rtol=1e-6)
    # Eager calls agree with the compiled ones.
    np.testing.assert_allclose(text_model(TEXTS[:4, None]), ids_model(ids[:4]), rtol=1e-6)


def test_generator_of_string_batches_and_run_eagerly_give_the_same_training():
    tv, text_model, ids_model = _pair()
    eager_in = keras.Input(shape=(1,), dtype="string")
    eager_model = keras.Model(eager_in, _head(tv(eager_in)))  # the adapted vectorizer, shared
    eager_model.set_weights(text_model.get_weights())
    eager_model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy", run_eagerly=True)
    ids = np.asarray(tv(TEXTS))

    def batches():
        for i in range(0, 40, 8):
            yield TEXTS[i:i + 8, None], LABELS[i:i + 8]

    text_model.fit(batches(), epochs=1, verbose=0)
    eager_model.fit(TEXTS[:, None], LABELS, batch_size=8, epochs=1, shuffle=False, verbose=0)
    ids_model.fit(ids, LABELS, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b, c in zip(text_model.get_weights(), eager_model.get_weights(), ids_model.get_weights()):
        np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(b, c, rtol=1e-6, atol=1e-7)


def test_dict_inputs_with_string_and_numeric_features_train_through_hashing_and_string_lookup():
    rng = np.random.default_rng(1)
    colours = rng.choice(["red", "green", "blue"], 32)
    cities = rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], 32)
    size = rng.normal(size=(32, 1)).astype("float32")
    y = ((colours == "red") | (size[:, 0] > 0)).astype("float32")
    lookup = keras.layers.StringLookup(vocabulary=["red", "green", "blue"], output_mode="one_hot")
    hashing = keras.layers.Hashing(num_bins=5, output_mode="one_hot")
    inputs = {"colour": keras.Input((), dtype="string", name="colour"),
              "city": keras.Input((1,), dtype="string", name="city"),
              "size": keras.Input((1,), name="size")}
    features = keras.layers.Concatenate()([lookup(inputs["colour"]), hashing(inputs["city"]), inputs["size"]])
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(features))
    model.compile("adam", "binary_crossentropy")
    data = {"colour": colours, "city": cities[:, None], "size": size}
    model.fit(data, y, batch_size=8, epochs=2, verbose=0)
    # The compiled forward equals the layer-by-layer computation in numpy from the trained weights.
    kernel, bias = model.layers[-1].get_weights()
    encoded = np.concatenate([np.asarray(lookup(colours)), np.asarray(hashing(cities[:, None])), size], axis=1)
    expected = 1 / (1 + np.exp(-(encoded @ kernel + bias)))
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_text_where_it_cannot_go_fails_early_and_names_the_layer():
    numeric = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    numeric.compile("sgd", "mse")
    with pytest.raises(TypeError, match="numeric"):
        numeric.fit(np.array([["a", "b", "c"]] * 4), np.zeros(4), verbose=0)
    ragged = keras.layers.TextVectorization(max_tokens=12, name="no_length")  # output length depends on data
    ragged.adapt(TEXTS)
    text_in = keras.Input(shape=(), dtype="string")
    model = keras.Model(text_in, _head(ragged(text_in)))
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="no_length.*output_sequence_length"):
        model.fit(TEXTS, LABELS, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
