"""Downloading files into a local cache: `get_file` (as `keras.utils.get_file`).

    >>> path = get_file("mnist.npz",
    ...                 origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    ...                 file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
    >>> path                                   # downloaded once, then served from the cache
    '/home/me/.kerasj/datasets/mnist.npz'

The cache root is `cache_dir` if given, else `$KERASJ_HOME`, else `~/.kerasj` (read at call time, so a
test or a notebook can point it elsewhere with an environment variable). The directory layout under the
root, including the names of downloaded archives and of their extraction directories, is the one Keras 3
uses under `~/.keras`, so a file taken from a Keras cache can be placed by hand in the kerasj cache.

Guarantees:
- a download goes to a temporary file that is renamed into place only once it is complete and its hash
  (when given) matches, so an interrupted or corrupted download never leaves a file that looks cached;
- a cached file whose hash does not match is downloaded again; if that is impossible the error says so;
- archives are extracted into a temporary directory and renamed into place, refusing members that would
  land outside it (absolute paths, `..`, links pointing out, device files);
- when the file cannot be downloaded (offline, HTTP error) the error names the file, the URL and the exact
  path where the file can be put by hand.
"""
import hashlib
import os
import secrets
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from kerasj.utils.file_io import atomic_write
from kerasj.utils.progbar import Progbar

_CHUNK_SIZE = 1 << 20
# Seconds without any data from the server before giving up (not a limit on the whole download).
_SOCKET_TIMEOUT = 60


class DownloadError(OSError):
    """Raised by `get_file` when a file is neither cached nor downloadable (offline, HTTP error, ...)."""


def kerasj_home():
    """The cache root used when `get_file` gets no `cache_dir`: `$KERASJ_HOME`, else `~/.kerasj`."""
    return os.environ.get("KERASJ_HOME") or os.path.join(os.path.expanduser("~"), ".kerasj")


def _resolve_algorithm(algorithm, file_hash):
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"get_file: `hash_algorithm` must be 'auto', 'sha256' or 'md5'; received {algorithm!r}.")
    if algorithm == "auto":
        # A sha256 digest is 64 hex digits; anything else is taken to be md5, as Keras does.
        return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"
    return algorithm


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of the file at `fpath` ("sha256" or "md5"; "auto" means sha256).

    Example:
        >>> hash_file("mnist.npz")[:12]
        '731c5ac60275'
    """
    hasher = hashlib.new("md5" if algorithm == "md5" else "sha256")
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file at `fpath` has the hex digest `file_hash` (sha256 or md5; "auto" picks by length).

    Example:
        >>> validate_file("mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
        True
    """
    algorithm = _resolve_algorithm(algorithm, file_hash)
    return hash_file(fpath, algorithm, chunk_size) == str(file_hash).lower()


def _writable_root(cache_dir):
    root = os.path.expanduser(os.fspath(cache_dir))
    try:
        os.makedirs(root, exist_ok=True)
    except OSError:
        pass
    if os.path.isdir(root) and os.access(root, os.W_OK):
        return root
    # A read-only home (some clusters, containers) should not make datasets unusable.
    return os.path.join(tempfile.gettempdir(), ".kerasj")


def _cache_paths(fname, origin, datadir, extract):
    """(download target, extraction directory or None), named as Keras 3 names them."""
    provided = fname is not None and os.fspath(fname) != ""
    if provided:
        fname = os.fspath(fname)
        if os.sep in fname or "/" in fname:
            raise ValueError("get_file: `fname` must be a bare file name; to choose the directory use "
                             f"`cache_dir` / `cache_subdir`. Received fname={fname!r}.")
    else:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"get_file: cannot derive a file name from origin={origin!r}; pass `fname`.")
    if not extract:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        stem = fname[:fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def _describe_hash(file_hash, algorithm):
    return f" (expected {algorithm} {file_hash})" if file_hash is not None else ""


def _download(origin, target, file_hash, algorithm, stale_copy):
    print(f"Downloading data from {origin}")
    with atomic_write(target) as tmp_path:
        try:
            with urllib.request.urlopen(origin, timeout=_SOCKET_TIMEOUT) as response, \
                    open(tmp_path, "wb") as out:
                length = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
                total = int(length) if length and length.isdigit() else None
                bar = Progbar(total, unit_name="byte", interval=0.5)
                done = 0
                for chunk in iter(lambda: response.read(_CHUNK_SIZE), b""):
                    out.write(chunk)
                    done += len(chunk)
                    bar.update(done)
                if total is None or done < total:
                    bar.update(done, finalize=True)
                if total is not None and done != total:
                    # Without a hash this is the only sign of a connection that closed early.
                    raise urllib.error.URLError(f"the connection closed after {done} of {total} bytes")
        except (urllib.error.URLError, OSError) as e:
            reason = f"HTTP {e.code} {e.reason}" if isinstance(e, urllib.error.HTTPError) else \
                str(getattr(e, "reason", e))
            stale = (f" The cached copy at {target} does not match the expected hash, so it was not used."
                     if stale_copy else "")
            raise DownloadError(
                f"get_file: could not download {os.path.basename(target)!r} from {origin} ({reason}).{stale} "
                f"If this machine is offline, download that URL elsewhere and place the file at {target}"
                f"{_describe_hash(file_hash, algorithm)}; it will then be used without downloading.") from e
        if file_hash is not None and not validate_file(tmp_path, file_hash, algorithm):
            # Raising inside atomic_write discards the temporary file: nothing corrupt reaches the cache.
            raise ValueError(
                f"get_file: the file downloaded from {origin} is incomplete or corrupted: its {algorithm} hash "
                f"is {hash_file(tmp_path, algorithm)}, expected {file_hash}. Nothing was written to {target}.")


def _check_member(root, name, kind="member"):
    destination = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([destination, root]) != root:
        raise ValueError(f"get_file: refusing to extract archive {kind} {name!r}: it would be written outside "
                         f"the extraction directory.")


def _safe_tar_extract(archive, destination):
    if hasattr(tarfile, "data_filter"):
        # The "data" filter keeps every member inside `destination` (a leading "/" is dropped; `..` paths and
        # links pointing outside are refused) and refuses device files.
        try:
            archive.extractall(destination, filter="data")
        except tarfile.FilterError as e:
            raise ValueError(f"get_file: refusing to extract the archive: {e}") from e
        return
    for member in archive.getmembers():  # Python releases before the filter existed
        _check_member(destination, member.name)
        if member.issym() or member.islnk():
            base = destination if member.islnk() else os.path.dirname(os.path.join(destination, member.name))
            _check_member(destination, os.path.join(base, member.linkname), kind="link")
        elif not (member.isfile() or member.isdir()):
            raise ValueError(f"get_file: refusing to extract special file {member.name!r} from the archive.")
    archive.extractall(destination)


def _extract(archive_path, extraction_dir, archive_format):
    formats = ["tar", "zip"] if archive_format == "auto" else \
        [archive_format] if isinstance(archive_format, str) else list(archive_format or [])
    for fmt in formats:
        if fmt not in ("tar", "zip"):
            raise ValueError(f"get_file: `archive_format` entries must be 'tar' or 'zip'; received {fmt!r}.")
    fmt = next((f for f in formats if (tarfile.is_tarfile if f == "tar" else zipfile.is_zipfile)(archive_path)),
               None)
    if fmt is None:
        raise ValueError(f"get_file: cannot extract {archive_path}: it is not a {' or '.join(formats) or 'known'} "
                         f"archive (archive_format={archive_format!r}).")
    parent = os.path.dirname(extraction_dir)
    staging = os.path.join(parent, f".{os.path.basename(extraction_dir)}.tmp-{secrets.token_hex(8)}")
    os.makedirs(staging)
    try:
        root = os.path.realpath(staging)
        if fmt == "tar":
            with tarfile.open(archive_path) as archive:
                _safe_tar_extract(archive, root)
        else:
            with zipfile.ZipFile(archive_path) as archive:
                for name in archive.namelist():
                    _check_member(root, name)
                archive.extractall(root)
        # A directory cannot be atomically replaced by another: move the old one aside first.
        old = None
        if os.path.lexists(extraction_dir):
            old = f"{staging}-old"
            os.replace(extraction_dir, old)
        os.replace(staging, extraction_dir)
        if old is not None:
            shutil.rmtree(old) if os.path.isdir(old) and not os.path.islink(old) else os.remove(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Download `origin` into the cache (unless already there and intact) and return its local path.

    Arguments are those of `keras.utils.get_file`: `fname` is the cached file's name (default: the last part
    of the URL), `file_hash` the expected sha256 or md5 hex digest (`hash_algorithm="auto"` tells them apart
    by length), `cache_subdir` the folder under the cache root (an absolute path is used as is), `extract`
    unpacks a tar or zip archive and returns the extraction directory instead, `force_download` ignores the
    cache. `untar` and `md5_hash` are the deprecated spellings of `extract` and `file_hash`.

    Example:
        >>> csv_path = get_file(origin="https://example.com/data/train.csv", file_hash="5d41402abc4b2a76...")
        >>> images_dir = get_file("flower_photos", origin="https://example.com/flower_photos.tgz", extract=True)

    Raises:
        DownloadError: the file is not cached and could not be downloaded; the message gives the path where
            it can be placed by hand.
        ValueError: the downloaded file does not match `file_hash`, or invalid arguments.
    """
    if not origin:
        raise ValueError(f"get_file: `origin` (the URL to download from) is required; received origin={origin!r}.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        file_hash = str(file_hash).lower()
    algorithm = _resolve_algorithm(hash_algorithm, file_hash)
    if untar:
        extract, archive_format = True, "tar"

    datadir = os.path.join(_writable_root(kerasj_home() if cache_dir is None else cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    target, extraction_dir = _cache_paths(fname, origin, datadir, extract)

    stale_copy = False
    if force_download or not os.path.exists(target):
        download = True
    elif file_hash is not None and not validate_file(target, file_hash, algorithm):
        print(f"The cached file {target} does not match its expected {algorithm} hash {file_hash} (incomplete or "
              f"outdated); downloading it again.", file=sys.stderr)
        download = stale_copy = True
    else:
        download = False
    if download:
        _download(origin, target, file_hash, algorithm, stale_copy)

    if extraction_dir is None:
        return target
    if download or not os.path.isdir(extraction_dir):
        _extract(target, extraction_dir, archive_format)
    return extraction_dir
