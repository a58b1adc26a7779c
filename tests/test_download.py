"""utils/download.py on its own: mirrors and hashes, the downloader, the argument checks, the exact
messages a reader sees, and how extraction failures are told apart (the archive or the disk)."""

import errno
import hashlib
import io
import os
import re
import stat
import tarfile
import zlib
from pathlib import Path

import pooch
import pytest
import requests

from utils import download as dl
from utils.download import DownloadError, Mirror, data_dir, download, safe_extract

HEX = {"md5": "0" * 32, "sha1": "0" * 40, "sha256": "0" * 64}


def make_file(path: Path, content: bytes = b"course data\n") -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return "sha256:" + hashlib.sha256(content).hexdigest()


def make_tar(path: Path, files: dict[str, bytes], mode: int = 0o644) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = mode
            tar.addfile(info, io.BytesIO(content))
    return path


# --- Mirror -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://example.org/a.tar.gz", "http://example.org/a.tar.gz",
                                 "file:///tmp/a.tar.gz"])
@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256"])
def test_every_scheme_and_algorithm_is_accepted(url, algorithm):
    mirror = Mirror(url, f"{algorithm}:{HEX[algorithm]}")
    assert (mirror.url, mirror.known_hash) == (url, f"{algorithm}:{HEX[algorithm]}")


@pytest.mark.parametrize("url", ["ftp://example.org/a", "HTTPS://example.org/a", "example.org/a", "", 5, None])
def test_a_url_without_a_known_scheme_is_refused_with_the_schemes_named(url):
    with pytest.raises(ValueError) as error:
        Mirror(url, "sha256:" + HEX["sha256"])
    assert str(error.value) == ("expected a Mirror url starting with https://, http:// or file://, "
                                f"got {url!r}")


@pytest.mark.parametrize("known_hash", [
    "sha1:" + "0" * 41,              # one digit too many for sha1
    "sha1:" + "0" * 39,
    "md5:" + "0" * 40,               # a sha1 digest labelled md5
    "sha256:" + "g" * 64,            # the right length, not hex
    "sha256:" + "A" * 64,            # upper case: hashlib writes lower case
    "SHA256:" + "0" * 64,            # the algorithm's name as pooch writes it
    "sha512:" + "0" * 128,
    "0" * 64,                        # no algorithm
    "sha256:sha256:" + "0" * 64,
    None,
])
def test_a_malformed_hash_is_refused_with_an_example(known_hash):
    with pytest.raises(ValueError) as error:
        Mirror("https://example.org/a", known_hash)
    assert str(error.value) == ("expected known_hash like 'sha256:<hex digits>' (md5, sha1 or sha256), "
                                f"got {known_hash!r}")


# --- the downloader ----------------------------------------------------------------------------

def test_a_file_url_is_copied_to_a_path_and_to_an_open_file(tmp_path):
    source = tmp_path / "source.bin"
    content = bytes(range(256)) * 50
    make_file(source, content)
    target = tmp_path / "copy.bin"
    dl._LocalOrHTTP()(f"file://{source}", str(target), None)
    assert target.read_bytes() == content
    buffer = io.BytesIO()
    dl._LocalOrHTTP()(f"file://{source}", buffer, None)
    assert buffer.getvalue() == content


def test_a_missing_local_file_is_a_connection_error_naming_it(tmp_path):
    missing = tmp_path / "nothing-here.tar.gz"
    with pytest.raises(requests.ConnectionError) as error:
        dl._LocalOrHTTP()(f"file://{missing}", str(tmp_path / "out"), None)
    assert str(error.value) == f"no such file: {missing}"


def test_an_http_url_goes_to_pooch_with_a_progress_bar_and_a_timeout(monkeypatch):
    calls = []

    class Recorder:
        def __init__(self, **options):
            calls.append(("init", options))

        def __call__(self, *args):
            calls.append(("call", args))

    monkeypatch.setattr(pooch, "HTTPDownloader", Recorder)
    instance = object()
    dl._LocalOrHTTP()("https://example.org/a.tar.gz", "/tmp/out.part", instance)
    assert calls == [("init", {"progressbar": True, "timeout": 30}),
                     ("call", ("https://example.org/a.tar.gz", "/tmp/out.part", instance))]


def test_the_default_cache_is_the_users_cache_folder_for_the_course(monkeypatch, tmp_path):
    monkeypatch.delenv(dl.DATA_ENV_VAR, raising=False)
    assert data_dir() == Path(pooch.os_cache("lstm-book"))
    assert data_dir().name.lower() == "lstm-book" and "XX" not in str(data_dir())
    monkeypatch.setenv(dl.DATA_ENV_VAR, str(tmp_path))
    assert data_dir() == tmp_path


# --- download's arguments ----------------------------------------------------------------------

MIRRORS_MESSAGE = "download needs a non-empty list of Mirror(url, known_hash), e.g. [Mirror(...)]"


@pytest.mark.parametrize("mirrors", [[], (), Mirror("https://example.org/a", "md5:" + HEX["md5"]),
                                     ["https://example.org/a"],
                                     [Mirror("https://example.org/a", "md5:" + HEX["md5"]), "https://x"],
                                     "https://example.org/a", None])
def test_mirrors_must_be_a_non_empty_list_of_mirrors(mirrors, tmp_path):
    with pytest.raises(ValueError) as error:
        download(mirrors, "a.tar.gz", cache_dir=tmp_path)
    assert str(error.value) == MIRRORS_MESSAGE


@pytest.mark.parametrize("fname", ["", ".", "..", "sub/a.tar.gz", "sub\\a.tar.gz", "a\0.tar.gz", 5, None])
def test_fname_must_be_a_plain_file_name(fname, tmp_path):
    with pytest.raises(ValueError) as error:
        download([Mirror("https://example.org/a", "md5:" + HEX["md5"])], fname, cache_dir=tmp_path)
    assert str(error.value) == f"expected fname to be a plain file name such as 'data.tar.gz', got {fname!r}"


def test_cache_dir_of_the_wrong_type_a_nul_or_a_file_is_refused(tmp_path):
    mirrors = [Mirror("https://example.org/a", "md5:" + HEX["md5"])]
    with pytest.raises(TypeError) as error:
        download(mirrors, "a.tar.gz", cache_dir=5)
    assert str(error.value) == "expected cache_dir to be a folder (a str or Path) or None, got int"
    with pytest.raises(ValueError) as error:
        download(mirrors, "a.tar.gz", cache_dir="cache\0dir")
    assert str(error.value) == ("cache_dir 'cache\\x00dir' contains a NUL character, which no folder "
                                "name can hold")
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    with pytest.raises(ValueError) as error:
        download(mirrors, "a.tar.gz", cache_dir=a_file)
    assert str(error.value) == (f"cache_dir {a_file} is a file, not a folder: give a folder (it is "
                                "created if missing)")


def test_a_cache_dir_that_does_not_exist_yet_is_created(tmp_path):
    source = tmp_path / "source" / "a.bin"
    known_hash = make_file(source)
    cache = tmp_path / "new" / "cache"
    path = download([Mirror(f"file://{source}", known_hash)], "a.bin", cache_dir=cache)
    assert path == cache / "a.bin" and path.read_bytes() == source.read_bytes()


def test_every_dead_mirror_is_named_with_its_error(tmp_path):
    first, second = tmp_path / "gone-1.bin", tmp_path / "gone-2.bin"
    mirrors = [Mirror(f"file://{first}", "md5:" + HEX["md5"]), Mirror(f"file://{second}", "sha1:" + HEX["sha1"])]
    with pytest.raises(DownloadError) as error:
        download(mirrors, "a.bin", cache_dir=tmp_path / "cache")
    assert str(error.value) == ("could not download a.bin from any mirror: "
                                f"file://{first} (ConnectionError: no such file: {first}); "
                                f"file://{second} (ConnectionError: no such file: {second})")


def test_the_log_level_of_pooch_is_put_back(tmp_path):
    logger = pooch.get_logger()
    before = logger.level
    with pytest.raises(DownloadError):
        download([Mirror(f"file://{tmp_path}/gone", "md5:" + HEX["md5"])], "a.bin", cache_dir=tmp_path)
    assert logger.level == before


# --- safe_extract ------------------------------------------------------------------------------

def test_extracting_into_a_file_says_the_archive_is_fine(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", {"d/a.txt": b"a"})
    target = tmp_path / "target"
    target.write_text("x")
    with pytest.raises(NotADirectoryError) as error:
        safe_extract(archive, target)
    assert str(error.value) == (f"the destination {target} is a file, not a folder: extract into a "
                                "folder (it is created if missing); the archive is fine")


def test_an_archive_cut_short_is_named_with_the_fix(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", {f"d/{i}.txt": os.urandom(4096) for i in range(20)})
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(ValueError) as error:
        safe_extract(archive, tmp_path / "out")
    assert re.fullmatch(rf"{re.escape(str(archive))} is cut short or damaged \((EOFError|ReadError|BadGzipFile|error): "
                        r".+\): delete it and download it again", str(error.value)), str(error.value)


def test_a_file_that_is_no_tar_archive_is_named_with_the_fix(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(b"<html>a login page, not an archive</html>")
    with pytest.raises(ValueError) as error:
        safe_extract(archive, tmp_path / "out")
    assert re.fullmatch(rf"{re.escape(str(archive))} is not a readable tar archive \(.+\): delete it and "
                        r"download it again", str(error.value), re.DOTALL), str(error.value)
    assert not (tmp_path / "out").exists()


def test_extraction_strips_setuid_and_write_bits_for_others(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", {"d/run.sh": b"echo hi\n"}, mode=0o6777)
    safe_extract(archive, tmp_path / "out")
    mode = (tmp_path / "out" / "d" / "run.sh").stat().st_mode
    assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_IWGRP | stat.S_IWOTH)
    assert (tmp_path / "out" / "d" / "run.sh").read_bytes() == b"echo hi\n"


@pytest.mark.parametrize("failure", [tarfile.ReadError("unexpected end of data"), EOFError("eof"),
                                     zlib.error("invalid stored block lengths"),
                                     OSError("Not a gzipped file (b'PK')")])
def test_a_failure_inside_the_archive_while_extracting_blames_the_download(tmp_path, monkeypatch, failure):
    archive = make_tar(tmp_path / "a.tar.gz", {"d/a.txt": b"a"})

    def broken(self, *args, **kwargs):
        raise failure

    monkeypatch.setattr(tarfile.TarFile, "extractall", broken)
    with pytest.raises(ValueError) as error:
        safe_extract(archive, tmp_path / "out")
    assert str(error.value) == (
        f"{archive} could not be extracted ({type(failure).__name__}: {failure}): the download is "
        "incomplete or damaged; delete the archive and the half-extracted folder, then download again")


def test_a_full_disk_while_extracting_blames_the_disk_and_keeps_errno_and_file(tmp_path, monkeypatch):
    archive = make_tar(tmp_path / "a.tar.gz", {"d/a.txt": b"a"})
    where = str(tmp_path / "out" / "d" / "a.txt")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), where)

    monkeypatch.setattr(tarfile.TarFile, "extractall", full)
    with pytest.raises(OSError) as error:
        safe_extract(archive, tmp_path / "out")
    assert not isinstance(error.value, ValueError)
    assert (error.value.errno, error.value.filename) == (errno.ENOSPC, where)
    assert error.value.strerror == (f"could not write into {tmp_path / 'out'} ({os.strerror(errno.ENOSPC)}): "
                                    "check its free space and permissions, then extract again; the "
                                    "archive is fine")
