"""Weights files are interchangeable with Keras 3: the same model built in both writes the same h5 layout, a
file written by Keras loads into kerasj and predicts the same, and the other way round (optimizer state
included)."""
import os

import h5py
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6


def _sequential(lib):
    return lib.Sequential([lib.Input((2, 3)), lib.layers.Flatten(), lib.layers.Dense(5, activation="relu"),
                           lib.layers.Dropout(0.2), lib.layers.Dense(4), lib.layers.Reshape((2, 2)),
                           lib.layers.Flatten(), lib.layers.Dense(2)])


def _functional(lib):
    class Scale(lib.layers.Layer):
        """A custom layer with a trainable and a non-trainable weight (created non-trainable first)."""

        def build(self, input_shape):
            self.offset = self.add_weight(shape=(input_shape[-1],), trainable=False, initializer="ones",
                                          name="offset")
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="random_normal", name="scale")

        def call(self, x):
            return x * self.scale + self.offset

    class Sum(lib.layers.Layer):
        def call(self, inputs):
            return inputs[0] + inputs[1]

    a, b = lib.Input((2, 3), name="a"), lib.Input((3,), name="b")
    shared = lib.layers.Dense(3, name="shared")
    inner = lib.Sequential([lib.layers.Dense(4), Scale(), lib.layers.Dense(3)], name="inner")
    merged = Sum()([shared(lib.layers.Flatten()(a) @ np.ones((6, 3), "float32")), shared(b)])
    return lib.Model([a, b], lib.layers.Dense(2)(inner(merged)))


def _subclassed(lib):
    class Block(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.branches = [lib.layers.Dense(3), [lib.layers.Dense(3)], {"k": lib.layers.Dense(3)}]
            self.norm = lib.layers.Dense(3, use_bias=False)
            self.drop = lib.layers.Dropout(0.1)

        def call(self, x):
            y = self.branches[0](x) + self.branches[1][0](x) + self.branches[2]["k"](x)
            return self.drop(self.norm(y))

    class Net(lib.Model):
        def __init__(self):
            super().__init__()
            self.stem = lib.layers.Dense(3)
            self.blocks = [Block(), Block()]
            self.head = lib.Sequential([lib.layers.Dense(4), lib.layers.Dense(2)])
            self.bias = lib.Variable(np.full((2,), 0.5, "float32"), name="extra_bias")

        def call(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            return self.head(x) + self.bias

    model = Net()
    model(np.zeros((1, 3), "float32"))
    return model


CASES = {
    "sequential": (_sequential, lambda rng: rng.normal(size=(5, 2, 3)).astype("float32")),
    "functional": (_functional, lambda rng: [rng.normal(size=(5, 2, 3)).astype("float32"),
                                             rng.normal(size=(5, 3)).astype("float32")]),
    "subclassed": (_subclassed, lambda rng: rng.normal(size=(5, 3)).astype("float32")),
}


def _layout(path):
    """{h5 path: (kind, shape, dtype)} for every group and dataset in the file."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(
            name, ("group",) if isinstance(obj, h5py.Group) else ("dataset", obj.shape, str(obj.dtype))))
    return out


def _outputs(model, x):
    return np.asarray(model(x, training=False))


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_layout_and_both_directions(tmp_path, case):
    build, make_x = CASES[case]
    x = make_x(np.random.default_rng(0))
    k_model, j_model = build(keras), build(kerasj)
    _randomize(k_model, 1)
    _randomize(j_model, 2)
    k_model.save_weights(tmp_path / "keras.weights.h5")
    j_model.save_weights(tmp_path / "kerasj.weights.h5")
    assert _layout(tmp_path / "keras.weights.h5") == _layout(tmp_path / "kerasj.weights.h5")

    # Keras -> kerasj
    j_loaded = build(kerasj)
    j_loaded.load_weights(tmp_path / "keras.weights.h5")
    np.testing.assert_allclose(_outputs(j_loaded, x), _outputs(k_model, x), rtol=RTOL, atol=ATOL)
    # kerasj -> Keras
    k_loaded = build(keras)
    k_loaded.load_weights(tmp_path / "kerasj.weights.h5")
    np.testing.assert_allclose(_outputs(k_loaded, x), _outputs(j_model, x), rtol=RTOL, atol=ATOL)
    for a, b in zip(k_loaded.get_weights(), j_model.get_weights()):
        np.testing.assert_array_equal(a, b)


def _compiled_mlp(lib):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh"), lib.layers.Dense(2)])
    model.compile(lib.optimizers.Adam(0.05), "mse")
    return model


@pytest.mark.parametrize("writer, reader", [(keras, kerasj), (kerasj, keras)], ids=["keras_to_kerasj",
                                                                                    "kerasj_to_keras"])
def test_optimizer_state_carries_over(tmp_path, writer, reader):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 3)).astype("float32"), rng.normal(size=(12, 2)).astype("float32")
    trained = _compiled_mlp(writer)
    _randomize(trained, 4)
    trained.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    trained.save_weights(tmp_path / "m.weights.h5")

    resumed = _compiled_mlp(reader)
    resumed.optimizer.build(resumed.trainable_variables)  # fit builds it before callbacks run
    resumed.load_weights(tmp_path / "m.weights.h5")
    assert int(resumed.optimizer.iterations) == 6
    for a, b in zip(resumed.optimizer.variables, trained.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # One more epoch in each library: with the Adam moments and step count restored they agree.
    trained.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    resumed.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), trained.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def test_bfloat16_weights_cross_over_exactly(tmp_path):
    def build(lib):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, dtype="bfloat16")])

    k_model = build(keras)
    _randomize(k_model, 5)
    k_model.save_weights(tmp_path / "k.weights.h5")
    j_model = build(kerasj)
    j_model.load_weights(tmp_path / "k.weights.h5")
    for a, b in zip(j_model.get_weights(), k_model.get_weights()):
        assert str(a.dtype) == "bfloat16"
        np.testing.assert_array_equal(a.astype("float32"), np.asarray(b).astype("float32"))
    j_model.save_weights(tmp_path / "j.weights.h5")
    assert _layout(tmp_path / "j.weights.h5") == _layout(tmp_path / "k.weights.h5")
    k_back = build(keras)
    k_back.load_weights(tmp_path / "j.weights.h5")
    for a, b in zip(k_back.get_weights(), k_model.get_weights()):
        np.testing.assert_array_equal(np.asarray(a).astype("float32"), np.asarray(b).astype("float32"))
