"""utils/timing.py: what is timed (forward and backward through output and both states), the
clock arithmetic, and which rounds count (chapter 5 and ``benchmarks/lstm_speed.py``)."""

from __future__ import annotations

import itertools

import pytest
import torch
from conftest import error_message
from torch import nn

from utils import timing


def test_the_backward_pass_goes_through_the_output_and_both_states():
    torch.manual_seed(0)
    model, x = nn.LSTM(2, 3), torch.randn(4, 2, 2)
    timing.forward_backward_seconds(model, x)
    timed = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    output, (h_n, c_n) = model(x)
    (output.sum() + h_n.sum() + c_n.sum()).backward()
    for got, wanted in zip(timed, (p.grad for p in model.parameters()), strict=True):
        torch.testing.assert_close(got, wanted)


def test_the_time_is_the_clock_difference(monkeypatch):
    clock = iter([1000.0, 1000.25])
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(clock))
    assert timing.forward_backward_seconds(nn.LSTM(1, 1), torch.zeros(1, 1, 1)) == 0.25


@pytest.mark.parametrize(("repeats", "warmup"), [(1, 0), (3, 0), (2, 1), (3, 2)])
def test_warm_up_rounds_are_dropped_and_the_median_of_the_rest_kept(monkeypatch, repeats, warmup):
    ticks = itertools.count(1)
    monkeypatch.setattr(timing, "forward_backward_seconds", lambda model, x: float(next(ticks)))
    times = timing.median_times({"a": nn.Identity(), "b": nn.Identity()}, torch.zeros(1), repeats=repeats,
                                warmup=warmup)
    # round r gives a 2r + 1, b 2r + 2; the timed rounds are warmup .. warmup + repeats - 1
    rounds = range(warmup, warmup + repeats)
    assert times == {"a": float(sorted(2 * r + 1 for r in rounds)[(repeats - 1) // 2] if repeats % 2 else
                                sum(sorted(2 * r + 1 for r in rounds)[repeats // 2 - 1:repeats // 2 + 1]) / 2),
                     "b": times["a"] + 1}


@pytest.mark.parametrize(("repeats", "warmup"), [(0, 0), (1, -1), (-2, 3)])
def test_no_timed_round_or_a_negative_warm_up_is_refused(repeats, warmup):
    with pytest.raises(ValueError, match="expected repeats >= 1 and warmup >= 0"):
        timing.median_times({"a": nn.Identity()}, torch.zeros(1), repeats=repeats, warmup=warmup)



@pytest.mark.parametrize("model", [nn.GRU(1, 1), nn.Linear(1, 1)])
def test_a_model_that_is_not_lstm_like_is_named(model):
    x = torch.zeros(2, 1, 1)
    assert error_message(lambda: timing.forward_backward_seconds(model, x)) == (
        f"expected an LSTM-like model returning output, (h_n, c_n), got {type(model).__name__}")


class _Pair(nn.Module):
    """Returns (output, states) where states is a tuple of three, or a 3-tuple overall."""

    def __init__(self, shape: str):
        super().__init__()
        self.shape, self.w = shape, nn.Parameter(torch.ones(1))

    def forward(self, x):
        y = x * self.w
        return (y, (y, y, y)) if self.shape == "three_states" else (y, (y, y), y)


@pytest.mark.parametrize("shape", ["three_states", "three_outputs"])
def test_outputs_of_the_wrong_arity_are_named(shape):
    assert error_message(lambda: timing.forward_backward_seconds(_Pair(shape), torch.zeros(2, 1, 1))) == (
        "expected an LSTM-like model returning output, (h_n, c_n), got _Pair")


def test_median_times_names_its_arguments():
    x = torch.zeros(1)
    assert error_message(lambda: timing.median_times([nn.Identity()], x, repeats=1, warmup=0)) == (
        "expected models as a dict {name: model}, got list")
    assert error_message(lambda: timing.median_times({}, x, repeats=1.5, warmup=0)) == (
        "expected repeats to be an int, got float: 1.5")
    assert error_message(lambda: timing.median_times({}, x, repeats=1, warmup="0")) == (
        "expected warmup to be an int, got str: '0'")
