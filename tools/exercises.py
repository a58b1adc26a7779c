"""The chapters' exercises and solutions, read from the notebooks' markdown cells.

Each exercise is written in a form that reads the same on the site, in Jupyter, in Colab and on
GitHub: a bold, numbered heading with an anchor, the question, then the solution inside an HTML
``<details>`` element, collapsed until the reader opens it::

    **Exercise 5.3** <a id="ex-vec-3"></a>

    The question...

    <details>
    <summary>Solution</summary>

    The solution, in markdown, with python code blocks.

    </details>

The blank lines around the solution's body let both Jupyter's and the site's markdown render it.
tests/test_exercises.py runs every solution's code after its chapter and checks the rendering.

    python tools/exercises.py list notebooks/*.ipynb         # every exercise, and its code blocks
    python tools/exercises.py extract notebooks/05_vectorized_cell.ipynb out.ipynb
        # the chapter followed by its solutions' code, one cell per solution, to run in Jupyter
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

HEADING = re.compile(r'^\*\*Exercise (\d+)\.(\d+)\*\* <a id="(ex-[a-z0-9-]+)"></a>$', re.MULTILINE)
SOLUTION = re.compile(r"\A<details>\n<summary>Solution</summary>\n\n(.*?)\n\n</details>(?:\n|\Z)", re.DOTALL)
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
FORM_HINT = (
    'write it as "**Exercise C.N** <a id=\\"ex-...\\"></a>", a blank line, the question, a blank line, then '
    '"<details>\\n<summary>Solution</summary>\\n\\n...\\n\\n</details>" (see tools/exercises.py)'
)


@dataclass(frozen=True)
class Exercise:
    """One exercise of a chapter: where it is, its question and its solution (markdown)."""

    chapter: int
    number: int
    label: str
    cell: int
    question: str
    solution: str

    @property
    def code(self) -> list[str]:
        """The solution's python code blocks, in order."""
        return [block.rstrip("\n") for block in PYTHON_BLOCK.findall(self.solution)]


def chapter_number(path: str | Path) -> int:
    """The chapter number of ``notebooks/05_vectorized_cell.ipynb``: 5."""
    match = re.match(r"(\d+)_", Path(path).name)
    if match is None:
        raise ValueError(f"expected a chapter notebook named like 05_name.ipynb, got {Path(path).name}")
    return int(match.group(1))


def _cell_exercises(source: str, chapter: int, cell: int) -> list[Exercise]:
    """The exercises of one markdown cell, each followed by its solution."""
    headings = list(HEADING.finditer(source))
    found = []
    for k, heading in enumerate(headings):
        end = headings[k + 1].start() if k + 1 < len(headings) else len(source)
        body = source[heading.end() : end]
        start = body.find("\n<details>\n")
        if start < 0:
            raise ValueError(f"exercise {heading.group(3)} (cell {cell}) has no solution; {FORM_HINT}")
        solution = SOLUTION.match(body[start + 1 :])
        if solution is None:
            raise ValueError(f"the solution of {heading.group(3)} (cell {cell}) is malformed; {FORM_HINT}")
        if int(heading.group(1)) != chapter:
            label, numbered = heading.group(3), heading.group(1)
            raise ValueError(f"{label} is numbered {numbered}.x in chapter {chapter}; renumber it")
        number, label, question = int(heading.group(2)), heading.group(3), body[:start].strip()
        found.append(Exercise(chapter, number, label, cell, question, solution.group(1)))
    return found


def exercises(path: str | Path) -> list[Exercise]:
    """Every exercise of a chapter notebook, in order; numbered 1, 2, ... within the chapter."""
    chapter = chapter_number(path)
    nb = nbformat.read(path, as_version=4)
    found: list[Exercise] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found += _cell_exercises(cell.source, chapter, index)
    numbers = [exercise.number for exercise in found]
    if numbers != list(range(1, len(found) + 1)):
        name = Path(path).name
        raise ValueError(f"{name}: exercises are numbered {numbers}; number them 1, 2, ... in order")
    return found


def solutions_notebook(path: str | Path) -> nbformat.NotebookNode:
    """The chapter followed by one code cell per solution (its code blocks joined), in order.

    Each added cell carries ``metadata.exercise`` (the label), so a failure names the exercise.
    """
    nb = nbformat.read(path, as_version=4)
    for exercise in exercises(path):
        if exercise.code:
            cell = nbformat.v4.new_code_cell("\n\n".join(exercise.code))
            cell.metadata["exercise"] = exercise.label
            nb.cells.append(cell)
    return nb


def _python(source: str) -> ast.Module:
    """Parse a cell's code, IPython magics and shell lines turned into python first."""
    from IPython.core.inputtransformer2 import TransformerManager

    return ast.parse(TransformerManager().transform_cell(source))


def _bound(tree: ast.AST) -> set[str]:
    """Names a piece of code binds (assignments, loop targets, defs, imports)."""
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _read(tree: ast.AST) -> set[str]:
    """Names a piece of code reads."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _function_globals(nb: nbformat.NotebookNode) -> dict[str, set[str]]:
    """For each function the chapter's code cells define: the global names its body reads."""
    reads: dict[str, set[str]] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in _python(cell.source).body:
            if isinstance(node, ast.FunctionDef):
                reads[node.name] = _read(node) - _bound(node)
    return reads


def rebound_globals(path: str | Path) -> dict[str, set[str]]:
    """Names each solution reads (itself or through a chapter function) that an earlier one rebinds.

    A solution must take what it needs as arguments or compute it itself: a student who does the
    exercises in order has rebound these names by the time it runs. Empty when all is well.
    """
    chapter_functions = _function_globals(nbformat.read(path, as_version=4))
    earlier: set[str] = set()
    problems = {}
    for exercise in exercises(path):
        if not exercise.code:
            continue
        tree = _python("\n\n".join(exercise.code))
        own = _bound(tree)
        reads = _read(tree) - own
        for name in _read(tree):
            reads |= chapter_functions.get(name, set()) - own
        if reads & earlier:
            problems[exercise.label] = reads & earlier
        earlier |= own
    return problems


def write_atomically(nb: nbformat.NotebookNode, path: str | Path) -> None:
    """Write a notebook through a temporary file in the same folder, then ``os.replace``."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".ipynb.tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            nbformat.write(nb, stream)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> None:
    """Command line: ``list`` the exercises, or ``extract`` a chapter and its solutions' code."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="print every exercise and its number of code blocks")
    listing.add_argument("notebooks", nargs="+")
    extract = commands.add_parser("extract", help="write the chapter followed by its solutions' code")
    extract.add_argument("notebook")
    extract.add_argument("output")
    args = parser.parse_args(argv)
    if args.command == "list":
        for notebook in args.notebooks:
            for e in exercises(notebook):
                blocks = len(e.code)
                print(f"Exercise {e.chapter}.{e.number}  {e.label:<12} cell {e.cell}  {blocks} code block(s)")
    else:
        write_atomically(solutions_notebook(args.notebook), args.output)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
