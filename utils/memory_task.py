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


class ScalarMemoryModel(nn.Module):
    """A recurrent layer with one hidden unit (``nn.LSTM(1, 1)`` or ``nn.RNN(1, 1)``) and a
    linear read-out, in float64.

    ``forget_bias`` sets the LSTM's forget-gate bias (chapter 6 explains why a positive
    value helps); it is ignored for the RNN.
    """

    def __init__(self, kind: str, *, forget_bias: float = 0.0) -> None:
        super().__init__()
        if kind not in ("lstm", "rnn"):
            raise ValueError(f"expected kind 'lstm' or 'rnn', got {kind!r}")
        self.kind = kind
        self.recurrent = (nn.LSTM if kind == "lstm" else nn.RNN)(1, 1).double()
        self.readout = nn.Linear(1, 1).double()
        if kind == "lstm":
            with torch.no_grad():  # PyTorch's gate order is i, f, g, o: row 1 is the forget gate
                self.recurrent.bias_ih_l0[1] = forget_bias
                self.recurrent.bias_hh_l0[1] = 0.0

    def forward(self, x: Tensor) -> Tensor:
        """x: (seq_len, batch, 1) -> prediction at every step (seq_len, batch)."""
        states, _ = self.recurrent(x)  # (seq_len, batch, 1)
        return self.readout(states).squeeze(-1)


@dataclass
class MemoryRun:
    model: ScalarMemoryModel
    losses: list[float]  # training loss per step
    final_mse: float  # test MSE at the last step of the sequence


def train_memory_task(
    kind: str,
    *,
    seq_len: int,
    steps: int,
    seed: int,
    forget_bias: float = 0.0,
    batch_size: int = 32,
    lr: float = 0.01,
) -> MemoryRun:
    """Train a :class:`ScalarMemoryModel` with Adam on the mean squared error at every step."""
    torch.manual_seed(seed)
    data = torch.Generator().manual_seed(10_000 + seed)
    model = ScalarMemoryModel(kind, forget_bias=forget_bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x, first = first_input_batch(batch_size, seq_len, generator=data)
        loss = nn.functional.mse_loss(model(x), first.expand(seq_len, -1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return MemoryRun(model, losses, mse_by_step(model, seq_len=seq_len, seed=seed)[-1].item())


@torch.no_grad()
def mse_by_step(model: ScalarMemoryModel, *, seq_len: int, seed: int, batch_size: int = 2000) -> Tensor:
    """Test error of the prediction at every step, on fresh sequences: (seq_len,)."""
    x, first = first_input_batch(batch_size, seq_len, generator=torch.Generator().manual_seed(seed))
    return ((model(x) - first) ** 2).mean(dim=1)
