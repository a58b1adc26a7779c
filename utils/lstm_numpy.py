"""The LSTM cell in matrix form, in NumPy (chapter 5 forward, chapter 6 backward).

Gates are fused in PyTorch's order i, f, g, o: one weight matrix ``w_ih`` of shape
(4H, D) and one ``w_hh`` of shape (4H, H) hold all four gates, stacked by rows.

    gates = x W_ih^T + b_ih + h_prev W_hh^T + b_hh          (batch, 4H)
    i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of the four (batch, H) blocks
    c = f * c_prev + i * g
    h = o * tanh(c)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from utils.activations import sigmoid


@dataclass(frozen=True)
class CellCache:
    """What the backward pass needs from the forward pass of one step."""

    x: np.ndarray  # (batch, D)
    h_prev: np.ndarray  # (batch, H)
    c_prev: np.ndarray  # (batch, H)
    i: np.ndarray  # (batch, H) each
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray


@dataclass(frozen=True)
class CellGrads:
    """Gradients of one step: with respect to the inputs and to every parameter."""

    x: np.ndarray  # (batch, D)
    h_prev: np.ndarray  # (batch, H)
    c_prev: np.ndarray  # (batch, H)
    w_ih: np.ndarray  # (4H, D)
    w_hh: np.ndarray  # (4H, H)
    b: np.ndarray  # (4H,)  the same for b_ih and b_hh, since only their sum matters


class CellStep(NamedTuple):
    """The result of one forward step: ``h, c, cache = lstm_cell_forward(...)``."""

    h: np.ndarray  # (batch, H)
    c: np.ndarray  # (batch, H)
    cache: CellCache


def _check_shapes(
    x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
    b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None,
) -> None:
    named = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "w_ih": w_ih, "w_hh": w_hh,
             "b_ih": b_ih, "b_hh": b_hh}
    for name, value in named.items():
        if value is not None and type(value) is not np.ndarray:  # np.matrix would make * a matrix product
            raise TypeError(f"{name} must be a NumPy array, got {type(value).__name__}: "
                            f"convert it with np.asarray(...) (a tensor: .detach().numpy())")
        if value is not None and not np.issubdtype(value.dtype, np.floating):
            raise TypeError(f"{name} must hold floats, got dtype {value.dtype} (integers would overflow or "
                            "round): convert it with .astype(np.float64)")
    if w_ih.ndim != 2:
        raise ValueError(f"expected w_ih of shape (4H, D), got {w_ih.shape}")
    four_h, d = w_ih.shape
    for name, bias in (("b_ih", b_ih), ("b_hh", b_hh)):
        if bias is not None and bias.shape != (four_h,):
            raise ValueError(f"expected {name} of shape ({four_h},) (4H, one per gate row), got {bias.shape}")
    if four_h % 4:
        raise ValueError(f"expected w_ih of shape (4H, D), got {w_ih.shape}: 4H is not a multiple of 4")
    h = four_h // 4
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(f"expected x of shape (batch, {d}), got {x.shape}")
    batch = x.shape[0]
    for name, value in (("h_prev", h_prev), ("c_prev", c_prev)):
        if value.shape != (batch, h):
            raise ValueError(f"expected {name} of shape ({batch}, {h}), got {value.shape}")
    if w_hh.shape != (four_h, h):
        raise ValueError(f"expected w_hh of shape ({four_h}, {h}), got {w_hh.shape}")


def lstm_cell_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> CellStep:
    """One LSTM step for a batch. x: (batch, D); h_prev, c_prev: (batch, H); w_ih: (4H, D);
    w_hh: (4H, H); b_ih, b_hh: (4H,). Returns ``CellStep(h, c, cache)``, h and c (batch, H)."""
    if b_ih is None or b_hh is None:
        raise TypeError("lstm_cell_forward needs both biases as arrays of shape (4H,): "
                        "for a cell without biases pass np.zeros(4 * H)")
    _check_shapes(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh)
    # gates = x W_ih^T + b_ih + h_prev W_hh^T + b_hh
    gates = x @ w_ih.T + b_ih + h_prev @ w_hh.T + b_hh  # (batch, 4H)
    # i, f, g, o: the four (batch, H) blocks, in PyTorch's order
    a_i, a_f, a_g, a_o = np.split(gates, 4, axis=1)
    i, f, g, o = _sigmoid(a_i), _sigmoid(a_f), np.tanh(a_g), _sigmoid(a_o)
    # c = f * c_prev + i * g
    c = f * c_prev + i * g  # (batch, H)
    # h = o * tanh(c)
    tanh_c = np.tanh(c)
    h = o * tanh_c  # (batch, H)
    return CellStep(h, c, CellCache(x, h_prev, c_prev, i, f, g, o, c, tanh_c))


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return np.asarray(sigmoid(a))


def lstm_cell_backward(
    dh: np.ndarray, dc: np.ndarray, cache: CellCache, w_ih: np.ndarray, w_hh: np.ndarray
) -> CellGrads:
    """Backward of one step, by hand (chapter 6).

    Args:
        dh: dL/dh of this step's output h, (batch, H).
        dc: dL/dc arriving from the next step's cell state, (batch, H) (zeros at the last step).
    """
    if isinstance(cache, CellStep):
        raise TypeError("lstm_cell_backward needs the step's cache: pass step.cache "
                        "(h, c, cache = lstm_cell_forward(...)), not the whole CellStep")
    if not isinstance(cache, CellCache):
        raise TypeError(f"expected the CellCache from lstm_cell_forward, got {type(cache).__name__}")
    k = cache
    _check_shapes(k.x, k.h_prev, k.c_prev, w_ih, w_hh)
    for name, value in (("dh", dh), ("dc", dc)):
        if isinstance(value, np.ndarray) and type(value) is not np.ndarray:  # np.matrix: * is matmul
            raise TypeError(f"{name} must be a plain NumPy array, got {type(value).__name__}: "
                            "convert it with np.asarray(...)")
        if isinstance(value, np.ndarray) and not np.issubdtype(value.dtype, np.floating):
            raise TypeError(f"{name} must hold real floats, got dtype {value.dtype}: .astype(np.float64)")
        if not isinstance(value, np.ndarray) or value.shape != k.c.shape:
            got = value.shape if isinstance(value, np.ndarray) else type(value).__name__
            raise ValueError(f"expected {name} as an array of the state's shape {k.c.shape} (batch, H), "
                             f"got {got} (dc is np.zeros_like(c) at the last step)")
    # h = o * tanh(c): c receives gradient from h and, directly, from the next step
    do = dh * k.tanh_c
    dc_total = dc + dh * k.o * (1.0 - k.tanh_c**2)
    # c = f * c_prev + i * g
    df = dc_total * k.c_prev
    di = dc_total * k.g
    dg = dc_total * k.i
    dc_prev = dc_total * k.f  # the cell-state path: one multiplication by f, nothing else
    # through the nonlinearities: sigmoid' = s (1 - s), tanh' = 1 - t^2
    dgates = np.concatenate(
        [di * k.i * (1 - k.i), df * k.f * (1 - k.f), dg * (1 - k.g**2), do * k.o * (1 - k.o)], axis=1
    )  # (batch, 4H), order i, f, g, o
    return CellGrads(
        x=dgates @ w_ih,
        h_prev=dgates @ w_hh,
        c_prev=dc_prev,
        w_ih=dgates.T @ k.x,
        w_hh=dgates.T @ k.h_prev,
        b=dgates.sum(axis=0),
    )
