"""`model.summary()`: the familiar Keras table of layers, output shapes and parameter counts."""
import re

import numpy as np


def readable_size(num_bytes):
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1024 or unit == "GB":
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024


def _count(variables):
    return sum(int(np.prod(v.shape)) for v in variables)


def _bytes(variables):
    return sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables)


def _output_shape(layer):
    for node in layer._inbound_nodes:
        shapes = [t.shape for t in node.output_tensors]
        if shapes:
            return str(shapes[0]) if len(shapes) == 1 else str(shapes)
    return "?"


def _row(cells, widths, left, mid, right, aligns):
    parts = []
    for text, width, align in zip(cells, widths, aligns):
        text = text if len(text) <= width - 2 else text[: width - 3] + "…"
        parts.append(" " + (text.rjust(width - 2) if align == "r" else text.ljust(width - 2)) + " ")
    return left + mid.join(parts) + right


def _rule(widths, left, mid, right, fill):
    return left + mid.join(fill * w for w in widths) + right


def _layers_in_range(layers, layer_range):
    """The layers from the first whose name matches `layer_range[0]` to the last matching `layer_range[1]`
    (regular expressions, matched at the start of the name, as in Keras), both included."""
    if layer_range is None:
        return list(layers)
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2 or not all(
            isinstance(p, str) for p in layer_range):
        raise ValueError(f"summary: layer_range must be a list or tuple of 2 strings (the first and last layer "
                         f"names or patterns); received {layer_range!r}")
    names = [layer.name for layer in layers]
    starts = [i for i, n in enumerate(names) if re.match(layer_range[0], n)]
    ends = [i for i, n in enumerate(names) if re.match(layer_range[1], n)]
    for pattern, found in ((layer_range[0], starts), (layer_range[1], ends)):
        if not found:
            raise ValueError(f"summary: layer_range entry {pattern!r} matches no layer name; the layers are "
                             f"{names}")
    if starts[0] > ends[-1]:
        raise ValueError(f"summary: layer_range {list(layer_range)} selects no layers (the first match comes "
                         "after the last).")
    return list(layers)[starts[0]:ends[-1] + 1]


def _widths(positions, line_length, columns):
    """Column widths from Keras's `positions`: the right edge of each column, as fractions of `line_length`
    (all <= 1) or as character positions."""
    if positions is None:
        widths = [33, 24, 15] + ([11] if columns == 4 else [])
        if line_length:
            widths[0] = max(20, line_length - sum(widths[1:]) - len(widths) - 1)
        return widths
    if len(positions) != columns or any(not isinstance(p, (int, float)) or p <= 0 for p in positions) or any(
            b <= a for a, b in zip(positions, positions[1:])):
        raise ValueError(f"summary: positions must be {columns} increasing positive numbers (the right edge of "
                         f"each column); received {positions!r}")
    if all(p <= 1 for p in positions):
        positions = [int((line_length or 98) * p) for p in positions]
    edges = [0] + [int(p) for p in positions]
    return [max(4, b - a - 1) for a, b in zip(edges, edges[1:])]


def _rows(layers, depth, expand_nested, show_trainable):
    """`(cells, depth)` per layer, with the layers of nested models after their model when `expand_nested`."""
    for layer in layers:
        params = str(layer.count_params()) if layer.built else "0 (unbuilt)"
        cells = [("  " * depth) + f"{layer.name} ({type(layer).__name__})", _output_shape(layer), params]
        if show_trainable:
            cells.append("Y" if layer.trainable else "N")
        yield cells
        inner = getattr(layer, "layers", None)
        if expand_nested and inner:
            yield from _rows(inner, depth + 1, expand_nested, show_trainable)


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print (or pass line by line to `print_fn`) a summary table of `model`.

    Args follow `keras.Model.summary`: `line_length` (total width), `positions` (right edge of each column, as
    fractions of the line or character positions), `expand_nested` (also list the layers of nested models,
    indented), `show_trainable` (a "Trainable" column), `layer_range` (two layer names or patterns: list only
    the layers from the first match to the last, inclusive).
    """
    emit = print_fn or print
    layers = _layers_in_range(model.layers, layer_range)
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Trainable"] if show_trainable else [])
    widths = _widths(positions, line_length, len(header))
    aligns = ["l", "l", "r", "l"][:len(header)]
    lines = [f'Model: "{model.name}"', _rule(widths, "┏", "┳", "┓", "━"),
             _row(header, widths, "┃", "┃", "┃", aligns), _rule(widths, "┡", "╇", "┩", "━")]
    rows = [_row(cells, widths, "│", "│", "│", aligns) for cells in _rows(layers, 0, expand_nested, show_trainable)]
    lines.append(("\n" + _rule(widths, "├", "┼", "┤", "─") + "\n").join(rows) if rows else "")
    lines.append(_rule(widths, "└", "┴", "┘", "─"))
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer_vars = list(model.optimizer.variables) if getattr(model, "optimizer", None) is not None else []
    total = trainable + non_trainable + optimizer_vars
    lines.append(f" Total params: {_count(total):,} ({readable_size(_bytes(total))})")
    lines.append(f" Trainable params: {_count(trainable):,} ({readable_size(_bytes(trainable))})")
    lines.append(f" Non-trainable params: {_count(non_trainable):,} ({readable_size(_bytes(non_trainable))})")
    if optimizer_vars:
        lines.append(f" Optimizer params: {_count(optimizer_vars):,} ({readable_size(_bytes(optimizer_vars))})")
    for line in "\n".join(l for l in lines if l != "").split("\n"):
        emit(line)
