"""Plain RNN vs GRU vs LSTM on one memory task: remember the first input for T steps.

    python benchmarks/memory_models.py [--quick]

The task of chapter 4: a sequence starts with a number drawn from U(-1, 1), then zeros, and
the model must output that number at every step (the training loss counts every step, so short
distances teach first). Forgetting costs a mean squared error of 1/3, the variance of the first
number. Each model has 16 units, the same training budget (Adam, lr 0.01, gradients clipped at
1) and 3 seeds; the table shows the median test MSE at the **last** step and the time per
training step. Last line: ``RESULT rnn_mse_T200=<a> gru_mse_T200=<b> lstm_mse_T200=<c>
gru_time_over_lstm=<d> rnn_time_over_lstm=<e>`` (MSE at T = 200; time ratios of a training step
at T = 200, below 1 = faster than the LSTM).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from utils.memory_task import BASELINE_MSE, first_input_batch  # noqa: E402

KINDS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class Recurrent(nn.Module):
    """One recurrent layer of the given kind and a linear read-out at every step."""

    def __init__(self, kind: str, hidden_size: int) -> None:
        super().__init__()
        self.recurrent = KINDS[kind](1, hidden_size)
        self.readout = nn.Linear(hidden_size, 1)
        if kind == "lstm":  # forget-gate bias 1, the usual start (chapter 6)
            with torch.no_grad():
                self.recurrent.bias_ih_l0[hidden_size : 2 * hidden_size] = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (seq_len, batch, 1) -> predictions (seq_len, batch)."""
        states, _ = self.recurrent(x)
        return self.readout(states).squeeze(-1)


def train(kind: str, *, seq_len: int, steps: int, seed: int, hidden_size: int = 16) -> tuple[float, float]:
    """Train one model; return (test MSE at the last step, seconds per training step)."""
    # the loss counts every step; the test error is that of the last step
    torch.manual_seed(seed)
    data = torch.Generator().manual_seed(1_000 + seed)
    model = Recurrent(kind, hidden_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for _ in range(steps):
        x, first = first_input_batch(64, seq_len, generator=data)
        loss = nn.functional.mse_loss(model(x.float()), first.float().expand(seq_len, -1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    seconds = (time.perf_counter() - start) / steps
    with torch.no_grad():
        x, first = first_input_batch(2000, seq_len, generator=torch.Generator().manual_seed(seed))
        mse = nn.functional.mse_loss(model(x.float())[-1], first.float()).item()
    return mse, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one short length, few steps (for CI)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # small models: one thread makes timings steadier
    lengths = [20] if args.quick else [50, 100, 200]
    steps = 40 if args.quick else 500
    seeds = [0] if args.quick else [0, 1, 2]
    print(f"remember the first input at every step; 16 units, {steps} steps of batch 64, seeds {seeds}; "
          f"forgetting = MSE {BASELINE_MSE:.3f}")
    print(f"{'model':>5} " + " ".join(f"{'MSE T=' + str(t):>10}" for t in lengths) + f" {'ms/step':>8}")
    mse: dict[tuple[str, int], float] = {}
    times: dict[str, float] = {}
    for kind in KINDS:
        step_times = []
        for seq_len in lengths:
            runs = [train(kind, seq_len=seq_len, steps=steps, seed=s) for s in seeds]
            mse[kind, seq_len] = statistics.median(r[0] for r in runs)
            step_times += [r[1] for r in runs if seq_len == lengths[-1]]
        times[kind] = statistics.median(step_times)
        row = " ".join(f"{mse[kind, t]:>10.4f}" for t in lengths)
        print(f"{kind:>5} {row} {times[kind] * 1e3:>8.2f}")
    longest = lengths[-1]
    print(f"RESULT rnn_mse_T{longest}={mse['rnn', longest]:.4f} gru_mse_T{longest}={mse['gru', longest]:.4f} "
          f"lstm_mse_T{longest}={mse['lstm', longest]:.4f} "
          f"gru_time_over_lstm={times['gru'] / times['lstm']:.2f} "
          f"rnn_time_over_lstm={times['rnn'] / times['lstm']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
