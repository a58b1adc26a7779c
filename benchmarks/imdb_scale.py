"""Chapter 12 at IMDB's full size, rehearsed offline on synthetic reviews of IMDB's shape.

    python benchmarks/imdb_scale.py                  # full size (about 20 minutes on 2 CPU cores)
    python benchmarks/imdb_scale.py --quick          # well under a minute, for `make test`
    python benchmarks/imdb_scale.py --device cuda    # on a GPU
    python benchmarks/imdb_scale.py --reviews 2000 --batches 3   # a reduced run (fewer reviews)

Data: 25,000 training reviews, split 22,500 / 2,500 into train and validation as chapter 12's
``load_imdb`` does (stratified, 10%), and 25,000 test reviews. Review lengths are log-normal with
IMDB's median of 174 words and mean of about 230 (sigma 0.75, ``imdb_like_lengths``), clipped to
[10, 2500]; words follow a Zipf law over 12,000 word types, so the 10,000 most frequent make the
10,002-token vocabulary and the rest become ``<unk>``. Random 100-d vectors stand in for GloVe;
labels are random, so the accuracies printed are those of chance and only the costs matter.

Chapter 12's pipeline and settings: ``word_tokenize``, ``TextDataset`` truncating to
``max_len=500``, ``BucketBatchSampler`` batches of 30 with ``collate_padded``, the default
``ClassifierConfig`` (2-layer bidirectional LSTM, 256 units, dropout 0.5), ``fit`` with Adam 1e-3.

Measured: ``fit`` for one epoch over the same ``--batches`` training batches (a random sample of
the epoch's batches) and a few validation batches, for each strategy, after one warm-up batch; seconds per
epoch are EXTRAPOLATED from them to all 750 training and 84 validation batches. Then
``evaluate`` on the whole validation set and ``predict`` on all 25,000 test reviews (batched,
bounded memory) with the ``exact`` model. Peak memory is the process's peak resident set size.
Last line:
RESULT peak_rss_gb=<x> exact_s_per_epoch=<s> packed_s_per_epoch=<s> predict_texts_per_s=<n>
"""

from __future__ import annotations

import argparse
import itertools
import resource
import time
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader

from utils.batching_speed import imdb_like_lengths
from utils.data import Split
from utils.models import ClassifierConfig, LSTMClassifier
from utils.sequences import BucketBatchSampler, collate_padded
from utils.text import TextDataset, Vocab, word_tokenize
from utils.training import evaluate, fit, predict

MAX_LEN, BATCH_SIZE, VOCAB_SIZE, WORD_TYPES = 500, 30, 10_000, 12_000


@dataclass(frozen=True)
class Scale:
    train: int  # reviews before the validation split
    test: int
    hidden_size: int
    batches: int  # training batches timed per strategy
    valid_batches: int


FULL = Scale(train=25_000, test=25_000, hidden_size=256, batches=12, valid_batches=8)
QUICK = Scale(train=600, test=300, hidden_size=32, batches=2, valid_batches=2)


def synthetic_reviews(count: int, *, seed: int) -> Split:
    """``count`` reviews of IMDB-like length made of Zipf-distributed words, balanced random labels."""
    lengths = imdb_like_lengths(count, torch.Generator().manual_seed(seed)).tolist()
    rng = np.random.default_rng(seed)
    frequency = 1.0 / np.arange(1, WORD_TYPES + 1)
    words = rng.choice(WORD_TYPES, size=sum(lengths), p=frequency / frequency.sum())
    names = [f"w{i}" for i in range(WORD_TYPES)]
    bounds = np.cumsum([0, *lengths])
    texts = [" ".join(map(names.__getitem__, words[a:b].tolist())) for a, b in itertools.pairwise(bounds)]
    labels = rng.permutation(np.arange(count) % 2).tolist()
    return Split(texts, labels)


def make_loader(split: Split, vocab: Vocab, *, shuffle: bool) -> DataLoader:
    """Chapter 12's loader: first 500 tokens, bucketed batches of 30, padded to their longest."""
    data = TextDataset(split.texts, split.labels, vocab, word_tokenize, max_len=MAX_LEN)
    sampler = BucketBatchSampler(data.lengths(), batch_size=BATCH_SIZE, seed=0, shuffle=shuffle)
    return DataLoader(data, batch_sampler=sampler, collate_fn=collate_padded)


def make_model(vocab: Vocab, vectors: torch.Tensor, strategy: str, hidden_size: int) -> LSTMClassifier:
    torch.manual_seed(0)
    config = ClassifierConfig(vocab_size=len(vocab), embed_dim=vectors.shape[1], hidden_size=hidden_size,
                              pad_id=vocab.pad_id, strategy=strategy)
    model = LSTMClassifier(config)
    with torch.no_grad():
        model.embedding.weight.copy_(vectors)
    return model


def seconds_per_epoch(model: LSTMClassifier, train: list, valid: list, epoch_batches: tuple[int, int],
                      device: torch.device) -> float:
    """One ``fit`` epoch on a sample of batches, extrapolated to a whole epoch's batches."""
    fit(model, train[:1], valid[:1], epochs=1, device=device, progress=False)  # warm-up, not timed
    history = fit(model, train, valid, epochs=1, lr=1e-3, device=device, progress=False)
    start = time.perf_counter()
    evaluate(model, valid, device=device)
    valid_seconds = time.perf_counter() - start
    train_seconds = history.rows[0]["seconds"] - valid_seconds
    return train_seconds * epoch_batches[0] / len(train) + valid_seconds * epoch_batches[1] / len(valid)


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB on Linux


def describe(name: str, split: Split) -> None:
    lengths = np.array([len(word_tokenize(text)) for text in split.texts])
    print(f"{name}: {len(lengths):,} reviews, tokens mean {lengths.mean():.0f}, "
          f"median {np.median(lengths):.0f}, max {lengths.max():,}, "
          f"{(lengths > MAX_LEN).mean():.1%} longer than {MAX_LEN} (truncated)")


@dataclass
class Data:
    train: Split
    valid: Split
    test: Split
    vocab: Vocab
    vectors: torch.Tensor  # (len(vocab), 100), random stand-ins for GloVe


def build_data(scale: Scale) -> Data:
    reviews, test = synthetic_reviews(scale.train, seed=0), synthetic_reviews(scale.test, seed=1)
    train_x, valid_x, train_y, valid_y = train_test_split(
        reviews.texts, reviews.labels, test_size=0.1, stratify=reviews.labels, random_state=42
    )
    train = Split(train_x, train_y)
    vocab = Vocab.build((word_tokenize(text) for text in train.texts), max_size=VOCAB_SIZE)
    vectors = torch.randn(len(vocab), 100, generator=torch.Generator().manual_seed(0)) * 0.3
    vectors[vocab.pad_id] = 0
    return Data(train, Split(valid_x, valid_y), test, vocab, vectors)


class Timing(NamedTuple):
    seconds_per_epoch: dict[str, float]  # by strategy, extrapolated
    models: dict[str, LSTMClassifier]  # after their sample epoch


def time_strategies(data: Data, scale: Scale, batches: int, device: torch.device) -> Timing:
    """Seconds per epoch of each strategy (printed), from one ``fit`` epoch on a sample of batches."""
    train_loader = make_loader(data.train, data.vocab, shuffle=True)
    valid_loader = make_loader(data.valid, data.vocab, shuffle=False)
    print(f"{len(train_loader)} training and {len(valid_loader)} validation batches of {BATCH_SIZE}")
    train_sample = list(itertools.islice(train_loader, batches))
    valid_sample = list(itertools.islice(valid_loader, scale.valid_batches))
    models, seconds = {}, {}
    for strategy in ("exact", "packed"):
        models[strategy] = make_model(data.vocab, data.vectors, strategy, scale.hidden_size).to(device)
        seconds[strategy] = seconds_per_epoch(models[strategy], train_sample, valid_sample,
                                              (len(train_loader), len(valid_loader)), device)
        print(f"{strategy:>6}: {seconds[strategy]:8.0f} s per epoch, extrapolated from {len(train_sample)} "
              f"training and {len(valid_sample)} validation batches; peak memory {peak_rss_gb():.2f} GB")
    return Timing(seconds, models)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small run to check the script works")
    parser.add_argument("--batches", type=int, help="training batches timed per strategy")
    parser.add_argument("--reviews", type=int, help="a reduced run: this many train and test reviews")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's; --quick: 1)")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda needs a CUDA GPU; none is available here")
    if args.threads or args.quick:
        torch.set_num_threads(args.threads or 1)
    scale, device = QUICK if args.quick else FULL, torch.device(args.device)
    if args.reviews:
        scale = replace(scale, train=args.reviews, test=args.reviews)
    start = time.perf_counter()
    data = build_data(scale)
    for name, split in (("train", data.train), ("validation", data.valid), ("test", data.test)):
        describe(name, split)
    print(f"vocabulary {len(data.vocab):,} tokens, data ready in {time.perf_counter() - start:.0f} s; device "
          f"{device}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}")
    timing = time_strategies(data, scale, args.batches or scale.batches, device)
    model = timing.models["exact"]
    start = time.perf_counter()
    valid = evaluate(model, make_loader(data.valid, data.vocab, shuffle=False), device=device)
    print(f"evaluate on {len(data.valid):,} validation reviews: {time.perf_counter() - start:.0f} s, "
          f"accuracy {valid.accuracy:.3f} (chance: the labels are random)")
    start = time.perf_counter()
    result = predict(model, iter(data.test.texts), data.vocab, word_tokenize, max_len=MAX_LEN)
    seconds = time.perf_counter() - start
    assert len(result.labels) == len(data.test.texts)
    print(f"predict on {len(data.test.texts):,} test reviews: {seconds:.0f} s, "
          f"{len(data.test.texts) / seconds:.0f} reviews/s; peak memory {peak_rss_gb():.2f} GB")
    figures = {"peak_rss_gb": peak_rss_gb(), "exact_s_per_epoch": timing.seconds_per_epoch["exact"],
               "packed_s_per_epoch": timing.seconds_per_epoch["packed"],
               "predict_texts_per_s": len(data.test.texts) / seconds}
    print("RESULT " + " ".join(f"{key}={value:.3g}" for key, value in figures.items()))
    return figures


if __name__ == "__main__":
    main()
