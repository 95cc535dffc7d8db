"""The Operation base: eager calls run `call`, symbolic calls record a Node; Layer is an Operation; the ops a
functional graph records for operators and kerasj.ops functions are Operations but not layers."""
import jax.numpy as jnp
import numpy as np
import pytest

import kerasj
from kerasj.ops.operation import Operation
from kerasj.ops.operators import OPERATORS, FunctionOp, SymbolicOp
from kerasj.ops.symbolic import KerasTensor


class Double(Operation):
    def call(self, x):
        return 2 * x


def test_eager_call_runs_call_and_symbolic_call_records_a_node():
    op = Double()
    np.testing.assert_allclose(op(jnp.ones(2)), [2.0, 2.0])
    assert op._inbound_nodes == []
    x = kerasj.Input((3,))
    y = op(x)
    assert isinstance(y, KerasTensor) and y.shape == (None, 3)
    node = op._inbound_nodes[0]
    assert node.operation is op and node.input_tensors == [x] and node.output_tensors == [y]
    assert y._keras_history == (op, 0, 0)
    model = kerasj.Model(x, y)
    np.testing.assert_allclose(model(np.ones((2, 3))), 2 * np.ones((2, 3)))
    assert [layer.name for layer in model.layers] == [model.layers[0].name]  # only the InputLayer


def test_names_are_unique_snake_case_and_explicit_names_are_checked():
    class NamedOnceOp(Double):
        pass
    assert [NamedOnceOp().name, NamedOnceOp().name] == ["named_once_op", "named_once_op_1"]
    assert Double(name="twice").name == "twice"
    with pytest.raises(ValueError, match="Double: name must be a string without '/'"):
        Double(name="a/b")
    assert Double.from_config(Double(name="x2").get_config()).name == "x2"


def test_layers_are_operations_and_graph_ops_are_not_layers():
    assert issubclass(kerasj.layers.Layer, Operation)
    x = kerasj.Input((4,))
    y = kerasj.ops.mean(x * 2.0, axis=-1)
    multiply = y._keras_history[0]._inbound_nodes[0].parent_nodes[0].operation
    assert type(multiply) is OPERATORS["Multiply"] and multiply.name.startswith("multiply")
    assert isinstance(y._keras_history[0], FunctionOp) and y._keras_history[0].op_class_name == "mean"
    for op in (multiply, y._keras_history[0]):
        assert isinstance(op, SymbolicOp) and not isinstance(op, kerasj.layers.Layer)
    assert SymbolicOp.knows("Multiply") and not SymbolicOp.knows("mean")
    # Configs find operators through the registry, under Keras's module name for them.
    from kerasj.utils.keras_names import builtin
    assert builtin("keras.src.ops.numpy", "Multiply") is OPERATORS["Multiply"]


def test_operator_configs_round_trip_and_function_ops_refuse():
    op = OPERATORS["GetItem"](name="pick")
    assert op.get_config() == {"name": "pick"}
    again = SymbolicOp.for_op("GetItem").from_config({"name": "pick_1", "trainable": True})
    assert type(again) is type(op) and again.name == "pick_1"
    np.testing.assert_allclose(again(jnp.arange(6.0).reshape(2, 3), [slice(None), 1]), [1.0, 4.0])
    with pytest.raises(NotImplementedError, match="kerasj.ops.sum"):
        FunctionOp("sum", jnp.sum).get_config()
