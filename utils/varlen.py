"""Packed ``nn.LSTM``'s exact results from padded input, at padded speed (chapter 9).

On a CPU, ``nn.LSTM`` runs padded input (or packed input whose lengths are all equal) in
oneDNN's fused whole-layer kernel, but packed input of varying lengths falls back to a slow
step-by-step loop (PyTorch issue #149194). :func:`exact_lstm` gets the packed results from the
fused kernel, one call per layer and direction:

- **forward direction**: with right padding, the outputs at steps ``t < length`` never see the
  padding, so they are exact; ``h_n`` is the output at step ``length - 1``;
- **backward direction**: reverse every sequence within its own length
  (:func:`~utils.sequences.reverse_padded`), run a forward pass, reverse the outputs back;
- **c_n**: padding steps get one extra input feature, 1 at padding and 0 at real tokens, whose
  weights are ``-S`` on the input gate and ``+S`` on the forget gate. For S large enough
  (:func:`saturation`) the gates saturate to exactly ``i = 0`` and ``f = 1``, so
  ``c_t = 1 * c_{t-1} + 0 * g_t``: the cell state stops at each sequence's own last token, and
  the kernel's final ``c`` is ``c_n``. Saturated gates also pass back exactly zero gradient;
- between layers: both directions concatenated, padding zeroed, dropout as ``nn.LSTM`` does.

The model stays a plain ``nn.LSTM``: same parameters, same ``state_dict``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn

from utils.sequences import check_lengths, reverse_padded

# margin beyond every other term of a gate's pre-activation: sigmoid(-1000) == 0 and
# sigmoid(1000) == 1 exactly in float16, float32 and float64
MARGIN = 1000.0


class ExactLSTMOutput(NamedTuple):
    """What packed ``nn.LSTM`` returns, unpacked.

    output: (T, B, D * H_out), or (B, T, D * H_out) if batch_first; zero at padding positions
        (``pad_packed_sequence(..., total_length=T)``). D = 2 if bidirectional else 1, H_out =
        proj_size or hidden_size.
    h_n: (num_layers * D, B, H_out), each sequence's state after its own last token.
    c_n: (num_layers * D, B, hidden_size).
    """

    output: Tensor
    h_n: Tensor
    c_n: Tensor


def saturation(w_hh: Tensor, bias: Tensor | None, w_hr: Tensor | None = None) -> Tensor:
    """S for the padding feature: MARGIN plus a bound on the rest of a gate's pre-activation.

    At a padding step the input is zero, so a gate adds up ``W_hh h + b_ih + b_hh`` with
    ``|h| <= 1`` (or ``<= max row sum |W_hr|`` with a projection). Returns a 0-d tensor.
    """
    if not isinstance(w_hh, Tensor) or w_hh.dim() != 2 or w_hh.numel() == 0:
        got = tuple(w_hh.shape) if isinstance(w_hh, Tensor) else type(w_hh).__name__
        raise TypeError(f"expected w_hh as a non-empty (4H, H) torch.Tensor (lstm.weight_hh_l0), got {got}")
    for name, value in (("bias", bias), ("w_hr", w_hr)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"expected {name} as a torch.Tensor or None, got {type(value).__name__}")
    with torch.no_grad():
        # max |h| <= max_j sum_k |W_hr[j, k]|  (h = W_hr (o * tanh c)), else 1
        h_bound = w_hr.abs().sum(1).max() if w_hr is not None else torch.ones((), dtype=w_hh.dtype)
        # S = MARGIN + max_j sum_k |W_hh[j, k]| * max |h| + max |b_ih + b_hh|
        bound = w_hh.abs().sum(1).max() * h_bound
        if bias is not None:
            bound = bound + bias.abs().max()
        return bound.to(w_hh.device) + MARGIN


def _layer_weights(lstm: nn.LSTM, layer: int, direction: int) -> list[Tensor]:
    """[w_ih, w_hh, (b_ih, b_hh), (w_hr)] of one layer and direction, PyTorch's order."""
    suffix = "_reverse" if direction else ""
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if lstm.bias else [])
    names += ["weight_hr"] if lstm.proj_size > 0 else []
    return [getattr(lstm, f"{name}_l{layer}{suffix}") for name in names]


def _with_padding_feature(weights: list[Tensor], hidden_size: int, has_bias: bool) -> list[Tensor]:
    """Append the padding feature's column to w_ih: -S for the input gate, +S for the forget gate."""
    w_ih, w_hh, *rest = weights
    bias = rest[0] + rest[1] if has_bias else None
    s = saturation(w_hh, bias, rest[-1] if len(rest) % 2 else None)
    zeros = torch.zeros(2 * hidden_size, dtype=w_ih.dtype, device=w_ih.device)
    # gates in PyTorch's order i, f, g, o
    column = torch.cat([-s.expand(hidden_size), s.expand(hidden_size), zeros])[:, None]  # (4H, 1)
    return [torch.cat([w_ih, column.to(w_ih.dtype)], dim=1), w_hh, *rest]


class _Direction(NamedTuple):
    output: Tensor  # (T, B, H_out), in the original time order
    h_n: Tensor  # (B, H_out)
    c_n: Tensor  # (B, H)


def _run_direction(
    lstm: nn.LSTM, x: Tensor, padding: Tensor, lengths: Tensor, layer: int, direction: int,
    hx: tuple[Tensor, Tensor],
) -> _Direction:
    """One layer, one direction: x (T, B, F) zero at padding, padding (T, B, 1) 1.0 at padding."""
    weights = _with_padding_feature(_layer_weights(lstm, layer, direction), lstm.hidden_size, lstm.bias)
    if direction:
        x = reverse_padded(x, lengths)  # each sequence read from its last token to its first
    x = torch.cat([x, padding], dim=2)  # (T, B, F + 1)
    with warnings.catch_warnings():  # cuDNN warns that these weights are not one flat buffer
        warnings.filterwarnings("ignore", message="RNN module weights are not part of single contiguous")
        out, _, c_n = torch.lstm(x, hx, weights, lstm.bias, 1, 0.0, lstm.training, False, False)
    last = (lengths - 1).view(1, -1, 1).expand(1, out.shape[1], out.shape[2])  # (1, B, H_out)
    h_n = out.gather(0, last)[0]  # the output at each sequence's own last step
    if direction:
        out = reverse_padded(out, lengths)
    return _Direction(out, h_n, c_n[0])


def exact_lstm(
    lstm: nn.LSTM,
    x: Tensor,
    lengths: Tensor | Sequence[int],
    hx: tuple[Tensor, Tensor] | None = None,
) -> ExactLSTMOutput:
    """Run ``lstm`` on right-padded ``x`` as if it were packed with ``lengths``.

    x: (T, B, input_size), or (B, T, input_size) if ``lstm.batch_first``; lengths: (B,) ints in
    [1, T], any order; hx: optional (h_0, c_0) of shapes (num_layers * D, B, H_out) and
    (num_layers * D, B, hidden_size). Equals ``lstm(pack_padded_sequence(x, lengths,
    enforce_sorted=False), hx)`` up to float rounding, outputs, states and gradients alike.
    """
    x, lengths, (h0, c0) = _checked(lstm, x, lengths, hx)  # x: (T, B, F), time first
    real = torch.arange(x.shape[0], device=x.device)[:, None, None] < lengths[None, :, None]  # (T, B, 1)
    padding = (~real).to(x.dtype)  # the padding feature: 1.0 at padding steps
    directions = 2 if lstm.bidirectional else 1
    layer_input, h_n, c_n = x.masked_fill(~real, 0.0), [], []
    for layer in range(lstm.num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            hx_k = (h0[k : k + 1], c0[k : k + 1])
            run = _run_direction(lstm, layer_input, padding, lengths, layer, direction, hx_k)
            outputs.append(run.output)
            h_n.append(run.h_n)
            c_n.append(run.c_n)
        layer_input = torch.cat(outputs, dim=2).masked_fill(~real, 0.0)  # (T, B, D * H_out)
        if layer < lstm.num_layers - 1:  # dropout between layers, as nn.LSTM (p = 0: a no-op)
            layer_input = nn.functional.dropout(layer_input, lstm.dropout, lstm.training)
    output = layer_input.transpose(0, 1) if lstm.batch_first else layer_input
    return ExactLSTMOutput(output, torch.stack(h_n), torch.stack(c_n))


def _checked(
    lstm: nn.LSTM, x: Tensor, lengths: Tensor | Sequence[int], hx: tuple[Tensor, Tensor] | None
) -> tuple[Tensor, Tensor, tuple[Tensor, Tensor]]:
    """Validate the arguments of :func:`exact_lstm`; return x time first, lengths on x's device,
    and (h_0, c_0) (zeros when ``hx`` is None)."""
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"expected an nn.LSTM, got {type(lstm).__name__}")
    layout = "(B, T, input_size)" if lstm.batch_first else "(T, B, input_size)"
    if not isinstance(x, Tensor) or x.dim() != 3 or x.shape[-1] != lstm.input_size:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"expected x of shape {layout} with input_size={lstm.input_size}, got {shape}")
    weight = lstm.weight_ih_l0
    if x.dtype != weight.dtype or x.device != weight.device:
        raise TypeError(
            f"x is {x.dtype} on {x.device} but the LSTM's weights are {weight.dtype} on {weight.device}: "
            "convert x with x.to(lstm.weight_ih_l0) (token ids go through an nn.Embedding first)"
        )
    x = x.transpose(0, 1) if lstm.batch_first else x  # (T, B, F)
    lengths = check_lengths(lengths, batch=x.shape[1], max_len=x.shape[0]).to(x.device)
    layers, batch = lstm.num_layers * (2 if lstm.bidirectional else 1), x.shape[1]
    shapes = ((layers, batch, lstm.proj_size or lstm.hidden_size), (layers, batch, lstm.hidden_size))
    if hx is None:
        return x, lengths, (x.new_zeros(shapes[0]), x.new_zeros(shapes[1]))
    if not isinstance(hx, (tuple, list)) or len(hx) != 2 or not all(isinstance(s, Tensor) for s in hx):
        kind = type(hx).__name__
        if isinstance(hx, (tuple, list)):
            kind += " of " + ", ".join(type(s).__name__ for s in hx)
        raise TypeError(f"expected hx = (h_0, c_0), a pair of tensors, or None; got {kind}")
    if any(tuple(s.shape) != shape for s, shape in zip(hx, shapes, strict=True)):
        got = [tuple(s.shape) for s in hx]
        raise ValueError(f"expected hx = (h_0, c_0) of shapes {list(shapes)}, got {got}")
    for name, state in zip(("h_0", "c_0"), hx, strict=True):
        if state.dtype != x.dtype or state.device != x.device:
            raise ValueError(
                f"{name} is {state.dtype} on {state.device} but x is {x.dtype} on {x.device}; "
                f"move it with {name}.to(x)"
            )
    return x, lengths, (hx[0], hx[1])
