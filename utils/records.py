"""Measured results the chapters quote from ``benchmarks/results/`` (chapters 9 and 12).

Each benchmark ends with a line ``RESULT key=value ...``; its record file starts with a comment
naming the command, the date, the machine and the commit. The chapters read the figures from
these files, so a sentence that quotes a GPU measurement on a machine without a GPU prints the
recorded number instead of a hard-coded one.
"""

from __future__ import annotations

from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def _read(name: str, results_dir: Path | str) -> list[str]:
    if not isinstance(name, str) or not isinstance(results_dir, str | Path):
        raise TypeError(f"expected a record's file name (str) and a folder, got {name!r:.40} and "
                        f"{results_dir!r:.40}")
    results_dir = Path(results_dir)
    path = results_dir / name
    if not path.is_file():
        known = sorted(p.name for p in results_dir.glob("*.txt")) if results_dir.is_dir() else []
        raise FileNotFoundError(
            f"no benchmark record {name!r} in {results_dir}: run the notebooks from a clone of the course "
            f"(the records are not part of the installed package); records here: {known}"
        )
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"the benchmark record {path} is not UTF-8 text: run its benchmark again") from None
    if not lines:
        raise ValueError(f"the benchmark record {path} is empty: run its benchmark again (see its "
                         "module's docstring)")
    return lines


def recorded_result(name: str, results_dir: Path = RESULTS_DIR) -> dict[str, float]:
    """The ``RESULT`` figures of a record file, e.g. ``recorded_result("imdb_scale_cuda_h200.txt")``."""
    lines = [line for line in _read(name, results_dir) if line.startswith("RESULT ")]
    if not lines:
        raise ValueError(f"{name} has no 'RESULT key=value ...' line: is it a benchmark record?")
    if len(lines[-1].split()) < 2:
        raise ValueError(f"{name}: its RESULT line holds no figures; run the benchmark again to rewrite it")
    figures: dict[str, float] = {}
    for item in lines[-1].split()[1:]:
        key, equals, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not equals or not key or number is None or key in figures:
            well_formed = bool(equals and key) and number is not None
            problem = "repeats a key" if well_formed else "is not key=number"
            raise ValueError(f"{name}: the RESULT item {item!r} {problem}; run the benchmark again "
                             "to rewrite it")
        figures[key] = number
    return figures


def recorded_source(name: str, results_dir: Path = RESULTS_DIR) -> str:
    """The record's first line (its command, date, machine and commit), without the ``#``."""
    first = _read(name, results_dir)[0]
    if not first.startswith("#"):
        raise ValueError(f"{name} does not start with a '# command (date, machine)' line")
    return first.lstrip("# ").strip()
