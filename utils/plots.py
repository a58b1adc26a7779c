"""One matplotlib style for every figure in the book (all chapters).

Call :func:`use_style` once in a notebook's preamble. Colours for the LSTM's parts
are fixed here so a forget gate is the same colour in every chapter.
"""

from __future__ import annotations

from typing import Any

import matplotlib.style
from matplotlib.axes import Axes

from utils.checks import check_bool

COLORS: dict[str, str] = {
    "input": "#1b9e77",  # i
    "forget": "#d95f02",  # f
    "candidate": "#7570b3",  # g, c~
    "output": "#e7298a",  # o
    "long": "#1f78b4",  # cell state c (long-term memory)
    "short": "#e6ab02",  # hidden state h (short-term memory)
    "rnn": "#666666",
    "lstm": "#1f78b4",
    # Aliases and extra parts used by utils.diagrams (chapter 1 on).
    "cell": "#1f78b4",  # c_t, same as "long"
    "hidden": "#e6ab02",  # h_t, same as "short"
    "data": "#4d4d4d",  # inputs x_t, tokens, ids
    "gradient": "#b2182b",  # backward paths (dashed in diagrams)
    "pad": "#d9d9d9",  # padding positions
}

# Font sizes in points. The site shows a 7-inch figure 390 px wide on a phone, so 1 pt there is
# about 0.77 px: 11 pt tick labels stay about 8.5 px tall. Backgrounds are an explicit white, which
# the site's dark mode (it inverts figures) expects.
_STYLE: dict[str, Any] = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "font.size": 12,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "figure.titlesize": 13,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's matplotlib style (call once per notebook)."""
    matplotlib.style.use(_STYLE)


def label(ax: Axes, *, title: str, xlabel: str, ylabel: str, legend: bool = False) -> Axes:
    """Set a title that states the finding, axis labels and, optionally, a legend."""
    if not hasattr(ax, "set_xlabel"):
        raise TypeError(f"expected one Axes, got {type(ax).__name__}: fig, ax = plt.subplots() "
                        "(with several, "
                        "label each: label(axes[0], ...))")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if check_bool(legend, "legend"):
        ax.legend()
    return ax
