"""Forward + backward speed of the from-scratch LSTM loops against nn.LSTM, on the CPU.

    python benchmarks/lstm_speed.py            # batch 64, seq 100, input 128, hidden 256, float32
    python benchmarks/lstm_speed.py --quick    # a few seconds, for `make test`
    python benchmarks/lstm_speed.py --hidden-sizes 64 128 512   # also fused / nn.LSTM at these H

All three models share the same weights and run in one process, alternating, so the ratios
compare like with like. Each time is the median of --repeats runs after --warmup runs.
Last line: RESULT naive_over_torch=<x> fused_over_torch=<y> [fused_over_torch_h<H>=<z> ...]
"""

from __future__ import annotations

import argparse
import os
import platform

import torch

from utils.lstm import ScratchLSTM, copy_from_torch
from utils.timing import median_times


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--input-size", type=int, default=128)
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--hidden-sizes",
        type=int,
        nargs="*",
        default=[],
        help="also time fused / nn.LSTM at these hidden sizes",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.batch, args.seq_len, args.input_size, args.hidden_size = 8, 20, 16, 32
        args.repeats, args.warmup = 3, 1
        args.hidden_sizes = [min(h, 32) for h in args.hidden_sizes]
    if args.repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be at least 1 and --warmup at least 0")
    if any(h < 1 for h in args.hidden_sizes):
        parser.error("--hidden-sizes must be positive")

    torch.manual_seed(0)
    reference = torch.nn.LSTM(args.input_size, args.hidden_size)
    models = {
        "torch": reference,
        "naive": copy_from_torch(ScratchLSTM(args.input_size, args.hidden_size, loop="naive"), reference),
        "fused": copy_from_torch(ScratchLSTM(args.input_size, args.hidden_size, loop="fused"), reference),
    }
    x = torch.randn(args.seq_len, args.batch, args.input_size)
    print(
        f"forward + backward, batch {args.batch}, seq {args.seq_len}, input {args.input_size}, "
        f"hidden {args.hidden_size}, float32, CPU: {platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads (os.cpu_count() = {os.cpu_count()}), torch {torch.__version__}"
    )
    medians = median_times(models, x, repeats=args.repeats, warmup=args.warmup)
    for name, value in medians.items():
        print(f"  {name:>5}: median {value * 1e3:8.1f} ms over {args.repeats} runs")
    ratios = {
        "naive_over_torch": medians["naive"] / medians["torch"],
        "fused_over_torch": medians["fused"] / medians["torch"],
    }
    for hidden in args.hidden_sizes:
        ratios[f"fused_over_torch_h{hidden}"] = fused_over_torch(args, hidden, x)
    print("RESULT " + " ".join(f"{key}={value:.2f}" for key, value in ratios.items()))
    return ratios


def fused_over_torch(args: argparse.Namespace, hidden: int, x: torch.Tensor) -> float:
    """Median time of the fused ScratchLSTM over nn.LSTM's at one hidden size (same weights)."""
    torch.manual_seed(0)
    reference = torch.nn.LSTM(args.input_size, hidden)
    models = {"torch": reference, "fused": copy_from_torch(ScratchLSTM(args.input_size, hidden), reference)}
    medians = median_times(models, x, repeats=args.repeats, warmup=args.warmup)
    torch_ms, fused_ms = medians["torch"] * 1e3, medians["fused"] * 1e3
    print(f"  hidden {hidden:>4}: nn.LSTM {torch_ms:8.1f} ms, fused {fused_ms:8.1f} ms")
    return medians["fused"] / medians["torch"]


if __name__ == "__main__":
    main()
