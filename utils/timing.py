"""Timing forward + backward passes fairly (chapter 5 and ``benchmarks/lstm_speed.py``)."""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from utils.checks import check_int


def forward_backward_seconds(model: nn.Module, x: torch.Tensor) -> float:
    """Wall time of one forward pass and one backward pass through an LSTM-like model."""
    model.zero_grad()
    start = time.perf_counter()
    with torch.enable_grad():  # also inside a caller's torch.no_grad()
        result = model(x)
    states = result[1] if isinstance(result, tuple) and len(result) == 2 else None
    if not (isinstance(states, tuple) and len(states) == 2):
        raise TypeError("expected an LSTM-like model returning output, (h_n, c_n), got "
                        f"{type(model).__name__}")
    output, (h_n, c_n) = result
    with torch.enable_grad():
        (output.sum() + h_n.sum() + c_n.sum()).backward()
    return time.perf_counter() - start


def median_times(
    models: dict[str, nn.Module], x: torch.Tensor, *, repeats: int, warmup: int
) -> dict[str, float]:
    """Median seconds per model over ``repeats`` runs after ``warmup`` runs.

    The models take turns in every round, so a change in machine load affects all of them alike.
    """
    if not isinstance(models, dict):
        raise TypeError(f"expected models as a dict {{name: model}}, got {type(models).__name__}")
    if check_int(repeats, "repeats") < 1 or check_int(warmup, "warmup") < 0:
        raise ValueError(f"expected repeats >= 1 and warmup >= 0, got {repeats} and {warmup}")
    times: dict[str, list[float]] = {name: [] for name in models}
    for round_ in range(warmup + repeats):
        for name, model in models.items():
            elapsed = forward_backward_seconds(model, x)
            if round_ >= warmup:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}
