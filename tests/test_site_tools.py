"""The offline-MathJax installer and the browser test's helpers (the browser run itself is `make site-test`)."""

import hashlib
import inspect
import io
import re
import tarfile
from pathlib import Path

import pytest

from tools import mathjax, site_test


def _tarball(path: Path, members: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_extract_keeps_only_the_files_the_site_uses(tmp_path):
    archive = tmp_path / "mathjax.tgz"
    digest = _tarball(archive, {
        "package/es5/tex-chtml.js": b"// mathjax",
        "package/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff": b"font",
        "package/es5/tex-svg-full.js": b"// not needed",
        "package/LICENSE": b"Apache-2.0",
    })
    target = tmp_path / "_static" / "mathjax"
    target.parent.mkdir()
    mathjax.extract(archive, target, sha256=digest)
    assert (target / "tex-chtml.js").read_bytes() == b"// mathjax"
    assert (target / "output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff").is_file()
    assert (target / "LICENSE").is_file()
    assert not (target / "tex-svg-full.js").exists()
    assert mathjax.is_installed(target)


def test_extract_refuses_a_wrong_hash_and_leaves_nothing(tmp_path):
    archive = tmp_path / "mathjax.tgz"
    _tarball(archive, {"package/es5/tex-chtml.js": b"// tampered"})
    target = tmp_path / "mathjax"
    with pytest.raises(RuntimeError, match="does not match"):
        mathjax.extract(archive, target, sha256="0" * 64)
    assert not target.exists()


@pytest.mark.parametrize("name", ["../evil.js", "/etc/evil.js", "package/es5/../../evil.js"])
def test_extract_refuses_unsafe_members(tmp_path, name):
    archive = tmp_path / "mathjax.tgz"
    digest = _tarball(archive, {name: b"x"})
    with pytest.raises(RuntimeError, match="unsafe member"):
        mathjax.extract(archive, tmp_path / "mathjax", sha256=digest)


def test_pinned_hash_is_a_lowercase_sha256_and_is_the_default():
    # hashlib's hexdigest is lowercase hex: any other spelling could never match a download.
    assert re.fullmatch(r"[0-9a-f]{64}", mathjax.SHA256), mathjax.SHA256
    assert inspect.signature(mathjax.extract).parameters["sha256"].default == mathjax.SHA256


def test_toc_pages_list_the_root_and_every_chapter():
    pages = site_test.toc_pages()
    assert pages[0] == "book/intro"
    assert "notebooks/05_vectorized_cell" in pages and "notebooks/12_imdb_glove_bilstm" in pages
    assert set(site_test.SCREENSHOTS.values()) <= set(pages)


def test_link_targets_are_checked_against_the_built_files(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.html").write_text("")
    base = "http://127.0.0.1:8000/book/intro.html"
    assert site_test._existing_target(tmp_path, base, "intro.html#goals") is True
    assert site_test._existing_target(tmp_path, base, "../notebooks/missing.html") is False
    assert site_test._existing_target(tmp_path, base, "https://github.com/lstm-book/lstm-book") is None


# The site's view of executed cells (tools/site_sphinx.py) and the figure metadata script.

from docutils import nodes  # noqa: E402

from tools import site_notebook_meta, site_sphinx  # noqa: E402


def test_reader_output_drops_claims_result_lines_and_gpu_instructions():
    text = ("loss 0.31\n[claim checked] the loss falls\nRESULT rnn_mse_T200=0.08\n"
            "GPU output pending: the code changed since this cell last ran on a GPU.\n"
            "On a machine with CUDA, run `make gpu-cells` to record it (book/setup.md).\n")
    shown, claims = site_sphinx.reader_output(text)
    assert claims == 1
    assert shown == "loss 0.31\n" + site_sphinx.GPU_READER_TEXT
    assert "make gpu-cells" not in shown and "RESULT" not in shown


def test_reader_output_drops_the_profilers_trace_lines_only():
    text = ("USDT:2026-12-05 00:27:59 31770:31770 SyncActivityProfilerHandler.cpp:52] profiler_start\n"
            "aten::addmm 100\nUSDT:2026-12-05 00:27:59 31770:31770 SyncActivityProfilerHandler.cpp:59] "
            "profiler_stop\nUSDT is a word here\n")
    shown, _ = site_sphinx.reader_output(text)
    assert shown == "aten::addmm 100\nUSDT is a word here\n"


def test_reader_code_drops_lint_comments_but_keeps_their_explanation():
    source = "def f(w=rng()):  # noqa: B008  (the bug, on purpose)\n    x = 1  # noqa\n    return w\n"
    assert site_sphinx.reader_code(source) == "def f(w=rng()):  # (the bug, on purpose)\n    x = 1\n    return w\n"


def test_only_claims_tells_a_claim_cell_from_a_cell_that_also_computes():
    assert site_sphinx.only_claims('claim(a > b, "a beats b")\nclaim(c, "c holds")\n')
    assert not site_sphinx.only_claims('x = 2\nclaim(x > 1, "x is big")\n')
    assert not site_sphinx.only_claims("")


def _cell(source: str, output: str) -> nodes.container:
    cell = nodes.container(nb_element="cell_code")
    cell += nodes.container("", nodes.literal_block(source, source), nb_element="cell_code_source")
    block = nodes.literal_block(output, output, classes=["output", "stream"])
    cell += nodes.container("", block, nb_element="cell_code_output")
    return cell


def test_clean_cells_removes_claim_cells_and_adds_one_summary_line():
    doc = nodes.section()
    doc += _cell('claim(a, "a holds")\nclaim(b, "b holds")', "[claim checked] a holds\n[claim checked] b holds\n")
    doc += _cell("print(3)", "3\n")
    site_sphinx.clean_cells(None, doc)
    summaries = [p for p in doc.findall(nodes.paragraph) if "claims-summary" in p["classes"]]
    assert len(summaries) == 1 and summaries[0].astext().startswith("2 statements")
    assert "claim" not in "".join(b.astext() for b in doc.findall(nodes.literal_block))
    assert [b.astext() for b in doc.findall(nodes.literal_block)] == ["print(3)", "3\n"]


def test_punctuation_after_inline_maths_stays_with_it():
    para = nodes.paragraph()
    para += [nodes.Text("so "), nodes.math("h_t", "h_t"), nodes.Text(". Then ."), nodes.math("c", "c")]
    site_sphinx.keep_punctuation_with_math(None, para)
    group = para[1]
    assert "nowrap" in group["classes"] and group.astext() == "h_t."
    assert para[2].astext() == " Then ." and isinstance(para[3], nodes.math)


def _notebook(*sources: str) -> dict:
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": []} for s in sources]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_figure_metadata_goes_to_the_marked_cell_and_a_second_run_changes_nothing():
    figure = next(f for f in site_notebook_meta.FIGURES if f.notebook == "12_imdb_glove_bilstm")
    others = [f.marker for f in site_notebook_meta.FIGURES if f.notebook == figure.notebook and f != figure]
    notebook = _notebook(site_notebook_meta.SETUP_MARKER + "\nimport sys", f"x = 1\n{figure.marker})", *others)
    once = site_notebook_meta.apply(notebook, figure.notebook)
    meta = once["cells"][1]["metadata"]["mystnb"]
    assert meta == {"figure": {"name": figure.name, "caption": figure.caption}, "image": {"alt": figure.alt}}
    assert once["cells"][0]["metadata"]["tags"] == [site_notebook_meta.SETUP_TAG]
    assert site_notebook_meta.apply(once, figure.notebook) == once


def test_a_marker_that_no_longer_matches_names_the_fix():
    with pytest.raises(SystemExit, match="update FIGURES"):
        site_notebook_meta.apply(_notebook("print(1)"), "12_imdb_glove_bilstm")


def test_every_figure_has_a_unique_name_and_alt_text_that_is_not_a_file_name():
    names = [f.name for f in site_notebook_meta.FIGURES]
    assert len(names) == len(set(names))
    assert all(f.alt and not re.search(r"\.(png|svg)$", f.alt) for f in site_notebook_meta.FIGURES)


def test_bibliography_labels_read_author_and_year_like_the_citations():
    from pybtex.database import parse_file

    from tools.sphinx_bib_style import AuthorYearLabels, author_year_label

    entries = parse_file(str(Path(__file__).parents[1] / "book" / "references.bib")).entries
    labels = {key: author_year_label(entry) for key, entry in entries.items()}
    assert labels["hochreiter1997long"] == "Hochreiter & Schmidhuber, 1997"
    assert labels["pascanu2013difficulty"] == "Pascanu et al., 2013"
    assert all(label.rsplit(", ", 1)[1].isdigit() for label in labels.values())
    twice = list(AuthorYearLabels().format_labels([entries["hochreiter1997long"]] * 2))
    assert twice == ["Hochreiter & Schmidhuber, 1997", "Hochreiter & Schmidhuber, 1997b"]
