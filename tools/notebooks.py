"""Execute the chapter notebooks and keep their committed outputs honest.

    python tools/notebooks.py execute [NOTEBOOK ...]   # full run, in place, fresh kernel
    python tools/notebooks.py check [NOTEBOOK ...]     # what `make test` checks, as a report
    python tools/notebooks.py sync-setup               # rewrite every setup cell from _config.yml
                                                       # (chapters and assignment masters)

``execute`` stores a hash of the notebook's code cells in its metadata
(``metadata.lstm_book.code_hash``). ``check`` reports a notebook whose code changed
since then, whose execution counts are not 1..N, or that stores an error output.
The first code cell of every notebook is the Colab setup cell, generated from the
repository URL in ``_config.yml``; it is checked for an exact match instead of
being hashed, so a fork can point it at its own repository without re-executing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
ASSIGNMENT_MASTERS = sorted((ROOT / "assignments").glob("a*/a*.ipynb"))
META_KEY = "lstm_book"
COURSE_DIR_ON_COLAB = "/content/lstm-book"

SETUP_CELL_TEMPLATE = '''\
# Setup. On Google Colab: fetch the course and install what Colab lacks.
# Anywhere else this cell does nothing (run `make book` once to set up locally).
import sys

if "google.colab" in sys.modules:
    import pathlib
    import subprocess

    COURSE = pathlib.Path("{course_dir}")
    if not COURSE.exists():
        subprocess.run(["git", "clone", "--depth", "1", "{repo_url}", str(COURSE)], check=True)
    requirements = str(COURSE / "requirements-colab.txt")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", requirements], check=True)
    sys.path.insert(0, str(COURSE))'''


def repository_url(config_path: Path = ROOT / "_config.yml") -> str:
    """The repository URL the book's launch buttons and setup cells point at."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    url = config.get("repository", {}).get("url", "")
    if not url.startswith("https://github.com/"):
        raise ValueError(f"_config.yml repository.url must be a https://github.com/ URL, got {url!r}")
    return url.rstrip("/")


def setup_cell_source(repo_url: str | None = None) -> str:
    """The exact source every notebook's first code cell must have."""
    return SETUP_CELL_TEMPLATE.format(
        repo_url=repo_url or repository_url(), course_dir=COURSE_DIR_ON_COLAB
    )


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def code_hash(nb: nbformat.NotebookNode) -> str:
    """SHA-256 of every code cell's source after the setup cell, and of its tags."""
    digest = hashlib.sha256()
    for cell in code_cells(nb)[1:]:
        digest.update(cell.source.encode("utf-8"))
        digest.update(repr(sorted(cell.metadata.get("tags", []))).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def problems(path: Path) -> list[str]:
    """Everything that makes a committed notebook's outputs untrustworthy."""
    nb = nbformat.read(path, as_version=4)
    cells = code_cells(nb)
    found = []
    if not cells or cells[0].source != setup_cell_source():
        found.append(
            "its first code cell is not the current setup cell "
            "(run `python tools/notebooks.py sync-setup`)"
        )
    stored = nb.metadata.get(META_KEY, {}).get("code_hash")
    if stored is None:
        found.append("it was never executed with `make execute` (no code hash in its metadata)")
    elif stored != code_hash(nb):
        found.append("its code changed since it was executed (run `make execute`)")
    if nb.metadata.get(META_KEY, {}).get("quick_mode", False):
        found.append("it was executed in quick mode; commit a full run (`make execute`)")
    counts = [cell.execution_count for cell in cells]
    if counts != list(range(1, len(cells) + 1)):
        found.append(f"execution counts are not 1..{len(cells)} in order (run `make execute`)")
    if "widgets" in nb.metadata or any(WIDGET_VIEW in o.get("data", {}) for c in cells for o in c.outputs):
        found.append("it stores live-widget outputs, which need a CDN on the site (run `make execute`)")
    for index, cell in enumerate(cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if errors:  # error demos print their message with utils.checks.shows_error instead
            found.append(f"code cell {index + 1} stores an error output ({errors[0].ename})")
    return found


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def strip_widgets(nb: nbformat.NotebookNode) -> int:
    """Drop live-widget outputs (tqdm's notebook bars) and the saved widget state.

    A static page can only draw them with scripts from a CDN, which breaks the offline site;
    the numbers they showed are printed by the cells anyway. Returns how many were dropped.
    """
    dropped = 0
    for cell in code_cells(nb):
        kept = [o for o in cell.get("outputs", []) if WIDGET_VIEW not in o.get("data", {})]
        dropped += len(cell.get("outputs", [])) - len(kept)
        cell.outputs = kept
    nb.metadata.pop("widgets", None)
    return dropped


def execute(path: Path, timeout: int = 3600) -> float:
    """Run a notebook top to bottom in a fresh kernel, in full mode; write it in place."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    os.environ.pop("LSTM_BOOK_QUICK", None)
    start = time.perf_counter()
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    seconds = time.perf_counter() - start
    strip_widgets(nb)
    nb.metadata[META_KEY] = {"code_hash": code_hash(nb), "quick_mode": False}
    nbformat.write(nb, path)
    return seconds


def sync_setup(paths: list[Path]) -> None:
    source = setup_cell_source()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        cells = code_cells(nb)
        if cells and cells[0].source != source:
            cells[0].source = source
            nbformat.write(nb, path)
            print(f"updated the setup cell of {path.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("command", choices=["execute", "check", "sync-setup"])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if args.command == "execute":
        for path in paths:
            print(f"executing {path.name} ...", flush=True)
            print(f"  {path.name}: {execute(path):.0f} s", flush=True)
        return 0
    if args.command == "sync-setup":
        sync_setup(args.notebooks or paths + ASSIGNMENT_MASTERS)
        return 0
    failed = 0
    for path in paths:
        for problem in problems(path):
            failed += 1
            print(f"{path.name}: {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
