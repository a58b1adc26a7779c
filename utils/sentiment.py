"""The sentiment experiments of chapters 11 and 12 and ``benchmarks/sentiment_accuracy.py``, in one
place, so that the chapters and the benchmark train the same models on the same split; and the
statistics that compare two classifiers on one test set (McNemar's exact test, a paired bootstrap,
mean and standard deviation over seeds)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch
from scipy.stats import binom  # type: ignore[import-untyped]
from torch import nn
from torch.utils.data import DataLoader

from utils.checks import check_bool, check_has_values, check_int, check_seed
from utils.data import Corpus, Split, zero_one
from utils.embeddings import Glove, embedding_matrix
from utils.models import CharSeedModel, ClassifierConfig, LSTMClassifier
from utils.sequences import BucketBatchSampler, collate_padded
from utils.text import TextDataset, Vocab, char_tokenize, tokenizer_mismatch, word_tokenize
from utils.training import TrainingHistory, _check_logits, evaluate, fit, model_device, predicted_labels

FIXED_CHARS = 200  # the source pads or truncates every tweet to 200 characters
MAX_WORDS = 500  # chapter 12 keeps a text's first 500 tokens
WORD_BATCH = 30  # chapter 12's batch size, the source's


# ---------------------------------------------------------------------------------------------
# Comparing two classifiers on the same test set


class McNemar(NamedTuple):
    """``a_only``: test examples only classifier A gets right; ``b_only``: only B; ``p_value``:
    the exact two-sided binomial p-value of "A and B are equally accurate"."""

    a_only: int
    b_only: int
    p_value: float


def _paired_correct(
    pred_a: Sequence[int], pred_b: Sequence[int], labels: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    a, b, y = zero_one(pred_a, "pred_a"), zero_one(pred_b, "pred_b"), zero_one(labels, "labels")
    if not (len(a) == len(b) == len(y)) or len(y) == 0:
        raise ValueError(
            f"expected predictions and labels for the same non-empty test set, got lengths "
            f"{len(a)}, {len(b)} and {len(y)}"
        )
    return a == y, b == y


def mcnemar(pred_a: Sequence[int], pred_b: Sequence[int], labels: Sequence[int]) -> McNemar:
    """McNemar's exact test on the examples where exactly one classifier is right.

    pred_a, pred_b, labels: (n,) 0/1. With b = #(A right, B wrong), c = #(A wrong, B right) and
    n = b + c, under "equally accurate" b ~ Binomial(n, 1/2):

        p = min(1, 2 * sum_{k <= min(b, c)} C(n, k) / 2^n)
    """
    right_a, right_b = _paired_correct(pred_a, pred_b, labels)
    b, c = int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b))
    n = b + c
    # p = 2 * P(X <= min(b, c)), X ~ Binomial(n, 1/2), capped at 1 (SciPy's binomial CDF: the
    # exact sum of C(n, k) / 2^n grows with n^2 and takes minutes for 50,000 disagreements)
    tail = float(binom.cdf(min(b, c), n, 0.5))
    return McNemar(b, c, min(1.0, 2 * tail))


class Interval(NamedTuple):
    """``estimate`` and its ``low``-``high`` interval at ``level`` (e.g. 0.95)."""

    estimate: float
    low: float
    high: float
    level: float


BOOTSTRAP_WORK = 5 * 10**8  # resamples x examples: 20,000 resamples of IMDB's 25,000 test reviews


def paired_bootstrap(
    pred_a: Sequence[int],
    pred_b: Sequence[int],
    labels: Sequence[int],
    *,
    samples: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Accuracy of A minus accuracy of B, with a percentile interval from resampling the test
    examples with replacement (both classifiers see the same resampled examples)."""
    level_ok = not isinstance(level, bool) and isinstance(level, int | float) and 0 < level < 1
    samples_ok = not isinstance(samples, bool) and isinstance(samples, int) and 100 <= samples <= 10**7
    if not samples_ok or not level_ok:
        raise ValueError(f"expected an int samples in [100, 10**7] and a level such as 0.95 (0 < level < 1), "
                         f"got {samples!r} and {level!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"expected seed to be an int >= 0, got {seed!r}")
    right_a, right_b = _paired_correct(pred_a, pred_b, labels)
    if samples * len(right_a) > BOOTSTRAP_WORK:  # the cost is samples x examples
        raise ValueError(f"{samples:,} resamples of {len(right_a):,} examples would take minutes: use at "
                         f"most samples={max(100, BOOTSTRAP_WORK // len(right_a)):,} (10,000 is plenty for "
                         "a 95% interval)")
    # d_i = 1{A right on i} - 1{B right on i};  difference = mean(d)
    d = right_a.astype(np.float64) - right_b.astype(np.float64)  # (n,)
    rng = np.random.default_rng(seed)
    means = np.empty(samples)
    for start in range(0, samples, 1000):  # resample in blocks to bound memory
        rows = min(1000, samples - start)
        means[start : start + rows] = d[rng.integers(0, len(d), size=(rows, len(d)))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(d.mean()), float(low), float(high), level)


class MeanSD(NamedTuple):
    """Mean and sample standard deviation (n - 1 in the denominator) over ``n`` runs."""

    mean: float
    sd: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.sd:.4f} (n={self.n})"


def mean_sd(values: Sequence[float]) -> MeanSD:
    """values: (n,) accuracies of n seeds -> mean and sample standard deviation (0 for n = 1)."""
    if isinstance(values, str | bytes | set | frozenset | dict) or not hasattr(values, "__len__"):
        raise TypeError(f"expected a list of accuracies, got {type(values).__name__} (list(...) it first)")
    check_has_values(values, "values")
    if hasattr(values, "detach"):  # a tensor, possibly with gradients or in bfloat16
        values = values.detach().cpu().double().numpy()
    if getattr(values, "ndim", 1) != 1:
        raise ValueError(f"expected a flat list of numbers (n,), got shape {np.shape(values)}")
    if any(isinstance(v, str | bytes) for v in values):
        raise TypeError("expected numbers, got text: float(...) each value first")
    if any(isinstance(v, bool | np.bool_) for v in values):
        raise TypeError("expected accuracies, got True or False among them (a comparison's result?)")
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:  # a ragged list, complex numbers
        raise TypeError(f"expected a flat list of real numbers ({str(error)[:80]})") from None
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(f"expected a non-empty list of numbers, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"expected finite numbers, got {array.tolist()}: a run that failed gives NaN")
    with np.errstate(over="ignore", invalid="ignore"):
        mean, sd = float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0
    if not (math.isfinite(mean) and math.isfinite(sd)):
        raise ValueError(f"the values are too large for a mean and a standard deviation in float64 "
                         f"(about 1e308 at most), got {array.tolist()[:4]}")
    return MeanSD(mean, sd, len(array))


# ---------------------------------------------------------------------------------------------
# Loaders, training, test predictions


def _check_corpus(corpus: object) -> Corpus:
    if not isinstance(corpus, Corpus):
        raise TypeError("expected the whole Corpus (load_corpus() or load_tweets()), got "
                        f"{type(corpus).__name__}"
                        + (": pass the corpus, not one of its splits" if isinstance(corpus, Split) else ""))
    return corpus


def _check_limit(limit: object) -> int | None:
    """``limit``: the first ``limit`` examples of each split (quick runs), or None for all."""
    return None if limit is None else check_int(limit, "limit (or None)", minimum=1)


def _check_vocab(vocab: object) -> Vocab:
    if not isinstance(vocab, Vocab):
        raise TypeError("expected a Vocab (char_vocab(corpus), word_vocab(corpus)), got "
                        f"{type(vocab).__name__}")
    return vocab


class Loaders(NamedTuple):
    train: DataLoader
    valid: DataLoader
    test: DataLoader


UNK_SAMPLE = 200  # training texts read to check that the vocabulary and the tokenizer match


def make_loaders(
    corpus: Corpus,
    vocab: Vocab,
    tokenize: Callable[[str], list[str]],
    *,
    max_len: int,
    batch_size: int,
    fixed_length: bool = False,
    limit: int | None = None,
    seed: int = 0,
) -> Loaders:
    """Train/valid/test loaders of (tokens (B, T), lengths (B,), labels (B,)) batches.

    ``fixed_length``: batches in random order, every text padded to ``max_len`` (the source's
    setup); otherwise bucketed batches (``BucketBatchSampler``) padded to their own longest text.
    The training order depends on ``seed``; validation and test batches are the same every time.
    """
    _check_corpus(corpus), _check_vocab(vocab)
    limit = _check_limit(limit)
    batch_size, seed = check_int(batch_size, "batch_size", minimum=1), check_seed(seed)
    if check_bool(fixed_length, "fixed_length") and max_len is None:
        raise ValueError("fixed_length=True pads every text to max_len, so it needs max_len (an int), "
                         "not None")
    if not callable(tokenize):
        raise TypeError(f"expected tokenize to be a function such as word_tokenize, got {tokenize!r}")
    mismatch = tokenizer_mismatch(vocab, tokenize, corpus.train.texts[:UNK_SAMPLE])
    if mismatch:
        raise ValueError(mismatch)
    collate = functools.partial(
        collate_padded, pad_value=vocab.pad_id, pad_to=max_len if fixed_length else None
    )

    def loader(split: Split, shuffle: bool) -> DataLoader:
        data = TextDataset(split.texts[:limit], split.labels[:limit], vocab, tokenize, max_len=max_len)
        if fixed_length:
            generator = torch.Generator().manual_seed(seed)
            return DataLoader(
                data, batch_size=batch_size, shuffle=shuffle, collate_fn=collate, generator=generator
            )
        sampler = BucketBatchSampler(data.lengths(), batch_size, seed=seed, shuffle=shuffle)
        return DataLoader(data, batch_sampler=sampler, collate_fn=collate)

    return Loaders(loader(corpus.train, True), loader(corpus.valid, False), loader(corpus.test, False))


@torch.no_grad()
def predictions_in_order(model: nn.Module, loader: DataLoader) -> np.ndarray:
    """0/1 predictions (logit > 0) for every example of an unshuffled ``loader``, in dataset order,
    computed on exactly the batches ``evaluate`` sees. Returns (len(loader.dataset),)."""
    if not isinstance(loader, DataLoader) or loader.batch_sampler is None:
        raise TypeError("expected a DataLoader with a batch_sampler (or batch_size), as make_loaders builds")
    device = model_device(model)
    was_training = model.training
    model.eval()
    predictions = np.full(len(loader.dataset), -1)  # type: ignore[arg-type]
    # One pass over the sampler, each batch collated from the indices it gives: the predictions
    # land on the right examples even if the sampler shuffles (it would give another order on a
    # second pass).
    # A bucketing sampler moves to its next epoch when iterated: put its epoch back afterwards, so
    # that a look at the training split does not change the next epoch's batches.
    epoch = getattr(loader.batch_sampler, "epoch", None)
    try:
        for indices in loader.batch_sampler:
            batch = loader.collate_fn([loader.dataset[i] for i in indices])
            if not isinstance(batch, tuple | list) or len(batch) != 3:
                raise TypeError("expected a loader that collates with collate_padded (utils.sequences), as "
                                "make_loaders builds: its batches must be (tokens, lengths, labels)")
            tokens, lengths, labels = batch
            logits = _check_logits(model(tokens.to(device), lengths), labels)  # (B,)
            predictions[list(indices)] = predicted_labels(logits).long().cpu().numpy()
    finally:
        model.train(was_training)
        if epoch is not None:
            setattr(loader.batch_sampler, "epoch", epoch)  # noqa: B010 - the attribute exists on this sampler
    if (predictions < 0).any():
        raise ValueError("the loader did not visit every example: use a loader over the whole split")
    return predictions


class Run(NamedTuple):
    """One trained model: its history (best validation epoch kept), the test accuracy measured
    once, its 0/1 test predictions in the corpus's test order, the model itself, and its
    accuracy and 0/1 predictions on the validation split (the kept epoch's), for choosing
    between models without the test split."""

    history: TrainingHistory
    test_accuracy: float
    test_predictions: np.ndarray  # (n_test,)
    model: nn.Module
    valid_accuracy: float
    valid_predictions: np.ndarray  # (n_valid,)


def train_and_test(
    model: nn.Module,
    loaders: Loaders,
    *,
    epochs: int,
    lr: float = 1e-3,
    patience: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Run:
    """``fit`` on train (best epoch chosen on valid), then the validation and test predictions of
    the kept weights. A chapter reads the test fields only for the models it has chosen."""
    if not isinstance(loaders, Loaders):
        raise TypeError(f"expected the Loaders that make_loaders returns, got {type(loaders).__name__}")
    torch.manual_seed(check_seed(seed))
    history = fit(
        model, loaders.train, loaders.valid, epochs=epochs, lr=lr, patience=patience, progress=progress
    )
    valid = evaluate(model, loaders.valid)
    valid_predictions = predictions_in_order(model, loaders.valid)
    test = evaluate(model, loaders.test)
    predictions = predictions_in_order(model, loaders.test)
    return Run(history, test.accuracy, predictions, model, valid.accuracy, valid_predictions)


# ---------------------------------------------------------------------------------------------
# Chapter 11: characters


def char_vocab(corpus: Corpus) -> Vocab:
    return Vocab.build(char_tokenize(text) for text in _check_corpus(corpus).train.texts)


def seed_char_experiment(
    corpus: Corpus, *, epochs: int, limit: int | None = None, seed: int = 0, progress: bool = True
) -> Run:
    """The source's model: characters padded to 200, LSTM(16, 1), output at the last step, batch 32."""
    vocab = char_vocab(corpus)
    loaders = make_loaders(
        corpus,
        vocab,
        char_tokenize,
        max_len=FIXED_CHARS,
        batch_size=32,
        fixed_length=True,
        limit=limit,
        seed=seed,
    )
    torch.manual_seed(seed)
    return train_and_test(CharSeedModel(len(vocab)), loaders, epochs=epochs, seed=seed, progress=progress)


def char_config(vocab: Vocab, *, hidden_size: int, bidirectional: bool, strategy: str) -> ClassifierConfig:
    """A one-layer character classifier: Embedding(len(vocab), 16) -> LSTM(16, hidden_size)."""
    _check_vocab(vocab)
    return ClassifierConfig(
        vocab_size=len(vocab),
        embed_dim=16,
        hidden_size=hidden_size,
        num_layers=1,
        bidirectional=bidirectional,
        dropout=0.0,
        pad_id=vocab.pad_id,
        strategy=strategy,
    )


def char_experiment(
    corpus: Corpus,
    *,
    hidden_size: int,
    bidirectional: bool,
    strategy: str,
    bucketed: bool,
    epochs: int,
    limit: int | None = None,
    seed: int = 0,
    device: torch.device | None = None,
    progress: bool = True,
) -> Run:
    """An improved character model. ``bucketed``: length-bucketed batches padded to their longest
    tweet (else the source's random batches padded to 200); ``strategy``: how the LSTM reads the
    padding ("padded": final state after it; "exact" or "packed": at each tweet's last character).
    With "padded", a tweet's prediction depends on how much padding its batch gives it, so on
    the other tweets of its batch."""
    vocab = char_vocab(corpus)
    loaders = make_loaders(
        corpus,
        vocab,
        char_tokenize,
        max_len=FIXED_CHARS,
        batch_size=32,
        fixed_length=not check_bool(bucketed, "bucketed"),
        limit=limit,
        seed=seed,
    )
    torch.manual_seed(seed)
    config = char_config(vocab, hidden_size=hidden_size, bidirectional=bidirectional, strategy=strategy)
    model = LSTMClassifier(config)
    if device is not None:  # on a GPU; the default is the CPU
        model.to(device)
    return train_and_test(model, loaders, epochs=epochs, seed=seed, progress=progress)


# ---------------------------------------------------------------------------------------------
# Chapter 12: words and GloVe


def word_vocab(corpus: Corpus, *, limit: int | None = None) -> Vocab:
    """Chapter 12's vocabulary: the 10,000 most frequent training words, plus <pad> and <unk>."""
    texts = _check_corpus(corpus).train.texts[: _check_limit(limit)]
    return Vocab.build((word_tokenize(t) for t in texts), max_size=10_000)


def glove_bilstm_config(
    vocab: Vocab, glove: Glove, *, hidden_size: int = 256, strategy: str = "exact"
) -> ClassifierConfig:
    """Chapter 12's model: GloVe-sized embedding, 2-layer BiLSTM(hidden_size), dropout 0.5."""
    _check_vocab(vocab)
    if not isinstance(glove, Glove):
        raise TypeError(f"expected the Glove vectors (load_glove()), got {type(glove).__name__}: "
                        "the embedding "
                        "size is read from them")
    return ClassifierConfig(
        vocab_size=len(vocab),
        embed_dim=glove.dim,
        hidden_size=hidden_size,
        num_layers=2,
        bidirectional=True,
        dropout=0.5,
        pad_id=vocab.pad_id,
        strategy=strategy,
    )


def glove_bilstm_experiment(
    corpus: Corpus,
    glove: Glove,
    *,
    epochs: int,
    lr: float = 1e-3,
    patience: int | None = 3,
    hidden_size: int = 256,
    strategy: str = "exact",
    limit: int | None = None,
    seed: int = 0,
    device: torch.device | None = None,
    progress: bool = True,
) -> Run:
    """Chapter 12's model and protocol, for one ``seed`` (initial weights, batch order, dropout):
    10,000-word vocabulary, ``glove`` copied into the embedding (unknown words random), texts cut
    at 500 tokens, bucketed batches of 30, Adam with learning rate ``lr``, the best validation
    epoch kept."""
    vocab = word_vocab(corpus, limit=limit)
    matrix, _ = embedding_matrix(vocab, glove)
    loaders = make_loaders(
        corpus, vocab, word_tokenize, max_len=MAX_WORDS, batch_size=WORD_BATCH, limit=limit, seed=seed
    )
    torch.manual_seed(seed)
    model = LSTMClassifier(glove_bilstm_config(vocab, glove, hidden_size=hidden_size, strategy=strategy))
    with torch.no_grad():
        model.embedding.weight.copy_(torch.from_numpy(matrix))
    if device is not None:
        model.to(device)
    return train_and_test(
        model, loaders, epochs=epochs, lr=lr, patience=patience, seed=seed, progress=progress
    )
