"""`model.save_weights` / `model.load_weights` in Keras 3's `.weights.h5` format.

The file is HDF5 with one group per layer and optimizer, laid out exactly as Keras 3 writes it (see
`kerasj.saving.saveable_tree` for how groups are named), so a weights file written by Keras 3 loads into
the same model built with kerasj, and the other way round:

    >>> model.save_weights("mlp.weights.h5")
    >>> same_architecture.load_weights("mlp.weights.h5")

Each group's `vars` subgroup holds the object's variables as datasets "0", "1", ... in `own_variables`
order. Dtypes that HDF5 has no type for (bfloat16, float8) are stored as opaque bytes with a `dtype`
attribute, as Keras does. An object whose class defines its own `save_own_variables` / `load_own_variables`
(a StringLookup's idf weights) writes and reads its group itself, through a dict-like `VarsStore`, as in Keras;
every other object takes the direct path above. The optimizer's state is included whenever the model has an
optimizer (after `compile`), so training can resume where it stopped.

Writes are atomic (temporary file, fsync, rename). Loading reads plain HDF5 datasets only: nothing is
unpickled or executed, and the file may not make kerasj read anything outside it. Every group and dataset
is reached one hard link at a time (`resolve`), and every dataset is checked before a byte of it is read
(`check_plain_dataset`): external and soft links, virtual datasets, data stored in external files and
filters HDF5 would load from a plugin library are refused with a ValueError naming the member.
"""
import contextlib
import os
import warnings

import jax.numpy as jnp
import numpy as np

from kerasj.layers.layer import Layer
from kerasj.optimizers.optimizer import Optimizer
from kerasj.utils.file_io import atomic_write
from kerasj.saving.saveable_tree import is_optimizer, join_path, own_variables, saveable_entries
from kerasj.saving.orbax_io import is_orbax_checkpoint, load_weights_from_orbax

WEIGHTS_SUFFIX = ".weights.h5"
# What h5py raises on a damaged file (besides ValueError): a failed HDF5 call surfaces as any of these.
H5_READ_ERRORS = (OSError, RuntimeError, KeyError, OverflowError, TypeError, IndexError)
# Data claiming to decompress to more than this many times the size it is stored in is treated as a bomb (real
# weights compress by well under 10x; JSON by under 50x), once it is larger than MIN_BOMB_BYTES. Used for zip
# members and for the datasets a custom `load_own_variables` reads, whose shapes nothing else bounds.
MAX_COMPRESSION_RATIO = 200
MIN_BOMB_BYTES = 2 ** 20


def _h5py():
    # Imported on first use: only reading or writing a weights file needs it, and `import kerasj` stays fast.
    import h5py
    return h5py


def _check_weights_path(filepath, where):
    filepath = os.fspath(filepath)
    if not filepath.endswith(WEIGHTS_SUFFIX):
        if where == "load_weights" and filepath.endswith(".keras"):
            raise NotImplementedError(
                f"load_weights: reading weights from a `.keras` model archive is not supported yet; save them "
                f"with `model.save_weights(...)` to a `{WEIGHTS_SUFFIX}` file. Received: filepath={filepath}")
        raise ValueError(f"{where}: the filename must end in `{WEIGHTS_SUFFIX}` (Keras 3's weights format). "
                         f"Received: filepath={filepath}")
    return filepath


def _check_built(model, action):
    if not model.built:
        raise ValueError(f"You are {action} a model that has not yet been built (model '{model.name}'). Build "
                         "it first by calling it on some data or with `model.build(input_shape)`.")


def _confirm_overwrite(filepath):
    """Ask on the terminal whether to replace `filepath` (what `overwrite=False` does in Keras)."""
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Please answer "y" (overwrite) or "n" (keep the existing file): ').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def _write_array(group, key, array):
    array = np.asarray(array)
    if array.dtype.kind == "V":  # ml_dtypes (bfloat16, float8, int4): no HDF5 type, keep the raw bytes
        dataset = group.create_dataset(key, data=array.view(f"V{array.dtype.itemsize}"))
        dataset.attrs["dtype"] = array.dtype.name
    else:
        group.create_dataset(key, data=array)


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """Write the model's weights, and its optimizer's state if it has an optimizer, to a Keras 3
    `.weights.h5` file.

    Args:
        model: a built kerasj Model.
        filepath: path ending in `.weights.h5`.
        overwrite: if False and the file exists, ask on the terminal before replacing it.
        max_shard_size: not supported (sharded weights files); must be None.

    Example:
        >>> save_weights(model, "checkpoint.weights.h5")
    """
    filepath = _check_weights_path(filepath, "save_weights")
    if max_shard_size is not None:
        raise NotImplementedError("save_weights: sharded weights files (max_shard_size) are not supported; "
                                  f"received max_shard_size={max_shard_size!r}.")
    _check_built(model, "saving")
    if not overwrite and os.path.exists(filepath) and not _confirm_overwrite(filepath):
        return
    with atomic_write(filepath) as tmp_path:
        with _h5py().File(tmp_path, "w") as f:
            write_weights(model, f)


def overrides_hook(obj, method):
    """Whether `obj` saves or loads its state itself: its class overrides `method` ("save_own_variables",
    "load_own_variables") of kerasj's Layer / Optimizer. Objects that do not are written and read directly, as
    datasets "0", "1", ..., which is what those defaults would do."""
    defaults = (getattr(Layer, method), getattr(Optimizer, method))
    # A quantized layer overrides the hooks but saves plainly until it is quantized (`_saves_own_variables`).
    return getattr(type(obj), method, None) not in defaults and getattr(obj, "_saves_own_variables", True)


def write_weights(model, h5file):
    """Write the model's (and its optimizer's) variables into the open h5py File `h5file`. An object whose
    class defines its own `save_own_variables` writes its group itself, through a `VarsStore`. Returns the
    `(group_path, object)` entries written (`saveable_entries(model)`)."""
    walked = saveable_entries(model)
    entries = [(path, obj, None if overrides_hook(obj, "save_own_variables") else
                [v.numpy() for v in own_variables(obj)]) for path, obj in walked]
    for path, obj, arrays in entries:
        group = h5file.require_group(join_path(path, "vars"))
        group.attrs["name"] = obj.name
        if arrays is None:
            obj.save_own_variables(VarsStore(group, join_path(path, "vars"), writable=True))
            continue
        for i, array in enumerate(arrays):
            _write_array(group, str(i), array)
    return walked


class VarsStore:
    """The dict-like view of one object's `vars` group that `save_own_variables(store)` and
    `load_own_variables(store)` receive (what Keras's H5 store gives them): `store[key] = array` writes a
    dataset, `store[key]` reads one back as a numpy array, and `keys()`, `len`, `in` and iteration list them.

    Reading checks each dataset as every weight is checked (hard links only, plain storage, numeric dtype), and
    refuses one whose shape claims far more bytes than the file holds, since no variable bounds it here.

        >>> def save_own_variables(self, store):
        ...     store["table"] = self.table
        >>> def load_own_variables(self, store):
        ...     self.table = store["table"]
    """

    def __init__(self, group, where, writable=False):
        self._group = group  # None: the file has no group for this object (an empty store)
        self._where = where
        self._writable = writable

    def keys(self):
        return [] if self._group is None else list(self._group.keys())

    def __len__(self):
        return len(self.keys())

    def __iter__(self):
        return iter(self.keys())

    def __contains__(self, key):
        return key in self.keys()

    def __setitem__(self, key, value):
        if not self._writable:
            raise ValueError(f"'{self._where}': this weights store is being read; it cannot be written.")
        if not isinstance(key, str) or not key or "/" in key or key in (".", ".."):
            raise ValueError(f"'{self._where}': a key of a weights store is a non-empty string without '/'; "
                             f"received {key!r}.")
        if key in self._group:
            raise ValueError(f"'{self._where}': the key {key!r} was already written.")
        _write_array(self._group, key, np.asarray(value))

    def __getitem__(self, key):
        dataset = None if self._group is None or not isinstance(key, str) else resolve(self._group, key,
                                                                                       base=self._where)
        if dataset is None:
            raise KeyError(f"'{self._where}' in the weights file has no entry {key!r}; it holds {self.keys()}.")
        where = join_path(self._where, key)
        if not isinstance(dataset, _h5py().Dataset):
            raise _Mismatch(f"'{where}' is not an HDF5 dataset.")
        check_plain_dataset(dataset, where)
        file_size = dataset.file.id.get_filesize()
        claimed = int(np.prod(dataset.shape, dtype="float64")) * dataset.dtype.itemsize
        if claimed > MIN_BOMB_BYTES and claimed > MAX_COMPRESSION_RATIO * file_size:
            raise _Refused(f"'{where}' claims {claimed} bytes of data in a file of {file_size} bytes; refusing "
                           f"it as a likely decompression bomb.")
        return _read_array(dataset, f"Dataset '{key}' in '{self._where}'")


class _Mismatch(ValueError):
    """Why an object's variables cannot be loaded from the file."""


class _Refused(ValueError):
    """The file holds something a weights file may not (a link, or data kept outside it): the whole load is
    refused, whatever `skip_mismatch` says."""


_OUTSIDE = "weights files may not refer outside themselves."


def _describe_link(link):
    h5py = _h5py()
    if isinstance(link, h5py.ExternalLink):
        return f"an HDF5 external link to {link.filename}:{link.path}"
    if isinstance(link, h5py.SoftLink):
        return f"an HDF5 soft link to {link.path}"
    return f"an HDF5 link of an unknown kind ({type(link).__name__})"


def resolve(group, path, base=""):
    """The group or dataset at `path` ("layers/dense/vars") under the open h5py `group`, or None if the
    file has nothing there (or a dataset where a group should be). `base` is where `group` itself lies,
    for messages.

    The path is walked one link at a time and every link must be a hard link, before what it leads to is
    opened: `group[path]` would follow a soft link to another member and an external link into another
    file. Any other link raises _Refused naming the member.
    """
    h5py = _h5py()
    node, where = group, base
    for name in path.split("/"):
        where = join_path(where, name)
        if not isinstance(node, h5py.Group):
            return None
        try:
            link = node.get(name, getlink=True)  # a single name: h5py follows nothing to answer
        except TypeError:  # h5py's answer for a user-defined link type
            raise _Refused(f"'{where}' is an HDF5 link of a user-defined type; {_OUTSIDE}") from None
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            reason = ("weights files may not alias one member to another." if isinstance(link, h5py.SoftLink)
                      else _OUTSIDE)
            raise _Refused(f"'{where}' is {_describe_link(link)}; {reason}")
        node = node[name]
    return node


def check_plain_dataset(dataset, where):
    """Raise _Refused unless `dataset` is plain data stored in this file: compact, contiguous or chunked,
    with no external storage and only built-in filters.

    Only the dataset's creation properties are read, never its data or even its shape: for a virtual
    dataset HDF5 opens the source files just to report the shape, and reading one that maps itself crashes
    the interpreter.
    """
    h5d, h5z = _h5py().h5d, _h5py().h5z
    dcpl = dataset.id.get_create_plist()
    layout = dcpl.get_layout()
    if layout == h5d.VIRTUAL:
        count = dcpl.get_virtual_count()
        sources = ", ".join(f"{dcpl.get_virtual_filename(i)}:{dcpl.get_virtual_dsetname(i)}"
                            for i in range(min(count, 3))) + (", ..." if count > 3 else "")
        raise _Refused(f"'{where}' is an HDF5 virtual dataset, mapped from {sources}; {_OUTSIDE}")
    if layout not in (h5d.COMPACT, h5d.CONTIGUOUS, h5d.CHUNKED):
        raise _Refused(f"'{where}' is an HDF5 dataset of unknown storage layout {layout}; {_OUTSIDE}")
    count = dcpl.get_external_count()
    if count:
        files = [dcpl.get_external(i)[0].decode("utf-8", "replace") for i in range(min(count, 3))]
        raise _Refused(f"'{where}' is an HDF5 dataset whose data is stored in the external file(s) "
                       f"{', '.join(files)}{', ...' if count > 3 else ''}; {_OUTSIDE}")
    # The filters built into HDF5, and LZF, which h5py registers itself. For any other filter HDF5 would search
    # its plugin path for a shared library to load, which a file must not be able to make it do.
    builtin = {h5z.FILTER_DEFLATE, h5z.FILTER_SHUFFLE, h5z.FILTER_FLETCHER32, h5z.FILTER_SZIP, h5z.FILTER_NBIT,
               h5z.FILTER_SCALEOFFSET, h5z.FILTER_LZF}
    for i in range(dcpl.get_nfilters()):
        code, _, _, name = dcpl.get_filter(i)
        if code not in builtin:
            raise _Refused(f"'{where}' is compressed with the HDF5 filter {code} "
                           f"({name.decode('utf-8', 'replace')[:40]!r}), which HDF5 would load from a plugin "
                           f"library; {_OUTSIDE}")


def _read_array(dataset, where):
    stored_dtype = dataset.attrs.get("dtype")
    if dataset.dtype.names is not None or dataset.dtype.kind not in ("biuf" if stored_dtype is None else "V"):
        raise _Mismatch(f"{where} has dtype {dataset.dtype}, which is not an array of numbers.")
    array = np.asarray(dataset[()])
    if stored_dtype is not None:
        if isinstance(stored_dtype, bytes):
            stored_dtype = stored_dtype.decode("utf-8", "replace")
        try:
            array = array.view(jnp.dtype(str(stored_dtype)))
        except (TypeError, ValueError) as err:
            raise _Mismatch(f"{where} is stored as raw bytes of dtype {str(stored_dtype)[:40]!r}, which cannot be "
                            f"read ({err}).") from None
    return array


def _read_variables(group, variables, where):
    """The `(variable, array)` pairs that load `variables` from the `vars` group at `where` (None if the
    file has no such group); raises _Mismatch if the file does not fit them."""
    if group is not None and not isinstance(group, _h5py().Group):
        raise _Mismatch(f"'{where}' in the file is not a group.")
    stored = 0 if group is None else len(group)
    if stored != len(variables):
        raise _Mismatch(f"expects {len(variables)} variables {[v.name for v in variables]}, but the file holds "
                        f"{stored} in '{where}'.")
    pairs = []
    for i, variable in enumerate(variables):
        dataset = resolve(group, str(i), base=where)
        if dataset is None:
            raise _Mismatch(f"'{where}' has no dataset '{i}' (for variable '{variable.name}').")
        if not isinstance(dataset, _h5py().Dataset):
            raise _Mismatch(f"Dataset '{i}' in '{where}' is not an HDF5 dataset.")
        check_plain_dataset(dataset, join_path(where, str(i)))
        if tuple(dataset.shape) != tuple(variable.shape):
            # Checked before reading, so a huge bogus dataset is never loaded into memory.
            raise _Mismatch(f"variable '{variable.name}' has shape {tuple(variable.shape)}, but the file holds "
                            f"shape {tuple(dataset.shape)} (dataset '{i}' in '{where}').")
        array = _read_array(dataset, f"Dataset '{i}' in '{where}'")
        if tuple(array.shape) != tuple(variable.shape):
            raise _Mismatch(f"variable '{variable.name}' has shape {tuple(variable.shape)}, but the file holds "
                            f"shape {tuple(array.shape)} (dataset '{i}' in '{where}').")
        pairs.append((variable, array))
    return pairs


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights (and optimizer state, when both the file and the model have one) from a Keras 3
    `.weights.h5` file written by kerasj or by Keras 3 for the same architecture.

    Objects are matched by their place in the model (see `kerasj.saving.saveable_tree`), not by name.
    Nothing is assigned unless everything matches: a layer whose variable count or shapes differ from the
    file raises a ValueError naming the layer and the expected and stored shapes. With
    `skip_mismatch=True` such layers are left as they are, with a warning, and the rest is loaded. An
    optimizer whose number of variables differs (for instance one not built yet) keeps its state, with a
    warning, as in Keras.

    Example:
        >>> load_weights(model, "checkpoint.weights.h5")
    """
    filepath = os.fspath(filepath)
    if is_orbax_checkpoint(filepath):  # a directory written by OrbaxCheckpoint (kerasj's or Keras's)
        _check_built(model, "loading weights into")
        return load_weights_from_orbax(model, filepath)
    if filepath.endswith(".keras"):
        from kerasj.saving.keras_archive import load_weights_from_archive  # it builds on this module
        _check_built(model, "loading weights into")
        return load_weights_from_archive(model, filepath, skip_mismatch=skip_mismatch)
    filepath = _check_weights_path(filepath, "load_weights")
    _check_built(model, "loading weights into")
    with open_weights_file(filepath, "load_weights") as f:
        read_weights(model, f, filepath, skip_mismatch)


def open_weights_file(filepath, caller):
    """The `.weights.h5` file at `filepath` opened for reading; a missing or unreadable file raises an error
    that names `caller`."""
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"{caller}: no such file: {filepath}")
    try:
        return _h5py().File(filepath, "r")
    except H5_READ_ERRORS as err:
        raise ValueError(f"{caller}: {filepath} is not a readable HDF5 weights file ({err}).") from err


def _describe(obj):
    return f"{'Optimizer' if is_optimizer(obj) else 'Layer'} '{obj.name}'"


def _match_variables(entries, h5file):
    """`(pairs, hooked, problems, notes)`: the `(variable, array)` pairs to assign, the `(where, object)`s that
    load themselves (`load_own_variables`), the objects that do not match the file, and warnings about
    optimizers whose state is kept."""
    pairs, hooked, problems, notes = [], [], [], []
    for path, obj in entries:
        where = join_path(path, "vars")
        if overrides_hook(obj, "load_own_variables"):
            hooked.append((where, obj))
            continue
        group, variables = resolve(h5file, where), own_variables(obj)
        stored = len(group) if isinstance(group, _h5py().Group) else 0
        if is_optimizer(obj) and stored != len(variables):
            # As in Keras: an optimizer built differently (or not built yet) keeps its state, with a warning.
            notes.append(f"Skipping variable loading for optimizer '{obj.name}', because it has "
                         f"{len(variables)} variables whereas the saved optimizer has {stored} variables.")
            continue
        try:
            pairs.extend(_read_variables(group, variables, where))
        except _Mismatch as e:
            problems.append(f"{_describe(obj)}: {e}")
    return pairs, hooked, problems, notes


def _run_load_hooks(hooked, h5file):
    """Call each object's own `load_own_variables` with a store of its group; `(problems, first_error)` for
    those that raise (a refused member still refuses the whole load)."""
    problems, first_error = [], None
    for where, obj in hooked:
        group = resolve(h5file, where)
        if group is not None and not isinstance(group, _h5py().Group):
            problems.append(f"{_describe(obj)}: '{where}' in the file is not a group.")
            continue
        try:
            obj.load_own_variables(VarsStore(group, where))
        except _Refused:
            raise
        except Exception as err:  # a user hook may raise anything: report it with the object it came from
            problems.append(f"{_describe(obj)}: load_own_variables raised {type(err).__name__}: {err}")
            first_error = first_error or err
    return problems, first_error


@contextlib.contextmanager
def reading(source):
    """Within the block, what a hostile or damaged weights file (named `source` in messages) makes the
    reader raise becomes a ValueError saying so."""
    try:
        yield
    except _Refused as err:
        raise ValueError(f"load_weights: {source} was refused: {err} Nothing was loaded.") from None
    except H5_READ_ERRORS as err:
        # A damaged file makes h5py raise from deep inside the HDF5 library while the groups are walked.
        raise ValueError(f"load_weights: {source} is damaged or not a weights file; reading it failed with "
                         f"{type(err).__name__}: {err}") from err


def _report(problems, model, source, skip_mismatch, cause=None):
    listing = "\n".join(f"- {p}" for p in problems)
    if not skip_mismatch:
        raise ValueError(f"load_weights: {len(problems)} object(s) in {source} do not match model "
                         f"'{model.name}', so nothing was loaded:\n{listing}\nPass skip_mismatch=True to "
                         "load everything else and leave these unchanged.") from cause
    warnings.warn(f"load_weights: skipped {len(problems)} object(s) of model '{model.name}' that do not "
                  f"match {source}:\n{listing}", stacklevel=4)


def read_weights(model, h5file, source, skip_mismatch=False):
    """Load the model's (and optimizer's) variables from the open h5py File `h5file` (named `source` in
    messages). Every variable is checked before anything is assigned; then objects that define their own
    `load_own_variables` load themselves (one that raises leaves the other variables unassigned, but cannot undo
    what earlier such objects did), and then the variables are assigned. Returns the `(group_path, object)`
    entries (`saveable_entries(model)`)."""
    entries = saveable_entries(model)
    with reading(source):
        pairs, hooked, problems, notes = _match_variables(entries, h5file)
    if problems:
        _report(problems, model, source, skip_mismatch)
    if hooked:
        with reading(source):
            hook_problems, cause = _run_load_hooks(hooked, h5file)
        if hook_problems:
            _report(hook_problems, model, source, skip_mismatch, cause)
    for note in notes:
        warnings.warn(note, stacklevel=3)
    for variable, array in pairs:
        variable.assign(array)
    return entries
