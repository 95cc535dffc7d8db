"""`keras.utils.plot_model` and `model_to_dot`: a model's layer graph drawn with Graphviz, through pydot.

    >>> keras.utils.plot_model(model, to_file="model.png", show_shapes=True)
    >>> dot = keras.utils.model_to_dot(model, expand_nested=True)  # a pydot.Dot to edit or write yourself

Each layer is a box (its name and class, and on request its shapes, dtype, activation and whether it trains);
each arrow is a tensor passed from one layer call to the next. A functional model is drawn from its recorded
graph (shared layers are one box with several arrows in and out), a Sequential as the chain of its layers,
and a subclassed model as a single box, since its `call` is Python code and not a recorded graph.

pydot (and the Graphviz `dot` program, for images) are needed only when these functions are called. This module
sits below kerasj.models, so it recognises models by what they carry rather than by their classes: a
functional or Sequential model has the graph `_graph` (kerasj/models/functional.py), a Sequential also its
layer stack `_stack` (kerasj/models/sequential.py).
"""
import html
import importlib
import numbers
import os
import sys

from kerasj.utils import io_utils
from kerasj.utils.file_io import atomic_write

_RANKDIRS = ("TB", "LR", "BT", "RL")
_NOT_BUILT = ("This model has not yet been built. Build the model first by calling `build()` or by calling the "
              "model on a batch of data.")
# Keras prints, rather than raises, a missing-dependency message inside IPython, so a notebook still runs.
_IPYTHON_MARKER = "IPython.core.magics.namespace"


def _import_pydot():
    """pydot, or one of the older forks Keras also accepts; None when none is installed."""
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _has_graphviz(pydot):
    """Whether Graphviz's `dot` program runs: render an empty graph and see."""
    failures = (OSError, getattr(pydot, "PydotException", OSError))
    try:
        pydot.Dot.create(pydot.Dot())
    except failures:
        return False
    return True


def _check_model(model, fn):
    if not (hasattr(model, "built") and hasattr(model, "name")):
        raise TypeError(f"{fn}: `model` must be a Keras model (or layer); received {type(model).__name__}.")
    if not model.built:
        raise ValueError(_NOT_BUILT)


def _check_options(kwargs, rankdir, dpi, fn):
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"{fn}: `rankdir` must be one of {list(_RANKDIRS)}; received rankdir={rankdir!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or dpi <= 0:
        raise ValueError(f"{fn}: `dpi` must be a positive number; received dpi={dpi!r}")


# -- what kind of model ----------------------------------------------------------------------------------------
def _graph(model):
    """The recorded layer graph of a functional or built Sequential model; None for any other layer."""
    return getattr(model, "_graph", None)


def _is_sequential(model):
    return hasattr(model, "_stack") and _graph(model) is not None


def _operations(graph):
    """Every operation of a functional graph: its Input layers, its layers (in the model's `layers` order), then
    the ops applied to symbolic tensors (`x + y`), which Keras draws as boxes too."""
    found = {}
    for op in [t._keras_history[0] for t in graph.input_tensors] + list(graph.layers):
        found.setdefault(id(op), op)
    for node in graph.nodes:
        found.setdefault(id(node.operation), node.operation)
    return list(found.values())


# -- boxes -----------------------------------------------------------------------------------------------------
def _activation_name(activation):
    name = getattr(activation, "name", None) or getattr(activation, "__name__", None)
    return name if isinstance(name, str) else str(activation)


def _map(value, leaf):
    if isinstance(value, dict):
        return {k: _map(v, leaf) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_map(v, leaf) for v in value]
    return leaf(value)


def _first_call(op, attr):
    """`op.input` / `op.output`: the tensors of its first call. Ops applied to symbolic tensors (`x + y`) have
    no such property, only their recorded calls."""
    try:
        return getattr(op, attr)
    except AttributeError:
        calls = getattr(op, "_inbound_nodes", None)
        if not calls:
            raise
        tensors = calls[0].input_tensors if attr == "input" else calls[0].output_tensors
        return tensors[0] if len(tensors) == 1 else tensors


def _describe(layer, attr, field):
    """`field` ("shape" or "dtype") of the layer's first-call `attr` ("input" or "output") tensors, as text; "?"
    when the layer was never called on symbolic tensors (a subclassed model, an unused layer)."""
    try:
        value = _map(_first_call(layer, attr), lambda t: getattr(t, field))
    except (AttributeError, ValueError):
        return "?"
    if value is None or value == []:
        return "?"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()).replace("{", "").replace("}", "")
    return str(value)


def _cell(text, bgcolor="white", size=14, color=None, colspan=1):
    font = f' color="{color}"' if color else ""
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    return f'<td bgcolor="{bgcolor}"{span}><font point-size="{size}"{font}>{text}</font></td>'


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable):
    """The HTML-like Graphviz label of one layer's box: a title row, an activation row, a row of facts."""
    class_name = type(layer).__name__
    title = (f"<b>{html.escape(layer.name)}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>")
    facts = []
    if show_shapes:
        if class_name != "InputLayer":  # an Input has no input of its own
            facts.append(_cell(f"Input shape: <b>{html.escape(_describe(layer, 'input', 'shape'))}</b>"))
        facts.append(_cell(f"Output shape: <b>{html.escape(_describe(layer, 'output', 'shape'))}</b>"))
    if show_dtype:
        facts.append(_cell(f"Output dtype: <b>{html.escape(_describe(layer, 'output', 'dtype'))}</b>"))
    if show_trainable and getattr(layer, "weights", None):  # a layer without weights has nothing to train
        facts.append(_cell("<b>Trainable</b>", "forestgreen", color="white") if layer.trainable
                     else _cell("<b>Non-trainable</b>", "firebrick", color="white"))
    width = max(1, len(facts))
    rows = [_cell(title, "black", 16, "white", width)]
    activation = getattr(layer, "activation", None) if show_layer_activations else None
    if activation is not None:
        rows.append(_cell(f"Activation: <b>{html.escape(_activation_name(activation))}</b>", colspan=width))
    if facts:
        rows.append("".join(facts))
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return f'<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">{body}</table>>'


def _add_box(pydot, dot, layer, options):
    node = pydot.Node(str(id(layer)), label=_label(layer, **options))
    for key, value in (("fontname", "Helvetica"), ("border", "0"), ("margin", "0")):
        node.set(key, value)
    dot.add_node(node)


def _add_arrow(pydot, dot, source, destination):
    src, dst = str(id(source)), str(id(destination))
    if not dot.get_edge(src, dst):  # several tensors between the same two layers draw one arrow
        dot.add_edge(pydot.Edge(src, dst, penwidth="2"))


# -- graphs ----------------------------------------------------------------------------------------------------
def _new_dot(pydot, model, subgraph, rankdir, dpi, splines):
    if subgraph:
        dot = pydot.Cluster(graph_name=model.name, style="dashed")
        dot.set("label", model.name)
        dot.set("labeljust", "l")
        return dot
    dot = pydot.Dot()
    for key, value in (("rankdir", rankdir), ("concentrate", True), ("dpi", dpi), ("splines", splines)):
        dot.set(key, value)
    dot.set_node_defaults(shape="record")
    return dot


def _producer(op, output_index):
    """The innermost layer producing output `output_index` of `op`, looking inside nested models (which have no
    box of their own when expanded)."""
    while _graph(op) is not None:
        op, _, output_index = op.outputs[output_index]._keras_history
    return op


def _consumer(op, input_index):
    """The innermost layer receiving input `input_index` of `op`: a nested functional model's Input layer, or a
    nested Sequential's first layer (a Sequential draws no Input box)."""
    while _graph(op) is not None:
        op = op.layers[0] if _is_sequential(op) else op.inputs[input_index]._keras_history[0]
    return op


def _draw(pydot, dot, model, options, expand_nested, rankdir):
    graph = _graph(model)
    if graph is None:
        _add_box(pydot, dot, model, options)
        return
    sequential = _is_sequential(model)
    ops = list(model.layers) if sequential else _operations(graph)
    for op in ops:
        if expand_nested and _graph(op) is not None:
            cluster = _new_dot(pydot, op, True, rankdir, None, None)
            _draw(pydot, cluster, op, options, expand_nested, rankdir)
            dot.add_subgraph(cluster)
        else:
            _add_box(pydot, dot, op, options)
    if sequential and not expand_nested:
        for a, b in zip(ops, ops[1:]):
            _add_arrow(pydot, dot, a, b)
        return
    # A shared layer also has calls recorded by other models: only this model's calls become arrows. A
    # Sequential's first layer is fed by its Input, which has no box.
    own_calls = {id(node) for node in graph.nodes}
    for op in ops[1:] if sequential else ops:
        for call in op._inbound_nodes:
            if id(call) not in own_calls:
                continue
            for input_index, tensor in enumerate(call.input_tensors):
                if tensor._keras_history is None:
                    continue
                source, _, output_index = tensor._keras_history
                if expand_nested:
                    source, destination = _producer(source, output_index), _consumer(op, input_index)
                else:
                    destination = op
                _add_arrow(pydot, dot, source, destination)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False,
                 splines="ortho", **kwargs):
    """The layer graph of a built `model` as a `pydot.Dot` (or, with `subgraph=True`, a dashed `pydot.Cluster`
    named after the model).

        >>> dot = keras.utils.model_to_dot(model, show_shapes=True, rankdir="LR")
        >>> dot.write("model.svg", format="svg")

    Args:
        model: a built Keras model (functional, Sequential or subclassed; a subclassed one is a single box).
        show_shapes: add each layer's input and output shapes.
        show_dtype: add each layer's output dtype.
        show_layer_names: title each box with the layer name as well as its class.
        rankdir: Graphviz's layout direction, "TB" (top to bottom), "LR", "BT" or "RL".
        expand_nested: draw nested functional and Sequential models as clusters of their layers.
        dpi: image resolution in dots per inch.
        subgraph: return a `pydot.Cluster` (to nest in another graph) instead of a `pydot.Dot`.
        show_layer_activations: add the activation of layers that have an `activation`.
        show_trainable: mark each layer with weights as trainable or not.
        splines: how Graphviz draws arrows: "ortho" (right angles), "curved", "polyline", "spline", "line".
    """
    _check_model(model, "model_to_dot")
    pydot = _import_pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to work.")
    _check_options(kwargs, rankdir, dpi, "model_to_dot")
    options = {"show_shapes": show_shapes, "show_dtype": show_dtype, "show_layer_names": show_layer_names,
               "show_layer_activations": show_layer_activations, "show_trainable": show_trainable}
    dot = _new_dot(pydot, model, subgraph, rankdir, dpi, splines)
    _draw(pydot, dot, model, options, expand_nested, rankdir)
    return dot


_SHOWN_AS_IMAGE = ("png", "jpg", "jpeg", "gif", "webp")  # the formats IPython.display.Image takes


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False,
               splines="ortho", **kwargs):
    """Draw a built `model`'s layer graph into `to_file`; its extension picks the format ("png" when it has
    none; "svg", "pdf", "dot", "jpg", ... as Graphviz names them). The other arguments are `model_to_dot`'s.

        >>> keras.utils.plot_model(model, "model.png", show_shapes=True, show_layer_names=True)

    Returns an `IPython.display.Image` of the file when IPython is installed (so a notebook shows the plot) and
    the file is not a PDF, else None. Needs pydot and Graphviz (inside IPython their absence prints a message
    and returns None instead of raising ImportError).
    """
    _check_model(model, "plot_model")
    pydot = _import_pydot()
    missing = None
    if pydot is None:
        missing = "You must install pydot (`pip install pydot`) for `plot_model` to work."
    elif not _has_graphviz(pydot):
        missing = ("You must install graphviz (see instructions at https://graphviz.gitlab.io/download/) for "
                   "`plot_model` to work.")
    if missing is not None:
        if _IPYTHON_MARKER in sys.modules:
            io_utils.print_msg(missing)
            return None
        raise ImportError(missing)
    _check_options(kwargs, rankdir, dpi, "plot_model")
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable,
                       splines=splines)
    to_file = str(os.fspath(to_file))
    extension = os.path.splitext(to_file)[1][1:] or "png"
    with atomic_write(to_file) as tmp:
        dot.write(tmp, format=extension)
    if extension not in _SHOWN_AS_IMAGE and extension != "svg":
        return None  # pdf, dot, ...: nothing a notebook can show inline
    try:
        from IPython import display
    except ImportError:
        return None
    # Keras hands every format but pdf to IPython's Image, which refuses svg (and dot); kerasj shows svg as SVG.
    if extension == "svg":
        return display.SVG(filename=to_file)
    # The format is given: a file named without an extension is a png, which IPython cannot guess.
    return display.Image(filename=to_file, format="jpeg" if extension == "jpg" else extension)
