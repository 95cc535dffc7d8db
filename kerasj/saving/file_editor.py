"""`KerasFileEditor`: look inside a `.keras` or `.weights.h5` file (from kerasj or Keras 3), check it against a
model, edit its weights and write them out as a new `.weights.h5` file.

    >>> editor = KerasFileEditor("model.keras")
    >>> editor.summary()                               # the tree of objects and weights
    >>> editor.compare(new_model)["status"]            # does the file fit `new_model`?
    'error'
    >>> editor.delete_object("layers/dense_2")
    >>> editor.add_object("layers/dense_3", {"0": kernel, "1": bias})
    >>> editor.save("adapted.weights.h5")
    >>> new_model.load_weights("adapted.weights.h5")

The file is read as untrusted, through the same guarded readers as `load_weights`: members are reached one
hard link at a time (soft and external links are refused), every dataset is checked to hold plain data stored
in the file before it is read, no object may be reached twice (hard-linked aliases and cycles are refused),
and no dataset may be larger than 4 GiB or all of them together more than the memory left. Reading a file
never runs code from it.
"""
import collections
import math
import os

import jax
import numpy as np

from kerasj.saving.keras_archive import CONFIG_NAME, METADATA_NAME, _Archive
from kerasj.saving.saveable_tree import own_variables, saveable_entries
from kerasj.saving.weights_io import (H5_READ_ERRORS, WEIGHTS_SUFFIX, _h5py, _Refused, _read_array, _write_array,
                                      check_plain_dataset, open_weights_file, resolve)
from kerasj.utils.file_io import atomic_write
from kerasj.utils.memory import available_bytes, format_bytes

# Keras's limit for one dataset; a real weights file has no group nesting anywhere near MAX_DEPTH.
MAX_DATASET_BYTES = 1 << 32
MAX_DEPTH = 100
MAX_RANK = 64
MAX_NAME_BYTES = 4096  # the `name` attribute of an object's group: a layer name, never more


def _host_bytes_left():
    try:
        return available_bytes(jax.devices("cpu")[0])  # the arrays are read into host memory
    except RuntimeError:
        return None


class _Reader:
    """Reads a weights file's groups into nested dicts of numpy arrays (see `KerasFileEditor.weights_dict`)."""

    def __init__(self, source):
        self.source = source
        self.seen = set()  # the HDF5 objects read so far (an ObjectID compares by the object it names)
        self.metadata = {}
        self.budget = _host_bytes_left()

    def _once(self, node, where):
        if node.id in self.seen:
            raise _Refused(f"'{where}' is a second hard link to a member already read; weights files may not alias "
                           "one member to another.")
        self.seen.add(node.id)

    def group(self, group, path, depth=0):
        if depth > MAX_DEPTH:
            raise _Refused(f"'{path}' nests more than {MAX_DEPTH} groups deep.")
        self._once(group, path or "/")
        result = collections.OrderedDict()
        for key in group.keys():
            node = resolve(group, key, base=path.lstrip("/"))
            where = f"{path}/{key}"
            if isinstance(node, _h5py().Group):
                if key == "vars":  # the object's own weights: they belong to the object itself
                    own = self.group(node, path, depth + 1)
                    name = self._name(node) if own else None
                    if name is not None:
                        self.metadata[path] = {"name": name}
                    entries = own.items()
                else:
                    content = self.group(node, where, depth + 1)
                    entries = [(key, content)] if content else []
            elif isinstance(node, _h5py().Dataset):
                entries = [(key, self.dataset(node, where))]
            else:  # a named datatype: no weights in it
                entries = []
            for name, value in entries:
                if name in result:
                    raise ValueError(f"{self.source}: '{path}/{name}' is both a weight and an object.")
                result[name] = value
        return result

    @staticmethod
    def _name(group):
        """The group's `name` attribute if it is a short string (its size is checked before it is read)."""
        if "name" not in group.attrs or group.attrs.get_id("name").get_storage_size() > MAX_NAME_BYTES:
            return None
        name = group.attrs["name"]
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        return name if isinstance(name, str) else None

    def dataset(self, dataset, where):
        self._once(dataset, where)
        check_plain_dataset(dataset, where)
        shape = dataset.shape
        if shape is None:
            raise ValueError(f"{self.source}: dataset '{where}' has no data (an empty HDF5 dataspace).")
        if len(shape) > MAX_RANK:
            raise ValueError(f"{self.source}: dataset '{where}' has rank {len(shape)}, more than {MAX_RANK}.")
        nbytes = math.prod(shape) * dataset.dtype.itemsize
        if nbytes > MAX_DATASET_BYTES:
            raise ValueError(f"{self.source}: dataset '{where}' of shape {shape} needs {format_bytes(nbytes)}, more "
                             f"than the {format_bytes(MAX_DATASET_BYTES)} allowed for one weight.")
        if self.budget is not None:
            if nbytes > self.budget:
                raise ValueError(f"{self.source}: reading dataset '{where}' ({format_bytes(nbytes)}) would exceed "
                                 "the memory left.")
            self.budget -= nbytes
        return _read_array(dataset, f"{self.source}: dataset '{where}'")


def _as_weights(weights, where):
    """A user-given `{name: array}` dict (nested dicts allowed) with numpy arrays as values."""
    if not isinstance(weights, dict):
        raise ValueError("Argument `weights` should be a dict where keys are weight names (usually '0', '1', etc.) "
                         f"and values are NumPy arrays. Received: type(weights)={type(weights)}")
    out = collections.OrderedDict()
    for name, value in weights.items():
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"{where}: weight names must be non-empty strings without '/'; received {name!r}.")
        if isinstance(value, dict):
            out[name] = _as_weights(value, where)
            continue
        array = np.asarray(value)
        if array.dtype.kind not in "biufV":
            raise ValueError(f"{where}: weight {name!r} must be an array of numbers; received dtype {array.dtype}.")
        out[name] = array
    return out


def _spec_of(model):
    """The nested `{name: ShapeDtypeStruct}` layout the model's weights have in a weights file."""
    spec = collections.OrderedDict()
    for path, obj in saveable_entries(model):
        variables = own_variables(obj)
        if not variables:
            continue
        node = spec
        for part in filter(None, path.split("/")):
            node = node.setdefault(part, collections.OrderedDict())
        for i, variable in enumerate(variables):
            node[str(i)] = jax.ShapeDtypeStruct(tuple(variable.shape), variable.dtype)
    return spec


def _compare(target, reference, path, target_name, reference_name, checked, say):
    """`(errors, matches)` for what `reference` holds that `target` lacks or holds with another shape."""
    errors = matches = 0
    for key, ref in reference.items():
        where = f"{path}/{key}"
        if where in checked:
            continue
        found = target.get(key)
        if found is None or isinstance(found, dict) != isinstance(ref, dict):
            errors += 1
            checked.add(where)
            if isinstance(ref, dict):
                say(f"...Object {where} present in {reference_name}, missing from {target_name}")
                say(f"    In {reference_name}, {where} contains the following keys: {list(ref.keys())}")
            else:
                say(f"...Weight {where} present in {reference_name}, missing from {target_name}")
        elif isinstance(ref, dict):
            e, m = _compare(found, ref, where, target_name, reference_name, checked, say)
            errors, matches = errors + e, matches + m
        elif tuple(found.shape) != tuple(ref.shape):
            errors += 1
            checked.add(where)
            say(f"...Weight shape mismatch for {where}\n    In {reference_name}: shape={tuple(ref.shape)}\n"
                f"    In {target_name}: shape={tuple(found.shape)}")
        else:
            matches += 1
    return errors, matches


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


class KerasFileEditor:
    """Inspect and edit the weights of a `.keras` or `.weights.h5` file (written by kerasj or Keras 3).

    Args:
        filepath: the file to open.

    Attributes:
        weights_dict: the file's weights as nested dicts: one key per object ("layers" -> "dense" -> ...), and
            an object's own weights under "0", "1", ... as numpy arrays. Edit it directly or with the methods.
        object_metadata: `{path: {"name": layer name}}` for the objects that have weights.
        config, metadata: for a `.keras` file, its model config and metadata (dicts); None otherwise.

    Objects are named by path (`"layers/dense_2"`) or, when the name occurs once in the file, by name alone
    (`"dense_2"`). Keras 3.15 counts a name found in two branches of the file more than once (so a bare name
    fails on a `.keras` file that also holds an optimizer); kerasj counts each occurrence once.

        >>> editor = KerasFileEditor("my_model.weights.h5")
        >>> editor.delete_object("layers/dense_2")
        >>> editor.add_object("layers/einsum_dense", weights={"0": kernel, "1": bias})
        >>> editor.resave_weights("edited_model.weights.h5")
    """

    def __init__(self, filepath):
        self.filepath = filepath
        self.metadata = None
        self.config = None
        self.model = None
        path = os.fspath(filepath)
        if path.endswith(".keras"):
            with _Archive(path) as archive:
                self.config = archive.read_json(CONFIG_NAME)
                if METADATA_NAME in archive.members:
                    self.metadata = archive.read_json(METADATA_NAME)
                with archive.weights_file() as h5file:
                    self._read(h5file, f"{path}/model.weights.h5")
        elif path.endswith(WEIGHTS_SUFFIX):
            with open_weights_file(path, "KerasFileEditor") as h5file:
                self._read(h5file, path)
        else:
            raise ValueError("Invalid filename: expected a `.keras` `.weights.h5` extension. "
                             f"Received: filepath={filepath}")
        print(f"Keras model file '{filepath}'")
        if isinstance(self.metadata, dict):
            print(f"Saved with Keras {self.metadata.get('keras_version')} - date: {self.metadata.get('date_saved')}")

    def _read(self, h5file, source):
        reader = _Reader(source)
        try:
            self.weights_dict = reader.group(h5file, "")
        except _Refused as err:
            raise ValueError(f"KerasFileEditor: {source} was refused: {err}") from None
        except H5_READ_ERRORS as err:  # a damaged file fails deep inside HDF5 while it is walked
            raise ValueError(f"KerasFileEditor: {source} is damaged or not a weights file; reading it failed with "
                             f"{type(err).__name__}: {err}") from err
        self.object_metadata = reader.metadata

    # -- looking ---------------------------------------------------------------------------------------
    def summary(self):
        """Print the tree of objects and weights (shape and dtype of each)."""
        print("Weights structure")
        self._print_tree(self.weights_dict, prefix="  ", path="", first=[True])

    def _print_tree(self, tree, prefix, path, first):
        for index, (key, value) in enumerate(tree.items()):
            where = f"{path}/{key}"
            last = index == len(tree) - 1
            connector = "> " if first[0] else ("└─ " if last else "├─ ")
            first[0] = False
            if isinstance(value, dict):
                name = self.object_metadata.get(where, {}).get("name")
                print(f"{prefix}{connector}{key}" + (f" ('{name}')" if name is not None else ""))
                self._print_tree(value, prefix + ("    " if last else "│   "), where, first)
            elif hasattr(value, "shape"):
                print(f"{prefix}{connector}{key}: shape={tuple(value.shape)}, dtype={value.dtype}")
            else:
                print(f"{prefix}{connector}{key}: {value}")

    def compare(self, reference_model):
        """Check the file against a model: every weight the model has must be in the file with the same shape,
        and the file may hold nothing the model lacks. Each problem is printed.

        Args:
            reference_model: a built kerasj model.

        Returns:
            `{"status": "success" or "error", "error_count": problems found, "match_count": weights that
            match}`. (Keras 3.15 reports the same status, but its counts add up some branches twice.)
        """
        print("Running comparison")
        spec = _spec_of(reference_model)
        checked = set()
        errors, matches = _compare(self.weights_dict, spec, "", "saved file", "reference model", checked, print)
        more, _ = _compare(spec, self.weights_dict, "", "reference model", "saved file", checked, print)
        errors += more
        print("─────────────────────")
        if errors == 0:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {_plural(matches, 'matching weight')}")
        else:
            print(f"Found {_plural(errors, 'error')}: saved file is not compatible with the reference model")
        return {"status": "success" if errors == 0 else "error", "error_count": errors, "match_count": matches}

    # -- editing ---------------------------------------------------------------------------------------
    def _find(self, object_name):
        """`(parent dict, key)` of the object `object_name` names (a path, or a name occurring once)."""
        if not isinstance(object_name, str) or not object_name:
            raise ValueError(f"Expected the name or path of an object (a string); received {object_name!r}.")
        if "/" in object_name:
            parts = object_name.split("/")
            node = self.weights_dict
            for part in parts[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
                if not isinstance(node, dict):
                    raise ValueError(f"Path '{object_name}' not found in model.")
            if parts[-1] not in node:
                raise ValueError(f"Path '{object_name}' not found in model.")
            return node, parts[-1]
        places = []

        def search(node):
            for key, value in node.items():
                if key == object_name:
                    places.append(node)
                if isinstance(value, dict):
                    search(value)

        search(self.weights_dict)
        if len(places) > 1:
            raise ValueError(f"Name '{object_name}' occurs more than once in the model; try passing a complete path")
        if not places:
            raise ValueError(f"Source name '{object_name}' does not appear in the model. Use `editor.summary()` to "
                             "list all objects.")
        return places[0], object_name

    def rename_object(self, object_name, new_name):
        """Rename an object (e.g. a layer): `object_name` is its name or path ("dense_2" or "layers/dense_2"),
        `new_name` the new last part of its path."""
        if not isinstance(new_name, str) or not new_name or "/" in new_name:
            raise ValueError("Argument `target_name` should be a leaf name, not a full path name. "
                             f"Received: target_name='{new_name}'")
        parent, key = self._find(object_name)
        if new_name in parent and new_name != key:
            raise ValueError(f"Cannot rename '{object_name}' to '{new_name}': an object of that name is already "
                             "there.")
        parent[new_name] = parent.pop(key)

    def delete_object(self, object_name):
        """Remove an object (e.g. a layer) and its weights: `object_name` is its name or path."""
        parent, key = self._find(object_name)
        del parent[key]

    def add_object(self, object_path, weights):
        """Add an object at `object_path` (e.g. "layers/dense_2"; its parent must exist) holding `weights`, a
        dict `{weight name: array}` such as `{"0": kernel, "1": bias}`."""
        weights = _as_weights(weights, f"add_object('{object_path}')")
        if not isinstance(object_path, str) or not object_path or object_path.endswith("/"):
            raise ValueError(f"add_object: `object_path` must be a path such as 'layers/dense_2'; received "
                             f"{object_path!r}.")
        parts = object_path.split("/")
        node = self.weights_dict
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                raise ValueError(f"Path '{'/'.join(parts[:-1])}' not found in model.")
        node[parts[-1]] = weights

    def delete_weight(self, object_name, weight_name):
        """Remove the weight `weight_name` (e.g. "1") of the object `object_name` (its name or path)."""
        parent, key = self._find(object_name)
        target = parent[key]
        if not isinstance(target, dict) or weight_name not in target:
            found = list(target.keys()) if isinstance(target, dict) else []
            raise ValueError(f"Weight {weight_name} not found in object {object_name}. Weights found: {found}")
        del target[weight_name]

    def add_weights(self, object_name, weights):
        """Add (or replace) weights of the object `object_name` (its name or path): `weights` is a dict
        `{weight name: array}`."""
        weights = _as_weights(weights, f"add_weights('{object_name}')")
        parent, key = self._find(object_name)
        if not isinstance(parent[key], dict):
            raise ValueError(f"'{object_name}' is a weight, not an object that holds weights.")
        parent[key].update(weights)

    # -- writing ---------------------------------------------------------------------------------------
    def save(self, filepath):
        """Write the (edited) weights to a new `.weights.h5` file, atomically, in the layout `load_weights`
        reads (an object's weights in its group's `vars`)."""
        filepath = os.fspath(filepath)
        if not filepath.endswith(WEIGHTS_SUFFIX):
            raise ValueError(f"Invalid `filepath` argument: expected a `{WEIGHTS_SUFFIX}` extension. "
                             f"Received: filepath={filepath}")
        with atomic_write(filepath) as tmp_path:
            with _h5py().File(tmp_path, "w") as h5file:
                self._write(h5file, self.weights_dict, "")

    def _write(self, h5file, tree, path):
        arrays = {}
        for name, value in tree.items():
            if isinstance(value, dict):
                if value:
                    self._write(h5file, value, f"{path}/{name}" if path else name)
            else:
                arrays[name] = value
        if arrays:
            group = h5file.require_group(f"{path}/vars" if path else "vars")
            for name, value in arrays.items():
                _write_array(group, name, value)

    def resave_weights(self, filepath):
        """The same as `save(filepath)`."""
        self.save(filepath)
