"""utils.varlen.exact_lstm against packed nn.LSTM: outputs, states and every gradient."""

from __future__ import annotations

import random
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.testing import assert_close

from utils.varlen import MARGIN, exact_lstm, saturation


def random_config(seed: int) -> dict[str, Any]:
    """A random nn.LSTM and batch; lengths include 1, the maximum, and sometimes all equal."""
    rng = random.Random(seed)
    batch = rng.randint(1, 6)
    steps = rng.randint(1, 12)
    lengths = [rng.randint(1, steps) for _ in range(batch)]
    lengths[0] = steps  # at least one sequence fills the batch...
    if batch > 1:
        lengths[-1] = 1  # ...and one is a single token
    if seed % 5 == 0:
        lengths = [steps] * batch  # all equal
    hidden = rng.randint(1, 6)
    return {
        "input_size": rng.randint(1, 5),
        "hidden_size": hidden,
        "num_layers": rng.randint(1, 3),
        "bidirectional": rng.random() < 0.6,
        "batch_first": rng.random() < 0.5,
        "bias": rng.random() < 0.85,
        "proj_size": rng.randint(1, hidden - 1) if hidden > 1 and rng.random() < 0.2 else 0,
        "dtype": torch.float64 if seed % 2 else torch.float32,
        "lengths": lengths,
        "steps": steps + rng.randint(0, 2),  # sometimes padded beyond the longest sequence
        "with_hx": rng.random() < 0.3,
        "dropout": rng.choice([0.0, 0.5]),  # tried in eval mode only (random masks cannot match)
    }


def run(model: nn.LSTM, x: Tensor, lengths: list[int], hx, weights, *, exact: bool):
    """Outputs, states and gradients of one strategy; ``weights`` make every entry matter."""
    model.zero_grad()
    x = x.detach().clone().requires_grad_()
    hx = None if hx is None else tuple(s.detach().clone().requires_grad_() for s in hx)
    if exact:
        output, h_n, c_n = exact_lstm(model, x, torch.tensor(lengths), hx)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=model.batch_first, enforce_sorted=False)
        packed_out, (h_n, c_n) = model(packed, hx)
        total = x.shape[1] if model.batch_first else x.shape[0]
        output, _ = pad_packed_sequence(packed_out, batch_first=model.batch_first, total_length=total)
    w_out, w_h, w_c = weights
    (output.mul(w_out).sum() + h_n.mul(w_h).sum() + c_n.tanh().mul(w_c).sum()).backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    grads["x"] = x.grad
    if hx is not None:
        grads["h_0"], grads["c_0"] = hx[0].grad, hx[1].grad
    return output, h_n, c_n, grads


def build(config: dict[str, Any]):
    c = config
    torch.manual_seed(len(c["lengths"]) * 31 + c["steps"])
    model = nn.LSTM(
        c["input_size"], c["hidden_size"], num_layers=c["num_layers"], bias=c["bias"],
        bidirectional=c["bidirectional"], batch_first=c["batch_first"], proj_size=c["proj_size"],
        dropout=c["dropout"] if c["num_layers"] > 1 else 0.0,
    ).to(c["dtype"])
    if c["dropout"]:
        model.eval()
    batch, dirs = len(c["lengths"]), 2 if c["bidirectional"] else 1
    h_out = c["proj_size"] or c["hidden_size"]
    x = torch.randn(batch, c["steps"], c["input_size"], dtype=c["dtype"])  # (B, T, F)
    x = x if c["batch_first"] else x.transpose(0, 1).contiguous()
    hx = None
    if c["with_hx"]:
        shapes = [(c["num_layers"] * dirs, batch, h_out), (c["num_layers"] * dirs, batch, c["hidden_size"])]
        hx = tuple(torch.randn(*shape, dtype=c["dtype"]) for shape in shapes)
    out_shape = (*x.shape[:2], dirs * h_out)
    state_shape = (c["num_layers"] * dirs, batch)
    weights = (torch.randn(out_shape, dtype=c["dtype"]), torch.randn(*state_shape, h_out, dtype=c["dtype"]),
               torch.randn(*state_shape, c["hidden_size"], dtype=c["dtype"]))
    return model, x, hx, weights


@pytest.mark.parametrize("seed", range(40))
def test_exact_lstm_equals_packed_lstm(seed):
    config = random_config(seed)
    model, x, hx, weights = build(config)
    reference = run(model, x, config["lengths"], hx, weights, exact=False)
    result = run(model, x, config["lengths"], hx, weights, exact=True)
    for name, got, expected in zip(("output", "h_n", "c_n"), result[:3], reference[:3], strict=True):
        assert got.shape == expected.shape, name
        assert_close(got, expected, msg=lambda m, name=name: f"{name}: {m} ({config})")
    assert result[3].keys() == reference[3].keys()
    for name, expected in reference[3].items():
        assert_close(result[3][name], expected, msg=lambda m, name=name: f"grad {name}: {m} ({config})")


def packed_reference(model: nn.LSTM, x: Tensor, lengths: list[int]):
    packed_out, (h_n, c_n) = model(pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False))
    output, _ = pad_packed_sequence(packed_out, total_length=x.shape[0])
    return output, h_n, c_n


@pytest.mark.parametrize(("scale", "dtype"), [(5.0, torch.float32), (1000.0, torch.float64)])
def test_long_sequences_and_large_weights_stay_exact(scale, dtype):
    """Trained weights can be large: the padding feature's S grows with them (``saturation``).
    At scale 1000 the recurrent rows sum to more than MARGIN, so a fixed S would fail."""
    torch.manual_seed(3)
    model = nn.LSTM(4, 8, num_layers=2, bidirectional=True).to(dtype)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)
    assert saturation(model.weight_hh_l0, model.bias_ih_l0 + model.bias_hh_l0) > MARGIN + (scale > 100) * 1000
    lengths = [200, 3, 117, 1, 64]
    x = torch.randn(200, 5, 4, dtype=dtype)
    for got, expected in zip(exact_lstm(model, x, lengths), packed_reference(model, x, lengths), strict=True):
        assert_close(got, expected)


@pytest.mark.filterwarnings("ignore:TF32 acceleration")
@pytest.mark.parametrize("mkldnn", [True, False])
def test_float32_with_and_without_onednn(mkldnn):
    torch.manual_seed(4)
    model = nn.LSTM(6, 16, num_layers=2, bidirectional=True)
    lengths = [30, 7, 22, 1, 30, 15]
    x = torch.randn(30, 6, 6)
    with torch.backends.mkldnn.flags(enabled=mkldnn):
        for got, expected in zip(exact_lstm(model, x, lengths), packed_reference(model, x, lengths), strict=True):
            assert_close(got, expected)


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="this torch has no oneDNN")
def test_exact_lstm_runs_in_the_fused_onednn_kernel():
    """The point of exact_lstm: one fused kernel call per layer and direction, no step loop."""
    model = nn.LSTM(5, 8, num_layers=2, bidirectional=True)
    x = torch.randn(20, 4, 5, requires_grad=True)
    with torch.profiler.profile() as profile:
        exact_lstm(model, x, [20, 3, 11, 1]).h_n.sum().backward()
    calls = {event.key: event.count for event in profile.key_averages()}
    assert calls.get("aten::mkldnn_rnn_layer") == 4, calls  # 2 layers x 2 directions
    assert "aten::lstm_cell" not in calls and "aten::slice_backward" not in calls


def test_dropout_between_layers_in_training_only():
    """Dropout acts on every layer's output but the last's, in training, as in nn.LSTM."""
    torch.manual_seed(5)
    model = nn.LSTM(3, 4, num_layers=2, bidirectional=True, dropout=0.5).train()
    first = nn.LSTM(3, 4, bidirectional=True)
    second = nn.LSTM(8, 4, bidirectional=True)
    names = ["weight_ih_l{}{}", "weight_hh_l{}{}", "bias_ih_l{}{}", "bias_hh_l{}{}"]
    for layer, single in enumerate((first, second)):
        for suffix in ("", "_reverse"):
            for name in names:
                getattr(single, name.format(0, suffix)).data.copy_(getattr(model, name.format(layer, suffix)))
    lengths, x = [6, 2, 4], torch.randn(6, 3, 3)
    torch.manual_seed(6)
    got = exact_lstm(model, x, lengths)
    torch.manual_seed(6)
    middle = nn.functional.dropout(exact_lstm(first, x, lengths).output, 0.5, training=True)
    expected = exact_lstm(second, middle, lengths)
    assert_close(got.output, expected.output)
    assert_close(got.h_n[2:], expected.h_n)
    assert not torch.allclose(got.output, exact_lstm(model.eval(), x, lengths).output)


def test_state_dict_and_gradients_flow_to_the_nn_lstm_parameters():
    model = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    names = [name for name, _ in model.named_parameters()]
    exact_lstm(model, torch.randn(5, 2, 3), [5, 2]).output.sum().backward()
    assert [name for name, _ in model.named_parameters()] == names  # nothing added to the module
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_bad_arguments_get_errors_that_name_the_fix():
    model = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    x = torch.randn(2, 5, 3)  # (B, T, F)
    with pytest.raises(TypeError, match="nn.LSTM"):
        exact_lstm(nn.GRU(3, 4), x, [5, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\(B, T, input_size\) with input_size=3"):
        exact_lstm(model, torch.randn(2, 5, 4), [5, 2])
    with pytest.raises(ValueError, match="exceeds the padded size"):
        exact_lstm(model, x, [6, 2])
    with pytest.raises(ValueError, match="at least 1"):
        exact_lstm(model, x, [5, 0])
    with pytest.raises(ValueError, match="one length per sequence"):
        exact_lstm(model, x, [5, 2, 1])
    with pytest.raises(ValueError, match=r"hx = \(h_0, c_0\) of shapes"):
        exact_lstm(model, x, [5, 2], (torch.zeros(2, 2, 4), torch.zeros(1, 2, 4)))


_STATE = torch.zeros(2, 2, 4)  # a state of the right shape for the model below
_NOT_A_TENSOR = st.one_of(
    st.none(), st.floats(), st.text(max_size=3), st.lists(st.floats(), max_size=3)
)
_NOT_A_PAIR_OF_TENSORS = st.one_of(
    st.just(_STATE),  # one tensor
    st.lists(st.just(_STATE), max_size=4).filter(lambda states: len(states) != 2).map(tuple),
    st.tuples(_NOT_A_TENSOR, st.just(_STATE)),
    st.tuples(st.just(_STATE), _NOT_A_TENSOR),
    st.dictionaries(st.sampled_from(["h", "c"]), st.just(_STATE), min_size=1),
    st.text(min_size=1, max_size=5),
    st.integers(),
)


@given(hx=_NOT_A_PAIR_OF_TENSORS)
def test_hx_that_is_not_a_pair_of_tensors_is_refused(hx):
    model = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    with pytest.raises(TypeError, match=r"a pair of tensors, or None"):
        exact_lstm(model, torch.randn(2, 5, 3), [5, 2], hx)  # type: ignore[arg-type]


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.int64])
def test_hx_of_another_dtype_is_refused_with_the_fix(which, dtype):
    model = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    hx = [torch.zeros(2, 2, 4), torch.zeros(2, 2, 4)]
    hx[which] = hx[which].to(dtype)
    name = ("h_0", "c_0")[which]
    with pytest.raises(ValueError, match=rf"{name} is {dtype} on cpu but x is torch.float32.*{name}\.to\(x\)"):
        exact_lstm(model, torch.randn(2, 5, 3), [5, 2], tuple(hx))


def test_hx_on_another_device_is_refused_with_the_fix():
    model = nn.LSTM(3, 4)
    hx = (torch.zeros(1, 2, 4, device="meta"), torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"h_0 is torch.float32 on meta but x is torch.float32 on cpu"):
        exact_lstm(model, torch.randn(5, 2, 3), [5, 2], hx)


def test_saturation_is_margin_plus_the_largest_possible_rest_of_a_gate():
    torch.manual_seed(7)
    w_hh, bias, w_hr = torch.randn(12, 2), torch.randn(12), torch.randn(2, 3)
    row_hh, row_hr = w_hh.abs().sum(1).max(), w_hr.abs().sum(1).max()
    assert_close(saturation(w_hh, None), MARGIN + row_hh)
    assert_close(saturation(w_hh, bias), MARGIN + row_hh + bias.abs().max())
    assert_close(saturation(w_hh, bias, w_hr), MARGIN + row_hh * row_hr + bias.abs().max())


@pytest.mark.parametrize("fill", [1e6, float("nan")])
def test_whatever_the_padding_holds_is_never_read(fill):
    """Packing never reads the padding positions; exact_lstm zeroes them before the kernel."""
    torch.manual_seed(8)
    model = nn.LSTM(3, 5, num_layers=2, bidirectional=True).double()
    lengths = [6, 2, 4, 1]
    x = torch.randn(6, 4, 3, dtype=torch.float64)
    padding = torch.arange(6)[:, None] >= torch.tensor(lengths)[None, :]  # (T, B)
    x_filled = x.masked_fill(padding[..., None], fill)
    for got, expected in zip(exact_lstm(model, x_filled, lengths), packed_reference(model, x, lengths), strict=True):
        assert_close(got, expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_margin_saturates_the_gates_exactly(dtype):
    margin = torch.tensor([-MARGIN, MARGIN], dtype=dtype)
    assert torch.sigmoid(margin).tolist() == [0.0, 1.0]


@pytest.mark.parametrize("proj_size", [0, 2])
def test_padding_feature_column_uses_both_biases_and_the_projection(proj_size):
    """The extra w_ih column: -S on the input gate, +S on the forget gate, 0 on g and o, where S
    bounds the rest of the gate with b_ih + b_hh and, with a projection, max |h| <= row sum |W_hr|."""
    from utils.varlen import _layer_weights, _with_padding_feature

    torch.manual_seed(5)
    lstm = nn.LSTM(3, 4, proj_size=proj_size)
    with torch.no_grad():
        lstm.bias_ih_l0.copy_(torch.linspace(-50, 3, 16))  # the largest |b_ih + b_hh| needs both
        lstm.bias_hh_l0.copy_(torch.linspace(-40, 9, 16))
        if proj_size:
            lstm.weight_hr_l0.mul_(30)
    weights = _layer_weights(lstm, 0, 0)
    extended = _with_padding_feature(weights, 4, True)
    w_hr = lstm.weight_hr_l0 if proj_size else None
    s = saturation(lstm.weight_hh_l0, lstm.bias_ih_l0 + lstm.bias_hh_l0, w_hr)
    assert extended[0].shape == (16, 4)
    assert_close(extended[0][:, :3], lstm.weight_ih_l0)
    assert_close(extended[0][:, 3], torch.cat([-s.expand(4), s.expand(4), torch.zeros(8)]))
    assert all(a is b for a, b in zip(extended[1:], weights[1:], strict=True))


# The same parity on a GPU (cuDNN), against a float64 CPU reference, in the precisions a GPU
# run uses. Measured once on an H200 (benchmarks/results/cuda_parity_h200.txt): 0 failures.
# Criterion: exact's relative error is at most 10 times packed's plus a per-mode slack.
GPU_MODES = {  # mode: (dtype, allow TF32, bf16 autocast, slack)
    "float64": (torch.float64, False, False, 1e-12),
    "float32_tf32": (torch.float32, True, False, 5e-3),
    "float32_no_tf32": (torch.float32, False, False, 5e-5),
    "bf16_autocast": (torch.float32, False, True, 1e-2),
}
needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (torch.cuda.is_available() is False here)"
)


def _relative_errors(got: tuple, reference: tuple) -> float:
    """max |got - reference| / max |reference| over outputs, states and gradients (worst entry)."""
    pairs = list(zip(got[:3], reference[:3], strict=True))
    pairs += [(got[3][name], tensor) for name, tensor in reference[3].items()]
    return max(
        ((a.double().cpu() - b.double()).abs().max() / b.double().abs().max().clamp_min(1e-30)).item()
        for a, b in pairs
    )


def device_errors(seed: int, device: torch.device, mode: str) -> tuple[float, float]:
    """(packed's, exact's) relative error on ``device`` in ``mode``, against float64 packed on the CPU."""
    config = {**random_config(seed), "dtype": torch.float64, "dropout": 0.0}
    model, x, hx, weights = build(config)
    reference = run(model, x, config["lengths"], hx, weights, exact=False)
    dtype, tf32, bf16, _ = GPU_MODES[mode]
    moved = nn.LSTM(**{k: getattr(model, k) for k in ("input_size", "hidden_size", "num_layers", "bias",
                                                         "batch_first", "bidirectional", "proj_size")})
    moved.load_state_dict(model.state_dict())
    moved = moved.to(device=device, dtype=dtype)
    to = lambda t: None if t is None else t.to(device=device, dtype=dtype)  # noqa: E731
    args = (to(x), config["lengths"], None if hx is None else tuple(map(to, hx)), tuple(map(to, weights)))
    previous = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = tf32
    try:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            packed = run(moved, *args, exact=False)
            exact = run(moved, *args, exact=True)
    finally:
        torch.backends.cudnn.allow_tf32 = previous
    return _relative_errors(packed, reference), _relative_errors(exact, reference)


@pytest.mark.parametrize("mode", ["float64", "float32_no_tf32"])
def test_the_gpu_criterion_holds_on_the_cpu_too(mode):
    """The comparison the CUDA test makes, run here so that it is itself tested on every machine."""
    for seed in range(6):
        packed, exact = device_errors(seed, torch.device("cpu"), mode)
        assert exact <= 10 * packed + GPU_MODES[mode][3], (seed, packed, exact)
    assert device_errors(1, torch.device("cpu"), "float64")[0] < 1e-12  # packed vs itself


@needs_cuda
@pytest.mark.parametrize("mode", list(GPU_MODES))
def test_exact_matches_packed_on_cuda(mode):
    failures = []
    for seed in range(24):
        packed, exact = device_errors(seed, torch.device("cuda"), mode)
        if not exact <= 10 * packed + GPU_MODES[mode][3]:
            failures.append((seed, packed, exact))
    assert not failures, f"{mode}: (seed, packed error, exact error) {failures}"
