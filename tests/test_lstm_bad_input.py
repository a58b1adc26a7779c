"""ScratchLSTM: wrong input raises ValueError naming the expected shape and what was received."""

import re

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from utils.lstm import ScratchLSTM


def test_wrong_rank_names_the_expected_shape():
    lstm = ScratchLSTM(128, 16)
    with pytest.raises(
        ValueError, match=re.escape("expected input of shape (seq_len, batch, 128), got (4, 100)")
    ):
        lstm(torch.zeros(4, 100))


def test_batch_first_message_uses_batch_first_layout():
    lstm = ScratchLSTM(8, 4, batch_first=True)
    with pytest.raises(
        ValueError, match=re.escape("expected input of shape (batch, seq_len, 8), got (2, 3, 5)")
    ):
        lstm(torch.zeros(2, 3, 5))


def test_wrong_feature_size():
    with pytest.raises(ValueError, match=re.escape("(seq_len, batch, 8), got (3, 2, 7)")):
        ScratchLSTM(8, 4)(torch.zeros(3, 2, 7))


def test_feature_size_is_read_from_the_last_axis():
    # every other axis equals input_size, so only the last one can be wrong
    with pytest.raises(ValueError, match=re.escape("(seq_len, batch, 8), got (8, 8, 5)")):
        ScratchLSTM(8, 4)(torch.zeros(8, 8, 5))


def test_empty_sequence():
    with pytest.raises(ValueError, match="at least one time step"):
        ScratchLSTM(8, 4)(torch.zeros(0, 2, 8))
    with pytest.raises(ValueError, match=re.escape("(batch, seq_len, 8) with at least one time step")):
        ScratchLSTM(8, 4, batch_first=True)(torch.zeros(2, 0, 8))


def test_not_a_tensor():
    with pytest.raises(ValueError, match="torch.Tensor"):
        ScratchLSTM(8, 4)([[0.0] * 8])


@pytest.mark.parametrize("which", [0, 1])
def test_wrong_state_shape(which):
    lstm = ScratchLSTM(8, 4, num_layers=2)
    state = [torch.zeros(2, 3, 4), torch.zeros(2, 3, 4)]
    state[which] = torch.zeros(1, 3, 4)
    name = ("h0", "c0")[which]
    with pytest.raises(
        ValueError, match=re.escape(f"expected {name} of shape") + r".*\(2, 3, 4\), got \(1, 3, 4\)"
    ):
        lstm(torch.zeros(5, 3, 8), tuple(state))


@pytest.mark.parametrize(
    "hx",
    [torch.zeros(1, 3, 4), torch.zeros(2, 1, 3, 4), [torch.zeros(1, 3, 4)] * 3],
    ids=["one tensor", "stacked pair", "three tensors"],
)
def test_state_not_a_pair(hx):
    with pytest.raises(ValueError, match=r"tuple \(h0, c0\)"):
        ScratchLSTM(8, 4)(torch.zeros(5, 3, 8), hx)


def test_state_entries_not_tensors():
    with pytest.raises(ValueError, match=r"expected h0 of shape .* got str"):
        ScratchLSTM(8, 4)(torch.zeros(5, 3, 8), ("h", "c"))


def test_dtype_mismatch_names_the_fix():
    with pytest.raises(ValueError, match=r"dtype torch.float32.*got torch.float64.*convert"):
        ScratchLSTM(8, 4)(torch.zeros(5, 3, 8, dtype=torch.float64))
    lstm = ScratchLSTM(8, 4)
    state = (torch.zeros(1, 3, 4, dtype=torch.float64), torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="h0 with dtype torch.float32"):
        lstm(torch.zeros(5, 3, 8), state)


def test_device_mismatch_names_the_fix():
    lstm = ScratchLSTM(8, 4).to("meta")
    with pytest.raises(ValueError, match=r"expected input on meta.*got cpu.*\.to\(device\)"):
        lstm(torch.zeros(5, 3, 8))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hidden_size": 0}, "hidden_size"),
        ({"hidden_size": True}, "hidden_size"),
        ({"input_size": 2.0}, "input_size"),
        ({"num_layers": 0}, "num_layers"),
        ({"dropout": 1.5}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"loop": "fast"}, "loop"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    arguments = {"input_size": 8, "hidden_size": 4} | kwargs
    with pytest.raises(ValueError, match=match):
        ScratchLSTM(**arguments)


@pytest.mark.parametrize("dropout", [0.0, 1.0])
def test_dropout_bounds_are_accepted(dropout):
    assert ScratchLSTM(8, 4, num_layers=2, dropout=dropout).dropout == dropout


@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_input_is_checked_too(batch_first):
    # a PackedSequence is always time-major inside, so the message names that layout
    packed = pack_padded_sequence(torch.zeros(3, 2, 7), torch.tensor([3, 2]))
    with pytest.raises(
        ValueError, match=re.escape("expected input of shape (seq_len, batch, 8), got (3, 2, 7)")
    ):
        ScratchLSTM(8, 4, batch_first=batch_first)(packed)


def test_packed_input_and_lengths_together():
    packed = pack_padded_sequence(torch.zeros(3, 2, 8), torch.tensor([3, 2]))
    with pytest.raises(ValueError, match="either a PackedSequence or lengths"):
        ScratchLSTM(8, 4)(packed, lengths=torch.tensor([3, 2]))
