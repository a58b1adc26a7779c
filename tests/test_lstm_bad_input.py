"""ScratchLSTM: wrong input raises ValueError naming the expected shape and what was received."""

import re

import pytest
import torch

from utils.lstm import ScratchLSTM


def test_wrong_rank_names_the_expected_shape():
    lstm = ScratchLSTM(128, 16)
    with pytest.raises(ValueError, match=re.escape("expected input of shape (seq_len, batch, 128), got (4, 100)")):
        lstm(torch.zeros(4, 100))


def test_batch_first_message_uses_batch_first_layout():
    lstm = ScratchLSTM(8, 4, batch_first=True)
    with pytest.raises(ValueError, match=re.escape("expected input of shape (batch, seq_len, 8), got (2, 3, 5)")):
        lstm(torch.zeros(2, 3, 5))


def test_wrong_feature_size():
    with pytest.raises(ValueError, match=re.escape("(seq_len, batch, 8), got (3, 2, 7)")):
        ScratchLSTM(8, 4)(torch.zeros(3, 2, 7))


def test_empty_sequence():
    with pytest.raises(ValueError, match="at least one time step"):
        ScratchLSTM(8, 4)(torch.zeros(0, 2, 8))


def test_not_a_tensor():
    with pytest.raises(ValueError, match="torch.Tensor"):
        ScratchLSTM(8, 4)([[0.0] * 8])


@pytest.mark.parametrize("which", [0, 1])
def test_wrong_state_shape(which):
    lstm = ScratchLSTM(8, 4, num_layers=2)
    state = [torch.zeros(2, 3, 4), torch.zeros(2, 3, 4)]
    state[which] = torch.zeros(1, 3, 4)
    name = ("h0", "c0")[which]
    with pytest.raises(ValueError, match=re.escape(f"expected {name} of shape") + r".*\(2, 3, 4\), got \(1, 3, 4\)"):
        lstm(torch.zeros(5, 3, 8), tuple(state))


def test_state_not_a_pair():
    with pytest.raises(ValueError, match=r"tuple \(h0, c0\)"):
        ScratchLSTM(8, 4)(torch.zeros(5, 3, 8), torch.zeros(1, 3, 4))


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
    [({"hidden_size": 0}, "hidden_size"), ({"dropout": 1.5}, "dropout"), ({"loop": "fast"}, "loop")],
)
def test_bad_constructor_arguments(kwargs, match):
    arguments = {"input_size": 8, "hidden_size": 4} | kwargs
    with pytest.raises(ValueError, match=match):
        ScratchLSTM(**arguments)
