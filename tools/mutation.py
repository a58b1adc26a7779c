"""Mutation testing of the utils modules with mutmut, one module at a time, and the record of it.

    python tools/mutation.py utils/seed.py [utils/text.py ...] [--tests tests/test_x.py ...]
                             [--record benchmarks/results/mutation-DATE.txt] [--jobs N]
                             [--slow-tests tests/test_x.py::test_slow ...]
    python tools/mutation.py --all --record benchmarks/results/mutation-DATE.txt   # hours

mutmut (settings in pyproject.toml, ``[tool.mutmut]``) changes one thing at a time in a module
and runs the tests that cover it; a mutant that no test notices *survives*. Each module runs in
its own scratch copy of the repository (mutmut works in ``mutants/`` there), with only that
module mutated and only the test files that import it selected, so the working tree is never
touched and a module's run costs its own tests, not the whole suite.

The record has one section per module: survivors/total, then every survivor with its change.
A survivor is a behaviour no test checks: kill it with a test, or write under it, on its
``why:`` line, why the change cannot be seen (an equivalent mutant). Re-running a module keeps
the ``why:`` lines of survivors that are still there. The last line printed per module is
``SURVIVORS <module>=N total=T``.

``--slow-tests`` names tests (files or ids) too slow to run for every mutant, such as those that
read the real tweets file: every mutant first runs the other tests, and only those that survive
run again with every test. A mutant a fast test notices is noticed by the whole suite too, so the
statuses are those of one run with every test; the section says it ran in two passes.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOT_LINKED = {".git", "_build", "mutants", "pyproject.toml", "__pycache__", ".pytest_cache", ".mypy_cache"}
SURVIVING = {"survived", "no tests"}  # a timeout or a crash counts as noticed, as pytest -x would
HEADER = """\
# Mutation testing record: `make mutate MODULE=utils/x.py` or `make mutate-all` (tools/mutation.py).
# Per module: survivors/total mutants, then each survivor (line, change) and why it is equivalent.
# A survivor without a reason is a missing test.
"""
PENDING = "(to do: a test that kills it, or why it is equivalent)"


@dataclass
class Survivor:
    """One mutant no test noticed: its mutmut name, status, line in the module and the change."""

    name: str
    status: str
    line: int
    removed: list[str]
    added: list[str]
    why: str = PENDING

    @property
    def change(self) -> str:
        return " / ".join(self.removed) + " -> " + " / ".join(self.added)


@dataclass
class ModuleResult:
    """Counts by mutmut status and the survivors of one module's run."""

    module: str
    counts: dict[str, int]
    survivors: list[Survivor] = field(default_factory=list)
    note: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def imports_module(source: str, dotted: str) -> bool:
    """Whether Python ``source`` imports the module ``dotted`` (``utils.data``) anywhere: ``import
    utils.data``, ``from utils.data import x``, ``from utils import data`` (on several lines too)."""
    package, _, name = dotted.rpartition(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(a.name == dotted or a.name.startswith(dotted + ".")
                                                 for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            if node.module == dotted or node.module.startswith(dotted + "."):
                return True
            if node.module == package and any(a.name == name for a in node.names):
                return True
    return False


def default_tests(repo: Path, module: Path) -> list[str]:
    """Test files that import the module (``utils.training``, ``from utils import training``)."""
    dotted = ".".join(module.with_suffix("").parts)
    found = sorted(str(p.relative_to(repo)) for p in (repo / "tests").glob("test_*.py")
                   if imports_module(p.read_text(encoding="utf-8"), dotted))
    if not found:
        raise SystemExit(f"no test file imports {module}: name the tests with --tests tests/test_x.py")
    return found


def _toml(value: object) -> str:
    """A TOML literal for the values mutmut's settings use (strings, numbers, booleans, lists)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as a mutmut setting: use a string, number, boolean or list")


def sandbox_pyproject(repo: Path, module: Path, tests: list[str]) -> str:
    """The repository's pyproject.toml with ``[tool.mutmut]`` narrowed to one module and its tests."""
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    settings = dict(tomllib.loads(text).get("tool", {}).get("mutmut", {}))
    settings["only_mutate"] = [module.as_posix()]
    settings["pytest_add_cli_args_test_selection"] = tests
    kept = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text).rstrip() + "\n"
    return kept + "\n[tool.mutmut]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in settings.items())


def make_sandbox(repo: Path, where: Path, module: Path, tests: list[str]) -> Path:
    """A scratch copy of the repository: links to everything, its own pyproject.toml."""
    sandbox = where / "repo"
    sandbox.mkdir()
    for entry in repo.iterdir():
        if entry.name not in NOT_LINKED:
            (sandbox / entry.name).symlink_to(entry)
    (sandbox / "pyproject.toml").write_text(sandbox_pyproject(repo, module, tests), encoding="utf-8")
    return sandbox


def _head(repo: Path) -> str:
    """The repository's commit, or ``main`` where it is not a git checkout."""
    found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                           check=False)
    return found.stdout.strip() if found.returncode == 0 else "main"


def mutmut(sandbox: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the mutmut next to this Python in the sandbox (one thread per test process)."""
    tool = Path(sys.executable).with_name("mutmut")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    # The sandbox is not a git checkout: the grading tests pin the course to this one's commit.
    env.setdefault("LSTM_BOOK_COURSE_REF", _head(REPO))
    return subprocess.run([str(tool), *args], cwd=sandbox, env=env, capture_output=True, text=True,
                          check=False)


def parse_results(text: str) -> dict[str, str]:
    """``mutmut results --all true`` lines (``    utils.x.x_f__mutmut_3: survived``) as name -> status."""
    found = (re.match(r"\s*(\S+__mutmut_\d+): (.+)$", line) for line in text.splitlines())
    return {m.group(1): m.group(2).strip() for m in found if m}


def function_span(source: str, mutant: str) -> tuple[int, int] | None:
    """First and last line (decorators included) of the function or method a mutant name names:
    ``utils.x.x_f__mutmut_3`` is ``f``; ``utils.x.xǁKǁm__mutmut_3`` is ``K.m``."""
    name = mutant.rpartition(".")[2].partition("__mutmut_")[0]
    if name.startswith("x_"):
        owner, function = None, name[2:]
    elif name.count("ǁ") == 2:
        _, owner, function = name.split("ǁ")
    else:
        return None
    body = ast.parse(source).body
    if owner is not None:
        body = next((node.body for node in body if isinstance(node, ast.ClassDef) and node.name == owner), [])
    found = next((node for node in body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.name == function), None)
    if found is None or found.end_lineno is None:
        return None
    return min([found.lineno, *(d.lineno for d in found.decorator_list)]), found.end_lineno


def parse_diff(diff: str, source_lines: list[str], mutant: str = "") -> tuple[int, list[str], list[str]]:
    """The module line a ``mutmut show`` diff changes, and its removed and added lines.

    mutmut diffs the function alone (a method dedented), so the hunk counts from the function's
    first line. The hunk's old side (context and removed lines) is looked for in the function the
    mutant name names, so a line written twice in the module is named where it was changed."""
    lines = diff.splitlines()
    hunks = [i for i, line in enumerate(lines) if line.startswith("@@")] + [len(lines)]
    body = lines[hunks[0]:hunks[1] if len(hunks) > 2 else len(lines)]  # the first hunk
    while body and not body[-1].strip():
        body.pop()
    removed = [line[1:].strip() for line in body if line.startswith("-")]
    added = [line[1:].strip() for line in body if line.startswith("+")]
    old_side = [line[1:].strip() for line in body if line[:1] in (" ", "-") or line == ""]
    if not removed:
        return 0, removed, added
    first_removed = next(i for i, line in enumerate(body) if line.startswith("-"))
    before = sum(1 for line in body[1:first_removed] if line[:1] == " " or line == "")
    hunk = re.search(r"^@@ -(\d+)", diff, re.M)
    start = int(hunk.group(1)) if hunk else 1
    span = function_span("\n".join(source_lines), mutant) if mutant else None
    low, high = span if span else (1, len(source_lines))
    guess = (low if span else 1) + start - 1 + before  # where the removed line would be
    stripped = [line.strip() for line in source_lines]
    size = len(old_side)
    blocks = [i + before for i in range(low, high - size + 2)
              if stripped[i - 1:i - 1 + size] == old_side]
    if not blocks:  # the context did not match (a diff of reformatted code): the removed line alone
        blocks = [i for i in range(low, high + 1) if stripped[i - 1] == removed[0]]
    return min(blocks, key=lambda i: abs(i - guess), default=0), removed, added


def first_pass_selection(tests: list[str], slow: list[str]) -> list[str]:
    """The test selection of a first pass: ``tests`` without the ``slow`` ones (files or test ids)."""
    return [*tests, *(arg for test in slow for arg in ("--deselect", test))]


def merge_passes(first: dict[str, str], second: dict[str, str]) -> dict[str, str]:
    """The statuses one run with every test gives: a mutant the first pass (without the slow tests)
    noticed is noticed by every test too; a first-pass survivor has the second pass's status."""
    return {name: second[name] if status in SURVIVING else status for name, status in first.items()}


def _mutmut_pass(repo: Path, where: Path, module: Path, selection: list[str], jobs: int | None,
                 names: list[str] | None = None) -> tuple[Path, dict[str, str]]:
    """One mutmut run in a new sandbox under ``where`` (every mutant, or only ``names``)."""
    where.mkdir()
    sandbox = make_sandbox(repo, where, module, selection)
    run = mutmut(sandbox, "run", *(["--max-children", str(jobs)] if jobs else []), *(names or []))
    statuses = parse_results(mutmut(sandbox, "results", "--all", "true").stdout)
    unchecked = [n for n in names or [] if statuses.get(n) in (None, "not checked")]
    if run.returncode != 0 or not statuses or unchecked:
        tail = (run.stdout + run.stderr)[-3000:]
        raise SystemExit(f"mutmut failed on {module} (do its tests pass? {' '.join(selection)}):\n{tail}")
    return sandbox, statuses


def run_module(repo: Path, module: Path, tests: list[str], jobs: int | None,
               slow: list[str] | None = None) -> ModuleResult:
    """mutmut over one module in a scratch copy; the survivors with their changes. With ``slow``
    tests, every mutant first runs the others, and only the survivors run them all: the same
    statuses as one run, without the slow tests for the mutants a fast test already notices."""
    with tempfile.TemporaryDirectory(prefix="mutation-") as where:
        sandbox, statuses = _mutmut_pass(repo, Path(where) / "first", module,
                                         first_pass_selection(tests, slow or []), jobs)
        note = ""
        if slow:
            again = sorted(name for name, status in statuses.items() if status in SURVIVING)
            if again:
                second = _mutmut_pass(repo, Path(where) / "second", module, tests, jobs, again)[1]
                statuses = merge_passes(statuses, second)
            note = (f"in two passes (the same statuses as one): every mutant without the slow tests "
                    f"{' '.join(slow)}, then the {len(again)} that survived with every test")
        counts: dict[str, int] = {}
        for status in statuses.values():
            counts[status] = counts.get(status, 0) + 1
        lines = (repo / module).read_text(encoding="utf-8").splitlines()
        result = ModuleResult(module.as_posix(), counts, note=note)
        for name, status in sorted(statuses.items(), key=lambda item: _number(item[0])):
            if status in SURVIVING:
                line, removed, added = parse_diff(mutmut(sandbox, "show", name).stdout, lines, name)
                result.survivors.append(Survivor(name, status, line, removed, added))
        result.survivors.sort(key=lambda s: (s.line, _number(s.name)))
        return result


def _number(name: str) -> int:
    return int(name.rsplit("_", 1)[1])


def format_module(result: ModuleResult, date: str, version: str) -> str:
    """One module's section of the record."""
    others = ", ".join(f"{status} {n}" for status, n in sorted(result.counts.items()))
    lines = [f"== {result.module}  survivors {len(result.survivors)}/{result.total}  ({others})"
             f"  {date}, {version}"]
    if result.note:
        lines.append(f"   {result.note}")
    for s in result.survivors:
        lines.append(f"   l.{s.line}  {s.change}" + ("" if s.status == "survived" else f"  [{s.status}]"))
        lines.append(f"       why: {s.why}")
    return "\n".join(lines) + "\n"


def read_record(path: Path) -> dict[str, str]:
    """The sections of an existing record, by module."""
    if not path.exists():
        return {}
    sections = re.split(r"(?m)^(?=== )", path.read_text(encoding="utf-8"))
    return {s.split()[1]: s.rstrip() + "\n" for s in sections if s.startswith("== ")}


def keep_reasons(result: ModuleResult, previous: str | None) -> None:
    """Carry the ``why:`` lines of an earlier section over to survivors with the same change: on
    the same line first (a line written twice can have two reasons), else anywhere."""
    if not previous:
        return
    found = re.findall(r"(?m)^   l\.(\d+)  (.+?)(?:  \[[^\]]+\])?\n       why: (.+)$", previous)
    on_line = {(int(line), change): why for line, change, why in found}
    anywhere = {change: why for _, change, why in found}
    for survivor in result.survivors:
        fallback = anywhere.get(survivor.change, survivor.why)
        survivor.why = on_line.get((survivor.line, survivor.change), fallback)


def write_record(path: Path, sections: dict[str, str]) -> None:
    """Write the record atomically (a temporary file, then a rename), sections sorted by module."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = HEADER + "".join("\n" + sections[m] for m in sorted(sections))
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8",
                                     prefix=path.name, suffix=".tmp") as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def all_modules(repo: Path) -> list[Path]:
    """Every utils module with code in it (``__init__.py`` defines nothing)."""
    return sorted(p.relative_to(repo) for p in (repo / "utils").glob("*.py") if p.name != "__init__.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", type=Path, help="modules to mutate, e.g. utils/text.py")
    parser.add_argument("--all", action="store_true", help="every utils module (hours: an idle machine)")
    parser.add_argument("--tests", nargs="+", help="test files (default: those importing the module)")
    parser.add_argument("--record", type=Path, help="record file to add the modules' sections to")
    parser.add_argument("--jobs", type=int, help="mutants tested at once (default: every CPU)")
    parser.add_argument("--slow-tests", nargs="+", default=[], metavar="TEST",
                        help="test files or ids run only for the mutants that survive the others "
                             "(same result, faster when a few tests are slow)")
    parser.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    modules = all_modules(repo) if args.all else [m.resolve().relative_to(repo) if m.is_absolute() else m
                                                   for m in args.modules]
    if not modules:
        parser.error("name a module (utils/text.py) or pass --all")
    missing = [str(m) for m in modules if not (repo / m).is_file()]
    if missing:
        parser.error(f"no such module: {', '.join(missing)} (give paths like utils/text.py)")
    version = f"mutmut {importlib.metadata.version('mutmut')}"
    sections = read_record(args.record) if args.record else {}
    survivors = 0
    for module in modules:
        result = run_module(repo, module, args.tests or default_tests(repo, module), args.jobs,
                            args.slow_tests)
        if args.record:
            sections = read_record(args.record)  # as it is now, with reasons written meanwhile
        keep_reasons(result, sections.get(module.as_posix()))
        section = format_module(result, datetime.date.today().isoformat(), version)
        print(section, end="")
        print(f"SURVIVORS {module.stem}={len(result.survivors)} total={result.total}", flush=True)
        survivors += len(result.survivors)
        if args.record:  # after every module, so an interrupted run keeps what it measured
            # read again: another run, or reasons written by hand meanwhile, keep their sections
            sections = {**read_record(args.record), module.as_posix(): section}
            write_record(args.record, sections)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
