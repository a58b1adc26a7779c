"""utils/lstm.py's exact errors and warning, and the paths of ScratchLSTM that only odd inputs
reach (found by mutation testing, benchmarks/results/mutation-*.txt)."""

from __future__ import annotations

import warnings

import pytest
import torch
from conftest import UNDER_MUTMUT, error_message
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from utils.lstm import ScratchLSTM, copy_from_torch, fused_loop, naive_loop, parameter_count

T, B, D, H = 3, 2, 4, 5
X, STATE = torch.randn(T, B, D), torch.zeros(B, H)
W_IH, W_HH, BIAS = torch.randn(4 * H, D), torch.randn(4 * H, H), torch.zeros(4 * H)


def loop_error(**changes) -> str:
    args = {"x": X, "h": STATE, "c": STATE, "w_ih": W_IH, "w_hh": W_HH, "b_ih": BIAS, "b_hh": BIAS} | changes
    message = error_message(lambda: naive_loop(**args))
    assert error_message(lambda: fused_loop(**args)) == message  # one check serves both loops
    return message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"x": X.tolist()}, "expected x to be a torch.Tensor, got list: convert arrays with "
                            "torch.as_tensor(..., dtype=torch.float32)"),
        ({"b_hh": None}, "expected both biases (b_ih and b_hh) or neither, as nn.LSTM has"),
        ({"x": X[:0]}, "expected x of shape (T, B, D) with T >= 1, got (0, 2, 4)"),
        ({"x": X[0]}, "expected x of shape (T, B, D) with T >= 1, got (2, 4)"),
        ({"w_hh": W_HH.T}, "expected w_hh of shape (4H, H), got (5, 20): nn.LSTM's weight_hh_l0, not its "
                           "transpose"),
        ({"h": STATE[0]}, "expected h of shape (2, 5) for x (3, 2, 4) and H = 5, got (5,): states are (B, H), "
                          "weights (4H, D) and (4H, H) as in nn.LSTM"),
        ({"h": STATE.double()}, "expected one floating dtype for every input, got {'x': 'torch.float32', "
                                "'h': 'torch.float64', 'c': 'torch.float32', 'w_ih': 'torch.float32', "
                                "'w_hh': 'torch.float32', 'b_ih': 'torch.float32', 'b_hh': 'torch.float32'}: "
                                "convert with .float()"),
        ({"mask": torch.ones(T, B, dtype=torch.bool)}, "expected mask as a bool tensor of shape (3, 2, 1) "
                                                       "(T, B, 1), got torch.bool (3, 2): "
                                                       "padding_mask(lengths, T).T.unsqueeze(-1)"),
        ({"mask": [[True]]}, "expected mask as a bool tensor of shape (3, 2, 1) (T, B, 1), got list: "
                             "padding_mask(lengths, T).T.unsqueeze(-1)"),
    ],
)
def test_loop_errors(changes, expected):
    assert loop_error(**changes) == expected


def test_the_dtype_check_needs_floats_even_when_every_input_agrees():
    ints = {name: value.long() for name, value in
            {"x": X, "h": STATE, "c": STATE, "w_ih": W_IH, "w_hh": W_HH, "b_ih": BIAS, "b_hh": BIAS}.items()}
    assert loop_error(**ints).startswith("expected one floating dtype for every input, got {'x': 'torch.int64'")


def test_scratch_lstm_construction_errors_name_the_argument():
    for name, kwargs in (("bias", {"bias": "yes"}), ("batch_first", {"batch_first": 1}),
                         ("bidirectional", {"bidirectional": None})):
        value = next(iter(kwargs.values()))
        assert error_message(lambda kwargs=kwargs: ScratchLSTM(D, H, **kwargs)) == (
            f"expected {name} to be True or False, got {type(value).__name__}: {value!r}")
    assert error_message(lambda: ScratchLSTM(D, 0)) == "expected hidden_size to be a positive int, got 0"


def test_the_dropout_warning_points_at_the_caller_and_only_when_dropout_is_lost():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ScratchLSTM(D, H, dropout=0.0)
        ScratchLSTM(D, H, num_layers=2, dropout=0.5)
        assert caught == []
        ScratchLSTM(D, H, dropout=0.5)
    [warning] = caught
    assert warning.category is UserWarning
    assert warning.filename == __file__ or UNDER_MUTMUT
    assert str(warning.message) == (
        "dropout=0.5 has no effect with num_layers=1: ScratchLSTM applies dropout between layers only; "
        "use num_layers >= 2, or dropout=0 and an nn.Dropout after the LSTM")


def test_layer_weights_errors():
    lstm = ScratchLSTM(D, H, num_layers=2, bidirectional=True)
    assert error_message(lambda: lstm.layer_weights("0")) == "expected layer to be an int, got str: '0'"
    assert error_message(lambda: lstm.layer_weights(0, 1.0)) == (
        "expected direction to be an int, got float: 1.0; write 1")
    for layer, direction in ((2, 0), (0, 2), (-1, 0)):
        assert error_message(lambda layer=layer, direction=direction: lstm.layer_weights(layer, direction)) == (
            f"expected layer in [0, 2) and direction in [0, 2), got layer={layer}, direction={direction}")
    assert lstm.layer_weights(1, 1)[0] is lstm.weight_ih_l1_reverse


def test_input_errors():
    lstm = ScratchLSTM(D, H)
    assert error_message(lambda: lstm(X.tolist())) == (
        "expected input to be a torch.Tensor of shape (seq_len, batch, 4), got list")
    assert error_message(lambda: lstm(X[:0])) == (
        "expected input of shape (seq_len, batch, 4) with at least one time step, got (0, 2, 4)")
    packed = pack_padded_sequence(X, [3, 2])
    assert error_message(lambda: lstm(packed, lengths=torch.tensor([3, 2]))) == (
        "pass either a PackedSequence or lengths, not both")


def test_padding_beyond_the_longest_sequence_is_read_as_padding():
    # x has 5 steps, the longest sequence 3: the mask must cover all 5 steps, not stop at 3
    torch.manual_seed(0)
    reference = nn.LSTM(D, H, bidirectional=True)
    scratch = copy_from_torch(ScratchLSTM(D, H, bidirectional=True), reference)
    x, lengths = torch.randn(5, B, D), torch.tensor([3, 2])
    output, (h_n, c_n) = scratch(x, lengths=lengths)
    packed_output, (h_ref, c_ref) = reference(pack_padded_sequence(x, lengths, enforce_sorted=False))
    expected, _ = pad_packed_sequence(packed_output, total_length=5)
    torch.testing.assert_close(output, expected)
    torch.testing.assert_close(h_n, h_ref)
    torch.testing.assert_close(c_n, c_ref)


def test_unsorted_packed_input_comes_back_in_its_own_order():
    torch.manual_seed(0)
    reference = nn.LSTM(D, H)
    scratch = copy_from_torch(ScratchLSTM(D, H), reference)
    x, lengths = torch.randn(T, 3, D), torch.tensor([1, 3, 2])  # not sorted
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    output, _ = scratch(packed)
    expected, _ = reference(packed)
    assert torch.equal(output.unsorted_indices, expected.unsorted_indices)
    torch.testing.assert_close(pad_packed_sequence(output)[0], pad_packed_sequence(expected)[0])


def test_parameter_count_errors():
    assert error_message(lambda: parameter_count(0, H)) == "expected input_size to be a positive int, got 0"
    assert error_message(lambda: parameter_count(D, "5")) == "expected hidden_size to be a positive int, got '5'"
    assert error_message(lambda: parameter_count(D, H, num_layers=True)) == (
        "expected num_layers to be a positive int, got True")
    assert error_message(lambda: parameter_count(D, H, bias=1)) == "expected bias to be True or False, got int: 1"


def test_copy_errors():
    assert error_message(lambda: copy_from_torch(ScratchLSTM(D, H), nn.LSTM(D, H, proj_size=2))) == (
        "ScratchLSTM has no projection; use an nn.LSTM with proj_size=0")
    meta = nn.LSTM(D, H, device="meta")
    assert error_message(lambda: copy_from_torch(ScratchLSTM(D, H), meta)) == (
        "copy_from_torch: an LSTM is on the meta device (shapes, no values), so nothing would be copied; "
        "build it on a real device, or .to_empty(device='cpu') first")


def test_scratch_lstm_sizes_name_the_argument():
    assert error_message(lambda: ScratchLSTM(0, H)) == "expected input_size to be a positive int, got 0"
    assert error_message(lambda: ScratchLSTM(D, H, num_layers=0)) == "expected num_layers to be a positive int, got 0"
