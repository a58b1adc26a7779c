"""Every exercise's solution runs, says what its text says, and stays collapsed where students read it.

Per chapter: the whole notebook runs in quick mode in one fresh kernel, followed by its solutions'
code in order, as a student who does every exercise would run them (tools/exercises.py). Then
each notebook is rendered by nbconvert, as Jupyter shows it: no solution text may be outside a
collapsed ``<details>`` element, and no MyST directive or role may show as raw text.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from tools.exercises import exercises, rebound_globals, solutions_notebook

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [path.stem for path in NOTEBOOKS]

# The kernel is a separate process: block its network as tests/conftest.py blocks this one's.
OFFLINE = """
import socket as _socket
_connect = _socket.socket.connect
def _local_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and self.family in (
        _socket.AF_INET, _socket.AF_INET6):
        raise OSError(f"tests never use the network (tried to connect to {address})")
    return _connect(self, address)
_socket.socket.connect = _local_only
"""

# Results a solution's text states that depend on the pinned versions (checked here, not in the
# solution, so a student on other versions is not stopped): a phrase of the text, and the check.
STATED = {
    "ex-text-1": (
        "2.3% (388 tweets) are longer than 140 characters",
        "over = char_lengths > 140\n"
        "assert (int(over.sum()), round(float(over.mean()), 3), int(char_lengths.max()) <= 200) == (388, 0.023, True)\n"
        "assert round(1 - np.minimum(char_lengths, 200).sum() / (200 * len(char_lengths)), 2) == 0.51",
    ),
    "ex-vec-3": (
        "800 matrix products",
        "naive, fused = counts['naive scratch'], counts['fused scratch']\n"
        "assert (naive.get('aten::addmm', 0), naive['aten::matmul'], naive['aten::mm'], naive['aten::add']) "
        "== (0, 800, 1996, 1419), naive\n"
        "assert (fused['aten::addmm'], fused['aten::mm'], fused['aten::add']) == (100, 201, 106), fused\n"
        "assert all((c['aten::sigmoid'], c['aten::tanh']) == (300, 200) for c in (naive, fused))",
    ),
    "ex-var-3": (
        "about 0.93 at 8\nto 0.88 at 32 and 0.83 at 128",
        "shares = {bs: [real_share(b, review_lengths) for b in ([shuffled[i : i + bs] for i in range(0, 5000, bs)],"
        " list(BucketBatchSampler(review_lengths.tolist(), batch_size=bs, seed=0)))] for bs in (8, 32, 128)}\n"
        "assert [round(shares[bs][1], 2) for bs in (8, 32, 128)] == [0.93, 0.88, 0.83], shares\n"
        "assert shares[8][0] - shares[128][0] > shares[8][1] - shares[128][1], shares",
    ),
}


def _chapter_with_solutions(path: Path) -> nbformat.NotebookNode:
    """The chapter, its solutions' cells, and after each the check of what its text states."""
    nb = solutions_notebook(path)
    text = {e.label: e.solution for e in exercises(path)}
    cells = [nbformat.v4.new_code_cell(OFFLINE)]
    for cell in nb.cells:
        cells.append(cell)
        label = cell.metadata.get("exercise")
        if label in STATED:
            phrase, check = STATED[label]
            assert phrase in text[label], f"{label}: its text no longer says {phrase!r}; update STATED"
            cells.append(nbformat.v4.new_code_cell(check, metadata={"exercise": label}))
    nb.cells = cells
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_solution_runs_after_its_chapter_in_order(path, monkeypatch, tmp_path):
    monkeypatch.setenv("LSTM_BOOK_QUICK", "1")
    monkeypatch.setenv("LSTM_BOOK_CORPUS", "tweets")
    monkeypatch.setenv("LSTM_BOOK_DATA", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _chapter_with_solutions(path)
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        failed = [c for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
        where = failed[0].metadata.get("exercise", "the chapter itself") if failed else "unknown cell"
        pytest.fail(f"{path.name}: {where} fails when run after the chapter:\n{error}")
    ran = [c for c in nb.cells if c.metadata.get("exercise")]
    with_code = {e.label for e in exercises(path) if e.code}  # a solution may be prose only
    assert {c.metadata["exercise"] for c in ran} >= with_code
    assert all(c.get("execution_count") for c in ran)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_solution_reads_a_name_an_earlier_solution_rebinds(path):
    assert rebound_globals(path) == {}


def _fragments(markdown: str) -> list[str]:
    """Pieces of a solution as they appear once rendered: code lines and runs of plain prose."""
    pieces = [line.strip() for block in re.findall(r"```python\n(.*?)```", markdown, re.S) for line in block.splitlines()]
    prose = re.sub(r"```.*?```|\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\[[^\]]*\]\([^)]*\)|[*_]", "|", markdown, flags=re.S)
    pieces += [run.strip() for run in re.split(r"[|\n]", prose)]
    return [_squeezed(piece) for piece in pieces if len(piece.split()) >= 4]


def _squeezed(text: str) -> str:
    """Text without whitespace: syntax highlighting splits code into spans, spaced differently."""
    return re.sub(r"\s+", "", text)


def _rendered(path: Path) -> BeautifulSoup:
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    return BeautifulSoup(html, "html.parser")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_solutions_are_collapsed_in_jupyter(path):
    soup = _rendered(path)
    found = exercises(path)
    collapsed = [_squeezed(d.get_text()) for d in soup.find_all("details")]
    assert len(collapsed) == len(found), f"{len(found)} exercises but {len(collapsed)} <details> elements"
    for details in soup.find_all("details"):
        assert details.find("summary").get_text(strip=True) == "Solution" and not details.has_attr("open")
        details.decompose()
    outside = _squeezed(soup.get_text())
    # A line the chapter's own code also has (an import, a loop header) gives nothing away.
    chapter_code = _squeezed("".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"))
    for exercise, inside in zip(found, collapsed, strict=True):
        pieces = _fragments(exercise.solution)
        assert pieces, f"{exercise.label}: no text to look for"
        for piece in pieces:
            assert piece in inside, f"{exercise.label}: {piece!r} is not rendered inside its <details>"
            assert piece in chapter_code or piece not in outside, f"{exercise.label}: {piece!r} shows outside a collapsed solution"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_raw_myst_markup_in_jupyter(path):
    soup = _rendered(path)
    markdown = " ".join(div.get_text(" ") for div in soup.select(".jp-MarkdownOutput"))
    assert markdown, "no markdown cells rendered"
    names = "cite|ref|doc|numref|eq|term|download|glue|exercise|solution|admonition|note|tip|warning|important|dropdown"
    raw = re.findall(rf"\{{(?:{names})[a-z:-]*\}}|:::\s*\{{|```\s*\{{|^\([\w-]+\)=", markdown, re.M)
    assert raw == [], f"MyST markup shows as raw text in Jupyter: {raw}"


def test_no_cell_hidden_on_the_site_runs_a_solution():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        hidden = [c for c in nb.cells if c.cell_type == "code" and "remove-cell" in c.metadata.get("tags", [])]
        for exercise in exercises(path):
            mentioned = [c for c in hidden if exercise.label in c.source]
            assert mentioned == [], f"{path.name}: a remove-cell code cell runs {exercise.label}; move it into the solution"


def test_every_work_the_chapters_cite_is_in_the_bibliography():
    """A citation reads "(Author, year)" with a link to the work; the link is the work's DOI or URL
    in book/references.bib, which the references page lists in full."""
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    known = set(re.findall(r"url\s*=\s*\{([^}]+)\}", bib))
    known |= {f"https://doi.org/{doi}" for doi in re.findall(r"doi\s*=\s*\{([^}]+)\}", bib)}
    scholarly = re.compile(r"\]\((https://(?:doi\.org|aclanthology\.org|arxiv\.org|proceedings\.mlr\.press)/[^)\s]+)\)")
    cited = set()
    for path in NOTEBOOKS:
        markdown = "".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
        cited |= set(scholarly.findall(markdown))
        plain = re.sub(r"\[[^\]]*\]\([^)]*\)", "", markdown)
        unlinked = re.findall(r"\b[A-Z][a-z]+ (?:and [A-Z][a-z]+|et al\.),?\s\(?(?:19|20)\d\d\)?", plain)
        assert unlinked == [], f"{path.name}: cite {unlinked} with a link to the work (see book/references.md)"
    assert len(cited) >= 10 and cited <= known, f"cited but not in book/references.bib: {sorted(cited - known)}"
