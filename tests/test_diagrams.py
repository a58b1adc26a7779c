"""Every diagram of utils.diagrams draws headless, carries a caption, keeps its text apart and
inside the figure, and uses the gate colours of utils.plots; the data the ch. 9 pictures show
matches PyTorch."""

import itertools

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text
from torch.nn.utils.rnn import pack_padded_sequence

import utils.diagrams as diagrams
from utils.plots import COLORS
from utils.sequences import reverse_padded

DIAGRAMS = [
    "draw_unrolled_rnn",
    "draw_gates_step_by_step",
    "draw_lstm_cell",
    "draw_fused_weights",
    "draw_backward_paths",
    "draw_stacked_bidirectional",
    "draw_padding_and_masking",
    "draw_packing",
    "draw_reverse_within_length",
    "draw_bucketing",
    "draw_text_pipeline",
    "draw_classifier",
]
GATES = ("forget", "input", "candidate", "output")


@pytest.fixture(scope="module")
def figures():
    """Draw every diagram once (Agg), render it, and close them all afterwards."""
    backend = matplotlib.get_backend()
    plt.switch_backend("Agg")
    drawn = {name: getattr(diagrams, name)() for name in DIAGRAMS}
    for fig in drawn.values():
        fig.canvas.draw()
    yield drawn
    for fig in drawn.values():
        plt.close(fig)
    plt.switch_backend(backend)


def texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def test_every_public_drawing_is_tested():
    public = sorted(name for name in dir(diagrams) if name.startswith("draw_"))
    assert public == sorted(DIAGRAMS)


@pytest.mark.parametrize("name", DIAGRAMS)
def test_figure_size_and_caption(figures, name):
    fig = figures[name]
    assert isinstance(fig, Figure)
    width, height = fig.get_size_inches()
    assert 7 <= width <= 9.5 and 2.5 <= height <= 5, (name, width, height)
    captions = [t for t in fig.texts if t.get_gid() == "caption"]
    assert len(captions) == 1 and len(captions[0].get_text()) > 20, name
    # the caption sits at the bottom, below everything drawn in the axes
    caption_top = captions[0].get_window_extent().y1
    others = [t for t in texts(fig) if t is not captions[0]]
    assert all(t.get_window_extent().y0 >= caption_top for t in others), name


@pytest.mark.parametrize("name", DIAGRAMS)
def test_text_does_not_overlap_and_stays_inside(figures, name):
    fig = figures[name]
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer).shrunk(0.97, 0.9)) for t in texts(fig)]
    figure_box = fig.bbox
    for text, box in boxes:
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1, f"{name}: {text!r} sticks out"
        assert figure_box.y0 <= box.y0 and box.y1 <= figure_box.y1, f"{name}: {text!r} sticks out"
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"{name}: {a!r} overlaps {b!r}"


@pytest.mark.parametrize("name", DIAGRAMS)
def test_gate_patches_use_the_plot_colours(figures, name):
    for patch in figures[name].axes[0].patches:
        if patch.get_gid() in GATES:
            assert patch.get_facecolor()[:3] == pytest.approx(to_rgb(COLORS[patch.get_gid()]))


@pytest.mark.parametrize("name", ["draw_gates_step_by_step", "draw_lstm_cell", "draw_fused_weights"])
def test_cell_diagrams_show_all_four_gates(figures, name):
    gids = {patch.get_gid() for patch in figures[name].axes[0].patches}
    assert set(GATES) <= gids


def test_fused_weights_cells_per_gate_follow_the_shapes():
    fig = diagrams.draw_fused_weights(input_size=4, hidden_size=3)
    try:
        gids = [p.get_gid() for p in fig.axes[0].patches if p.get_gid() in GATES]
        # per gate: H rows of weight_ih (I columns), weight_hh (H columns) and the two biases
        assert all(gids.count(gate) == 3 * (4 + 3 + 2) for gate in GATES)
        shown = {t.get_text() for t in texts(fig)}
        assert {"$W_{ih}$: (12, 4)", "$W_{hh}$: (12, 3)", "$b_{ih}$: (12,)"} <= shown
        assert "f: forget gate, rows [3:6]" in shown
    finally:
        plt.close(fig)


def test_fused_weights_refuses_unreadable_sizes():
    with pytest.raises(ValueError, match="hidden_size=9"):
        diagrams.draw_fused_weights(hidden_size=9)


@pytest.mark.parametrize("strategy", ["exact", "packed", "padded"])
def test_classifier_names_the_strategy_it_is_given(strategy):
    fig = diagrams.draw_classifier(strategy=strategy)
    try:
        shown = {t.get_text() for t in texts(fig)}
        step, arrow = diagrams.STRATEGY_LABELS[strategy]
        assert {step, arrow} <= shown
        others = {label for s, labels in diagrams.STRATEGY_LABELS.items() if s != strategy for label in labels}
        assert not others & shown
    finally:
        plt.close(fig)


def test_classifier_rejects_an_unknown_strategy_naming_the_choices():
    with pytest.raises(ValueError, match="'exact', 'packed', 'padded'"):
        diagrams.draw_classifier(strategy="pack")


def test_classifier_shapes_follow_its_arguments():
    fig = diagrams.draw_classifier(vocab_size=500, embed_dim=50, hidden_size=64)
    try:
        shown = {t.get_text() for t in texts(fig)}
        assert {"Linear(128, 1)", "(B, 128)", "(B, T, 50)"} <= shown
        assert any("Embedding(500, 50)" in t for t in shown)
    finally:
        plt.close(fig)


def test_packed_layout_matches_pack_padded_sequence():
    lengths = [4, 3, 1]
    # value 10 * b + t identifies sequence b, step t
    x = torch.tensor([[10 * b + t for b in range(3)] for t in range(4)], dtype=torch.float32)
    packed = pack_padded_sequence(x, torch.tensor(lengths))
    layout = diagrams._packed_layout(lengths)
    assert layout.batch_sizes == packed.batch_sizes.tolist()
    assert [10 * b + t for b, t in layout.order] == packed.data.long().tolist()


def test_packed_layout_refuses_unsorted_lengths():
    with pytest.raises(ValueError, match="decreasing order"):
        diagrams._packed_layout([1, 3])


def test_reverse_within_length_matches_reverse_padded():
    lengths = [5, 3, 2]
    x = torch.tensor([[10 * b + t for b in range(3)] for t in range(5)])  # (T, B)
    expected = reverse_padded(x, torch.tensor(lengths))
    for b, n in enumerate(lengths):
        row = [str(v) for v in x[:, b].tolist()]
        assert diagrams._reverse_within_length(row, n) == [str(v) for v in expected[:, b].tolist()]


def test_bucketing_padding_share():
    fig, ax = plt.subplots()
    try:
        # one batch of lengths 1 and 3: 6 slots, 4 real
        assert diagrams._batch_bars(ax, 0.0, 1.0, [[1, 3]]) == pytest.approx(1 / 3)
    finally:
        plt.close(fig)
