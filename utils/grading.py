"""The autograder behind the assignments (``assignments/``, otter-grader).

Each student notebook starts with the course's setup cell and then::

    from utils.grading import grader as _make_grader
    grader = _make_grader("a1_gates")

after which ``grader.check("q1")`` runs the public tests of question 1. The tests are the
``tests/`` folder that ``make assignments`` writes next to the student notebook. On Google
Colab, where a student opens the notebook on its own, the first call installs otter-grader and
builds the public tests from the course copy that the setup cell fetched.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

ASSIGNMENTS = ("a1_gates", "a2_vectorized_cell", "a3_sentiment")
OTTER_REQUIREMENT = "otter-grader==7.0.0"
COURSE_ROOT = Path(__file__).resolve().parents[1]


def master_path(name: str, root: Path = COURSE_ROOT) -> Path:
    """The master notebook (solutions and all tests) of an assignment."""
    if name not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {name!r}; the assignments are {', '.join(ASSIGNMENTS)}")
    return root / "assignments" / name / f"{name}.ipynb"


def assign(name: str, destination: Path, *, run_tests: bool = False, root: Path = COURSE_ROOT) -> Path:
    """Run ``otter assign`` on an assignment's master into ``destination``; return that folder.

    ``destination/student`` is what students get, ``destination/autograder`` holds the solutions,
    every test and the autograder zip. With ``run_tests`` otter grades the solutions and fails
    unless they get full marks.
    """
    master = master_path(name, root)
    if not master.is_file():
        raise FileNotFoundError(f"{master} is missing; is this a full copy of the course?")
    command = [sys.executable, "-m", "otter", "assign", "--no-pdfs", str(master), str(destination)]
    if not run_tests:
        command.insert(4, "--no-run-tests")
    result = subprocess.run(command, capture_output=True, text=True, cwd=master.parent)
    if result.returncode != 0:
        raise RuntimeError(f"otter assign failed for {name}:\n{result.stdout}\n{result.stderr}")
    return destination


def _install_otter() -> None:
    if importlib.util.find_spec("otter") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", OTTER_REQUIREMENT], check=True)


def grader(name: str, *, tests_dir: str | Path = "tests"):
    """The otter ``Notebook`` that runs this assignment's public tests (``grader.check("q1")``)."""
    master_path(name)  # a clear error for an unknown name
    on_colab = "google.colab" in sys.modules
    if on_colab:
        _install_otter()
    try:
        import otter
    except ImportError:
        raise ImportError(
            f"otter-grader is not installed; run `make book` once (it installs requirements.txt) "
            f"or `pip install {OTTER_REQUIREMENT}`"
        ) from None
    if otter.Notebook._tests_dir_override is not None:  # being graded: otter set the tests folder
        return otter.Notebook()
    tests = Path(tests_dir)
    if not tests.is_dir():
        if not on_colab:
            raise FileNotFoundError(
                f"no {tests}/ folder next to this notebook: open the student copy that "
                f"`make assignments` writes to assignments/dist/{name}/student/, or the folder "
                f"your instructor gave you"
            )
        built = assign(name, Path(tempfile.mkdtemp(prefix=f"{name}-")))
        tests = built / "student" / "tests"
    return otter.Notebook(tests_dir=str(tests))
