"""The experiments of chapters 11 and 12 (small, fast runs whose results are checked against
bounds) and the statistics that compare two classifiers on one test set."""

import math

import numpy as np
import pytest

from utils.data import Corpus, Split
from utils.embeddings import Glove
from utils.sentiment import (
    FIXED_CHARS,
    char_experiment,
    char_vocab,
    glove_bilstm_experiment,
    make_loaders,
    mcnemar,
    mean_sd,
    paired_bootstrap,
    predictions_in_order,
    seed_char_experiment,
)
from utils.text import char_tokenize
from utils.training import evaluate

TEXTS = ["good", "bad day", "lovely weather today", "awful", "fine", "terrible service"]
CORPUS = Corpus("toy", *(Split(TEXTS, [1, 0, 1, 0, 1, 0]) for _ in range(3)))


def test_fixed_length_loaders_pad_to_200_like_the_source():
    vocab = char_vocab(CORPUS)
    loaders = make_loaders(CORPUS, vocab, char_tokenize, max_len=FIXED_CHARS, batch_size=4, fixed_length=True)
    tokens, lengths, labels = next(iter(loaders.train))
    assert tokens.shape == (4, FIXED_CHARS) and lengths.max() < FIXED_CHARS and labels.shape == (4,)


def test_bucketed_loaders_pad_to_the_batch_and_see_every_example():
    vocab = char_vocab(CORPUS)
    loaders = make_loaders(CORPUS, vocab, char_tokenize, max_len=FIXED_CHARS, batch_size=2)
    batches = list(loaders.valid)
    assert sum(len(b[2]) for b in batches) == len(TEXTS)
    assert all(b[0].shape[1] == int(b[1].max()) for b in batches)


# --- statistics, against values computed by hand ------------------------------------------------


def _pairs(a_only: int, b_only: int, both: int = 5, neither: int = 3):
    """Predictions of A and B and the labels (all 1) with the given 2x2 table of right/wrong."""
    a = [1] * a_only + [0] * b_only + [1] * both + [0] * neither
    b = [0] * a_only + [1] * b_only + [1] * both + [0] * neither
    return a, b, [1] * len(a)


@pytest.mark.parametrize(
    ("a_only", "b_only", "p_value"),
    [
        (1, 6, 2 * (1 + 7) / 2**7),  # n = 7: 2 (C(7,0) + C(7,1)) / 2^7 = 0.125
        (10, 2, 2 * (1 + 12 + 66) / 2**12),  # n = 12: 0.03857
        (0, 5, 2 / 2**5),  # 0.0625: five of five is not significant at 5%
        (4, 4, 1.0),  # equal counts: 2 * P(X <= 4) > 1, capped at 1
        (0, 0, 1.0),  # no disagreement at all
    ],
)
def test_mcnemar_exact_matches_the_binomial_by_hand(a_only, b_only, p_value):
    result = mcnemar(*_pairs(a_only, b_only))
    assert (result.a_only, result.b_only) == (a_only, b_only)
    assert result.p_value == pytest.approx(p_value, rel=1e-12)


def test_mcnemar_known_value_and_symmetry():
    assert mcnemar(*_pairs(10, 2)).p_value == pytest.approx(0.03857, abs=1e-5)
    a, b, y = _pairs(3, 9)
    assert mcnemar(a, b, y).p_value == mcnemar(b, a, y).p_value
    with pytest.raises(ValueError, match="same non-empty test set"):
        mcnemar([1, 0], [1], [1, 0])


def test_paired_bootstrap_degenerate_cases_are_exact():
    a, b, y = _pairs(0, 0)
    assert paired_bootstrap(a, b, y, samples=500)[:3] == (0.0, 0.0, 0.0)
    a, b, y = _pairs(20, 0, both=0, neither=0)
    assert paired_bootstrap(a, b, y, samples=500)[:3] == (1.0, 1.0, 1.0)


def test_paired_bootstrap_interval_matches_the_normal_approximation():
    # d = +1 on 40 examples, -1 on 20, 0 on 340: mean 0.05, sd sqrt(60/400 - 0.05^2)
    a, b, y = _pairs(40, 20, both=300, neither=40)
    interval = paired_bootstrap(a, b, y, samples=20_000, seed=1)
    half_width = 1.96 * math.sqrt((60 / 400 - 0.05**2) / 400)  # 0.0376
    assert interval.estimate == pytest.approx(0.05)
    assert interval.low == pytest.approx(0.05 - half_width, abs=0.006)
    assert interval.high == pytest.approx(0.05 + half_width, abs=0.006)
    assert paired_bootstrap(a, b, y, seed=1) == paired_bootstrap(a, b, y, seed=1)  # reproducible
    with pytest.raises(ValueError, match="level"):
        paired_bootstrap(a, b, y, level=95)


def test_mean_sd_uses_the_sample_standard_deviation():
    result = mean_sd([0.8, 0.9, 1.0])
    assert result.mean == pytest.approx(0.9) and result.sd == pytest.approx(0.1) and result.n == 3
    assert mean_sd([0.5]).sd == 0.0
    assert str(mean_sd([0.8, 0.9, 1.0])) == "0.9000 ± 0.1000 (n=3)"
    with pytest.raises(ValueError, match="non-empty"):
        mean_sd([])


# --- the experiments, at toy size ----------------------------------------------------------------


def _toy_corpus(n: int, seed: int, *, at_end: bool = False) -> Corpus:
    """Texts of 3 to 12 filler words; positive ones contain "good", negative ones "bad" (at a
    random place, or as the last word with ``at_end``)."""
    rng = np.random.default_rng(seed)
    filler = ["the", "a", "flight", "was", "and", "then", "it", "my", "so", "we"]

    def split(size: int) -> Split:
        labels = [int(v) for v in rng.integers(0, 2, size)]
        texts = []
        for label in labels:
            words = list(rng.choice(filler, size=int(rng.integers(3, 13))))
            place = len(words) if at_end else int(rng.integers(0, len(words)))
            words.insert(place, "good" if label else "bad")
            texts.append(" ".join(words))
        return Split(texts, labels)

    return Corpus("toy", split(n), split(n // 2), split(n // 2))


def test_predictions_in_order_agree_with_evaluate_on_bucketed_batches():
    corpus = _toy_corpus(60, seed=0)
    run = char_experiment(
        corpus, hidden_size=4, bidirectional=False, strategy="exact", bucketed=True, epochs=1, progress=False
    )
    vocab = char_vocab(corpus)
    loaders = make_loaders(corpus, vocab, char_tokenize, max_len=FIXED_CHARS, batch_size=32)
    predictions = predictions_in_order(run.model, loaders.test)
    np.testing.assert_array_equal(predictions, run.test_predictions)
    accuracy = float(np.mean(predictions == np.array(corpus.test.labels)))
    assert accuracy == pytest.approx(evaluate(run.model, loaders.test).accuracy)
    assert run.test_accuracy == pytest.approx(accuracy)
    # the validation fields are the kept epoch's: what fit chose the epoch by
    assert run.valid_accuracy == pytest.approx(max(run.history.column("valid_acc")))
    valid_accuracy = float(np.mean(run.valid_predictions == np.array(corpus.valid.labels)))
    assert run.valid_predictions.shape == (len(corpus.valid),) and run.valid_accuracy == pytest.approx(valid_accuracy)


def test_char_experiment_reads_the_last_word():
    corpus = _toy_corpus(800, seed=1, at_end=True)
    run = char_experiment(
        corpus, hidden_size=16, bidirectional=False, strategy="exact", bucketed=True, epochs=5, progress=False
    )
    assert len(run.history.rows) == 5 and run.test_predictions.shape == (400,)
    assert run.test_accuracy >= 0.9, "an LSTM's state at the last character tells 'good' from 'bad'"


def test_char_experiment_is_reproducible_by_seed():
    corpus = _toy_corpus(60, seed=4)
    settings = dict(
        hidden_size=4, bidirectional=True, strategy="exact", bucketed=True, epochs=1, progress=False
    )
    first, again = (char_experiment(corpus, **settings, seed=0) for _ in range(2))
    assert first.history.rows[0]["train_loss"] == again.history.rows[0]["train_loss"]
    np.testing.assert_array_equal(again.test_predictions, first.test_predictions)
    other = char_experiment(corpus, **settings, seed=1)
    assert other.history.rows[0]["train_loss"] != first.history.rows[0]["train_loss"]


def test_seed_char_model_is_stuck_near_the_base_rate_after_one_epoch():
    corpus = _toy_corpus(200, seed=2)
    run = seed_char_experiment(corpus, epochs=1, progress=False)
    # one hidden unit reading ~150 padding characters after the text: no better than chance
    majority = max(np.mean(corpus.test.labels), 1 - np.mean(corpus.test.labels))
    assert abs(run.test_accuracy - majority) <= 0.1
    assert run.history.rows[0]["train_loss"] > 0.6  # no better than guessing (ln 2 = 0.693)


def test_glove_bilstm_experiment_learns_with_random_vectors_and_keeps_the_best_epoch():
    corpus = _toy_corpus(900, seed=3, at_end=True)
    rng = np.random.default_rng(0)
    words = ["the", "a", "flight", "was", "good", "bad"]  # "and", "then"... are not in this "GloVe"
    glove = Glove(words, rng.normal(0, 0.4, (len(words), 20)).astype(np.float32))
    run = glove_bilstm_experiment(corpus, glove, epochs=5, patience=1, hidden_size=8, progress=False)
    assert run.model.embedding.weight.shape[1] == 20 and run.model.config.strategy == "exact"
    assert 1 <= run.history.best_epoch <= len(run.history.rows) <= 5
    assert run.test_accuracy >= 0.9, "a 2-layer BiLSTM separates 'good' from 'bad' at the last word"
