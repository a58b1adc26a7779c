"""ScratchLSTM against torch.nn.LSTM with copied weights: outputs, states and every gradient."""

import itertools
import math

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.testing import assert_close

from utils.lstm import ScratchLSTM, copy_from_torch, copy_to_torch, parameter_count
from utils.lstm_numpy import lstm_cell_forward

TOL = {torch.float32: {"atol": 1e-5, "rtol": 1e-5}, torch.float64: {"atol": 1e-10, "rtol": 1e-10}}
INPUT, HIDDEN = 5, 6

GRID = list(
    itertools.product(
        [1, 2, 3],  # num_layers
        [True, False],  # batch_first
        [True, False],  # with (h0, c0)
        [1, 7, 50],  # seq_len
        [1, 4],  # batch
    )
)


def make_pair(dtype, *, loop="fused", seed=0, **kwargs):
    torch.manual_seed(seed)
    reference = torch.nn.LSTM(INPUT, HIDDEN, **kwargs).to(dtype)
    kwargs.pop("proj_size", None)
    scratch = copy_from_torch(ScratchLSTM(INPUT, HIDDEN, loop=loop, **kwargs).to(dtype), reference)
    return reference, scratch


def run_both(reference, scratch, x, hx):
    outputs = []
    for model in (reference, scratch):
        x_leaf = x.clone().requires_grad_(True)
        state = None if hx is None else tuple(s.clone().requires_grad_(True) for s in hx)
        out, (h_n, c_n) = model(x_leaf, state)
        # a typical (mean) loss that weighs every output differently, so every gradient is exercised
        loss = (out * torch.linspace(-1, 1, out.numel(), dtype=x.dtype).view_as(out)).mean()
        loss = loss + (h_n**2).mean() + (c_n**3).mean()
        model.zero_grad()
        loss.backward()
        grads = {name: p.grad.clone() for name, p in model.named_parameters()}
        state_grads = None if state is None else [s.grad for s in state]
        outputs.append((out, h_n, c_n, x_leaf.grad, grads, state_grads))
    return outputs


def assert_same(reference_results, scratch_results, dtype):
    tol = TOL[dtype]
    (out_r, h_r, c_r, dx_r, g_r, s_r), (out_s, h_s, c_s, dx_s, g_s, s_s) = reference_results, scratch_results
    assert_close(out_s, out_r, **tol)
    assert_close(h_s, h_r, **tol)
    assert_close(c_s, c_r, **tol)
    assert_close(dx_s, dx_r, **tol)
    assert g_r.keys() == g_s.keys()
    for name in g_r:
        assert_close(g_s[name], g_r[name], **tol, msg=lambda m, name=name: f"gradient of {name}: {m}")
    if s_r is not None:
        for a, b in zip(s_s, s_r, strict=True):
            assert_close(a, b, **tol)


@pytest.mark.parametrize("loop", ["fused", "naive"])
def test_without_bias(loop):
    reference, scratch = make_pair(torch.float64, loop=loop, num_layers=2, bias=False)
    assert not any("bias" in name for name, _ in scratch.named_parameters())
    assert_same(
        *run_both(reference, scratch, torch.randn(6, 3, INPUT, dtype=torch.float64), None), torch.float64
    )


@pytest.mark.parametrize("num_layers", [1, 2])
def test_bidirectional_matches_nn_lstm(num_layers):
    reference, scratch = make_pair(torch.float64, num_layers=num_layers, bidirectional=True)
    hx = tuple(torch.randn(2 * num_layers, 3, HIDDEN, dtype=torch.float64) for _ in range(2))
    assert_same(
        *run_both(reference, scratch, torch.randn(9, 3, INPUT, dtype=torch.float64), hx), torch.float64
    )


def test_parameters_are_laid_out_like_nn_lstm():
    reference = torch.nn.LSTM(INPUT, HIDDEN, num_layers=3, bidirectional=True)
    scratch = ScratchLSTM(INPUT, HIDDEN, num_layers=3, bidirectional=True)
    assert [(n, p.shape) for n, p in scratch.named_parameters()] == [
        (n, p.shape) for n, p in reference.named_parameters()
    ]
    scratch.load_state_dict(reference.state_dict())  # the state_dicts are interchangeable


@pytest.mark.parametrize(
    ("num_layers", "bias", "bidirectional"), list(itertools.product([1, 2, 3], [True, False], [True, False]))
)
def test_parameter_count_formula(num_layers, bias, bidirectional):
    kwargs = {"num_layers": num_layers, "bias": bias, "bidirectional": bidirectional}
    expected = sum(p.numel() for p in torch.nn.LSTM(128, 256, **kwargs).parameters())
    assert parameter_count(128, 256, **kwargs) == expected
    assert sum(p.numel() for p in ScratchLSTM(128, 256, **kwargs).parameters()) == expected


def test_known_parameter_count():
    # 4 * 256 * (128 + 256) + 8 * 256 = 395,264
    assert parameter_count(128, 256) == 395_264


def test_copy_to_torch_round_trip():
    scratch = ScratchLSTM(INPUT, HIDDEN, num_layers=2)
    reference = copy_to_torch(scratch, torch.nn.LSTM(INPUT, HIDDEN, num_layers=2))
    x = torch.randn(5, 2, INPUT)
    assert_close(scratch(x)[0], reference(x)[0], **TOL[torch.float32])


@pytest.mark.parametrize("copy", [copy_from_torch, copy_to_torch])
def test_copy_refuses_swapped_arguments_and_keeps_the_weights(copy):
    trained, scratch = torch.nn.LSTM(INPUT, HIDDEN), ScratchLSTM(INPUT, HIDDEN)
    before = {name: p.detach().clone() for name, p in trained.named_parameters()}
    scratch_before = {name: p.detach().clone() for name, p in scratch.named_parameters()}
    with pytest.raises(TypeError, match=rf"{copy.__name__}\(scratch, lstm\) takes the ScratchLSTM first"):
        copy(trained, scratch)
    for name, p in trained.named_parameters():
        assert torch.equal(p, before[name]), f"{name} of the nn.LSTM was overwritten"
    for name, p in scratch.named_parameters():
        assert torch.equal(p, scratch_before[name]), f"{name} of the ScratchLSTM was overwritten"


@pytest.mark.parametrize("copy", [copy_from_torch, copy_to_torch])
def test_copy_refuses_two_of_a_kind(copy):
    with pytest.raises(TypeError, match="expects a ScratchLSTM and an nn.LSTM, got LSTM and LSTM"):
        copy(torch.nn.LSTM(INPUT, HIDDEN), torch.nn.LSTM(INPUT, HIDDEN))
    with pytest.raises(TypeError, match="got ScratchLSTM and ScratchLSTM"):
        copy(ScratchLSTM(INPUT, HIDDEN), ScratchLSTM(INPUT, HIDDEN))


def test_copy_from_torch_copies_every_parameter():
    reference = torch.nn.LSTM(INPUT, HIDDEN, num_layers=2, bidirectional=True)
    scratch = copy_from_torch(ScratchLSTM(INPUT, HIDDEN, num_layers=2, bidirectional=True), reference)
    for name, p in reference.named_parameters():
        assert torch.equal(getattr(scratch, name), p), name


def test_reset_parameters_is_uniform_in_plus_minus_one_over_sqrt_hidden():
    torch.manual_seed(0)
    scratch = ScratchLSTM(INPUT, 16, num_layers=2, bidirectional=True)
    values = torch.cat([p.detach().flatten() for p in scratch.parameters()])
    bound = 1 / math.sqrt(16)
    assert values.abs().max() <= bound
    assert values.max() > 0.95 * bound and values.min() < -0.95 * bound  # the whole range is used
    assert abs(values.mean()) < 0.01 and values.std() > 0.5 * bound


def test_repr_lists_the_arguments():
    text = repr(ScratchLSTM(3, 4, num_layers=2, dropout=0.25, bidirectional=True, batch_first=True))
    for part in (
        "3, 4",
        "num_layers=2",
        "bias=True",
        "batch_first=True",
        "dropout=0.25",
        "bidirectional=True",
        "loop='fused'",
    ):
        assert part in text, f"{part!r} missing from {text!r}"


def test_copy_refuses_a_different_configuration():
    with pytest.raises(ValueError, match="num_layers"):
        copy_from_torch(ScratchLSTM(INPUT, HIDDEN, num_layers=2), torch.nn.LSTM(INPUT, HIDDEN))
    with pytest.raises(ValueError, match="proj_size"):
        copy_from_torch(ScratchLSTM(INPUT, HIDDEN), torch.nn.LSTM(INPUT, HIDDEN, proj_size=2))


def test_dropout_only_between_layers_and_only_in_training():
    torch.manual_seed(0)
    scratch = ScratchLSTM(INPUT, HIDDEN, num_layers=2, dropout=1.0)  # p = 1 zeroes layer 1's output
    x = torch.randn(6, 3, INPUT)
    out, _ = scratch.train()(x)
    # layer 2 then sees only zeros: compare with a 1-layer LSTM holding layer 2's weights on zeros
    second = ScratchLSTM(HIDDEN, HIDDEN)
    with torch.no_grad():
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(second, f"{kind}_l0").copy_(getattr(scratch, f"{kind}_l1"))
    assert_close(out, second(torch.zeros(6, 3, HIDDEN))[0])
    # in eval mode dropout is off and the output matches nn.LSTM exactly
    reference = torch.nn.LSTM(INPUT, HIDDEN, num_layers=2, dropout=1.0)
    copy_to_torch(scratch, reference)
    assert_close(scratch.eval()(x)[0], reference.eval()(x)[0], **TOL[torch.float32])
    # neither the input nor the last layer's output gets dropout: one layer ignores the setting
    single = ScratchLSTM(INPUT, HIDDEN, dropout=1.0)
    assert_close(single.train()(x)[0], single.eval()(x)[0], atol=0, rtol=0)


@pytest.mark.parametrize("batch", [1, 3])
def test_numpy_cell_matches_torch_cell(batch):
    torch.manual_seed(1)
    cell = torch.nn.LSTMCell(INPUT, HIDDEN).double()
    x, h, c = (
        torch.randn(batch, INPUT, dtype=torch.float64),
        *torch.randn(2, batch, HIDDEN, dtype=torch.float64),
    )
    h_ref, c_ref = cell(x, (h, c))
    weights = [p.detach().numpy() for p in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
    h_np, c_np, _ = lstm_cell_forward(x.numpy(), h.numpy(), c.numpy(), *weights)
    assert_close(torch.from_numpy(h_np), h_ref.detach(), atol=1e-12, rtol=0)
    assert_close(torch.from_numpy(c_np), c_ref.detach(), atol=1e-12, rtol=0)


def test_numpy_cell_matches_scratch_lstm_first_step():
    scratch = ScratchLSTM(INPUT, HIDDEN).double()
    x = torch.randn(1, 2, INPUT, dtype=torch.float64)
    out, (h_n, c_n) = scratch(x)
    weights = [p.detach().numpy() for p in scratch.layer_weights(0)]
    zeros = np.zeros((2, HIDDEN))
    h_np, c_np, _ = lstm_cell_forward(x[0].numpy(), zeros, zeros, *weights)
    assert_close(torch.from_numpy(h_np), h_n[0].detach(), atol=1e-12, rtol=0)
    assert_close(torch.from_numpy(c_np), c_n[0].detach(), atol=1e-12, rtol=0)


VARLEN_T, VARLEN_LENGTHS = 7, [7, 2, 5]  # T != batch, lengths above the batch size, unsorted


def packed_reference(reference, x, lengths, hx):
    """nn.LSTM on packed input, unpacked to (T, B, F) with zeros at padding."""
    packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    out, (h_n, c_n) = reference(packed, hx)
    return pad_packed_sequence(out, total_length=x.shape[0])[0], h_n, c_n


@pytest.mark.parametrize("loop", ["fused", "naive"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_lengths_match_packed_nn_lstm(loop, batch_first):
    reference, scratch = make_pair(torch.float64, loop=loop, num_layers=2, bidirectional=True)
    x = torch.randn(VARLEN_T, len(VARLEN_LENGTHS), INPUT, dtype=torch.float64)
    hx = tuple(torch.randn(4, len(VARLEN_LENGTHS), HIDDEN, dtype=torch.float64) for _ in range(2))
    expected = packed_reference(reference, x, VARLEN_LENGTHS, hx)
    scratch.batch_first = batch_first
    x_in = x.transpose(0, 1) if batch_first else x
    out, (h_n, c_n) = scratch(x_in, hx, lengths=torch.tensor(VARLEN_LENGTHS))
    out = out.transpose(0, 1) if batch_first else out
    for mine, theirs in zip((out, h_n, c_n), expected, strict=True):
        assert_close(mine, theirs, **TOL[torch.float64])


@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_packed_input_gives_packed_output_like_nn_lstm(enforce_sorted):
    reference, scratch = make_pair(torch.float64, num_layers=2, bidirectional=True)
    lengths = sorted(VARLEN_LENGTHS, reverse=True) if enforce_sorted else VARLEN_LENGTHS
    x = torch.randn(VARLEN_T, len(lengths), INPUT, dtype=torch.float64)
    packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=enforce_sorted)
    (out_r, (h_r, c_r)), (out_s, (h_s, c_s)) = reference(packed), scratch(packed)
    assert_close(out_s.data, out_r.data, **TOL[torch.float64])
    assert torch.equal(out_s.batch_sizes, out_r.batch_sizes)
    for mine, theirs in (
        (out_s.sorted_indices, out_r.sorted_indices),
        (out_s.unsorted_indices, out_r.unsorted_indices),
    ):
        assert (mine is None and theirs is None) or torch.equal(mine, theirs)
    assert_close(h_s, h_r, **TOL[torch.float64])
    assert_close(c_s, c_r, **TOL[torch.float64])


def test_padding_after_the_end_changes_nothing():
    """With lengths, what lies beyond each sequence's end has no effect (the mask is applied)."""
    scratch = ScratchLSTM(INPUT, HIDDEN, bidirectional=True).double()
    x = torch.randn(VARLEN_T, len(VARLEN_LENGTHS), INPUT, dtype=torch.float64)
    noisy = x.clone()
    for b, length in enumerate(VARLEN_LENGTHS):
        noisy[length:, b] = 100.0
    lengths = torch.tensor(VARLEN_LENGTHS)
    (out_a, (h_a, c_a)), (out_b, (h_b, c_b)) = scratch(x, lengths=lengths), scratch(noisy, lengths=lengths)
    assert_close(out_a, out_b, atol=0, rtol=0)
    assert_close(h_a, h_b, atol=0, rtol=0)
    assert_close(c_a, c_b, atol=0, rtol=0)
    assert torch.all(out_a[2:, 1] == 0), "the output at padding steps is 0"


# the full grid last: it is the slowest part, and every other test fails faster
@pytest.mark.parametrize("loop", ["fused", "naive"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(("num_layers", "batch_first", "with_state", "seq_len", "batch"), GRID)
def test_matches_nn_lstm(loop, dtype, num_layers, batch_first, with_state, seq_len, batch):
    reference, scratch = make_pair(dtype, loop=loop, num_layers=num_layers, batch_first=batch_first)
    shape = (batch, seq_len, INPUT) if batch_first else (seq_len, batch, INPUT)
    x = torch.randn(shape, dtype=dtype)
    hx = None
    if with_state:
        hx = tuple(torch.randn(num_layers, batch, HIDDEN, dtype=dtype) for _ in range(2))
    assert_same(*run_both(reference, scratch, x, hx), dtype)
