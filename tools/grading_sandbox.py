"""The grade that counts: a submission's answers run in a separate, guarded process per question.

    python tools/grading_sandbox.py a1_gates submission.ipynb [--seed N] [--out score.json]

Only the top-level ``def``/``class`` statements, literal constants and allowed imports of the
submitted notebook's code cells are loaded (parsed with ``ast``, never executed as a notebook),
into a fresh ``tools/grading_child.py`` process per question, with a timeout. The inputs, the
expected values and the scores are computed here from the seed, never read from the notebook.
A question's public cases must all pass; its points are then shared by its hidden cases, so an
answer that only reproduces the public checks earns nothing.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from tools.grading_cases import Question, questions  # noqa: E402
from tools.grading_child import ALWAYS_ALLOWED, decode, encode  # noqa: E402


@dataclass
class CaseResult:
    """One case: passed or not, hidden or not, and why it failed."""

    name: str
    hidden: bool
    passed: bool
    message: str = ""


@dataclass
class QuestionResult:
    """A question's score, its cases and, if the grading process failed, the reason."""

    name: str
    score: float
    possible: float
    cases: list[CaseResult] = field(default_factory=list)
    reason: str = ""
    cpu_seconds: float = 0.0


def answer_source(notebook: Path, allowed: set[str]) -> tuple[str, list[str]]:
    """The code the grader loads: top-level definitions, literal constants, allowed imports."""
    nb = nbformat.read(notebook, as_version=4)
    kept: list[str] = []
    notes: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            notes.append(f"cell {index} has a syntax error (line {error.lineno}) and was skipped")
            continue
        for node in tree.body:
            if _keep(node, allowed):
                kept.append(ast.get_source_segment(source, node) or "")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                notes.append(
                    f"cell {index}: `{ast.get_source_segment(source, node)}` is not allowed and was ignored"
                )
    return "\n\n".join(kept) + "\n", notes


def _keep(node: ast.stmt, allowed: set[str]) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] in allowed for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] in allowed
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        try:
            ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
        return True
    return False


def run_question(question: Question, source: str) -> QuestionResult:
    """Run one question's cases in a fresh grading process and score them here."""
    nonce = secrets.token_hex(16)
    job = {
        "nonce": nonce,
        "source": source,
        "allowed": sorted(question.allowed),
        **question.guards,
        "cases": [
            {"name": c.name, "probe": c.probe, "payload": encode(c.payload)}
            for c in question.cases
            if c.probe
        ],
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="grading-") as folder:
        try:
            done = subprocess.run(
                [sys.executable, "-I", str(HERE / "grading_child.py")],
                input=json.dumps(job),
                capture_output=True,
                text=True,
                cwd=folder,
                timeout=question.timeout,
                env={
                    "PATH": os.environ.get("PATH", ""),
                    "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(os.cpu_count() or 1)),
                },
            )
        except subprocess.TimeoutExpired:
            return _failed(
                question,
                f"the grading of {question.name} did not finish in {question.timeout} s (an endless loop?)",
            )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in done.stdout.splitlines() if line.startswith(nonce)]
    if not lines:
        return _failed(
            question,
            f"the grading process of {question.name} ended without results "
            f"(exit status {done.returncode}): {done.stderr.strip()[-400:]}",
        )
    report = json.loads(lines[-1][len(nonce) :])
    outputs = {r["name"]: r for r in report["results"]}
    cases = [
        _check(case, outputs.get(case.name if case.probe else case.payload["from"]), cpu)
        for case in question.cases
    ]
    public_ok = all(c.passed for c in cases if not c.hidden)
    hidden = [c for c in cases if c.hidden]
    share = (sum(c.passed for c in hidden) / len(hidden)) if hidden else 1.0
    score = question.points * share if public_ok else 0.0
    reason = report.get("load_error") or ""
    return QuestionResult(
        question.name,
        round(score, 4),
        question.points,
        cases,
        f"loading the answers raised {reason}" if reason else "",
        round(cpu, 1),
    )


def _check(case: Any, output: dict[str, Any] | None, cpu: float) -> CaseResult:
    if output is None:
        return CaseResult(case.name, case.hidden, False, "no result for this case")
    if "error" in output:
        return CaseResult(case.name, case.hidden, False, f"your code raised {output['error']}")
    try:
        case.check(decode(output["output"]), cpu)
    except AssertionError as error:
        return CaseResult(case.name, case.hidden, False, str(error))
    except Exception as error:  # noqa: BLE001 - a result of the wrong kind fails its case, with why
        return CaseResult(
            case.name, case.hidden, False, f"the result has the wrong form ({type(error).__name__}: {error})"
        )
    return CaseResult(case.name, case.hidden, True)


def _failed(question: Question, reason: str) -> QuestionResult:
    cases = [CaseResult(c.name, c.hidden, False, reason) for c in question.cases]
    return QuestionResult(question.name, 0.0, question.points, cases, reason)


def grade(name: str, notebook: Path, *, seed: int = 0, only: set[str] | None = None) -> list[QuestionResult]:
    """Grade a submitted notebook: one isolated process per question."""
    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook} does not exist: pass the submitted .ipynb file")
    results = []
    for question in questions(name, seed):
        if only and question.name not in only:
            continue
        source, _ = answer_source(notebook, ALWAYS_ALLOWED | question.allowed)
        results.append(run_question(question, source))
    return results


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a temporary file in the same folder, then ``os.replace``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(handle, "w") as file:
        json.dump(data, file, indent=1)
    os.replace(temporary, path)


def summary(name: str, results: list[QuestionResult]) -> dict[str, Any]:
    """The score file: total, per question score and every case's outcome."""
    return {
        "assignment": name,
        "score": round(sum(r.score for r in results), 4),
        "possible": sum(r.possible for r in results),
        "questions": [asdict(r) for r in results],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("assignment")
    parser.add_argument("notebook", type=Path)
    parser.add_argument(
        "--seed",
        type=int,
        default=int(os.environ.get("LSTM_BOOK_GRADING_SEED", "0")),
        help="the term's seed (tools/assignments.py variant); 0 is the public one",
    )
    parser.add_argument("--out", type=Path, help="write the score JSON here")
    args = parser.parse_args(argv)
    results = grade(args.assignment, args.notebook, seed=args.seed)
    data = summary(args.assignment, results)
    for result in results:
        print(
            f"{result.name}: {result.score:g}/{result.possible:g}"
            + (f"  ({result.reason})" if result.reason else "")
        )
        for case in result.cases:
            if not case.passed:
                print(f"  {'hidden' if case.hidden else 'public'} {case.name}: {case.message}")
    print(f"total: {data['score']:g}/{data['possible']:g}")
    if args.out:
        write_json(args.out, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
