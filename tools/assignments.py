"""Build the graded assignments and prove their autograders right.

    python tools/assignments.py assign [NAME ...]   # -> assignments/dist/NAME/{student,autograder}
    python tools/assignments.py prove [NAME ...]    # the four proofs `make test` runs

``prove`` generates each assignment in a temporary folder and checks that

1. the solutions (the autograder notebook) get full marks on every test, public and hidden;
2. the student notebook contains no line of solution code and its tests folder no hidden test;
3. the student notebook, run unmodified, is graded without crashing, scores nothing, and every
   failed test says what it expected (an ``AssertionError`` with a message, not a crash);
4. the student notebook with the answer cells filled in, graded with ``otter run`` against
   the autograder zip, gets full marks.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.grading import ASSIGNMENTS, assign  # noqa: E402

ANSWER_TAG = "otter_answer_cell"
SOLUTION_TAG = "otter_assign_solution_cell"


@dataclass
class Grade:
    """What ``otter run`` gave one notebook: points per question and each question's report."""

    scores: dict[str, float]
    possible: dict[str, float]
    output: dict[str, str]

    @property
    def total(self) -> float:
        return sum(self.scores.values())

    @property
    def max_total(self) -> float:
        return sum(self.possible.values())


def autograder_zip(built: Path) -> Path:
    zips = sorted((built / "autograder").glob("*-autograder_*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one autograder zip in {built / 'autograder'}, found {len(zips)}")
    return zips[0]


def grade(notebook: Path, autograder: Path, workdir: Path) -> Grade:
    """Grade a notebook with ``otter run`` (no container) and read its results.json."""
    out = Path(tempfile.mkdtemp(dir=workdir, prefix="run-"))
    command = [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(autograder),
               "-o", str(out), str(notebook)]
    result = subprocess.run(command, capture_output=True, text=True)
    results = out / "results.json"
    if result.returncode != 0 or not results.is_file():
        raise RuntimeError(
            f"otter run crashed on {notebook}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    tests = json.loads(results.read_text(encoding="utf-8"))["tests"]
    questions = [t for t in tests if t.get("max_score") is not None]
    return Grade(
        scores={t["name"]: float(t["score"]) for t in questions},
        possible={t["name"]: float(t["max_score"]) for t in questions},
        output={t["name"]: t.get("output", "") for t in questions},
    )


def solution_lines(master: Path) -> list[str]:
    """Every non-trivial line written between BEGIN SOLUTION and END SOLUTION in the master."""
    nb = nbformat.read(master, as_version=4)
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        inside = False
        for line in cell.source.splitlines():
            if line.strip() == "# BEGIN SOLUTION":
                inside = True
            elif line.strip() == "# END SOLUTION":
                inside = False
            elif inside and len(line.strip()) > 12:  # skip `return h`, `else:` and the like
                lines.append(line.strip())
    return lines


def fill_in(student: Path, autograder_notebook: Path, destination: Path) -> Path:
    """The student notebook with every answer cell replaced by the solution cell in its place."""
    stu = nbformat.read(student, as_version=4)
    sol = nbformat.read(autograder_notebook, as_version=4)
    if len(stu.cells) != len(sol.cells):
        raise RuntimeError(f"{student} and {autograder_notebook} do not have the same cells")
    filled = 0
    for mine, theirs in zip(stu.cells, sol.cells, strict=True):
        if ANSWER_TAG in mine.metadata.get("tags", []):
            mine.source = theirs.source
            filled += 1
        elif mine.source != theirs.source:
            raise RuntimeError(f"cells differ outside the answers: {mine.source[:60]!r}")
    if not filled:
        raise RuntimeError(f"{student} has no answer cells")
    nbformat.write(stu, destination)
    return destination


def _failed_cases(output: str) -> list[str]:
    return re.split(r"\n\s*\w+ - \d+ result:", output)[1:]


def prove(name: str, workdir: Path) -> list[str]:
    """Run the four proofs for one assignment; return the problems found (empty when all hold)."""
    problems: list[str] = []
    built = assign(name, workdir / name)
    autograder = autograder_zip(built)
    student = built / "student" / f"{name}.ipynb"
    solutions = built / "autograder" / f"{name}.ipynb"

    # 1. the solutions pass every test, public and hidden
    start = time.perf_counter()
    solved = grade(solutions, autograder, workdir)
    seconds = time.perf_counter() - start
    for question, score in solved.scores.items():
        if score != solved.possible[question]:
            problems.append(f"{name}: the solutions lose points on {question}:\n{solved.output[question]}")
    all_tests = (built / "autograder" / "tests").glob("*.py")
    hidden = sum(test.read_text().count("hidden=True") for test in all_tests)
    if hidden == 0:
        problems.append(f"{name}: no hidden tests")

    # 2. no solution code in what students get
    student_code = "\n".join(
        cell.source for cell in nbformat.read(student, as_version=4).cells if cell.cell_type == "code"
    )
    master = ROOT / "assignments" / name / f"{name}.ipynb"
    leaked = [line for line in solution_lines(master) if line in student_code]
    if leaked or "BEGIN SOLUTION" in student_code:
        problems.append(f"{name}: the student notebook contains solution code: {leaked[:3]}")
    for test in (built / "student" / "tests").glob("*.py"):
        if "hidden=True" in test.read_text():
            problems.append(f"{name}: the student's {test.name} contains a hidden test")

    # 3. the unmodified student notebook: graded, zero, friendly failures
    untouched = grade(student, autograder, workdir)
    if untouched.total != 0:
        problems.append(f"{name}: the unmodified student notebook scores {untouched.total}, expected 0")
    for question, output in untouched.output.items():
        cases = _failed_cases(output)
        unfriendly = [c for c in cases if "Test case failed" in c and "AssertionError:" not in c]
        if not cases or unfriendly:
            problems.append(f"{name}: {question} fails without a message saying what was expected:\n"
                            + (unfriendly[0] if unfriendly else output))

    # 4. the filled-in student notebook, graded against the autograder zip: full marks
    filled = fill_in(student, solutions, workdir / f"{name}-filled.ipynb")
    complete = grade(filled, autograder, workdir)
    if complete.total != complete.max_total:
        problems.append(f"{name}: the filled-in student copy scores {complete.total}/{complete.max_total}")

    print(f"{name}: solutions {solved.total:g}/{solved.max_total:g} "
          f"({hidden} hidden test cases, {seconds:.0f} s); "
          f"student untouched {untouched.total:g}; filled in {complete.total:g}/{complete.max_total:g}; "
          f"{'OK' if not problems else 'FAILED'}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["assign", "prove"])
    parser.add_argument("names", nargs="*", default=list(ASSIGNMENTS))
    args = parser.parse_args(argv)
    for name in args.names:
        if name not in ASSIGNMENTS:
            parser.error(f"unknown assignment {name!r}; choose from {', '.join(ASSIGNMENTS)}")
    if args.command == "assign":
        for name in args.names:
            destination = ROOT / "assignments" / "dist" / name
            subprocess.run(["rm", "-rf", str(destination)], check=True)
            assign(name, destination, run_tests=True)
            print(f"{name}: {destination / 'student'} (give to students), "
                  f"{autograder_zip(destination).relative_to(ROOT)} (grade with `otter run` or Gradescope)")
        return 0
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="assignments-") as tmp:
        for name in args.names:
            problems += prove(name, Path(tmp))
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
