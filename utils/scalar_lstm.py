"""The LSTM cell on plain numbers (chapters 3 and 4, ``03_scalar_gates``, ``04_scalar_lstm``).

Two memories flow through the cell: the long-term memory ``c`` (the cell state) and
the short-term memory ``h`` (the hidden state). One step for input ``x``:

    forget:  c <- c * sigmoid(w1*x + w2*h + b1)
    input:   c <- c + tanh(w3*x + w4*h + b2) * sigmoid(w5*x + w6*h + b3)
    output:  h <- tanh(c) * sigmoid(w7*x + w8*h + b4)

In the standard notation (chapter 4) these are f, c~ (PyTorch's g), i and o.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from utils.activations import sigmoid, tanh
from utils.checks import check_has_values, check_real

PARAM_NAMES = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2", "b3", "b4")


@dataclass(frozen=True, kw_only=True)
class ScalarLSTMParams:
    """The twelve numbers of a scalar LSTM cell, named as in chapter 3.

    Keyword-only on purpose: ``ScalarLSTMParams(w1=..., ..., b4=...)`` cannot mix up
    the order the way fourteen positional floats can.
    """

    w1: float  # forget gate, weight on x
    w2: float  # forget gate, weight on h
    w3: float  # candidate, weight on x
    w4: float  # candidate, weight on h
    w5: float  # input gate, weight on x
    w6: float  # input gate, weight on h
    w7: float  # output gate, weight on x
    w8: float  # output gate, weight on h
    b1: float  # forget gate bias
    b2: float  # candidate bias
    b3: float  # input gate bias
    b4: float  # output gate bias

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _real(getattr(self, f.name), f.name))

    @classmethod
    def random(cls, rng: np.random.Generator, *, scale: float = 1.0) -> ScalarLSTMParams:
        """Draw every weight and bias from N(0, scale^2) using the given generator.

        A fresh draw per call: nothing is shared between instances.
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"expected rng to be a np.random.Generator, got {type(rng).__name__}: "
                            "pass np.random.default_rng(seed)")
        if _real(scale, "scale") <= 0:
            raise ValueError(f"expected scale > 0, got {scale}")
        values = rng.normal(0.0, scale, size=len(PARAM_NAMES))
        return cls(**dict(zip(PARAM_NAMES, values.tolist(), strict=True)))

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Gates:
    """The four gate values of one step, in the standard names (chapter 4)."""

    f: float  # forget gate, in (0, 1)
    i: float  # input gate, in (0, 1)
    c_tilde: float  # candidate memory, in (-1, 1)
    o: float  # output gate, in (0, 1)


@dataclass(frozen=True)
class History:
    """Both memories after every step of :func:`run`: ``long[t]`` is c_t, ``short[t]`` is h_t."""

    long: list[float]
    short: list[float]


def _real(value: object, name: str) -> float:
    """``check_real``: a finite real number (an int too large for a float is refused there)."""
    return check_real(value, name)


def _check_params(p: object) -> ScalarLSTMParams:
    if not isinstance(p, ScalarLSTMParams):
        raise TypeError(
            f"expected p to be a ScalarLSTMParams, got {type(p).__name__}: build one with "
            "ScalarLSTMParams(**weights) (names w1..w8, b1..b4) or ScalarLSTMParams.random(rng)"
        )
    return p


def gates(x: float, h: float, p: ScalarLSTMParams) -> Gates:
    """Evaluate the four gates for input ``x`` and previous short-term memory ``h``."""
    x, h, p = _real(x, "x"), _real(h, "h"), _check_params(p)
    return Gates(  # float() because the activations also accept arrays
        f=float(sigmoid(p.w1 * x + p.w2 * h + p.b1)),
        i=float(sigmoid(p.w5 * x + p.w6 * h + p.b3)),
        c_tilde=float(tanh(p.w3 * x + p.w4 * h + p.b2)),
        o=float(sigmoid(p.w7 * x + p.w8 * h + p.b4)),
    )


def forget_gate(c: float, x: float, h: float, p: ScalarLSTMParams) -> float:
    """Keep a fraction of the long-term memory: c * sigmoid(w1*x + w2*h + b1)."""
    c = _real(c, "c")
    return c * gates(x, h, p).f


def input_gate(c: float, x: float, h: float, p: ScalarLSTMParams) -> float:
    """Add a gated candidate to the long-term memory.

    c + tanh(w3*x + w4*h + b2) * sigmoid(w5*x + w6*h + b3)
    """
    c = _real(c, "c")
    g = gates(x, h, p)
    return c + g.c_tilde * g.i


def output_gate(c: float, x: float, h: float, p: ScalarLSTMParams) -> float:
    """New short-term memory from the (updated) long-term one: tanh(c) * sigmoid(w7*x + w8*h + b4)."""
    c = _real(c, "c")
    return float(tanh(c)) * gates(x, h, p).o


def step(x: float, c: float, h: float, p: ScalarLSTMParams) -> tuple[float, float]:
    """One step of the cell: forget, then input, then output. Returns ``(c, h)``.

    All three gates read the *previous* short-term memory ``h``; the output gate
    squashes the *updated* long-term memory.
    """
    c = forget_gate(c, x, h, p)
    c = input_gate(c, x, h, p)
    h_new = output_gate(c, x, h, p)
    return c, h_new


def run(
    xs: Iterable[float], p: ScalarLSTMParams, *, c0: float = 0.0, h0: float = 0.0
) -> History:
    """Run the cell over a sequence and record both memories after every step.

    An empty sequence gives empty histories.
    """
    if isinstance(xs, str | bytes) or not isinstance(xs, Iterable) or getattr(xs, "ndim", 1) == 0:
        got = "a string" if isinstance(xs, str | bytes) else type(xs).__name__
        hint = ": a single number has no steps, write [x]" if getattr(xs, "ndim", 1) == 0 else ""
        raise TypeError(f"expected xs to be a sequence of numbers, got {got}{hint}")
    c, h, p = _real(c0, "c0"), _real(h0, "h0"), _check_params(p)
    long, short = [], []
    for t, x in enumerate(xs):
        c, h = step(_real(x, f"xs[{t}]"), c, h, p)
        long.append(c)
        short.append(h)
    return History(long=long, short=short)


def to_torch_lstm_weights(p: ScalarLSTMParams) -> dict[str, np.ndarray]:
    """The same cell as ``torch.nn.LSTM(1, 1)`` weights, gate order (i, f, g, o).

    Returns arrays for ``weight_ih_l0`` (4, 1), ``weight_hh_l0`` (4, 1),
    ``bias_ih_l0`` (4,) and ``bias_hh_l0`` (4,) (the second bias is all zeros).
    """
    p = _check_params(p)
    return {
        "weight_ih_l0": np.array([[p.w5], [p.w1], [p.w3], [p.w7]]),
        "weight_hh_l0": np.array([[p.w6], [p.w2], [p.w4], [p.w8]]),
        "bias_ih_l0": np.array([p.b3, p.b1, p.b2, p.b4]),
        "bias_hh_l0": np.zeros(4),
    }


def from_torch_lstm_weights(weights: Mapping[str, Any]) -> ScalarLSTMParams:
    """Inverse of :func:`to_torch_lstm_weights`; the two PyTorch biases are added.

    ``weights`` is the ``state_dict()`` of a one-layer ``torch.nn.LSTM(1, 1)``: NumPy arrays or
    tensors (tensors that require grad are detached first).
    """
    if not isinstance(weights, Mapping):
        fix = ": pass lstm.state_dict()" if hasattr(weights, "state_dict") else ""
        raise TypeError(f"expected the state_dict of an nn.LSTM(1, 1), got {type(weights).__name__}{fix}")
    shapes = {"weight_ih_l0": (4, 1), "weight_hh_l0": (4, 1), "bias_ih_l0": (4,), "bias_hh_l0": (4,)}
    extra = sorted(set(weights) - set(shapes))
    if extra:
        raise ValueError(
            f"unexpected {', '.join(extra)}: pass the state_dict of a one-layer torch.nn.LSTM(1, 1)"
        )
    arrays = {}
    for name, shape in shapes.items():
        if name not in weights:
            raise ValueError(f"missing {name}: pass the state_dict of a torch.nn.LSTM(1, 1)")
        value = weights[name]
        check_has_values(value, name)
        value = value.detach().cpu().double().numpy() if hasattr(value, "detach") else value
        try:
            arrays[name] = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{name} must hold numbers, as an nn.LSTM(1, 1)'s state_dict does "
                            f"({error})") from None
        if arrays[name].shape != shape:
            raise ValueError(
                f"expected {name} of shape {shape} (an nn.LSTM(1, 1)), got {arrays[name].shape}"
            )
    w_x, w_h = arrays["weight_ih_l0"][:, 0], arrays["weight_hh_l0"][:, 0]
    b = arrays["bias_ih_l0"] + arrays["bias_hh_l0"]
    i, f, g, o = range(4)
    return ScalarLSTMParams(
        w1=w_x[f], w2=w_h[f], w3=w_x[g], w4=w_h[g], w5=w_x[i], w6=w_h[i], w7=w_x[o], w8=w_h[o],
        b1=b[f], b2=b[g], b3=b[i], b4=b[o],
    )
