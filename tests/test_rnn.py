"""The plain RNN of chapter 1 against nn.RNN, and the gradient measurement against w^k."""

import pytest
import torch
from torch.testing import assert_close

from utils.rnn import input_gradient_norms, simple_rnn


@pytest.mark.parametrize("batch_size", [1, 3])
def test_simple_rnn_matches_nn_rnn(batch_size):
    torch.manual_seed(0)
    rnn = torch.nn.RNN(4, 6, bias=False).double()
    x = torch.randn(9, batch_size, 4, dtype=torch.float64)
    h0 = torch.randn(batch_size, 6, dtype=torch.float64)
    expected, _ = rnn(x, h0.unsqueeze(0))
    got = simple_rnn(x, rnn.weight_hh_l0, rnn.weight_ih_l0, h0=h0)
    assert_close(got, expected, atol=1e-12, rtol=0)


@pytest.mark.parametrize("w", [0.5, 1.0, 1.5])
def test_linear_rnn_gradient_is_w_to_the_distance(w):
    steps = 30
    x = torch.randn(steps, 1, 1, dtype=torch.float64)
    w_hh = torch.tensor([[w]], dtype=torch.float64)
    w_xh = torch.ones(1, 1, dtype=torch.float64)
    norms = input_gradient_norms(
        lambda x: simple_rnn(x, w_hh, w_xh, activation=lambda z: z)[-1], x
    )
    distance = torch.arange(steps - 1, -1, -1, dtype=torch.float64)
    assert_close(norms, w**distance, atol=0, rtol=1e-12)


def test_gradient_norm_is_over_the_batch_sum_and_all_features():
    # two sequences, two input features, one linear unit: d(sum of h_T)/dx_t has 4 entries of w^(T-t)
    steps, w = 6, 0.8
    x = torch.randn(steps, 2, 2, dtype=torch.float64)
    w_hh = torch.tensor([[w]], dtype=torch.float64)
    w_xh = torch.ones(1, 2, dtype=torch.float64)
    norms = input_gradient_norms(lambda x: simple_rnn(x, w_hh, w_xh, activation=lambda z: z)[-1], x)
    distance = torch.arange(steps - 1, -1, -1, dtype=torch.float64)
    assert_close(norms, 2 * w**distance, atol=0, rtol=1e-12)  # sqrt(4) = 2
    assert not x.requires_grad  # the caller's tensor is left alone


def test_tanh_is_the_default_activation():
    x = torch.randn(3, 1, 2, dtype=torch.float64)
    w_hh, w_xh = torch.eye(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64)
    h1 = torch.tanh(x[0])
    assert_close(simple_rnn(x, w_hh, w_xh)[0], h1)
    assert_close(simple_rnn(x, w_hh, w_xh)[1], torch.tanh(h1 + x[1]))


def test_shape_errors_name_the_expected_shape():
    with pytest.raises(ValueError, match=r"\(seq_len, batch, input_size\)"):
        simple_rnn(torch.zeros(5, 2), torch.zeros(3, 3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="w_hh"):
        simple_rnn(torch.zeros(5, 1, 2), torch.zeros(3, 3), torch.zeros(3, 4))


def test_median_times_returns_one_positive_median_per_model():
    from utils.lstm import ScratchLSTM
    from utils.timing import median_times

    models = {"torch": torch.nn.LSTM(3, 4), "scratch": ScratchLSTM(3, 4)}
    medians = median_times(models, torch.randn(5, 2, 3), repeats=3, warmup=1)
    assert medians.keys() == models.keys() and all(t > 0 for t in medians.values())
    with pytest.raises(ValueError, match="repeats"):
        median_times(models, torch.randn(5, 2, 3), repeats=0, warmup=0)


def test_h0_of_the_wrong_shape_is_refused():
    x = torch.zeros(4, 3, 2)
    with pytest.raises(ValueError, match=r"expected h0 of shape \(batch, hidden\) = \(3, 5\), got \(5,\)"):
        simple_rnn(x, torch.zeros(5, 5), torch.zeros(5, 2), h0=torch.zeros(5))
