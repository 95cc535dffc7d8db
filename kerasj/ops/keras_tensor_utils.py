"""Questions about symbolic tensors (`kerasj.Input(...)` and what layers compute from it):
`is_keras_tensor` and `get_source_inputs`.

    >>> x = kerasj.Input((3,))
    >>> y = kerasj.layers.Dense(2)(x)
    >>> kerasj.utils.get_source_inputs(y)[0] is x
    True
"""
from kerasj.ops.symbolic import KerasTensor


def is_keras_tensor(x):
    """Whether `x` is a symbolic `KerasTensor` (as `kerasj.Input` returns), not an array with values.

    >>> kerasj.utils.is_keras_tensor(kerasj.Input((3,)))
    True
    """
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor):
    """The list of `Input` tensors that `tensor` is computed from, each once, in the order first met.

    An `Input` tensor gives `[tensor]`; a tensor with no recorded history is returned as it is.

    >>> x = kerasj.Input((3,))
    >>> kerasj.utils.get_source_inputs(x + 1.0) == [x]
    True
    """
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return tensor if not isinstance(tensor, KerasTensor) else [tensor]
    operation, node_index, _ = history
    if not operation or not operation._inbound_nodes:
        return [tensor]
    node = operation._inbound_nodes[node_index]
    if not node.input_tensors:  # an input node
        return list(node.output_tensors)
    sources = []
    for parent in node.input_tensors:
        for source in get_source_inputs(parent):
            if all(source is not s for s in sources):
                sources.append(source)
    return sources
