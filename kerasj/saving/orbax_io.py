"""Orbax checkpoint directories (Keras 3's layout, written by `keras.callbacks.OrbaxCheckpoint` of kerasj or
Keras): `model.load_weights(directory)` and `load_model(directory)` read the newest checkpoint (or a given step
directory), and the callback shares the state tree they read.

A checkpoint step holds a "pytree" checkpointable with the collections `trainable_variables`,
`non_trainable_variables`, `optimizer_variables` and `metrics_variables`, each nested by variable path, and
(unless only weights were saved) a "model_config" checkpointable `{"config": <the model's JSON config>}`.

    >>> model.fit(x, y, epochs=3, callbacks=[keras.callbacks.OrbaxCheckpoint("ckpt")])
    >>> model.load_weights("ckpt")                   # the newest step
    >>> same = keras.saving.load_model("ckpt")       # rebuilt from the saved config
"""
import json
import os
import warnings

import jax

from kerasj.saving.safe_mode import resolve_safe_mode, safe_mode_scope
from kerasj.saving.object_registration import CustomObjectScope
from kerasj.saving.serialization_lib import deserialize_keras_object

# The collections of a checkpoint's "pytree", named as in Keras 3's `Model.get_state_tree()`.
WEIGHT_COLLECTIONS = ("trainable_variables", "non_trainable_variables")
STATE_COLLECTIONS = WEIGHT_COLLECTIONS + ("optimizer_variables", "metrics_variables")
PROGRESS_KEY = "kerasj_fit_progress"  # kerasj's custom metadata: the saved path order and where fit resumes
_MARKERS = ("_CHECKPOINT_METADATA", "orbax.checkpoint", "pytree.orbax-checkpoint", "checkpoint_metadata")


def orbax_v1():
    """orbax-checkpoint's v1 API (the one Keras 3 uses), imported only when a checkpoint is read or written."""
    try:
        import orbax.checkpoint
    except ImportError as e:
        raise ImportError("Orbax checkpoints require the `orbax-checkpoint` package, which is not installed. "
                          "Install it with `pip install orbax-checkpoint`.") from e
    return orbax.checkpoint.v1


def state_collections(model, weights_only):
    """{collection name: [Variable, ...]} of the state a checkpoint holds."""
    collections = {"trainable_variables": list(model.trainable_variables),
                   "non_trainable_variables": list(model.non_trainable_variables)}
    if not weights_only:
        optimizer = getattr(model, "optimizer", None)
        collections["optimizer_variables"] = list(optimizer.variables) if optimizer is not None else []
        collections["metrics_variables"] = [v for metric in model.metrics for v in metric.variables]
    return collections


def nest(items, where="OrbaxCheckpoint"):
    """The nested dict of Keras's state tree from `(path, leaf)` pairs: one level per component of each path."""
    nested, seen = {}, set()
    for path, leaf in items:
        if path in seen:
            raise ValueError(f"{where}: the variable path '{path}' is found twice in the model; checkpoints "
                             "need unique paths. Give unique names to your layers (and other objects).")
        seen.add(path)
        *parents, name = path.split("/")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[name] = leaf
    return nested


def flat(nested, prefix=""):
    """{path: leaf} of a nested dict made by `nest`."""
    out = {}
    for key, value in nested.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = value
    return out


def is_orbax_checkpoint(filepath):
    """Whether `filepath` is an Orbax checkpoint directory: a root holding numbered step directories, or one
    step directory (it holds Orbax's metadata files)."""
    filepath = os.fspath(filepath)
    if not os.path.isdir(filepath):
        return False
    try:
        contents = os.listdir(filepath)
    except OSError:
        return False
    return (any(marker in contents for marker in _MARKERS)
            or any(name.isdigit() and os.path.isdir(os.path.join(filepath, name)) for name in contents))


def _root_and_step(filepath, caller):
    """(root directory, step) of the checkpoint `filepath` names: its newest step if it is a root."""
    filepath = os.path.abspath(os.fspath(filepath))
    steps = [name for name in os.listdir(filepath) if name.isdigit() and os.path.isdir(os.path.join(filepath, name))]
    if not steps:  # a step directory itself
        root, step = os.path.split(filepath)
        if not step.isdigit():
            raise ValueError(f"{caller}: {filepath} is neither an Orbax checkpoint root (numbered step "
                             "directories) nor a step directory.")
        return root, int(step)
    latest = orbax_v1().training.Checkpointer(directory=filepath).latest
    if latest is None:
        raise ValueError(f"{caller}: no complete checkpoint in {filepath}.")
    return filepath, latest.step


def _metadata(checkpointer, step):
    metadata = checkpointer.checkpointables_metadata(step)
    return metadata.metadata, (metadata.custom_metadata or {}).get(PROGRESS_KEY)


def _match_by_path(variables, saved_shapes):
    """The saved path of each variable: its own path, else the one saved path that equals it below the model's
    name (`sequential/hidden/kernel` for `sequential_1/hidden/kernel`) or ends with it (a model built from a config
    names its variables without the model's prefix)."""
    below = lambda path: path.split("/", 1)[-1]
    matched = []
    for v in variables:
        candidates = ([p for p in saved_shapes if p == v.path]
                      or [p for p in saved_shapes if below(p) == below(v.path)]
                      or [p for p in saved_shapes if p.endswith("/" + v.path) or v.path.endswith("/" + p)])
        matched.append(candidates[0] if len(candidates) == 1 else v.path)
    return matched


def restore_state(model, checkpointer, step, where):
    """Load checkpoint `step` into `model`: every array lands on the sharding its Variable has now, and nothing
    is assigned unless the whole checkpoint fits the model.

    A kerasj checkpoint records its variables' path order, so variables are matched by position (the same
    architecture built again in one process has other layer names, `dense_1` ...); a Keras-written one is matched
    by path, as Keras's `set_state_tree` does. Collections the checkpoint lacks (optimizer state of a
    weights-only save) are left as they are, and so are metric states that do not fit (metrics not built yet).
    An unbuilt optimizer is built first when the checkpoint holds its slots."""
    checkpointables, progress = _metadata(checkpointer, step)
    saved = checkpointables["pytree"]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and hasattr(optimizer, "build") and not getattr(optimizer, "built", True) \
            and len(flat(saved.get("optimizer_variables", {}))) > len(optimizer.variables):
        optimizer.build(model.trainable_variables)  # the checkpoint has the slots: make room for them
    label = os.path.join(str(checkpointer.directory), str(step))
    pairs, skipped = {}, {}  # collection -> [(saved path, Variable)]; collection -> {path: abstract array}
    for name, variables in state_collections(model, False).items():
        if name not in saved:
            continue
        shapes = {p: tuple(meta.shape) for p, meta in flat(saved[name]).items()}
        paths = (progress or {}).get("paths", {}).get(name) or _match_by_path(variables, shapes)
        if sorted(paths) != sorted(shapes) or [shapes[p] for p in paths] != [v.shape for v in variables]:
            if name == "optimizer_variables" and progress is None:
                # A Keras-written checkpoint names slots after Keras's variable paths; without kerasj's recorded
                # order they cannot be matched, so the optimizer keeps its state (as load_weights does when an
                # optimizer does not fit a .weights.h5 file).
                warnings.warn(f"{where}: the optimizer state in {label} does not match the model's optimizer "
                              f"variables; loading the weights only.", stacklevel=3)
            if name == "metrics_variables" or progress is None and name == "optimizer_variables":  # read, dropped
                skipped[name] = {p: jax.ShapeDtypeStruct(meta.shape, meta.dtype)
                                 for p, meta in flat(saved[name]).items()}
                continue
            raise ValueError(
                f"{where}: the checkpoint {label} does not fit the model: its {name} are "
                f"{sorted(shapes.items())}, the model's {[(v.path, v.shape) for v in variables]}.")
        pairs[name] = list(zip(paths, variables))
    abstract = {name: nest(((saved_path, jax.ShapeDtypeStruct(v.shape, v.dtype, sharding=v.value.sharding))
                            for saved_path, v in matched), where) for name, matched in pairs.items()}
    abstract.update({name: nest(leaves.items(), where) for name, leaves in skipped.items()})
    try:
        loaded = checkpointer.load_checkpointables(step, {"pytree": abstract})["pytree"]
    except Exception as e:
        raise ValueError(f"{where}: cannot restore the checkpoint {label}: {type(e).__name__}: {e}") from e
    for name, matched in pairs.items():
        values = flat(loaded[name])
        for saved_path, variable in matched:
            variable.assign(values[saved_path])


def load_weights_from_orbax(model, filepath):
    """`model.load_weights(directory)`: the newest checkpoint under an Orbax root (or the given step directory)."""
    root, step = _root_and_step(filepath, "load_weights")
    checkpointer = orbax_v1().training.Checkpointer(directory=root)
    restore_state(model, checkpointer, step, "load_weights")


def load_model_from_orbax(filepath, custom_objects=None, compile=True, safe_mode=True):
    """`load_model(directory)`: the model rebuilt from the checkpoint's saved config (refused if it holds weights
    only), compiled as saved, then given the checkpoint's state. The config is read like a `.keras` file's:
    no code runs from it in safe mode."""
    safe = resolve_safe_mode(safe_mode)
    root, step = _root_and_step(filepath, "load_model")
    checkpointer = orbax_v1().training.Checkpointer(directory=root)
    saved, _ = _metadata(checkpointer, step)
    if "model_config" not in saved:
        raise ValueError(f"load_model: the checkpoint {os.path.join(root, str(step))} holds no model config (it "
                         "was saved with save_weights_only=True); build the model and call load_weights instead.")
    stored = checkpointer.load_checkpointables(step, {"model_config": None})["model_config"]
    text = stored.get("config") if isinstance(stored, dict) else None
    try:
        config = json.loads(text) if isinstance(text, str) else text
    except ValueError as e:
        raise ValueError(f"load_model: the checkpoint's model_config is not valid JSON: {e}") from e
    if not isinstance(config, dict):
        raise ValueError(f"load_model: the checkpoint's model_config must hold a JSON object; it holds "
                         f"{type(config).__name__}.")
    compile_config = config.get("compile_config")
    model_config = {k: v for k, v in config.items() if k != "compile_config"}
    model = deserialize_keras_object(model_config, custom_objects=custom_objects, safe_mode=safe)
    if not hasattr(model, "trainable_variables") or not hasattr(model, "compile_from_config"):
        raise ValueError(f"load_model: the checkpoint's config describes a {type(model).__name__}, not a model.")
    if compile and compile_config:
        with CustomObjectScope(custom_objects or {}), safe_mode_scope(safe):
            model.compile_from_config(compile_config)
    restore_state(model, checkpointer, step, "load_model")
    return model
