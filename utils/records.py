"""Measured results the chapters quote from ``benchmarks/results/`` (chapters 9 and 12).

Each benchmark ends with a line ``RESULT key=value ...``; its record file starts with a comment
naming the command, the date, the machine and the commit. The chapters read the figures from
these files, so a sentence that quotes a GPU measurement on a machine without a GPU prints the
recorded number instead of a hard-coded one.
"""

from __future__ import annotations

from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def _read(name: str, results_dir: Path) -> list[str]:
    path = results_dir / name
    if not path.is_file():
        known = sorted(p.name for p in results_dir.glob("*.txt")) if results_dir.is_dir() else []
        raise FileNotFoundError(
            f"no benchmark record {name!r} in {results_dir}: run the notebooks from a clone of the course "
            f"(the records are not part of the installed package); records here: {known}"
        )
    return path.read_text(encoding="utf-8").splitlines()


def recorded_result(name: str, results_dir: Path = RESULTS_DIR) -> dict[str, float]:
    """The ``RESULT`` figures of a record file, e.g. ``recorded_result("imdb_scale_cuda_h200.txt")``."""
    lines = [line for line in _read(name, results_dir) if line.startswith("RESULT ")]
    if not lines:
        raise ValueError(f"{name} has no 'RESULT key=value ...' line: is it a benchmark record?")
    pairs = (item.split("=", 1) for item in lines[-1].split()[1:])
    return {key: float(value) for key, value in pairs}


def recorded_source(name: str, results_dir: Path = RESULTS_DIR) -> str:
    """The record's first line (its command, date, machine and commit), without the ``#``."""
    first = _read(name, results_dir)[0]
    if not first.startswith("#"):
        raise ValueError(f"{name} does not start with a '# command (date, machine)' line")
    return first.lstrip("# ").strip()
