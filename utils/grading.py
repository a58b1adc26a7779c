"""The autograder behind the assignments (``assignments/``, otter-grader).

Each student notebook starts with the course's setup cell and then::

    from utils.grading import grader as _make_grader
    grader = _make_grader("a1_gates")

after which ``grader.check("q1")`` runs the public tests of question 1. The tests are the
``tests/`` folder that ``make assignments`` writes next to the student notebook. On Google
Colab, where a student opens the notebook on its own, the first call installs otter-grader and
builds the public tests from the course copy that the setup cell fetched.

The install leaves Colab's own packages as they are: otter-grader and the few of its
dependencies that Colab lacks are installed with ``--no-deps`` (a plain ``pip install
otter-grader`` upgrades Colab's ipywidgets 7 to 8 and downgrades its wrapt). ``make
colab-check`` compares Colab's package list before and after grading.

Demo cells in the student notebooks run only once the functions they call are written
(``ready``), so that "Run all" on an unanswered notebook reaches every check.
"""

from __future__ import annotations

import dis
import functools
import importlib
import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

ASSIGNMENTS = ("a1_gates", "a2_vectorized_cell", "a3_sentiment")
OTTER_REQUIREMENT = "otter-grader==7.0.0"
# otter-grader 7.0.0's dependencies that Colab lacks, at versions that grade all three
# assignments; everything else otter needs (ipywidgets, wrapt, nbconvert, ...) Colab has.
OTTER_MISSING_ON_COLAB = (
    "fica==0.4.1", "ipylab==1.1.0", "python-frontmatter==1.3.0", "python-on-whales==0.81.0",
)
COURSE_ROOT = Path(__file__).resolve().parents[1]
# In assignments/requirements-autograder.txt: replaced, in every build, by @ and the course's commit.
COURSE_REF_PLACEHOLDER = "@COURSE_REF@"
COURSE_REF_VARIABLE = "LSTM_BOOK_COURSE_REF"


def master_path(name: str, root: Path = COURSE_ROOT) -> Path:
    """The master notebook (solutions and all tests) of an assignment."""
    if name not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {name!r}; the assignments are {', '.join(ASSIGNMENTS)}")
    if not isinstance(root, str | os.PathLike):
        raise TypeError(f"expected root to be the course folder (a str or Path), got {type(root).__name__}")
    return Path(root) / "assignments" / name / f"{name}.ipynb"


def assign(name: str, destination: Path, *, run_tests: bool = False, root: Path = COURSE_ROOT) -> Path:
    """Run ``otter assign`` on an assignment's master into ``destination``; return that folder.

    ``destination/student`` is what students get, ``destination/autograder`` holds the solutions,
    every test and the autograder zip. With ``run_tests`` otter grades the solutions and fails
    unless they get full marks.
    """
    master = master_path(name, root)
    if not master.is_file():
        raise FileNotFoundError(f"{master} is missing; is this a full copy of the course?")
    with tempfile.TemporaryDirectory(prefix=f"{name}-master-") as staging:
        # otter reads ../requirements-autograder.txt next to the master: a copy, pinned to this commit
        copy = Path(staging) / name / master.name
        copy.parent.mkdir()
        shutil.copy2(master, copy)
        requirements = (root / "assignments" / "requirements-autograder.txt").read_text(encoding="utf-8")
        (Path(staging) / "requirements-autograder.txt").write_text(
            requirements.replace(COURSE_REF_PLACEHOLDER, "@" + course_ref(root)), encoding="utf-8"
        )
        out = str(destination.resolve())
        command = [sys.executable, "-m", "otter", "assign", "--no-pdfs", str(copy), out]
        if not run_tests:
            command.insert(4, "--no-run-tests")
        result = subprocess.run(command, capture_output=True, text=True, cwd=copy.parent)
    if result.returncode != 0:
        raise RuntimeError(f"otter assign failed for {name}:\n{result.stdout}\n{result.stderr}")
    return destination


def course_ref(root: Path = COURSE_ROOT) -> str:
    """The commit (or tag) the autograder installs the course at: $LSTM_BOOK_COURSE_REF or git HEAD."""
    if os.environ.get(COURSE_REF_VARIABLE):
        return os.environ[COURSE_REF_VARIABLE]
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=root, check=True
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(
            f"{root} is not a git checkout, so the autograder cannot pin the course to a commit: "
            f"set {COURSE_REF_VARIABLE} to a tag or commit of the course"
        ) from error
    return result.stdout.strip()


def public_tests(name: str) -> Path:
    """Build the assignment and keep only its public tests (in a new temporary folder).

    The rest of the build (solutions, hidden tests, the autograder zip) is deleted before this
    returns, also when the build fails: nothing a student should not see stays on their machine.
    """
    keep = Path(tempfile.mkdtemp(prefix=f"{name}-public-tests-"))
    with tempfile.TemporaryDirectory(prefix=f"{name}-build-") as build:
        built = assign(name, Path(build) / name)
        shutil.copytree(built / "student" / "tests", keep / "tests")
    return keep / "tests"


def _requirement_name(requirement: str) -> str:
    """``python-on-whales`` from ``python-on-whales==0.81.0`` or ``pydantic (>=2)``."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return match.group(0)


def _is_installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _required_names(name: str) -> list[str]:
    """What an installed distribution requires here (no extras, markers such as
    ``sys_platform == 'win32'`` evaluated); [] when it is not installed."""
    try:
        requires = metadata.distribution(name).requires or []
    except metadata.PackageNotFoundError:
        return []
    needed = []
    for line in requires:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            needed.append(requirement.name)
    return needed


def _check_names(names: object, what: str) -> None:
    if isinstance(names, str | bytes):
        raise TypeError(f"expected {what} as a list of package names, got one string {names!r:.40}: "
                        f"write [{names!r:.40}]")
    items = names if isinstance(names, list | tuple) else []
    for odd in items:
        if not isinstance(odd, str):
            raise TypeError(f"expected every item of {what} to be a package name (a str), got "
                            f"{type(odd).__name__} {odd!r:.40}")


def otter_install_command(
    requirements: Iterable[str] = (OTTER_REQUIREMENT, *OTTER_MISSING_ON_COLAB),
    *,
    installed: Callable[[str], bool] = _is_installed,
    python: str = sys.executable,
) -> list[str]:
    """The pip command that installs those of ``requirements`` not installed yet ([] if none).

    ``--no-deps``: pip must not upgrade or downgrade a package that is already there.
    """
    _check_names(requirements, "requirements")
    if not callable(installed) or not isinstance(python, str):
        raise TypeError("expected installed to be a function of a package name and python the path of a "
                        f"Python interpreter (sys.executable), got {type(installed).__name__} and "
                        f"{type(python).__name__}")
    missing = [r for r in requirements if not installed(_requirement_name(r))]
    if not missing:
        return []
    return [python, "-m", "pip", "install", "-q", "--no-deps", *missing]


def missing_dependencies(
    roots: Iterable[str],
    *,
    installed: Callable[[str], bool] = _is_installed,
    requires: Callable[[str], list[str]] = _required_names,
) -> list[str]:
    """The names that ``roots`` need, directly or through each other, and that are not installed."""
    _check_names(roots, "roots")
    missing: list[str] = []
    seen: set[str] = set()
    todo = [_requirement_name(r) for r in roots]
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        if installed(name):
            todo.extend(requires(name))
        else:
            missing.append(name)
    return sorted(missing)


def _install_otter() -> None:
    """Install otter-grader for this kernel, adding packages and never changing one that is there."""
    command = otter_install_command()
    if command:
        subprocess.run(command, check=True)
    # A later Colab may lack a dependency that today's has: add it, still without touching others.
    extra = missing_dependencies([OTTER_REQUIREMENT])
    if extra:
        subprocess.run(otter_install_command(extra), check=True)
    importlib.invalidate_caches()


_EMPTY_BODY = {"RESUME", "NOP", "LOAD_CONST", "RETURN_CONST", "RETURN_VALUE", "CACHE"}


def _is_stub(function: Any) -> bool:
    """True for a function (or a class's ``forward``) whose body is only ``...`` or a docstring."""
    while isinstance(function, functools.partial):  # the function inside
        function = function.func
    if isinstance(function, type):  # a class: its forward (an nn.Module) or its own __init__
        function = getattr(function, "forward", None) or vars(function).get("__init__")
    code = getattr(function, "__code__", None)
    if code is None:
        return False
    instructions = list(dis.get_instructions(code))
    if not any(op.opname.startswith("RETURN") for op in instructions) and any(
        op.argval == "NotImplementedError" for op in instructions
    ):  # it can only raise NotImplementedError (nn.Module's forward when none is written, too)
        return True
    return all(  # nothing but "return None" (a constant other than None is an answer)
        op.opname in _EMPTY_BODY and (op.opname not in ("LOAD_CONST", "RETURN_CONST") or op.argval is None)
        for op in instructions
    )


def ready(*functions: Any) -> bool:
    """True when every function is written; otherwise print which are still ``...`` and say so.

    A demo cell guards itself with ``if ready(run):`` so that "Run all" on a notebook with
    unanswered questions prints a hint instead of crashing before the checks.
    """
    if not functions or not all(callable(f) for f in functions):
        raise TypeError("ready() needs the functions the demo uses, e.g. ready(run) (the functions, "
                        "not their results)")
    stubs = [getattr(getattr(f, "func", f), "__name__", repr(f)) for f in functions if _is_stub(f)]
    if stubs:
        names = ", ".join(f"`{name}`" for name in stubs)
        print(f"Skipped: write {names} above first, run that cell, then run this one again.")
    return not stubs


def grader(name: str, *, tests_dir: str | Path = "tests") -> Any:
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
        tests = public_tests(name)
    return otter.Notebook(tests_dir=str(tests))
