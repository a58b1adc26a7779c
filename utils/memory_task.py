"""The "remember the first input" task of chapter 4 (``04_scalar_lstm``).

A sequence starts with a number drawn uniformly from [-1, 1], followed by zeros. At every
step the model must output that first number. A model that has forgotten it can do no
better than predicting 0, a mean squared error of 1/3 (the variance of U(-1, 1)).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

BASELINE_MSE = 1.0 / 3.0  # variance of U(-1, 1): the error of always predicting 0


def first_input_batch(batch_size: int, seq_len: int, *, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Return inputs (seq_len, batch, 1), zero after the first step, and targets (batch,)."""
    if seq_len < 1 or batch_size < 1:
        raise ValueError(f"expected seq_len >= 1 and batch_size >= 1, got {seq_len}, {batch_size}")
    first = torch.rand(batch_size, generator=generator, dtype=torch.float64) * 2 - 1
    x = torch.zeros(seq_len, batch_size, 1, dtype=torch.float64)
    x[0, :, 0] = first
    return x, first


class MemoryModel(nn.Module):
    """A recurrent layer (``nn.LSTM`` or ``nn.RNN``, one input feature, ``hidden_size`` units,
    one by default as in chapter 4) and a linear read-out, in float64.

    ``forget_bias`` sets the LSTM's forget-gate bias (chapter 6 explains why a positive
    value helps); it is ignored for the RNN.
    """

    def __init__(self, kind: str, *, hidden_size: int = 1, forget_bias: float = 0.0) -> None:
        super().__init__()
        if kind not in ("lstm", "rnn"):
            raise ValueError(f"expected kind 'lstm' or 'rnn', got {kind!r}")
        self.kind = kind
        self.recurrent = (nn.LSTM if kind == "lstm" else nn.RNN)(1, hidden_size).double()
        self.readout = nn.Linear(hidden_size, 1).double()
        if kind == "lstm":
            forget = slice(hidden_size, 2 * hidden_size)  # gate order i, f, g, o: the second block
            with torch.no_grad():
                self.recurrent.bias_ih_l0[forget] = forget_bias
                self.recurrent.bias_hh_l0[forget] = 0.0

    def forward(self, x: Tensor) -> Tensor:
        """x: (seq_len, batch, 1) -> prediction at every step (seq_len, batch)."""
        states, _ = self.recurrent(x)  # (seq_len, batch, hidden_size)
        return self.readout(states).squeeze(-1)


@dataclass
class MemoryRun:
    model: MemoryModel
    losses: list[float]  # training loss per step
    final_mse: float  # test MSE at the last step of the sequence


def train_memory_task(
    kind: str,
    *,
    seq_len: int,
    steps: int,
    seed: int,
    forget_bias: float = 0.0,
    hidden_size: int = 1,
    batch_size: int = 32,
    lr: float = 0.01,
    every_step: bool = True,
) -> MemoryRun:
    """Train a :class:`MemoryModel` with Adam on the mean squared error.

    With ``every_step`` (chapter 4) the error counts at every step, so short distances teach
    the model first; without it only the last step counts, the harder setting of chapter 6.
    """
    torch.manual_seed(seed)
    data = torch.Generator().manual_seed(10_000 + seed)
    model = MemoryModel(kind, hidden_size=hidden_size, forget_bias=forget_bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x, first = first_input_batch(batch_size, seq_len, generator=data)
        predictions = model(x) if every_step else model(x)[-1:]  # (seq_len or 1, batch)
        loss = nn.functional.mse_loss(predictions, first.expand(len(predictions), -1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return MemoryRun(model, losses, mse_by_step(model, seq_len=seq_len, seed=seed)[-1].item())


@torch.no_grad()
def mse_by_step(model: MemoryModel, *, seq_len: int, seed: int, batch_size: int = 2000) -> Tensor:
    """Test error of the prediction at every step, on fresh sequences: (seq_len,)."""
    x, first = first_input_batch(batch_size, seq_len, generator=torch.Generator().manual_seed(seed))
    return ((model(x) - first) ** 2).mean(dim=1)


def sign_batch(batch_size: int, seq_len: int, *, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """The harder task of chapter 6: x_1 is +1 or -1, every later input is N(0, 1) noise.

    Returns inputs (seq_len, batch, 1) in float32 and labels (batch,): 1.0 where x_1 = +1.
    """
    if seq_len < 1 or batch_size < 1:
        raise ValueError(f"expected seq_len >= 1 and batch_size >= 1, got {seq_len}, {batch_size}")
    x = torch.randn(seq_len, batch_size, 1, generator=generator)
    labels = torch.randint(0, 2, (batch_size,), generator=generator).float()
    x[0, :, 0] = 2 * labels - 1
    return x, labels


def train_sign_task(
    *,
    seq_len: int,
    forget_bias: float,
    seed: int,
    steps: int = 800,
    hidden_size: int = 16,
    batch_size: int = 64,
    lr: float = 0.01,
) -> float:
    """Train ``nn.LSTM(1, hidden_size)`` + linear read-out to output the sign of x_1 after the
    whole noisy sequence (loss only at the last step); return the test accuracy (0.5 is chance).

    Every forget-gate bias starts at ``forget_bias`` (the ``bias_hh`` half at 0); everything else
    is PyTorch's default initialisation.
    """
    torch.manual_seed(seed)
    data = torch.Generator().manual_seed(20_000 + seed)
    lstm, readout = nn.LSTM(1, hidden_size), nn.Linear(hidden_size, 1)
    forget = slice(hidden_size, 2 * hidden_size)
    with torch.no_grad():
        lstm.bias_ih_l0[forget] = forget_bias
        lstm.bias_hh_l0[forget] = 0.0
    optimizer = torch.optim.Adam([*lstm.parameters(), *readout.parameters()], lr=lr)
    for _ in range(steps):
        x, labels = sign_batch(batch_size, seq_len, generator=data)
        logits = readout(lstm(x)[0][-1]).squeeze(-1)  # (batch,)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    x, labels = sign_batch(2000, seq_len, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        predictions = readout(lstm(x)[0][-1]).squeeze(-1) > 0
    return (predictions.float() == labels).float().mean().item()
