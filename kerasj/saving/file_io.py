"""Atomic file writes: a reader (or a crash) never sees a half-written file.

    >>> with atomic_write("model.weights.h5") as tmp_path:
    ...     write_everything_to(tmp_path)
    >>> # model.weights.h5 is now either the old file or the complete new one

The content goes to a temporary file in the destination's directory (so the final rename never crosses a
file system), is flushed to disk with fsync, and then replaces the destination with `os.replace`, which
is atomic on POSIX and Windows.
"""
import contextlib
import os
import secrets


def _fsync_path(path, directory=False):
    flags = os.O_RDONLY
    if directory:
        flags |= getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # some platforms (Windows) cannot open directories; the rename is still atomic
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def temporary_prefix(filepath):
    """The name prefix of the temporary files `atomic_write` uses for `filepath` (to clean up leftovers of
    a process killed mid-write)."""
    return f".{os.path.basename(filepath)}.tmp-"


@contextlib.contextmanager
def atomic_write(filepath):
    """Context manager yielding a temporary path to write to; on success it is fsynced and renamed to
    `filepath`, on error it is removed and `filepath` is left untouched.

    Example:
        >>> with atomic_write("metadata.json") as tmp:
        ...     with open(tmp, "w") as f:
        ...         json.dump({"epoch": 3}, f)
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot write {filepath}: the directory {directory} does not exist.")
    tmp_path = os.path.join(directory, temporary_prefix(filepath) + secrets.token_hex(8))
    # Created like any new file (permissions from the umask, unlike mkstemp's 0600); O_EXCL: never reuse one.
    os.close(os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp_path
        _fsync_path(tmp_path)
        os.replace(tmp_path, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp_path)
        raise
    # Make the rename itself durable.
    _fsync_path(directory, directory=True)


def write_text_atomic(filepath, text):
    """Write `text` to `filepath` atomically (see `atomic_write`)."""
    with atomic_write(filepath) as tmp_path:
        with open(tmp_path, "w", encoding="utf-8") as f:
            f.write(text)
