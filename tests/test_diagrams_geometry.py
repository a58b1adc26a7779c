"""Every diagram of utils.diagrams is drawn exactly as reviewed: each text (words, place, size,
colour, alignment), each box, node, arrow and line (outline in the axes' inch coordinates,
fill, edge, width, dash pattern, layer) and the canvas size match the reference in
tests/data/diagrams_geometry.json.

The chapters' figures were read and checked by eye (text apart and inside the figure, gate
colours, arrows meeting their boxes); tests/test_diagrams.py checks those properties in general.
This file pins the reviewed result, so a change to a drawing (a moved box, a recoloured gate,
a dropped arrow head) is seen and looked at before the reference is updated:

    .venv/bin/python tests/test_diagrams_geometry.py --update

The description uses the drawing's own coordinates, not pixels or fonts, so it is the same on
every machine; numbers are compared to 1e-3 inch (a mutation moves things by far more).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import findfont  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Patch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import utils.diagrams as diagrams  # noqa: E402
from utils.plots import use_style  # noqa: E402

REFERENCE = Path(__file__).parent / "data" / "diagrams_geometry.json"
TOLERANCE = 1e-3  # inches (the diagrams' axes are in inches) or, for sizes, points
DIAGRAMS = sorted(name for name in dir(diagrams) if name.startswith("draw_"))
# Each diagram as its chapter draws it (the defaults, except where a chapter passes arguments),
# and the drawings that take sizes at the ends of what they accept.
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {name: (name, {}) for name in DIAGRAMS} | {
    "draw_classifier (chapter 12)": ("draw_classifier", {"embed_dim": 50, "strategy": "exact"}),
    "draw_classifier (packed, small)": (
        "draw_classifier", {"vocab_size": 7, "embed_dim": 3, "hidden_size": 1, "strategy": "packed"}),
    "draw_classifier (padded)": ("draw_classifier", {"strategy": "padded"}),
    "draw_fused_weights (1, 4)": ("draw_fused_weights", {"input_size": 1, "hidden_size": 4}),
    "draw_fused_weights (6, 1)": ("draw_fused_weights", {"input_size": 6, "hidden_size": 1}),
    "draw_fused_weights (2, 3)": ("draw_fused_weights", {"input_size": 2, "hidden_size": 3}),
}


def _numbers(values: Any) -> Any:
    """Nested lists of floats rounded to 4 decimals (JSON-friendly, well inside the tolerance)."""
    if isinstance(values, list | tuple):
        return [_numbers(v) for v in values]
    if hasattr(values, "tolist"):
        return _numbers(values.tolist())
    if isinstance(values, float):
        return round(values, 4) + 0.0  # + 0.0: no "-0.0"
    return values


def _dashes(artist: Any) -> Any:
    """The dash pattern as set (offset, on-off lengths in points), or None for a solid line."""
    offset, pattern = artist._unscaled_dash_pattern
    return None if pattern is None else _numbers([offset, list(pattern)])


def _text(text: Text) -> dict[str, Any]:
    box = text.get_bbox_patch()
    return {
        "kind": "text", "text": text.get_text(), "xy": _numbers(text.get_position()),
        "size": text.get_fontsize(), "color": to_hex(text.get_color(), keep_alpha=True),
        # the font file a reader's renderer uses (a family name matplotlib does not know falls back)
        "font": Path(findfont(text.get_fontproperties(), fallback_to_default=True)).name,
        "ha": text.get_horizontalalignment(), "va": text.get_verticalalignment(),
        "weight": str(text.get_fontweight()), "style": text.get_fontstyle(),
        "rotation": text.get_rotation(), "zorder": text.get_zorder(), "gid": text.get_gid(),
        "box": None if box is None else [to_hex(box.get_facecolor(), keep_alpha=True),
                                          to_hex(box.get_edgecolor(), keep_alpha=True),
                                          _numbers(box.get_boxstyle().pad), box.get_linewidth()],
    }


def _patch(patch: Patch, ax: Axes) -> dict[str, Any]:
    # The outline as drawn (rounded corners, arrow heads, shrinking included), in data units.
    outline = patch.get_transform().transform(patch.get_path().vertices)
    described = {
        "kind": type(patch).__name__, "outline": _numbers(ax.transData.inverted().transform(outline)),
        "face": to_hex(patch.get_facecolor(), keep_alpha=True),
        "edge": to_hex(patch.get_edgecolor(), keep_alpha=True),
        "lw": patch.get_linewidth(), "dashes": _dashes(patch), "zorder": patch.get_zorder(),
        "gid": patch.get_gid(), "fill": patch.get_fill(), "hatch": patch.get_hatch(),
    }
    if isinstance(patch, FancyArrowPatch):
        style = patch.get_arrowstyle()
        described["arrow"] = [type(style).__name__, style.head_length, style.head_width]
    return described


def _line(line: Line2D) -> dict[str, Any]:
    return {
        "kind": "line", "xy": _numbers(line.get_xydata()), "color": to_hex(line.get_color(), keep_alpha=True),
        "lw": line.get_linewidth(), "dashes": _dashes(line), "cap": line.get_solid_capstyle(),
        "marker": str(line.get_marker()), "zorder": line.get_zorder(),
    }


def describe(fig: Figure) -> dict[str, Any]:
    """What a reader sees in the figure, artist by artist in drawing order."""
    fig.canvas.draw()  # arrows compute their outline (heads, shrinking) when drawn
    described: dict[str, Any] = {"size": _numbers(fig.get_size_inches()), "texts": [_text(t) for t in fig.texts]}
    axes = []
    for ax in fig.axes:
        artists = []
        for artist in ax.get_children():
            if isinstance(artist, Text):
                if artist.get_text():  # the axes' empty title placeholders are not drawn
                    artists.append(_text(artist))
            elif isinstance(artist, Patch):
                if artist is not ax.patch:
                    artists.append(_patch(artist, ax))
            elif isinstance(artist, Line2D):
                artists.append(_line(artist))
            elif artist.get_visible() and type(artist).__name__ not in {"Spine", "XAxis", "YAxis"}:
                raise AssertionError(f"{type(artist).__name__} is not described: add it to describe()")
        axes.append({"xlim": _numbers(ax.get_xlim()), "ylim": _numbers(ax.get_ylim()),
                     "position": _numbers(ax.get_position().bounds),
                     "axis": ax.axison, "aspect": str(ax.get_aspect()), "artists": artists})
    described["axes"] = axes
    return described


def draw(variant: str) -> dict[str, Any]:
    """The diagram as a chapter draws it: after use_style(), the book's fonts and sizes."""
    name, kwargs = VARIANTS[variant]
    with matplotlib.rc_context():
        use_style()
        fig = getattr(diagrams, name)(**kwargs)
        try:
            return describe(fig)
        finally:
            plt.close(fig)


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where two descriptions differ (numbers to TOLERANCE), as readable paths."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{where}.{key}: only in the reference" for key in expected.keys() - actual.keys()]
        found += [f"{where}.{key}: not in the reference" for key in actual.keys() - expected.keys()]
        for key in expected.keys() & actual.keys():
            found += differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(actual)} items, the reference has {len(expected)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for d in differences(e, a, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers) and not isinstance(expected, bool):
        return [] if math.isclose(expected, actual, rel_tol=0, abs_tol=TOLERANCE) else [
            f"{where}: {actual!r}, the reference has {expected!r}"]
    return [] if expected == actual and type(expected) is type(actual) else [
        f"{where}: {actual!r}, the reference has {expected!r}"]


def dump(drawn: dict[str, Any]) -> str:
    """JSON with one artist per line, so that a change to the reference reads well in a diff."""
    def one(value: Any) -> str:
        return json.dumps(value, sort_keys=True)

    lines = []
    for name, figure in sorted(drawn.items()):
        axes = ",\n".join(
            "  {" + ", ".join(f"{one(k)}: {one(v)}" for k, v in sorted(ax.items()) if k != "artists")
            + ', "artists": [\n' + ",\n".join("   " + one(a) for a in ax["artists"]) + "]}"
            for ax in figure["axes"])
        texts = ",\n".join("  " + one(t) for t in figure["texts"])
        lines.append(f'{one(name)}: {{"size": {one(figure["size"])}, "texts": [\n{texts}],\n "axes": [\n{axes}]}}')
    return "{\n" + ",\n".join(lines) + "\n}\n"


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def test_the_reference_covers_every_diagram(reference: dict[str, Any]) -> None:
    assert sorted(reference) == sorted(VARIANTS)
    assert {name for name, _ in VARIANTS.values()} == set(DIAGRAMS)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_diagram_is_drawn_as_reviewed(name: str, reference: dict[str, Any]) -> None:
    found = differences(reference[name], draw(name), name)
    assert not found, (f"{len(found)} differences from tests/data/diagrams_geometry.json (look at the "
                       "figure, then update the reference: python tests/test_diagrams_geometry.py --update):\n"
                       + "\n".join(found[:20]))


def test_a_moved_box_a_recoloured_gate_and_a_lost_text_are_told(reference: dict[str, Any]) -> None:
    """The comparison itself: each kind of change is reported, and where."""
    changed = {}
    for change in ("move and recolour", "drop a text"):
        with matplotlib.rc_context():
            use_style()
            fig = diagrams.draw_lstm_cell()
        try:
            if change == "move and recolour":
                box = next(p for p in fig.axes[0].patches if p.get_gid() == "forget")
                box.set_x(box.get_x() + 0.01)
                box.set_facecolor("black")
            else:
                fig.axes[0].texts[0].remove()
            changed[change] = differences(reference["draw_lstm_cell"], describe(fig), "draw_lstm_cell")
        finally:
            plt.close(fig)
    moved = changed["move and recolour"]
    # the forget gate's box (artist 8): each x of its rounded outline moved, and its fill
    assert all(d.startswith("draw_lstm_cell.axes[0].artists[8].") for d in moved)
    assert sum("][0]: " in d for d in moved) == 14 and sum(".face: '#000000ff'" in d for d in moved) == 1
    assert len(moved) == 15
    assert changed["drop a text"] == ["draw_lstm_cell.axes[0].artists: 51 items, the reference has 52"]
    assert differences({"a": [1.0, "x"]}, {"a": [1.0005, "x"]}) == []
    assert differences({"a": 1.0}, {"a": 1.002}) == [".a: 1.002, the reference has 1.0"]
    assert differences({"a": True}, {"a": 1}) == [".a: 1, the reference has True"]


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_diagrams_geometry.py --update   (after looking at the changed figures)")
    drawn = {name: draw(name) for name in VARIANTS}
    temporary = REFERENCE.with_suffix(".json.tmp")
    temporary.write_text(dump(drawn), encoding="utf-8")
    temporary.replace(REFERENCE)
    print(f"wrote {REFERENCE.relative_to(ROOT)}: {len(drawn)} drawings of {len(DIAGRAMS)} diagrams")
