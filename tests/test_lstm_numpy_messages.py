"""utils/lstm_numpy.py's exact errors (found by mutation testing, benchmarks/results/mutation-*.txt):
which argument, what it got, and what to pass."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import error_message

from utils.lstm_numpy import lstm_cell_backward, lstm_cell_forward

RNG = np.random.default_rng(0)
B, D, H = 2, 3, 5
X, S = RNG.normal(size=(B, D)), np.zeros((B, H))
W_IH, W_HH, BIAS = RNG.normal(size=(4 * H, D)), RNG.normal(size=(4 * H, H)), np.zeros(4 * H)
STEP = lstm_cell_forward(X, S, S, W_IH, W_HH, BIAS, BIAS)



@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((X.tolist(), S, S, W_IH, W_HH, BIAS, BIAS),
         "x must be a NumPy array, got list: convert it with np.asarray(...) (a tensor: .detach().numpy())"),
        ((X, S, S.astype(np.int64), W_IH, W_HH, BIAS, BIAS),
         "c_prev must hold floats, got dtype int64 (integers would overflow or round): convert it with "
         ".astype(np.float64)"),
        ((X, S, S, W_IH, W_HH, None, BIAS),
         "lstm_cell_forward needs both biases as arrays of shape (4H,): for a cell without biases pass "
         "np.zeros(4 * H)"),
        ((X, S, S, W_IH, W_HH, BIAS, None),
         "lstm_cell_forward needs both biases as arrays of shape (4H,): for a cell without biases pass "
         "np.zeros(4 * H)"),
        ((X, S, S, W_IH[0], W_HH, BIAS, BIAS), "expected w_ih of shape (4H, D), got (3,)"),
        ((X, S, S, W_IH, W_HH, BIAS[:-1], BIAS), "expected b_ih of shape (20,) (4H, one per gate row), got (19,)"),
        ((X, S, S, W_IH[:-1], W_HH, BIAS[:-1], BIAS[:-1]),
         "expected w_ih of shape (4H, D), got (19, 3): 4H is not a multiple of 4"),
        ((X[:, :2], S, S, W_IH, W_HH, BIAS, BIAS), "expected x of shape (batch, 3), got (2, 2)"),
        ((X, S[:, :4], S, W_IH, W_HH, BIAS, BIAS), "expected h_prev of shape (2, 5), got (2, 4)"),
        ((X, S, S[:1], W_IH, W_HH, BIAS, BIAS), "expected c_prev of shape (2, 5), got (1, 5)"),
        ((X, S, S, W_IH, W_HH[:, :4], BIAS, BIAS), "expected w_hh of shape (20, 5), got (20, 4)"),
    ],
)
def test_forward_messages(args, expected):
    assert error_message(lambda: lstm_cell_forward(*args)) == expected


def test_the_hidden_size_is_an_int_in_the_messages():
    assert error_message(lambda: lstm_cell_forward(X, S[:, :4], S, W_IH, W_HH, BIAS, BIAS)).endswith("(2, 5), got (2, 4)")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((S, S, STEP), "lstm_cell_backward needs the step's cache: pass step.cache (h, c, cache = "
                       "lstm_cell_forward(...)), not the whole CellStep"),
        ((S, S, (1, 2)), "expected the CellCache from lstm_cell_forward, got tuple"),
        ((S[:, :4], S, STEP.cache), "expected dh as an array of the state's shape (2, 5) (batch, H), got (2, 4) "
                                    "(dc is np.zeros_like(c) at the last step)"),
        ((S, 0.0, STEP.cache), "expected dc as an array of the state's shape (2, 5) (batch, H), got float "
                               "(dc is np.zeros_like(c) at the last step)"),
        ((S.tolist(), S, STEP.cache), "expected dh as an array of the state's shape (2, 5) (batch, H), got list "
                                      "(dc is np.zeros_like(c) at the last step)"),
    ],
)
def test_backward_messages(args, expected):
    assert error_message(lambda: lstm_cell_backward(*args, W_IH, W_HH)) == expected


def test_float32_arrays_are_floats_too():
    as32 = [a.astype(np.float32) for a in (X, S, S, W_IH, W_HH, BIAS, BIAS)]
    h, c, _ = lstm_cell_forward(*as32)
    np.testing.assert_allclose(h, STEP.h, rtol=1e-5, atol=1e-6)
