"""Where each object's variables live in a Keras 3 weights file.

Keras 3 does not key a `.weights.h5` file by layer names: it walks the model's attributes and names the h5
groups after the attribute path that reaches each layer. kerasj follows the same walk, so files are
interchangeable with Keras for models built from the same layers:

- The model's own variables go in `vars`; each object reached from it gets a group whose `vars` subgroup
  holds its own variables as datasets "0", "1", ... and an attribute `name` (the layer's name).
- An object's attributes are visited in sorted name order (`sorted(dir(obj))`), public names before
  `_private` ones, skipping the bookkeeping every base Layer / Model has, but not a model's `layers` and
  `optimizer`. A Sequential or functional model visits `layers` first. So a Sequential's layers live under
  `layers/...`, the optimizer under `optimizer`, and a subclassed model's sub-layer `self.encoder` under
  `encoder` (or under `layers/...` if an attribute sorted before it already reached it); a layer reachable
  both as `self._dense` and through a public property `dense` is saved as `dense`.
- An attribute holding a Layer or Optimizer: group `<attribute>`. An attribute holding a list, tuple or
  dict: group `<attribute>`, in which layers are named by snake-cased class name made unique within that
  container ("dense", "dense_1", ...) and nested containers "container", "container_1", ...; dict keys are
  ignored, values are taken in order.
- An object is written once, where the walk first meets it (a shared layer appears once). Inside a
  container an already-written object still takes its name, so the names of the others do not shift.

    >>> [path for path, obj in saveable_entries(model)]
    ['', 'layers/dense', 'layers/dense_1', 'optimizer']
"""
import functools

from kerasj.layers.layer import Layer
from kerasj.models.model import Model
from kerasj.models.sequential import Sequential
from kerasj.optimizers.optimizer import Optimizer
from kerasj.utils.naming import to_snake_case


def join_path(path, name):
    """`path/name`, or `name` at the root (path "")."""
    return f"{path}/{name}" if path else name


def is_saveable(value):
    """Whether `value` has its own group in a weights file (a Layer, a Model or an Optimizer).

    Graph ops (operators such as `x @ w` on symbolic tensors) are not layers, so they have no group, as in
    Keras's files."""
    return isinstance(value, (Layer, Optimizer))


def is_optimizer(obj):
    """Whether a saveable object is an optimizer (rather than a layer or model)."""
    return isinstance(obj, Optimizer)


def own_variables(obj):
    """The variables `obj` itself holds, in the order Keras writes them.

    A layer lists the variables it created trainable first, then the others, whatever `trainable` says now
    (freezing a layer does not reorder its file entries). An optimizer lists `optimizer.variables`.
    """
    if not isinstance(obj, Layer):
        return list(obj.variables)
    own = obj._own_variables
    created_trainable = [getattr(v, "_created_trainable", v.trainable) for v in own]
    return ([v for v, t in zip(own, created_trainable) if t] +
            [v for v, t in zip(own, created_trainable) if not t])


@functools.cache
def _base_attribute_names(kind):
    """Attribute names every plain instance of the base class has: its bookkeeping, never walked."""
    reference = {"layer": Layer, "model": Model, "sequential": Sequential}[kind](name="saving_reference")
    names = set(dir(reference)) | set(Layer._UNTRACKED)
    if kind != "layer":
        names -= {"layers", "optimizer"}
    return frozenset(names)


def _walk_key(name):
    # Keras visits `_private` attributes after all public ones (a property exposing a private sub-layer wins).
    return "~" + name if name.startswith("_") else name


def _kind(layer):
    if isinstance(layer, Sequential):
        return "sequential"
    return "model" if isinstance(layer, Model) else "layer"


def saveable_entries(model):
    """`(group_path, object)` for the model and every layer and optimizer reachable from it, in walk
    order; `group_path` is "" for the model itself. Each object's variables go in `<group_path>/vars`."""
    entries, visited, open_containers = [], set(), set()

    def visit(obj, path):
        visited.add(id(obj))
        entries.append((path, obj))
        if not isinstance(obj, Layer):
            return  # an optimizer's state is just its variables
        skip = _base_attribute_names(_kind(obj))
        names = sorted(dir(obj), key=_walk_key)
        if getattr(obj, "_graph", None) is not None:  # Sequential / functional: their layers come first
            names = ["layers"] + [n for n in names if n != "layers"]
        for name in names:
            if name.startswith("__") or name in skip:
                continue
            try:
                value = getattr(obj, name)
            except Exception:  # a user property that cannot be evaluated now holds nothing to save
                continue
            visit_value(value, join_path(path, name))

    def visit_value(value, path):
        if is_saveable(value):
            if id(value) not in visited:
                visit(value, path)
        elif isinstance(value, (list, tuple, dict)) and id(value) not in open_containers:
            open_containers.add(id(value))  # a container holding itself must not recurse forever
            visit_container(value, path)
            open_containers.discard(id(value))

    def visit_container(container, path):
        counts = {}
        for value in (container.values() if isinstance(container, dict) else container):
            if is_saveable(value):
                base = to_snake_case(type(value).__name__)
            elif isinstance(value, (list, tuple, dict)):
                base = "container"
            else:
                continue
            count = counts.get(base, 0)
            counts[base] = count + 1
            visit_value(value, join_path(path, base if count == 0 else f"{base}_{count}"))

    visit(model, "")
    return entries
