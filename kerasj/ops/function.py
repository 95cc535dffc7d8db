"""`keras.Function`: the graph of ops and layer calls recorded between symbolic tensors, run again on new
inputs. It is what a functional Model is made of, without the Layer machinery: no weights of its own to
track, no training arguments, no masks of its own.

    >>> a = kerasj.KerasTensor((None, 3))
    >>> b = kerasj.KerasTensor((None, 3))
    >>> fn = kerasj.Function([a, b], kerasj.ops.sigmoid(a + b))
    >>> fn([np.zeros((2, 3)), np.zeros((2, 3))])
    Array([[0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5]], dtype=float32)

`map_graph` is the graph walk itself (which nodes lie between the inputs and the outputs, in what order they
run, and the order Keras lists their operations in); it needs nothing above the ops floor.
"""
import collections

import jax
import numpy as np

from kerasj.ops.operation import Operation
from kerasj.ops.symbolic import KerasTensor, compute_output_spec
from kerasj.variables import Variable


def _is_leaf(x):
    # As in Keras's tree functions, None and a Variable count as one input each (jax would see None as an
    # empty subtree and a Variable as the pytree around its value).
    return x is None or isinstance(x, (KerasTensor, Variable))


def _flatten(tree):
    return jax.tree_util.tree_flatten(tree, is_leaf=_is_leaf)


def _node_of(tensor):
    operation, index, _ = tensor._keras_history
    return operation._inbound_nodes[index]


def _is_input_node(node):
    # A node that consumes no tensor starts the graph: the node of an Input layer.
    return not node.input_tensors


def _walk(inputs, outputs):
    """Depth-first from the outputs, stopping at the inputs: (nodes in post-order, so each after the nodes it
    consumes; {id(operation): (index of first visit, operation)}). Iterative, so long chains of ops do not
    hit Python's recursion limit."""
    input_ids = {id(t) for t in inputs}
    order, first_seen, finished, active = [], {}, set(), set()
    for output in outputs:
        stack = [(output, False)]
        while stack:
            tensor, done = stack.pop()
            if done:
                node = _node_of(tensor)
                active.discard(id(node))
                finished.add(id(node))
                order.append(node)
                continue
            if tensor._keras_history is None:
                if id(tensor) in input_ids:
                    continue
                raise ValueError(f"Graph disconnected: {tensor!r} is not among the inputs and was not produced by "
                                 "an op or a layer call.")
            node = _node_of(tensor)
            if id(node) in finished:
                continue
            if id(tensor) in input_ids and not _is_input_node(node):
                finished.add(id(node))  # the op that made this input lies outside the graph
                continue
            if id(node) in active:
                raise ValueError(f"Tensor {tensor!r} from operation '{node.operation.name}' is part of a cycle.")
            first_seen.setdefault(id(node.operation), (len(first_seen), node.operation))
            active.add(id(node))
            stack.append((tensor, True))
            if not _is_input_node(node):
                stack.extend((t, False) for t in reversed(node.input_tensors))
    return order, first_seen


def map_graph(inputs, outputs):
    """The graph between flat lists of KerasTensors `inputs` and `outputs`, as `(nodes, operations)`:

    - `nodes`: every node to run, in an order where each comes after the nodes it consumes (the nodes of
      Input layers, which run nothing, are left out);
    - `operations`: the graph's ops and layers in Keras's order, which fixes the order of a model's `layers`
      and `weights`: by depth (the longest distance to an output), deepest first, and within one depth in the
      order a depth-first walk from the outputs first meets them. Input layers not used by any output come
      with depth 0, as in Keras.

    Raises ValueError when an output cannot be computed from the inputs alone.
    """
    order, first_seen = _walk(inputs, outputs)
    in_graph = {id(node) for node in order}
    node_depth, op_depth = {}, {}
    for node in reversed(order):
        depth = max(node_depth.get(id(node), 0), op_depth.get(id(node.operation), 0))
        node_depth[id(node)] = depth
        op_depth[id(node.operation)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:
        if tensor._keras_history is not None and _is_input_node(_node_of(tensor)):
            operation = tensor._keras_history[0]
            if id(operation) not in op_depth:
                op_depth[id(operation)] = 0
                first_seen[id(operation)] = (-1, operation)
    by_depth = collections.defaultdict(list)
    for key, depth in op_depth.items():
        by_depth[depth].append(first_seen[key])
    operations = [operation for depth in sorted(by_depth, reverse=True)
                  for _, operation in sorted(by_depth[depth], key=lambda seen: seen[0])]
    nodes = [node for node in order if not _is_input_node(node)]
    for node in order:
        if _is_input_node(node) and all(t is not node.output_tensors[0] for t in inputs):
            raise ValueError(f"Graph disconnected: cannot reach tensor {node.output_tensors[0]!r} (of "
                             f"'{node.operation.name}') from the inputs {[t.name for t in inputs]}; pass it in "
                             "`inputs` too.")
    return nodes, operations


def run_nodes(nodes, inputs, values, outputs, call):
    """Run `nodes` (from `map_graph`) on `values` for the flat `inputs`; `call(operation, args, kwargs)` performs
    one node. Returns the values of the flat `outputs`, as a list."""
    computed = {id(t): v for t, v in zip(inputs, values)}

    def lookup(x):
        return computed[id(x)] if isinstance(x, KerasTensor) else x

    for node in nodes:
        args, kwargs = jax.tree_util.tree_map(lookup, (node.call_args, node.call_kwargs),
                                              is_leaf=lambda x: isinstance(x, KerasTensor))
        produced = jax.tree_util.tree_leaves(call(node.operation, args, kwargs))
        if len(produced) != len(node.output_tensors):
            raise ValueError(f"'{node.operation.name}' returned {len(produced)} outputs when run on new inputs "
                             f"but {len(node.output_tensors)} when it was called symbolically.")
        for tensor, value in zip(node.output_tensors, produced):
            computed[id(tensor)] = value
    return [computed[id(t)] for t in outputs]


def _call_operation(operation, args, kwargs):
    return operation(*args, **kwargs)


def _shape_of(x):
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


class Function(Operation):
    """The computation from symbolic `inputs` to symbolic `outputs`, as a reusable callable.

    Like a functional Model it replays the recorded ops and layer calls on new values, but it is not a
    Layer: it holds no weights of its own (the layers it calls keep theirs) and takes no `training` or
    `mask` arguments. Call it with values in the structure of `inputs` (a single tensor, a list, a tuple or
    a dict, as given); it returns values in the structure of `outputs`. Called on KerasTensors it records
    itself as one op of a larger graph.

    Args:
        inputs: a KerasTensor or a nested structure of them: `kerasj.Input(...)` tensors, bare
            `kerasj.KerasTensor`s, or tensors computed inside another graph (the walk stops at them).
        outputs: a KerasTensor or a nested structure of them, computable from `inputs` alone.
        name: the op's name (default "function", made unique).

        >>> x = kerasj.Input((3,))
        >>> dense = kerasj.layers.Dense(2)
        >>> fn = kerasj.Function({"x": x}, {"y": dense(x), "z": dense(x) * 2.0})
        >>> sorted(fn({"x": np.ones((4, 3))}))
        ['y', 'z']
    """

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._inputs, self._inputs_treedef = _flatten(inputs)
        self._outputs, self._outputs_treedef = _flatten(outputs)
        if not self._inputs:
            raise ValueError(f"`inputs` argument cannot be empty. Received:\ninputs={inputs}\noutputs={outputs}")
        if not self._outputs:
            raise ValueError(f"`outputs` argument cannot be empty. Received:\ninputs={inputs}\noutputs={outputs}")
        for what, flat in (("inputs", self._inputs), ("outputs", self._outputs)):
            for t in flat:
                if not isinstance(t, KerasTensor):
                    raise TypeError(f"Function: every leaf of `{what}` must be a KerasTensor (from kerasj.Input, "
                                    f"kerasj.KerasTensor or an op or layer called on one); received {t!r}.")
        self._nodes, self._operations = map_graph(self._inputs, self._outputs)

    @property
    def inputs(self):
        """The symbolic inputs, as a flat list."""
        return self._inputs

    @property
    def outputs(self):
        """The symbolic outputs, as a flat list."""
        return self._outputs

    @property
    def operations(self):
        """The graph's ops and layers (a new list), in Keras's order (see `map_graph`)."""
        return list(self._operations)

    def call(self, inputs):
        """The outputs for new `inputs` (arrays, in the structure of the symbolic inputs)."""
        values = self._check_inputs(inputs)
        results = run_nodes(self._nodes, self._inputs, values, self._outputs, _call_operation)
        return jax.tree_util.tree_unflatten(self._outputs_treedef, results)

    def compute_output_spec(self, inputs):
        """Symbolic outputs for symbolic `inputs` of compatible shapes."""
        values = self._check_inputs(inputs)
        if all(tuple(x.shape) == tuple(ref.shape) for x, ref in zip(values, self._inputs)):
            # The recorded outputs already describe these inputs.
            return jax.tree_util.tree_map(lambda t: KerasTensor(t.shape, t.dtype), self._outputs_struct,
                                          is_leaf=lambda x: isinstance(x, KerasTensor))
        return compute_output_spec(self.call, (inputs,), {})

    def compute_output_shape(self, input_shape):
        """Output shapes (None for unknown sizes) for `input_shape`, given in the structure of the inputs."""
        try:
            shapes = self._inputs_treedef.flatten_up_to(input_shape)
        except (TypeError, ValueError) as err:
            raise ValueError(f"Function '{self.name}': `input_shape` must follow the structure of the inputs "
                             f"{self._inputs_treedef}; received {input_shape!r}.") from err
        specs = [KerasTensor(shape, ref.dtype) for shape, ref in zip(shapes, self._inputs)]
        out = self.compute_output_spec(jax.tree_util.tree_unflatten(self._inputs_treedef, specs))
        return jax.tree_util.tree_map(lambda t: t.shape, out, is_leaf=lambda x: isinstance(x, KerasTensor))

    def _check_inputs(self, inputs):
        """The flat input values, after checking their structure and shapes against the symbolic inputs."""
        values, treedef = _flatten(inputs)
        if treedef != self._inputs_treedef:
            raise ValueError("Function was called with an invalid input structure. Expected input structure: "
                             f"{self._inputs_struct}\nReceived input structure: {inputs}")
        for x, ref in zip(values, self._inputs):
            shape = _shape_of(x)
            if len(shape) != len(ref.shape) or any(d is not None and r is not None and d != r
                                                   for d, r in zip(shape, ref.shape)):
                raise ValueError(f"{type(self).__name__} was passed incompatible inputs. For input '{ref.name}', "
                                 f"expected shape {ref.shape}, but received instead a tensor with shape {shape}.")
        return values
