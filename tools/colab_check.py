"""Run the course as a student meets it on Google Colab, with Colab's package versions.

    python tools/colab_check.py [--only NAME ...] [--record ci/colab-check.txt]

``make colab-check`` runs this. It is slow the first time (it installs Colab's torch from PyPI,
a few GB) and outside ``make test``. What it does:

1. **Colab's packages.** A virtual environment in ``_build/colab-env`` with Colab's Python minor
   version (from pyenv, or ``pythonX.Y`` on the PATH) and the versions in ``ci/colab-pins.txt``
   (written by tools/colab_pins.py from googlecolab/backend-info), plus nbval to run the
   notebooks. It is reused while the pin file is unchanged, and put back to that state (pip
   freeze) at every start, so each run meets Colab as it is before a student installs anything.
2. **The course URL.** The working tree's files (tracked, and new ones git does not ignore) are
   committed into a temporary repository, and a temporary ``HOME`` whose git configuration
   rewrites the course's GitHub URL to it (``url.<path>.insteadOf``): the setup cell's
   ``git clone`` fetches this copy.
3. **google.colab.** A package of that name on ``PYTHONPATH``, and the kernel class set to
   ``google.colab._kernel.Kernel`` with the shell ``google.colab._shell.Shell`` (Colab's names),
   so that the setup cell and otter-grader both see Colab.
4. **The notebooks.** Each chapter is copied to ``/content`` (removed first, as on a new runtime)
   and run by ``pytest --nbval-lax`` in quick mode: the setup cell clones and installs, then
   every cell runs; GPU cells skip themselves.
5. **The assignments.** Student copies are built with ``otter assign`` (the instructor's side,
   this environment); a blank one and one with the solutions filled in are each run top to bottom
   in ``/content`` with no tests folder, as a student opens them on Colab: the grader installs
   otter-grader and builds the public tests. Every ``grader.check`` must fail with a message on
   the blank copy and pass on the filled-in one; no cell may raise.
6. **Colab's packages are left alone.** ``pip freeze`` before and after: neither the setup cells
   nor the grader may change the version of (or remove) a package Colab has.

One line per notebook and assignment, then a summary; exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.assignments import fill_in  # noqa: E402
from tools.colab_pins import PINS, normalize, read_pins, write_atomically  # noqa: E402
from tools.notebooks import COURSE_DIR_ON_COLAB, repository_url  # noqa: E402
from utils.grading import ASSIGNMENTS, assign  # noqa: E402

ENV = ROOT / "_build" / "colab-env"
CONTENT = Path(COURSE_DIR_ON_COLAB).parent  # /content, Colab's working folder
MARKER = ".lstm-book-colab-check"  # a /content made by this tool carries this file
TOOLS = ("nbval==0.11.0", "coverage")  # what runs the notebooks; not part of Colab

FAKE_COLAB = '''"""A stand-in for Colab's google.colab package (tools/colab_check.py)."""
'''
FAKE_SHELL = '''"""Colab's IPython shell class, by name: otter-grader recognises Colab from it."""
from ipykernel.zmqshell import ZMQInteractiveShell


class Shell(ZMQInteractiveShell):
    pass
'''
FAKE_KERNEL = '''"""Colab's kernel class, by name, with its shell."""
from ipykernel.ipkernel import IPythonKernel
from traitlets import Type

from google.colab._shell import Shell


class Kernel(IPythonKernel):
    shell_class = Type(Shell)
'''
KERNEL_CONFIG = 'c.IPKernelApp.kernel_class = "google.colab._kernel.Kernel"\n'

# Appended to an assignment copy: every question's check, as data.
REPORT_CELL = '''import json as _json
_report = {}
for _q in sorted(p.stem for p in __import__("pathlib").Path(grader._tests_dir).glob("q*.py")):
    _t = grader.check(_q)
    _report[_q] = [[bool(r.passed), r.message or ""] for r in _t.test_case_results]
print("COLAB-CHECK-REPORT " + _json.dumps(_report))
'''


@dataclass
class Line:
    """One line of the report: what was checked, whether it held, and why not."""

    name: str
    ok: bool
    detail: str
    seconds: float

    def __str__(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}  {self.name:<32} {self.seconds:5.0f} s  {self.detail}"


def say(text: str) -> None:
    print(text, flush=True)


def earlier_lines(record: str, run_now: set[str]) -> list[str]:
    """The PASS/FAIL lines of an earlier ``record`` for the notebooks and assignments not in
    ``run_now``, each marked with that run's date, so that a run of a few chapters (``--only``)
    completes the record instead of replacing it."""
    date = re.search(r"^Colab check, (\d{4}-\d{2}-\d{2})", record, re.MULTILINE)
    kept = []
    for line in record.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0] not in ("PASS", "FAIL") or fields[1] == "setup":
            continue
        if fields[1] in run_now:
            continue
        if "(earlier run:" not in line and date:
            line += f"  (earlier run: {date.group(1)})"
        kept.append(line)
    return kept


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


# 1. Colab's packages -------------------------------------------------------------------------


def colab_python(version: str) -> str:
    """An interpreter of Colab's minor version: pyenv's, else ``pythonX.Y`` on the PATH."""
    minor = ".".join(version.split(".")[:2])
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv.glob(f"{minor}.*"), reverse=True):
        if (candidate / "bin" / "python").is_file():
            return str(candidate / "bin" / "python")
    found = shutil.which(f"python{minor}")
    if found:
        return found
    raise SystemExit(f"Colab runs Python {version}; install Python {minor} (for example "
                     f"`pyenv install {minor}`) or put python{minor} on the PATH")


def freeze(python: Path) -> dict[str, str]:
    """``pip freeze`` as {normalized name: version or URL}."""
    out = run([str(python), "-m", "pip", "freeze", "--all"], check=True).stdout
    packages = {}
    for line in out.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==|@)\s*(.+)$", line.strip())
        if match:
            packages[normalize(match.group(1))] = match.group(2).strip()
    return packages


def build_environment(pins: Path) -> Path:
    """The Colab-like venv, built or reused, and put back to its state after the build."""
    version, _ = read_pins(pins)
    python = ENV / "bin" / "python"
    stamp, base = ENV / ".pins-sha256", ENV / ".base-freeze.json"
    digest = hashlib.sha256(pins.read_bytes() + "\n".join(TOOLS).encode()).hexdigest()
    if not (stamp.is_file() and stamp.read_text() == digest and base.is_file()):
        if not python.is_file():
            say(f"building {ENV.relative_to(ROOT)} with Python {version} (torch from PyPI is a few GB) ...")
            run([colab_python(version), "-m", "venv", str(ENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--progress-bar", "off"]
        for command in (pip + ["-r", str(pins)], pip + list(TOOLS)):
            result = run(command)
            if result.returncode != 0:
                raise SystemExit(f"installing Colab's pins failed:\n{result.stderr[-3000:]}")
        base.write_text(json.dumps(freeze(python), indent=0, sort_keys=True))
        stamp.write_text(digest)
    restore(python, json.loads(base.read_text()))
    return python


def restore(python: Path, base: dict[str, str]) -> None:
    """Uninstall what a previous run added, reinstall what it changed."""
    now = freeze(python)
    added = sorted(set(now) - set(base))
    changed = [name for name in base if now.get(name) != base[name]]
    if added:
        run([str(python), "-m", "pip", "uninstall", "-y", "-q", *added], check=True)
    if changed:
        url = ("http", "git+", "file:")
        specs = [f"{n} @ {base[n]}" if base[n].startswith(url) else f"{n}=={base[n]}" for n in changed]
        run([str(python), "-m", "pip", "install", "-q", "--no-deps", *specs], check=True)


def compare(before: dict[str, str], after: dict[str, str]) -> tuple[list[str], list[str]]:
    """(packages Colab has whose version changed or that disappeared, packages added)."""
    changed = [f"{n} {before[n]} -> {after.get(n, 'removed')}"
               for n in sorted(before) if after.get(n) != before[n]]
    added = [f"{n}=={after[n]}" for n in sorted(set(after) - set(before))]
    return changed, added


# 2-3. The course URL and google.colab ---------------------------------------------------------


def snapshot(workdir: Path) -> Path:
    """A git repository holding the working tree's files (tracked and new, not ignored)."""
    repo = workdir / "course.git-src"
    files = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=ROOT, check=True).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    env = {**os.environ, "GIT_AUTHOR_NAME": "colab-check", "GIT_AUTHOR_EMAIL": "colab-check@localhost",
           "GIT_COMMITTER_NAME": "colab-check", "GIT_COMMITTER_EMAIL": "colab-check@localhost"}
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                    ["git", "commit", "-q", "-m", "working tree"]):
        run(command, cwd=repo, env=env, check=True)
    return repo


def colab_environment(workdir: Path, repo: Path) -> dict[str, str]:
    """Environment variables of a fake Colab: HOME with the URL rewrite, google.colab, quick mode."""
    home, fake, ipython = workdir / "home", workdir / "fake", workdir / "ipython"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "colab" / "__init__.py").write_text(FAKE_COLAB)
    (fake / "google" / "colab" / "_shell.py").write_text(FAKE_SHELL)
    (fake / "google" / "colab" / "_kernel.py").write_text(FAKE_KERNEL)
    (ipython / "profile_default").mkdir(parents=True)
    (ipython / "profile_default" / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
    home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LSTM_BOOK_", "VIRTUAL_ENV", "PYTHON", "JUPYTER", "IPYTHON"))}
    env.update(HOME=str(home), PYTHONPATH=str(fake), IPYTHONDIR=str(ipython),
               PATH=f"{ENV / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               LSTM_BOOK_QUICK="1", LSTM_BOOK_CORPUS="tweets", LSTM_BOOK_DATA=str(workdir / "data"),
               MPLBACKEND="agg", PYDEVD_DISABLE_FILE_VALIDATION="1")
    run(["git", "config", "--global", f"url.{repo}.insteadOf", repository_url()], env=env, check=True)
    return env


def fresh_content() -> Path:
    """An empty /content with nothing of a previous notebook, as on a new Colab runtime."""
    if CONTENT.exists() and not (CONTENT / MARKER).exists():
        raise SystemExit(f"{CONTENT} exists and was not made by this tool; is this Colab? Not touching it.")
    shutil.rmtree(CONTENT, ignore_errors=True)
    CONTENT.mkdir()
    (CONTENT / MARKER).write_text("made by tools/colab_check.py; removed when it ends\n")
    return CONTENT


# 4. The notebooks -----------------------------------------------------------------------------


def check_notebook(python: Path, notebook: Path, env: dict[str, str]) -> Line:
    """Setup cell, then every cell, in quick mode with nbval-lax, from a fresh /content."""
    content = fresh_content()
    copy = content / notebook.name
    shutil.copy2(notebook, copy)
    start = time.perf_counter()
    result = run([str(python), "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                  "-q", "-W", "ignore", str(copy)], cwd=content, env=env)
    seconds = time.perf_counter() - start
    summary = (result.stdout.strip().splitlines() or ["no output"])[-1]
    cloned = (Path(COURSE_DIR_ON_COLAB) / ".git").is_dir()
    ok = result.returncode == 0 and cloned
    detail = re.sub(r"^=+ | =+$| in [\d.]+s.*$", "", summary)
    if not cloned:
        detail += "; the setup cell did not clone the course"
    if not ok:
        text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
        failed = [line.split("::")[-1] for line in text.splitlines() if line.startswith("FAILED")]
        errors = re.findall(r"^(\w+(?:Error|Exception|Exit)\b.*)$", text, re.MULTILINE)
        detail += f"\n      failed: {', '.join(failed)}"
        tail = "\n      ".join(text.splitlines()[-10:])
        detail += f"\n      first error: {errors[0][:300]}" if errors else f"\n      {tail}"
    return Line(notebook.name, ok, detail, seconds)


FULL_RUNNER = r'''
import json, sys, nbclient, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=7200, allow_errors=True, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
first_error, notes = None, []
for i, cell in enumerate(nb.cells):
    for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
        if out.output_type == "error" and first_error is None:
            first_error = f"cell {i} ({cell.source.splitlines()[0][:50]!r}): {out.ename}: {out.evalue[:300]}"
        elif out.output_type == "stream":
            notes += [line for line in out.text.splitlines() if line.startswith("[note] ")]
print(json.dumps({"error": first_error, "notes": notes}))
'''


def check_notebook_full(python: Path, notebook: Path, env: dict[str, str]) -> Line:
    """"Run all" in full mode from a fresh /content, claims in reader mode: passed or the first
    error, the time, and the claims whose statement this run's outputs did not support."""
    content = fresh_content()
    copy = content / notebook.name
    shutil.copy2(notebook, copy)
    start = time.perf_counter()
    result = run([str(python), "-c", FULL_RUNNER, str(copy), str(content)], cwd=content, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        last = [line for line in result.stderr.splitlines() if line.strip()][-1:] or ["no message"]
        return Line(notebook.name, False, f"full mode: could not be run: {last[0][:500]}", seconds)
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    detail = f"full mode, every cell ran; {len(outcome['notes'])} claims came out differently"
    detail += "".join(f"\n      {note[:300]}" for note in outcome["notes"])
    if outcome["error"]:
        detail = f"full mode, stopped: {outcome['error']}"
    return Line(notebook.name, outcome["error"] is None, detail, seconds)


# 5. The assignments ---------------------------------------------------------------------------

RUNNER = r'''
import json, sys, nbclient, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=7200, allow_errors=True, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
errors, report = [], None
for i, cell in enumerate(nb.cells):
    for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
        if out.output_type == "error":
            errors.append(f"cell {i} ({cell.source.splitlines()[0][:50]!r}): {out.ename}: {out.evalue[:300]}")
        elif out.output_type == "stream" and "COLAB-CHECK-REPORT " in out.text:
            report = json.loads(out.text.split("COLAB-CHECK-REPORT ", 1)[1].splitlines()[0])
print(json.dumps({"errors": errors, "report": report}))
'''


def run_as_student(python: Path, notebook: Path, env: dict[str, str]) -> tuple[list[str], dict]:
    """Run every cell of a student copy in a fresh /content; (cells that raised, check results)."""
    import nbformat

    content = fresh_content()
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT_CELL))
    copy = content / notebook.name
    nbformat.write(nb, copy)
    result = run([str(python), "-c", RUNNER, str(copy), str(content)], cwd=content, env=env)
    if result.returncode != 0:
        last = [line for line in result.stderr.splitlines() if line.strip()][-1:] or ["no message"]
        return [f"the notebook could not be run: {last[0][:500]}"], {}
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    return outcome["errors"], outcome["report"] or {}


def judge(report: dict, *, blank: bool) -> list[str]:
    """Problems with the check results: blank copies fail every question with a message, filled pass."""
    if not report:
        return ["no grader.check results (the report cell did not run)"]
    problems = []
    for question, cases in report.items():
        failed = [message for passed, message in cases if not passed]
        if blank and not failed:
            problems.append(f"{question} passes unanswered")
        if blank and any(not re.search(r"^AssertionError: \S", m, re.MULTILINE) for m in failed):
            problems.append(f"{question} fails without a message: {failed[0][-300:]}")
        if not blank and failed:
            problems.append(f"{question} fails with the solutions filled in: {failed[0][-300:]}")
    return problems


def check_assignment(python: Path, name: str, workdir: Path, env: dict[str, str]) -> list[Line]:
    """A blank and a filled-in student copy, each run top to bottom as on Colab."""
    built = assign(name, workdir / "assign" / name)
    student = built / "student" / f"{name}.ipynb"
    (workdir / "filled").mkdir(exist_ok=True)
    filled = fill_in(student, built / "autograder" / f"{name}.ipynb", workdir / "filled" / f"{name}.ipynb")
    lines = []
    for label, notebook, blank in (("blank", student, True), ("filled in", filled, False)):
        start = time.perf_counter()
        errors, report = run_as_student(python, notebook, env)
        problems = errors + judge(report, blank=blank)
        verdict = (f"{len(report)} checks " + ("fail with their messages" if blank else "pass")
                   + ", Run all raises nothing")
        lines.append(Line(f"{name} ({label})", not problems, "; ".join(problems) if problems else verdict,
                          time.perf_counter() - start))
    return lines


# 6. Main --------------------------------------------------------------------------------------


def packages_line(name: str, before: dict[str, str], after: dict[str, str]) -> Line:
    changed, added = compare(before, after)
    detail = (f"changed: {', '.join(changed)}" if changed else "no package Colab has changed") + (
        f"; added {', '.join(added)}" if added else "; nothing added")
    return Line(name, not changed, detail, 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pins", type=Path, default=PINS)
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="notebooks (01_why_lstm) or assignments (a1_gates) to check; default all")
    parser.add_argument("--record", type=Path, help="also write the report to this file")
    parser.add_argument("--full", action="store_true",
                        help='"Run all" of each chapter in full mode, claims in reader mode (long: '
                        "about as long as `make execute`); the assignments are left out")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assignments = list(ASSIGNMENTS)
    if args.only:
        notebooks = [n for n in notebooks if n.stem in args.only]
        assignments = [a for a in assignments if a in args.only]
    if args.full:
        assignments = []
    earlier: list[str] = []
    if args.record and args.only and args.record.is_file():
        names = {n.name for n in notebooks} | set(assignments)
        earlier = earlier_lines(args.record.read_text(encoding="utf-8"), names)
    version, pins = read_pins(args.pins)
    header = open(args.pins, encoding="utf-8").read().splitlines()[1]
    python = build_environment(args.pins)
    report = [f"Colab check, {time.strftime('%Y-%m-%d')}: {len(pins)} pinned packages; {header.lstrip('# ')}",
              f"Python {run([str(python), '--version']).stdout.split()[-1]} (Colab: {version}); "
              f"torch {freeze(python).get('torch')}; "
              f"{'full mode, claims in reader mode' if args.full else 'quick mode'} for the notebooks"]
    for text in report:
        say(text)
    lines: list[Line] = []

    def show(line: Line) -> None:  # print it, and keep the record current while the run goes on
        lines.append(line)
        say(str(line))
        if args.record:
            text = "\n".join([*report, *earlier, *map(str, lines), "(still running)"])
            write_atomically(args.record, text + "\n")

    colab = freeze(python)
    workdir = Path(tempfile.mkdtemp(prefix="colab-check-"))
    try:
        env = colab_environment(workdir, snapshot(workdir))
        if args.full:
            env = {k: v for k, v in env.items() if k != "LSTM_BOOK_QUICK"}
        check = check_notebook_full if args.full else check_notebook
        for notebook in notebooks:
            show(check(python, notebook, env))
        before = freeze(python)
        if notebooks:
            show(packages_line("setup cells: packages", colab, before))
        student_env = {k: v for k, v in env.items() if k != "LSTM_BOOK_QUICK"}
        for name in assignments:
            for line in check_assignment(python, name, workdir, student_env):
                show(line)
        if assignments:
            show(packages_line("grading: packages", before, freeze(python)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if (CONTENT / MARKER).exists():
            shutil.rmtree(CONTENT, ignore_errors=True)
    failed = [line for line in lines if not line.ok]
    minutes = (time.perf_counter() - started) / 60
    summary = (f"{len(lines) - len(failed)} passed, {len(failed)} failed "
               f"({len(notebooks)} notebooks, {len(assignments)} assignments; {minutes:.0f} min in all)")
    say(summary)
    if earlier:
        summary += f"; {len(earlier)} lines kept from earlier runs of the chapters not run now"
    if args.record:
        write_atomically(args.record, "\n".join([*report, *earlier, *map(str, lines), summary]) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
