"""The Layer base class: build, tracking, weights order, training flag, losses, config, input checks."""
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj as keras
from kerasj import layers


class Linear(layers.Layer):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.build_calls = 0

    def build(self, input_shape):
        self.build_calls += 1
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.total = self.add_weight(shape=(), initializer="zeros", trainable=False, name="total")

    def call(self, inputs):
        self.total.assign_add(jnp.sum(inputs))
        return inputs @ self.w + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_lazy_build_once_and_weights():
    layer = Linear(3)
    assert not layer.built and layer.weights == []
    out = layer(np.ones((2, 4), np.float32))
    layer(np.ones((5, 4), np.float32))
    assert layer.built and layer.build_calls == 1
    np.testing.assert_allclose(out, np.full((2, 3), 4.0))
    assert [v.name for v in layer.weights] == ["w", "b", "total"]
    assert [v.name for v in layer.trainable_weights] == ["w", "b"]
    assert [v.name for v in layer.non_trainable_weights] == ["total"]
    assert float(layer.total.numpy()) == 8.0 + 20.0
    assert layer.count_params() == 4 * 3 + 3 + 1


def test_count_params_before_build_is_an_error():
    with pytest.raises(ValueError, match="isn't built"):
        Linear().count_params()


class Block(layers.Layer):
    def __init__(self):
        super().__init__()
        self.scale = keras.Variable(np.float32(2.0), name="scale")
        self.inner = [layers.Dense(2), layers.Dense(3)]
        self.heads = {"a": layers.Dense(1)}
        self.drop = layers.Dropout(0.5, seed=1)

    def call(self, x, training=None):
        x = self.inner[1](self.inner[0](x)) * self.scale
        return self.heads["a"](self.drop(x))


def test_tracking_of_attributes_lists_and_dicts_in_order():
    block = Block()
    block(np.ones((1, 4), np.float32))
    assert [v.path.split("/")[-1] for v in block.weights] == ["scale", "kernel", "bias", "kernel", "bias",
                                                              "kernel", "bias"]
    assert len(block._layers) == 4
    # seed state is a variable but not a weight, as in Keras
    assert len(block.variables) == len(block.weights) + 1
    assert block.variables[-1].dtype == "uint32"


def test_freezing_a_subtree():
    block = Block()
    block(np.ones((1, 4), np.float32))
    block.inner[0].trainable = False
    assert len(block.trainable_weights) == 7 - 2
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 7
    assert all(not l.trainable for l in block._layers)
    block.trainable = True
    assert len(block.trainable_weights) == 7


class TrainingProbe(layers.Layer):
    seen = []

    def call(self, x, training=None):
        TrainingProbe.seen.append(training)
        return x


class Outer(layers.Layer):
    def __init__(self):
        super().__init__()
        self.probe = TrainingProbe()

    def call(self, x):  # does not accept or forward `training`
        return self.probe(x)


def test_training_flag_reaches_nested_layers():
    TrainingProbe.seen.clear()
    outer = Outer()
    x = np.ones((1, 2), np.float32)
    outer(x, training=True)
    outer(x, training=False)
    outer(x)
    assert TrainingProbe.seen == [True, False, None]


class WithLoss(layers.Layer):
    def call(self, x):
        self.add_loss(jnp.sum(x))
        return x


class Container(layers.Layer):
    def __init__(self):
        super().__init__()
        self.a = WithLoss()
        self.dense = layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5), kernel_initializer="ones")

    def call(self, x):
        return self.dense(self.a(x))


def test_losses_collected_per_call_not_accumulated():
    c = Container()
    c(np.ones((1, 3), np.float32))
    c(np.full((1, 3), 2.0, np.float32))
    values = [float(v) for v in c.losses]
    # activity loss of the last call only, plus the L2 penalty 0.5 * sum(ones(3, 2))
    assert values == [6.0, 3.0]


def test_get_set_weights_round_trip_and_errors():
    a, b = layers.Dense(3), layers.Dense(3)
    a.build((None, 2))
    b.build((None, 2))
    b.set_weights(a.get_weights())
    x = np.random.default_rng(0).random((4, 2)).astype(np.float32)
    np.testing.assert_allclose(a(x), b(x))
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        b.set_weights([np.zeros((2, 3))])
    before = [w.copy() for w in b.get_weights()]
    with pytest.raises(ValueError, match=r"has shape \(3,\).*shape \(4,\)"):
        b.set_weights([np.zeros((2, 3)), np.zeros(4)])
    for w0, w1 in zip(before, b.get_weights()):
        np.testing.assert_array_equal(w0, w1)  # nothing was assigned


def test_config_round_trip():
    layer = Linear(7, name="lin")
    cfg = layer.get_config()
    clone = Linear.from_config(cfg)
    assert clone.units == 7 and clone.name == "lin"
    dense = layers.Dense(5, activation="relu", use_bias=False)
    clone = layers.Dense.from_config(dense.get_config())
    assert clone.units == 5 and clone.use_bias is False and clone.get_config()["activation"] == "relu"


def test_wrong_input_shape_names_the_layer():
    dense = layers.Dense(2, name="my_dense")
    dense(np.ones((1, 4), np.float32))
    with pytest.raises(ValueError, match=r"my_dense.*expected axis -1 of input shape to have value 4.*\(1, 5\)"):
        dense(np.ones((1, 5), np.float32))
    with pytest.raises(ValueError, match=r"my_dense.*min_ndim=2"):
        dense(np.ones((4,), np.float32))


def test_default_names_are_unique():
    a, b = layers.Dense(1), layers.Dense(1)
    assert a.name != b.name and a.name.startswith("dense")
    with pytest.raises(TypeError, match="unrecognized keyword"):
        layers.Dense(1, bogus=3)


def test_wrong_rank_on_first_call_fails_before_building():
    dense = layers.Dense(2, name="first_call")
    with pytest.raises(ValueError, match=r"first_call.*min_ndim=2"):
        dense(np.ones((4,), np.float32))
    assert not dense.built and dense.weights == []
