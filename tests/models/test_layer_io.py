"""`Layer.input` / `Layer.output` and `Model.input` / `output` / `input_shape` / `output_shape`, against Keras 3.

Keras 3's rules, each checked on Keras (JAX backend) beside kerasj: a layer answers for its first call on
symbolic tensors (also when called on several, without error), a single tensor comes back bare and several as
a list; a layer never called symbolically (or only eagerly) raises AttributeError; an Input layer has no
inputs; a functional model answers with the structures given to `Model(inputs, outputs)`, also once nested in
another model; plain layers have no `input_shape`.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import kerasj

LIBS = pytest.mark.parametrize("lib", [keras, kerasj], ids=["keras", "kerasj"])


@LIBS
@pytest.mark.parametrize("attr", ["input", "output"])
def test_a_layer_never_called_symbolically_has_no_input_or_output(lib, attr):
    dense = lib.layers.Dense(3, name=f"probe_{attr}")
    dense(np.ones((2, 4), np.float32))  # an eager call records no node
    with pytest.raises(AttributeError, match=f"The layer probe_{attr} has never been called and thus has no "
                                             f"defined {attr}"):
        getattr(dense, attr)
    assert not hasattr(dense, "input_shape") and not hasattr(dense, "output_shape")


@LIBS
def test_first_symbolic_call_defines_input_and_output(lib):
    a, b = lib.Input((4,)), lib.Input((4,))
    dense = lib.layers.Dense(3)
    first, second = dense(a), dense(b)  # two nodes: no error, the first answers
    assert dense.input is a and dense.output is first and second is not first

    concat = lib.layers.Concatenate()
    joined = concat([a, b])
    assert type(concat.input) is list and len(concat.input) == 2
    assert concat.input[0] is a and concat.input[1] is b and concat.output is joined


@LIBS
def test_a_layer_with_several_outputs_lists_them(lib):
    class Split(lib.layers.Layer):
        def call(self, x):
            return x[:, :2], x[:, 2:]

    split = Split()
    left, right = split(lib.Input((5,)))
    assert type(split.output) is list and split.output[0] is left and split.output[1] is right
    assert [tuple(t.shape) for t in split.output] == [(None, 2), (None, 3)]


@LIBS
def test_input_layer_has_no_inputs_and_outputs_its_tensor(lib):
    x = lib.Input((3,))
    input_layer = x._keras_history[0]
    assert input_layer.input == [] and input_layer.output is x


def _structures(model):
    def describe(tree):
        if isinstance(tree, dict):
            return {k: describe(v) for k, v in tree.items()}
        if isinstance(tree, (list, tuple)):
            return [type(tree).__name__] + [describe(v) for v in tree]
        return tuple(tree.shape)
    return describe(model.input), describe(model.output), model.input_shape, model.output_shape


def test_model_input_output_and_shapes_keep_the_given_structures():
    def build(lib):
        a, b = lib.Input((4,), name="a"), lib.Input((5,), name="b")
        joined = lib.layers.Concatenate()([a, b])
        by_name = lib.Model({"a": a, "b": b}, {"o1": joined, "o2": lib.layers.Dense(2)(joined)})
        listed = lib.Model([a, b], [joined])  # a list of one output stays a list
        single = lib.Model(a, lib.layers.Dense(2)(a))
        return [_structures(m) for m in (by_name, listed, single)]

    ours, theirs = build(kerasj), build(keras)
    assert ours == theirs
    assert theirs[1][1] == ["list", (None, 9)] and theirs[1][3] == (None, 9)


@LIBS
def test_a_nested_model_keeps_its_own_input_and_output(lib):
    x = lib.Input((4,))
    y = lib.layers.Dense(2)(x)
    inner = lib.Model(x, y)
    outer_input = lib.Input((4,))
    nested_output = inner(outer_input)
    outer = lib.Model(outer_input, nested_output)
    assert inner.input is x and inner.output is y
    assert outer.input is outer_input and outer.output is nested_output
    assert outer.layers[1] is inner and inner.input_shape == (None, 4) and inner.output_shape == (None, 2)


def test_sequential_inputs_outputs_and_shapes_match_keras():
    def build(lib):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        return [tuple(t.shape) for t in model.inputs + model.outputs], model.input_shape, model.output_shape

    assert build(kerasj) == build(keras) == ([(None, 3), (None, 2)], (None, 3), (None, 2))


def test_sequential_input_and_output_are_its_graph_tensors():
    # Keras 3 raises AttributeError here until the Sequential model itself is called on a symbolic tensor;
    # kerasj answers as tf.keras did, with the tensors of its graph (the same as `inputs[0]` / `outputs[0]`).
    model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(2)])
    assert model.input is model.inputs[0] and model.output is model.outputs[0]
    assert model.layers[0].input is model.input and model.layers[0].output is model.output
