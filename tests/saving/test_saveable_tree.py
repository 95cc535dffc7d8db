"""The h5 group of every layer and optimizer: the expected paths are those Keras 3 writes for the same models
(observed with h5py on files saved by Keras 3.15; tests/parity/test_weights_interop.py compares whole files)."""
import numpy as np

import kerasj
from kerasj.layers import Dense, Dropout, Input
from kerasj.saving.saveable_tree import own_variables, saveable_entries


def _paths(model):
    return {path: obj.name for path, obj in saveable_entries(model)}


def test_sequential_layers_and_optimizer():
    model = kerasj.Sequential([Input((3,)), Dense(4, name="d1"), Dropout(0.1, name="drop"), Dense(2, name="d2")])
    model.compile("adam", "mse")
    assert _paths(model) == {"": model.name, "layers/dense": "d1", "layers/dropout": "drop",
                             "layers/dense_1": "d2", "optimizer": model.optimizer.name}


def test_uncompiled_model_has_no_optimizer_group():
    model = kerasj.Sequential([Input((3,)), Dense(2, name="d")])
    assert _paths(model) == {"": model.name, "layers/dense": "d"}


def test_functional_with_shared_layer_and_nested_model():
    inner = kerasj.Sequential([Dense(3, name="i1"), Dense(3, name="i2")], name="inner")
    inputs = Input((3,), name="a")
    shared = Dense(3, name="shared")
    outputs = Dense(1, name="head")(inner(shared(shared(inputs))))
    model = kerasj.Model(inputs, outputs)
    assert _paths(model) == {
        "": model.name, "layers/input_layer": "a", "layers/dense": "shared",  # shared: written once
        "layers/sequential": "inner", "layers/sequential/layers/dense": "i1",
        "layers/sequential/layers/dense_1": "i2", "layers/dense_1": "head"}


class Block(kerasj.layers.Layer):
    def __init__(self):
        super().__init__(name="blk")
        self.a_first = Dense(2, name="first")
        self.lst = [self.a_first, Dense(2, name="second"), [Dense(2, name="n1")], [Dense(2, name="n2")],
                    {"q": Dense(2, name="dq"), "a": Dense(2, name="da"), "z": {"k": Dense(2, name="dd")}},
                    Dropout(0.1, name="drop"), 3, "text"]
        self.q = Dense(2, name="qq")
        self.seq = kerasj.Sequential([Dense(2, name="s1")], name="seq")

    @property
    def Zp(self):  # sorts before every lower-case attribute, so `qq` is written here
        return self.q

    @property
    def broken(self):
        raise RuntimeError("not available")

    def call(self, x):
        for layer in [self.a_first, self.lst[1], self.lst[2][0], self.lst[3][0], self.lst[4]["q"],
                      self.lst[4]["a"], self.lst[4]["z"]["k"], self.q, self.seq]:
            x = layer(x)
        return x


def test_layer_attributes_containers_and_properties():
    model = kerasj.Sequential([Input((2,)), Block()])
    paths = _paths(model)
    assert paths == {
        "": model.name, "layers/block": "blk", "layers/block/Zp": "qq", "layers/block/a_first": "first",
        # Lists and dicts: class-name keys unique per container; `first` (already written) still takes "dense".
        "layers/block/lst/dense_1": "second",
        "layers/block/lst/container/dense": "n1", "layers/block/lst/container_1/dense": "n2",
        "layers/block/lst/container_2/dense": "dq", "layers/block/lst/container_2/dense_1": "da",
        "layers/block/lst/container_2/container/dense": "dd", "layers/block/lst/dropout": "drop",
        "layers/block/seq": "seq", "layers/block/seq/layers/dense": "s1"}
    # Walk order: each object's attributes in sorted order, depth first.
    order = [path for path, _ in saveable_entries(model)]
    assert (order.index("layers/block/Zp") < order.index("layers/block/a_first")
            < order.index("layers/block/lst/dense_1"))


class Sub(kerasj.Model):
    def __init__(self):
        super().__init__(name="sub")
        self.z = Dense(2, name="zz")
        self.a = Dense(2, name="aa")
        self.v = kerasj.Variable(np.ones(2, np.float32), name="myv")

    def call(self, x):
        return self.a(self.z(x)) + self.v


def test_subclassed_model_reaches_layers_through_sorted_attributes():
    model = Sub()
    model(np.ones((1, 2), np.float32))
    # "a" < "layers" < "z": `aa` is written under its attribute, `zz` first met in `layers`.
    assert _paths(model) == {"": "sub", "a": "aa", "layers/dense": "zz"}
    assert own_variables(model) == [model.v]


class Frozen(kerasj.layers.Layer):
    def build(self, input_shape):
        self.nt = self.add_weight(shape=(1,), trainable=False, name="nt")
        self.t = self.add_weight(shape=(1,), name="t")

    def call(self, x):
        return x + self.t + self.nt


def test_own_variables_list_created_trainable_first_even_when_frozen():
    layer = Frozen()
    layer(np.ones((1, 1), np.float32))
    assert own_variables(layer) == [layer.t, layer.nt]
    layer.trainable = False
    assert own_variables(layer) == [layer.t, layer.nt]


def test_optimizer_variables_in_keras_order():
    model = kerasj.Sequential([Input((3,)), Dense(2)])
    model.compile(kerasj.optimizers.Adam(), "mse")
    model.optimizer.build(model.trainable_variables)
    optimizer = dict(saveable_entries(model))["optimizer"]
    variables = own_variables(optimizer)
    # As in Keras's file: iteration, learning rate, then (momentum, velocity) per weight, kernel first.
    assert [v.name for v in variables[:2]] == ["iteration", "learning_rate"]
    assert [v.shape for v in variables] == [(), (), (3, 2), (3, 2), (2,), (2,)]


def test_a_list_that_contains_itself_does_not_recurse_forever():
    layer = Block()
    layer.loop = [Dense(1, name="in_loop")]
    layer.loop.append(layer.loop)
    model = kerasj.Sequential([Input((2,)), layer])
    assert _paths(model)["layers/block/loop/dense"] == "in_loop"
