"""The exact errors of the scalar helpers (chapters 3-4): each names the argument, shows the value
and says what to pass instead. Exact strings, so a message that loses its argument name, its
value or its fix fails here (found by mutation testing: benchmarks/results/mutation-*.txt)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import error_message

from utils import scalar_lstm
from utils.scalar_lstm import ScalarLSTMParams, from_torch_lstm_weights, gates, run

PARAMS = ScalarLSTMParams.random(np.random.default_rng(0))


def message(call, kind=Exception) -> str:
    return error_message(call, kind)


def test_random_parameters_are_normal_with_the_given_scale():
    drawn = ScalarLSTMParams.random(np.random.default_rng(7))
    expected = np.random.default_rng(7).normal(0.0, 1.0, size=12)
    np.testing.assert_array_equal([getattr(drawn, name) for name in scalar_lstm.PARAM_NAMES], expected)
    scaled = ScalarLSTMParams.random(np.random.default_rng(7), scale=0.5)
    assert scaled.w1 == pytest.approx(0.5 * drawn.w1)


def test_random_refuses_a_seed_and_a_scale_of_zero():
    assert message(lambda: ScalarLSTMParams.random(7), TypeError) == (
        "expected rng to be a np.random.Generator, got int: pass np.random.default_rng(seed)"
    )
    assert message(lambda: ScalarLSTMParams.random(np.random.default_rng(0), scale=0), ValueError) == (
        "expected scale > 0, got 0"
    )
    assert message(lambda: ScalarLSTMParams.random(np.random.default_rng(0), scale="1"), TypeError) == (
        "expected scale to be a real number (int or float), got str: '1'"
    )


def test_parameters_name_the_field_that_is_not_a_number():
    values = PARAMS.as_dict() | {"b3": "x"}
    assert message(lambda: ScalarLSTMParams(**values), TypeError) == (
        "expected b3 to be a real number (int or float), got str: 'x'"
    )


def test_the_cell_names_its_inputs():
    assert message(lambda: gates("1", 0.0, PARAMS), TypeError) == (
        "expected x to be a real number (int or float), got str: '1'"
    )
    assert message(lambda: gates(0.0, 0.0, {"w1": 1.0}), TypeError) == (
        "expected p to be a ScalarLSTMParams, got dict: build one with ScalarLSTMParams(**weights) "
        "(names w1..w8, b1..b4) or ScalarLSTMParams.random(rng)"
    )
    assert message(lambda: run("abc", PARAMS), TypeError) == "expected xs to be a sequence of numbers, got a string"
    assert message(lambda: run(5, PARAMS), TypeError) == "expected xs to be a sequence of numbers, got int"
    assert message(lambda: run([0.0], PARAMS, c0="0"), TypeError) == (
        "expected c0 to be a real number (int or float), got str: '0'"
    )
    assert message(lambda: run([0.0], PARAMS, h0=None), TypeError) == (
        "expected h0 to be a real number (int or float), got NoneType: None"
    )
    assert message(lambda: run([0.0, "a"], PARAMS), TypeError) == (
        "expected xs[1] to be a real number (int or float), got str: 'a'"
    )


def test_from_torch_weights_names_what_to_pass():
    lstm = torch.nn.LSTM(1, 1)
    assert message(lambda: from_torch_lstm_weights(lstm), TypeError) == (
        "expected the state_dict of an nn.LSTM(1, 1), got LSTM: pass lstm.state_dict()"
    )
    assert message(lambda: from_torch_lstm_weights([1.0]), TypeError) == (
        "expected the state_dict of an nn.LSTM(1, 1), got list"
    )
    extra = lstm.state_dict() | {"weight_ih_l1": torch.zeros(4, 1), "bias_x": torch.zeros(4)}
    assert message(lambda: from_torch_lstm_weights(extra), ValueError) == (
        "unexpected bias_x, weight_ih_l1: pass the state_dict of a one-layer torch.nn.LSTM(1, 1)"
    )
    meta = {k: v.to("meta") for k, v in lstm.state_dict().items()}
    assert message(lambda: from_torch_lstm_weights(meta), ValueError).startswith("weight_ih_l0 is on the 'meta' device")
    as_lists = {k: v.tolist() for k, v in lstm.state_dict().items()}
    assert from_torch_lstm_weights(as_lists) == from_torch_lstm_weights(lstm.state_dict())


def test_an_int_too_large_for_a_float_is_named():
    assert message(lambda: gates(10**400, 0.0, PARAMS), ValueError) == (
        "expected x to be a number a float can hold (|x| < 1.8e308), got an int of 401 digits: too large for a float"
    )


def test_weights_that_are_not_numbers_are_named():
    words = {k: [["a"]] * len(v) for k, v in torch.nn.LSTM(1, 1).state_dict().items()}
    assert message(lambda: from_torch_lstm_weights(words), TypeError).startswith(
        "weight_ih_l0 must hold numbers, as an nn.LSTM(1, 1)'s state_dict does (could not convert string to float")
