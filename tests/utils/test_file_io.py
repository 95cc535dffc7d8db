"""atomic_write: the destination is either the old file or the complete new one, never a partial write, and
the temporaries of writers that died are cleaned up by the next write, those of live writers left alone."""
import os
import signal
import subprocess
import sys
import time

import pytest

from kerasj.utils import file_io
from kerasj.utils.file_io import atomic_write, temporary_prefix, write_text_atomic


def test_replaces_the_file_only_after_fsync(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old")
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(file_io.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(file_io.os, "replace", lambda a, b: (events.append(("replace", a, b)), real_replace(a, b))[1])
    with atomic_write(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)  # same directory, so the rename is atomic
        with open(tmp, "w") as f:
            f.write("new")
        assert target.read_text() == "old"  # nothing visible before the block ends
    assert target.read_text() == "new"
    replace_at = next(i for i, e in enumerate(events) if isinstance(e, tuple))
    assert "fsync" in events[:replace_at]  # the data reached the disk before the rename
    assert events[replace_at][1:] == (tmp, str(target))
    assert os.listdir(tmp_path) == ["out.txt"]


def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_write(target) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("disk on fire")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "a.json", "{}")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.json").read_text() == "{}"
    if os.name == "posix":
        assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


def test_temporary_names_start_with_the_documented_prefix(tmp_path):
    with atomic_write(tmp_path / "w.weights.h5") as tmp:
        assert os.path.basename(tmp).startswith(temporary_prefix(tmp_path / "w.weights.h5"))
        assert os.path.basename(tmp).startswith(".w.weights.h5.tmp-")
        open(tmp, "w").close()


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="directory .*no_such_dir does not exist"):
        write_text_atomic(tmp_path / "no_such_dir" / "a.json", "{}")


# -- leftovers of writers that died --------------------------------------------------------------------------

_KILLED_WRITER = """
import sys, time
from kerasj.utils.file_io import atomic_write
with atomic_write(sys.argv[1]) as tmp:
    with open(tmp, "wb") as f:
        f.write(b"half a model" * 100_000)
        f.flush()
        print(tmp, flush=True)
        time.sleep(600)  # killed here, in the middle of the save
"""


def _age(path, seconds):
    """Make `path` look `seconds` old."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_save_removes_what_a_killed_save_left_and_nothing_else(tmp_path):
    target = tmp_path / "model.keras"
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "JAX_PLATFORMS": "cpu"})
    try:
        leftover = writer.stdout.readline().strip()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    assert os.path.basename(leftover).startswith(temporary_prefix(target)) and os.path.getsize(leftover) > 10 ** 6
    assert not target.exists()

    hex16 = "0123456789abcdef"
    others = {
        f".other.keras.tmp-{hex16}": "another file's temporary",
        f"{temporary_prefix(target)}{hex16[:15]}": "too short to be one of ours",
        f"{temporary_prefix(target)}{hex16}.bak": "a longer name",
        f"{temporary_prefix(target)}{hex16.upper()}": "not the lowercase hex atomic_write uses",
        f"{temporary_prefix(target)[1:]}{hex16}": "no leading dot",
        "model.keras.bak": "unrelated",
        "notes.txt": "unrelated",
    }
    for name, text in others.items():
        (tmp_path / name).write_text(text)
        _age(tmp_path / name, 10 * 24 * 3600)
    live = tmp_path / f"{temporary_prefix(target)}{'f' * 16}"  # another writer, busy right now: recent
    live.write_text("being written")
    folder = tmp_path / f"{temporary_prefix(target)}{'e' * 16}"  # a directory by that name is not ours to remove
    folder.mkdir()
    _age(folder, 10 * 24 * 3600)
    _age(leftover, 2 * file_io.STALE_TEMPORARY_SECONDS)  # the killed save happened a while ago

    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert not os.path.exists(leftover)
    assert sorted(os.listdir(tmp_path)) == sorted(list(others) + [target.name, live.name, folder.name])


def test_a_recent_temporary_is_left_to_its_writer(tmp_path):
    target = tmp_path / "w.weights.h5"
    recent = tmp_path / f"{temporary_prefix(target)}{'a' * 16}"
    recent.write_text("another process is writing this")
    _age(recent, file_io.STALE_TEMPORARY_SECONDS / 2)
    with atomic_write(target) as tmp:
        open(tmp, "w").close()
        assert recent.exists()  # its writer may still rename it into place
    write_text_atomic(target, "again")
    assert recent.read_text() == "another process is writing this"


def test_a_leftover_that_cannot_be_removed_does_not_stop_the_save(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    stale = tmp_path / f"{temporary_prefix(target)}{'b' * 16}"
    stale.write_text("old")
    _age(stale, 2 * file_io.STALE_TEMPORARY_SECONDS)
    real_remove = os.remove

    def refuse(path, *args, **kwargs):
        if os.path.basename(path) == stale.name:
            raise PermissionError(f"cannot remove {path}")
        return real_remove(path, *args, **kwargs)

    monkeypatch.setattr(file_io.os, "remove", refuse)
    write_text_atomic(target, "{}")
    assert target.read_text() == "{}" and stale.exists()
