"""The assignments' autograder: bad student work fails per question, never the whole grading.

The four proofs over every assignment (solutions full marks, no leaked solutions, the untouched
student notebook fails kindly, the filled-in one gets full marks) run in `make test` through
`python tools/assignments.py prove`; these tests cover the helpers and broken submissions.
"""

import sys
from pathlib import Path

import nbformat
import pytest

from tools.assignments import autograder_zip, fill_in, grade, solution_lines
from utils import grading
from utils.grading import ASSIGNMENTS, assign, master_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def a1(tmp_path_factory):
    """A1 built once, with a correctly filled-in student notebook."""
    work = tmp_path_factory.mktemp("a1")
    built = assign("a1_gates", work / "a1_gates")
    filled = fill_in(built / "student" / "a1_gates.ipynb", built / "autograder" / "a1_gates.ipynb",
                     work / "filled.ipynb")
    return work, built, filled


def _with_answer(filled: Path, function: str, source: str, out: Path) -> Path:
    """A copy of the filled-in notebook whose answer cell defining `function` is replaced."""
    nb = nbformat.read(filled, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.lstrip().startswith(f"def {function}(")]
    assert len(cells) == 1, f"no single answer cell defines {function}"
    cells[0].source = source
    nbformat.write(nb, out)
    return out


def test_every_assignment_has_a_master_with_the_course_setup_cell():
    from tools.notebooks import setup_cell_source

    for name in ASSIGNMENTS:
        nb = nbformat.read(master_path(name), as_version=4)
        assert nb.cells[0].cell_type == "raw" and nb.cells[0].source.startswith("# ASSIGNMENT CONFIG")
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code[0].source == setup_cell_source()
        assert f'_make_grader("{name}")' in code[1].source


def test_unknown_assignment_is_refused():
    with pytest.raises(ValueError, match="a1_gates"):
        master_path("a4_transformers")


def test_grader_outside_colab_without_tests_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    with pytest.raises(FileNotFoundError, match="make assignments"):
        grading.grader("a1_gates")


def test_grader_on_colab_builds_the_public_tests(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "google.colab", object())
    monkeypatch.setattr(grading, "_install_otter", lambda: None)  # installed here already
    import otter

    monkeypatch.setattr(otter.Notebook, "_tests_dir_override", None)
    monkeypatch.setattr(otter.Notebook, "__init__", lambda self, tests_dir="./tests", **_: setattr(
        self, "_tests_dir", tests_dir))  # otter's own Colab detection needs a real Colab
    notebook = grading.grader("a1_gates")
    tests = sorted(p.name for p in Path(notebook._tests_dir).glob("*.py"))
    assert tests == ["q1.py", "q2.py", "q3.py", "q4.py", "q5.py"]
    assert not any("hidden=True" in (Path(notebook._tests_dir) / t).read_text() for t in tests)


def test_solution_lines_are_found_and_absent_from_the_student_copy(a1):
    _, built, _ = a1
    lines = solution_lines(master_path("a1_gates"))
    assert "out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))" in lines
    student = nbformat.read(built / "student" / "a1_gates.ipynb", as_version=4)
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    assert not [line for line in lines if line in code]


def test_filled_in_notebook_gets_full_marks(a1):
    work, built, filled = a1
    result = grade(filled, autograder_zip(built), work)
    assert result.total == result.max_total == 10


def test_wrong_answer_loses_exactly_that_question(a1):
    work, built, filled = a1
    wrong = _with_answer(filled, "biases_for", "def biases_for(behaviour):\n    return (0.0, 0.0)\n",
                         work / "wrong.ipynb")
    result = grade(wrong, autograder_zip(built), work)
    assert result.scores == {"q1": 2, "q2": 2, "q3": 2, "q4": 2, "q5": 0}
    assert "should remember" in result.output["q5"]


def test_syntax_error_fails_only_its_question(a1):
    work, built, filled = a1
    broken = _with_answer(filled, "biases_for", "def biases_for(behaviour)\n    return (10.0, -10.0)\n",
                          work / "syntax.ipynb")
    result = grade(broken, autograder_zip(built), work)
    assert result.scores["q5"] == 0 and result.total == 8
    assert "no function named `biases_for`" in result.output["q5"]


def test_missing_function_fails_only_its_question(a1):
    work, built, filled = a1
    missing = _with_answer(filled, "biases_for", "# not done yet\n", work / "missing.ipynb")
    result = grade(missing, autograder_zip(built), work)
    assert result.scores["q5"] == 0 and result.total == 8
    assert "no function named `biases_for`" in result.output["q5"]


def test_wrong_return_type_fails_with_a_message(a1):
    work, built, filled = a1
    wrong_type = _with_answer(filled, "run", "def run(xs, p, c0=0.0, h0=0.0):\n    return 'not lists'\n",
                              work / "type.ipynb")
    result = grade(wrong_type, autograder_zip(built), work)
    assert result.scores["q4"] == 0 and result.total == 8
    assert "run should return two lists" in result.output["q4"]
