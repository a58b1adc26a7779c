"""Build the graded assignments and prove their autograders right.

    python tools/assignments.py assign [NAME ...]   # -> assignments/dist/NAME/{student,autograder}
    python tools/assignments.py prove [NAME ...]    # the five proofs `make test` runs
    python tools/assignments.py prove --full --record FILE a3_sentiment   # with A3 q4's training
    python tools/assignments.py variant [--seed N] [--out FILE]   # a private term's grading seed

``prove`` generates each assignment in a temporary folder and checks that

1. the student notebook contains no line of solution code and its tests folder no hidden test;
2. the student notebook, untouched, runs top to bottom ("Run all") without an error: the demo
   cells wait for the answers (``utils.grading.ready``) instead of crashing;
3. the untouched student notebook is graded without crashing, scores nothing, and every failed
   test case says what it expected (an ``AssertionError`` with a message, not a crash);
4. the student notebook with the answer cells filled in from the solutions, graded with
   ``otter run`` against the autograder zip (public and hidden tests), gets full marks
   (A1 and A2; A3's otter run would train a second time);
5. the grade that counts (``tools/grading_sandbox.py``, each question in its own guarded
   process): the filled-in copy gets full marks, the untouched copy 0, every attempt at gaming
   the grader in ``tools/grading_attacks.py`` 0 on its question and every honest alternative
   full marks on its question.

Grades are read from the ``GradingResults`` object that ``otter run --pickle-results`` saves,
not from the text otter prints.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import io
import multiprocessing
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dill
import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.colab_pins import write_atomically  # noqa: E402
from tools.grading_attacks import ATTEMPTS, with_answer  # noqa: E402
from tools.grading_cases import questions  # noqa: E402
from tools.grading_sandbox import grade as grade_isolated  # noqa: E402
from utils.grading import ASSIGNMENTS, assign  # noqa: E402

ANSWER_TAG = "otter_answer_cell"
# Questions whose full-marks run is too slow for `make test`: A3's q4 trains the model in the
# grading process (its untouched and gaming copies are still graded, and fail fast).
NOT_PROVED_FULL = {"a3_sentiment": {"q4"}}
SOLUTION_TAG = "otter_assign_solution_cell"


@dataclass(frozen=True)
class Case:
    """One test case of a question: whether it passed, whether it is hidden, and otter's message."""

    name: str
    passed: bool
    hidden: bool
    message: str

    @property
    def explains_itself(self) -> bool:
        """A failure that ends in ``AssertionError: <what was expected>`` rather than a crash."""
        return re.search(r"^AssertionError: \S", self.message, re.MULTILINE) is not None


@dataclass
class Grade:
    """What ``otter run`` gave one notebook: points per question and each question's test cases."""

    scores: dict[str, float]
    possible: dict[str, float]
    cases: dict[str, list[Case]]
    printed: list[str]  # what the graded notebook's cells printed, line by line

    @property
    def total(self) -> float:
        return sum(self.scores.values())

    @property
    def max_total(self) -> float:
        return sum(self.possible.values())

    @property
    def output(self) -> dict[str, str]:
        """Per question, the messages of its failed test cases."""
        return {q: "\n".join(c.message for c in cases if not c.passed) for q, cases in self.cases.items()}


def autograder_zip(built: Path) -> Path:
    zips = sorted((built / "autograder").glob("*-autograder_*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one autograder zip in {built / 'autograder'}, found {len(zips)}")
    return zips[0]


def grade(notebook: Path, autograder: Path, workdir: Path) -> Grade:
    """Grade a notebook with ``otter run`` (no container) and read the results object it saves."""
    out = Path(tempfile.mkdtemp(dir=workdir, prefix="run-"))
    command = [sys.executable, "-m", "otter", "run", "--no-logo", "--pickle-results",
               "-a", str(autograder.resolve()), "-o", str(out), str(notebook.resolve())]
    result = subprocess.run(command, capture_output=True, text=True, cwd=out)
    pickled = out / "results.pkl"
    if result.returncode != 0 or not pickled.is_file():
        raise RuntimeError(
            f"otter run crashed on {notebook}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    with pickled.open("rb") as handle:
        results = dill.load(handle)
    if getattr(results, "_catastrophic_error", None) is not None:
        raise RuntimeError(f"otter could not grade {notebook}: {results._catastrophic_error}")
    questions = results.results  # question name -> otter TestFile
    return Grade(
        scores={q: float(t.score) for q, t in questions.items()},
        possible={q: float(t.possible) for q, t in questions.items()},
        cases={q: [Case(r.test_case.name, bool(r.passed), bool(r.test_case.hidden), r.message or "")
                   for r in t.test_case_results] for q, t in questions.items()},
        printed=[line for cell in (results.notebook.cells if results.notebook else [])
                 for output in cell.get("outputs", []) if output.get("output_type") == "stream"
                 for line in output.get("text", "").splitlines()],
    )


def run_all(notebook: Path, *, timeout: int = 900) -> list[str]:
    """Execute a notebook top to bottom in its folder ("Run all"); the cells that raised, if any."""
    nb = nbformat.read(notebook, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=timeout, allow_errors=True,
                                     resources={"metadata": {"path": str(notebook.parent)}})
    client.execute()
    failures = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.output_type == "error":
                first_line = cell.source.splitlines()[0] if cell.source else ""
                failures.append(f"cell {index} ({first_line!r}): {output.ename}: {output.evalue}")
    return failures


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


def prove(name: str, workdir: Path, *, full: bool = False) -> list[str]:
    """Run the five proofs for one assignment; return the problems found (empty when all hold).
    ``full``: also the full-marks runs that are too slow for `make test` (``NOT_PROVED_FULL``)."""
    problems: list[str] = []
    built = assign(name, workdir / name)
    autograder = autograder_zip(built)
    student = built / "student" / f"{name}.ipynb"
    solutions = built / "autograder" / f"{name}.ipynb"

    # 1. no solution code and no hidden test in what students get, and hidden tests exist
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

    # 2. "Run all" on the untouched student notebook: no cell raises
    for failure in run_all(student):
        problems.append(f"{name}: the untouched student notebook crashes on Run all, {failure}")

    # 3. the untouched student notebook: graded, zero, every failure says what was expected
    untouched = grade(student, autograder, workdir)
    if untouched.total != 0:
        problems.append(f"{name}: the unmodified student notebook scores {untouched.total}, expected 0")
    for question, cases in untouched.cases.items():
        failed = [case for case in cases if not case.passed]
        unfriendly = [case for case in failed if not case.explains_itself]
        if not failed or unfriendly:
            problems.append(f"{name}: {question} fails without a message saying what was expected:\n"
                            + (unfriendly[0].message if unfriendly else "no test case failed"))

    # 4. the filled-in student notebook, graded against the autograder zip: full marks on every
    #    test, public and hidden (this also proves the solutions right: they are the answers)
    filled = fill_in(student, solutions, workdir / f"{name}-filled.ipynb")
    problems += prove_isolated(name, student, filled, workdir, full=full)
    if name == "a3_sentiment":
        verdict = "OK" if not problems else "FAILED"
        print(f"{name}: untouched scores {untouched.total:g} with otter; {verdict}")
        return problems
    start = time.perf_counter()
    complete = grade(filled, autograder, workdir)
    seconds = time.perf_counter() - start
    hidden = sum(case.hidden for cases in complete.cases.values() for case in cases)
    if hidden == 0:
        problems.append(f"{name}: no hidden tests")
    for question, cases in complete.cases.items():
        for case in cases:
            if not case.passed:
                problems.append(f"{name}: the filled-in copy fails {question} {case.name}:\n{case.message}")
    if complete.total != complete.max_total:
        problems.append(f"{name}: the filled-in student copy scores {complete.total}/{complete.max_total}")

    for line in complete.printed:  # the measured results behind thresholds (A3's accuracy)
        if re.search(r"accuracy|trained in", line):
            print(f"{name}, filled in: {line.strip()}")
    print(f"{name}: untouched scores {untouched.total:g}; filled in {complete.total:g}/"
          f"{complete.max_total:g} ({hidden} hidden test cases, graded in {seconds:.0f} s); "
          f"{'OK' if not problems else 'FAILED'}")
    return problems


def prove_isolated(name: str, student: Path, filled: Path, workdir: Path, *, full: bool = False) -> list[str]:
    """Proof 5: the isolated grader's marks for the filled-in, untouched and gaming submissions."""
    problems = []
    start = time.perf_counter()
    skipped = set() if full else NOT_PROVED_FULL.get(name, set())
    if skipped:
        print(f"{name}: full marks of {', '.join(sorted(skipped))} not run here (slow): "
              "`make assignments-prove-full` runs them")
    full = grade_isolated(name, filled, only={q.name for q in questions(name, 0)} - skipped)
    for result in full:
        if result.score != result.possible:
            failed = [f"{c.name}: {c.message}" for c in result.cases if not c.passed]
            problems.append(f"{name}: the filled-in copy gets {result.score}/{result.possible} on "
                            f"{result.name} from the isolated grader {result.reason} {failed[:2]}")
    blank = sum(r.score for r in grade_isolated(name, student))
    if blank != 0:
        problems.append(f"{name}: the untouched copy scores {blank} with the isolated grader, expected 0")
    attempts = [a for a in ATTEMPTS if a.assignment == name]
    for index, attempt in enumerate(attempts):
        base = filled if attempt.function else student
        notebook = with_answer(base, attempt, workdir / f"{name}-attempt-{index}.ipynb")
        result = grade_isolated(name, notebook, only={attempt.question})[0]
        wanted = result.possible if attempt.honest else 0.0
        if result.score != wanted:
            kind = "honest" if attempt.honest else "gaming"
            problems.append(f"{name}: {kind} attempt {attempt.label!r} gets "
                            f"{result.score}/{result.possible} on {attempt.question}, expected {wanted}")
    got, possible = sum(r.score for r in full), sum(r.possible for r in full)
    print(f"{name}: isolated grader: filled in {got:g}/{possible:g}, "
          f"untouched {blank:g}, {len(attempts)} gaming and honest attempts checked in "
          f"{time.perf_counter() - start:.0f} s"
          + (f" (full marks not proved here: {sorted(skipped)})" if skipped else ""))
    return problems


def variant(seed: int | None, out: Path | None = None) -> int:
    """A term's private seed for the isolated grader: new hidden inputs and constants, same questions."""
    if seed is None:
        seed = secrets.randbelow(2**31 - 1) + 1
    if not 0 < seed < 2**63:
        raise ValueError(f"--seed must be a positive integer below 2**63 (0 is the public seed), got {seed}")
    for name in ASSIGNMENTS:
        public, term = questions(name, 0), questions(name, seed)
        changed = sum(
            repr(a.payload) != repr(b.payload)
            for q, r in zip(public, term, strict=True)
            for a, b in zip(q.cases, r.cases, strict=True)
            if a.hidden
        )
        hidden = sum(c.hidden for q in public for c in q.cases)
        print(f"{name}: {changed} of {hidden} hidden cases get new inputs")
    line = f"LSTM_BOOK_GRADING_SEED={seed}"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}-")
        with os.fdopen(handle, "w") as file:
            file.write(line + "\n")
        os.replace(temporary, out)
        print(f"wrote {out}; keep it private")
    print(f"grade this term with: {line} python tools/grading_sandbox.py NAME submission.ipynb")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["assign", "prove", "variant"])
    parser.add_argument("names", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--seed", type=int, help="variant: the term's seed (a random one if not given)")
    parser.add_argument("--out", type=Path, help="variant: also write LSTM_BOOK_GRADING_SEED=N to this file")
    parser.add_argument("--full", action="store_true",
                        help="prove: also the slow full-marks runs (A3's q4 trains the model, ~10 min)")
    parser.add_argument("--record", type=Path, help="prove: also write what it prints to this file")
    args = parser.parse_intermixed_args(argv)
    if args.command == "variant":
        try:
            return variant(args.seed, args.out)
        except ValueError as error:
            parser.error(str(error))
    for name in args.names:
        if name not in ASSIGNMENTS:
            parser.error(f"unknown assignment {name!r}; choose from {', '.join(ASSIGNMENTS)}")
    if args.command == "assign":
        for name in args.names:
            destination = ROOT / "assignments" / "dist" / name
            shutil.rmtree(destination, ignore_errors=True)
            assign(name, destination, run_tests=True)
            print(f"{name}: {destination / 'student'} (give to students), "
                  f"{autograder_zip(destination).relative_to(ROOT)} (grade with `otter run` or Gradescope)")
        return 0
    problems: list[str] = []
    printed = io.StringIO()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="assignments-") as tmp, _tee(printed):
        workers = min(len(args.names), os.cpu_count() or 1)
        if workers > 1 and not args.record:
            # one process per assignment, as many at a time as there are cores: each proof is
            # mostly single-threaded work (otter, kernels, grading processes)
            spawn = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(workers, mp_context=spawn) as pool:
                runs = [pool.submit(prove, name, Path(tmp), full=args.full) for name in args.names]
                for run in runs:
                    problems += run.result()
        else:
            for name in args.names:
                problems += prove(name, Path(tmp), full=args.full)
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    if args.record:
        command = "python tools/assignments.py prove" + (" --full" if args.full else "")
        header = (f"{command} {' '.join(args.names)}  ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
                  f"commit {_commit()}, {time.perf_counter() - started:.0f} s)")
        body = printed.getvalue() + "".join(f"PROBLEM: {p}\n" for p in problems)
        verdict = "all proofs hold" if not problems else f"{len(problems)} problems"
        write_atomically(args.record, f"{header}\n{body}{verdict}\n")
    return 1 if problems else 0


@contextlib.contextmanager
def _tee(buffer: io.StringIO) -> Iterator[None]:
    """Print as usual and keep a copy of stdout in ``buffer``."""
    stdout = sys.stdout

    class Tee(io.TextIOBase):
        def write(self, text: str) -> int:
            buffer.write(text)
            return stdout.write(text)

        def flush(self) -> None:
            stdout.flush()

    sys.stdout = Tee()
    try:
        yield
    finally:
        sys.stdout = stdout


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                             capture_output=True, text=True).stdout.strip()
    return (done.stdout.strip() or "unknown") + (" with uncommitted changes" if changed else "")


if __name__ == "__main__":
    sys.exit(main())
