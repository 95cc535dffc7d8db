"""Whole models in Keras 3's `.keras` format: `model.save(path)` and `kerasj.models.load_model(path)`.

A `.keras` file is a zip archive of three members, laid out as Keras 3 writes them, so files move between
Keras 3 and kerasj in both directions:

- `metadata.json`: which library wrote the file, and when;
- `config.json`: the model's config (`serialize_keras_object`), with its build and compile configuration;
- `model.weights.h5`: the weights and optimizer state, in the `.weights.h5` layout (`kerasj.saving.weights_io`);
- `assets/<object path>/...`: the files an object writes with `save_assets(dir_path)` (a StringLookup's
  `vocabulary.txt`), one folder per object, named by its place in the model as its weights group is.

Saving is atomic: the archive is written to a temporary file in the same directory, fsynced and renamed, so an
interrupted save never leaves a truncated file where a good one was.

Loading treats the file as untrusted. Members are read into memory; unknown member names, `..` or absolute
paths, links and other special entries, members larger than their stated size or implausibly compressed (zip
bombs), malformed JSON and wrongly typed configs, and weights of the wrong shape or dtype all raise a ValueError
that says what is wrong. Only assets are written to disk: each object with `load_assets(dir_path)` gets a fresh
temporary folder holding its own `assets/<object path>/` members and nothing else, removed after the call.
Nothing is unpickled, no module named in the file is imported, and a saved lambda is refused unless
`safe_mode=False`. The weights member may not make kerasj read anything outside it (see
`kerasj.saving.weights_io`).

    >>> model.save("classifier.keras")
    >>> restored = kerasj.models.load_model("classifier.keras")
"""
import contextlib
import datetime
import io
import json
import os
import stat
import tempfile
import zipfile
import zlib

from kerasj.layers.layer import Layer
from kerasj.models.model import Model
from kerasj.utils.file_io import atomic_write
from kerasj.saving.object_registration import CustomObjectScope
from kerasj.saving.safe_mode import resolve_safe_mode, safe_mode_scope
from kerasj.saving.orbax_io import is_orbax_checkpoint, load_model_from_orbax
from kerasj.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from kerasj.saving.weights_io import (H5_READ_ERRORS, MAX_COMPRESSION_RATIO, MIN_BOMB_BYTES, _check_built,
                                      _confirm_overwrite, _h5py, read_weights, reading, resolve, write_weights)

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
WEIGHTS_NAME = "model.weights.h5"
ASSETS_DIR = "assets/"

# JSON members larger than this are refused: no real config comes near it.
MAX_JSON_BYTES = 64 * 2 ** 20
# The asset files one load may write to disk, all objects together (a large vocabulary is tens of MB). Members are
# also held to MAX_COMPRESSION_RATIO (zip bombs), as every member is.
MAX_ASSET_BYTES = 2 ** 30


def _kerasj_version():
    try:
        from importlib.metadata import version
        return version("kerasj")
    except Exception:  # running from a source tree that was not installed
        return "unknown"


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Write `model` to a `.keras` archive (see the module docstring).

    Args:
        model: a kerasj Model. Subclassed models must be built and define get_config() if their __init__
            takes arguments; custom classes should be registered with
            `kerasj.saving.register_keras_serializable` so they can be loaded.
        filepath: path ending in `.keras`.
        overwrite: if False and the file exists, ask on the terminal before replacing it.
        zipped: only the zipped format is supported (None or True).
    """
    if kwargs:
        raise TypeError(f"save: unexpected arguments {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        hint = (" To save only the weights use model.save_weights(...) with a `.weights.h5` file."
                if filepath.endswith(".h5") else "")
        raise ValueError(f"save: the filename must end in `.keras` (the Keras 3 model format); received "
                         f"filepath={filepath}.{hint}")
    if zipped is False:
        raise NotImplementedError("save: only zipped `.keras` archives are supported (zipped=None or True).")
    _check_built(model, "saving")
    if not overwrite and os.path.exists(filepath) and not _confirm_overwrite(filepath):
        return
    config = serialize_keras_object(model)
    config_json = json.dumps(config)
    metadata_json = json.dumps({"keras_version": "3", "library": "kerasj", "kerasj_version": _kerasj_version(),
                                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    weights = io.BytesIO()
    with _h5py().File(weights, "w") as f:
        entries = write_weights(model, f)
    with atomic_write(filepath) as tmp_path, contextlib.ExitStack() as cleanup:
        with zipfile.ZipFile(tmp_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(METADATA_NAME, metadata_json)
            zf.writestr(CONFIG_NAME, config_json)
            # HDF5 is already compact; storing it uncompressed keeps saving and loading fast.
            zf.writestr(zipfile.ZipInfo(WEIGHTS_NAME, date_time=_now()), weights.getvalue(),
                        compress_type=zipfile.ZIP_STORED)
            savers = [(path, obj) for path, obj in entries if callable(getattr(obj, "save_assets", None))]
            if savers:
                _write_assets(zf, savers, cleanup.enter_context(tempfile.TemporaryDirectory()))


def _now():
    return datetime.datetime.now().timetuple()[:6]


def _assets_member(path):
    """The archive folder of the object at group path `path` ("" is the model): `assets/<path>/`."""
    return ASSETS_DIR + (f"{path}/" if path else "")


def _write_assets(zf, savers, tmpdir):
    """Let each `(path, object)` write its files into its own folder of `tmpdir`, and store them in `zf` under
    `assets/<path>/` (Keras's layout), in sorted order so that archives are reproducible."""
    for path, obj in savers:
        folder = os.path.join(tmpdir, *_assets_member(path).split("/"))
        os.makedirs(folder, exist_ok=True)
        obj.save_assets(folder)
    root = os.path.join(tmpdir, ASSETS_DIR.rstrip("/"))
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(folder, d))]):
            source = os.path.join(folder, filename)
            member = ASSETS_DIR + os.path.relpath(source, root).replace(os.sep, "/")
            if os.path.islink(source) or not os.path.isfile(source):
                raise ValueError(f"save: {member} written by save_assets() is not a regular file (a link or a "
                                 f"special file); only regular files can be saved in a `.keras` archive.")
            zf.write(source, member)


class _Archive:
    """The members of a `.keras` archive, validated, read into memory on demand."""

    def __init__(self, filepath):
        self.filepath = filepath
        if not os.path.isfile(filepath):
            raise FileNotFoundError(f"No such file: {filepath}")
        try:
            self.zf = zipfile.ZipFile(filepath, "r")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as err:
            raise ValueError(f"{filepath} is not a valid `.keras` archive (not a readable zip file: {err}).") from err
        self.members = {}
        try:
            for info in self.zf.infolist():
                self._check_member(info)
                self.members[info.filename] = info
        except ValueError:
            self.zf.close()
            raise

    def _fail(self, message):
        raise ValueError(f"{self.filepath} is not a valid `.keras` archive: {message}")

    def _check_member(self, info):
        name = info.filename
        if name in self.members:
            self._fail(f"the member {name!r} appears twice.")
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":") or "\x00" in name:
            self._fail(f"the member name {name!r} points outside the archive.")
        if name not in (CONFIG_NAME, METADATA_NAME, WEIGHTS_NAME) and not name.startswith(ASSETS_DIR):
            self._fail(f"unexpected member {name!r} (a `.keras` archive holds {CONFIG_NAME}, {METADATA_NAME}, "
                       f"{WEIGHTS_NAME} and {ASSETS_DIR}...).")
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR) or (kind == stat.S_IFDIR and not info.is_dir()):
            self._fail(f"the member {name!r} is a symbolic link or another special entry (mode "
                       f"{oct(info.external_attr >> 16)}); only regular files and folders are accepted.")
        if info.file_size > MIN_BOMB_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            self._fail(f"the member {name!r} claims to decompress to {info.file_size} bytes from "
                       f"{info.compress_size}; refusing it as a likely zip bomb.")

    def read(self, name, limit=None):
        """The bytes of member `name`; never more than its stated size (or `limit`)."""
        info = self.members.get(name)
        if info is None:
            self._fail(f"it has no {name!r} member.")
        cap = info.file_size if limit is None else min(info.file_size, limit)
        if limit is not None and info.file_size > limit:
            self._fail(f"the member {name!r} is {info.file_size} bytes, more than the {limit} allowed.")
        try:
            with self.zf.open(info) as member:
                data = member.read(cap + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError,
                NotImplementedError) as err:
            self._fail(f"the member {name!r} cannot be read ({type(err).__name__}: {err}).")
        if len(data) > cap:
            self._fail(f"the member {name!r} decompresses to more than its stated {info.file_size} bytes.")
        return data

    def read_json(self, name):
        data = self.read(name, limit=MAX_JSON_BYTES)
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            self._fail(f"{name} is not valid JSON ({type(err).__name__}: {str(err)[:200]}).")

    def weights_file(self):
        """The weights member opened as an in-memory HDF5 file."""
        if WEIGHTS_NAME not in self.members:
            if "model.weights.npz" in self.members:
                self._fail("it stores its weights as model.weights.npz, which kerasj does not read; re-save "
                           "it with the default h5 weights format.")
            self._fail(f"it has no {WEIGHTS_NAME} member.")
        data = self.read(WEIGHTS_NAME)
        try:
            return _h5py().File(io.BytesIO(data), "r")
        except (ValueError,) + H5_READ_ERRORS as err:
            self._fail(f"{WEIGHTS_NAME} is not a readable HDF5 file ({err}).")

    def has_assets(self):
        return any(name.startswith(ASSETS_DIR) for name in self.members)

    def extract_assets(self, path, tmpdir, budget):
        """Write the members under `assets/<path>/` (object `path`'s files, and its sub-objects') into the
        empty folder `tmpdir`, and nothing else; `budget` is a one-item list of the bytes still allowed, which
        this reduces. Returns `tmpdir`."""
        prefix = _assets_member(path)
        root = os.path.realpath(tmpdir)
        for name, info in self.members.items():
            if not name.startswith(prefix) or name == prefix:
                continue
            parts = name[len(prefix):].rstrip("/").split("/")
            if any(part in ("", ".") or "\\" in part for part in parts):
                self._fail(f"the asset member name {name!r} is not a plain relative path.")
            target = os.path.join(root, *parts)
            # Member names were checked for `..` and absolute paths already; this is the last line of defence.
            if os.path.commonpath([root, os.path.realpath(target)]) != root:
                self._fail(f"the asset member {name!r} points outside the asset folder.")
            data = None
            if not info.is_dir():
                if info.file_size > budget[0]:
                    self._fail(f"its assets are larger than the {MAX_ASSET_BYTES} bytes allowed (at {name!r}, "
                               f"{info.file_size} bytes).")
                data = self.read(name, limit=budget[0])
                budget[0] -= len(data)
            try:
                os.makedirs(target if data is None else os.path.dirname(target), exist_ok=True)
                if data is not None:
                    with open(target, "xb") as f:  # never through an existing file or link
                        f.write(data)
            except OSError as err:  # e.g. both a file and a folder of the same name
                self._fail(f"the asset member {name!r} cannot be written to a temporary folder ({err}).")
        return tmpdir

    def close(self):
        self.zf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with `model.save(...)` by kerasj or Keras 3.

    Args:
        filepath: path to a `.keras` file.
        custom_objects: optional `{name: class or function}` for the custom classes and functions the model uses
            (registered ones are found without it).
        compile: compile the loaded model as it was saved (optimizer with its state, loss, metrics), so training
            can continue where it stopped.
        safe_mode: refuse to run code stored in the file (lambdas), in the model's config and its compile
            config alike. Only an explicit False turns it off (only for files you trust); None keeps the
            current setting (`kerasj.config.enable_unsafe_deserialization()`, `safe_mode_scope`).

    Returns:
        The model, with the saved weights.

    Raises:
        ValueError: the file is not a valid archive, or it names classes that are not known (the message says
            how to register them), or its weights do not fit the model.

    Example:
        >>> model = kerasj.models.load_model("classifier.keras")
    """
    safe = resolve_safe_mode(safe_mode)
    filepath = os.fspath(filepath)
    if is_orbax_checkpoint(filepath):  # a directory written by OrbaxCheckpoint (kerasj's or Keras's)
        return load_model_from_orbax(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)
    if filepath.endswith(".weights.h5"):
        raise ValueError(f"load_model: {filepath} holds only weights; build the model and call "
                         "model.load_weights(...) instead.")
    if not filepath.endswith(".keras"):
        raise ValueError(f"load_model: expected a `.keras` file (the Keras 3 model format); received "
                         f"filepath={filepath}. Legacy `.h5` / SavedModel files are not supported.")
    with _Archive(filepath) as archive:
        config = archive.read_json(CONFIG_NAME)
        if METADATA_NAME in archive.members:
            archive.read_json(METADATA_NAME)  # validated, not needed
        if not isinstance(config, dict):
            archive._fail(f"{CONFIG_NAME} must hold a JSON object; it holds a {type(config).__name__}.")
        compile_config = config.get("compile_config")
        model_config = {k: v for k, v in config.items() if k != "compile_config"}
        model = deserialize_keras_object(model_config, custom_objects=custom_objects, safe_mode=safe)
        # As in Keras, a saved layer (a FeatureSpace, say) loads too, not only a model.
        if not isinstance(model, Layer):
            archive._fail(f"{CONFIG_NAME} describes a {type(model).__name__}, not a model or layer.")
        if compile and compile_config and isinstance(model, Model):
            # The compile config (losses, metrics) is read under the same rule as the model's config.
            with CustomObjectScope(custom_objects or {}), safe_mode_scope(safe):
                model.compile_from_config(compile_config)
        if not model.built:
            archive._fail("the model in it could not be built from its config (a subclassed model needs a "
                          "build_config; was it called before saving?).")
        with archive.weights_file() as weights:
            optimizer = getattr(model, "optimizer", None)
            if optimizer is not None and hasattr(optimizer, "build") and not getattr(optimizer, "built", True):
                # Build the optimizer's slots only if the file has them (a model compiled but never trained
                # saves an unbuilt optimizer, whose few variables then load as they are).
                with reading(f"{filepath}/{WEIGHTS_NAME}"):
                    stored = resolve(weights, "optimizer/vars")
                if isinstance(stored, _h5py().Group) and len(stored) > len(optimizer.variables):
                    optimizer.build(model.trainable_variables)
            entries = read_weights(model, weights, f"{filepath}/{WEIGHTS_NAME}")
        if archive.has_assets():  # as in Keras: an archive without assets calls no load_assets()
            _load_assets(archive, entries)
    return model


def _load_assets(archive, entries):
    """Call `load_assets(dir_path)` on each object that has it, `dir_path` a fresh temporary folder holding only
    that object's `assets/<path>/` members (an empty one if the archive has none for it)."""
    budget = [MAX_ASSET_BYTES]
    for path, obj in entries:
        if not callable(getattr(obj, "load_assets", None)):
            continue
        with tempfile.TemporaryDirectory() as tmpdir:
            archive.extract_assets(path, tmpdir, budget)
            try:
                obj.load_assets(tmpdir)
            except Exception as err:
                raise ValueError(f"load_model: {type(obj).__name__} '{obj.name}' could not load its assets from "
                                 f"{archive.filepath} ({_assets_member(path)}): {type(err).__name__}: {err}") from err


def load_weights_from_archive(model, filepath, skip_mismatch=False):
    """`model.load_weights("x.keras")`: the weights of a `.keras` archive, into an already built model."""
    with _Archive(filepath) as archive:
        with archive.weights_file() as weights:
            read_weights(model, weights, f"{filepath}/{WEIGHTS_NAME}", skip_mismatch=skip_mismatch)
