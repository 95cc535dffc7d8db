"""`clone_model`: a new model with the same architecture and freshly initialized weights.

    >>> copy = kerasj.models.clone_model(model)
    >>> copy.set_weights(model.get_weights())   # to copy the weights too
"""
from kerasj.layers.input_layer import Input, InputLayer
from kerasj.layers.serialization import deserialize_layer, serialize_layer
from kerasj.models.functional import Functional
from kerasj.models.model import Model
from kerasj.models.sequential import Sequential
from kerasj.ops.symbolic import KerasTensor


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """Rebuild `model` (Sequential or functional) from its config, with new layers and new weights.

    Args:
        model: the model to clone.
        input_tensors: optional new `Input` tensors (a functional model is then rebuilt on them).
        clone_function: optional function `layer -> new layer` used for every layer instead of rebuilding it from
            its config (e.g. to share some layers, or change their arguments).
        call_function: not supported.
        recursive: also apply `clone_function` inside nested models (Keras's meaning).

    A subclassed model is cloned through get_config/from_config, as Keras does. As in Keras, the clone of a
    compiled Sequential or functional model is compiled the same way (`get_compile_config`).
    """
    if kwargs:
        raise TypeError(f"clone_model: unexpected arguments {sorted(kwargs)}")
    if call_function is not None:
        raise NotImplementedError("clone_model: call_function is not supported.")
    if not isinstance(model, Model):
        raise ValueError(f"clone_model expects a kerasj Model; received {type(model).__name__}.")

    def clone_layer(layer):
        if isinstance(layer, Model) and recursive and layer._graph is not None:
            return clone_model(layer, clone_function=clone_function, recursive=True)
        if clone_function is not None:
            return clone_function(layer)
        return deserialize_layer(serialize_layer_unbuilt(layer))

    new = _clone_structure(model, input_tensors, clone_function, clone_layer)
    if model.compiled and (isinstance(model, Sequential) or model._graph is not None):
        new.compile_from_config(model.get_compile_config())
    return new


def _clone_structure(model, input_tensors, clone_function, clone_layer):
    if isinstance(model, Sequential):
        layers = [clone_layer(layer) for layer in model.layers]
        new = Sequential(name=model.name)
        if input_tensors is not None:
            new.add(input_tensors)
        elif model._input_layer is not None:
            new.add(InputLayer(batch_shape=model._input_layer.batch_shape, dtype=model._input_layer.dtype,
                               name=model._input_layer.name))
        for layer in layers:
            new.add(layer, rebuild=False)
        new._maybe_build_graph()
        return new
    if model._graph is not None:
        return _clone_functional(model, input_tensors, clone_layer)
    if clone_function is not None or input_tensors is not None:
        raise ValueError("clone_model: clone_function and input_tensors apply to Sequential and functional "
                         f"models; '{model.name}' is a subclassed model.")
    return type(model).from_config(model.get_config())


def serialize_layer_unbuilt(layer):
    """A layer's config without its build_config, so the clone gets new weights when it is first called."""
    record = serialize_layer(layer)
    record.pop("build_config", None)
    return record


def _clone_functional(model, input_tensors, clone_layer):
    """Replay the graph's calls on cloned layers (each original layer cloned once, so sharing is kept)."""
    import jax

    is_tensor = lambda x: isinstance(x, KerasTensor)
    graph = model._graph
    values, clones = {}, {}
    new_inputs = None
    if input_tensors is not None:
        new_inputs = jax.tree_util.tree_leaves(input_tensors, is_leaf=is_tensor)
        if len(new_inputs) != len(graph.input_tensors):
            raise ValueError(f"clone_model: the model has {len(graph.input_tensors)} inputs; received "
                             f"{len(new_inputs)} input_tensors.")
    for i, t in enumerate(graph.input_tensors):
        layer = t._keras_history[0]
        values[id(t)] = new_inputs[i] if new_inputs is not None else Input(
            batch_shape=layer.batch_shape, dtype=layer.dtype, name=layer.name)
    for node in graph.nodes:
        layer = node.operation
        if id(layer) not in clones:
            clones[id(layer)] = clone_layer(layer)
        lookup = lambda x: values[id(x)] if is_tensor(x) else x
        args = jax.tree_util.tree_map(lookup, node.call_args, is_leaf=is_tensor)
        kwargs = jax.tree_util.tree_map(lookup, node.call_kwargs, is_leaf=is_tensor)
        out = clones[id(layer)](*args, **kwargs)
        for old, new in zip(node.output_tensors, jax.tree_util.tree_leaves(out, is_leaf=is_tensor)):
            values[id(old)] = new
    remap = lambda t: values[id(t)]
    inputs = jax.tree_util.tree_map(remap, graph.inputs, is_leaf=is_tensor)
    outputs = jax.tree_util.tree_map(remap, graph.outputs, is_leaf=is_tensor)
    return Functional(inputs=inputs, outputs=outputs, name=model.name)
