"""An LSTM written from scratch as a PyTorch module (chapter 5, ``05_vectorized_cell``;
bidirectional in chapter 8, variable lengths in chapter 9).

``ScratchLSTM`` has exactly the parameters of ``torch.nn.LSTM`` (same names, shapes and gate
order i, f, g, o), takes the same arguments and returns the same ``output, (h_n, c_n)``, so
weights can be copied between the two and the results compared: they agree to float rounding
(about 1e-6 in float32), not bit for bit, because the sums are done in another order.

Two time loops are kept because chapter 5 compares them:

- :func:`naive_loop`: a separate matrix product for every gate, at every step;
- :func:`fused_loop`: the input projection of all time steps in one matrix product before
  the loop, then one matrix product per step for all four gates together.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from utils.checks import check_bool, check_int
from utils.models import check_dropout
from utils.sequences import check_lengths, padding_mask, reverse_padded

LoopFn = Callable[..., tuple[Tensor, tuple[Tensor, Tensor]]]


def _advance(
    h: Tensor, c: Tensor, h_new: Tensor, c_new: Tensor, mask_t: Tensor | None
) -> tuple[Tensor, Tensor, Tensor]:
    """Move to the new state; where ``mask_t`` (B, 1) is False (padding), keep the old one and output 0."""
    if mask_t is None:
        return h_new, c_new, h_new
    return torch.where(mask_t, h_new, h), torch.where(mask_t, c_new, c), h_new * mask_t


def _check_loop_inputs(
    x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
    mask: Tensor | None,
) -> None:
    """The shapes :func:`naive_loop` and :func:`fused_loop` expect, checked once before the loop
    (a transposed weight or a state without its batch dimension would fail deep inside it)."""
    named = {"x": x, "h": h, "c": c, "w_ih": w_ih, "w_hh": w_hh}
    named |= {k: v for k, v in {"b_ih": b_ih, "b_hh": b_hh}.items() if v is not None}
    for name, value in named.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"expected {name} to be a torch.Tensor, got {type(value).__name__}: "
                            "convert arrays with torch.as_tensor(..., dtype=torch.float32)")
    if (b_ih is None) != (b_hh is None):
        raise ValueError("expected both biases (b_ih and b_hh) or neither, as nn.LSTM has")
    if x.dim() != 3 or x.shape[0] == 0:
        raise ValueError(f"expected x of shape (T, B, D) with T >= 1, got {tuple(x.shape)}")
    steps, batch, features = x.shape
    if w_hh.dim() != 2 or w_hh.shape[0] != 4 * w_hh.shape[1]:
        raise ValueError(f"expected w_hh of shape (4H, H), got {tuple(w_hh.shape)}: nn.LSTM's "
                         "weight_hh_l0, not its transpose")
    hidden = w_hh.shape[1]
    wanted = {"h": (batch, hidden), "c": (batch, hidden), "w_ih": (4 * hidden, features),
              "w_hh": (4 * hidden, hidden), "b_ih": (4 * hidden,), "b_hh": (4 * hidden,)}
    for name, value in named.items():
        if name != "x" and tuple(value.shape) != wanted[name]:
            raise ValueError(
                f"expected {name} of shape {wanted[name]} for x {tuple(x.shape)} and H = {hidden}, got "
                f"{tuple(value.shape)}: states are (B, H), weights (4H, D) and (4H, H) as in nn.LSTM"
            )
    if len({value.dtype for value in named.values()}) > 1 or not x.is_floating_point():
        dtypes = {name: str(value.dtype) for name, value in named.items()}
        raise TypeError(f"expected one floating dtype for every input, got {dtypes}: convert with .float()")
    _check_mask(mask, x)


def _check_mask(mask: Tensor | None, x: Tensor) -> None:
    """A padding mask must be a bool tensor (T, B, 1) for x (T, B, D): a (T, B) mask would
    broadcast over the hidden units instead of the batch."""
    if mask is None:
        return
    wanted = (x.shape[0], x.shape[1], 1)
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool or tuple(mask.shape) != wanted:
        got = f"{mask.dtype} {tuple(mask.shape)}" if isinstance(mask, Tensor) else type(mask).__name__
        raise ValueError(f"expected mask as a bool tensor of shape {wanted} (T, B, 1), got {got}: "
                         "padding_mask(lengths, T).T.unsqueeze(-1)")


def naive_loop(
    x: Tensor,
    h: Tensor,
    c: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
    mask: Tensor | None = None,
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """One gate at a time, as the equations are written. x: (T, B, D); h, c: (B, H).

    ``mask`` (T, B, 1), if given, is False at padding steps: there the state is carried over
    unchanged and the output is 0, so every sequence's final state is its own last real step.
    """
    _check_loop_inputs(x, h, c, w_ih, w_hh, b_ih, b_hh, mask)
    w_ii, w_if, w_ig, w_io = w_ih.chunk(4)  # each (H, D)
    w_hi, w_hf, w_hg, w_ho = w_hh.chunk(4)  # each (H, H)
    zeros = x.new_zeros(4 * h.shape[1])
    b_ii, b_if, b_ig, b_io = (zeros if b_ih is None else b_ih).chunk(4)
    b_hi, b_hf, b_hg, b_ho = (zeros if b_hh is None else b_hh).chunk(4)
    outputs = []
    for t, x_t in enumerate(x):  # x_t: (B, D)
        # i = sigmoid(x_t W_ii^T + b_ii + h_{t-1} W_hi^T + b_hi)
        i = torch.sigmoid(x_t @ w_ii.T + b_ii + h @ w_hi.T + b_hi)  # (B, H)
        # f = sigmoid(x_t W_if^T + b_if + h_{t-1} W_hf^T + b_hf)
        f = torch.sigmoid(x_t @ w_if.T + b_if + h @ w_hf.T + b_hf)
        # g = tanh(x_t W_ig^T + b_ig + h_{t-1} W_hg^T + b_hg)
        g = torch.tanh(x_t @ w_ig.T + b_ig + h @ w_hg.T + b_hg)
        # o = sigmoid(x_t W_io^T + b_io + h_{t-1} W_ho^T + b_ho)
        o = torch.sigmoid(x_t @ w_io.T + b_io + h @ w_ho.T + b_ho)
        # c_t = f * c_{t-1} + i * g
        c_new = f * c + i * g
        # h_t = o * tanh(c_t)
        h_new = o * torch.tanh(c_new)
        h, c, out = _advance(h, c, h_new, c_new, None if mask is None else mask[t])
        outputs.append(out)
    return torch.stack(outputs), (h, c)


def fused_loop(
    x: Tensor,
    h: Tensor,
    c: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
    mask: Tensor | None = None,
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """All four gates in one product per step; the input part for every step computed up front.

    x: (T, B, D); h, c: (B, H); w_ih: (4H, D); w_hh: (4H, H); ``mask`` as in :func:`naive_loop`.
    """
    _check_loop_inputs(x, h, c, w_ih, w_hh, b_ih, b_hh, mask)
    # x_t W_ih^T + b_ih + b_hh for all T steps at once: the only part that does not need h
    x_proj = x @ w_ih.T  # (T, B, 4H)
    if b_ih is not None and b_hh is not None:  # both or neither (checked above)
        x_proj = x_proj + (b_ih + b_hh)
    w_hh_t = w_hh.T  # (H, 4H)
    outputs = []
    for t, x_proj_t in enumerate(x_proj):  # x_proj_t: (B, 4H)
        # gates = x_t W_ih^T + b_ih + b_hh + h_{t-1} W_hh^T
        gates = torch.addmm(x_proj_t, h, w_hh_t)  # (B, 4H)
        # i, f, g, o: the four (B, H) blocks, in PyTorch's order
        i, f, g, o = gates.chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        # c_t = f * c_{t-1} + i * g
        c_new = torch.addcmul(f * c, i, g)
        # h_t = o * tanh(c_t)
        h_new = o * torch.tanh(c_new)
        h, c, out = _advance(h, c, h_new, c_new, None if mask is None else mask[t])
        outputs.append(out)
    return torch.stack(outputs), (h, c)


LOOPS: dict[str, LoopFn] = {"naive": naive_loop, "fused": fused_loop}


class ScratchLSTM(nn.Module):
    """A from-scratch ``nn.LSTM``: same constructor arguments, parameters and outputs.

    Args:
        input_size: features per time step (D).
        hidden_size: units per layer and direction (H).
        num_layers: stacked layers; layer k > 0 reads layer k - 1's output.
        bias: whether to use ``bias_ih`` and ``bias_hh``.
        batch_first: input and output as (batch, seq_len, feature) instead of (seq_len, batch, feature).
        dropout: dropout on the output of every layer except the last, in training mode only.
        bidirectional: also run each layer from the last step to the first; outputs are concatenated.
        loop: ``"fused"`` (default) or ``"naive"``, see the module docstring.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        loop: str = "fused",
    ) -> None:
        super().__init__()
        sizes = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers}
        for name, value in sizes.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"expected {name} to be a positive int, got {value!r}")
        dropout = check_dropout(dropout)
        flags = {"bias": bias, "batch_first": batch_first, "bidirectional": bidirectional}
        bias, batch_first, bidirectional = (check_bool(flag, name) for name, flag in flags.items())
        if dropout > 0 and num_layers == 1:
            warnings.warn(  # the same advice nn.LSTM gives
                f"dropout={dropout} has no effect with num_layers=1: ScratchLSTM applies dropout between "
                "layers only; use num_layers >= 2, or dropout=0 and an nn.Dropout after the LSTM",
                UserWarning,
                stacklevel=2,
            )
        if not isinstance(loop, str) or loop not in LOOPS:
            raise ValueError(f"expected loop to be one of {sorted(LOOPS)}, got {loop!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.loop = bidirectional, loop
        self.num_directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for suffix in self._suffixes():
                name = f"l{layer}{suffix}"
                four_h = 4 * hidden_size
                shapes: dict[str, tuple[int, ...]] = {
                    "weight_ih": (four_h, layer_input),
                    "weight_hh": (four_h, hidden_size),
                }
                if bias:
                    shapes |= {"bias_ih": (four_h,), "bias_hh": (four_h,)}
                for kind, shape in shapes.items():
                    self.register_parameter(f"{kind}_{name}", nn.Parameter(torch.empty(shape)))
        self.reset_parameters()

    def _suffixes(self) -> list[str]:
        return ["", "_reverse"] if self.bidirectional else [""]

    def reset_parameters(self) -> None:
        """Uniform(-1/sqrt(H), 1/sqrt(H)) for every weight and bias, as ``nn.LSTM`` does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)

    def layer_weights(
        self, layer: int, direction: int = 0
    ) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of a layer and direction (0 forward, 1 reverse)."""
        layer, direction = check_int(layer, "layer"), check_int(direction, "direction")
        if not (0 <= layer < self.num_layers and direction in range(self.num_directions)):
            raise ValueError(
                f"expected layer in [0, {self.num_layers}) and direction in [0, {self.num_directions}), "
                f"got layer={layer!r}, direction={direction!r}"
            )
        name = f"l{layer}{self._suffixes()[direction]}"
        return (
            getattr(self, f"weight_ih_{name}"),
            getattr(self, f"weight_hh_{name}"),
            getattr(self, f"bias_ih_{name}", None),
            getattr(self, f"bias_hh_{name}", None),
        )

    def forward(
        self,
        x: Tensor | PackedSequence,
        hx: tuple[Tensor, Tensor] | None = None,
        *,
        lengths: Tensor | None = None,
        enforce_sorted: bool = False,
    ) -> tuple[Tensor | PackedSequence, tuple[Tensor, Tensor]]:
        """Run the LSTM.

        Args:
            x: (seq_len, batch, input_size), or (batch, seq_len, input_size) if ``batch_first``;
                or a ``PackedSequence``, as ``nn.LSTM`` accepts.
            hx: optional ``(h0, c0)``, each (num_layers * num_directions, batch, hidden_size).
            lengths: optional true length of each sequence of a padded ``x``, shape (batch,).
                Padding steps then leave the state unchanged, the output there is 0, the reverse
                direction starts at each sequence's own last token, and ``h_n``/``c_n`` hold the
                states at each sequence's true end, exactly as with packed input.
            enforce_sorted: with ``lengths``, require them in decreasing order (as packing does).

        Returns:
            ``output`` of shape (seq_len, batch, num_directions * hidden_size) (batch first if
            ``batch_first``; a ``PackedSequence`` if ``x`` was one), and ``(h_n, c_n)``, each
            (num_layers * num_directions, batch, hidden_size), in the input's batch order.
        """
        packed = x if isinstance(x, PackedSequence) else None
        x, lengths = self._time_major(x, lengths, enforce_sorted=enforce_sorted)  # x: (T, B, D)
        h0, c0 = self._initial_state(x, hx)
        output, states = self._run_layers(x, h0, c0, lengths)  # output: (T, B, dirs * H)
        if packed is not None:
            assert lengths is not None  # pad_packed_sequence always returns them
            return self._repack(output, lengths, packed), states
        return (output.transpose(0, 1) if self.batch_first else output), states

    def _time_major(
        self, x: Tensor | PackedSequence, lengths: Tensor | None, *, enforce_sorted: bool
    ) -> tuple[Tensor, Tensor | None]:
        """Checked input as (T, B, D) and checked lengths (B,) or None."""
        if isinstance(x, PackedSequence):
            if lengths is not None:
                raise ValueError("pass either a PackedSequence or lengths, not both")
            x, lengths = pad_packed_sequence(x)  # (T, B, D) in the original batch order
            self._check_input(x, time_major=True)
            return x, lengths
        self._check_input(x)
        if self.batch_first:
            x = x.transpose(0, 1)  # (T, B, D)
        if lengths is not None:
            lengths = check_lengths(
                lengths, batch=x.shape[1], max_len=x.shape[0], enforce_sorted=enforce_sorted
            )
        return x, lengths

    def _run_layers(
        self, x: Tensor, h0: Tensor, c0: Tensor, lengths: Tensor | None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Every layer and direction over x (T, B, D); returns the last layer's output and (h_n, c_n)."""
        mask = None if lengths is None else padding_mask(lengths, x.shape[0]).T.unsqueeze(-1).to(x.device)
        run = LOOPS[self.loop]
        layer_input, h_n, c_n = x, [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.training:  # dropout between layers, never after the last one
                layer_input = nn.functional.dropout(layer_input, p=self.dropout, training=True)
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction  # the row of h_n and c_n
                sequence = layer_input if direction == 0 else self._reverse(layer_input, lengths)
                out, (h, c) = run(sequence, h0[index], c0[index], *self.layer_weights(layer, direction), mask)
                outputs.append(out if direction == 0 else self._reverse(out, lengths))
                h_n.append(h)
                c_n.append(c)
            layer_input = torch.cat(outputs, dim=2)  # (T, B, dirs * H)
        return layer_input, (torch.stack(h_n), torch.stack(c_n))

    @staticmethod
    def _reverse(x: Tensor, lengths: Tensor | None) -> Tensor:
        """Time-reverse (T, B, F): each sequence within its own length when lengths are known."""
        return x.flip(0) if lengths is None else reverse_padded(x, lengths)

    @staticmethod
    def _repack(output: Tensor, lengths: Tensor, like: PackedSequence) -> PackedSequence:
        """Pack (T, B, F) the way ``like`` was packed (same batch sizes and index order)."""
        if like.sorted_indices is not None:
            output, lengths = output[:, like.sorted_indices], lengths[like.sorted_indices.cpu()]
        data = pack_padded_sequence(output, lengths).data  # lengths are sorted here
        return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)

    def _check_input(self, x: Tensor, *, time_major: bool = False) -> None:
        batch_first = self.batch_first and not time_major
        layout = "(batch, seq_len, {})" if batch_first else "(seq_len, batch, {})"
        expected = layout.format(self.input_size)
        if not isinstance(x, Tensor):
            got = type(x).__name__
            raise ValueError(f"expected input to be a torch.Tensor of shape {expected}, got {got}")
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"expected input of shape {expected}, got {tuple(x.shape)}")
        if x.shape[1 if batch_first else 0] == 0:
            got = tuple(x.shape)
            raise ValueError(f"expected input of shape {expected} with at least one time step, got {got}")
        reference = self.weight_ih_l0
        if x.dtype != reference.dtype:
            raise ValueError(
                f"expected input of dtype {reference.dtype} (the module's), got {x.dtype}; "
                f"convert the input with x.to({reference.dtype}) or the module with .to({x.dtype})"
            )
        if x.device != reference.device:
            raise ValueError(
                f"expected input on {reference.device} (the module's device), got {x.device}; "
                f"move one of them with .to(device)"
            )

    def _initial_state(self, x: Tensor, hx: tuple[Tensor, Tensor] | None) -> tuple[Tensor, Tensor]:
        shape = (self.num_layers * self.num_directions, x.shape[1], self.hidden_size)
        if hx is None:
            zeros = x.new_zeros(shape)
            return zeros, zeros
        if not isinstance(hx, tuple | list) or len(hx) != 2:
            raise ValueError(f"expected hx to be a tuple (h0, c0) of tensors of shape {shape}")
        for name, state in (("h0", hx[0]), ("c0", hx[1])):
            if not isinstance(state, Tensor) or tuple(state.shape) != shape:
                got = tuple(state.shape) if isinstance(state, Tensor) else type(state).__name__
                raise ValueError(
                    f"expected {name} of shape (num_layers * num_directions, batch, hidden_size) = {shape}, "
                    f"got {got}"
                )
            if state.dtype != x.dtype or state.device != x.device:
                raise ValueError(
                    f"expected {name} with dtype {x.dtype} on {x.device} like the input, "
                    f"got {state.dtype} on {state.device}"
                )
        return hx[0], hx[1]

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias}, "
            f"batch_first={self.batch_first}, dropout={self.dropout}, "
            f"bidirectional={self.bidirectional}, loop={self.loop!r}"
        )


def parameter_count(
    input_size: int, hidden_size: int, *, num_layers: int = 1, bias: bool = True, bidirectional: bool = False
) -> int:
    """Closed form: every layer and direction has 4H(D_layer + H) weights and 8H biases,
    where D_layer is input_size for the first layer and num_directions * H after it."""
    sizes = {"input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers}
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"expected {name} to be a positive int, got {value!r}")
    bias, bidirectional = check_bool(bias, "bias"), check_bool(bidirectional, "bidirectional")
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_layer = input_size if layer == 0 else directions * hidden_size
        total += directions * (4 * hidden_size * (d_layer + hidden_size) + (8 * hidden_size if bias else 0))
    return total


def _check_pair(scratch: object, lstm: object, function: str) -> None:
    """Refuse swapped or wrong arguments before any weight is overwritten."""
    if isinstance(scratch, nn.LSTM) and isinstance(lstm, ScratchLSTM):
        raise TypeError(
            f"{function}(scratch, lstm) takes the ScratchLSTM first and the nn.LSTM second; "
            f"got an nn.LSTM first and a ScratchLSTM second. Swap them: {function}(scratch, lstm)"
        )
    if not isinstance(scratch, ScratchLSTM) or not isinstance(lstm, nn.LSTM):
        raise TypeError(
            f"{function}(scratch, lstm) expects a ScratchLSTM and an nn.LSTM, "
            f"got {type(scratch).__name__} and {type(lstm).__name__}"
        )
    if lstm.proj_size:
        raise ValueError("ScratchLSTM has no projection; use an nn.LSTM with proj_size=0")
    if any(p.is_meta for module in (scratch, lstm) for p in module.parameters()):
        raise ValueError(f"{function}: an LSTM is on the meta device (shapes, no values), so nothing "
                         "would be copied; build it on a real device, or .to_empty(device='cpu') first")
    for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional"):
        if getattr(scratch, attr) != getattr(lstm, attr):
            raise ValueError(
                f"the two LSTMs differ in {attr}: ScratchLSTM has {getattr(scratch, attr)}, "
                f"nn.LSTM has {getattr(lstm, attr)}; build them with the same arguments"
            )


@torch.no_grad()
def copy_from_torch(scratch: ScratchLSTM, lstm: nn.LSTM) -> ScratchLSTM:
    """Copy every parameter of ``lstm`` (the source) into ``scratch`` (the target). Returns scratch.

    The ScratchLSTM always comes first, as in :func:`copy_to_torch`; swapped arguments raise
    ``TypeError`` instead of overwriting the nn.LSTM's (perhaps trained) weights.
    """
    _check_pair(scratch, lstm, "copy_from_torch")
    for name, parameter in scratch.named_parameters():
        parameter.copy_(getattr(lstm, name))
    return scratch


@torch.no_grad()
def copy_to_torch(scratch: ScratchLSTM, lstm: nn.LSTM) -> nn.LSTM:
    """Copy every parameter of ``scratch`` (the source) into ``lstm`` (the target). Returns lstm.

    Swapped arguments raise ``TypeError`` instead of overwriting the ScratchLSTM's weights.
    """
    _check_pair(scratch, lstm, "copy_to_torch")
    for name, parameter in scratch.named_parameters():
        getattr(lstm, name).copy_(parameter)
    return lstm
