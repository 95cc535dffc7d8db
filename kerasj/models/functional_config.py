"""The config of a functional model: its layers with their inbound nodes, in Keras 3's format.

Each layer's record lists the calls made on it inside this model ("inbound_nodes"): their arguments, with every
symbolic tensor written as `{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history":
[layer_name, node_index, tensor_index]}}`. Node indices count only the calls that belong to this model, so a
layer shared with another model saves the same way. Loading replays the calls in dependency order.

    >>> config = model.get_config()
    >>> same = kerasj.Model.from_config(config)
"""
import jax

from kerasj.layers.input_layer import InputLayer
from kerasj.ops.symbolic import KerasTensor
from kerasj.saving.serialization_lib import (_depth_check, _expect_dict, _short, deserialize_keras_object,
                                             serialize_keras_object)

_is_tensor = lambda x: isinstance(x, KerasTensor)


def _graph_nodes(model):
    """Per layer (by id), the nodes of `layer` that belong to the model's graph, in call order."""
    graph = model._graph
    in_graph = {id(n) for n in graph.nodes}
    for t in graph.input_tensors:
        layer, index, _ = t._keras_history
        in_graph.add(id(layer._inbound_nodes[index]))
    per_layer, layers = {}, []
    for node in _ordered_nodes(graph):
        layer = node.operation
        if id(layer) not in per_layer:
            per_layer[id(layer)] = []
            layers.append(layer)
    for layer in layers:
        per_layer[id(layer)] = [n for n in layer._inbound_nodes if id(n) in in_graph]
    return layers, per_layer


def _ordered_nodes(graph):
    inputs = []
    for t in graph.input_tensors:
        layer, index, _ = t._keras_history
        inputs.append(layer._inbound_nodes[index])
    return inputs + list(graph.nodes)


def _history(tensor, per_layer):
    layer, index, tensor_index = tensor._keras_history
    node = layer._inbound_nodes[index]
    local = next(i for i, n in enumerate(per_layer[id(layer)]) if n is node)
    return [layer.name, local, tensor_index]


def get_functional_config(model):
    """The Keras 3 config dict of functional model `model`."""
    layers, per_layer = _graph_nodes(model)
    names = {}
    for layer in layers:
        if names.setdefault(layer.name, layer) is not layer:
            raise ValueError(f"Model '{model.name}' cannot be saved: two different layers are named "
                             f"'{layer.name}'. Give them distinct names.")

    def tensor_record(t):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": _history(t, per_layer)}}

    def args_record(value):
        if _is_tensor(value):
            return tensor_record(value)
        if isinstance(value, (list, tuple)):
            return [args_record(v) for v in value]
        if isinstance(value, dict):
            return {k: args_record(v) for k, v in value.items()}
        return serialize_keras_object(value)

    layer_records = []
    for layer in layers:
        record = serialize_keras_object(layer)
        record["name"] = layer.name
        if isinstance(layer, InputLayer):
            record["inbound_nodes"] = []
        else:
            record["inbound_nodes"] = [{"args": args_record(list(node.call_args)),
                                        "kwargs": args_record(dict(node.call_kwargs))}
                                       for node in per_layer[id(layer)]]
        layer_records.append(record)

    def endpoints(structure):
        if _is_tensor(structure):
            return _history(structure, per_layer)
        if isinstance(structure, dict):
            return {k: endpoints(v) for k, v in structure.items()}
        return [endpoints(v) for v in structure]

    return {"name": model.name, "trainable": model.trainable, "layers": layer_records,
            "input_layers": endpoints(model._graph.inputs), "output_layers": endpoints(model._graph.outputs)}


def _is_history(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:]))


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model of class `cls` from `get_functional_config` output (or Keras 3's)."""
    _expect_dict(config, "A functional model's config")
    records = config.get("layers")
    if not isinstance(records, list):
        raise ValueError(f"A functional model's config needs a list 'layers'; received {_short(records)}")
    layers, pending = {}, []
    for record in records:
        _expect_dict(record, "Each entry of 'layers'")
        name = record.get("name") or (record.get("config") or {}).get("name")
        if not isinstance(name, str):
            raise ValueError(f"A layer record in the config has no name: {_short(record)}")
        if name in layers:
            raise ValueError(f"The config defines two layers named '{name}'.")
        layer = deserialize_keras_object({k: v for k, v in record.items() if k not in ("name", "inbound_nodes")},
                                         custom_objects=custom_objects, safe_mode=None)
        if not hasattr(layer, "_inbound_nodes"):
            raise ValueError(f"Entry '{name}' of the config is a {type(layer).__name__}, not a layer.")
        layers[name] = layer
        nodes = record.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise ValueError(f"'inbound_nodes' of layer '{name}' must be a list; received {_short(nodes)}")
        pending.extend((name, node) for node in nodes)

    outputs = {}  # (layer name, local node index) -> flat list of output tensors
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            outputs[(name, 0)] = [layer._input_tensor]
    done = {name: (1 if (name, 0) in outputs else 0) for name in layers}

    def resolve(value, strict, depth=0):
        _depth_check(depth)  # a hostile config could nest arguments until recursion fails
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            history = _expect_dict(value.get("config"), "A __keras_tensor__'s config").get("keras_history")
            if not _is_history(history):
                raise ValueError(f"A __keras_tensor__ has an invalid keras_history: {_short(history)}")
            key = (history[0], history[1])
            if key not in outputs:
                if strict:
                    raise ValueError(f"A node refers to output {history[2]} of call {history[1]} of layer "
                                     f"'{history[0]}', which the config never produces.")
                raise _NotReady
            produced = outputs[key]
            if not 0 <= history[2] < len(produced):
                raise ValueError(f"keras_history {history} refers to a tensor that layer '{history[0]}' does "
                                 f"not produce (it has {len(produced)} outputs).")
            return produced[history[2]]
        if isinstance(value, (list, tuple)):  # tuples: a config passed straight from Python, not through JSON
            return [resolve(v, strict, depth + 1) for v in value]
        if isinstance(value, dict) and "class_name" not in value:
            return {k: resolve(v, strict, depth + 1) for k, v in value.items()}
        return deserialize_keras_object(value, custom_objects=custom_objects, safe_mode=None)

    while pending:
        progress, waiting = False, []
        for name, node in pending:
            if any(n == name for n, _ in waiting):
                waiting.append((name, node))  # a layer's calls replay in order
                continue
            _expect_dict(node, f"An inbound node of layer '{name}'")
            try:
                args = resolve(node.get("args", []), strict=False)
                kwargs = resolve(node.get("kwargs", {}), strict=False)
            except _NotReady:
                waiting.append((name, node))
                continue
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ValueError(f"An inbound node of layer '{name}' needs a list 'args' and a dict 'kwargs'.")
            result = layers[name](*args, **kwargs)
            outputs[(name, done[name])] = jax.tree_util.tree_leaves(result, is_leaf=_is_tensor)
            done[name] += 1
            progress = True
        if not progress:
            name, node = waiting[0]
            resolve(node.get("args", []), strict=True)  # raises, naming what is missing
            resolve(node.get("kwargs", {}), strict=True)
            raise ValueError(f"The functional config's graph cannot be rebuilt at layer '{name}'.")
        pending = waiting

    def endpoints(structure, what):
        if _is_history(structure):
            return resolve({"class_name": "__keras_tensor__", "config": {"keras_history": structure}}, strict=True)
        if isinstance(structure, list) and structure:
            return [endpoints(s, what) for s in structure]
        if isinstance(structure, dict) and structure:
            return {k: endpoints(v, what) for k, v in structure.items()}
        raise ValueError(f"The config's '{what}' must name layer outputs as [layer_name, node, tensor]; "
                         f"received {_short(structure)}")

    inputs = endpoints(config.get("input_layers"), "input_layers")
    outs = endpoints(config.get("output_layers"), "output_layers")
    name = config.get("name")
    model = cls(inputs=inputs, outputs=outs, name=name if isinstance(name, str) else None)
    if config.get("trainable") is False:
        model.trainable = False
    return model


class _NotReady(Exception):
    """A node's inputs are not produced yet."""
