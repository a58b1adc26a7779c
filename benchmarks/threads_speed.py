"""Training steps of the course's models on one CPU thread against PyTorch's default count.

    python benchmarks/threads_speed.py           # each chapter's model, median of 7 rounds
    python benchmarks/threads_speed.py --quick   # a few seconds, for `make test`

One training step (forward, backward, Adam) of each model the chapters train, timed with one
intra-op thread and with PyTorch's default (one per core), alternating the two in every round so
that both see the same machine; each time is the median over the rounds. ``utils.threads`` uses
one thread for models whose recurrent layers have fewer than ``SMALL_RECURRENT_PARAMETERS``
parameters; this benchmark is the measurement behind that rule.
Last line: RESULT <model>_one_over_default=<x> ... (above 1: one thread is faster).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from utils.models import CharSeedModel, ClassifierConfig, LSTMClassifier
from utils.threads import SMALL_RECURRENT_PARAMETERS, recurrent_parameters, torch_threads

Step = Callable[[], None]


def classifier_step(model: nn.Module, batch: int, length: int, vocab: int, seed: int = 0) -> Step:
    """One Adam step of a classifier on a fixed random batch of token ids and lengths."""
    generator = torch.Generator().manual_seed(seed)
    tokens = torch.randint(1, vocab, (batch, length), generator=generator)
    lengths = torch.randint(length // 2, length + 1, (batch,), generator=generator)
    lengths[0] = length
    labels = torch.randint(0, 2, (batch,), generator=generator).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        loss = nn.functional.binary_cross_entropy_with_logits(model(tokens, lengths), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def sequence_step(hidden: int, steps: int, batch: int) -> tuple[nn.Module, Step]:
    """One Adam step of chapter 6's sign task: nn.LSTM(1, hidden) + a linear read-out."""
    lstm, readout = nn.LSTM(1, hidden), nn.Linear(hidden, 1)
    x = torch.randn(steps, batch, 1)
    labels = (x[0, :, 0] > 0).float()
    optimizer = torch.optim.Adam([*lstm.parameters(), *readout.parameters()], lr=1e-2)

    def step() -> None:
        loss = nn.functional.binary_cross_entropy_with_logits(readout(lstm(x)[0][-1]).squeeze(-1), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return lstm, step


def models(quick: bool) -> dict[str, tuple[nn.Module, Step]]:
    """Each chapter's model with its batch shape (smaller sizes in quick mode)."""
    scale = 4 if quick else 1
    char = dict(vocab_size=300, embed_dim=16, num_layers=1, dropout=0.0, pad_id=0)
    found: dict[str, tuple[nn.Module, Step]] = {"ch6_sign_task_16": sequence_step(16, 60 // scale, 64)}
    seed_model = CharSeedModel(300)
    found["ch11_seed_model_1"] = (seed_model, classifier_step(seed_model, 32, 200 // scale, 300))
    for name, settings in {
        "ch11_char_64_exact": dict(hidden_size=64, bidirectional=False, strategy="exact"),
        "ch11_char_64_bi_exact": dict(hidden_size=64, bidirectional=True, strategy="exact"),
    }.items():
        model = LSTMClassifier(ClassifierConfig(**char, **settings))
        found[name] = (model, classifier_step(model, 32, 100 // scale, 300))
    glove = ClassifierConfig(vocab_size=10_002, embed_dim=50, hidden_size=256 // scale, num_layers=2,
                             bidirectional=True, dropout=0.5, pad_id=0, strategy="exact")
    model = LSTMClassifier(glove)
    found["ch12_bilstm_256"] = (model, classifier_step(model, 30, 25, 10_002))
    return found


def time_step(step: Step, threads: int, repeats: int) -> float:
    """Seconds per step on ``threads`` threads: the mean of ``repeats`` steps after one warm-up."""
    with torch_threads(threads):
        step()
        start = time.perf_counter()
        for _ in range(repeats):
            step()
        return (time.perf_counter() - start) / repeats


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and few rounds")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds; the median is kept")
    parser.add_argument("--steps", type=int, default=10, help="training steps timed per round")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.steps = 2, 2
    if args.rounds < 1 or args.steps < 1:
        parser.error("--rounds and --steps must be at least 1")
    default = torch.get_num_threads()
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"PyTorch default {default} threads, torch {torch.__version__}; median of {args.rounds} "
          f"alternating rounds of {args.steps} steps")
    torch.manual_seed(0)
    result = {}
    for name, (model, step) in models(args.quick).items():
        times: dict[int, list[float]] = {1: [], default: []}
        for _ in range(args.rounds):
            for threads in times:
                times[threads].append(time_step(step, threads, args.steps))
        one, many = statistics.median(times[1]), statistics.median(times[default])
        rule = "one thread" if recurrent_parameters(model) < SMALL_RECURRENT_PARAMETERS else "default"
        print(f"{name:>24}: {recurrent_parameters(model):>9,} recurrent parameters; "
              f"1 thread {one * 1e3:8.1f} ms, {default} threads {many * 1e3:8.1f} ms per step "
              f"({many / one:.2f}x); utils.threads uses: {rule}")
        result[f"{name}_one_over_default"] = many / one
    print("RESULT " + " ".join(f"{key}={value:.2f}" for key, value in result.items()))
    return result


if __name__ == "__main__":
    main()
