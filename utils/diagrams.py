"""Diagrams of the LSTM and its data, drawn with matplotlib (chapters 1, 3-10 and 12).

Every ``draw_*`` function returns a :class:`~matplotlib.figure.Figure` made with
``plt.subplots``, so a notebook cell ``draw_lstm_cell();`` shows it. Each figure carries a
one-line caption at the bottom saying what to look at. Gates use the colours of
:data:`utils.plots.COLORS` (forget, input, candidate, output), as every plot of the book does;
patches drawn for a gate carry that colour's key as their ``gid``.

The drawing works in inches: an axes covering the whole figure, with x from 0 to the width and
y from 0 to the height, so shapes keep their proportions at any size.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path

from utils.checks import check_int
from utils.plots import COLORS

TEXT = "#222222"
NOTE = "#444444"
LIGHT = "#f2f2f2"
EDGE = "#555555"
FONT = 11
SMALL = 9.5


# ---------------------------------------------------------------------------------------------
# Drawing primitives
# ---------------------------------------------------------------------------------------------


def _canvas(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of ``width`` x ``height`` inches with one axes in inch coordinates, axis off."""
    fig, ax = plt.subplots(figsize=(width, height), layout="none")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _caption(fig: Figure, text: str) -> None:
    """The one-line caption at the bottom of the figure (what to see)."""
    height = fig.get_figheight()
    caption = fig.text(0.5, 0.1 / height, text, ha="center", va="bottom", fontsize=10, color="#333333")
    caption.set_gid("caption")


def _box(
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    text: str = "",
    *,
    face: str = "white",
    edge: str = EDGE,
    color: str = TEXT,
    size: float = FONT,
    gid: str | None = None,
    zorder: float = 3,
) -> FancyBboxPatch:
    """A rounded box centred at (x, y), ``w`` x ``h`` inches, with centred text."""
    patch = FancyBboxPatch(
        (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.07",
        facecolor=face, edgecolor=edge, lw=1.2, zorder=zorder,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=size, color=color, zorder=4)
    return patch


def _gate(ax: Axes, x: float, y: float, key: str, text: str, *, w: float = 0.62, h: float = 0.44) -> None:
    """A gate box filled with the gate's colour from ``utils.plots.COLORS`` (gid = the key)."""
    _box(ax, x, y, w, h, text, face=COLORS[key], edge=COLORS[key], color="white", size=12, gid=key)


def _node(ax: Axes, x: float, y: float, symbol: str, *, color: str = EDGE, r: float = 0.15) -> None:
    """A round operation node (``$\\times$``, ``$+$``, ``$\\odot$``) centred at (x, y)."""
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=color, lw=1.5, zorder=3))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=12, color=color, zorder=4)


Points = Sequence[tuple[float, float]]


def _arrow(ax: Axes, points: Points, *, color: str = EDGE, lw: float = 1.6, dashed: bool = False) -> None:
    """A polyline through ``points`` with an arrow head at the last point."""
    arrow = FancyArrowPatch(
        path=Path(list(points)),
        arrowstyle="-|>",
        mutation_scale=12,
        color=color,
        lw=lw,
        linestyle=(0, (4, 2.5)) if dashed else "-",
        shrinkA=0,
        shrinkB=0,
        zorder=2,
    )
    ax.add_patch(arrow)


def _line(ax: Axes, points: Points, *, color: str = EDGE, lw: float = 1.6, dashed: bool = False) -> None:
    """A polyline without arrow head."""
    xs, ys = zip(*points, strict=True)
    style = (0, (4, 2.5)) if dashed else "-"
    ax.plot(xs, ys, color=color, lw=lw, linestyle=style, solid_capstyle="butt", zorder=1)


def _label(
    ax: Axes, x: float, y: float, text: str, *, size: float = FONT, color: str = TEXT, **kw: Any
) -> None:
    """Text at (x, y), centred unless ``ha``/``va`` say otherwise; other keywords pass through."""
    options: dict[str, Any] = {"ha": "center", "va": "center", "zorder": 5}
    ax.text(x, y, text, fontsize=size, color=color, **(options | kw))


def _cells(
    ax: Axes,
    x0: float,
    y0: float,
    rows: Sequence[Sequence[str]],
    *,
    w: float = 0.42,
    h: float = 0.42,
    fills: Sequence[Sequence[str]] | None = None,
    font: float = SMALL,
) -> None:
    """A grid of ``w`` x ``h`` cells with text, row 0 at the top; (x0, y0) is the top-left corner."""
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            face = fills[r][c] if fills is not None else "white"
            corner = (x0 + c * w, y0 - (r + 1) * h)
            ax.add_patch(Rectangle(corner, w, h, facecolor=face, edgecolor=EDGE, lw=1))
            _label(ax, x0 + (c + 0.5) * w, y0 - (r + 0.5) * h, text, size=font)


# ---------------------------------------------------------------------------------------------
# Chapter 1: the unrolled RNN
# ---------------------------------------------------------------------------------------------


def draw_unrolled_rnn() -> Figure:
    """Chapter 1: $h_t = \\tanh(W_{hh} h_{t-1} + W_{xh} x_t)$ unrolled over $T$ steps, and the
    backward path from $h_T$ to $x_1$, one factor $\\mathrm{diag}(\\tanh'(a_k))\\,W_{hh}$ per step."""
    fig, ax = _canvas(8.6, 3.45)
    xs, y = [1.55, 3.25, 4.95, 7.15], 1.75
    steps = ["1", "2", "3", "T"]
    for x, t in zip(xs, steps, strict=True):
        _box(ax, x, y, 0.8, 0.55, r"$\tanh$", face=LIGHT, edge=COLORS["rnn"])
        _arrow(ax, [(x, 0.72), (x, y - 0.28)], color=COLORS["data"])
        _label(ax, x, 0.55, f"$x_{{{t}}}$")
        _label(ax, x - 0.08, 1.2, r"$W_{xh}$", size=SMALL, ha="right")
    _label(ax, 0.3, y, "$h_0$")
    _arrow(ax, [(0.5, y), (xs[0] - 0.4, y)], color=COLORS["hidden"])
    links = [(xs[0], xs[1], "$h_1$"), (xs[1], xs[2], "$h_2$"), (xs[2], xs[3], "")]
    for left, right, name in links:
        _arrow(ax, [(left + 0.4, y), (right - 0.4, y)], color=COLORS["hidden"])
        _label(ax, (left + right) / 2, y + 0.24, r"$W_{hh}$", size=SMALL)
        _label(ax, (left + right) / 2, y - 0.22, name, size=SMALL)
    _label(ax, 6.05, y - 0.22, r"$\cdots$", size=SMALL)
    _arrow(ax, [(xs[3] + 0.4, y), (8.1, y)], color=COLORS["hidden"])
    _label(ax, 8.35, y, "$h_T$")
    _unrolled_gradient(ax, xs, y)
    _caption(fig, r"The same $W_{hh}$ acts at every step: the gradient from $h_T$ back to $x_1$ is "
             r"multiplied by it $T-1$ times, and by $\tanh'$ $T$ times.")
    return fig


def _unrolled_gradient(ax: Axes, xs: Sequence[float], y: float) -> None:
    """The dashed backward path above the unrolled RNN, with one x mark per recurrent step."""
    red, top = COLORS["gradient"], 2.6
    path = [(8.1, y + 0.12), (8.1, top), (xs[0] + 0.2, top), (xs[0] + 0.2, y)]
    _line(ax, path, color=red, lw=1.4, dashed=True)
    _arrow(ax, [(xs[0] + 0.2, y), (xs[0] + 0.2, 0.78)], color=red, lw=1.4, dashed=True)
    for left, right in zip(xs[:-1], xs[1:], strict=True):
        _node(ax, (left + right) / 2, top, r"$\times$", color=red, r=0.12)
    _label(ax, 4.8, top + 0.48,
           r"backward: $\partial h_T/\partial h_1 = \prod_{k=T}^{2}"
           r"\mathrm{diag}(\tanh^\prime(a_k))\,W_{hh}$"
           r" ($k = T$ leftmost), then $\mathrm{diag}(\tanh^\prime(a_1))\,W_{xh}$ to $x_1$",
           size=SMALL, color=red)


# ---------------------------------------------------------------------------------------------
# Chapter 3: the scalar cell, gate by gate
# ---------------------------------------------------------------------------------------------


def draw_gates_step_by_step() -> Figure:
    """Chapter 3: the scalar cell built in three moves (forget, input with candidate, output),
    with the weights $w_1 \\dots w_8$ and biases $b_1 \\dots b_4$ of chapter 3."""
    fig, ax = _canvas(9.0, 4.3)
    c_y, gate_y, bus_y = 3.3, 2.1, 1.55
    for x in (2.7, 5.9):
        _line(ax, [(x, 0.45), (x, 4.05)], color="#bbbbbb", lw=1)
    for x, title in ((1.35, "1. forget"), (4.3, "2. input"), (7.45, "3. output")):
        _label(ax, x, 3.9, title, size=12, weight="bold")
    _label(ax, 0.3, c_y, "$c$", size=12)
    _arrow(ax, [(0.5, c_y), (8.45, c_y)], color=COLORS["cell"], lw=2.2)
    _label(ax, 8.7, c_y, "$c$", size=12)
    _label(ax, 0.3, bus_y, "$x, h$", size=12)
    _line(ax, [(0.55, bus_y), (6.6, bus_y)], color=COLORS["hidden"])
    _gate_step_forget(ax, c_y, gate_y, bus_y)
    _gate_step_input(ax, c_y, gate_y, bus_y)
    _gate_step_output(ax, c_y, gate_y, bus_y)
    _caption(fig, r"$c$ runs straight through: the forget gate scales it ($\times$), the input gate adds "
             r"$i\,\tilde c$ ($+$), the output gate reads it into $h$.")
    return fig


def _gate_from_bus(ax: Axes, x: float, gate_y: float, bus_y: float, key: str, text: str) -> None:
    """A gate box fed from the input bus below it."""
    _gate(ax, x, gate_y, key, text)
    _arrow(ax, [(x, bus_y), (x, gate_y - 0.22)], color=COLORS["hidden"])


def _gate_step_forget(ax: Axes, c_y: float, gate_y: float, bus_y: float) -> None:
    x = 1.35
    _gate_from_bus(ax, x, gate_y, bus_y, "forget", r"$\sigma$")
    _arrow(ax, [(x, gate_y + 0.22), (x, c_y - 0.15)], color=COLORS["forget"])
    _node(ax, x, c_y, r"$\times$")
    _label(ax, x + 0.1, 2.75, "$f$", color=COLORS["forget"], ha="left")
    _label(ax, x, 1.1, r"$f = \sigma(w_1 x + w_2 h + b_1)$", size=SMALL, color=COLORS["forget"])
    _label(ax, x, 0.8, r"$c \leftarrow f\,c$", size=SMALL)


def _gate_step_input(ax: Axes, c_y: float, gate_y: float, bus_y: float) -> None:
    xg, xi, xm, my = 3.65, 4.95, 4.3, 2.75
    _gate_from_bus(ax, xg, gate_y, bus_y, "candidate", r"$\tanh$")
    _gate_from_bus(ax, xi, gate_y, bus_y, "input", r"$\sigma$")
    _arrow(ax, [(xg, gate_y + 0.22), (xg, my), (xm - 0.15, my)], color=COLORS["candidate"])
    _arrow(ax, [(xi, gate_y + 0.22), (xi, my), (xm + 0.15, my)], color=COLORS["input"])
    _node(ax, xm, my, r"$\times$")
    _arrow(ax, [(xm, my + 0.15), (xm, c_y - 0.15)])
    _node(ax, xm, c_y, "$+$")
    _label(ax, xg - 0.1, 2.5, r"$\tilde c$", color=COLORS["candidate"], ha="right")
    _label(ax, xi + 0.1, 2.5, "$i$", color=COLORS["input"], ha="left")
    _label(ax, xm, 1.1, r"$\tilde c = \tanh(w_3 x + w_4 h + b_2)$", size=SMALL, color=COLORS["candidate"])
    _label(ax, xm, 0.8, r"$i = \sigma(w_5 x + w_6 h + b_3)$", size=SMALL, color=COLORS["input"])
    _label(ax, xm, 0.5, r"$c \leftarrow c + i\,\tilde c$", size=SMALL)


def _gate_step_output(ax: Axes, c_y: float, gate_y: float, bus_y: float) -> None:
    xo, xm = 6.6, 7.75
    _gate_from_bus(ax, xo, gate_y, bus_y, "output", r"$\sigma$")
    _box(ax, xm, 2.72, 0.62, 0.36, r"$\tanh$", edge=COLORS["cell"], size=10)
    _arrow(ax, [(xm, c_y), (xm, 2.9)], color=COLORS["cell"])
    _arrow(ax, [(xm, 2.54), (xm, gate_y + 0.15)], color=COLORS["cell"])
    _arrow(ax, [(xo + 0.31, gate_y), (xm - 0.15, gate_y)], color=COLORS["output"])
    _node(ax, xm, gate_y, r"$\times$")
    _arrow(ax, [(xm + 0.15, gate_y), (8.45, gate_y)], color=COLORS["hidden"], lw=2.2)
    _label(ax, 8.7, gate_y, "$h$", size=12)
    _label(ax, xo + 0.55, gate_y + 0.18, "$o$", color=COLORS["output"])
    _label(ax, 7.45, 1.1, r"$o = \sigma(w_7 x + w_8 h + b_4)$", size=SMALL, color=COLORS["output"])
    _label(ax, 7.45, 0.8, r"$h \leftarrow o\,\tanh(c)$", size=SMALL)


# ---------------------------------------------------------------------------------------------
# Chapters 4-5: the whole cell
# ---------------------------------------------------------------------------------------------

# (key, chapter symbol, activation, nn.LSTM name, x position in draw_lstm_cell)
_CELL_GATES = (
    ("forget", "$f_t$", r"$\sigma$", "f", 2.0),
    ("input", "$i_t$", r"$\sigma$", "i", 3.1),
    ("candidate", r"$\tilde c_t$", r"$\tanh$", "g", 4.0),
    ("output", "$o_t$", r"$\sigma$", "o", 5.05),
)


def draw_lstm_cell() -> Figure:
    """Chapters 4-5: one LSTM step, $c_t = f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t$ and
    $h_t = o_t \\odot \\tanh(c_t)$, with the names of the gates in ``nn.LSTM`` (i, f, g, o)."""
    fig, ax = _canvas(8.6, 4.6)
    c_y, gate_y, bus_y = 3.75, 2.3, 1.4
    _box(ax, 3.95, 2.6, 6.0, 3.2, face="#fafafa", edge="#cccccc", zorder=0)
    _label(ax, 0.5, c_y, "$c_{t-1}$", size=12)
    _arrow(ax, [(0.8, c_y), (7.6, c_y)], color=COLORS["cell"], lw=2.4)
    _label(ax, 7.95, c_y, "$c_t$", size=12)
    _label(ax, 0.5, bus_y, "$h_{t-1}$", size=12)
    _line(ax, [(0.8, bus_y), (5.05, bus_y)], color=COLORS["hidden"], lw=2)
    _label(ax, 1.4, 0.5, "$x_t$", size=12)
    _line(ax, [(1.4, 0.68), (1.4, bus_y)], color=COLORS["data"], lw=2)
    for key, _, activation, torch_name, x in _CELL_GATES:
        _gate(ax, x, gate_y, key, activation)
        _arrow(ax, [(x, bus_y), (x, gate_y - 0.22)], color=COLORS["hidden"])
        _label(ax, x + 0.36, gate_y - 0.33, torch_name, size=10, color=COLORS[key], family="monospace")
    _cell_memory_paths(ax, c_y, gate_y)
    _cell_output_path(ax, c_y, gate_y)
    _label(ax, 7.1, 1.45, "small letters: the\ngates' names in\nnn.LSTM, stacked\nas i, f, g, o",
           size=9, ha="left", color=NOTE)
    _caption(fig, r"The cell state runs along the top, scaled by $f_t$ and added to by "
             r"$i_t \odot \tilde c_t$; $h_t$ is $o_t \odot \tanh(c_t)$.")
    return fig


def _cell_memory_paths(ax: Axes, c_y: float, gate_y: float) -> None:
    """Forget gate into the first node; input gate and candidate into the product, then the sum."""
    xf, xi, xg = 2.0, 3.1, 4.0
    xm, my = (xi + xg) / 2, 3.05
    _arrow(ax, [(xf, gate_y + 0.22), (xf, c_y - 0.16)], color=COLORS["forget"])
    _node(ax, xf, c_y, r"$\odot$")
    _label(ax, xf + 0.1, 2.95, "$f_t$", color=COLORS["forget"], ha="left")
    _arrow(ax, [(xi, gate_y + 0.22), (xi, my), (xm - 0.15, my)], color=COLORS["input"])
    _arrow(ax, [(xg, gate_y + 0.22), (xg, my), (xm + 0.15, my)], color=COLORS["candidate"])
    _label(ax, xi - 0.1, 2.75, "$i_t$", color=COLORS["input"], ha="right")
    _label(ax, xg + 0.1, 2.75, r"$\tilde c_t$", color=COLORS["candidate"], ha="left")
    _node(ax, xm, my, r"$\odot$")
    _arrow(ax, [(xm, my + 0.15), (xm, c_y - 0.16)])
    _node(ax, xm, c_y, "$+$")


def _cell_output_path(ax: Axes, c_y: float, gate_y: float) -> None:
    """$h_t = o_t \\odot \\tanh(c_t)$: a tap from the new cell state, the output gate, the product."""
    xo, xm = 5.05, 6.2
    _box(ax, xm, 3.05, 0.62, 0.36, r"$\tanh$", edge=COLORS["cell"], size=10)
    _arrow(ax, [(xm, c_y), (xm, 3.23)], color=COLORS["cell"])
    _arrow(ax, [(xm, 2.87), (xm, gate_y + 0.16)], color=COLORS["cell"])
    _arrow(ax, [(xo + 0.31, gate_y), (xm - 0.16, gate_y)], color=COLORS["output"])
    _label(ax, 5.62, gate_y + 0.2, "$o_t$", color=COLORS["output"])
    _node(ax, xm, gate_y, r"$\odot$")
    _arrow(ax, [(xm + 0.16, gate_y), (7.6, gate_y)], color=COLORS["hidden"], lw=2.4)
    _label(ax, 7.95, gate_y, "$h_t$", size=12)


# ---------------------------------------------------------------------------------------------
# Chapter 5: the fused weights of nn.LSTM
# ---------------------------------------------------------------------------------------------

# (key, nn.LSTM letter, gate name)
_TORCH_ORDER = (("input", "i", "input gate"), ("forget", "f", "forget gate"),
                ("candidate", "g", "candidate"), ("output", "o", "output gate"))


def draw_fused_weights(input_size: int = 3, hidden_size: int = 2) -> Figure:
    """Chapter 5: ``weight_ih_l0`` $(4H, I)$, ``weight_hh_l0`` $(4H, H)$ and the two biases $(4H,)$
    as four stacked blocks in PyTorch's order i, f, g, o (rows ``k*H`` to ``(k+1)*H`` are gate k)."""
    sizes_are_ints = all(isinstance(n, numbers.Integral) and not isinstance(n, bool)
                         for n in (input_size, hidden_size))
    if not sizes_are_ints or not (1 <= input_size <= 6 and 1 <= hidden_size <= 4):
        raise ValueError(
            f"expected ints 1 <= input_size <= 6 and 1 <= hidden_size <= 4 for a readable picture, got "
            f"input_size={input_size}, hidden_size={hidden_size}; the layout is the same at any size"
        )
    rows, s = 4 * hidden_size, min(0.3, 2.6 / (4 * hidden_size))
    top = 0.95 + rows * s
    fig, ax = _canvas(8.8, top + 0.85)
    columns = (("weight_ih_l0", "W_{i", 3.3, input_size), ("weight_hh_l0", "W_{h", 5.0, hidden_size),
               ("bias_ih_l0", "b_{i", 6.55, 1), ("bias_hh_l0", "b_{h", 7.9, 1))
    for name, symbol, x, width in columns:
        shape = f"({rows}, {width})" if "weight" in name else f"({rows},)"
        _label(ax, x, top + 0.55, name, size=10, family="monospace")
        _label(ax, x, top + 0.27, f"${symbol}h}}$: {shape}", size=10)
        _weight_blocks(ax, x - width * s / 2, top, width, hidden_size, s, symbol)
    for k, (key, letter, name) in enumerate(_TORCH_ORDER):
        y = top - (k + 0.5) * hidden_size * s
        _label(ax, 2.35, y, f"{letter}: {name}, rows [{k * hidden_size}:{(k + 1) * hidden_size}]",
               size=10, color=COLORS[key], ha="right")
    _label(ax, 3.3, 0.95 - 0.05, f"input_size = {input_size}", size=9, va="top")
    _label(ax, 5.0, 0.95 - 0.05, f"hidden_size = {hidden_size}", size=9, va="top")
    _label(ax, 4.4, 0.45, r"$z = x\,W_{ih}^\top + b_{ih} + h\,W_{hh}^\top + b_{hh}$, shape $(B, 4H)$;"
           r" z.chunk(4, dim=1) gives $i, f, g, o$", size=10)
    _caption(fig, f"PyTorch stacks the four gates by rows in the order i, f, g, o: with H = {hidden_size}, "
                  f"gate k owns rows kH to (k+1)H of every tensor.")
    return fig


def _weight_blocks(ax: Axes, x0: float, top: float, width: int, hidden: int, s: float, symbol: str) -> None:
    """``4 * hidden`` rows of ``width`` cells, coloured by gate, with the block's name inside."""
    for k, (key, letter, _) in enumerate(_TORCH_ORDER):
        for r in range(hidden):
            for c in range(width):
                y = top - (k * hidden + r + 1) * s
                cell = Rectangle((x0 + c * s, y), s, s, facecolor=COLORS[key], edgecolor="white", lw=1)
                cell.set_gid(key)
                ax.add_patch(cell)
        if hidden * s >= 0.28:
            ax.text(x0 + width * s / 2, top - (k + 0.5) * hidden * s, f"${symbol}{letter}}}$", fontsize=10,
                    color="white", ha="center", va="center", zorder=4,
                    bbox={"facecolor": COLORS[key], "edgecolor": "none", "pad": 1.5})


# ---------------------------------------------------------------------------------------------
# Chapter 6: backward paths
# ---------------------------------------------------------------------------------------------


def draw_backward_paths() -> Figure:
    """Chapter 6: the gradient's paths backward through three steps: along the cell state, one
    factor $f_k$ per step ($\\delta c_{k-1} = \\delta c \\odot f_k$), and through $h$, where every
    step passes $W_{hh}$ and the gates' derivatives (and $o_k \\odot \\tanh'(c_k)$ leads back to $c$)."""
    fig, ax = _canvas(9.0, 4.25)
    c_y, h_y, red = 2.85, 1.5, COLORS["gradient"]
    centres, half = (2.45, 4.75, 7.05), 1.1
    for cx, step in zip(centres, ("t-1", "t", "t+1"), strict=True):
        _box(ax, cx, 2.25, 2 * half - 0.06, 2.45, "", face="#fafafa", edge="#cccccc", zorder=0)
        _label(ax, cx + 0.55, 3.3, f"step ${step}$", size=SMALL, color="#555555")
    _label(ax, 0.65, c_y, "cell $c$", color=COLORS["cell"])
    _label(ax, 0.65, h_y, "hidden $h$", color=COLORS["hidden"])
    _label(ax, 8.6, c_y + 0.3, r"$\partial L/\partial c$", size=SMALL, color=red)
    _label(ax, 8.6, h_y + 0.3, r"$\partial L/\partial h$", size=SMALL, color=red)
    _arrow(ax, [(8.9, c_y), (1.2, c_y)], color=red, lw=2.2, dashed=True)
    _arrow(ax, [(8.9, h_y), (1.2, h_y)], color=red, lw=1.4, dashed=True)
    for k, cx in zip(("t-1", "t", "t+1"), centres, strict=True):
        _backward_step(ax, cx, c_y, h_y, k, labelled=k == "t")
    _label(ax, 4.75, 3.9, r"cell path: $\partial c_T/\partial c_t = \prod_k \mathrm{diag}(f_k)$, "
           "no weight matrix", color=red, size=10)
    _label(ax, 4.75, 0.68, r"paths through $h$: $W_{hh}$ and $\sigma^\prime, \tanh^\prime$ at every step",
           color=red, size=10)
    _caption(fig, r"Backward, the cell path multiplies by $f_k$ only; paths through $h$ leave and rejoin it, "
                  r"passing $W_{hh}$ at every step.")
    return fig


def _backward_step(ax: Axes, cx: float, c_y: float, h_y: float, k: str, *, labelled: bool) -> None:
    """One step backward: times f_k on the cell path, h -> c via o tanh'(c), c -> h via the gates."""
    red = COLORS["gradient"]
    _node(ax, cx - 0.45, c_y, r"$\odot$", color=COLORS["forget"], r=0.16)
    _label(ax, cx - 0.45, c_y + 0.33, f"$f_{{{k}}}$", color=COLORS["forget"], size=10)
    _arrow(ax, [(cx + 0.7, h_y), (cx + 0.7, c_y - 0.02)], color=red, lw=1.2, dashed=True)
    _arrow(ax, [(cx + 0.15, c_y), (cx - 1.0, h_y + 0.02)], color=red, lw=1.2, dashed=True)
    if labelled:
        text = f"$o_{{{k}}} \\odot$\n$\\tanh^\\prime(c_{{{k}}})$"
        _label(ax, cx + 0.62, 2.35, text, size=9, color=red, ha="right")
        _label(ax, cx - 0.3, 1.85, "gates, $W_{hh}$", size=9, color=red, ha="left")
        _label(ax, cx, h_y - 0.2, "$W_{hh}$", size=9, color=red)


# ---------------------------------------------------------------------------------------------
# Chapters 7-8: stacked and bidirectional
# ---------------------------------------------------------------------------------------------


def draw_stacked_bidirectional() -> Figure:
    """Chapters 7-8: ``nn.LSTM(num_layers=2, bidirectional=True)`` over $T = 3$ steps, and the row
    of ``h_n`` (shape ``(4, B, H)``) where each direction's final state lands."""
    fig, ax = _canvas(9.0, 4.7)
    xs = (3.3, 4.6, 5.9)
    for layer, (y_fwd, y_bwd) in enumerate(((1.3, 1.85), (2.75, 3.3))):
        _box(ax, 4.6, (y_fwd + y_bwd) / 2, 4.2, y_bwd - y_fwd + 0.6, face="#f4f8fb", edge="#cccccc", zorder=0)
        _label(ax, 2.4, y_fwd, f"layer {layer + 1}\n_l{layer} weights", size=9, color=NOTE, ha="right")
        _direction_row(ax, xs, y_fwd, layer, forward=True)
        _direction_row(ax, xs, y_bwd, layer, forward=False)
    for t, x in enumerate(xs, start=1):
        _label(ax, x, 0.45, f"$x_{t}$")
        _arrow(ax, [(x, 0.62), (x, 1.0)], color=COLORS["data"])
        _arrow(ax, [(x, 2.15), (x, 2.45)], color=COLORS["hidden"])
    _label(ax, 2.45, 2.3, r"$[\overrightarrow{h}_t;\overleftarrow{h}_t]$", size=10, ha="right")
    _final_states(ax, xs)
    _caption(fig, "Forward rows end at the last step, backward rows at the first; h_n[-2] and h_n[-1] are "
                  "the last layer's two directions.")
    return fig


def _direction_row(ax: Axes, xs: Sequence[float], y: float, layer: int, *, forward: bool) -> None:
    """One direction of one layer: three LSTM steps and the recurrent arrows between them."""
    arrow = r"\overrightarrow" if forward else r"\overleftarrow"
    for t, x in enumerate(xs, start=1):
        text = f"${arrow}{{h}}^{{({layer + 1})}}_{t}$"
        _box(ax, x, y, 0.8, 0.42, text, edge=COLORS["lstm"], size=11)
    for left, right in zip(xs[:-1], xs[1:], strict=True):
        start, end = (left + 0.4, right - 0.4) if forward else (right - 0.4, left + 0.4)
        _arrow(ax, [(start, y), (end, y)], color=COLORS["lstm"])


def _final_states(ax: Axes, xs: Sequence[float]) -> None:
    """Arrows from each direction's last box to its row of h_n, and the classifier's concatenation."""
    hid = COLORS["hidden"]
    mono: dict[str, Any] = {"family": "monospace", "size": 10}
    _arrow(ax, [(xs[-1] + 0.4, 1.3), (7.05, 1.3)], color=hid, lw=2)
    _label(ax, 7.12, 1.3, "h_n[0]", ha="left", **mono)
    _arrow(ax, [(xs[0] - 0.4, 1.85), (2.1, 1.85)], color=hid, lw=2)
    _label(ax, 2.03, 1.85, "h_n[1]", ha="right", **mono)
    _arrow(ax, [(xs[-1] + 0.4, 2.75), (7.3, 2.75), (7.3, 4.2), (6.55, 4.2)], color=hid, lw=2)
    _label(ax, 7.4, 2.75, "h_n[2] = h_n[-2]", ha="left", **mono)
    _arrow(ax, [(xs[0] - 0.4, 3.3), (1.9, 3.3), (1.9, 4.2), (2.65, 4.2)], color=hid, lw=2)
    _label(ax, 1.8, 3.3, "h_n[3] = h_n[-1]", ha="right", **mono)
    _box(ax, 4.6, 4.2, 3.9, 0.42, "torch.cat([h_n[-2], h_n[-1]], dim=1): (B, 2H)", size=10)


# ---------------------------------------------------------------------------------------------
# Chapter 9: variable lengths
# ---------------------------------------------------------------------------------------------

_REAL = "#deebf7"  # real tokens (a light tint of the cell-state blue)
_UNK = "#fde0dd"  # <unk> ids
_PAD_TEXT = "<pad>"


class _PackedLayout(NamedTuple):
    """Where each token of a padded batch goes in a ``PackedSequence`` (sorted by length)."""

    batch_sizes: list[int]  # batch_sizes[t]: sequences still running at step t
    order: list[tuple[int, int]]  # (sequence, step) of data[0], data[1], ...


def _packed_layout(lengths: Sequence[int]) -> _PackedLayout:
    """``pack_padded_sequence``'s layout for decreasing ``lengths``: step by step, longest first."""
    if not lengths or any(n < 1 for n in lengths) or list(lengths) != sorted(lengths, reverse=True):
        raise ValueError(f"expected positive lengths in decreasing order like [4, 3, 1], got {list(lengths)}")
    batch_sizes = [sum(n > t for n in lengths) for t in range(lengths[0])]
    order = [(b, t) for t, size in enumerate(batch_sizes) for b in range(size)]
    return _PackedLayout(batch_sizes, order)


def _reverse_within_length(row: Sequence[str], length: int) -> list[str]:
    """Reverse the first ``length`` items of ``row``; the padding after them stays in place."""
    if not 1 <= length <= len(row):
        raise ValueError(f"expected 1 <= length <= {len(row)}, got {length}")
    return [*row[:length][::-1], *row[length:]]


def _padded(rows: Sequence[Sequence[str]]) -> tuple[list[list[str]], list[list[str]]]:
    """Right-pad token rows with ``<pad>``; returns (cells, fills)."""
    width = max(len(r) for r in rows)
    cells = [[*r, *[_PAD_TEXT] * (width - len(r))] for r in rows]
    return cells, _fills(cells)


def _fills(grid: Sequence[Sequence[str]]) -> list[list[str]]:
    """Cell colours: grey for ``<pad>``, light blue for real tokens."""
    return [[COLORS["pad"] if text == _PAD_TEXT else _REAL for text in row] for row in grid]


def draw_padding_and_masking() -> Figure:
    """Chapter 9: a right-padded batch (B, T) = (3, 5) with ``lengths = [5, 3, 2]`` and its mask
    ``arange(T) < lengths[:, None]``; each row's own last token against the batch's last step."""
    fig, ax = _canvas(8.8, 3.2)
    rows = [["the", "film", "was", "not", "bad"], ["loved", "it", "!"], ["too", "long"]]
    cells, fills = _padded(rows)
    w, h, x0, top = 0.62, 0.42, 0.9, 2.45
    _label(ax, x0 + 2.5 * w, top + 0.3, "padded batch (B, T) = (3, 5)")
    _cells(ax, x0, top, cells, w=w, h=h, fills=fills)
    for r, row in enumerate(rows):
        ax.add_patch(Rectangle((x0 + (len(row) - 1) * w, top - (r + 1) * h), w, h, fill=False,
                               edgecolor=COLORS["hidden"], lw=3, zorder=4))
        _label(ax, x0 + 5 * w + 0.45, top - (r + 0.5) * h, str(len(row)))
    _label(ax, x0 + 5 * w + 0.45, top + 0.3, "lengths")
    notes = ("thick border: each row's own last token, output[b, lengths[b] - 1]",
             "dashed: the last time step, output[:, -1], padding for 2 of the 3 rows")
    for i, note in enumerate(notes):
        _label(ax, x0 - 0.15, top - 3 * h - 0.3 - 0.28 * i, note, size=9, ha="left", color=NOTE)
    ax.add_patch(Rectangle((x0 + 4 * w - 0.05, top - 3 * h - 0.05), w + 0.1, 3 * h + 0.1, fill=False,
                           edgecolor=TEXT, lw=1.3, linestyle=(0, (3, 2)), zorder=4))
    mask = [["1" if text != _PAD_TEXT else "0" for text in row] for row in cells]
    _cells(ax, 5.6, top, mask, w=0.45, h=h, fills=fills)
    mid = 5.6 + 2.5 * 0.45
    _label(ax, mid, top + 0.3, "mask = arange(T) < lengths[:, None]", size=9.5, family="monospace")
    _label(ax, mid, top - 3 * h - 0.3, "1 = True (real token), 0 = False", size=9, color=NOTE)
    _caption(fig, "Padding fills every row up to the longest; the mask marks the real tokens, so means "
                  "and final states can skip the padding.")
    return fig


def draw_packing() -> Figure:
    """Chapter 9: ``pack_padded_sequence`` for lengths [4, 3, 1]: the padded batch's columns become
    ``batch_sizes = [3, 2, 2, 1]`` and ``data`` holds the tokens time step by time step."""
    lengths = [4, 3, 1]
    layout = _packed_layout(lengths)
    names = "abc"
    rows = [[f"${names[b]}_{t + 1}$" for t in range(n)] for b, n in enumerate(lengths)]
    cells, fills = _padded(rows)
    s, x0, top = 0.58, 1.35, 2.75
    fig, ax = _canvas(8.8, 3.35)
    _label(ax, x0 + 2 * s, top + 0.45, "padded batch, lengths [4, 3, 1]")
    for t in range(lengths[0]):
        _label(ax, x0 + (t + 0.5) * s, top + 0.15, f"t={t}", size=9)
    _cells(ax, x0, top, cells, w=s, h=s, fills=fills, font=10)
    for b, n in enumerate(lengths):
        _label(ax, x0 - 0.12, top - (b + 0.5) * s, f"{names[b]}: {n}", size=10, ha="right")
    _label(ax, x0 - 0.12, top - 3 * s - 0.28, "batch_sizes", size=9.5, ha="right", family="monospace")
    for t, size in enumerate(layout.batch_sizes):
        _label(ax, x0 + (t + 0.5) * s, top - 3 * s - 0.28, str(size), size=11, weight="bold")
    _packed_strip(ax, layout, names, x0=4.0, y=2.0, s=0.5)
    _caption(fig, "Packing reads the padded batch column by column and keeps only running sequences: "
                  "no padding is stored.")
    return fig


def _packed_strip(ax: Axes, layout: _PackedLayout, names: str, *, x0: float, y: float, s: float) -> None:
    """``PackedSequence.data`` as one strip, grouped by time step, with its indices."""
    _label(ax, x0 + len(layout.order) * s / 2, y + 1.2, "PackedSequence.data: the tokens in this order")
    cells = [[f"${names[b]}_{t + 1}$" for b, t in layout.order]]
    _cells(ax, x0, y + s / 2, cells, w=s, h=s, fills=[[_REAL] * len(layout.order)], font=10)
    for i in range(len(layout.order)):
        _label(ax, x0 + (i + 0.5) * s, y - s / 2 - 0.18, str(i), size=9, color="#555555")
    start = 0
    for t, size in enumerate(layout.batch_sizes):
        left, right = x0 + start * s + 0.04, x0 + (start + size) * s - 0.04
        _line(ax, [(left, y + s / 2 + 0.12), (left, y + s / 2 + 0.2), (right, y + s / 2 + 0.2),
                   (right, y + s / 2 + 0.12)], lw=1.2)
        _label(ax, (left + right) / 2, y + s / 2 + 0.42, f"t={t}: {size}", size=9.5)
        start += size
    sizes = ", ".join(map(str, layout.batch_sizes))
    _label(ax, x0 + len(layout.order) * s / 2, y - s / 2 - 0.6, f"batch_sizes = [{sizes}]", size=10,
           family="monospace")


def draw_reverse_within_length() -> Figure:
    """Chapter 9: each padded row reversed within its own length (what the backward direction of a
    packed BiLSTM reads), next to flipping the whole row, which puts the padding first."""
    lengths = [5, 3, 2]
    rows = [[f"${name}_{t + 1}$" for t in range(n)] for name, n in zip("abc", lengths, strict=True)]
    cells, fills = _padded(rows)
    within = [_reverse_within_length(row, n) for row, n in zip(cells, lengths, strict=True)]
    flipped = [row[::-1] for row in cells]
    fig, ax = _canvas(9.0, 2.95)
    s, top = 0.5, 2.2
    panels = ((0.2, cells, "padded, lengths [5, 3, 2]"),
              (3.25, within, "reversed within each length"),
              (6.3, flipped, "instead, whole row flipped"))
    for x0, grid, title in panels:
        _label(ax, x0 + 2.5 * s, top + 0.3, title)
        _cells(ax, x0, top, grid, w=s, h=s, fills=_fills(grid), font=8)
    _arrow(ax, [(2.78, top - 1.5 * s), (3.17, top - 1.5 * s)])
    _line(ax, [(6.0, 0.45), (6.0, top + 0.45)], color="#bbbbbb", lw=1)
    _label(ax, 4.5, top - 3 * s - 0.25, "padding stays on the right: correct", size=9.5, color=NOTE)
    _label(ax, 7.55, top - 3 * s - 0.25, "padding read first: wrong", size=9.5, color=NOTE)
    _caption(fig, "Reversing each row within its length keeps the padding on the right, so the backward "
                  "direction starts at the real last token.")
    return fig


def draw_bucketing() -> Figure:
    """Chapter 9: twelve sequences in batches of 4, random against sorted by length; each batch is
    padded to its longest sequence, and the share of padded slots is computed from the lengths."""
    lengths = [3, 11, 5, 7, 2, 9, 4, 12, 6, 3, 10, 5]
    random_batches = [lengths[i : i + 4] for i in range(0, 12, 4)]
    ordered = sorted(lengths)
    sorted_batches = [ordered[i : i + 4] for i in range(0, 12, 4)]
    fig, ax = _canvas(8.8, 3.85)
    panels = ((0.55, random_batches, "random order"), (4.85, sorted_batches, "sorted by length"))
    for x0, batches, title in panels:
        share = _batch_bars(ax, x0, 2.95, batches)
        _label(ax, x0 + 1.8, 3.2, f"{title}: {share:.0%} of the slots are padding", size=10.5)
    ax.add_patch(Rectangle((2.7, 3.5), 0.3, 0.14, facecolor=COLORS["cell"]))
    _label(ax, 3.08, 3.57, "real steps", size=9.5, ha="left")
    ax.add_patch(Rectangle((4.6, 3.5), 0.3, 0.14, facecolor=COLORS["pad"]))
    _label(ax, 4.98, 3.57, "padding up to the batch's longest", size=9.5, ha="left")
    _caption(fig, "Sorting by length before cutting batches gives each batch similar lengths, "
                  "so far fewer padding steps are computed.")
    return fig


def _batch_bars(ax: Axes, x0: float, top: float, batches: Sequence[Sequence[int]]) -> float:
    """Draw each sequence as a bar of real steps plus padding up to its batch's longest; return
    the padded share of all slots."""
    unit, bar, y = 0.24, 0.16, top
    real = slots = 0
    for b, batch in enumerate(batches):
        longest = max(batch)
        for n in batch:
            y -= bar + 0.03
            ax.add_patch(Rectangle((x0, y), n * unit, bar, facecolor=COLORS["cell"], edgecolor="none"))
            ax.add_patch(Rectangle((x0 + n * unit, y), (longest - n) * unit, bar, facecolor=COLORS["pad"],
                                   edgecolor="none"))
        _label(ax, x0 - 0.08, y + 2 * (bar + 0.03), f"batch\n{b + 1}", size=8.5, color="#555555", ha="right")
        y -= 0.14
        real, slots = real + sum(batch), slots + longest * len(batch)
    return 1 - real / slots


# ---------------------------------------------------------------------------------------------
# Chapter 10: text to tensors
# ---------------------------------------------------------------------------------------------


def draw_text_pipeline() -> Figure:
    """Chapter 10: two texts through ``word_tokenize``, a ``Vocab`` (``<pad>`` = 0, ``<unk>`` = 1)
    and padding into one (B, T) = (2, 4) batch; every token and id is computed by ``utils.text``."""
    from utils.text import PAD, UNK, Vocab, pad_truncate, word_tokenize

    vocab = Vocab([PAD, UNK, "the", ".", "it", "!", "plot", "loved", "was", "good"])
    texts = ["Loved it!", "The plot dragged."]
    tokens = [word_tokenize(text) for text in texts]
    ids = [vocab.encode(t) for t in tokens]
    width = max(len(i) for i in ids)
    batch = [pad_truncate(i, width, pad_id=vocab.pad_id) for i in ids]
    fig, ax = _canvas(8.8, 4.55)
    xs, rows = (3.4, 6.6), {"text": 3.6, "tokens": 2.9, "ids": 2.2}
    listing = "  ".join(f"{token}:{i}" for i, token in enumerate(vocab.itos))
    _label(ax, 4.4, 4.25, f"vocabulary: {listing}", size=9.5, family="monospace")
    for name, y in (("text", 3.6), ("tokens\nword_tokenize", 2.9), ("ids\nvocab.encode", 2.2),
                    ("padded batch\n(B, T) = (2, 4)", 1.15)):
        _label(ax, 1.25, y, name, size=10, ha="right", color=NOTE)
    for x, text, toks, row in zip(xs, texts, tokens, ids, strict=True):
        _label(ax, x, rows["text"], f'"{text}"', size=11)
        _chips(ax, x, rows["tokens"], toks, lambda t: "white")
        _chips(ax, x, rows["ids"], [str(i) for i in row], lambda t: _UNK if t == str(vocab.unk_id) else _REAL)
        for y0, y1 in ((3.42, 3.1), (2.7, 2.4)):
            _arrow(ax, [(x, y0), (x, y1)], lw=1.2)
        _arrow(ax, [(x, 2.0), (5.0 + (x - 5.0) * 0.2, 1.65)], lw=1.2)
    grid = [[str(v) for v in r] for r in batch]
    colour = {vocab.unk_id: _UNK, vocab.pad_id: COLORS["pad"]}
    fills = [[colour.get(v, _REAL) for v in r] for r in batch]
    _cells(ax, 5.0 - width * 0.45 / 2, 1.6, grid, w=0.45, h=0.45, fills=fills, font=10)
    lengths = ", ".join(str(len(r)) for r in ids)
    _label(ax, 6.2, 1.15, f"lengths = [{lengths}]", size=10, ha="left", family="monospace")
    _label(ax, 3.75, 1.15, "0 = <pad>\n1 = <unk> (dragged)", size=9.5, ha="right", color=NOTE)
    _caption(fig, "Words the vocabulary lacks become <unk> = 1; the batch is padded with <pad> = 0 "
                  "and keeps its lengths.")
    return fig


def _chips(ax: Axes, x: float, y: float, items: Sequence[str], face: Callable[[str], str]) -> None:
    """A centred row of small boxes, one per item, sized to the item's text."""
    widths = [0.22 + 0.1 * len(item) for item in items]
    left = x - (sum(widths) + 0.08 * (len(items) - 1)) / 2
    for item, w in zip(items, widths, strict=True):
        _box(ax, left + w / 2, y, w, 0.34, item, face=face(item), size=10)
        left += w + 0.08


# ---------------------------------------------------------------------------------------------
# Chapter 12: the classifier
# ---------------------------------------------------------------------------------------------


# How each variable-length strategy of utils.models (chapter 9) appears in chapter 12's diagram:
# the box between the embedding and the BiLSTM, and the label of the arrow into the BiLSTM.
STRATEGY_LABELS = {
    "exact": ("reverse within\nlengths", "exact"),
    "packed": ("pack(lengths)", "packed"),
    "padded": ("pad to T", "padded"),
}


def draw_classifier(*, vocab_size: int = 10_002, embed_dim: int = 100, hidden_size: int = 256,
                    strategy: str = "exact") -> Figure:
    """Chapter 12: ids (B, T) -> Embedding (GloVe) (B, T, E) -> 2-layer BiLSTM -> h_n (4, B, H) ->
    cat(h_n[-2], h_n[-1]) (B, 2H) -> Dropout(0.5) -> Linear(2H, 1) -> logit (B,).

    ``strategy`` is the model's way of reading padded batches (``utils.models.STRATEGIES``); the
    diagram names the one the chapter uses.
    """
    if hasattr(vocab_size, "__len__"):
        raise TypeError(f"expected vocab_size to be a number, got a {type(vocab_size).__name__}: len(vocab)")
    sizes = {"vocab_size": vocab_size, "embed_dim": embed_dim, "hidden_size": hidden_size}
    vocab_size, embed_dim, hidden_size = (check_int(value, name, minimum=1) for name, value in sizes.items())
    if not isinstance(strategy, str) or strategy not in STRATEGY_LABELS:
        raise ValueError(f"expected strategy to be one of {', '.join(map(repr, STRATEGY_LABELS))}, "
                         f"got {strategy!r} (the same names as utils.models.STRATEGIES)")
    step, arrow = STRATEGY_LABELS[strategy]
    fig, ax = _canvas(8.9, 3.3)
    top, bottom, lstm = 2.45, 1.05, COLORS["lstm"]
    blocks_top = ((1.75, 2.1, f"Embedding({vocab_size:,}, {embed_dim})\nGloVe, padding_idx=0", "white"),
                  (4.75, 1.4, step, "white"),
                  (7.35, 2.2, f"BiLSTM, 2 layers\nH = {hidden_size} per direction", "#deebf7"))
    for x, w, text, face in blocks_top:
        _box(ax, x, top, w, 0.7, text, face=face, edge=lstm if face != "white" else EDGE, size=10)
    blocks_bottom = ((1.75, 2.1, "cat(h_n[-2], h_n[-1])"), (4.15, 1.3, "Dropout(0.5)"),
                     (6.3, 1.6, f"Linear({2 * hidden_size}, 1)"))
    for x, w, text in blocks_bottom:
        _box(ax, x, bottom, w, 0.55, text, size=10)
    _label(ax, 0.1, top + 0.75, "token ids (B, T)", size=10, ha="left")
    _arrow(ax, [(0.55, top + 0.6), (0.55, top), (0.7, top)])
    shapes_top = ((2.8, 4.05, f"(B, T, {embed_dim})"), (5.45, 6.25, arrow))
    for x0, x1, text in shapes_top:
        _arrow(ax, [(x0, top), (x1, top)])
        _label(ax, (x0 + x1) / 2, top + 0.2, text, size=9.5, color=NOTE)
    _arrow(ax, [(7.35, top - 0.35), (7.35, 1.75), (0.35, 1.75), (0.35, bottom), (0.7, bottom)],
           color=COLORS["hidden"], lw=2)
    _label(ax, 4.0, 1.9, f"h_n: (4, B, {hidden_size}), the last layer's two directions are rows -2 and -1",
           size=9.5, color=NOTE)
    for x0, x1, text in ((2.8, 3.5, f"(B, {2 * hidden_size})"), (4.8, 5.5, ""), (7.1, 7.7, "")):
        _arrow(ax, [(x0, bottom), (x1, bottom)])
        _label(ax, (x0 + x1) / 2, bottom + 0.2, text, size=9.5, color=NOTE)
    _label(ax, 7.8, bottom, "logit (B,)", size=10.5, ha="left")
    _caption(fig, f"Each text becomes one logit: the last layer's two final states, {hidden_size} numbers "
                  f"each, are concatenated into {2 * hidden_size}.")
    return fig
