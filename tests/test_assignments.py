"""The assignments' autograder: bad student work fails per question, never the whole grading.

The four proofs over every assignment (no leaked solutions, "Run all" on the untouched student
notebook raises nothing, it fails kindly, the filled-in one gets full marks) run in `make test`
through `python tools/assignments.py prove`; these tests cover the helpers, the Colab install and
broken submissions.
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest

from tools.assignments import Case, autograder_zip, fill_in, grade, solution_lines
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
    from tools.notebooks import expected_setup_cell

    for name in ASSIGNMENTS:
        nb = nbformat.read(master_path(name), as_version=4)
        assert nb.cells[0].cell_type == "raw" and nb.cells[0].source.startswith("# ASSIGNMENT CONFIG")
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code[0].source == expected_setup_cell(nb)
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


def test_wrong_answer_loses_exactly_that_question(a1):
    work, built, filled = a1
    wrong = _with_answer(filled, "biases_for", "def biases_for(behaviour):\n    return (0.0, 0.0)\n",
                         work / "wrong.ipynb")
    result = grade(wrong, autograder_zip(built), work)
    assert result.scores == {"q1": 2, "q2": 2, "q3": 2, "q4": 2, "q5": 0}
    assert "should remember" in result.output["q5"]
    failed = [case for case in result.cases["q5"] if not case.passed]
    assert failed and all(case.explains_itself for case in failed)
    assert all(case.passed for q in ("q1", "q2", "q3", "q4") for case in result.cases[q])


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


def test_a_crash_inside_a_test_is_not_a_friendly_failure():
    crash = Case("q1 - 1", passed=False, hidden=False,
                 message="Error at line 4 in test q1:\n  got = f()\nTypeError: 'NoneType' object is not callable")
    told = Case("q1 - 1", passed=False, hidden=False,
                message="Error at line 5 in test q1:\n  assert x\nAssertionError: run should return two lists")
    assert not crash.explains_itself and told.explains_itself


def test_otter_install_adds_only_what_is_missing_and_never_touches_dependencies():
    have = {"otter-grader": False, "fica": True, "ipylab": False, "python-frontmatter": False,
            "python-on-whales": True}
    command = grading.otter_install_command(installed=lambda name: have[name], python="py")
    assert command == ["py", "-m", "pip", "install", "-q", "--no-deps",
                       "otter-grader==7.0.0", "ipylab==1.1.0", "python-frontmatter==1.3.0"]
    assert grading.otter_install_command(installed=lambda name: True) == []


def test_otter_install_pins_the_four_packages_colab_lacks():
    command = grading.otter_install_command(installed=lambda name: False, python="py")
    assert command[:6] == ["py", "-m", "pip", "install", "-q", "--no-deps"]
    assert sorted(command[6:]) == sorted(["otter-grader==7.0.0", "fica==0.4.1", "ipylab==1.1.0",
                                          "python-frontmatter==1.3.0", "python-on-whales==0.81.0"])
    assert not any(c.startswith(("--upgrade", "-U")) for c in command)


def test_missing_dependencies_follows_installed_packages_only():
    requires = {"otter-grader": ["fica", "wrapt"], "fica": ["Sphinx", "docutils"], "wrapt": [],
                "sphinx": ["alabaster"]}
    installed = {"otter-grader", "fica", "wrapt", "Sphinx"}
    missing = grading.missing_dependencies(
        ["otter-grader==7.0.0"], installed=lambda n: n in installed,
        requires=lambda n: requires.get(n.lower(), []))
    assert missing == ["alabaster", "docutils"]


def test_missing_dependencies_of_the_local_otter_is_empty():
    assert grading.missing_dependencies([grading.OTTER_REQUIREMENT]) == []


def test_install_otter_runs_the_command_then_the_missing_dependencies(monkeypatch):
    calls = []
    monkeypatch.setattr(grading.subprocess, "run", lambda command, check: calls.append(command))
    monkeypatch.setattr(grading, "otter_install_command", lambda extra=None: ["pip", *(extra or ["otter"])])
    monkeypatch.setattr(grading, "missing_dependencies", lambda roots: ["newdep"])
    grading._install_otter()
    assert calls == [["pip", "otter"], ["pip", "newdep"]]


def test_ready_waits_for_unwritten_functions(capsys):
    def run(xs, p):
        """A stub as the student copy has it."""
        ...

    def step(x):
        return x

    class Stub:
        def forward(self, ids):
            ...

    class Written:
        def forward(self, ids):
            return ids

    def constant(behaviour):
        return (10.0, -10.0)

    assert grading.ready(step, Written, constant)
    assert capsys.readouterr().out == ""
    assert not grading.ready(step, run, Stub)
    assert "write `run`, `Stub` above first" in capsys.readouterr().out


def test_assignments_point_at_the_repository_in_config():
    """A fork changes `repository.url` in _config.yml; every course URL in assignments/ follows it."""
    from tools.notebooks import repository_url

    url = repository_url()
    files = [ROOT / "assignments" / "requirements-autograder.txt", *map(master_path, ASSIGNMENTS)]
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+?(?=[/@\s\"')]|\.git)", text))
        others = {u for u in found if u != url and "googlecolab" not in u}
        assert not others, f"{path.relative_to(ROOT)} points at {sorted(others)}, not {url} (_config.yml)"
