"""Functional models: a graph of layer calls recorded on symbolic tensors, replayed on real arrays.

    >>> inputs = kerasj.Input(shape=(784,))
    >>> x = kerasj.layers.Dense(64, activation="relu")(inputs)
    >>> outputs = kerasj.layers.Dense(10)(x)
    >>> model = kerasj.Model(inputs, outputs)
"""
import jax
import jax.numpy as jnp
import numpy as np

from kerasj import variables as variables_module
from kerasj.layers.input_layer import InputLayer
from kerasj.layers.layer import Layer, forward_version, in_call_context
from kerasj.masks import get_mask, set_mask
from kerasj.models.model import Model
from kerasj.ops.symbolic import KerasTensor
from kerasj.utils.string_arrays import EncodedStrings
from kerasj.variables import StateScope, autocast_state, current_scope, structure_version


def _is_tensor(x):
    return isinstance(x, KerasTensor)


def _leaves(tree):
    return jax.tree_util.tree_leaves(tree, is_leaf=_is_tensor)


class FunctionalGraph:
    """The nodes between `inputs` and `outputs` in execution order, and how to run them."""

    def __init__(self, inputs, outputs):
        self.inputs = inputs
        self.outputs = outputs
        self.input_tensors = _leaves(inputs)
        self.output_tensors = _leaves(outputs)
        for t in self.input_tensors + self.output_tensors:
            if not _is_tensor(t):
                raise TypeError(f"Model inputs and outputs must be symbolic tensors (from kerasj.Input and layer "
                                f"calls); received {t!r}")
        for t in self.input_tensors:
            layer = t._keras_history[0] if t._keras_history else None
            if not isinstance(layer, InputLayer):
                raise ValueError(f"Model inputs must come from kerasj.Input(); {t!r} was produced by a layer.")
        self.nodes = self._sort_nodes()
        self.layers = self._layers_by_depth()

    def _sort_nodes(self):
        input_ids = {id(t) for t in self.input_tensors}
        order, visited, active = [], set(), set()

        def visit(tensor):
            if id(tensor) in input_ids:
                return
            history = tensor._keras_history
            if history is None:
                raise ValueError(f"Graph disconnected: {tensor!r} was not produced by a layer call.")
            layer, index, _ = history
            node = layer._inbound_nodes[index]
            if isinstance(layer, InputLayer):
                raise ValueError(f"Graph disconnected: cannot reach tensor {tensor!r} from the model's inputs "
                                 f"{[t.name for t in self.input_tensors]}. Input '{layer.name}' is used but was "
                                 "not passed to Model(inputs=...).")
            if id(node) in visited:
                return
            if id(node) in active:
                raise ValueError("The layer graph has a cycle.")
            active.add(id(node))
            for t in node.input_tensors:
                visit(t)
            active.discard(id(node))
            visited.add(id(node))
            order.append(node)

        for t in self.output_tensors:
            visit(t)
        return order

    def _layers_by_depth(self):
        """Layers in Keras's order (which fixes the order of `weights`): deepest first (inputs), and within
        one depth in the order a depth-first walk from the outputs first meets them. A node's depth is its
        longest distance to an output."""
        first_seen = {}
        for index, node in enumerate(self._pre_order()):
            first_seen.setdefault(id(node.operation), index)
        post = self._post_order()
        node_depth, layer_depth = {}, {}
        for node in reversed(post):
            depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.operation), 0))
            node_depth[id(node)] = depth
            layer_depth[id(node.operation)] = depth
            for parent in node.parent_nodes:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
        # Ops on symbolic tensors (x + y) are graph nodes but, as in Keras, not layers of the model.
        layers = {id(node.operation): node.operation for node in post if isinstance(node.operation, Layer)}
        return sorted(layers.values(), key=lambda l: (-layer_depth[id(l)], first_seen[id(l)]))

    def _walk(self):
        """Depth-first walk from the outputs: (pre-order of nodes, post-order of nodes)."""
        input_ids = {id(t) for t in self.input_tensors}
        pre, post, done = [], [], set()

        def visit(tensor):
            layer, index, _ = tensor._keras_history
            node = layer._inbound_nodes[index]
            if id(node) in done:
                return
            pre.append(node)
            if id(tensor) not in input_ids:
                for t in node.input_tensors:
                    visit(t)
            done.add(id(node))
            post.append(node)

        for t in self.output_tensors:
            visit(t)
        return pre, post

    def _pre_order(self):
        return self._walk()[0]

    def _post_order(self):
        return self._walk()[1]

    def input_names(self):
        return [t._keras_history[0].name for t in self.input_tensors]

    def flatten_inputs(self, inputs):
        """Match user inputs to the graph's Input tensors: by structure, or by Input name for dicts."""
        n = len(self.input_tensors)
        if isinstance(inputs, dict):
            names = self.input_names()
            if isinstance(self.inputs, dict):
                keys = list(self.inputs.keys())
                missing = [k for k in keys if k not in inputs]
                if missing:
                    raise ValueError(f"Missing input(s) {missing}; the model expects keys {keys}.")
                by_key = {id(t): inputs[k] for k, t in self.inputs.items()}
                return [by_key[id(t)] for t in self.input_tensors]
            missing = [k for k in names if k not in inputs]
            if missing:
                raise ValueError(f"Missing input(s) {missing} in the dict passed to the model; the model's "
                                 f"inputs are named {names}, received keys {list(inputs)}.")
            return [inputs[k] for k in names]
        if n == 1:
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and not _is_tensor(self.inputs):
                return [inputs[0]]
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and hasattr(inputs[0], "shape"):
                return [inputs[0]]
            return [inputs]
        flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != n:
            raise ValueError(f"The model expects {n} inputs {self.input_names()}, but received {len(flat)}.")
        return flat

    def adjust_rank(self, index, value):
        """Keras's leniency about a trailing axis of size 1: an input with one axis more than its Input, that
        axis of size 1, is squeezed; one with an axis less, where the Input's last axis is 1, gets it added
        (`(N, 28, 28)` data for `Input((28, 28, 1))`). Any other difference in rank is an error. The rank is
        static, so inside a compiled step this adds no program of its own."""
        shape = getattr(value, "shape", None)
        tensor = self.input_tensors[index]
        expected = tuple(tensor.shape)
        if shape is None or len(shape) == len(expected):
            return value
        is_encoded = isinstance(value, EncodedStrings)  # text on its way to a host layer
        if len(shape) == len(expected) + 1 and shape[-1] == 1:
            adjusted = value.reshape(shape[:-1]) if is_encoded else jnp.squeeze(value, axis=-1)
        elif len(shape) == len(expected) - 1 and expected[-1] == 1:
            adjusted = value.reshape(tuple(shape) + (1,)) if is_encoded else jnp.expand_dims(value, axis=-1)
        else:
            path = jax.tree_util.tree_flatten_with_path(self.inputs, is_leaf=_is_tensor)[0][index][0]
            path = ".".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path)
            raise ValueError(f"Invalid input shape for input with name '{tensor._keras_history[0].name}' and path "
                             f"'{path}'. Expected shape {expected}, but input has incompatible shape "
                             f"{tuple(shape)}")
        mask = get_mask(value)
        if mask is not None:
            set_mask(adjusted, mask)
        return adjusted

    def run(self, inputs, call_layer):
        """Execute the graph; `call_layer(operation, args, kwargs)` performs one layer (or op) call."""
        values = {}
        for index, (tensor, value) in enumerate(zip(self.input_tensors, self.flatten_inputs(inputs))):
            values[id(tensor)] = self.adjust_rank(index, value)
        for node in self.nodes:
            def lookup(x):
                return values[id(x)] if _is_tensor(x) else x
            args = jax.tree_util.tree_map(lookup, node.call_args, is_leaf=_is_tensor)
            kwargs = jax.tree_util.tree_map(lookup, node.call_kwargs, is_leaf=_is_tensor)
            result = call_layer(node.operation, args, kwargs)
            produced = jax.tree_util.tree_leaves(result, is_leaf=lambda v: isinstance(v, EncodedStrings))
            if len(produced) != len(node.output_tensors):
                raise ValueError(f"Layer '{node.operation.name}' returned {len(produced)} outputs when called on "
                                 f"real data but {len(node.output_tensors)} symbolically.")
            for tensor, value in zip(node.output_tensors, produced):
                values[id(tensor)] = value
        return jax.tree_util.tree_map(lambda t: values[id(t)], self.outputs, is_leaf=_is_tensor)


def _default_call_layer(layer, args, kwargs):
    return layer(*args, **kwargs)


class Functional(Model):
    """A Model defined by `Model(inputs, outputs)`: lists and dicts of inputs and outputs, shared layers,
    and models used as layers all work. `Model(inputs, outputs)` returns an instance of this class."""


def init_graph(model, inputs, outputs):
    """Give `model` (a Model) the graph between inputs and outputs, and mark it built."""
    graph = FunctionalGraph(inputs, outputs)
    model._graph = graph
    model._functional_layers = graph.layers
    model.built = True
    model._build_shapes = jax.tree_util.tree_map(lambda t: t.shape, inputs, is_leaf=_is_tensor)


def run_graph(model, inputs, training=None, mask=None):
    return model._graph.run(inputs, _default_call_layer)


# Errors that say a layer needs concrete values (it converts to numpy, branches on a value...): such a model
# runs `model(x)` eagerly instead, as before.
_NEEDS_CONCRETE = (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError,
                   jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError,
                   jax.errors.UnexpectedTracerError)


def _is_plain_array(x):
    if isinstance(x, jax.core.Tracer):
        return False
    if isinstance(x, jax.Array):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind in "biufc"


def _compilable_layer(layer):
    # kerasj's own layers are pure functions of their inputs and state when traced. A user's subclass may
    # print, count calls or keep Python state per call, which only eager calls repeat: it keeps them eager.
    return layer.supports_jit and type(layer).__module__.startswith("kerasj.")


class CompiledInference:
    """`model(x)` outside training as one compiled program per input signature, for graph models.

    Eager calls on small inputs pay Python per layer and op (about a millisecond for a three-layer MLP); one
    jitted forward pays it once per signature. The program takes the model's variables as arguments (never
    as constants), so `set_weights`, an optimizer step or any `assign` between calls is seen by the next call
    without recompiling. Input masks, output masks, `add_loss` values and any variables a layer assigns in
    inference (a stateful RNN's states) travel in and out of the program, so the call leaves the model as the
    eager call would.

    A call runs eagerly, exactly as before, when it is not a plain inference call on concrete arrays: with
    `training` truthy, another keyword argument (`mask=`), `run_eagerly=True`, inside another trace (a
    StateScope: `kerasj.function`, `value_and_grad`, `stateless_call`, a compiled step; or tracer inputs),
    inside another layer's call, under a distribution or an autocast scope, on symbolic inputs, when a layer
    is a host layer (`supports_jit=False`) or a user-defined class, and when tracing needs concrete values or
    reads a Variable the model does not track.

        >>> model = kerasj.Sequential([kerasj.Input((3,)), kerasj.layers.Dense(2)])
        >>> y = model(np.ones((4, 3)))   # compiled once for (4, 3) float64, then reused
    """

    EAGER = object()  # what a call answers when it must run eagerly

    def __init__(self, model):
        self.model = model
        self.trace_count = 0  # compilations, for tests
        self._versions = None
        self._variables = ()
        self._entries = {}

    def __getstate__(self):
        # The programs close over this object: a copied or pickled model starts without them.
        return {"model": self.model}

    def __setstate__(self, state):
        self.__init__(state["model"])

    def _refresh(self):
        structure, forward = structure_version(), forward_version()
        if (structure, forward) == self._versions:
            return
        model = self.model
        self._all_layers = model._flatten_layers()
        self._allowed = model.supports_jit and all(_compilable_layer(layer) for layer in self._all_layers[1:])
        variables = tuple(model.variables)
        # Layers and Variables made elsewhere bump the structure version too: keep the programs unless this
        # model's own variables changed.
        if self._versions is None or forward != self._versions[1] or len(variables) != len(self._variables) \
                or any(a is not b for a, b in zip(variables, self._variables)):
            self._entries = {}
        self._variables = variables
        self._versions = (structure, forward)

    def __call__(self, args, kwargs):
        model = self.model
        if len(args) != 1 or (kwargs and (len(kwargs) > 1 or "training" not in kwargs)):
            return self.EAGER
        training = kwargs.get("training")
        if training or model._run_eagerly or current_scope() is not None or in_call_context() \
                or autocast_state()[0]:
            return self.EAGER
        hook = variables_module._layout_hook
        if hook is not None and hook.active():
            return self.EAGER
        leaves, treedef = jax.tree_util.tree_flatten(args[0])
        if not leaves or not all(_is_plain_array(x) for x in leaves):
            return self.EAGER
        self._refresh()
        if not self._allowed:
            return self.EAGER
        masks = [get_mask(x) for x in leaves]
        key = (treedef, training if training is None else False,
               tuple((x.shape, x.dtype, m is None) for x, m in zip(leaves, masks)))
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(self, treedef, training)
        if entry.eager:
            return self.EAGER
        state = [v._value for v in self._variables]
        try:
            new_values, outputs, out_masks, losses = entry.fn(state, leaves, masks)
        except _NEEDS_CONCRETE:
            entry.eager = True
            model._clear_losses()
            return self.EAGER
        if entry.eager:  # the trace read or wrote a Variable the model does not track
            return self.EAGER
        variables = self._variables
        for i, value in zip(entry.changed, new_values):
            variables[i]._set_value_unchecked(value)
        for layer in self._all_layers:
            if layer._losses:
                layer._losses = []
        for layer, value in zip(entry.loss_layers, losses):
            layer._losses.append(value)
        for out, mask in zip(jax.tree_util.tree_leaves(outputs), out_masks):
            if mask is not None:
                set_mask(out, mask)
        return outputs


class _Entry:
    """The compiled forward of one input signature, and what its trace found out."""

    def __init__(self, owner, treedef, training):
        self.eager = False
        self.traced = False
        self.changed, self.loss_layers = (), ()

        def forward(state, leaves, masks):
            owner.trace_count += 1
            model, variables = owner.model, owner._variables
            for x, mask in zip(leaves, masks):
                if mask is not None:
                    set_mask(x, mask)
            inputs = jax.tree_util.tree_unflatten(treedef, leaves)
            with StateScope(zip(variables, state), record=True) as scope:
                try:
                    outputs = Layer.__call__(model, inputs, training=training)
                    new_state = scope.values(variables)
                finally:
                    model._clear_losses()  # drop the tracers add_loss left on the layers
            held = {id(v) for v in variables}
            if scope.missed or any(key not in held for key in scope.assigned):
                self.eager = True
            self.changed = tuple(i for i, (old, new) in enumerate(zip(state, new_state)) if new is not old)
            self.loss_layers = tuple(layer for layer, _ in scope.added_losses)
            self.traced = True
            out_masks = [get_mask(out) for out in jax.tree_util.tree_leaves(outputs)]
            return ([new_state[i] for i in self.changed], outputs, out_masks,
                    [value for _, value in scope.added_losses])

        self.fn = jax.jit(forward)
