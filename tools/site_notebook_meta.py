"""Give every figure of the chapters a name, a caption and alt text (myst-nb cell metadata).

    python tools/site_notebook_meta.py            # write the metadata into notebooks/*.ipynb
    python tools/site_notebook_meta.py --check    # exit 1 if any notebook lacks or differs

Each figure is found by a marker, a piece of its cell's source that stays when numbers change
(the drawing function or the plot's title), never by the cell's position. A figure becomes
``mystnb.figure`` (numbered on the site, referable as ``{numref}`fig-...```) and ``mystnb.image.alt``.
Setup cells get the ``remove-cell`` tag: they do nothing outside Colab, so the site leaves them out.
Only metadata changes; no cell needs re-executing. Writing is atomic (temporary file, then
``os.replace``) and a second run changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETUP_MARKER = "# Setup. On Google Colab"
SETUP_TAG = "remove-cell"
OLD_SETUP_TAG = "hide-input"


@dataclass(frozen=True)
class Figure:
    """One figure: where it is (notebook stem and source marker) and what readers get."""

    notebook: str
    marker: str
    name: str
    caption: str
    alt: str


FIGURES = [
    Figure("01_why_lstm", "draw_unrolled_rnn(", "fig-unrolled-rnn",
           "An RNN unrolled in time: the same weights at every step.",
           "A recurrent cell drawn once, then unrolled into a chain of copies passing h along."),
    Figure("01_why_lstm", "Linear RNN: the gradient is", "fig-rnn-gradients",
           "The gradient that reaches the first input shrinks or grows geometrically with the distance.",
           "Two log-scale panels of gradient size against steps back, for a linear and a tanh RNN."),
    Figure("01_why_lstm", "Below the edge, dL/dW_hh comes from", "fig-rnn-weight-gradient-terms",
           "Each step's term in the loss's gradient for W_hh, relative to the whole gradient.",
           "Log-scale curves of each step's share of dL/dW_hh against steps back, falling for s = 0.5 "
           "and s = 1 and rising for s = 3."),
    Figure("02_sigmoid_tanh", "Sigmoid gives fractions", "fig-sigmoid-tanh",
           "Sigmoid maps to (0, 1), tanh to (-1, 1); both slopes vanish away from 0.",
           "Left: the sigmoid and tanh curves. Right: their derivatives, peaked at 0 and flat in the tails."),
    Figure("03_scalar_gates", "draw_gates_step_by_step(", "fig-gates-step-by-step",
           "One step of the scalar cell: forget, then input, then output.",
           "Three panels showing how the forget, input and output gates change c and h in one step."),
    Figure("03_scalar_gates", "The forget-gate bias sets how long", "fig-forget-bias",
           "The forget-gate bias sets how long the cell remembers.",
           "Memory c decaying over time for several forget-gate biases; larger biases decay more slowly."),
    Figure("04_scalar_lstm", "Add on +1, remember on 0", "fig-add-remember-erase",
           "A hand-set scalar LSTM adds on +1, remembers on 0 and erases on -1.",
           "Top: the input and the input and forget gates over 60 steps. Bottom: c and h rising, holding, "
           "then dropping to zero."),
    Figure("04_scalar_lstm", "draw_lstm_cell(", "fig-scalar-cell-notation",
           "The scalar cell in the standard notation.",
           "Diagram of one LSTM cell with its forget, input and output gates, c and h."),
    Figure("04_scalar_lstm", "{len(ys)} seeds", "fig-memory-training",
           "Training to remember the first number: error over training for every seed.",
           "Training curves of mean squared error for several seeds, LSTM and RNN side by side."),
    Figure("04_scalar_lstm", "for 9 values of $x_1$", "fig-memory-traces",
           "What the trained cells keep: cell state and hidden state over time for nine first inputs.",
           "Top: curves of c over 100 steps for nine values of the first input, for the best runs. "
           "Bottom: h for the same runs, settling below or above zero."),
    Figure("05_vectorized_cell", "draw_lstm_cell(", "fig-vector-cell",
           "The LSTM cell in matrix form.",
           "Diagram of the vector LSTM cell: four gate blocks fed by x and h, combined into c and h."),
    Figure("05_vectorized_cell", "draw_fused_weights(", "fig-fused-weights",
           "PyTorch fuses the four gates' weights into one matrix, in the order i, f, g, o.",
           "A tall weight matrix split into four horizontal blocks labelled i, f, g and o."),
    Figure("05_vectorized_cell", "imshow", "fig-trained-gates",
           "The gates of an 8-unit layer trained to remember the sign of the last pulse.",
           "Four heat maps, units against steps, of the input, forget and output gates and the "
           "candidate: one pattern of gate values per remembered sign, switching at the pulses."),
    Figure("06_backprop_through_time", "a default LSTM's gradient vanishes too", "fig-gradient-reach",
           "At initialisation, an LSTM with PyTorch's default biases (or forget bias 0) loses its gradient "
           "almost as fast as an RNN; a forget bias of 1 slows the decay by many orders of magnitude.",
           "Log-scale gradient norm against steps back, five seeds and their geometric mean per model: the "
           "RNN, the default LSTM and the forget-bias-0 LSTM fall steeply and close together; the "
           "forget-bias-1 LSTM falls far more slowly."),
    Figure("06_backprop_through_time", "Clipping keeps the exploding run alive", "fig-clipping",
           "Clipping keeps an exploding RNN's training alive but does not make it learn; a start whose "
           "gradient does not explode learns without it.",
           "Loss over 100 SGD updates: unclipped from 3Q it jumps to 1.0 and stays there; clipped at 1 it "
           "wanders around 0.7; from Q it falls from 0.28 to 0.07."),
    Figure("06_backprop_through_time", "draw_backward_paths(", "fig-backward-paths",
           "The paths a gradient takes back through one LSTM step.",
           "Diagram of the backward pass through a cell: the direct path through c and the paths through h."),
    Figure("06_backprop_through_time", "The forget-gate product matches", "fig-forget-product",
           "The product of forget gates explains only the last few steps of the gradient.",
           "Measured gradient and the forget-gate product against steps back; they part after a few steps."),
    Figure("08_bidirectional", "draw_stacked_bidirectional(", "fig-stacked-bilstm",
           "A two-layer bidirectional LSTM and where h_n's rows come from.",
           "Diagram of forward and backward LSTM layers stacked twice, with the final states labelled."),
    Figure("09_variable_length", "Reading padding erases", "fig-padding-erases",
           "Reading padding erases what distinguished two texts.",
           "Hidden-state distance between two texts falling as padding steps are read."),
    Figure("09_variable_length", "draw_padding_and_masking(", "fig-padding-masking",
           "Padding a batch to one length, and the mask that marks the real tokens.",
           "A grid of token ids with padding cells shaded, and the matching mask of ones and zeros."),
    Figure("09_variable_length", "draw_packing(", "fig-packing",
           "Packing: the batch read time step by time step, without padding.",
           "Sequences sorted by length and read column by column, batch sizes shrinking over time."),
    Figure("09_variable_length", "draw_bucketing(", "fig-bucketing",
           "Bucketing: batches of similar lengths need little padding.",
           "Sequences grouped into buckets of similar length, each padded only to its own maximum."),
    Figure("09_variable_length", "IMDB-like lengths have a long tail", "fig-length-tail",
           "Lengths have a long tail; bucketed batches are almost padding-free.",
           "Left: a histogram of lengths with a long right tail. Right: padding share by batching."),
    Figure("09_variable_length", "draw_reverse_within_length(", "fig-reverse-within-length",
           "Reversing each sequence within its own length gives the backward direction exactly.",
           "Sequences of different lengths reversed in place, padding left at the end."),
    Figure("10_text_pipeline", "Tweets in characters", "fig-tweet-lengths",
           "Tweet lengths in characters and in words.",
           "Two histograms of tweet lengths, one in characters and one in words."),
    Figure("10_text_pipeline", "draw_text_pipeline(", "fig-text-pipeline",
           "From text to a padded batch: tokenize, look up, pad, batch.",
           "A pipeline diagram: raw text, tokens, integer ids, padded batch tensor."),
    Figure("11_char_sentiment", "Each change on the validation split", "fig-char-ablation",
           "Each change to the character model, measured on the validation split.",
           "Bar chart of validation accuracy for each model variant with error bars, next to the two "
           "baselines, with lines at the majority rate and the topic prior."),
    Figure("12_imdb_glove_bilstm", "draw_classifier(", "fig-classifier",
           "The classifier: GloVe embeddings, a two-layer BiLSTM, and a linear layer on the final states.",
           "Diagram: tokens, embedding, stacked bidirectional LSTM, concatenated states, linear output."),
    Figure("12_imdb_glove_bilstm", "Training and validation accuracy", "fig-training-curves",
           "Loss and accuracy over the epochs.",
           "Left: training loss by epoch. Right: training and validation accuracy by epoch."),
    Figure("12_imdb_glove_bilstm", "Test set: true vs predicted", "fig-confusion",
           "The test set's confusion matrix.",
           "A two-by-two confusion matrix of true against predicted sentiment with counts."),
]


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _figure_cell(cells: list[dict[str, Any]], figure: Figure) -> dict[str, Any]:
    found = [c for c in cells if c.get("cell_type") == "code" and figure.marker in _source(c)]
    if len(found) != 1:
        raise SystemExit(
            f"{figure.notebook}: marker {figure.marker!r} of {figure.name} is in {len(found)} code cells, "
            "expected 1; update FIGURES in tools/site_notebook_meta.py to a marker of that figure's cell"
        )
    return found[0]


def apply(notebook: dict[str, Any], stem: str) -> dict[str, Any]:
    """The notebook with every figure's metadata and the setup cell's tag in place (a copy)."""
    notebook = json.loads(json.dumps(notebook))
    cells = notebook["cells"]
    for figure in (f for f in FIGURES if f.notebook == stem):
        meta = _figure_cell(cells, figure).setdefault("metadata", {})
        meta["mystnb"] = {
            "figure": {"name": figure.name, "caption": figure.caption},
            "image": {"alt": figure.alt},
        }
    for cell in cells:
        if cell.get("cell_type") == "code" and _source(cell).startswith(SETUP_MARKER):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            tags[:] = [t for t in tags if t != OLD_SETUP_TAG] + ([] if SETUP_TAG in tags else [SETUP_TAG])
    return notebook


def _dump(notebook: dict[str, Any]) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(notebooks_dir: Path, check: bool) -> list[str]:
    """Apply (or, with ``check``, compare) every notebook's metadata; the notebooks that differ."""
    stems = {f.notebook for f in FIGURES}
    missing = [s for s in sorted(stems) if not (notebooks_dir / f"{s}.ipynb").is_file()]
    if missing:
        raise SystemExit(f"no notebook for {missing} in {notebooks_dir}: fix FIGURES or the folder")
    differ = []
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        original = json.loads(path.read_text(encoding="utf-8"))
        updated = apply(original, path.stem)
        if updated != original:
            differ.append(path.name)
            if not check:
                write_atomic(path, _dump(updated))
    return differ


def main(argv: list[str] | None = None) -> int:
    """Command line: write the metadata, or check that it is in place."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook differs")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    args = parser.parse_args(argv)
    differ = run(args.notebooks, args.check)
    verb = "lack figure metadata (run tools/site_notebook_meta.py)" if args.check else "updated"
    print(f"{len(differ)} notebooks {verb}: {', '.join(differ) or 'none'}")
    return 1 if args.check and differ else 0


if __name__ == "__main__":
    sys.exit(main())
