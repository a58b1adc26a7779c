"""The book's plot style keeps a figure's text readable on a phone, paints white backgrounds (what
the site's dark mode, which inverts figures, expects), and leaves the diagrams' text apart and
inside their figures."""

import io
import itertools
from collections.abc import Iterator

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

import utils.diagrams as diagrams
from utils.plots import COLORS, label, use_style

PHONE_WIDTH_PX = 390  # a phone's CSS width; the site scales a figure down to it
MIN_TEXT_PX = 8  # the smallest text height that stays legible there


@pytest.fixture
def styled() -> Iterator[None]:
    """Apply the book's style with the Agg backend, restoring every setting afterwards."""
    backend = matplotlib.get_backend()
    with matplotlib.rc_context():
        plt.switch_backend("Agg")
        # use_style must not rely on matplotlib's defaults: start from dark, transparent settings
        matplotlib.style.use("dark_background")
        matplotlib.rcParams.update({"savefig.facecolor": "black", "savefig.transparent": True})
        use_style()
        yield
        plt.close("all")
    plt.switch_backend(backend)


def labelled_figure() -> Figure:
    """A figure as a chapter draws one: the style's size, a title, axis labels, ticks, a legend."""
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1, 0, 1], label="forget gate", color=COLORS["forget"])
    label(ax, title="The gate closes, then opens", xlabel="time step t", ylabel="f_t", legend=True)
    fig.canvas.draw()
    return fig


def visible_texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def test_every_text_is_legible_at_phone_width(styled):
    fig = labelled_figure()
    px_per_point = PHONE_WIDTH_PX / (fig.get_figwidth() * 72)
    sizes = {t.get_text(): t.get_fontsize() * px_per_point for t in visible_texts(fig)}
    assert {"The gate closes, then opens", "time step t", "f_t", "forget gate"} <= set(sizes)
    small = {text: round(px, 1) for text, px in sizes.items() if px < MIN_TEXT_PX}
    assert not small, f"text under {MIN_TEXT_PX} px on a {PHONE_WIDTH_PX} px wide screen: {small}"


def test_title_stands_above_labels_and_labels_above_ticks(styled):
    fig = labelled_figure()
    ax = fig.axes[0]
    tick = ax.get_xticklabels()[0].get_fontsize()
    assert ax.title.get_fontsize() > ax.xaxis.label.get_fontsize() >= tick
    assert ax.yaxis.label.get_fontsize() == ax.xaxis.label.get_fontsize()


def test_figure_and_axes_are_white_and_saved_opaque(styled):
    fig = labelled_figure()
    assert matplotlib.colors.to_rgba(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)
    assert matplotlib.colors.to_rgba(fig.axes[0].get_facecolor()) == (1.0, 1.0, 1.0, 1.0)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    pixels = plt.imread(buffer)  # (H, W, 4), floats in [0, 1]
    corners = pixels[[0, 0, -1, -1], [0, -1, 0, -1]]
    np.testing.assert_array_equal(corners, np.ones_like(corners))


@pytest.mark.parametrize("name", sorted(n for n in dir(diagrams) if n.startswith("draw_")))
def test_diagrams_keep_text_apart_and_inside_under_the_style(styled, name):
    fig = getattr(diagrams, name)()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer).shrunk(0.97, 0.9)) for t in visible_texts(fig)]
    for text, box in boxes:
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, (name, text, "leaves the figure")
        assert fig.bbox.y0 <= box.y0 and box.y1 <= fig.bbox.y1, (name, text, "leaves the figure")
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), (name, a, b)


def test_label_sets_the_text_and_adds_a_legend_only_when_asked(styled: None) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="h_t")
    assert label(ax, title="T", xlabel="x", ylabel="y") is ax
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("T", "x", "y")
    assert ax.get_legend() is None  # no legend unless legend=True
    label(ax, title="T", xlabel="x", ylabel="y", legend=True)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["h_t"]


def test_label_refuses_what_is_not_one_axes(styled: None) -> None:
    fig, axes = plt.subplots(1, 2)
    message = ("expected one Axes, got ndarray: fig, ax = plt.subplots() (with several, "
               "label each: label(axes[0], ...))")
    with pytest.raises(TypeError) as error:
        label(axes, title="T", xlabel="x", ylabel="y")
    assert str(error.value) == message
    with pytest.raises(TypeError, match=r"^expected legend to be True or False, got str: 'no'$"):
        label(axes[0], title="T", xlabel="x", ylabel="y", legend="no")
