"""Activations (chapter 2) against PyTorch and known values."""

import math
import warnings

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from utils.activations import sigmoid, sigmoid_derivative, tanh, tanh_derivative

GRID = np.linspace(-40.0, 40.0, 2001)


def test_sigmoid_matches_torch():
    assert_close(torch.from_numpy(sigmoid(GRID)), torch.sigmoid(torch.from_numpy(GRID)))


def test_tanh_matches_torch():
    assert_close(torch.from_numpy(tanh(GRID)), torch.tanh(torch.from_numpy(GRID)))


@pytest.mark.parametrize(
    ("fn", "torch_fn"), [(sigmoid_derivative, torch.sigmoid), (tanh_derivative, torch.tanh)]
)
def test_derivatives_match_autograd(fn, torch_fn):
    x = torch.from_numpy(GRID.copy()).requires_grad_()
    torch_fn(x).sum().backward()
    assert_close(torch.from_numpy(fn(GRID)), x.grad)


def test_known_values():
    assert sigmoid(0.0) == 0.5
    assert sigmoid_derivative(0.0) == 0.25
    assert tanh_derivative(0.0) == 1.0
    assert math.isclose(sigmoid(1.0), 1 / (1 + math.exp(-1)), rel_tol=1e-15)


def test_sigmoid_is_stable_at_extremes():
    with np.errstate(over="raise"):
        assert sigmoid(-1000.0) == 0.0
        assert sigmoid(1000.0) == 1.0
        assert 0.0 < sigmoid(-700.0) < 1e-300


def test_tanh_is_rescaled_sigmoid():
    assert_close(
        torch.from_numpy(tanh(GRID)), torch.from_numpy(2 * sigmoid(2 * GRID) - 1), atol=1e-15, rtol=0
    )


def test_scalar_in_scalar_out_and_lists_accepted():
    assert isinstance(sigmoid(2), float)
    assert isinstance(tanh(np.float32(0.5)), float)
    assert sigmoid([0, 0]).tolist() == [0.5, 0.5]


@pytest.mark.parametrize("bad", ["1.0", None, True, [1, "a"], 1 + 2j])
def test_non_numeric_input_raises_type_error(bad):
    with pytest.raises(TypeError, match="expected x"):
        sigmoid(bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, [0.0, math.nan]])
def test_nan_or_inf_raises_value_error(bad):
    with pytest.raises(ValueError, match="finite"):
        tanh(bad)


def test_shows_error_prints_the_error_in_one_line(capsys):
    from utils.checks import shows_error

    with shows_error():
        raise ValueError("lengths must be at least 1")
    assert capsys.readouterr().out == "ValueError: lengths must be at least 1\n"


def test_shows_error_fails_when_nothing_goes_wrong():
    import pytest

    from utils.checks import shows_error

    with pytest.raises(AssertionError, match="expected to raise"):
        with shows_error():
            pass


def test_derivatives_keep_relative_precision_in_the_tails():
    # s * (1 - s) and 1 - tanh^2 cancel to exactly 0 here; the stable forms do not
    assert sigmoid_derivative(40.0) == pytest.approx(math.exp(-40.0), rel=1e-12)
    assert sigmoid_derivative(-40.0) == pytest.approx(math.exp(-40.0), rel=1e-12)
    assert tanh_derivative(20.0) == pytest.approx(4 * math.exp(-40.0), rel=1e-12)
    assert tanh_derivative(-20.0) == pytest.approx(4 * math.exp(-40.0), rel=1e-12)
    x = np.array([-700.0, -30.0, 3.0, 30.0])
    exact = np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))) ** 2
    assert_close(torch.from_numpy(sigmoid_derivative(x)), torch.from_numpy(exact), rtol=1e-13, atol=0)


def test_derivatives_are_symmetric_and_peak_at_zero():
    x = np.linspace(0.1, 10.0, 50)
    assert np.array_equal(sigmoid_derivative(x), sigmoid_derivative(-x))
    assert np.array_equal(tanh_derivative(x), tanh_derivative(-x))
    assert np.all(sigmoid_derivative(x) < 0.25) and np.all(tanh_derivative(x) < 1.0)
    assert isinstance(sigmoid_derivative(1), float) and isinstance(tanh_derivative(1), float)


# --- found by mutation testing (benchmarks/results/mutation-*.txt) ---------------------------


@pytest.mark.parametrize("function", [sigmoid, sigmoid_derivative, tanh, tanh_derivative])
def test_a_float_in_gives_a_python_float_out(function):
    assert type(function(0.5)) is float
    assert isinstance(function(np.array([0.5])), np.ndarray)


def test_tanh_derivative_does_not_overflow_far_in_the_tails():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflowing exp would warn (and give NaN)
        assert tanh_derivative(400.0) == 0.0 and tanh_derivative(-400.0) == 0.0
        assert sigmoid_derivative(800.0) == 0.0


def test_the_error_messages_show_the_start_of_the_input():
    huge = [10**400] * 3
    shown = str(np.asarray(huge, dtype=object))[:40]
    with pytest.raises(ValueError) as caught:
        sigmoid(huge)
    assert str(caught.value) == f"x = {shown} is too large for a float (|x| < 1.8e308)"
    odd = [None] * 30
    with pytest.raises(TypeError) as caught:
        tanh(odd)
    assert str(caught.value) == f"expected x to hold real numbers, got {str(np.asarray(odd, dtype=object))[:40]}"
    with pytest.raises(ValueError) as caught:
        sigmoid([[1, 2], [3]])
    assert str(caught.value).startswith(
        "expected x to be a number or a rectangular list of numbers (every row the same length), got a ragged list (")
