"""Timing forward + backward passes fairly (chapter 5 and ``benchmarks/lstm_speed.py``)."""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from utils.checks import check_int


def forward_backward_seconds(model: nn.Module, x: torch.Tensor) -> float:
    """Wall time of one forward pass and one backward pass through an LSTM-like model
    (``x``: a tensor, or a ``PackedSequence``)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected an LSTM-like model (an nn.Module), got {type(model).__name__}")
    if torch.is_inference_mode_enabled():
        raise RuntimeError("a backward pass cannot run inside torch.inference_mode(): time it outside")
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"no parameter of the {type(model).__name__} requires a gradient, so there is no "
                         "backward pass to time: model.requires_grad_(True)")
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
        outputs = output.data if isinstance(output, PackedSequence) else output
        (outputs.sum() + h_n.sum() + c_n.sum()).backward()
    return time.perf_counter() - start


MAX_ROUNDS = 1000


def median_times(
    models: dict[str, nn.Module], x: torch.Tensor, *, repeats: int, warmup: int
) -> dict[str, float]:
    """Median seconds per model over ``repeats`` runs after ``warmup`` runs.

    The models take turns in every round, so a change in machine load affects all of them alike.
    """
    if not isinstance(models, dict):
        raise TypeError(f"expected models as a dict {{name: model}}, got {type(models).__name__}")
    odd = next((name for name, model in models.items() if not isinstance(model, nn.Module)), None)
    if odd is not None:
        raise TypeError(f"expected every value of models to be a model (an nn.Module), got "
                        f"{type(models[odd]).__name__} for {odd!r}")
    if check_int(repeats, "repeats") < 1 or check_int(warmup, "warmup") < 0:
        raise ValueError(f"expected repeats >= 1 and warmup >= 0, got {repeats} and {warmup}")
    if repeats > MAX_ROUNDS or warmup > MAX_ROUNDS:
        raise ValueError(f"expected at most {MAX_ROUNDS} repeats and warmup rounds, got {repeats} and "
                         f"{warmup}: a median settles after a few dozen")
    times: dict[str, list[float]] = {name: [] for name in models}
    for round_ in range(warmup + repeats):
        for name, model in models.items():
            elapsed = forward_backward_seconds(model, x)
            if round_ >= warmup:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}
