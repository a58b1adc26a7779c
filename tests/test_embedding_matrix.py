"""``embedding_matrix``: GloVe rows where the word is known, random rows of GloVe's spread where it
is not, zeros for ``<pad>``, and the coverage over the real words (found by mutation testing,
benchmarks/results/mutation-*.txt)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import error_message

from utils.embeddings import Glove, embedding_matrix
from utils.text import Vocab

RNG = np.random.default_rng(0)
GLOVE = Glove(["good", "bad", "movie"], (RNG.normal(0.0, 3.0, size=(3, 4))).astype(np.float32))


def test_known_words_get_their_vectors_and_pad_gets_zeros():
    vocab = Vocab(["<pad>", "<unk>", "good", "plot", "movie"])
    matrix, coverage = embedding_matrix(vocab, GLOVE)
    assert matrix.shape == (5, 4) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[2], GLOVE.vectors[0])
    np.testing.assert_array_equal(matrix[4], GLOVE.vectors[2])
    assert not matrix[0].any()
    assert coverage == pytest.approx(2 / 3)  # good and movie of good, plot, movie


def test_coverage_of_a_vocabulary_of_one_word():
    assert embedding_matrix(Vocab(["<pad>", "<unk>", "good"]), GLOVE)[1] == 1.0
    assert embedding_matrix(Vocab(["<pad>", "<unk>"]), GLOVE)[1] == 0.0


def test_unknown_words_get_random_rows_with_glove_s_spread_from_the_seed():
    words = [f"w{i}" for i in range(4000)]
    vocab = Vocab(["<pad>", "<unk>", *words])
    matrix, coverage = embedding_matrix(vocab, GLOVE)
    random_rows = matrix[1:]
    assert coverage == 0.0
    assert abs(random_rows.mean()) < 0.1  # centred on 0
    assert random_rows.std() == pytest.approx(GLOVE.vectors.std(), rel=0.05)  # GloVe's spread
    np.testing.assert_array_equal(matrix, embedding_matrix(vocab, GLOVE, seed=0)[0])  # the default seed is 0
    assert not np.array_equal(matrix, embedding_matrix(vocab, GLOVE, seed=1)[0])


@pytest.mark.parametrize(("args", "expected"), [
    (([], GLOVE), "expected embedding_matrix(vocab: Vocab, glove: Glove), got list and Glove: build them with "
                  "Vocab.build and load_glove"),
    ((Vocab(["<pad>", "<unk>"]), {}), "expected embedding_matrix(vocab: Vocab, glove: Glove), got Vocab and dict: "
                                      "build them with Vocab.build and load_glove"),
])
def test_wrong_arguments(args, expected):
    assert error_message(lambda: embedding_matrix(*args)) == expected


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_seeds(seed):
    assert error_message(lambda: embedding_matrix(Vocab(["<pad>", "<unk>"]), GLOVE, seed=seed)) == (
        f"expected seed to be an int >= 0, got {seed!r}")
