"""Merging layers in kerasj and Keras 3 (JAX backend): same outputs, output shapes (eager and symbolic),
configs, which inputs are rejected, and a functional model with merges trained with fit."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

RTOL, ATOL = 1e-5, 1e-6


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(np.float32) for s in shapes]


ELEMENTWISE_CASES = [
    ((4, 3), (4, 3)),
    ((4, 3), (4, 3), (4, 3)),
    ((4, 3), (4, 1)),
    ((4, 3), (4, 2, 3)),  # lower rank: new axis after the batch axis
    ((4, 2, 1), (4, 3)),
    ((4, 1, 5), (4, 3, 1), (4, 5)),
    ((4, 3),),
]


@pytest.mark.parametrize("name", ["Add", "Multiply", "Average", "Maximum", "Minimum"])
@pytest.mark.parametrize("shapes", ELEMENTWISE_CASES)
def test_elementwise_merges_match_keras(name, shapes):
    xs = arrays(*shapes)
    ours, theirs = getattr(kerasj.layers, name)(), getattr(keras.layers, name)()
    expected = np.asarray(theirs(xs))
    out = ours(xs)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)
    assert ours.compute_output_shape(list(shapes)) == tuple(theirs.compute_output_shape(list(shapes)))
    assert ours.get_config().keys() == theirs.get_config().keys()


def test_subtract_and_functional_forms_match_keras():
    a, b, c = arrays((3, 4), (3, 4), (3, 1, 4))
    np.testing.assert_allclose(kerasj.layers.Subtract()([a, c]), keras.layers.Subtract()([a, c]), rtol=RTOL)
    for name in ["add", "subtract", "multiply", "average", "maximum", "minimum"]:
        np.testing.assert_allclose(getattr(kerasj.layers, name)([a, b]), getattr(keras.layers, name)([a, b]),
                                   rtol=RTOL, atol=ATOL, err_msg=name)
    np.testing.assert_allclose(kerasj.layers.concatenate([a, b], axis=0),
                               keras.layers.concatenate([a, b], axis=0), rtol=RTOL)
    np.testing.assert_allclose(kerasj.layers.dot([a, b], axes=1), keras.layers.dot([a, b], axes=1), rtol=RTOL)


def test_integer_inputs_match_keras_dtypes():
    a, b = np.array([[1, 2]], np.int32), np.array([[3, 8]], np.int32)
    for name in ["Add", "Average", "Maximum", "Dot"]:
        args = {"axes": 1} if name == "Dot" else {}
        out, ref = getattr(kerasj.layers, name)(**args)([a, b]), getattr(keras.layers, name)(**args)([a, b])
        assert str(out.dtype) == str(ref.dtype), name
        np.testing.assert_allclose(out, ref, err_msg=name)


CONCAT_CASES = [
    (-1, [(2, 3), (2, 4)]),
    (1, [(2, 3, 5), (2, 1, 5), (2, 2, 5)]),
    (0, [(2, 3), (4, 3)]),
    (-2, [(2, 3, 4, 5), (2, 3, 2, 5)]),
    (-1, [(2, 3)]),
]


@pytest.mark.parametrize("axis,shapes", CONCAT_CASES)
def test_concatenate_matches_keras(axis, shapes):
    xs = arrays(*shapes)
    ours, theirs = kerasj.layers.Concatenate(axis=axis), keras.layers.Concatenate(axis=axis)
    np.testing.assert_allclose(ours(xs), theirs(xs), rtol=RTOL)
    assert ours.compute_output_shape(shapes) == tuple(theirs.compute_output_shape(shapes))
    assert ours.get_config() == {**theirs.get_config(), "name": ours.name}
    assert kerasj.layers.Concatenate.from_config(theirs.get_config()).axis == axis


DOT_CASES = [
    (1, [(4, 3), (4, 3)]),
    (-1, [(4, 3, 5), (4, 2, 5)]),
    ((1, 2), [(4, 3, 5), (4, 2, 3)]),
    ([2, 1], [(4, 3, 5), (4, 5, 2)]),
    (1, [(4, 3, 5), (4, 3)]),
    (2, [(4, 3, 5), (4, 2, 5, 2)]),
    ((-1, -2), [(4, 2, 3), (4, 3, 2)]),
]


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("axes,shapes", DOT_CASES)
def test_dot_matches_keras(axes, shapes, normalize):
    xs = arrays(*shapes)
    if normalize:
        xs[0][0] = 0.0  # a zero vector is left at zero, not divided by zero
    ours, theirs = kerasj.layers.Dot(axes, normalize=normalize), keras.layers.Dot(axes, normalize=normalize)
    expected = np.asarray(theirs(xs))
    out = ours(xs)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)
    assert ours.compute_output_shape(shapes) == tuple(theirs.compute_output_shape(shapes))
    assert ours.get_config() == {**theirs.get_config(), "name": ours.name}


@pytest.mark.parametrize("make,shapes", [
    (lambda lib: lib.layers.Add(), [(3,), (3,)]),
    (lambda lib: lib.layers.Add(), [(3,), (1, 3)]),
    (lambda lib: lib.layers.Multiply(), [(None, 3), (5, 3)]),
    (lambda lib: lib.layers.Maximum(), [(2, 1), (2, 4)]),
    (lambda lib: lib.layers.Concatenate(), [(None, 3), (None, 4)]),
    (lambda lib: lib.layers.Concatenate(axis=1), [(None, 3), (5, 3)]),
    (lambda lib: lib.layers.Dot(axes=2), [(None, 4), (5, 4)]),
    (lambda lib: lib.layers.Dot(axes=1, normalize=True), [(4,), (4,)]),
])
def test_symbolic_output_shapes_match_keras(make, shapes):
    ours = make(kerasj)([kerasj.Input(s) for s in shapes])
    theirs = make(keras)([keras.Input(s) for s in shapes])
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == theirs.dtype


@pytest.mark.parametrize("make,inputs", [
    (lambda lib: lib.layers.Add(), [(2, 3), (2, 4)]),
    (lambda lib: lib.layers.Add(), [(2, 3), (1, 3)]),
    (lambda lib: lib.layers.Add(), (2, 3)),
    (lambda lib: lib.layers.Subtract(), [(2, 3), (2, 3), (2, 3)]),
    (lambda lib: lib.layers.Concatenate(), [(2, 3), (2, 4, 3)]),
    (lambda lib: lib.layers.Concatenate(), [(2, 3, 1), (2, 4, 3)]),
    (lambda lib: lib.layers.Concatenate(), (2, 3)),
    (lambda lib: lib.layers.Dot(axes=1), [(2, 3), (2, 4)]),
    (lambda lib: lib.layers.Dot(axes=1), [(2, 3), (2, 3), (2, 3)]),
])
def test_inputs_rejected_by_keras_are_rejected(make, inputs):
    xs = np.ones(inputs, np.float32) if isinstance(inputs, tuple) else [np.ones(s, np.float32) for s in inputs]
    with pytest.raises(ValueError):
        make(keras)(xs)
    layer = make(kerasj)
    with pytest.raises(ValueError, match=layer.name):
        layer(xs)


def test_invalid_dot_axes_rejected_like_keras():
    for lib in (kerasj, keras):
        with pytest.raises(TypeError):
            lib.layers.Dot(axes="a")
        with pytest.raises(ValueError):
            lib.layers.Dot(axes=(1, 2, 3))


def merge_model(lib):
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    ha = lib.layers.Dense(6, activation="tanh")(a)
    hb = lib.layers.Dense(6, activation="tanh")(b)
    merged = lib.layers.concatenate([lib.layers.add([ha, hb]), lib.layers.multiply([ha, hb]),
                                     lib.layers.Maximum()([ha, hb]), lib.layers.average([ha, hb]),
                                     lib.layers.subtract([ha, hb]), lib.layers.dot([ha, hb], axes=1, normalize=True)])
    return lib.Model([a, b], lib.layers.Dense(1)(merged))


def test_functional_model_with_merges_trains_like_keras():
    xa, xb, y = arrays((24, 4), (24, 4), (24, 1), seed=3)
    ours, theirs = merge_model(kerasj), merge_model(keras)
    ours.set_weights(theirs.get_weights())
    for lib, model in ((kerasj, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
    h_ours = ours.fit([xa, xb], y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    h_theirs = theirs.fit([xa, xb], y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
