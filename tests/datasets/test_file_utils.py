"""get_file: cache layout (checked against Keras's get_file), hashes, offline errors, atomic downloads and
safe extraction. No test touches the network: urlopen is replaced by an in-memory fake server."""
import hashlib
import io
import os
import tarfile
import urllib.error
import urllib.request
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import pytest

from kerasj.utils import file_utils
from kerasj.utils.file_utils import DownloadError, get_file, hash_file, validate_file

URL = "https://example.com/files/data.bin"
CONTENT = b"kerasj test payload\n" * 50
SHA256 = hashlib.sha256(CONTENT).hexdigest()
MD5 = hashlib.md5(CONTENT).hexdigest()


class _Response(io.BytesIO):
    """What urlopen returns: a readable body with headers; `fail_after` simulates a dropped connection."""

    def __init__(self, body, length=None, fail_after=None):
        super().__init__(body)
        self.headers = {"Content-Length": str(len(body) if length is None else length)}
        self.fail_after = fail_after

    def read(self, size=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset by peer")
        if self.fail_after is not None:
            size = min(size, self.fail_after - self.tell())
        return super().read(size)


class FakeServer:
    def __init__(self):
        self.files, self.requests, self.response_options = {}, [], {}

    def __call__(self, url, timeout=None):
        self.requests.append(url)
        if url not in self.files:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        return _Response(self.files[url], **self.response_options)


@pytest.fixture
def server(monkeypatch, tmp_path):
    fake = FakeServer()
    monkeypatch.setattr(urllib.request, "urlopen", fake)
    monkeypatch.setenv("KERASJ_HOME", str(tmp_path / "home"))
    return fake


def _tar_bytes(members, mode="w:gz", symlinks=()):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in symlinks:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buf.getvalue()


def _listing(directory):
    return sorted(os.path.relpath(os.path.join(root, f), directory)
                  for root, dirs, files in os.walk(directory) for f in files + dirs)


def test_downloads_once_then_serves_from_cache(server, tmp_path):
    server.files[URL] = CONTENT
    path = get_file("data.bin", origin=URL, file_hash=SHA256)
    assert path == str(tmp_path / "home" / "datasets" / "data.bin")
    with open(path, "rb") as f:
        assert f.read() == CONTENT
    assert get_file("data.bin", origin=URL, file_hash=SHA256) == path
    assert server.requests == [URL]  # the second call did not download
    assert _listing(tmp_path / "home" / "datasets") == ["data.bin"]  # no temporary files left behind


def test_fname_defaults_to_url_basename_and_md5_is_detected(server, tmp_path):
    server.files[URL] = CONTENT
    path = get_file(origin=URL, file_hash=MD5, cache_dir=str(tmp_path / "elsewhere"), cache_subdir="sub")
    assert path == str(tmp_path / "elsewhere" / "sub" / "data.bin")
    assert validate_file(path, MD5) and validate_file(path, SHA256)
    assert not validate_file(path, "0" * 64)
    assert hash_file(path) == SHA256 and hash_file(path, "md5") == MD5
    # The deprecated md5_hash spelling still verifies.
    assert get_file(origin=URL, md5_hash=MD5, cache_dir=str(tmp_path / "elsewhere"), cache_subdir="sub") == path


def test_default_cache_root_is_dot_kerasj_in_home(server, monkeypatch, tmp_path):
    monkeypatch.delenv("KERASJ_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    server.files[URL] = CONTENT
    assert get_file("data.bin", origin=URL) == str(tmp_path / "user" / ".kerasj" / "datasets" / "data.bin")


def test_offline_error_names_file_url_and_cache_path(server, tmp_path):
    target = tmp_path / "home" / "datasets" / "data.bin"
    with pytest.raises(DownloadError) as info:
        get_file("data.bin", origin=URL, file_hash=SHA256)
    message = str(info.value)
    for expected in ("'data.bin'", URL, "offline", str(target), SHA256, "name resolution"):
        assert expected in message
    assert isinstance(info.value, OSError)
    assert not target.exists()


def test_http_error_is_reported_with_its_status(server, monkeypatch):
    def not_found(url, timeout=None):
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(urllib.request, "urlopen", not_found)
    with pytest.raises(DownloadError, match="HTTP 404 Not Found"):
        get_file("data.bin", origin=URL)


def test_checksum_mismatch_on_download_writes_nothing(server, tmp_path):
    server.files[URL] = CONTENT + b"tampered"
    with pytest.raises(ValueError, match=f"incomplete or corrupted.*expected {SHA256}"):
        get_file("data.bin", origin=URL, file_hash=SHA256)
    assert _listing(tmp_path / "home" / "datasets") == []


@pytest.mark.parametrize("options", [{"fail_after": 300}, {"length": len(CONTENT) + 10}],
                         ids=["connection-reset", "closed-early"])
def test_failed_download_leaves_no_partial_file(server, tmp_path, options):
    server.files[URL] = CONTENT
    server.response_options = options
    with pytest.raises(DownloadError, match="could not download 'data.bin'"):
        get_file("data.bin", origin=URL)  # no hash: only the transfer itself can reveal the failure
    assert _listing(tmp_path / "home" / "datasets") == []


def test_corrupted_cached_file_is_downloaded_again(server, tmp_path):
    target = tmp_path / "home" / "datasets" / "data.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a file")
    server.files[URL] = CONTENT
    assert get_file("data.bin", origin=URL, file_hash=SHA256) == str(target)
    assert target.read_bytes() == CONTENT and server.requests == [URL]


def test_corrupted_cached_file_offline_is_reported(server, tmp_path):
    target = tmp_path / "home" / "datasets" / "data.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a file")
    with pytest.raises(DownloadError, match="cached copy at .*data.bin does not match the expected hash"):
        get_file("data.bin", origin=URL, file_hash=SHA256)


def test_force_download_ignores_the_cache(server):
    server.files[URL] = CONTENT
    get_file("data.bin", origin=URL)
    get_file("data.bin", origin=URL, force_download=True)
    assert server.requests == [URL, URL]


@pytest.mark.parametrize("kwargs", [
    {"fname": "bundle", "extract": True},
    {"fname": "bundle.tar.gz", "extract": True},
    {"fname": None, "extract": True},
    {"fname": "bundle.tar.gz", "extract": False},
    {"fname": "bundle", "untar": True},
], ids=["plain-name", "dotted-name", "url-name", "no-extract", "untar"])
def test_cache_layout_matches_keras(server, monkeypatch, tmp_path, kwargs):
    from keras.src.utils import file_utils as keras_file_utils

    origin = "https://example.com/files/bundle.tgz"
    archive = _tar_bytes({"bundle/a.txt": b"alpha", "bundle/b/c.txt": b"gamma"})
    server.files[origin] = archive

    def keras_download(url, filename, reporthook=None):
        with open(filename, "wb") as f:
            f.write(server.files[url])

    monkeypatch.setattr(keras_file_utils, "urlretrieve", keras_download)
    (tmp_path / "keras").mkdir()  # Keras falls back to /tmp/.keras when its cache root does not exist yet
    ours = get_file(origin=origin, cache_dir=str(tmp_path / "ours"), **kwargs)
    theirs = keras_file_utils.get_file(origin=origin, cache_dir=str(tmp_path / "keras"), **kwargs)
    assert os.path.relpath(ours, tmp_path / "ours") == os.path.relpath(theirs, tmp_path / "keras")
    assert _listing(tmp_path / "ours") == _listing(tmp_path / "keras")
    if os.path.isdir(ours):
        with open(os.path.join(ours, "bundle", "b", "c.txt"), "rb") as f:
            assert f.read() == b"gamma"
    # A second call reuses both the archive and the extraction.
    assert get_file(origin=origin, cache_dir=str(tmp_path / "ours"), **kwargs) == ours
    assert server.requests == [origin]


def test_safe_links_inside_the_archive_are_kept_without_the_tarfile_filter(server, monkeypatch):
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    server.files[URL] = _tar_bytes({"d/real.txt": b"r"}, symlinks=[("d/alias.txt", "real.txt")])
    folder = get_file("linked", origin=URL, extract=True)
    with open(os.path.join(folder, "d", "alias.txt"), "rb") as f:
        assert f.read() == b"r"


def test_zip_archives_are_extracted(server, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("inner/x.txt", "zip content")
    server.files["https://example.com/z.zip"] = buf.getvalue()
    folder = get_file("zipped", origin="https://example.com/z.zip", extract=True)
    with open(os.path.join(folder, "inner", "x.txt")) as f:
        assert f.read() == "zip content"


def test_zip_members_outside_the_directory_are_refused(server, tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("../../escaped.txt", "pwned")
    server.files["https://example.com/z.zip"] = buf.getvalue()
    with pytest.raises(ValueError, match="refusing to extract archive member '../../escaped.txt'"):
        get_file("zipped", origin="https://example.com/z.zip", extract=True)
    assert sorted(os.listdir(tmp_path / "home" / "datasets")) == ["zipped_archive"]


def test_redownloaded_archive_replaces_the_old_extraction(server, tmp_path):
    origin = "https://example.com/files/bundle.tgz"
    server.files[origin] = _tar_bytes({"v1.txt": b"old"})
    folder = get_file("bundle", origin=origin, extract=True)
    new_archive = _tar_bytes({"v2.txt": b"new"})
    server.files[origin] = new_archive
    folder2 = get_file("bundle", origin=origin, extract=True, file_hash=hashlib.sha256(new_archive).hexdigest())
    assert folder2 == folder and sorted(os.listdir(folder)) == ["v2.txt"]
    assert sorted(os.listdir(tmp_path / "home" / "datasets")) == ["bundle", "bundle_archive"]


@pytest.mark.parametrize("members, symlinks", [
    ({"../escaped.txt": b"pwned"}, ()),
    ({}, [("passwd", "/etc/passwd")]),
    ({}, [("up", "../../..")]),
], ids=["dotdot-path", "absolute-link", "link-out"])
@pytest.mark.parametrize("builtin_filter", [True, False], ids=["tarfile-filter", "own-checks"])
def test_archive_members_outside_the_directory_are_refused(server, monkeypatch, tmp_path, members, symlinks,
                                                           builtin_filter):
    if not builtin_filter:  # what runs on Python releases whose tarfile has no extraction filters
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    origin = "https://example.com/evil.tar.gz"
    server.files[origin] = _tar_bytes({"fine.txt": b"ok", **members}, symlinks=symlinks)
    with pytest.raises(ValueError, match="refusing to extract"):
        get_file("evil", origin=origin, extract=True)
    datasets = tmp_path / "home" / "datasets"
    assert sorted(os.listdir(datasets)) == ["evil_archive"]  # no (partial) extraction directory
    assert not (datasets.parent / "escaped.txt").exists()


def test_not_an_archive_is_an_error(server):
    server.files[URL] = CONTENT
    with pytest.raises(ValueError, match="not a tar or zip archive"):
        get_file("data", origin=URL, extract=True)


@pytest.mark.parametrize("kwargs, match", [
    ({"fname": "a.bin"}, "`origin` .* is required"),
    ({"fname": "sub/a.bin", "origin": URL}, "bare file name.*cache_subdir"),
    ({"origin": "https://example.com/"}, "cannot derive a file name"),
    ({"fname": "a.bin", "origin": URL, "hash_algorithm": "sha1"}, "'auto', 'sha256' or 'md5'"),
])
def test_invalid_arguments(server, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_file(**kwargs)
    assert server.requests == []


def test_read_only_cache_root_falls_back_to_temp(server, monkeypatch, tmp_path):
    monkeypatch.setattr(file_utils.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    monkeypatch.setattr(file_utils.os, "access", lambda path, mode: False)
    server.files[URL] = CONTENT
    assert get_file("data.bin", origin=URL) == str(tmp_path / "tmp" / ".kerasj" / "datasets" / "data.bin")
