"""utils/varlen.py's exact errors, and the inputs that make its padding feature work hardest
(found by mutation testing, benchmarks/results/mutation-*.txt)."""

from __future__ import annotations

import pytest
import torch
from conftest import error_message
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.testing import assert_close

from utils.varlen import exact_lstm, saturation

LSTM = nn.LSTM(3, 4)
X = torch.randn(5, 2, 3)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((torch.ones(16), None), "expected w_hh as a non-empty (4H, H) torch.Tensor (lstm.weight_hh_l0), got (16,)"),
        ((torch.ones(0, 0), None), "expected w_hh as a non-empty (4H, H) torch.Tensor (lstm.weight_hh_l0), got (0, 0)"),
        (([[1.0]], None), "expected w_hh as a non-empty (4H, H) torch.Tensor (lstm.weight_hh_l0), got list"),
        ((torch.ones(8, 2), [1.0]), "expected bias as a torch.Tensor or None, got list"),
        ((torch.ones(8, 2), None, 2.0), "expected w_hr as a torch.Tensor or None, got float"),
    ],
)
def test_saturation_errors(args, expected):
    assert error_message(lambda: saturation(*args)) == expected


@pytest.mark.parametrize(
    ("lstm", "x", "hx", "expected"),
    [
        (LSTM.weight_ih_l0, X, None, "expected an nn.LSTM, got Parameter"),
        (LSTM, X.tolist(), None, "expected x of shape (T, B, input_size) with input_size=3, got list"),
        (LSTM, X[0], None, "expected x of shape (T, B, input_size) with input_size=3, got (2, 3)"),
        (nn.LSTM(3, 4, batch_first=True), X[..., :2], None,
         "expected x of shape (B, T, input_size) with input_size=3, got (5, 2, 2)"),
        (LSTM, X.double(), None, "x is torch.float64 on cpu but the LSTM's weights are torch.float32 on cpu: "
                                 "convert x with x.to(lstm.weight_ih_l0) (token ids go through an nn.Embedding "
                                 "first)"),
        (LSTM, X, [torch.zeros(1, 2, 4), 0.0], "expected hx = (h_0, c_0), a pair of tensors, or None; got list "
                                               "of Tensor, float"),
        (LSTM, X, torch.zeros(1, 2, 4), "expected hx = (h_0, c_0), a pair of tensors, or None; got Tensor"),
        (LSTM, X, (torch.zeros(1, 2, 4), torch.zeros(2, 4)), "expected hx = (h_0, c_0) of shapes [(1, 2, 4), "
                                                              "(1, 2, 4)], got [(1, 2, 4), (2, 4)]"),
    ],
)
def test_exact_lstm_errors(lstm, x, hx, expected):
    assert error_message(lambda: exact_lstm(lstm, x, [5, 3], hx)) == expected


def packed(model, x, lengths):
    out, (h_n, c_n) = model(pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False))
    return pad_packed_sequence(out, total_length=x.shape[0])[0], h_n, c_n


@pytest.mark.parametrize("which", ["biases", "input weights"])
def test_large_biases_or_input_weights_do_not_leak_through_the_padding(which):
    # S must bound both biases; and the padding steps' input must be 0, not 1, since S does not
    # bound what W_ih would add there
    torch.manual_seed(0)
    model = nn.LSTM(3, 4, bidirectional=True).double()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.startswith("bias" if which == "biases" else "weight_ih"):
                parameter.mul_(5000.0)
    x, lengths = torch.randn(6, 3, 3, dtype=torch.float64), [6, 2, 4]
    for got, expected in zip(exact_lstm(model, x, lengths), packed(model, x, lengths), strict=True):
        assert_close(got, expected)
