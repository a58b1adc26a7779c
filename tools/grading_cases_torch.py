"""The isolated grader's questions of A2 (the vectorized cell) and A3 (the sentiment classifier).

Expected values come from ``torch.nn`` (``nn.LSTMCell``, ``nn.LSTM``, autograd) here, in the
grader's process; A3's trained weights are loaded into the reference model below and measured
with the grader's own encoding, batching and labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from tools.grading_cases import A3_CPU_SECONDS, A3_EPOCHS, Case, Check, Question, close, counts


def _lstm_weights(cell: Any, suffix: str = "") -> list[np.ndarray]:
    return [
        getattr(cell, f"{n}{suffix}").detach().double().numpy()
        for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]


def _pair(want: tuple[Any, ...], tol: float, what: str) -> Check:
    def check(got: Any, _: float) -> None:
        assert isinstance(got, tuple) and len(got) == len(want), (
            f"{what} should return a tuple of {len(want)}"
        )
        for index, (g, w) in enumerate(zip(got, want, strict=False)):
            close(g, w.detach().numpy(), tol, f"{what}, value {index}")

    return check


def _layer(want: tuple[Any, Any, Any], tol: float, what: str) -> Check:
    def check(got: Any, _: float) -> None:
        assert isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], tuple) and len(got[1]) == 2, (
            f"{what} should return (output, (h_n, c_n))"
        )
        for name, g, w in zip(("output", "h_n", "c_n"), (got[0], *got[1]), want, strict=False):
            close(g, w.detach().numpy(), tol, f"{what}: {name}")

    return check


def _backward_case(
    rng: np.random.Generator, sizes: tuple[int, int, int], tol: float, hidden: bool, name: str
) -> Case:
    b, i, h = sizes
    t = {
        k: torch.tensor(rng.normal(size=s), dtype=torch.float64, requires_grad=True)
        for k, s in (
            ("x", (b, i)),
            ("h_prev", (b, h)),
            ("c_prev", (b, h)),
            ("w_ih", (4 * h, i)),
            ("w_hh", (4 * h, h)),
            ("b", (4 * h,)),
        )
    }
    z = t["x"] @ t["w_ih"].T + t["h_prev"] @ t["w_hh"].T + t["b"]
    zi, zf, zg, zo = z.chunk(4, dim=1)
    gi, gf, gg, go = torch.sigmoid(zi), torch.sigmoid(zf), torch.tanh(zg), torch.sigmoid(zo)
    c = gf * t["c_prev"] + gi * gg
    hh = go * torch.tanh(c)
    dh, dc = torch.tensor(rng.normal(size=(b, h))), torch.tensor(rng.normal(size=(b, h)))
    keys = ["x", "h_prev", "c_prev", "w_ih", "w_hh", "b"]
    grads = torch.autograd.grad((hh * dh).sum() + (c * dc).sum(), [t[k] for k in keys])
    n = lambda v: v.detach().numpy()  # noqa: E731
    cache = {
        "x": n(t["x"]),
        "h_prev": n(t["h_prev"]),
        "c_prev": n(t["c_prev"]),
        "i": n(gi),
        "f": n(gf),
        "g": n(gg),
        "o": n(go),
        "c": n(c),
        "w_ih": n(t["w_ih"]),
        "w_hh": n(t["w_hh"]),
    }

    def check(got: Any, _: float) -> None:
        assert isinstance(got, dict), f"lstm_step_backward should return a dict, got {type(got).__name__}"
        for key, want in zip(keys, grads, strict=False):
            assert key in got, f"the gradient dict has no key {key!r} (it has {sorted(map(str, got))})"
            close(got[key], want.numpy(), tol, f"dL/d{key}")

    return Case(
        name, hidden, "call", {"function": "lstm_step_backward", "args": [n(dh), n(dc), cache]}, check
    )


def a2(seed: int) -> list[Question]:
    rng = np.random.default_rng([seed, 2])
    torch.manual_seed(1)
    cell = nn.LSTMCell(5, 3)
    x, h, c = torch.randn(4, 5), torch.randn(4, 3), torch.randn(4, 3)
    args = [x.numpy(), h.numpy(), c.numpy(), *_lstm_weights(cell)]
    q1 = [
        Case(
            "matches nn.LSTMCell",
            False,
            "torch_call",
            {"function": "lstm_step", "args": args, "dtype": "float32"},
            _pair(tuple(o.double() for o in cell(x, (h, c))), 1e-5, "lstm_step"),
        )
    ]
    for b, i, hid in [(1, 1, 1), (7, 2, 6), tuple(int(v) for v in rng.integers(1, 9, size=3))]:
        torch.manual_seed(int(rng.integers(1 << 30)))
        cell = nn.LSTMCell(i, hid).double()
        with torch.no_grad():
            cell.bias_ih[hid : 2 * hid] += 3.0  # only the forget gate's bias: a wrong gate order shows
        x, h, c = torch.randn(b, i).double(), torch.randn(b, hid).double(), torch.randn(b, hid).double()
        q1.append(
            Case(
                f"float64 {b}x{i}->{hid}",
                True,
                "torch_call",
                {
                    "function": "lstm_step",
                    "args": [x.numpy(), h.numpy(), c.numpy(), *_lstm_weights(cell)],
                    "dtype": "float64",
                },
                _pair(cell(x, (h, c)), 1e-12, f"lstm_step (float64, {b}x{i}->{hid})"),
            )
        )
    torch.manual_seed(3)
    lstm = nn.LSTM(4, 3)
    x = torch.randn(9, 2, 4)
    out, (h_n, c_n) = lstm(x)
    q2 = [
        Case(
            "matches nn.LSTM",
            False,
            "torch_call",
            {"function": "lstm_layer", "args": [x.numpy(), *_lstm_weights(lstm, "_l0")], "dtype": "float32"},
            _layer((out.double(), h_n.double(), c_n.double()), 1e-5, "lstm_layer"),
        )
    ]
    q2 += _a2_hidden_layers(rng)
    q3 = [_backward_case(rng, (3, 4, 2), 1e-6, False, "gradients (public sizes)")]
    q3 += [
        _backward_case(rng, tuple(int(v) for v in rng.integers(1, 7, size=3)), 1e-10, True, f"autograd {k}")
        for k in range(3)
    ]
    torch_guards = {"forbid_lstm": True, "no_autograd": True}
    return [
        Question("q1", 3, {"torch", "numpy"}, q1, torch_guards, 60),
        Question("q2", 3, {"torch", "numpy"}, q2, torch_guards, 60),
        Question("q3", 4, {"numpy"}, q3, {"numpy_only": True}, 60),
    ]


def _a2_hidden_layers(rng: np.random.Generator) -> list[Case]:
    t, b, i, h = (int(v) for v in rng.integers(2, 9, size=4))
    torch.manual_seed(int(rng.integers(1 << 30)))
    lstm = nn.LSTM(i, h).double()
    x = torch.randn(t, b, i, dtype=torch.float64, requires_grad=True)
    h0, c0 = torch.randn(1, b, h, dtype=torch.float64), torch.randn(1, b, h, dtype=torch.float64)
    out, (h_n, c_n) = lstm(x, (h0, c0))
    grads = torch.autograd.grad((out**2).sum() + c_n.sum(), [x, lstm.weight_hh_l0])
    weights = _lstm_weights(lstm, "_l0")
    wanted = [v.detach().numpy() for v in (out, h_n, c_n, *grads)]

    def gradients(got: Any, _: float) -> None:
        for name, g, w in zip(("output", "h_n", "c_n", "dL/dx", "dL/dweight_hh"), got, wanted, strict=False):
            close(g, w, 1e-10, f"lstm_layer with (h0, c0), float64: {name}")

    cell = nn.LSTMCell(i, h).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(lstm, f"{name}_l0"))
        hh, cc, marked = torch.zeros(b, h, dtype=torch.float64), torch.zeros(b, h, dtype=torch.float64), []
        for x_t in x.detach():
            hh, cc = cell(x_t, (hh, cc))
            hh = hh + 1e-3
            marked.append(hh)
        plain, _ = lstm(x.detach())
    marked_want = torch.stack(marked).numpy()

    def uses_step(got: Any, _: float) -> None:
        close(
            got,
            marked_want,
            1e-10,
            "lstm_layer must build each step with your lstm_step (its h fed back); "
            "output with a marked lstm_step",
        )

    return [
        Case(
            "initial state and gradients",
            True,
            "layer_gradients",
            {"args": [x.detach().numpy(), *weights, h0.numpy(), c0.numpy()]},
            gradients,
        ),
        Case(
            "zeros when h0, c0 are missing",
            True,
            "torch_call",
            {"function": "lstm_layer", "args": [x.detach().numpy(), *weights], "dtype": "float64"},
            lambda got, _: close(got[0], plain.detach().numpy(), 1e-10, "lstm_layer without h0, c0: output"),
        ),
        Case(
            "uses lstm_step",
            True,
            "layer_with_marked_step",
            {"args": [x.detach().numpy(), *weights], "mark": 1e-3},
            uses_step,
        ),
    ]


class Reference(nn.Module):
    """A3's model as the question specifies it; submitted weights are loaded into it."""

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_size: int = 64) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.output = nn.Linear(2 * hidden_size, 1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(
            self.embedding(ids), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, (h_n, _) = self.lstm(packed)
        return self.output(torch.cat([h_n[-2], h_n[-1]], dim=1)).squeeze(1)  # (B,)


def reference_from(state: dict[str, Any]) -> Reference:
    """The reference model holding submitted weights; an AssertionError names what does not fit."""
    expected = {"embedding.weight", "lstm.weight_ih_l0", "output.weight"}
    assert expected <= set(state), (
        f"the model's weights should be named embedding.*, lstm.*, output.* "
        f"(the question's layer names), found {sorted(state)[:8]}"
    )
    vocab_size, embed_dim = np.asarray(state["embedding.weight"]).shape
    model = Reference(vocab_size, embed_dim, np.asarray(state["lstm.weight_hh_l0"]).shape[1])
    try:
        model.load_state_dict({k: torch.tensor(np.asarray(v), dtype=torch.float32) for k, v in state.items()})
    except RuntimeError as error:
        raise AssertionError(f"the weights do not fit the question's model: {str(error)[:300]}") from None
    return model.eval()


def collate(batch: list[tuple[list[int], int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The reference collate (padded ids, lengths, labels)."""
    lengths = torch.tensor([len(ids) for ids, _ in batch], dtype=torch.long)
    padded = torch.zeros(len(batch), int(lengths.max()), dtype=torch.long)
    for row, (ids, _) in enumerate(batch):
        padded[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
    return padded, lengths, torch.tensor([float(y) for _, y in batch])


def build_vocab(texts: list[str], max_size: int, min_freq: int = 1) -> dict[str, int]:
    """The reference vocabulary."""
    from utils.text import word_tokenize

    count = counts(texts, word_tokenize)
    kept = sorted((t for t, n in count.items() if n >= min_freq), key=lambda t: (-count[t], t))[:max_size]
    return {"<pad>": 0, "<unk>": 1, **{t: k + 2 for k, t in enumerate(kept)}}


def accuracy(model: nn.Module, vocab: dict[str, int], texts: list[str], labels: list[int]) -> float:
    """Share of texts the model classifies right, with the grader's encoding and batching."""
    from utils.text import word_tokenize

    correct = 0
    with torch.no_grad():
        for start in range(0, len(texts), 256):
            pairs = [
                ([vocab.get(t, 1) for t in word_tokenize(text)] or [1], y)
                for text, y in zip(texts[start : start + 256], labels[start : start + 256], strict=False)
            ]
            ids, lengths, ys = collate(pairs)
            correct += int(((model(ids, lengths) > 0).float() == ys).sum())
    return correct / len(texts)


from tools.grading_cases_a3 import a3  # noqa: E402

__all__ = [
    "a2",
    "a3",
    "Reference",
    "reference_from",
    "collate",
    "build_vocab",
    "accuracy",
    "A3_CPU_SECONDS",
    "A3_EPOCHS",
]
