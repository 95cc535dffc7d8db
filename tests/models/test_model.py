"""Subclassed models, the three building styles, and summary()."""
import numpy as np
import pytest

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


def _nested_model():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"), keras.layers.Dense(2, name="d2")],
                             name="inner")
    return keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(1, name="out")], name="outer")


def _table_rows(lines):
    return [l for l in lines if l.startswith("│")]


def test_summary_expand_nested_lists_inner_layers_after_their_model():
    model = _nested_model()
    flat, nested = [], []
    model.summary(print_fn=flat.append)
    model.summary(print_fn=nested.append, expand_nested=True)
    names = lambda lines: [row.split("│")[1].strip() for row in _table_rows(lines)]  # noqa: E731
    assert names(flat) == ["inner (Sequential)", "out (Dense)"]
    assert names(nested) == ["inner (Sequential)", "d1 (Dense)", "d2 (Dense)", "out (Dense)"]
    assert _table_rows(nested)[1].split("│")[1].startswith("   d1")  # indented under its model


def test_summary_layer_range_selects_inclusive_span_by_pattern():
    model = keras.Sequential([keras.Input((4,))] + [keras.layers.Dense(2, name=f"dense_{i}") for i in range(4)])
    lines = []
    model.summary(print_fn=lines.append, layer_range=["dense_1", "dense_2"])
    assert [r.split("│")[1].split()[0] for r in _table_rows(lines)] == ["dense_1", "dense_2"]
    lines = []
    model.summary(print_fn=lines.append, layer_range=["dense_[23]", "dense_"])  # first match .. last match
    assert [r.split("│")[1].split()[0] for r in _table_rows(lines)] == ["dense_2", "dense_3"]
    with pytest.raises(ValueError, match="'nope' matches no layer name"):
        model.summary(layer_range=["nope", "dense_3"])
    with pytest.raises(ValueError, match="layer_range must be a list or tuple of 2 strings"):
        model.summary(layer_range="dense_1")


def test_summary_positions_set_the_column_edges():
    model = _nested_model()
    lines = []
    model.summary(print_fn=lines.append, positions=[40, 60, 75])
    row = _table_rows(lines)[0]
    assert [len(cell) for cell in row.split("│")[1:-1]] == [39, 19, 14]
    lines = []
    model.summary(print_fn=lines.append, line_length=100, positions=[0.5, 0.8, 1.0])
    assert [len(cell) for cell in _table_rows(lines)[0].split("│")[1:-1]] == [49, 29, 19]
    with pytest.raises(ValueError, match="positions must be 3 increasing positive numbers"):
        model.summary(positions=[0.5, 0.4, 1.0])


def test_summary_show_trainable_adds_a_column():
    model = _nested_model()
    model.layers[-1].trainable = False
    lines = []
    model.summary(print_fn=lines.append, show_trainable=True)
    assert "Trainable" in lines[2]
    assert [r.split("│")[-2].strip() for r in _table_rows(lines)] == ["Y", "N"]
