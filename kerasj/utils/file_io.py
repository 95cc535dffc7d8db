"""Atomic file writes: a reader (or a crash) never sees a half-written file.

    >>> with atomic_write("model.weights.h5") as tmp_path:
    ...     write_everything_to(tmp_path)
    >>> # model.weights.h5 is now either the old file or the complete new one

The content goes to a temporary file in the destination's directory (so the final rename never crosses a
file system), is flushed to disk with fsync, and then replaces the destination with `os.replace`, which
is atomic on POSIX and Windows. A process killed in the middle leaves its temporary behind; the next write to
the same path removes it once it is old enough (see `remove_stale_temporaries`).
"""
import contextlib
import os
import re
import secrets
import stat
import time

# How long a temporary must have gone unmodified before another write to the same path treats it as the
# leftover of a dead writer. See `remove_stale_temporaries` for why this rule.
STALE_TEMPORARY_SECONDS = 3600


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


def remove_stale_temporaries(filepath):
    """Remove what writers of `filepath` killed mid-write left: the regular files in its directory named
    exactly `temporary_prefix(filepath)` + 16 lowercase hex digits (the names `atomic_write` makes) that have
    not been modified for `STALE_TEMPORARY_SECONDS`. Nothing else is touched, and a file that cannot be
    removed is left as it is: cleaning up never makes a write fail.

    Age is the test of staleness because nothing else works everywhere a model is saved. The temporary's
    name cannot say who writes it (a process id means nothing on another host sharing the folder, and ids
    are reused), and it cannot be locked while it is written (HDF5 takes its own lock on the file and fails
    if someone else holds one). A live writer keeps changing its file, and a save does not stall for an hour
    between creating its temporary and writing into it, so a temporary untouched for that long has no
    writer left; a crash's leftover is then removed by the first save after that.
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    pattern = re.compile(re.escape(temporary_prefix(filepath)) + "[0-9a-f]{16}")
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                    os.remove(entry.path)


@contextlib.contextmanager
def atomic_write(filepath):
    """Context manager yielding a temporary path to write to; on success it is fsynced and renamed to
    `filepath`, on error it is removed and `filepath` is left untouched. Stale temporaries of `filepath` left
    by writers that were killed are removed first (`remove_stale_temporaries`).

    Example:
        >>> with atomic_write("metadata.json") as tmp:
        ...     with open(tmp, "w") as f:
        ...         json.dump({"epoch": 3}, f)
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot write {filepath}: the directory {directory} does not exist.")
    remove_stale_temporaries(filepath)
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
