"""Mask propagation: a layer's compute_mask output reaches the next layer's `mask` argument, passes through
supports_masking layers, is combined by merge layers, and is dropped (with a warning) by layers that do not
support masking — compared with Keras 3 running the same custom layers. Eager outputs carry the mask as
`output._keras_mask`, as in Keras 3; tracers and numpy arrays keep theirs in the side table."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerasj
from kerasj import masks
from kerasj.masks import get_mask, set_mask


def make_layers(lib):
    class MaskNonZero(lib.layers.Layer):
        """Masks steps whose features are all zero (a stand-in for Masking / Embedding(mask_zero))."""
        def call(self, x):
            return x

        def compute_mask(self, x, mask=None):
            return lib.ops.any(x != 0, axis=-1)

    class MaskedSum(lib.layers.Layer):
        """Sums the kept steps; records whether it received a mask."""
        def call(self, x, mask=None):
            if mask is None:
                return lib.ops.sum(x, axis=1) * 0 - 1.0
            return lib.ops.sum(x * lib.ops.expand_dims(lib.ops.cast(mask, x.dtype), -1), axis=1)

    return MaskNonZero, MaskedSum


X = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 1.0]],
              [[0.0, 0.0], [5.0, 1.0], [2.0, 2.0]]], np.float32)


@pytest.mark.parametrize("middle", ["Dense", "Dropout", "Activation", "LayerNormalization", None])
def test_mask_reaches_consumer_through_supporting_layers_like_keras(middle):
    results = []
    for lib in (kerasj, keras):
        MaskNonZero, MaskedSum = make_layers(lib)
        inputs = lib.Input((3, 2))
        x = MaskNonZero()(inputs)
        if middle == "Dense":
            x = lib.layers.Dense(2, kernel_initializer="ones")(x)
        elif middle == "Dropout":
            x = lib.layers.Dropout(0.5)(x)
        elif middle == "Activation":
            x = lib.layers.Activation("relu")(x)
        elif middle == "LayerNormalization":
            x = lib.layers.LayerNormalization()(x)
        model = lib.Model(inputs, MaskedSum()(x))
        results.append(np.asarray(model.predict(X, verbose=0)))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-5)
    assert not np.any(results[0] == -1.0)  # the consumer did receive a mask


def test_sequential_and_eager_chaining_propagate_masks():
    MaskNonZero, MaskedSum = make_layers(kerasj)
    model = kerasj.Sequential([kerasj.Input((3, 2)), MaskNonZero(), kerasj.layers.Dense(2, kernel_initializer="ones"),
                               MaskedSum()])
    expected = (X.sum(-1, keepdims=True) * np.any(X != 0, -1, keepdims=True)).sum(1) * np.ones((1, 2))
    np.testing.assert_allclose(model(X), expected, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(lambda x: model(x))(X), expected, rtol=1e-6)
    masker, summer = MaskNonZero(), MaskedSum()
    y = masker(X)
    np.testing.assert_array_equal(get_mask(y), np.any(X != 0, -1))
    np.testing.assert_allclose(summer(y), (X * np.any(X != 0, -1)[..., None]).sum(1))


def test_explicit_mask_wins_and_layer_without_masking_drops_it_with_warning():
    MaskNonZero, MaskedSum = make_layers(kerasj)
    y = MaskNonZero()(X)
    keep_all = np.ones((2, 3), bool)
    np.testing.assert_allclose(MaskedSum()(y, mask=keep_all), X.sum(1))
    flat = kerasj.layers.Conv1D(2, 1)
    with pytest.warns(UserWarning, match=f"'{flat.name}'.*does not support masking"):
        z = flat(y)
    assert get_mask(z) is None


@pytest.mark.parametrize("merge", ["Add", "Concatenate"])
def test_merge_layers_combine_masks_like_keras(merge):
    a = X
    b = np.array([[[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]],
                  [[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]], np.float32)
    results = []
    for lib in (kerasj, keras):
        MaskNonZero, MaskedSum = make_layers(lib)
        i1, i2 = lib.Input((3, 2)), lib.Input((3, 2))
        m = getattr(lib.layers, merge)()([MaskNonZero()(i1), MaskNonZero()(i2)])
        results.append(np.asarray(lib.Model([i1, i2], MaskedSum()(m)).predict([a, b], verbose=0)))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


@pytest.mark.parametrize("make", [jnp.ones, np.ones], ids=["jax-attribute", "numpy-side-table"])
def test_mask_table_forgets_freed_arrays(make):
    x = make((2, 3))
    set_mask(x, jnp.array([True, False]))
    key = id(x)
    del x
    import gc
    gc.collect()
    assert key not in masks._table()


def test_eager_jax_arrays_carry_the_mask_as_an_attribute():
    x, mask = jnp.ones((2, 3)), jnp.array([True, False])
    set_mask(x, mask)
    assert x._keras_mask is mask and get_mask(x) is mask
    assert id(x) not in masks._table()
    set_mask(x, None)
    assert not hasattr(x, "_keras_mask") and get_mask(x) is None


def test_tracers_and_numpy_arrays_keep_the_mask_in_the_side_table():
    mask = jnp.array([True, False])

    def f(x):
        assert not hasattr(x, "_keras_mask")
        set_mask(x, mask)
        assert not hasattr(x, "_keras_mask")  # a tracer takes no attribute ...
        assert get_mask(x) is mask  # ... but still has its mask
        return x
    jax.jit(f)(jnp.ones(2))
    array = np.ones(2)
    set_mask(array, mask)
    assert get_mask(array) is mask and id(array) in masks._table()
    set_mask(array, None)
    assert get_mask(array) is None


def test_symbolic_tensors_take_the_attribute():
    x, mask = kerasj.Input((3,)), jnp.array([True])
    set_mask(x, mask)
    assert x._keras_mask is mask and get_mask(x) is mask


@pytest.mark.parametrize("name", ["Embedding", "Masking"])
def test_eager_output_keras_mask_matches_keras(name):
    """User code reads `output._keras_mask`, as in Keras's masking guide."""
    if name == "Embedding":
        data = np.array([[3, 1, 0, 0], [2, 0, 4, 0]])
        make = lambda lib: lib.layers.Embedding(5, 2, mask_zero=True)  # noqa: E731
    else:
        data = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
        make = lambda lib: lib.layers.Masking(mask_value=0.0)  # noqa: E731
    ours, theirs = make(kerasj)(data), make(keras)(data)
    assert isinstance(ours, jax.Array)
    np.testing.assert_array_equal(np.asarray(ours._keras_mask), np.asarray(theirs._keras_mask))
    assert ours._keras_mask.dtype == theirs._keras_mask.dtype
    # As in Keras, an output without a mask has no attribute.
    assert not hasattr(kerasj.layers.Dense(2)(np.ones((1, 3))), "_keras_mask")
    assert not hasattr(keras.layers.Dense(2)(np.ones((1, 3))), "_keras_mask")


def test_mask_does_not_leak_between_unrelated_arrays():
    assert get_mask(jnp.zeros((2, 3))) is None
    assert get_mask(np.zeros(3)) is None


def test_output_mask_excludes_padded_steps_from_the_loss_like_keras():
    y = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2) / 10
    results = []
    for lib in (kerasj, keras):
        MaskNonZero, _ = make_layers(lib)
        inputs = lib.Input((3, 2))
        outputs = lib.layers.Dense(2, kernel_initializer="ones")(MaskNonZero()(inputs))
        model = lib.Model(inputs, outputs)
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        results.append(model.evaluate(X, y, verbose=0, return_dict=True))
    ours, theirs = results
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    np.testing.assert_allclose(ours["mae"], theirs["mae"], rtol=1e-5)
    # And the mask did change the loss: the unmasked mean differs.
    unmasked = np.mean((X.sum(-1, keepdims=True) * np.ones((1, 1, 2)) - y) ** 2)
    assert abs(ours["loss"] - unmasked) > 1e-3


def _symbolic_masks(lib):
    """The `_keras_mask` of each symbolic output in a small masked model, as (shape, dtype) or None."""
    ids = lib.Input(shape=(None,), dtype="int32")
    embedded = lib.layers.Embedding(input_dim=20, output_dim=4, mask_zero=True)(ids)
    dense = lib.layers.Dense(3)(embedded)
    summed = lib.layers.Add()([dense, dense])
    last = lib.layers.LSTM(2)(summed)
    sequences = lib.layers.GRU(2, return_sequences=True)(summed)
    masked = lib.layers.Masking()(lib.Input((5, 2)))
    plain = lib.layers.Dense(2)(lib.Input((3,)))

    def describe(t):
        m = getattr(t, "_keras_mask", None)
        return None if m is None else (tuple(m.shape), str(m.dtype))
    return [describe(t) for t in (embedded, dense, summed, last, sequences, masked, plain)]


def test_symbolic_outputs_carry_their_mask_like_keras():
    # Keras's masking guide prints `x._keras_mask` of symbolic tensors while building a model.
    assert _symbolic_masks(kerasj) == _symbolic_masks(keras)
    assert _symbolic_masks(kerasj)[0] == ((None, None), "bool")


def test_a_mask_consumer_receives_the_symbolic_mask_while_the_model_is_built_like_keras():
    # Keras passes the symbolic mask to `call(mask=...)` during shape inference, so a layer may require it.
    outputs = {}
    for lib in (keras, kerasj):
        class NeedsMask(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.supports_masking = True

            def call(self, inputs, mask=None):
                assert mask is not None
                return inputs * lib.ops.expand_dims(lib.ops.cast(mask, "float32"), -1)

        ids = lib.Input(shape=(None,), dtype="int32")
        embedded = lib.layers.Embedding(input_dim=10, output_dim=2, embeddings_initializer="ones",
                                        mask_zero=True)(ids)
        model = lib.Model(ids, NeedsMask()(embedded))
        outputs[lib.__name__] = np.asarray(model(np.array([[3, 0, 5, 0]])))
    np.testing.assert_array_equal(outputs["kerasj"], outputs["keras"])
    np.testing.assert_array_equal(outputs["kerasj"][0, :, 0], [1, 0, 1, 0])
