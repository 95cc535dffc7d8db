"""A trailing axis of size 1, added or dropped, as Keras 3's functional models allow.

Keras's rule (Functional.call standardizes each flattened input against its Input): the same rank passes, one
axis more whose size is 1 is squeezed, one axis less where the Input's last axis is 1 gets it added, and any
other rank is an error. It applies to functional models and to Sequential models that have a graph (an Input
or a build); subclassed models see their inputs as given. No warning is issued. Keras 3 (JAX backend) runs
beside kerasj in each test as the oracle.
"""
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

RNG = np.random.default_rng(0)
X3 = RNG.normal(size=(8, 4)).astype(np.float32)  # as a tutorial feeds (N, 28, 28) to Input((28, 28, 1))
X4 = X3[..., None]
Y = RNG.integers(0, 3, size=(8,))


def series_model(lib):
    """A Dense layer on the size-1 feature axis: (N, 4) data without that axis would not fit it."""
    inputs = lib.Input((4, 1), name="series")
    x = lib.layers.Dense(2, activation="relu")(inputs)
    return lib.Model(inputs, lib.layers.Dense(3)(lib.layers.Flatten()(x)))


def pair(build=series_model):
    """The same model in Keras and kerasj, with Keras's initial weights copied across, compiled alike."""
    theirs, ours = build(keras), build(kerasj)
    ours.set_weights(theirs.get_weights())
    for lib, model in ((keras, theirs), (kerasj, ours)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return theirs, ours


@pytest.fixture(scope="module")
def models():
    return pair()


def test_call_and_predict_add_the_missing_axis_like_keras(models):
    theirs, ours = models
    expected = np.asarray(theirs(X3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras adjusts silently; so must we
        got = np.asarray(ours(X3))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, np.asarray(ours(X4)), rtol=1e-6)
    np.testing.assert_allclose(ours.predict(X3, verbose=0), theirs.predict(X3, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict_on_batch(X3), theirs.predict_on_batch(X3), rtol=1e-5, atol=1e-6)


def test_an_extra_axis_of_size_one_is_squeezed(models):
    theirs, ours = models
    x5 = X4[..., None]  # (8, 4, 1, 1)
    np.testing.assert_allclose(np.asarray(ours(x5)), np.asarray(theirs(x5)), rtol=1e-5, atol=1e-6)


def test_evaluate_and_test_on_batch_match_keras(models):
    theirs, ours = models
    np.testing.assert_allclose(ours.evaluate(X3, Y, verbose=0), theirs.evaluate(X3, Y, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(ours.test_on_batch(X3, Y), theirs.test_on_batch(X3, Y), rtol=1e-5)


def test_fit_and_train_on_batch_match_keras_without_extra_compilations():
    theirs, ours = pair()
    expected = theirs.fit(X3, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    got = ours.fit(X3, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(got["loss"], expected["loss"], rtol=1e-5)
    np.testing.assert_allclose(got["accuracy"], expected["accuracy"])

    # The axis is added inside the compiled step, from static shapes, so the fit compiled its one program
    # (several epochs in one call, as for full-rank data: see tests/trainer/test_fit.py) and fitting again
    # compiles nothing new.
    assert ours._programs["train"].trace_count == 1
    ours.fit(X3, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    theirs.fit(X3, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert ours._programs["train"].trace_count == 1

    np.testing.assert_allclose(ours.train_on_batch(X3, Y), theirs.train_on_batch(X3, Y), rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_the_reverse_case_a_size_one_axis_the_input_lacks_is_dropped():
    def build(lib):
        inputs = lib.Input((5,))
        return lib.Model(inputs, lib.layers.Dense(2)(inputs))

    theirs, ours = build(keras), build(kerasj)
    ours.set_weights(theirs.get_weights())
    x = RNG.normal(size=(4, 5, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_sequential_models_with_an_input_or_a_build_adjust_too():
    def with_input(lib):
        return lib.Sequential([lib.Input((4, 1)), lib.layers.Dense(2), lib.layers.Flatten(), lib.layers.Dense(3)])

    def built(lib):
        model = lib.Sequential([lib.layers.Dense(2), lib.layers.Flatten(), lib.layers.Dense(3)])
        model.build((None, 4, 1))
        return model

    for build in (with_input, built):
        theirs, ours = pair(build)
        np.testing.assert_allclose(np.asarray(ours(X3)), np.asarray(theirs(X3)), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.predict(X3, verbose=0), theirs.predict(X3, verbose=0), rtol=1e-5,
                                   atol=1e-6)


def test_dict_inputs_are_adjusted_one_by_one():
    def build(lib):
        a, b = lib.Input((3, 1), name="a"), lib.Input((2,), name="b")
        merged = lib.layers.Concatenate()([lib.layers.Flatten()(a), b])
        return lib.Model({"a": a, "b": b}, lib.layers.Dense(1)(merged))

    theirs, ours = build(keras), build(kerasj)
    ours.set_weights(theirs.get_weights())
    data = {"a": RNG.normal(size=(2, 3)).astype(np.float32), "b": RNG.normal(size=(2, 2, 1)).astype(np.float32)}
    np.testing.assert_allclose(np.asarray(ours(data)), np.asarray(theirs(data)), rtol=1e-5, atol=1e-6)


def test_other_rank_differences_fail_with_keras_message(models):
    theirs, ours = models
    x2 = X3[:, 0]  # two axes fewer than the Input
    with pytest.raises(ValueError, match="Invalid input shape for input") as keras_error:
        theirs(x2)
    with pytest.raises(ValueError, match="Invalid input shape for input with name 'series'") as error:
        ours(x2)
    for text in ("Expected shape (None, 4, 1)", "incompatible shape (8,)"):
        assert text in str(keras_error.value) and text in str(error.value)


def test_subclassed_models_see_their_inputs_unchanged():
    def build(lib):
        class Sub(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(2)

            def call(self, x):
                return self.dense(x)

        model = Sub()
        model(np.ones((2, 6, 1), np.float32))  # built for a trailing axis of size 1
        return model

    for lib in (keras, kerasj):  # no graph, no Input to compare with: the Dense layer rejects the data
        with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 1"):
            build(lib)(np.ones((2, 6), np.float32))
