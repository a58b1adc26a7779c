"""utils/sentiment.py at its edges, without training anything: the statistics' boundaries, defaults and
messages whole (McNemar, the paired bootstrap, mean and SD), the loaders ``make_loaders`` builds (limit,
truncation, batch sizes, which splits are shuffled and by what seed), and what the experiments of chapters
11 and 12 hand to ``fit`` and ``train_and_test`` (recorded by stand-ins, so no model is trained)."""

import math
import types
import warnings

import numpy as np
import pytest
import torch
from conftest import error_message

from utils import sentiment
from utils.data import Corpus, Split
from utils.embeddings import Glove
from utils.models import ClassifierConfig, LSTMClassifier
from utils.sentiment import (
    FIXED_CHARS,
    MAX_WORDS,
    Interval,
    MeanSD,
    char_config,
    char_experiment,
    char_vocab,
    glove_bilstm_config,
    glove_bilstm_experiment,
    make_loaders,
    mcnemar,
    mean_sd,
    paired_bootstrap,
    seed_char_experiment,
    train_and_test,
    word_vocab,
)
from utils.text import Vocab, char_tokenize, tokenizer_mismatch, word_tokenize
from utils.training import TrainingHistory

# 12 texts of 1 to 12 characters: a text's length names it, so the order of the lengths in a pass over
# a loader is the order of the examples
LETTERS = "abcdefghijkl"
TEXTS = [LETTERS[:k] for k in range(1, 13)]
CORPUS = Corpus("toy", *(Split(TEXTS, [k % 2 for k in range(12)]) for _ in range(3)))
VOCAB = char_vocab(CORPUS)


def _lengths(loader) -> list[int]:
    """The lengths of the examples of one pass over ``loader``, in the order it gives them."""
    return [int(n) for _, lengths, _ in loader for n in lengths]


def _examples(loader) -> list[tuple[int, ...]]:
    """The token ids of the examples of one pass over ``loader``, in the order it gives them."""
    return [tuple(row[:n].tolist()) for tokens, lengths, _ in loader for row, n in zip(tokens, lengths, strict=True)]


def _batch_sizes(loader) -> list[int]:
    return [len(labels) for _, _, labels in loader]


def _loaders(**settings):
    return make_loaders(CORPUS, VOCAB, char_tokenize, **{"max_len": FIXED_CHARS, "batch_size": 4, **settings})


def _pairs(a_only: int, b_only: int, both: int, neither: int):
    """Predictions of A and B and the labels (all 1) with the given 2x2 table of right/wrong."""
    a = [1] * a_only + [0] * b_only + [1] * both + [0] * neither
    b = [0] * a_only + [1] * b_only + [1] * both + [0] * neither
    return a, b, [1] * len(a)


RANGE = "expected an int samples in [100, 10**7] and a level such as 0.95 (0 < level < 1), got "
TOO_LARGE = "the values are too large for a mean and a standard deviation in float64 (about 1e308 at most), got "
A, B, Y = _pairs(9, 5, both=13, neither=13)  # d = +1 on 9 examples, -1 on 5, 0 on 26

MESSAGES = [
    # each argument of McNemar's test is named in its own message
    (lambda: mcnemar([0, 2], [0, 1], [0, 1]), "expected pred_a of 0 and 1 only (predictions: logit > 0), got [2]"),
    (lambda: mcnemar([0, 1], [0, 2], [0, 1]), "expected pred_b of 0 and 1 only (predictions: logit > 0), got [2]"),
    (lambda: mcnemar([0, 1], [0, 1], [0, 2]), "expected labels of 0 and 1 only (predictions: logit > 0), got [2]"),
    # level is open at both ends, samples closed at both ends
    (lambda: paired_bootstrap(A, B, Y, level=0), RANGE + "10000 and 0"),
    (lambda: paired_bootstrap(A, B, Y, level=1), RANGE + "10000 and 1"),
    (lambda: paired_bootstrap(A, B, Y, level=1.5), RANGE + "10000 and 1.5"),
    (lambda: paired_bootstrap(A, B, Y, samples=99), RANGE + "99 and 0.95"),
    (lambda: paired_bootstrap(A, B, Y, samples=10**7 + 1), RANGE + "10000001 and 0.95"),
    # samples=10**7 is in range: what stops it is the cost, 10**7 x 51 > 5 * 10**8 (5 * 10**8 // 51 = 9,803,921)
    (lambda: paired_bootstrap(*_pairs(1, 0, both=50, neither=0), samples=10**7),
     "10,000,000 resamples of 51 examples would take minutes: use at most samples=9,803,921 (10,000 is plenty "
     "for a 95% interval)"),
    # the default samples=10,000 is too many for 50,001 examples: 5 * 10**8 // 50,001 = 9,999
    (lambda: paired_bootstrap(*_pairs(1, 0, both=50_000, neither=0)),
     "10,000 resamples of 50,001 examples would take minutes: use at most samples=9,999 (10,000 is plenty for "
     "a 95% interval)"),
    (lambda: paired_bootstrap(A, B, Y, seed=True), "expected seed to be an int >= 0, got True"),
    (lambda: paired_bootstrap(A, B, Y, seed=1.5), "expected seed to be an int >= 0, got 1.5"),
    (lambda: paired_bootstrap(A, B, Y, seed=-1), "expected seed to be an int >= 0, got -1"),
    # mean_sd
    (lambda: mean_sd("0.9"), "expected a list of accuracies, got str (list(...) it first)"),
    (lambda: mean_sd(torch.ones(3, device="meta")),
     "values is on the 'meta' device, which holds shapes but no values: create it on 'cpu' or 'cuda' (or load the "
     "real weights) first"),
    (lambda: mean_sd(np.full((2, 2), 0.5)), "expected a flat list of numbers (n,), got shape (2, 2)"),
    (lambda: mean_sd(torch.full((2, 3), 0.5)), "expected a flat list of numbers (n,), got shape (2, 3)"),
    (lambda: mean_sd([0.5, "0.7"]), "expected numbers, got text: float(...) each value first"),
    (lambda: mean_sd([0.5, True]), "expected accuracies, got True or False among them (a comparison's result?)"),
    (lambda: mean_sd([0.5, np.bool_(False)]),
     "expected accuracies, got True or False among them (a comparison's result?)"),
    # mean 0 is finite, but the deviations' squares overflow: the SD alone is enough to refuse
    (lambda: mean_sd([1e308, -1e308]), TOO_LARGE + "[1e+308, -1e+308]"),
    (lambda: mean_sd([1e308] * 5), TOO_LARGE + "[1e+308, 1e+308, 1e+308, 1e+308]"),  # the first four only
    # the corpus, the vocabulary, the limit
    (lambda: char_vocab(CORPUS.train),
     "expected the whole Corpus (load_corpus() or load_tweets()), got Split: pass the corpus, not one of its "
     "splits"),
    (lambda: char_vocab("tweets.csv"), "expected the whole Corpus (load_corpus() or load_tweets()), got str"),
    (lambda: word_vocab(CORPUS, limit=0), "expected limit (or None) to be at least 1, got 0"),
    (lambda: _loaders(limit=0), "expected limit (or None) to be at least 1, got 0"),
    (lambda: _loaders(limit=2.0), "expected limit (or None) to be an int, got float: 2.0; write 2"),
    (lambda: make_loaders(CORPUS, "chars", char_tokenize, max_len=5, batch_size=4),
     "expected a Vocab (char_vocab(corpus), word_vocab(corpus)), got str"),
    (lambda: _loaders(batch_size=0), "expected batch_size to be at least 1, got 0"),
    (lambda: _loaders(batch_size="4"), "expected batch_size to be an int, got str: '4'"),
    (lambda: _loaders(fixed_length="yes"), "expected fixed_length to be True or False, got str: 'yes'"),
    (lambda: _loaders(fixed_length=True, max_len=None),
     "fixed_length=True pads every text to max_len, so it needs max_len (an int), not None"),
    (lambda: make_loaders(CORPUS, VOCAB, "chars", max_len=5, batch_size=4),
     "expected tokenize to be a function such as word_tokenize, got 'chars'"),
    (lambda: char_experiment(CORPUS, hidden_size=2, bidirectional=False, strategy="exact", bucketed="yes",
                             epochs=1),
     "expected bucketed to be True or False, got str: 'yes'"),
    (lambda: glove_bilstm_config(VOCAB, "glove.6B.100d.txt"),
     "expected the Glove vectors (load_glove()), got str: the embedding size is read from them"),
]


@pytest.mark.parametrize("call, message", MESSAGES, ids=range(len(MESSAGES)))
def test_messages_whole(call, message):
    assert error_message(call) == message


# --- the paired bootstrap -----------------------------------------------------------------------


def test_bootstrap_cost_limit_is_inclusive_and_suggests_at_least_100(monkeypatch):
    """samples x examples may equal the limit, not exceed it; the suggestion is limit // examples,
    but never below the 100 samples the function accepts (the limit is scaled down so that both
    sides of the boundary are cheap to reach)."""
    monkeypatch.setattr(sentiment, "BOOTSTRAP_WORK", 1000)
    exactly = _pairs(10, 0, both=0, neither=0)  # 100 x 10 = 1000: allowed
    assert paired_bootstrap(*exactly, samples=100) == Interval(1.0, 1.0, 1.0, 0.95)
    assert error_message(lambda: paired_bootstrap(*_pairs(11, 0, both=0, neither=0), samples=100)) == (
        "100 resamples of 11 examples would take minutes: use at most samples=100 (10,000 is plenty for a 95% "
        "interval)"  # 1000 // 11 = 90, raised to the minimum 100
    )
    assert error_message(lambda: paired_bootstrap(*_pairs(5, 0, both=0, neither=0), samples=201)) == (
        "201 resamples of 5 examples would take minutes: use at most samples=200 (10,000 is plenty for a 95% "
        "interval)"  # 201 x 5 = 1005 > 1000; 1000 // 5 = 200
    )


def test_bootstrap_is_the_textbook_percentile_interval():
    """The blocks of 1,000 resamples only bound the memory: the interval is the one-shot computation,
    ``default_rng(seed)`` drawing a (samples, n) matrix of example indices at once (2,500 samples: two
    whole blocks and a part; 200 examples, so that the resampled differences are not all ties)."""
    a, b, y = _pairs(45, 25, both=65, neither=65)
    d = np.array([1.0] * 45 + [-1.0] * 25 + [0.0] * 130)
    indices = np.random.default_rng(5).integers(0, len(d), size=(2500, len(d)))
    low, high = np.quantile(d[indices].mean(axis=1), [(1 - 0.9) / 2, (1 + 0.9) / 2])
    interval = paired_bootstrap(a, b, y, samples=2500, level=0.9, seed=5)
    assert interval == pytest.approx(Interval(0.1, low, high, 0.9), abs=1e-12)
    assert low < 0.1 < high


def test_bootstrap_fills_every_resample():
    """With B right and A wrong on every example, every resampled difference is exactly -1: an interval
    at level 0.999 reads the smallest and largest of the 1,500 resamples, so a resample left unset
    (1,500 is not a multiple of the blocks of 1,000) would show."""
    a, b, y = _pairs(0, 6, both=0, neither=0)
    assert paired_bootstrap(a, b, y, samples=1500, level=0.999) == Interval(-1.0, -1.0, -1.0, 0.999)


def test_bootstrap_of_one_example_resamples_that_example():
    assert paired_bootstrap([1], [0], [1], samples=100) == Interval(1.0, 1.0, 1.0, 0.95)
    assert paired_bootstrap([0], [0], [1], samples=100, level=0.5) == Interval(0.0, 0.0, 0.0, 0.5)


def test_bootstrap_is_reproducible_by_seed_and_seed_0_is_the_default():
    by_seed = [paired_bootstrap(A, B, Y, samples=200, seed=seed) for seed in range(4)]
    assert [paired_bootstrap(A, B, Y, samples=200, seed=seed) for seed in range(4)] == by_seed
    assert paired_bootstrap(A, B, Y, samples=200) == by_seed[0]
    assert len({interval[1:3] for interval in by_seed}) > 1, "another seed, other resamples"
    assert all(interval.estimate == pytest.approx((9 - 5) / 40) for interval in by_seed)


def test_bootstrap_swapping_a_and_b_mirrors_the_interval():
    """The same resamples of d and of -d: B - A's interval is A - B's turned around, so the low end is
    the (1 - level) / 2 quantile exactly when the high end is the (1 + level) / 2 one."""
    for level in (0.95, 0.8):
        ab = paired_bootstrap(A, B, Y, samples=1000, level=level, seed=3)
        ba = paired_bootstrap(B, A, Y, samples=1000, level=level, seed=3)
        assert ab.low < ab.estimate < ab.high and ab.level == ba.level == level
        assert (ba.estimate, ba.low, ba.high) == pytest.approx((-ab.estimate, -ab.high, -ab.low), abs=1e-12)


# --- mean and standard deviation ----------------------------------------------------------------


def test_mean_sd_of_two_runs_is_the_sample_sd():
    # two values: |a - b| / sqrt(2)
    result = mean_sd([0.4, 0.6])
    assert result == MeanSD(pytest.approx(0.5), pytest.approx(0.2 / math.sqrt(2)), 2)


def test_mean_sd_reads_tensors_with_gradients_and_bfloat16():
    result = mean_sd(torch.tensor([0.5, 0.75], requires_grad=True))
    assert result == MeanSD(0.625, pytest.approx(0.25 / math.sqrt(2)), 2) and isinstance(result.mean, float)
    assert mean_sd(torch.tensor([0.5, 0.75], dtype=torch.bfloat16)) == result  # both exact in bfloat16


def test_mean_sd_computes_in_float64():
    """float32 values near float32's largest (3.4e38): their sum overflows in float32, not in float64."""
    values = np.array([3e38, 3e38], dtype=np.float32)
    assert mean_sd(values) == MeanSD(float(values[0]), 0.0, 2)


def test_mean_sd_quotes_numpy_on_a_ragged_list():
    ragged = [[0.5, 0.6], [0.7]]
    with pytest.raises(ValueError) as numpy_error:
        np.asarray(ragged, dtype=np.float64)
    reason = str(numpy_error.value)
    assert len(reason) > 80
    assert error_message(lambda: mean_sd(ragged)) == f"expected a flat list of real numbers ({reason[:80]})"


def test_mean_sd_overflow_is_an_error_not_a_warning():
    """Overflow (1e308 + 1e308) and inf - inf (pairs of +-1e308 that NumPy's pairwise sum adds in
    separate partial sums) end in the ValueError, with no RuntimeWarning on the way."""
    cancelling = [0.0] * 16
    cancelling[0] = cancelling[8] = 1e308
    cancelling[1] = cancelling[9] = -1e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert error_message(lambda: mean_sd([1e308, 1e308]), kinds=ValueError) == TOO_LARGE + "[1e+308, 1e+308]"
        assert error_message(lambda: mean_sd(cancelling), kinds=ValueError).startswith(TOO_LARGE + "[1e+308, ")


# --- make_loaders -------------------------------------------------------------------------------


def test_limit_keeps_the_first_examples_of_every_split():
    for limit in (1, 3):
        loaders = _loaders(limit=limit)
        for loader in loaders:
            assert len(loader.dataset) == limit
            assert sorted(_lengths(loader)) == list(range(1, limit + 1))
    assert sorted(_lengths(_loaders().test)) == list(range(1, 13))  # None: all of them


def test_word_vocab_limit_reads_the_first_texts_only():
    corpus = Corpus("words", *(Split(["good day", "bad night", "so so"], [1, 0, 1]) for _ in range(3)))
    assert word_vocab(corpus, limit=1).itos == ["<pad>", "<unk>", "day", "good"]
    assert len(word_vocab(corpus)) == 7


def test_word_vocab_keeps_the_10000_most_frequent_words():
    many = " ".join(f"w{i}" for i in range(10_003))
    corpus = Corpus("words", Split([many, "w10001 w10002"], [1, 0]), Split(["w0"], [1]), Split(["w0"], [1]))
    vocab = word_vocab(corpus)
    assert len(vocab) == 10_000 + 2  # and <pad>, <unk>
    assert vocab.itos[2:4] == ["w10001", "w10002"]  # seen twice: kept before the words seen once


def test_tokenizer_mismatch_is_refused_with_its_reason():
    expected = tokenizer_mismatch(VOCAB, word_tokenize, TEXTS)
    assert expected is not None and "% of the tokens are <unk> with this vocabulary" in expected
    assert error_message(lambda: make_loaders(CORPUS, VOCAB, word_tokenize, max_len=5, batch_size=4)) == expected


def test_bucketed_loaders_cut_texts_at_max_len_and_batch_by_batch_size():
    loaders = _loaders(max_len=3, batch_size=5)
    assert _batch_sizes(loaders.valid) == [5, 5, 2]  # 12 texts; unshuffled: the pool sorted by length
    assert sorted(_lengths(loaders.valid)) == [1, 2] + [3] * 10
    assert all(tokens.shape[1] <= 3 for tokens, _, _ in loaders.train)
    assert _batch_sizes(_loaders(batch_size=1).test) == [1] * 12  # the least batch_size


def test_bucketed_valid_and_test_batches_are_the_same_every_pass():
    loaders = _loaders(batch_size=2, seed=5)
    # unshuffled: one pool sorted by length, longest first, cut in pairs
    for loader in (loaders.valid, loaders.test):
        assert _lengths(loader) == _lengths(loader) == list(range(12, 0, -1))


def test_bucketed_train_batches_follow_the_seed_and_seed_0_is_the_default():
    orders = {seed: _lengths(_loaders(batch_size=2, seed=seed).train) for seed in (0, 1)}
    assert orders[0] != orders[1]
    assert _lengths(_loaders(batch_size=2).train) == orders[0]
    assert orders[1] == _lengths(_loaders(batch_size=2, seed=1).train)  # reproducible


def test_fixed_length_loaders_shuffle_train_by_seed_only():
    """Train: a shuffled order set by ``seed``, not by PyTorch's global generator; valid and test: the
    dataset order on every pass. Every text is padded to max_len."""
    torch.manual_seed(123)
    first = _loaders(fixed_length=True, max_len=20, seed=5)
    order = _lengths(first.train)
    torch.manual_seed(456)
    again = _loaders(fixed_length=True, max_len=20, seed=5)
    assert _lengths(again.train) == order and sorted(order) == list(range(1, 13))
    assert order != list(range(1, 13)), "the training order is shuffled"
    assert _lengths(_loaders(fixed_length=True, max_len=20, seed=6).train) != order
    for loader in (first.valid, first.test):
        assert _lengths(loader) == _lengths(loader) == list(range(1, 13))
    assert {tokens.shape[1] for tokens, _, _ in first.train} == {20}


# --- train_and_test: what it passes to fit (a stand-in that records it) ---------------------------


@pytest.fixture
def fit_calls(monkeypatch):
    calls = []

    def recording_fit(model, train_loader, valid_loader, **settings):
        calls.append({"torch_seed": torch.initial_seed(), **settings})
        return TrainingHistory()

    monkeypatch.setattr(sentiment, "fit", recording_fit)
    return calls


def _tiny_model():
    return LSTMClassifier(char_config(VOCAB, hidden_size=2, bidirectional=False, strategy="exact"))


def test_train_and_test_defaults(fit_calls):
    run = train_and_test(_tiny_model(), _loaders(), epochs=2)
    assert fit_calls == [{"torch_seed": 0, "epochs": 2, "lr": 1e-3, "patience": None, "progress": True}]
    assert run.test_predictions.shape == run.valid_predictions.shape == (12,)


def test_train_and_test_passes_its_settings_to_fit(fit_calls):
    train_and_test(_tiny_model(), _loaders(), epochs=3, lr=0.5, patience=2, seed=7, progress=False)
    assert fit_calls == [{"torch_seed": 7, "epochs": 3, "lr": 0.5, "patience": 2, "progress": False}]


def test_train_and_test_wants_the_loaders_namedtuple():
    loaders = _loaders()
    assert error_message(lambda: train_and_test(_tiny_model(), tuple(loaders), epochs=1)) == (
        "expected the Loaders that make_loaders returns, got tuple"
    )


# --- the experiments: what they pass to train_and_test (a stand-in that records it) ----------------


@pytest.fixture
def runs(monkeypatch):
    calls = []

    def recording_train_and_test(model, loaders, **settings):
        calls.append(types.SimpleNamespace(model=model, loaders=loaders, settings=settings))
        return calls[-1]

    monkeypatch.setattr(sentiment, "train_and_test", recording_train_and_test)
    return calls


# 40 training tweets (more than a batch of 32), the second 250 characters long (more than 200)
TWEETS = ["mnop"[k // 12] + LETTERS[: k % 12] for k in range(40)]  # 1 to 12 characters, all different
TWEETS[1] = "ab" * 125
TWEET_CORPUS = Corpus("tweets", Split(TWEETS, [k % 2 for k in range(40)]), CORPUS.valid, CORPUS.test)
TWEET_VOCAB = char_vocab(TWEET_CORPUS)


def _char_loaders(**settings):
    return make_loaders(TWEET_CORPUS, TWEET_VOCAB, char_tokenize, max_len=FIXED_CHARS, batch_size=32, **settings)


def test_seed_char_experiment_uses_the_sources_loaders(runs):
    run = seed_char_experiment(TWEET_CORPUS, epochs=3)
    assert _examples(run.loaders.train) == _examples(_char_loaders(fixed_length=True).train)  # first passes
    assert run.settings == {"epochs": 3, "seed": 0, "progress": True}
    assert _batch_sizes(run.loaders.train) == [32, 8]
    assert {tokens.shape[1] for tokens, _, _ in run.loaders.train} == {FIXED_CHARS}  # padded to 200
    assert max(_lengths(run.loaders.train)) == FIXED_CHARS  # the 250 characters cut to 200


def test_seed_char_experiment_passes_limit_seed_and_progress(runs):
    run = seed_char_experiment(TWEET_CORPUS, epochs=1, limit=5, seed=3, progress=False)
    assert run.settings == {"epochs": 1, "seed": 3, "progress": False}
    assert [len(loader.dataset) for loader in run.loaders] == [5, 5, 5]
    full = seed_char_experiment(TWEET_CORPUS, epochs=1, seed=3)
    order = _examples(full.loaders.train)
    assert order == _examples(_char_loaders(fixed_length=True, seed=3).train)
    assert order != _examples(_char_loaders(fixed_length=True, seed=0).train)


def _char_run(**settings):
    return char_experiment(TWEET_CORPUS, **{"hidden_size": 3, "bidirectional": False, "strategy": "packed",
                                            "bucketed": True, "epochs": 1, **settings})


def test_char_experiment_bucketed_batches_of_32_cut_at_200(runs):
    run = _char_run()
    assert run.settings == {"epochs": 1, "seed": 0, "progress": True}
    assert sorted(_batch_sizes(run.loaders.train)) == [8, 32]
    assert max(_lengths(run.loaders.train)) == FIXED_CHARS  # the 250 characters cut to 200
    assert {tokens.shape[1] for tokens, _, _ in run.loaders.valid} == {12}  # padded to the batch's longest
    assert run.model.config == char_config(TWEET_VOCAB, hidden_size=3, bidirectional=False, strategy="packed")
    assert next(run.model.parameters()).device == torch.device("cpu")


def test_char_experiment_unbucketed_is_the_sources_padding(runs):
    run = _char_run(bucketed=False, seed=2, limit=33, progress=False)
    assert run.settings == {"epochs": 1, "seed": 2, "progress": False}
    assert _batch_sizes(run.loaders.train) == [32, 1]
    assert {tokens.shape[1] for tokens, _, _ in run.loaders.train} == {FIXED_CHARS}
    assert [len(loader.dataset) for loader in run.loaders] == [33, 12, 12]


def test_char_experiment_training_order_follows_the_seed(runs):
    """Two batches, sorted by length within one pool: the seed sets their order and the order of
    tweets of equal length."""
    order = _examples(_char_run(seed=4).loaders.train)
    assert order == _examples(_char_loaders(seed=4).train)
    assert order != _examples(_char_loaders(seed=0).train)


def test_char_experiment_moves_the_model_to_the_device(runs):
    run = _char_run(device=torch.device("meta"))  # a device every machine has, with no values to compute
    assert next(run.model.parameters()).device == torch.device("meta")


def test_char_config_is_a_one_layer_model_on_16_dimensions():
    assert char_config(VOCAB, hidden_size=5, bidirectional=False, strategy="padded") == ClassifierConfig(
        vocab_size=len(VOCAB), embed_dim=16, hidden_size=5, num_layers=1, bidirectional=False, dropout=0.0,
        pad_id=0, strategy="padded",
    )


# --- chapter 12 ----------------------------------------------------------------------------------

FILLER = ["the", "a", "flight", "was", "good", "bad", "and", "then"]
# 10 reviews; each of the first four has a word of its own; the second is 505 words long (more than 500)
REVIEWS = [" ".join([*FILLER[k % 8 : k % 8 + 4], f"only{k}" if k < 4 else "the"]) for k in range(10)]
REVIEWS[1] = " ".join(FILLER * 63 + ["only1"])
REVIEW_CORPUS = Corpus("reviews", Split(REVIEWS, [k % 2 for k in range(10)]), CORPUS.valid, CORPUS.test)
GLOVE = Glove(FILLER, np.random.default_rng(0).normal(0, 0.4, (len(FILLER), 4)).astype(np.float32))


def test_glove_bilstm_config_defaults_are_chapter_12s_model():
    assert glove_bilstm_config(VOCAB, GLOVE) == ClassifierConfig(
        vocab_size=len(VOCAB), embed_dim=4, hidden_size=256, num_layers=2, bidirectional=True, dropout=0.5,
        pad_id=0, strategy="exact",
    )
    config = glove_bilstm_config(VOCAB, GLOVE, hidden_size=8, strategy="packed")
    assert (config.hidden_size, config.strategy) == (8, "packed")


def test_glove_bilstm_experiment_defaults(runs):
    run = glove_bilstm_experiment(REVIEW_CORPUS, GLOVE, epochs=2)
    assert run.settings == {"epochs": 2, "lr": 1e-3, "patience": 3, "seed": 0, "progress": True}
    assert run.model.config == glove_bilstm_config(word_vocab(REVIEW_CORPUS), GLOVE)  # hidden 256, "exact"
    assert max(_lengths(run.loaders.train)) == MAX_WORDS  # 505 words cut to 500
    assert _batch_sizes(run.loaders.train) == [10]  # batches of 30
    assert next(run.model.parameters()).device == torch.device("cpu")


def test_glove_bilstm_experiment_passes_its_settings(runs):
    run = glove_bilstm_experiment(REVIEW_CORPUS, GLOVE, epochs=1, lr=0.5, patience=2, hidden_size=8,
                                  strategy="packed", limit=3, seed=4, progress=False, device=torch.device("meta"))
    assert run.settings == {"epochs": 1, "lr": 0.5, "patience": 2, "seed": 4, "progress": False}
    vocab = word_vocab(REVIEW_CORPUS, limit=3)  # only0..only2 among its words
    assert run.model.config == glove_bilstm_config(vocab, GLOVE, hidden_size=8, strategy="packed")
    assert len(vocab) == len(word_vocab(REVIEW_CORPUS)) - 1
    assert [len(loader.dataset) for loader in run.loaders] == [3, 3, 3]
    assert next(run.model.parameters()).device == torch.device("meta")


def test_glove_bilstm_experiment_training_order_follows_the_seed(runs):
    """All 10 reviews make one batch, sorted by length; reviews of equal length keep their shuffled
    order, which the seed sets."""

    def order(seed):
        loaders = make_loaders(REVIEW_CORPUS, word_vocab(REVIEW_CORPUS), word_tokenize, max_len=MAX_WORDS,
                               batch_size=30, seed=seed)
        return _examples(loaders.train)

    run = glove_bilstm_experiment(REVIEW_CORPUS, GLOVE, epochs=1, hidden_size=2, seed=4)
    assert _examples(run.loaders.train) == order(4) != order(0)


def test_vocab_pad_id_is_fixed_at_0():
    """Why a loader's padding value and a config's pad_id need no vocabulary: every Vocab's <pad> is 0."""
    assert Vocab(["<pad>", "<unk>", "x"]).pad_id == VOCAB.pad_id == 0
