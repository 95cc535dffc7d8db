"""atomic_write: the destination is either the old file or the complete new one, never a partial write."""
import os

import pytest

from kerasj.saving import file_io
from kerasj.saving.file_io import atomic_write, temporary_prefix, write_text_atomic


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
