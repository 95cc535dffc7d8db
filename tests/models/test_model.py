"""Subclassed models, the three building styles, and summary()."""
import numpy as np

import kerasj as keras
from kerasj import layers


class MLP(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [layers.Dense(256, activation="relu"), layers.Dense(256, activation="relu")]
        self.out = layers.Dense(10, activation="softmax")

    def call(self, x, training=None):
        for layer in self.hidden:
            x = layer(x)
        return self.out(x)


def functional_mlp():
    x = keras.Input((784,))
    h = layers.Dense(256, activation="relu")(x)
    h = layers.Dense(256, activation="relu")(h)
    return keras.Model(x, layers.Dense(10, activation="softmax")(h))


def sequential_mlp():
    return keras.Sequential([keras.Input((784,)), layers.Dense(256, activation="relu"),
                             layers.Dense(256, activation="relu"), layers.Dense(10, activation="softmax")])


def test_three_styles_have_the_same_parameter_count_and_outputs():
    sub = MLP()
    sub.build((None, 784))
    fun, seq = functional_mlp(), sequential_mlp()
    expected = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    assert sub.count_params() == fun.count_params() == seq.count_params() == expected
    fun.set_weights(seq.get_weights())
    sub.set_weights(seq.get_weights())
    x = np.random.default_rng(0).random((3, 784)).astype(np.float32)
    np.testing.assert_allclose(fun(x), seq(x), rtol=1e-6)
    np.testing.assert_allclose(sub(x), seq(x), rtol=1e-6)


def test_subclassed_model_tracks_layers_and_builds_lazily():
    model = MLP(name="mlp")
    assert model.weights == [] and not model.built
    model(np.ones((2, 784), np.float32))
    assert len(model.layers) == 3 and len(model.trainable_weights) == 6
    assert model.get_layer(index=-1) is model.out


def test_summary_table(capsys):
    model = sequential_mlp()
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "' in text and "Layer (type)" in text and "Output Shape" in text
    assert "(None, 256)" in text and "(None, 10)" in text
    total = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    assert f"Total params: {total:,}" in text and f"Trainable params: {total:,}" in text
    assert "Non-trainable params: 0" in text


def test_summary_counts_non_trainable():
    model = sequential_mlp()
    model.layers[0].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    assert any(l.strip().startswith(f"Non-trainable params: {784 * 256 + 256:,}") for l in lines)
