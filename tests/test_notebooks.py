"""Committed notebooks: outputs from a full run of the current code, and the same setup cell."""

from pathlib import Path

import nbformat
import pytest
import yaml

from tools.notebooks import (
    ASSIGNMENT_MASTERS,
    NOTEBOOK_DIR,
    ROOT,
    code_cells,
    code_hash,
    problems,
    repository_url,
    setup_cell_source,
)

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [ch["file"] for part in toc["parts"] for ch in part["chapters"]]


def test_there_are_notebooks_and_all_are_in_the_toc():
    assert NOTEBOOKS, "no notebooks found"
    listed = set(toc_files())
    missing = [nb.stem for nb in NOTEBOOKS if f"notebooks/{nb.stem}" not in listed]
    assert not missing, f"notebooks missing from _toc.yml: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_are_fresh(path: Path):
    found = problems(path)
    assert not found, f"{path.name}: " + "; ".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS + ASSIGNMENT_MASTERS, ids=lambda p: p.stem)
def test_setup_cell_is_the_current_one(path: Path):
    first = code_cells(nbformat.read(path, as_version=4))[0]
    assert first.source == setup_cell_source(), (
        f"{path.name}: setup cell differs; run `python tools/notebooks.py sync-setup`"
    )


def test_setup_cell_clones_the_configured_repository():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f'"{url}"' in setup_cell_source()
    assert repository_url() == url


def test_setup_cell_does_nothing_outside_colab():
    namespace: dict = {}
    exec(compile(setup_cell_source(), "setup", "exec"), namespace)  # noqa: S102
    assert "COURSE" not in namespace


def test_colab_requirements_exist_and_skip_torch():
    lines = (ROOT / "requirements-colab.txt").read_text().splitlines()
    packages = [line.split("==")[0] for line in lines if line and not line.startswith("#")]
    assert packages and "torch" not in packages


# The guard itself: it must catch each kind of stale notebook.


def _executed_copy(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(setup_cell_source(), execution_count=1),
        nbformat.v4.new_code_cell("print(1 + 1)", execution_count=2),
    ]
    nb.metadata["lstm_book"] = {"code_hash": code_hash(nb), "quick_mode": False}
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    return path


def test_guard_accepts_a_fresh_notebook(tmp_path):
    assert problems(_executed_copy(tmp_path)) == []


def test_guard_catches_changed_code(tmp_path):
    path = _executed_copy(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = "print(1 + 2)"
    nbformat.write(nb, path)
    assert any("code changed" in p for p in problems(path))


def test_guard_catches_out_of_order_counts_and_errors(tmp_path):
    path = _executed_copy(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].execution_count = 5
    error = nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="", traceback=[])
    nb.cells[1].outputs = [error]
    nbformat.write(nb, path)
    found = problems(path)
    assert any("execution counts" in p for p in found)
    assert any("ZeroDivisionError" in p for p in found)


def test_guard_refuses_errors_even_in_raises_exception_cells(tmp_path):
    path = _executed_copy(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["tags"] = ["raises-exception"]
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="", traceback=[])]
    nb.metadata["lstm_book"]["code_hash"] = code_hash(nb)
    nbformat.write(nb, path)
    assert problems(path) == ["code cell 2 stores an error output (ValueError)"]


def test_guard_catches_a_quick_mode_run_and_a_missing_hash(tmp_path):
    path = _executed_copy(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["lstm_book"]["quick_mode"] = True
    nbformat.write(nb, path)
    assert any("quick mode" in p for p in problems(path))
    del nb.metadata["lstm_book"]
    nbformat.write(nb, path)
    assert any("never executed" in p for p in problems(path))


def test_strip_widgets_drops_widget_outputs_and_state(tmp_path):
    from tools.notebooks import WIDGET_VIEW, strip_widgets

    nb = nbformat.read(_executed_copy(tmp_path), as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    bar = nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "x"}, "text/plain": "0%|"})
    text = nbformat.v4.new_output("stream", name="stdout", text="epoch 1\n")
    code_cells(nb)[1].outputs = [bar, text]
    assert strip_widgets(nb) == 1
    assert code_cells(nb)[1].outputs == [text] and "widgets" not in nb.metadata


def test_guard_catches_widget_outputs(tmp_path):
    from tools.notebooks import WIDGET_VIEW

    path = _executed_copy(tmp_path)
    nb = nbformat.read(path, as_version=4)
    code_cells(nb)[1].outputs = [nbformat.v4.new_output("display_data", data={WIDGET_VIEW: {"model_id": "x"}})]
    nbformat.write(nb, path)
    assert any("live-widget" in p for p in problems(path))
