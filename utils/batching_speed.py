"""How batching and the variable-length strategy change training speed (chapter 9 and
``benchmarks/packing_speed.py``).

Synthetic token data with IMDB-like lengths (:func:`imdb_like_lengths`), every sequence
truncated to ``MAX_LEN`` = 500 tokens (chapter 12's ``max_len``) whatever the batching, so every
scheme reads the same tokens. Two batchings:

- ``fixed``: random batches, every sequence padded to 500 tokens (the classic tutorial's setup);
- ``bucketed``: batches of similar length (:class:`~utils.sequences.BucketBatchSampler`), padded
  to the batch's longest sequence.

The same batches then go through each strategy of :class:`~utils.models.LSTMClassifier`
(``exact``, ``packed``, ``padded``), one training step per batch; the strategies take turns
epoch by epoch, and each timing is the median over the epochs.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from utils.checks import check_int, check_seed
from utils.models import ClassifierConfig, LSTMClassifier
from utils.sequences import BucketBatchSampler, pad_batch

MAX_LEN = 500
BATCHINGS = ("fixed", "bucketed")
VOCAB = 10_000


def imdb_like_lengths(n: int, generator: torch.Generator) -> Tensor:
    """Log-normal lengths, median 174 and sigma 0.75 (mean about 230), clipped to [10, 2500]."""
    check_int(n, "n", minimum=0)
    if not isinstance(generator, torch.Generator):
        raise TypeError("expected generator=torch.Generator().manual_seed(seed), got "
                        f"{type(generator).__name__}")
    normal = torch.randn(n, generator=generator, dtype=torch.float64)
    return torch.exp(torch.log(torch.tensor(174.0)) + 0.75 * normal).round().clamp(10, 2500).long()


@dataclass(frozen=True)
class ModelSize:
    """A BiLSTM classifier's size: embedding, units per direction, layers."""

    name: str
    embed_dim: int
    hidden_size: int
    num_layers: int


SMALL = ModelSize("small", embed_dim=64, hidden_size=64, num_layers=1)
CHAPTER_12 = ModelSize("chapter 12", embed_dim=100, hidden_size=256, num_layers=2)


class Batch(NamedTuple):
    tokens: Tensor  # (B, T) token ids, 0 at padding
    lengths: Tensor  # (B,)
    labels: Tensor  # (B,) 0.0 or 1.0


@dataclass(frozen=True)
class Timing:
    """One (batching, strategy, model size) cell of the benchmark."""

    batching: str
    strategy: str
    model: str
    batches: int
    token_slots: int  # padded batch size * padded length, summed: what a padded LSTM processes
    real_tokens: int  # tokens of the data (after truncation to MAX_LEN)
    epoch_seconds: tuple[float, ...]  # one per timed epoch

    @property
    def seconds(self) -> float:
        """The median epoch time."""
        return statistics.median(self.epoch_seconds)

    @property
    def tokens_per_second(self) -> float:
        return self.real_tokens / self.seconds


def synthetic_data(sequences: int, *, max_len: int = MAX_LEN, seed: int = 0) -> tuple[list[Tensor], Tensor]:
    """Random token ids with IMDB-like lengths truncated to ``max_len``, and random 0/1 labels."""
    check_int(sequences, "sequences", minimum=1)
    check_int(max_len, "max_len", minimum=1)
    generator = torch.Generator().manual_seed(check_seed(seed))
    lengths = imdb_like_lengths(sequences, generator).clamp(max=max_len)
    data = [torch.randint(2, VOCAB, (int(n),), generator=generator) for n in lengths]
    return data, torch.randint(0, 2, (sequences,), generator=generator).float()


def make_batches(
    data: Sequence[Tensor], labels: Tensor, batching: str, *, batch_size: int, max_len: int = MAX_LEN,
    seed: int = 0,
) -> list[Batch]:
    """Cut the data into batches the way ``batching`` (one of BATCHINGS) says ("fixed": every
    batch padded to ``max_len``, which must be at least the longest sequence)."""
    if batching not in BATCHINGS:
        raise ValueError(f"expected batching to be one of {BATCHINGS}, got {batching!r}")
    batch_size, seed = check_int(batch_size, "batch_size", minimum=1), check_seed(seed)
    max_len = check_int(max_len, "max_len", minimum=1)
    if not data:
        raise ValueError("make_batches needs at least one sequence (synthetic_data(n) with n >= 1)")
    if not isinstance(labels, Tensor) or labels.shape != (len(data),):
        raise TypeError(f"expected labels as a tensor of shape ({len(data)},), as synthetic_data "
                        "returns them")
    if not labels.is_floating_point():
        raise TypeError(f"expected float labels 0.0/1.0 for the loss, got {labels.dtype}: labels.float()")
    if batching == "fixed" and max(len(d) for d in data) > max_len:
        raise ValueError(f"the longest sequence ({max(len(d) for d in data)}) exceeds max_len ({max_len}): "
                         "fixed batches would crop it while its length says otherwise; raise max_len")
    if batching == "fixed":
        order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed)).tolist()
        index_batches = [order[i : i + batch_size] for i in range(0, len(data), batch_size)]
    else:
        index_batches = BucketBatchSampler([len(d) for d in data], batch_size, seed=seed).batches(0)
    batches = []
    for indices in index_batches:
        tokens, lengths = pad_batch([data[i] for i in indices])
        if batching == "fixed":  # every batch padded to max_len
            tokens = nn.functional.pad(tokens, (0, max_len - tokens.shape[1]))
        batches.append(Batch(tokens, lengths, labels[indices]))
    return batches


def classifier(size: ModelSize, strategy: str, *, seed: int = 0) -> LSTMClassifier:
    """The benchmark's BiLSTM classifier, the same initial weights for every strategy."""
    if not isinstance(size, ModelSize):
        raise TypeError(f"expected a ModelSize (SMALL or CHAPTER_12), got {type(size).__name__}")
    torch.manual_seed(check_seed(seed))
    config = ClassifierConfig(vocab_size=VOCAB, embed_dim=size.embed_dim, hidden_size=size.hidden_size,
                              num_layers=size.num_layers, dropout=0.0, strategy=strategy)
    return LSTMClassifier(config)


def _epoch_seconds(model: nn.Module, batches: Sequence[Batch], optimizer: torch.optim.Optimizer,
                   device: torch.device) -> float:
    """Wall time of one training epoch over ``batches`` (forward, backward, Adam step)."""
    loss_fn = nn.BCEWithLogitsLoss()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for tokens, lengths, labels in batches:
        optimizer.zero_grad()
        loss_fn(model(tokens.to(device), lengths), labels.to(device)).backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def time_strategies(
    batches: Sequence[Batch], size: ModelSize, strategies: Sequence[str], *, epochs: int = 3,
    device: str = "cpu", batching: str = "",
) -> list[Timing]:
    """Train one model per strategy on the same ``batches``; the strategies take turns, epoch by
    epoch (in a rotated order), after one warm-up batch each. Returns one Timing per strategy."""
    if isinstance(strategies, str) or not all(isinstance(v, Sequence) for v in (batches, strategies)):
        raise TypeError("expected the batches and the strategies as lists (make_batches returns one; "
                        "strategies such as ['exact', 'packed'])")
    if len(set(strategies)) != len(strategies):
        raise ValueError(f"expected each strategy once, got {list(strategies)}: one model is trained per "
                         "strategy")
    if check_int(epochs, "epochs") < 1 or not batches or not strategies:
        raise ValueError(f"expected epochs >= 1, at least one batch and one strategy, got {epochs}, "
                         f"{len(batches)} and {len(strategies)}")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"expected device 'cpu' or 'cuda', got {device!r}")
    device_ = torch.device(device)
    runs = {}
    for strategy in strategies:
        model = classifier(size, strategy).to(device_)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        _epoch_seconds(model, batches[:1], optimizer, device_)  # warm-up: allocations, cuDNN plans
        runs[strategy] = (model, optimizer)
    seconds: dict[str, list[float]] = {strategy: [] for strategy in strategies}
    for epoch in range(epochs):
        turn = epoch % len(strategies)
        for strategy in [*strategies[turn:], *strategies[:turn]]:
            model, optimizer = runs[strategy]
            seconds[strategy].append(_epoch_seconds(model, batches, optimizer, device_))
    slots = sum(b.tokens.numel() for b in batches)
    real = sum(int(b.lengths.sum()) for b in batches)
    return [Timing(batching, s, size.name, len(batches), slots, real, tuple(seconds[s])) for s in strategies]


class OpShare(NamedTuple):
    name: str  # the operator, e.g. "aten::mkldnn_rnn_layer"
    calls: int
    share: float  # of all the operators' own CPU time


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence the C++ profiler's start/stop lines, which bypass Python's sys.stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def top_operations(step: Callable[[], object], n: int = 5) -> tuple[float, list[OpShare]]:
    """Profile one call of ``step`` (after one warm-up call) with ``torch.profiler``.

    Returns the total own CPU time in seconds and the ``n`` operators with the largest share of it.
    """
    if not callable(step) or isinstance(step, nn.Module):
        raise TypeError(f"expected step to be a function of no arguments, got {type(step).__name__}: e.g. "
                        "lambda: model(tokens, lengths)")
    n = check_int(n, "n", minimum=1)
    step()
    with _quiet_stderr(), torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        step()
    events = sorted(profile.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)  # microseconds
    return total / 1e6, [OpShare(e.key, e.count, e.self_cpu_time_total / total) for e in events[:n]]
