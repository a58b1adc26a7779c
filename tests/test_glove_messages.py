"""utils.embeddings.Glove's checks, message by message (found by mutation testing,
benchmarks/results/mutation-*.txt)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import error_message

from utils.embeddings import Glove

WORDS = ["the", "good", "bad"]
VECTORS = np.arange(6, dtype=np.float32).reshape(3, 2)


def message(words, vectors) -> str:
    return error_message(lambda: Glove(words, vectors))


@pytest.mark.parametrize(
    ("words", "vectors", "expected"),
    [
        ("abc", VECTORS, "expected words to be a list of strings, got str"),
        ({"the", "good", "bad"}, VECTORS, "expected words to be a list of strings, got set"),
        (["the", 5, None], VECTORS, "every GloVe word must be a str, got int 5"),
        (WORDS, VECTORS.tolist(), "expected vectors to be a float NumPy array of shape (num_words, dim), got list : "
                                  "convert with np.asarray(vectors, dtype=np.float32)"),
        (WORDS, VECTORS.astype(np.int64), "expected vectors to be a float NumPy array of shape (num_words, dim), got "
                                          "ndarray int64: convert with np.asarray(vectors, dtype=np.float32)"),
        (WORDS, VECTORS[:2], "expected vectors of shape (num_words, dim) = (3, dim >= 1), one row per word, got (2, 2): "
                             "words and vectors must come from the same file, and not be empty"),
        (WORDS, VECTORS[:, :0], "expected vectors of shape (num_words, dim) = (3, dim >= 1), one row per word, got "
                                "(3, 0): words and vectors must come from the same file, and not be empty"),
        (WORDS, VECTORS.ravel(), "expected vectors of shape (num_words, dim) = (3, dim >= 1), one row per word, got "
                                 "(6,): words and vectors must come from the same file, and not be empty"),
        (["good", "the", "good"], VECTORS, "the word 'good' appears twice among the GloVe words: each word needs one "
                                           "vector (keep the first row of each word)"),
    ],
)
def test_glove_messages(words, vectors, expected):
    assert message(words, vectors) == expected


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e39])
def test_damaged_rows_are_counted_and_the_first_is_named(bad):
    vectors = VECTORS.astype(np.float64)
    vectors[1, 0] = bad
    vectors[2, 1] = bad
    assert message(WORDS, vectors) == (
        "2 GloVe vectors hold NaN, infinity or values beyond float32 (the first is 'good'): the vectors file is "
        "damaged; load it again (delete its cache)")


def test_the_largest_float32_is_accepted_and_a_tuple_of_words_too():
    vectors = VECTORS.copy()
    vectors[0, 0] = np.finfo(np.float32).max
    glove = Glove(tuple(WORDS), vectors)
    assert glove.dim == 2 and glove.index() == {"the": 0, "good": 1, "bad": 2}
