"""The isolated grader (tools/grading_sandbox.py): gaming scores 0, honest work full marks.

Fast cases only (A1, and A2's first question); `python tools/assignments.py prove` runs every
attempt of tools/grading_attacks.py on every assignment.
"""

import dataclasses
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import UNDER_MUTMUT

from tools.assignments import fill_in
from tools.grading_attacks import ATTEMPTS, Attempt, with_answer
from tools.grading_cases import questions
from tools.grading_child import ALWAYS_ALLOWED
from tools.grading_sandbox import answer_source, grade, run_question
from utils.grading import assign


def _filled(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp(name)
    built = assign(name, work / name)
    student = built / "student" / f"{name}.ipynb"
    return student, fill_in(student, built / "autograder" / f"{name}.ipynb", work / "filled.ipynb")


@pytest.fixture(scope="module")
def a1(tmp_path_factory):
    """A1's untouched student notebook and the one filled in from the solutions."""
    return _filled(tmp_path_factory, "a1_gates")


@pytest.fixture(scope="module")
def a2(tmp_path_factory):
    return _filled(tmp_path_factory, "a2_vectorized_cell")


def _score(notebook_pair: tuple[Path, Path], attempt: Attempt, tmp_path: Path) -> float:
    student, filled = notebook_pair
    notebook = with_answer(filled if attempt.function else student, attempt, tmp_path / "attempt.ipynb")
    (result,) = grade(attempt.assignment, notebook, only={attempt.question})
    return result.score


# the endless loop waits for its question's full timeout: tested below with a short one
A1_GAMING = [a for a in ATTEMPTS if a.assignment == "a1_gates" and not a.honest and a.label != "an endless loop"]


@pytest.mark.parametrize("attempt", A1_GAMING, ids=[a.label for a in A1_GAMING])
def test_every_a1_gaming_attempt_scores_zero_on_its_question(a1, attempt, tmp_path):
    assert _score(a1, attempt, tmp_path) == 0.0


def test_the_honest_tanh_sigmoid_keeps_full_marks(a1, tmp_path):
    (honest,) = [a for a in ATTEMPTS if a.assignment == "a1_gates" and a.honest]
    assert "tanh" in honest.source
    assert _score(a1, honest, tmp_path) == 2.0


def test_the_filled_in_a1_gets_full_marks_and_the_untouched_one_nothing(a1):
    student, filled = a1
    results = grade("a1_gates", filled)
    assert [r.score for r in results] == [r.possible for r in results]
    assert sum(r.score for r in grade("a1_gates", student)) == 0.0


def test_switching_off_the_torch_guard_scores_zero_in_a2(a2, tmp_path):
    (attempt,) = [a for a in ATTEMPTS if a.label == "the grader's torch mode popped"]
    assert _score(a2, attempt, tmp_path) == 0.0


def test_an_endless_loop_costs_its_question_only_with_a_reason(a1, tmp_path):
    (loop,) = [a for a in ATTEMPTS if a.label == "an endless loop"]
    notebook = with_answer(a1[1], loop, tmp_path / "loop.ipynb")
    by_name = {q.name: q for q in questions("a1_gates", 0)}
    quick = dataclasses.replace(by_name[loop.question], timeout=3)
    source, _ = answer_source(notebook, ALWAYS_ALLOWED | quick.allowed)
    result = run_question(quick, source)
    assert result.score == 0.0 and "did not finish in 3 s" in result.reason
    assert all("did not finish" in case.message for case in result.cases)
    others = grade("a1_gates", notebook, only=set(by_name) - {loop.question})
    assert [r.score for r in others] == [r.possible for r in others]


CRASHES = {
    "os._exit": "import os\n\ndef biases_for(behaviour):\n    os._exit(1)\n",
    "SystemExit": "def biases_for(behaviour):\n    raise SystemExit(0)\n",
    "str() raises": "class Bad(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\n\n"
    "def biases_for(behaviour):\n    raise Bad()\n",
    "KeyboardInterrupt": "def biases_for(behaviour):\n    raise KeyboardInterrupt\n",
}


@pytest.mark.parametrize("label", CRASHES)
def test_a_crash_costs_its_question_only_with_a_reason(a1, label, tmp_path):
    attempt = Attempt("a1_gates", "q5", label, "biases_for", CRASHES[label])
    notebook = with_answer(a1[1], attempt, tmp_path / "crash.ipynb")
    results = {r.name: r for r in grade("a1_gates", notebook)}
    crashed = results.pop(attempt.question)
    assert crashed.score == 0.0
    assert all(case.message for case in crashed.cases if not case.passed)
    assert [r.score for r in results.values()] == [r.possible for r in results.values()]


def test_a_seed_changes_the_hidden_inputs_but_not_the_public_ones():
    def payloads(seed: int, hidden: bool) -> list[str]:
        return [repr(c.payload) for q in questions("a1_gates", seed) for c in q.cases if c.hidden == hidden]

    assert payloads(0, hidden=False) == payloads(7, hidden=False)
    assert payloads(0, hidden=True) != payloads(7, hidden=True)
    assert payloads(7, hidden=True) == payloads(7, hidden=True)


def test_only_definitions_literals_and_allowed_imports_are_loaded(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import os\nimport math\nP = {'w1': 0.0}\nQ = make()\nprint('hi')"),
        nbformat.v4.new_code_cell("def f(x):\n    return x\n"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    source, notes = answer_source(path, ALWAYS_ALLOWED)
    assert "import math" in source and "def f(x)" in source and "P = " in source
    assert "import os" not in source and "make()" not in source and "print" not in source
    assert any("import os" in note for note in notes)


def test_the_gradescope_environment_has_otter_and_the_course_at_this_commit(a1, monkeypatch, tmp_path):
    import re
    import zipfile

    from tools.assignments import autograder_zip

    environment = zipfile.ZipFile(autograder_zip(a1[0].parents[1])).read("environment.yml").decode()
    assert re.search(r"^\s+- otter-grader==\d", environment, re.MULTILINE)
    if UNDER_MUTMUT:  # mutmut's copy is not a git checkout; tools/mutation.py names the commit
        head = os.environ["LSTM_BOOK_COURSE_REF"]
    else:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    assert f"lstm-book-utils @ git+https://github.com/lstm-book/lstm-book@{head}\n" in environment
    assert "@main" not in environment and "COURSE_REF" not in environment

    monkeypatch.setenv("LSTM_BOOK_COURSE_REF", "v1.2")
    built = assign("a1_gates", tmp_path / "tagged")
    environment = zipfile.ZipFile(autograder_zip(built)).read("environment.yml").decode()
    assert "lstm-book/lstm-book@v1.2\n" in environment


def test_the_colab_build_leaves_only_the_public_tests(monkeypatch, tmp_path):
    from utils import grading

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tests = grading.public_tests("a1_gates")
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left and all(p.startswith(tests.relative_to(tmp_path).as_posix() + "/") for p in left), left
    assert not any("hidden=True" in (tmp_path / p).read_text() for p in left)
    assert not list(tmp_path.rglob("*.ipynb")) and not list(tmp_path.rglob("*.zip"))


def test_a_term_variant_refuses_the_public_seed_and_names_the_fix(capsys):
    from tools.assignments import main

    with pytest.raises(SystemExit):
        main(["variant", "--seed", "0"])
    assert "positive integer" in capsys.readouterr().err


def test_the_sandbox_tokenizer_is_the_course_s():
    """A3's questions get ``word_tokenize`` rebuilt inside the sandbox from the course's patterns:
    it must split exactly as ``utils.text.word_tokenize`` (clitics, curly apostrophes, accents)."""
    import tools.grading_cases_torch  # noqa: F401  (loads the A3 cases)
    from tools.grading_cases_a3 import a3
    from tools.grading_probes import provided
    from utils.text import word_tokenize

    sandboxed = provided(a3(0)[0].guards, {})["word_tokenize"]
    texts = ["I didn\u2019t <br />like the Cafe\u0301, it's <url> <user>", "Won't they've?", "#tags @x 10/10"]
    for text in texts:
        assert sandboxed(text) == word_tokenize(text)
