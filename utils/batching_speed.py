"""How batching and packing change training speed (chapter 9 and ``benchmarks/packing_speed.py``).

Synthetic token data with IMDB-like lengths: log-normal with median 174 tokens and sigma 0.75
(mean about 230), clipped to [10, 2500]. Four ways to batch it for one training epoch:

- ``fixed``: every sequence truncated or padded to 500 tokens, random batches, no packing
  (the classic tutorial's setup);
- ``random``: random batches padded to the longest sequence in the batch, no packing;
- ``bucketed``: batches of similar length (:class:`~utils.sequences.BucketBatchSampler`), packed;
- ``bucketed, padded``: the same batches without packing (fast, but the final states then
  include the few padding steps of each batch).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from utils.models import ClassifierConfig, LSTMClassifier
from utils.sequences import BucketBatchSampler, pad_batch

FIXED_LENGTH = 500
SCHEMES = ("fixed", "random", "bucketed", "bucketed, padded")


def imdb_like_lengths(n: int, generator: torch.Generator) -> torch.Tensor:
    """Log-normal lengths, median 174 and sigma 0.75 (mean about 230), clipped to [10, 2500]."""
    normal = torch.randn(n, generator=generator, dtype=torch.float64)
    return torch.exp(torch.log(torch.tensor(174.0)) + 0.75 * normal).round().clamp(10, 2500).long()


@dataclass(frozen=True)
class SchemeResult:
    batches: int
    token_slots: int  # padded batch size * padded length, summed: what the LSTM is asked to process
    real_tokens: int  # tokens of the data actually read (for "fixed": at most 500 per sequence)
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.real_tokens / self.seconds


def _batches(sequences, labels, index_batches, *, fixed: int | None):
    batches = []
    for indices in index_batches:
        chosen = [sequences[i][:fixed] if fixed else sequences[i] for i in indices]
        tokens, lengths = pad_batch(chosen)
        if fixed and tokens.shape[1] < fixed:
            tokens = nn.functional.pad(tokens, (0, fixed - tokens.shape[1]))
        batches.append((tokens, lengths, labels[indices]))
    return batches


def _epoch_seconds(model: nn.Module, batches, optimizer, device: torch.device) -> float:
    loss_fn = nn.BCEWithLogitsLoss()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for tokens, lengths, labels in batches:
        optimizer.zero_grad()
        loss_fn(model(tokens.to(device), lengths), labels.to(device)).backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure_schemes(
    *, sequences: int, batch_size: int = 32, device: str = "cpu", seed: int = 0
) -> tuple[torch.Tensor, dict[str, SchemeResult]]:
    """One training epoch of the same small BiLSTM classifier (embedding 64, 64 units per
    direction, one layer) under each batching scheme. Returns the lengths and the results."""
    device_ = torch.device(device)
    generator = torch.Generator().manual_seed(seed)
    lengths = imdb_like_lengths(sequences, generator)
    data = [torch.randint(2, 10_000, (int(n),), generator=generator) for n in lengths]
    labels = torch.randint(0, 2, (sequences,), generator=generator).float()
    order = torch.randperm(sequences, generator=generator).tolist()
    random_batches = [order[i : i + batch_size] for i in range(0, sequences, batch_size)]
    bucketed = BucketBatchSampler(lengths.tolist(), batch_size, seed=seed).batches(0)
    plans = {
        "fixed": (_batches(data, labels, random_batches, fixed=FIXED_LENGTH), False),
        "random": (_batches(data, labels, random_batches, fixed=None), False),
        "bucketed": (_batches(data, labels, bucketed, fixed=None), True),
        "bucketed, padded": (_batches(data, labels, bucketed, fixed=None), False),
    }
    results = {}
    for name, (batches, packed) in plans.items():
        torch.manual_seed(seed)
        config = ClassifierConfig(vocab_size=10_000, embed_dim=64, hidden_size=64, num_layers=1, dropout=0.0,
                                  packed=packed)
        model = LSTMClassifier(config).to(device_)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        if device_.type == "cuda":  # let cuDNN pick its kernels before timing
            _epoch_seconds(model, batches[:1], optimizer, device_)
        results[name] = SchemeResult(
            batches=len(batches),
            token_slots=sum(b[0].numel() for b in batches),
            real_tokens=sum(int(b[1].sum()) for b in batches),
            seconds=_epoch_seconds(model, batches, optimizer, device_),
        )
    return lengths, results
