"""Training speed of a BiLSTM classifier: exact vs packed vs padded, fixed vs bucketed batches.

    python benchmarks/packing_speed.py                  # the full measurement (about 5 minutes on 2 cores)
    python benchmarks/packing_speed.py --quick          # seconds, for `make test`
    python benchmarks/packing_speed.py --device cuda    # on a GPU

Data: synthetic tokens with IMDB-like lengths, log-normal with median 174 and sigma 0.75 (mean
about 230), every sequence truncated to 500 tokens in every scheme (see utils/batching_speed.py).
Batchings: "fixed" (random batches padded to 500, the classic tutorial's) and "bucketed"
(similar lengths together, padded to the batch's longest). Strategies (LSTMClassifier):

  exact:   padded input, each sequence's final states at its own last token (utils/varlen.py);
  packed:  pack_padded_sequence, the same results as exact;
  padded:  the LSTM reads the padding too (final states after the padding, as the classic tutorial).

The same batches go through every strategy; strategies take turns epoch by epoch, and each time is
the median over the epochs (an epoch = one training step per batch). Speed is real tokens per
second: the tokens of the data divided by the median epoch time. Two model sizes: chapter 12's
(2 layers, 256 units per direction, embedding 100) and a small one (1 layer, 64 units, embedding 64).
Last line (ratios of the chapter 12 model on bucketed batches; *_small: the small model):
RESULT exact_over_packed=<speed ratio> exact_time_over_padded=<time ratio> bucketed_over_fixed=<x> ...
"""

from __future__ import annotations

import argparse
import platform

import torch

from utils.batching_speed import CHAPTER_12, MAX_LEN, SMALL, ModelSize, Timing, make_batches, synthetic_data
from utils.batching_speed import time_strategies as time_them

STRATEGIES = ("exact", "packed", "padded")


def measure(
    size: ModelSize, *, sequences: int, batch_size: int, epochs: int, device: str, max_len: int = MAX_LEN
) -> list[Timing]:
    """Bucketed batches through every strategy; fixed batches through the exact one."""
    data, labels = synthetic_data(sequences, max_len=max_len)
    timings = []
    for batching, strategies in (("bucketed", STRATEGIES), ("fixed", ("exact",))):
        batches = make_batches(data, labels, batching, batch_size=batch_size, max_len=max_len)
        timings += time_them(batches, size, strategies, epochs=epochs, device=device, batching=batching)
    return timings


def ratios(timings: list[Timing], suffix: str = "") -> dict[str, float]:
    cell = {(t.batching, t.strategy): t for t in timings}
    exact = cell["bucketed", "exact"]
    return {
        f"exact_over_packed{suffix}": exact.tokens_per_second / cell["bucketed", "packed"].tokens_per_second,
        f"exact_time_over_padded{suffix}": exact.seconds / cell["bucketed", "padded"].seconds,
        f"bucketed_over_fixed{suffix}": exact.tokens_per_second / cell["fixed", "exact"].tokens_per_second,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tiny run to check the script works")
    add = parser.add_argument
    add("--sequences", type=int, default=128, help="sequences for the chapter 12 model")
    add("--small-sequences", type=int, default=640, help="sequences for the small model")
    add("--batch-size", type=int, default=32)
    add("--epochs", type=int, default=3, help="timed epochs per strategy (the median is kept)")
    add("--device", default="cpu", help="cpu (default) or cuda")
    add("--max-len", type=int, default=MAX_LEN, help="truncate every sequence to this length")
    args = parser.parse_args(argv)
    sizes = {CHAPTER_12: args.sequences, SMALL: args.small_sequences}
    if args.quick:
        tiny = ModelSize("chapter 12 layout (quick: 8 units)", 8, 8, 2), ModelSize("small (quick)", 8, 8, 1)
        sizes = dict.fromkeys(tiny, 16)
        args.batch_size, args.epochs, args.max_len = 8, 3, 24
    if args.epochs < 3:
        parser.error("--epochs must be at least 3 (each time is a median)")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda needs a CUDA GPU; none is available here")
    gpu = f" ({torch.cuda.get_device_name(args.device)})" if args.device.startswith("cuda") else ""
    print(f"device {args.device}{gpu}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"{platform.processor() or platform.machine()}; lengths log-normal (median 174, sigma 0.75) "
          f"truncated to {args.max_len}; batch {args.batch_size}; median of {args.epochs} epochs")
    result: dict[str, float] = {}
    for (size, sequences), suffix in zip(sizes.items(), ("", "_small"), strict=True):
        timings = measure(size, sequences=sequences, batch_size=args.batch_size, epochs=args.epochs,
                          device=args.device, max_len=args.max_len)
        print(f"{size.name} model ({size.num_layers} layer(s), {size.hidden_size} units per direction), "
              f"{sequences} sequences:")
        for t in timings:
            print(f"  {t.batching:>8} {t.strategy:>6}: {t.batches:>3} batches, {t.real_tokens:>7,} real "
                  f"tokens of {t.token_slots:>7,} slots ({t.real_tokens / t.token_slots:.0%}), median epoch "
                  f"{t.seconds:6.2f} s (min {min(t.epoch_seconds):.2f}, max {max(t.epoch_seconds):.2f}), "
                  f"{t.tokens_per_second:8,.0f} real tokens/s")
        result |= ratios(timings, suffix)
    print("RESULT " + " ".join(f"{key}={value:.2f}" for key, value in result.items()))
    return result


if __name__ == "__main__":
    main()
