"""Mutation testing for one module: change one thing at a time and check that a test fails.

    python tools/mutate.py utils/training.py [--tests tests/test_training.py ...]
                           [--max N] [--lines A-B] [--timeout S] [--list]

Each mutant is one small change to the module's syntax tree: a comparison flipped (``<`` to
``<=`` or ``>``), ``+`` and ``-`` swapped, a number off by one, ``True``/``False`` swapped, ``and``
and ``or`` swapped, a ``not`` dropped, an ``if`` condition negated, a call statement such as
``model.eval()`` or an augmented assignment deleted, a returned value replaced by ``None``.

A line marked ``# pragma: no mutate`` is left alone: use it only where every change is
equivalent (a placeholder value nothing reads) and say why on the line.

The tests run in a temporary copy of the repository (``utils/`` and ``tests/`` copied, everything
else linked), so the module in the working tree is never modified, even if the run is
interrupted. Default tests: the test files that import the module, else all of ``tests/``;
pytest runs them with ``-x -q`` and a time limit per mutant (a mutant that hangs counts as
killed). A mutant that survives is a behaviour no test checks: each is printed with its line.
The last line is ``SURVIVORS <module>=N killed=M total=T``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COPIED = ("utils", "tests")  # copied into the sandbox; the rest of the repository is linked
PRAGMA = "pragma: no mutate"  # on a line whose mutants are equivalent by design (say why beside it)
SKIPPED_LINKS = {".git", ".venv", "_build", "build", "__pycache__", ".pytest_cache", ".mypy_cache"}

COMPARE_SWAPS: dict[type, list[type]] = {
    ast.Lt: [ast.LtE, ast.Gt],
    ast.LtE: [ast.Lt, ast.Gt],
    ast.Gt: [ast.GtE, ast.Lt],
    ast.GtE: [ast.Gt, ast.Lt],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
    ast.Is: [ast.IsNot],
    ast.IsNot: [ast.Is],
    ast.In: [ast.NotIn],
    ast.NotIn: [ast.In],
}
BINOP_SWAPS: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
}


@dataclass(frozen=True)
class Mutant:
    line: int
    description: str
    source: str  # the whole mutated module


# A rule takes a node and yields (description, replacement node or None for "delete").
Rule = Callable[[ast.AST], Iterator[tuple[str, ast.AST | None]]]


def _op_name(op: ast.AST) -> str:
    symbols = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
               ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+",
               ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
               ast.And: "and", ast.Or: "or"}
    return symbols.get(type(op), type(op).__name__)


def _mutations(node: ast.AST) -> Iterator[tuple[str, ast.AST | None]]:
    """Every single-node change this tool makes to ``node``."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for new_op in COMPARE_SWAPS.get(type(op), []):
                new = copy.deepcopy(node)
                new.ops[i] = new_op()
                yield f"{_op_name(op)} -> {_op_name(new_op())}", new
    elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in BINOP_SWAPS:
        arithmetic = copy.deepcopy(node)
        arithmetic.op = BINOP_SWAPS[type(node.op)]()
        yield f"{_op_name(node.op)} -> {_op_name(arithmetic.op)}", arithmetic
    elif isinstance(node, ast.BoolOp):
        logic = copy.deepcopy(node)
        logic.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield f"{_op_name(node.op)} -> {_op_name(logic.op)}", logic
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        yield f"drop unary {'not' if isinstance(node.op, ast.Not) else '-'}", node.operand
    elif isinstance(node, ast.Constant):
        yield from _constant_mutations(node)


def _constant_mutations(node: ast.Constant) -> Iterator[tuple[str, ast.AST | None]]:
    value = node.value
    if isinstance(value, bool):
        yield f"{value} -> {not value}", ast.Constant(not value)
    elif isinstance(value, int):
        yield f"{value} -> {value + 1}", ast.Constant(value + 1)
        yield f"{value} -> {value - 1}", ast.Constant(value - 1)
    elif isinstance(value, float):
        yield f"{value!r} -> {value + 1.0!r}", ast.Constant(value + 1.0)
        if value:
            yield f"{value!r} -> {value / 2!r}", ast.Constant(value / 2)


def _statement_mutations(node: ast.AST) -> Iterator[tuple[str, ast.AST | None]]:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield f"delete call {ast.unparse(node.value.func)}(...)", None
    elif isinstance(node, ast.AugAssign):
        yield f"delete {ast.unparse(node.target)} {_op_name(node.op)}= ...", None
    elif isinstance(node, ast.Return) and node.value is not None and not (
        isinstance(node.value, ast.Constant) and node.value.value is None
    ):
        yield "return None", ast.Return(ast.Constant(None))
    elif isinstance(node, ast.If | ast.While):
        new = copy.deepcopy(node)
        new.test = ast.UnaryOp(ast.Not(), node.test)
        yield f"negate {type(node).__name__.lower()} condition", new


class _Spans:
    """Byte offsets of nodes in a module's source (ast columns count UTF-8 bytes)."""

    def __init__(self, source: str) -> None:
        self.encoded = source.encode("utf-8")
        self.line_starts, total = [], 0
        for line in self.encoded.splitlines(keepends=True):
            self.line_starts.append(total)
            total += len(line)
        self.line_starts.append(total)

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.line_starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        return start, self.line_starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.encoded[start:end].decode("utf-8")

    def replace(self, node: ast.AST, text: str) -> str:
        start, end = self.span(node)
        return (self.encoded[:start] + text.encode("utf-8") + self.encoded[end:]).decode("utf-8")


def _never_mutated(tree: ast.Module) -> Iterator[ast.AST]:
    """Docstrings, annotations, default values, f-strings, imports and ``assert`` messages."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                yield first
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defaults = [node.returns, *node.args.defaults, *node.args.kw_defaults]
            yield from (n for n in defaults if n is not None)
            yield from (a.annotation for a in ast.walk(node.args) if isinstance(a, ast.arg) and a.annotation)
        if isinstance(node, ast.AnnAssign):
            yield node.annotation
        if isinstance(node, ast.JoinedStr | ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.Assert) and node.msg is not None:
            yield node.msg


def mutants(source: str, lines: tuple[int, int] | None = None) -> list[Mutant]:
    """All mutants of a module's source, in line order; each is the whole mutated module."""
    tree, spans = ast.parse(source), _Spans(source)
    excluded = [spans.span(node) for node in _never_mutated(tree)]
    skipped = {n for n, line in enumerate(source.splitlines(), 1) if PRAGMA in line}
    found: dict[str, Mutant] = {}
    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or (lines and not lines[0] <= node.lineno <= lines[1]):
            continue
        if node.lineno in skipped:
            continue
        start, end = spans.span(node)
        if any(a <= start and end <= b for a, b in excluded):
            continue
        rule = _statement_mutations if isinstance(node, ast.stmt) else _mutations
        for description, new in rule(node):
            mutated = spans.replace(node, _replacement(node, new, spans))
            if mutated != source and _compiles(mutated):
                found.setdefault(mutated, Mutant(node.lineno, description, mutated))
    return sorted(found.values(), key=lambda m: m.line)


def _replacement(node: ast.AST, new: ast.AST | None, spans: _Spans) -> str:
    if new is None:
        return "pass"
    if isinstance(node, ast.If | ast.While):  # keep the body's text: only the condition changes
        original, test = spans.text(node), spans.text(node.test)
        keyword = "if" if isinstance(node, ast.If) else "while"
        return original.replace(f"{keyword} {test}", f"{keyword} not ({test})", 1)
    if isinstance(node, ast.stmt):
        return ast.unparse(new)
    return f"({ast.unparse(new)})"


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec")
    except SyntaxError:
        return False
    return True


def default_tests(repo: Path, module: Path) -> list[str]:
    """Test files that import the module (``utils.training``, ``from utils import training``)."""
    dotted = ".".join(module.with_suffix("").parts)
    package, name = dotted.rsplit(".", 1) if "." in dotted else ("", dotted)
    pattern = re.compile(rf"(?m)^\s*(from\s+{re.escape(dotted)}\s+import|import\s+{re.escape(dotted)}\b|"
                         rf"from\s+{re.escape(package)}\s+import\s+.*\b{re.escape(name)}\b)")
    found = sorted(str(p.relative_to(repo)) for p in (repo / "tests").glob("test_*.py")
                   if pattern.search(p.read_text(encoding="utf-8")))
    return found or ["tests"]


def make_sandbox(repo: Path, where: Path) -> Path:
    """A copy of the repository in which a module can be changed without touching the original."""
    sandbox = where / "repo"
    sandbox.mkdir()
    for entry in repo.iterdir():
        if entry.name in SKIPPED_LINKS:
            continue
        if entry.name in COPIED and entry.is_dir():
            shutil.copytree(entry, sandbox / entry.name, ignore=shutil.ignore_patterns("__pycache__"))
        elif entry.is_file():
            shutil.copy2(entry, sandbox / entry.name)
        else:
            (sandbox / entry.name).symlink_to(entry)
    return sandbox


PRELOADED = ("numpy", "torch", "pandas", "sklearn", "matplotlib", "tqdm", "hypothesis", "pytest")


def preload() -> None:
    """Import the heavy libraries once; each mutant's test run is a fork that starts with them loaded
    (seconds saved per mutant). Never ``utils`` or the tests: those come fresh from the sandbox."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # two test processes never fight over threads
    for name in PRELOADED:
        try:
            __import__(name)
        except ImportError:
            pass


def run_tests(sandbox: Path, tests: list[str], timeout: float) -> bool:
    """Run pytest on ``tests`` in the sandbox in a forked child; True if they pass within ``timeout``."""
    pid = os.fork()
    if pid == 0:  # the child: its own session (Ctrl-C goes to the parent), quiet, in the sandbox
        code = 3
        try:
            os.setsid()
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            os.chdir(sandbox)
            sys.path.insert(0, str(sandbox))
            os.environ["PYTHONPATH"] = str(sandbox)  # for subprocesses the tests start
            import pytest

            code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests]))
        finally:
            os._exit(code)
    deadline, done = time.monotonic() + timeout, 0
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status) == 0
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
    finally:
        if not done:
            os.killpg(pid, 9)
            os.waitpid(pid, 0)


def parse_lines(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    return int(first), int(last or first)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="path of the module, relative to the repository (utils/text.py)")
    parser.add_argument("--tests", nargs="+", help="test files or node ids (default: those importing it)")
    parser.add_argument("--max", type=int, help="test at most this many mutants")
    parser.add_argument("--lines", type=parse_lines, help="only lines A-B of the module")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 3x the clean run + 30)")
    parser.add_argument("--list", action="store_true", help="list the mutants without running tests")
    parser.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up the sandbox when killed too
    repo = args.repo.resolve()
    module = Path(args.module)
    module = module.resolve().relative_to(repo) if module.is_absolute() else module
    source = (repo / module).read_text(encoding="utf-8")
    found = mutants(source, args.lines)[: args.max]
    if args.list:
        for m in found:
            print(f"{module}:{m.line}: {m.description}")
        print(f"{len(found)} mutants")
        return 0
    tests = args.tests or default_tests(repo, module)
    return run(repo, module, found, tests, args.timeout)


def run(repo: Path, module: Path, found: list[Mutant], tests: list[str], timeout: float | None) -> int:
    name = module.stem
    with tempfile.TemporaryDirectory(prefix="mutate-") as where:
        sandbox = make_sandbox(repo, Path(where))
        target = sandbox / module
        print(f"{module}: {len(found)} mutants; tests: {' '.join(tests)}", flush=True)
        preload()
        start = time.perf_counter()
        passed = run_tests(sandbox, tests, timeout or 1800)
        seconds = time.perf_counter() - start
        if not passed:
            print(f"the tests fail before any mutation: fix them first ({' '.join(tests)})")
            return 2
        limit = timeout or 3 * seconds + 30
        survivors, killed = [], 0
        try:
            for index, mutant in enumerate(found, 1):
                target.write_text(mutant.source, encoding="utf-8")
                alive = run_tests(sandbox, tests, limit)
                if alive:
                    survivors.append(mutant)
                    print(f"SURVIVED {module}:{mutant.line}: {mutant.description}", flush=True)
                else:
                    killed += 1
                print(f"  [{index}/{len(found)}] killed {killed}, survived {len(survivors)}",
                      file=sys.stderr, flush=True)
        except (KeyboardInterrupt, SystemExit):  # Ctrl-C or kill: still report what was measured
            print(f"interrupted after {killed + len(survivors)} of {len(found)} mutants")
        lines = source_lines(repo / module)
        for mutant in survivors:
            print(f"  {module}:{mutant.line}: {mutant.description:<32} | {lines[mutant.line - 1].strip()}")
        print(f"SURVIVORS {name}={len(survivors)} killed={killed} total={killed + len(survivors)}")
    return 1 if survivors else 0


def source_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


if __name__ == "__main__":
    sys.exit(main())
