"""A plain RNN and the gradient measurement behind chapter 1 (``01_why_lstm``), reused in chapter 6.

The recurrence is h_t = act(W_hh h_{t-1} + W_xh x_t), with no bias so the weights alone
decide how memory fades.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def simple_rnn(
    x: Tensor,
    w_hh: Tensor,
    w_xh: Tensor,
    *,
    activation: Callable[[Tensor], Tensor] = torch.tanh,
    h0: Tensor | None = None,
) -> Tensor:
    """Run h_t = activation(h_{t-1} W_hh^T + x_t W_xh^T) and return every h_t.

    Args:
        x: (seq_len, batch, input_size)
        w_hh: (hidden, hidden)
        w_xh: (hidden, input_size)
        activation: ``torch.tanh`` as in ``nn.RNN``, or ``lambda z: z`` for a linear RNN.
        h0: (batch, hidden), zeros if omitted.

    Returns:
        (seq_len, batch, hidden)
    """
    for name, value in (("x", x), ("w_hh", w_hh), ("w_xh", w_xh), ("h0", h0)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}: "
                            f"convert it with torch.as_tensor(..., dtype=torch.float32)")
    if x.dim() != 3 or x.shape[0] == 0:
        raise ValueError("expected x of shape (seq_len, batch, input_size) with seq_len >= 1, got "
                         f"{tuple(x.shape)}")
    if not callable(activation):
        raise TypeError(f"activation must be a function such as torch.tanh, got {type(activation).__name__}")
    if w_hh.dim() != 2 or w_xh.dim() != 2:
        raise ValueError(f"expected 2-D weights w_hh (hidden, hidden) and w_xh (hidden, input_size), "
                         f"got {tuple(w_hh.shape)} and {tuple(w_xh.shape)}")
    tensors = [x, w_hh, w_xh] + ([] if h0 is None else [h0])
    if len({t.dtype for t in tensors}) > 1 or not x.is_floating_point():
        raise TypeError(f"x, w_hh, w_xh and h0 must share one floating dtype, got "
                        f"{[str(t.dtype) for t in tensors]}: convert them with .float() or .double()")
    hidden = w_hh.shape[0]
    if w_hh.shape != (hidden, hidden) or w_xh.shape != (hidden, x.shape[2]):
        raise ValueError(
            f"expected w_hh ({hidden}, {hidden}) and w_xh ({hidden}, {x.shape[2]}), "
            f"got {tuple(w_hh.shape)} and {tuple(w_xh.shape)}"
        )
    if h0 is not None and h0.shape != (x.shape[1], hidden):
        raise ValueError(
            f"expected h0 of shape (batch, hidden) = {(x.shape[1], hidden)}, got {tuple(h0.shape)}"
        )
    h = x.new_zeros(x.shape[1], hidden) if h0 is None else h0
    states = []
    for x_t in x:  # x_t: (batch, input_size)
        try:
            h = activation(h @ w_hh.T + x_t @ w_xh.T)  # (batch, hidden)
        except TypeError as error:
            raise TypeError(f"activation must be a function of one tensor, such as torch.tanh or nn.Tanh() "
                            f"(an instance, not the class): calling it failed ({error})") from None
        if not isinstance(h, Tensor) or h.shape != (x.shape[1], hidden) or h.dtype != x.dtype:
            got = f"{tuple(h.shape)} {h.dtype}" if isinstance(h, Tensor) else type(h).__name__
            raise ValueError("activation must return a tensor of its input's shape "
                             f"{(x.shape[1], hidden)} and dtype, "
                             f"got {got}: apply it elementwise (torch.tanh, torch.relu, lambda z: z)")
        states.append(h)
    return torch.stack(states)


def input_gradient_norms(forward: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """How much the final output depends on each input step, measured with autograd.

    ``forward`` maps x (seq_len, batch, input_size) to the output at the last step
    (batch, out). Returns, for every step t, the norm of d(sum of that output) / d x_t,
    a tensor of shape (seq_len,).
    """
    if not callable(forward):
        raise TypeError(f"forward must be a function of x, got {type(forward).__name__}")
    if not isinstance(x, Tensor) or x.dim() < 2 or not x.is_floating_point():
        got = f"{x.dtype} {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
        raise TypeError(f"expected x as a floating tensor (seq_len, batch, input_size), got {got}: "
                        "convert it with torch.as_tensor(..., dtype=torch.float32)")
    if torch.is_inference_mode_enabled():
        raise RuntimeError("gradients cannot be computed inside torch.inference_mode(): call "
                           "input_gradient_norms outside that block (torch.no_grad() is fine)")
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():  # also inside a caller's torch.no_grad()
        try:
            output = forward(x)
        except RuntimeError as error:
            if "numpy" not in str(error):
                raise
            raise TypeError("forward must use torch operations only (torch.tanh, not np.tanh): "
                            "autograd cannot "
                            "follow a NumPy function") from error
    if not isinstance(output, Tensor) or not output.is_floating_point():
        got = str(output.dtype) if isinstance(output, Tensor) else type(output).__name__
        raise TypeError(f"forward must return the output as a real floating tensor, got {got}")
    if not output.requires_grad:
        raise ValueError("forward's output does not depend on x through autograd: compute it from x "
                         "with torch "
                         "operations (no .detach(), .item(), .numpy() or argmax)")
    # an output that does not depend on x has gradient 0 there (not an error)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(output.sum(), x, allow_unused=True, materialize_grads=True)
    return grad.flatten(start_dim=1).norm(dim=1)
