"""`model.summary()`: the familiar Keras table of layers, output shapes and parameter counts."""
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


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    """Print (or pass line by line to `print_fn`) a summary table of `model`."""
    emit = print_fn or print
    layers = model.layers
    widths = [33, 24, 15]
    if line_length:
        widths[0] = max(20, line_length - sum(widths[1:]) - 4)
    header = ["Layer (type)", "Output Shape", "Param #"]
    aligns = ["l", "l", "r"]
    lines = [f'Model: "{model.name}"', _rule(widths, "┏", "┳", "┓", "━"),
             _row(header, widths, "┃", "┃", "┃", aligns), _rule(widths, "┡", "╇", "┩", "━")]
    rows = []
    for layer in layers:
        params = str(layer.count_params()) if layer.built else "0 (unbuilt)"
        rows.append(_row([f"{layer.name} ({type(layer).__name__})", _output_shape(layer), params],
                         widths, "│", "│", "│", aligns))
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
