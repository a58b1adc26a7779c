"""Downloads and the download cache (chapters 10 and 12): hash-checked, mirrored, extracted safely.

Nothing here runs on import. Tests point the cache at a temporary folder with
``$LSTM_BOOK_DATA`` and serve archives they build themselves through ``file://`` URLs, so no
test ever touches the network or the user's cache.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pooch
import requests

from utils.config import QUICK_ENV_VAR, quick_mode

DATA_ENV_VAR = "LSTM_BOOK_DATA"


@dataclass(frozen=True)
class Mirror:
    """One place a file can be downloaded from, with the hash that place is checked against."""

    url: str
    known_hash: str  # "md5:...", "sha1:..." or "sha256:..."

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.startswith(("https://", "http://", "file://")):
            raise ValueError(f"expected a Mirror url starting with https://, http:// or file://, "
                             f"got {self.url!r}")
        algorithm, _, digest = str(self.known_hash).partition(":")
        sizes = {"md5": 32, "sha1": 40, "sha256": 64}
        length = sizes.get(algorithm)
        if length is None or not re.fullmatch(r"[0-9a-f]+", digest) or len(digest) != length:
            raise ValueError(f"expected known_hash like 'sha256:<hex digits>' (md5, sha1 or sha256), "
                             f"got {self.known_hash!r}")


class DownloadError(OSError):
    """Every mirror failed with a network error; the message names each URL tried."""


def data_dir() -> Path:
    """Where downloads are cached: ``$LSTM_BOOK_DATA`` if set, else the user cache directory."""
    return Path(os.environ.get(DATA_ENV_VAR) or pooch.os_cache("lstm-book"))


class _LocalOrHTTP:
    """A pooch downloader that also copies ``file://`` URLs (used by the tests, no network)."""

    def __call__(self, url: str, output_file: str | IO[bytes], pooch_instance: Any) -> None:
        if url.startswith("file://"):
            path = url.removeprefix("file://")
            if not os.path.isfile(path):
                raise requests.ConnectionError(f"no such file: {path}")
            with open(path, "rb") as source:
                if isinstance(output_file, str | os.PathLike):
                    with open(output_file, "wb") as target:
                        shutil.copyfileobj(source, target)
                else:
                    shutil.copyfileobj(source, output_file)
            return
        pooch.HTTPDownloader(progressbar=True, timeout=30)(url, output_file, pooch_instance)


def download(mirrors: Sequence[Mirror], fname: str, *, cache_dir: Path | None = None) -> Path:
    """Download ``fname`` once into the cache from the first mirror that answers.

    Each mirror is checked against its own hash; pooch writes to a temporary file and moves it
    into place only after the hash matched, so a corrupted or tampered download never lands in
    the cache. A hash mismatch is an error at once (``ValueError``), never a reason to try the
    next mirror silently. When every mirror fails with a network error, :class:`DownloadError`
    names each URL and its error.
    """
    if (isinstance(mirrors, Mirror) or not isinstance(mirrors, list | tuple) or not mirrors
            or not all(isinstance(m, Mirror) for m in mirrors)):
        raise ValueError("download needs a non-empty list of Mirror(url, known_hash), e.g. [Mirror(...)]")
    if (not isinstance(fname, str) or fname in ("", ".", "..") or "/" in fname or "\\" in fname
            or "\0" in fname):
        raise ValueError(f"expected fname to be a plain file name such as 'data.tar.gz', got {fname!r}")
    if cache_dir is not None and not isinstance(cache_dir, str | os.PathLike):
        raise TypeError("expected cache_dir to be a folder (a str or Path) or None, got "
                        f"{type(cache_dir).__name__}")
    if cache_dir is not None and "\0" in str(cache_dir):
        raise ValueError(f"cache_dir {str(cache_dir)!r:.60} contains a NUL character, which no folder "
                         "name can hold")
    if cache_dir is not None and Path(cache_dir).exists() and not Path(cache_dir).is_dir():
        raise ValueError(f"cache_dir {cache_dir} is a file, not a folder: give a folder (it is "
                         "created if missing)")
    if quick_mode():
        raise DownloadError(f"quick mode ({QUICK_ENV_VAR}=1, as in `make test`) never downloads {fname}")
    failures = []
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # the progress bar shows a real download; no log line for a failed one
    try:
        for mirror in mirrors:
            try:
                folder = Path(cache_dir or data_dir()).expanduser()
                path = pooch.retrieve(mirror.url, known_hash=mirror.known_hash, fname=fname, path=folder,
                                      downloader=_LocalOrHTTP())
                return Path(path)
            except requests.RequestException as error:  # no network, a dead mirror, an HTTP error
                failures.append(f"{mirror.url} ({type(error).__name__}: {error})")
            except ValueError as error:  # pooch: the hash does not match; the file was not kept
                raise ValueError(
                    f"{fname} from {mirror.url} failed its hash check ({error}); it was not saved. "
                    f"Try again later (a broken or tampered download); if it persists, the mirror "
                    f"serves another file than {mirror.known_hash} names: report it"
                ) from error
    finally:
        logger.setLevel(level)
    raise DownloadError(f"could not download {fname} from any mirror: " + "; ".join(failures))


def safe_extract(archive: Path, destination: Path) -> None:
    """Extract a tar archive after checking every member; refuse absolute paths, ``..``, links and devices."""
    if not Path(archive).is_file():
        raise FileNotFoundError(f"no archive file at {archive}: download it first")
    if Path(destination).exists() and not Path(destination).is_dir():
        raise NotADirectoryError(f"the destination {destination} is a file, not a folder: extract into a "
                                 "folder (it is created if missing); the archive is fine")
    try:
        tar_file = tarfile.open(archive)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise ValueError(f"{archive} is not a readable tar archive ({error}): delete it and download "
                         "it again") from None
    with tar_file as tar:
        try:
            members = tar.getmembers()
        except (EOFError, tarfile.TarError, zlib.error) as error:
            raise ValueError(f"{archive} is cut short or damaged ({type(error).__name__}: {error}): "
                             "delete it and "
                             "download it again") from None
        for member in members:
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts:
                raise ValueError(
                    f"refusing to extract {archive}: member {member.name!r} would leave the "
                    f"destination folder; delete {archive} and download it again"
                )
            if not (member.isfile() or member.isdir()):
                raise ValueError(
                    f"refusing to extract {archive}: member {member.name!r} is a link or special file; "
                    f"delete {archive} and download it again"
                )
        try:
            tar.extractall(destination, members=members, filter="data")
        except OSError as error:
            if error.errno is None:  # gzip's BadGzipFile: the archive itself
                raise _damaged(archive, error) from None
            raise OSError(error.errno, f"could not write into {destination} ({error.strerror}): check its "
                          "free space and permissions, then extract again; the archive is fine",
                          error.filename) from None
        except (EOFError, tarfile.TarError, zlib.error) as error:
            raise _damaged(archive, error) from None


def _damaged(archive: Path, error: Exception) -> ValueError:
    return ValueError(f"{archive} could not be extracted ({type(error).__name__}: {error}): the download "
                      "is incomplete or damaged; delete the archive and the half-extracted folder, then "
                      "download again")
