"""Rematerialization (gradient checkpointing): recompute intermediates on the backward pass instead of keeping
them, on `jax.checkpoint`. `remat(f)` does it for one function; `RematScope` makes the layers created inside it
do it for their own calls, as Keras does.

A rematerialized function may be ordinary stateful Keras code: it can read and assign Variables (BatchNorm's
moving statistics, a seed generator's state), add losses, and take and return masked arrays. Those effects are
carried across the `jax.checkpoint` boundary as explicit inputs and outputs, so no tracer leaks out of it.

    >>> with kerasj.RematScope(mode="full"):
    ...     model = kerasj.Sequential([kerasj.layers.Dense(256, activation="relu"), kerasj.layers.Dense(10)])
    >>> model.fit(x, y)   # each layer's activations are recomputed on the backward pass
"""
import collections
import functools
import math
import threading

import jax
import numpy as np

from kerasj.masks import get_mask, set_mask
from kerasj.variables import StateScope, Variable, abstract_eval, current_scope, fill_leaves, split_leaves

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_local = threading.local()
RematMode = collections.namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])


def _is_array(x):
    return isinstance(x, (jax.Array, np.ndarray))  # jax.Array covers tracers too


def _is_variable(x):
    return isinstance(x, Variable)


def remat(f):
    """`f` recomputed on the backward pass (`jax.checkpoint`): the same values and gradients, less memory kept
    for the backward pass. Array arguments are traced; other arguments (flags such as `training`, Python
    numbers) stay as they are. `f` may call layers and read or assign Variables.

        >>> g = jax.grad(lambda x: kerasj.remat(jnp.sin)(x) ** 2)
        >>> float(g(1.0))   # 2 sin(1) cos(1)
        0.9092974...
    """
    def run(*args, **kwargs):
        treedef, leaves, dynamic = split_leaves((args, kwargs), _is_array, is_leaf=_is_variable)
        values = [leaves[i] for i in dynamic]
        found = {}  # filled while `inner` is traced: which Variables it assigned and which layers added losses

        def inner(values, masks):
            for value, mask in zip(values, masks):
                if mask is not None:
                    set_mask(value, mask)  # the traced stand-in carries the mask its array had
            a, k = fill_leaves(treedef, leaves, dynamic, values)
            with StateScope(record=True) as scope:
                out = f(*a, **k)
            found["assigned"] = list(scope.assigned.values())
            found["losses"] = list(scope.added_losses)
            out_masks = [get_mask(x) for x in jax.tree_util.tree_leaves(out)]
            return out, scope.values(found["assigned"]), [value for _, value in scope.added_losses], out_masks

        out, new_values, loss_values, out_masks = jax.checkpoint(inner)(values, [get_mask(v) for v in values])
        for variable, value in zip(found["assigned"], new_values):
            variable.assign(value)
        outer = current_scope()
        for (layer, traced), value in zip(found["losses"], loss_values):
            # The layer holds the value traced inside the checkpoint; give it the one computed outside.
            layer._losses = [value if loss is traced else loss for loss in layer._losses]
            if outer is not None:
                outer.note_loss(layer, value)
        for x, mask in zip(jax.tree_util.tree_leaves(out), out_masks):
            if mask is not None:
                set_mask(x, mask)
        return out

    return functools.update_wrapper(run, f, updated=())


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class RematScope:
    """Keras's rematerialization context: layers created inside it recompute (part of) their call on the
    backward pass, whenever and wherever they are later called (also in `fit`). The mode is fixed when a layer
    is created; the innermost scope wins.

    Args:
        mode: which layers rematerialize:
            - "full": every layer (a model created inside also rematerializes its whole call);
            - "activations": only the activation function of layers that have one (`Dense(...,
              activation="relu")`; a Dense without activation rematerializes its linear activation);
            - "larger_than": layers whose outputs have more than `output_size_threshold` elements in all;
            - "list_of_layers": the layers named in `layer_names`;
            - None: none (inside a scope of another mode, turns it off for the layers created here).
        output_size_threshold: the size for "larger_than" (default 1024).
        layer_names: the layer names for "list_of_layers".

    Ops applied to symbolic tensors in a functional model (`x + y`) are not rematerialized by a scope; wrap
    such computations with `kerasj.remat` instead.

        >>> with kerasj.RematScope(mode="list_of_layers", layer_names=["big"]):
        ...     big = kerasj.layers.Dense(4096, name="big")
        ...     small = kerasj.layers.Dense(10, name="small")   # not rematerialized
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(f"RematScope: invalid mode {mode!r}; expected one of 'full', 'activations', "
                             "'larger_than', 'list_of_layers' or None.")
        if mode == "larger_than" and (isinstance(output_size_threshold, bool)
                                      or not isinstance(output_size_threshold, (int, float))):
            raise ValueError(f"RematScope: `output_size_threshold` must be a number; received "
                             f"{output_size_threshold!r}.")
        if isinstance(layer_names, str):
            raise ValueError(f"RematScope: `layer_names` must be a list of layer names; received the string "
                             f"{layer_names!r}.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().remove(self)
        return False


def get_current_remat_mode():
    """The innermost RematScope's settings as a `RematMode`, or None outside any scope."""
    stack = _stack()
    if not stack:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def _output_size(layer, call, args, kwargs):
    """How many elements `call(*args, **kwargs)` returns, found by abstract evaluation (which changes no
    Variable; losses it adds are dropped)."""
    treedef, leaves, dynamic = split_leaves((args, kwargs), _is_array, is_leaf=_is_variable)
    layers = layer._flatten_layers() if hasattr(layer, "_flatten_layers") else [layer]
    kept = [(l, list(getattr(l, "_losses", []))) for l in layers]
    def shaped(*values):
        a, k = fill_leaves(treedef, leaves, dynamic, values)
        return call(*a, **k)

    try:
        out = abstract_eval(shaped, *[leaves[i] for i in dynamic])
    finally:
        for l, losses in kept:
            l._losses = losses
    return sum(math.prod(x.shape) for x in jax.tree_util.tree_leaves(out) if hasattr(x, "shape"))


def rematerialized_call(layer, call, args, kwargs):
    """What `layer` runs instead of `call(*args, **kwargs)` under the RematScope it was created in (its
    `_remat_mode`): `call` itself, `call` rematerialized, or `call` with its activation rematerialized."""
    mode = getattr(layer, "_remat_mode", None)
    mode = None if mode is None else mode.mode
    if mode is None:
        return call
    settings = layer._remat_mode
    if mode == "full" or (mode == "list_of_layers" and layer.name in settings.layer_names):
        return remat(call)
    if mode == "larger_than":
        return remat(call) if _output_size(layer, call, args, kwargs) > settings.output_size_threshold else call
    if mode == "activations" and getattr(layer, "activation", None) is not None:
        @functools.wraps(call)
        def with_remat_activation(*a, **k):
            original = layer.activation
            layer.activation = remat(original)
            try:
                return call(*a, **k)
            finally:
                layer.activation = original
        return with_remat_activation
    return call
