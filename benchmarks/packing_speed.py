"""Training speed of one BiLSTM classifier epoch under different batching schemes.

    python benchmarks/packing_speed.py                  # the full measurement (about 2.5 minutes on 2 cores)
    python benchmarks/packing_speed.py --quick          # seconds, for `make test`
    python benchmarks/packing_speed.py --device cuda    # on a GPU

Data: synthetic tokens with IMDB-like lengths, log-normal with median 174 and sigma 0.75 (mean
about 230), clipped to [10, 2500]. Schemes (see utils/batching_speed.py):

  (a) fixed:             every sequence truncated or padded to 500 tokens, random batches, no packing;
  (b) random:            random batches padded to the batch's longest sequence, no packing;
  (c) bucketed:          batches of similar length, packed;
  (d) bucketed, padded:  the same batches as (c) without packing.

Speed is real tokens per second: the tokens the model actually reads (for (a), at most 500 per
sequence) divided by the epoch's wall time. PyTorch's backward pass through a packed LSTM costs
time that grows with the sequence length (its profile is dominated by slice_backward filling
gradient buffers), which is why (d) can beat (c) by a wide margin.
Last line:
RESULT bucketed_packed_over_fixed=<x> bucketed_packed_over_random=<y> bucketed_padded_over_fixed=<z>
"""

from __future__ import annotations

import argparse

import torch

from utils.batching_speed import FIXED_LENGTH, measure_schemes


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tiny run to check the script works")
    parser.add_argument("--sequences", type=int, default=1500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = parser.parse_args(argv)
    if args.quick:
        args.sequences, args.batch_size = 48, 16
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda needs a CUDA GPU; none is available here")
    lengths, results = measure_schemes(
        sequences=args.sequences, batch_size=args.batch_size, device=args.device
    )
    print(
        f"{args.sequences} sequences, lengths log-normal (median 174, sigma 0.75) clipped to [10, 2500]: "
        f"mean {lengths.float().mean():.0f}, median {lengths.median():.0f}, max {lengths.max()}, "
        f"{(lengths > FIXED_LENGTH).float().mean():.1%} longer than {FIXED_LENGTH}; device {args.device}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads"
    )
    for name, r in results.items():
        share = r.real_tokens / r.token_slots
        print(
            f"  {name:>16}: {r.batches:>3} batches, {r.token_slots:>9,} slots, {r.real_tokens:>9,} real "
            f"({share:.0%}), {r.seconds:6.1f} s, {r.tokens_per_second:9,.0f} real tokens/s"
        )
    speed = {name: r.tokens_per_second for name, r in results.items()}
    ratios = {
        "bucketed_packed_over_fixed": speed["bucketed"] / speed["fixed"],
        "bucketed_packed_over_random": speed["bucketed"] / speed["random"],
        "bucketed_padded_over_fixed": speed["bucketed, padded"] / speed["fixed"],
    }
    print("RESULT " + " ".join(f"{key}={value:.2f}" for key, value in ratios.items()))
    return ratios


if __name__ == "__main__":
    main()
