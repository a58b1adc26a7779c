"""Plain RNN vs GRU vs LSTM on one memory task: remember the first input for T steps.

    python benchmarks/memory_models.py [--quick]

The task of chapter 4: a sequence starts with a number drawn from U(-1, 1), then zeros, and
the model must output that number at every step (the training loss counts every step, so short
distances teach first). Forgetting costs a mean squared error of 1/3, the variance of the first
number; keeping only its sign (one bit) costs 1/12, so an error below 1/12 means that more than
one bit is kept. The model is chapter 4's ``utils.memory_task.MemoryModel``, here in float32.
Each model has 16 units, the same training budget (Adam, lr 0.01, gradients clipped at 1) and
3 seeds; the table shows the median test MSE at the **last** step and the time per training
step. Last line: ``RESULT rnn_mse_T200=<a> gru_mse_T200=<b> lstm_mse_T200=<c>
gru_time_over_lstm=<d> rnn_time_over_lstm=<e>`` (MSE at T = 200; time ratios of a training step
at T = 200, below 1 = faster than the LSTM).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from utils.memory_task import BASELINE_MSE, SIGN_BASELINE_MSE, train_memory_task  # noqa: E402

KINDS = ("rnn", "gru", "lstm")


def train(kind: str, *, seq_len: int, steps: int, seed: int, hidden_size: int = 16) -> tuple[float, float]:
    """Train chapter 4's model (``utils.memory_task.MemoryModel``) of the given kind in float32, with
    the LSTM's forget-gate bias at 1 (the usual start, chapter 6), batches of 64 and gradients clipped
    at 1. The loss counts every step; the test error is that of the last step.
    Returns (test MSE at the last step, seconds per training step)."""
    run = train_memory_task(
        kind,
        seq_len=seq_len,
        steps=steps,
        seed=seed,
        forget_bias=1.0,
        hidden_size=hidden_size,
        batch_size=64,
        clip_norm=1.0,
        dtype=torch.float32,
    )
    return run.final_mse, run.seconds_per_step


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
    print(
        f"remember the first input at every step; 16 units, {steps} steps of batch 64, seeds {seeds}; "
        f"forgetting = MSE {BASELINE_MSE:.3f}, keeping only the sign = MSE {SIGN_BASELINE_MSE:.3f}"
    )
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
    print(
        f"RESULT rnn_mse_T{longest}={mse['rnn', longest]:.4f} gru_mse_T{longest}={mse['gru', longest]:.4f} "
        f"lstm_mse_T{longest}={mse['lstm', longest]:.4f} "
        f"gru_time_over_lstm={times['gru'] / times['lstm']:.2f} "
        f"rnn_time_over_lstm={times['rnn'] / times['lstm']:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
