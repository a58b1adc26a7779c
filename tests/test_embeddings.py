"""GloVe loading (offline 50d, downloaded 100d from a local zip built here) and the embedding matrix."""

import hashlib
import zipfile

import numpy as np
import pytest

from utils import embeddings
from utils.embeddings import Glove, embedding_matrix, load_glove, load_glove_or_offline
from utils.text import Vocab


def test_offline_50d_is_the_real_glove():
    glove = load_glove(50)
    assert glove.vectors.shape == (400_000, 50) and glove.vectors.dtype == np.float32
    assert glove.words[:4] == ["the", ",", ".", "of"]
    np.testing.assert_allclose(glove.vectors[0, :3], [0.418, 0.24968, -0.41242])  # "the" in glove.6B.50d.txt


def test_100d_download_is_hash_checked_and_cached(tmp_path, monkeypatch):
    lines = ["the " + " ".join(["0.5"] * 100), "movie " + " ".join(["-1.0"] * 100)]
    archive = tmp_path / "src.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("glove.6B.100d.txt", "\n".join(lines) + "\n")
    sha1 = hashlib.sha1(archive.read_bytes()).hexdigest()
    monkeypatch.setitem(embeddings.GLOVE_DOWNLOADS, 100, (f"file://{archive}", f"sha1:{sha1}"))
    cache = tmp_path / "cache"
    glove = load_glove(100, cache_dir=cache)
    assert glove.words == ["the", "movie"] and glove.vectors.shape == (2, 100)
    assert (cache / "glove.6B.100d.npy").exists()
    archive.unlink()  # now served from the .npy cache
    np.testing.assert_array_equal(load_glove(100, cache_dir=cache).vectors, glove.vectors)


def test_100d_with_a_wrong_hash_is_refused(tmp_path, monkeypatch):
    archive = tmp_path / "src.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("glove.6B.100d.txt", "the " + " ".join(["0.5"] * 100) + "\n")
    monkeypatch.setitem(embeddings.GLOVE_DOWNLOADS, 100, (f"file://{archive}", "sha1:" + "0" * 40))
    with pytest.raises(ValueError, match="hash"):
        load_glove(100, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache" / "glove.6B.100d.zip").exists()


def test_offline_100d_says_what_is_missing_and_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(embeddings.GLOVE_DOWNLOADS, 100, ("file:///nonexistent/glove.zip", "sha1:" + "0" * 40))
    with pytest.raises(RuntimeError, match=r"unavailable offline.*glove.6B.100d.zip.*load_glove\(50\)"):
        load_glove(100, cache_dir=tmp_path)


def test_fallback_prints_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(embeddings.GLOVE_DOWNLOADS, 100, ("file:///nonexistent/glove.zip", "sha1:" + "0" * 40))
    assert load_glove_or_offline(100, cache_dir=tmp_path).dim == 50
    assert "uses the 50-dimensional GloVe vectors" in capsys.readouterr().out


def test_unsupported_dimension():
    with pytest.raises(ValueError, match="dim=50"):
        load_glove(300)


def test_embedding_matrix_copies_known_words_and_zeroes_pad():
    glove = Glove(["good", "bad"], np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    vocab = Vocab(["<pad>", "<unk>", "good", "unseen"])
    matrix, coverage = embedding_matrix(vocab, glove)
    assert matrix.shape == (4, 2) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[0], [0.0, 0.0])
    np.testing.assert_array_equal(matrix[2], [1.0, 2.0])
    assert coverage == 0.5
