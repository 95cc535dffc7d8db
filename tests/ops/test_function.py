"""kerasj.Function: a recorded graph of ops and layer calls run on new inputs, compared with keras.Function
(Keras 3) built the same way on the same inputs and weights."""
import os
import re

import jax
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

import kerasj  # noqa: E402
from kerasj.ops.function import map_graph  # noqa: E402

RNG = np.random.default_rng(0)
A = RNG.normal(size=(4, 3)).astype("float32")
C = RNG.normal(size=(4, 2)).astype("float32")


def _base(name):
    return re.sub(r"_\d+$", "", name)  # names are made unique per library: compare them without the counter


def _ops_graph(lib):
    a = lib.KerasTensor((None, 3))
    b = lib.KerasTensor((None, 3))
    x = lib.ops.sigmoid(a + 2.0 * b)
    out = lib.ops.mean(lib.ops.matmul(x, lib.ops.transpose(a)), axis=-1)
    return lib.Function([a, b], {"mean": out, "x": x})


def test_a_graph_of_ops_matches_keras():
    ours, theirs = _ops_graph(kerasj), _ops_graph(keras)
    inputs = [A, A[::-1].copy()]
    got, want = ours(inputs), theirs(inputs)
    assert set(got) == set(want) == {"mean", "x"}
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6)
    # Bare KerasTensors as inputs: no Input layers, only the ops, in Keras's order.
    assert [_base(op.name) for op in ours.operations] == [_base(op.name) for op in theirs.operations]
    assert len(ours.inputs) == 2 and len(ours.outputs) == 2
    np.testing.assert_allclose(jax.jit(ours)(inputs)["mean"], want["mean"], rtol=1e-5, atol=1e-6)


def _layers_graph(lib):
    """A diamond of shared Dense layers, an op branch and an Input used only by ops; dict in, list out."""
    a = lib.Input((3,), name="a")
    c = lib.Input((2,), name="c")
    x = lib.layers.Dense(4, activation="relu")(a)
    y2 = lib.layers.Dense(2)(x)
    y3 = lib.layers.Dense(2, activation="tanh")(x)
    joined = lib.layers.Concatenate()([y2, y3])
    out = lib.ops.mean(joined, axis=-1) + lib.ops.sum(c, axis=-1)
    return lib.Function({"a": a, "c": c}, [out, y2])


@pytest.fixture(scope="module")
def layer_functions():
    ours, theirs = _layers_graph(kerasj), _layers_graph(keras)
    ours_layers = [op for op in ours.operations if hasattr(op, "set_weights")]
    theirs_layers = [op for op in theirs.operations if hasattr(op, "get_weights")]
    for mine, other in zip(ours_layers, theirs_layers):
        mine.set_weights(other.get_weights())
    return ours, theirs


def test_a_graph_of_layers_matches_keras(layer_functions):
    ours, theirs = layer_functions
    assert [_base(op.name) for op in ours.operations] == [_base(op.name) for op in theirs.operations] == [
        "a", "dense", "dense", "dense", "concatenate", "c", "mean", "sum", "add"]
    feed = {"a": A, "c": C}
    got, want = ours(feed), theirs(feed)
    assert isinstance(got, list) and len(got) == 2
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_inputs_are_matched_by_structure_like_keras(layer_functions):
    ours, theirs = layer_functions
    bad = [[A, C], {"a": A}, A]
    for inputs in bad:
        for fn in (ours, theirs):
            with pytest.raises(ValueError, match="invalid input structure"):
                fn(inputs)
    for fn in (ours, theirs):
        with pytest.raises(ValueError, match="incompatible inputs. For input 'a', expected shape"):
            fn({"a": np.ones((4, 5), "float32"), "c": C})
    a, b = kerasj.KerasTensor((None, 3)), kerasj.KerasTensor((None, 3))
    pair = kerasj.Function((a, b), a - b)
    with pytest.raises(ValueError, match="invalid input structure"):
        pair([A, A])  # a list is not the tuple the function was made with (Keras refuses it too)
    np.testing.assert_allclose(pair((A, 2 * A)), -A, rtol=1e-6)


def test_a_single_input_takes_the_array_itself():
    for lib in (kerasj, keras):
        x = lib.Input((3,))
        fn = lib.Function(x, lib.ops.relu(x) * 3.0)
        np.testing.assert_allclose(fn(A), np.maximum(A, 0) * 3.0, rtol=1e-6)
        with pytest.raises(ValueError, match="invalid input structure"):
            fn([A])


def test_inputs_inside_a_graph_cut_it_there():
    functions, seconds = [], []
    for lib in (kerasj, keras):
        a = lib.Input((3,))
        first, second = lib.layers.Dense(4), lib.layers.Dense(2)
        x = first(a)
        functions.append(lib.Function(x, second(x)))
        seconds.append(second)
    for fn, second in zip(functions, seconds):
        assert fn.operations == [second]  # only what lies after `x`: no Input layer, no `first`
    seconds[0].set_weights(seconds[1].get_weights())
    x = C @ np.ones((2, 4), "float32")
    np.testing.assert_allclose(functions[0](x), functions[1](x), rtol=1e-5, atol=1e-6)


def test_symbolic_call_shapes_and_use_inside_a_model(layer_functions):
    ours, theirs = layer_functions
    for fn, lib in ((ours, kerasj), (theirs, keras)):
        spec = fn.compute_output_spec({"a": lib.KerasTensor((5, 3)), "c": lib.KerasTensor((5, 2))})
        assert [tuple(s.shape) for s in spec] == [(5,), (5, 2)]
    assert ours.compute_output_shape({"a": (None, 3), "c": (None, 2)}) == [(None,), (None, 2)]
    assert theirs.compute_output_shape({"a": (None, 3), "c": (None, 2)}) == [(None,), (None, 2)]
    # Called on KerasTensors a Function is one op of a bigger graph (a model's layer list leaves it out).
    models = []
    for fn, lib in ((ours, kerasj), (theirs, keras)):
        a, c = lib.Input((3,)), lib.Input((2,))
        out, _ = fn({"a": a, "c": c})
        models.append(lib.Model([a, c], out * 2.0))
        assert len(models[-1].layers) == 2  # the two Input layers
    np.testing.assert_allclose(models[0]([A, C]), models[1]([A, C]), rtol=1e-5, atol=1e-6)


def test_bad_graphs_are_refused():
    a, c = kerasj.Input((3,)), kerasj.Input((3,))
    with pytest.raises(ValueError, match="`inputs` argument cannot be empty"):
        kerasj.Function([], a)
    with pytest.raises(ValueError, match="`outputs` argument cannot be empty"):
        kerasj.Function(a, [])
    with pytest.raises(ValueError, match="Graph disconnected: cannot reach tensor"):
        kerasj.Function([a], a + c)
    with pytest.raises(ValueError, match="Graph disconnected"):
        kerasj.Function([a], a + kerasj.KerasTensor((None, 3)))
    with pytest.raises(TypeError, match="every leaf of `outputs` must be a KerasTensor"):
        kerasj.Function(a, [a, np.ones(3)])


class _Increment(kerasj.Operation):
    """x + 1, with its output spec given directly (building a long chain stays fast)."""

    def call(self, x):
        return x + 1.0

    def compute_output_spec(self, x):
        return kerasj.KerasTensor(x.shape, x.dtype)


def test_an_unused_input_is_listed_like_keras_and_long_chains_do_not_recurse():
    names = []
    for lib in (kerasj, keras):
        a, unused = lib.Input((3,), name="first"), lib.Input((3,), name="spare")
        fn = lib.Function([a, unused], a * 2.0)
        names.append([_base(op.name) for op in fn.operations])
        np.testing.assert_allclose(fn([A, C @ np.ones((2, 3), "float32")]), 2 * A, rtol=1e-6)
    assert names[0] == names[1] == ["first", "spare", "multiply"]
    x = start = kerasj.KerasTensor((None, 3))
    step = _Increment()
    for _ in range(1200):  # deeper than Python's default recursion limit
        x = step(x)
    nodes, operations = map_graph([start], [x])
    assert len(nodes) == 1200 and operations == [step]  # one shared op, called 1200 times
    assert nodes[-1].output_tensors == [x] and nodes[0].input_tensors == [start]
    np.testing.assert_allclose(jax.jit(kerasj.Function(start, x))(A), A + 1200.0, rtol=1e-5)
