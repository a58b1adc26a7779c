"""utils/grading.py without otter or pip: the messages whole, the command ``assign`` hands to otter and
what it writes next to the master, the git commit the autograder is pinned to, the public-tests folder,
the package-name helpers and dependency walk, the Colab install, ``ready``'s stub detection and the
``grader`` entry point. Every subprocess, package lookup and otter itself is a stand-in here."""

import functools
import hashlib
import io
import subprocess
import sys
import types

import pytest
from conftest import error_message

from utils import grading

REAL_RUN = subprocess.run  # the stand-ins below replace subprocess.run itself

# --- messages ---------------------------------------------------------------------------------------


def test_unknown_assignment_lists_the_assignments():
    assert error_message(lambda: grading.master_path("a9")) == (
        "unknown assignment 'a9'; the assignments are a1_gates, a2_vectorized_cell, a3_sentiment"
    )


def test_root_of_the_wrong_type_is_named():
    assert error_message(lambda: grading.master_path("a1_gates", root=5)) == (
        "expected root to be the course folder (a str or Path), got int"
    )


def test_a_missing_master_is_named(tmp_path):
    master = tmp_path / "assignments" / "a1_gates" / "a1_gates.ipynb"
    assert error_message(lambda: grading.assign("a1_gates", tmp_path / "out", root=tmp_path)) == (
        f"{master} is missing; is this a full copy of the course?"
    )


def test_package_name_lists_are_checked_item_by_item():
    assert error_message(lambda: grading.otter_install_command([None])) == (
        "expected every item of requirements to be a package name (a str), got NoneType None"
    )
    assert error_message(lambda: grading.otter_install_command(["numpy", 5])) == (
        "expected every item of requirements to be a package name (a str), got int 5"
    )
    assert error_message(lambda: grading.missing_dependencies([5])) == (
        "expected every item of roots to be a package name (a str), got int 5"
    )


def test_installed_and_python_of_the_wrong_type_are_named():
    message = ("expected installed to be a function of a package name and python the path of a Python "
               "interpreter (sys.executable), got {} and {}")
    assert error_message(lambda: grading.otter_install_command(["numpy"], installed="yes", python=5)) == (
        message.format("str", "int")
    )
    assert error_message(lambda: grading.otter_install_command(["numpy"], installed=len, python=None)) == (
        message.format("builtin_function_or_method", "NoneType")
    )


def test_a_line_that_is_no_requirement_is_named():
    assert error_message(lambda: grading._requirement_name("==1.0")) == "not a requirement: '==1.0'"


def test_ready_without_functions_says_what_it_needs():
    expected = "ready() needs the functions the demo uses, e.g. ready(run) (the functions, not their results)"
    assert error_message(lambda: grading.ready()) == expected
    assert error_message(lambda: grading.ready(None)) == expected


# --- assign: what otter is asked to do --------------------------------------------------------------


def course(tmp_path, requirements="otter-grader==7.0.0\nlstm-book-utils @ git+https://x/y@COURSE_REF@\n"):
    """A course folder holding only what ``assign`` reads: a master and the autograder requirements."""
    root = tmp_path / "course"
    master = root / "assignments" / "a1_gates" / "a1_gates.ipynb"
    master.parent.mkdir(parents=True)
    master.write_text('{"the": "master of this test"}', encoding="utf-8")
    (root / "assignments" / "requirements-autograder.txt").write_bytes(requirements.encode("utf-8"))
    return root


class FakeRun:
    """Stands in for subprocess.run: git says commit abc123, otter succeeds (or runs ``otter``'s script)."""

    def __init__(self, otter=None):
        self.git, self.otter, self.script = [], [], otter

    def __call__(self, command, **kwargs):
        if command[0] == "git":
            self.git.append(kwargs["cwd"])
            return subprocess.CompletedProcess(command, 0, stdout="abc123\n", stderr="")
        copy = grading.Path(command[-2])
        self.otter.append({
            "command": command, "kwargs": kwargs, "copy": copy, "master": copy.read_text(encoding="utf-8"),
            "requirements": (copy.parent.parent / "requirements-autograder.txt").read_bytes(),
        })
        if self.script:
            return REAL_RUN([sys.executable, "-c", self.script], **kwargs)
        return subprocess.CompletedProcess(command, 0, stdout="", stderr="")


@pytest.fixture
def fake_run(monkeypatch):
    monkeypatch.delenv(grading.COURSE_REF_VARIABLE, raising=False)
    run = FakeRun()
    monkeypatch.setattr(grading.subprocess, "run", run)
    return run


def test_assign_skips_otters_test_run_by_default_and_copies_this_roots_master(tmp_path, fake_run):
    root = course(tmp_path)
    assert grading.assign("a1_gates", tmp_path / "out", root=root) == tmp_path / "out"
    (call,) = fake_run.otter
    copy = call["copy"]
    assert call["command"] == [sys.executable, "-m", "otter", "assign", "--no-run-tests", "--no-pdfs", str(copy),
                               str((tmp_path / "out").resolve())]
    # otter reads ../requirements-autograder.txt next to the master, so it runs in the master's folder
    assert call["kwargs"] == {"capture_output": True, "text": True, "cwd": copy.parent}
    assert copy.name == "a1_gates.ipynb" and copy.parent.name == "a1_gates"
    assert copy.parent.parent.name.startswith("a1_gates-master-")  # the staging folder says what it holds
    assert call["master"] == '{"the": "master of this test"}'  # the master of root, not of this checkout
    assert fake_run.git == [root]  # the commit is that of root's checkout
    assert not copy.parent.parent.exists()  # the staging copy is gone afterwards


def test_assign_with_run_tests_lets_otter_grade_the_solutions(tmp_path, fake_run):
    grading.assign("a1_gates", tmp_path / "out", run_tests=True, root=course(tmp_path))
    assert "--no-run-tests" not in fake_run.otter[0]["command"]
    assert fake_run.otter[0]["command"][3:5] == ["assign", "--no-pdfs"]


def test_assign_pins_the_course_to_the_commit_and_keeps_the_file_utf8(tmp_path, fake_run, monkeypatch):
    """A comment with an accent survives even where the locale's encoding is Latin-1 (Windows cp1252):
    the file is read and written as UTF-8, whatever Python would pick for encoding=None."""
    real = io.text_encoding
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "latin-1")
    root = course(tmp_path, "# café\nlstm-book-utils @ git+https://x/y@COURSE_REF@\n")
    monkeypatch.setattr(io, "text_encoding", real)
    grading.assign("a1_gates", tmp_path / "out", root=root)
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "latin-1")
    grading.assign("a1_gates", tmp_path / "out", root=root)
    expected = "# café\nlstm-book-utils @ git+https://x/y@abc123\n".encode()
    assert [call["requirements"] for call in fake_run.otter] == [expected, expected]


def test_a_failing_otter_assign_shows_its_output(tmp_path, monkeypatch):
    """The stand-in runs a real process with assign's own settings: its output must come back as text."""
    monkeypatch.setenv(grading.COURSE_REF_VARIABLE, "v1.0")
    run = FakeRun(otter="import sys; print('otter says'); sys.stderr.write('boom'); sys.exit(1)")
    monkeypatch.setattr(grading.subprocess, "run", run)
    with pytest.raises(RuntimeError) as caught:
        grading.assign("a1_gates", tmp_path / "out", root=course(tmp_path))
    assert str(caught.value) == "otter assign failed for a1_gates:\notter says\n\nboom"
    assert run.git == []  # the variable wins over git
    assert run.otter[0]["requirements"].endswith(b"@v1.0\n")


# --- course_ref: the commit of a real (tiny) git checkout --------------------------------------------

GIT_ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "A",
           "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@x",
           "GIT_AUTHOR_DATE": "@0 +0000", "GIT_COMMITTER_DATE": "@0 +0000"}


def test_course_ref_is_the_head_commit_of_root(tmp_path, monkeypatch):
    """The expected id is computed by hand: git's sha1 of the commit object (empty tree, fixed author)."""
    monkeypatch.delenv(grading.COURSE_REF_VARIABLE, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    repo.mkdir()
    elsewhere.mkdir()
    REAL_RUN(["git", "init", "-q", str(repo)], check=True)
    REAL_RUN(["git", "-C", str(repo), "commit", "-q", "--allow-empty", "-m", "m"], check=True)
    body = (b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 0 +0000\n"
            b"committer A <a@x> 0 +0000\n\nm\n")
    expected = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
    monkeypatch.chdir(elsewhere)  # not a checkout: git must run in root
    ref = grading.course_ref(repo)
    assert type(ref) is str and ref == expected


def test_course_ref_outside_a_checkout_says_how_to_pin(tmp_path, monkeypatch):
    monkeypatch.delenv(grading.COURSE_REF_VARIABLE, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with pytest.raises(RuntimeError) as caught:
        grading.course_ref(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path} is not a git checkout, so the autograder cannot pin the course to a commit: "
        "set LSTM_BOOK_COURSE_REF to a tag or commit of the course"
    )
    assert isinstance(caught.value.__cause__, subprocess.CalledProcessError)


# --- public_tests ------------------------------------------------------------------------------------


def test_public_tests_keeps_only_the_student_tests_in_a_named_folder(monkeypatch):
    builds = []

    def fake_assign(name, destination):
        builds.append(destination)
        (destination / "student" / "tests").mkdir(parents=True)
        (destination / "student" / "tests" / "q1.py").write_text("OK = 1\n", encoding="utf-8")
        (destination / "autograder").mkdir()
        return destination

    monkeypatch.setattr(grading, "assign", fake_assign)
    tests = grading.public_tests("a1_gates")
    try:
        assert tests.name == "tests" and tests.parent.name.startswith("a1_gates-public-tests-")
        assert [path.name for path in tests.iterdir()] == ["q1.py"]
        (build,) = builds
        assert build.name == "a1_gates" and build.parent.name.startswith("a1_gates-build-")
        assert not build.parent.exists()  # solutions and hidden tests are deleted
    finally:
        grading.shutil.rmtree(tests.parent)


# --- package names, installed packages and the dependency walk ---------------------------------------


def test_requirement_names_keep_their_capitals():
    assert grading._requirement_name("PyYAML==6.0") == "PyYAML"
    assert grading._requirement_name("  Django (>=4)") == "Django"


def test_is_installed_asks_the_package_metadata():
    assert grading._is_installed("packaging") is True
    assert grading._is_installed("no-such-package-of-this-course") is False


def fake_distributions(monkeypatch, requires):
    """metadata.distribution knows exactly the packages in ``requires`` (name -> its Requires-Dist)."""
    def distribution(name):
        if name not in requires:
            raise grading.metadata.PackageNotFoundError(name)
        return types.SimpleNamespace(requires=requires[name])
    monkeypatch.setattr(grading.metadata, "distribution", distribution)


def test_required_names_leave_out_every_extra_and_other_platforms(monkeypatch):
    fake_distributions(monkeypatch, {
        "pkg": ["needed>=1", "tests-only; extra == 'test'", "xxxx-only; extra == 'xxxx'",
                "windows-only; sys_platform == 'nonexistent'", "always; python_version >= '3'"],
        "bare": None,  # a package without Requires-Dist
    })
    assert grading._required_names("pkg") == ["needed", "always"]
    assert grading._required_names("bare") == []
    assert grading._required_names("absent") == []


def test_generators_of_names_are_not_used_up_by_the_checks():
    command = grading.otter_install_command((name for name in ["numpy"]), installed=lambda name: False,
                                            python="py")
    assert command == ["py", "-m", "pip", "install", "-q", "--no-deps", "numpy"]
    assert grading.missing_dependencies((name for name in ["numpy"]), installed=lambda name: False) == ["numpy"]


def test_missing_dependencies_walk_every_branch_once():
    """solo is missing; app needs a and b; both need shared (missing, spelled two ways); b also needs lonely
    (missing). Meeting shared a second time must not end the walk before solo."""
    graph = {"app": ["a", "b"], "a": ["Shared_Pkg"], "b": ["shared-pkg", "lonely"]}
    asked = []

    def requires(name):
        asked.append(name)
        assert len(asked) < 10, "the walk goes round in circles"
        return graph[name]

    missing = grading.missing_dependencies(["solo", "app"], installed=graph.__contains__, requires=requires)
    assert missing == ["lonely", "shared-pkg", "solo"]
    assert sorted(asked) == ["a", "app", "b"]


def test_missing_dependencies_stop_at_a_cycle():
    asked = []

    def requires(name):
        asked.append(name)
        assert len(asked) < 10, "the walk goes round in circles"
        return {"a": ["b", "gone"], "b": ["a"]}[name]

    assert grading.missing_dependencies(["a"], installed=lambda name: name != "gone", requires=requires) == ["gone"]
    assert sorted(asked) == ["a", "b"]


# --- the install on Colab ----------------------------------------------------------------------------

OTTER_DEPENDENCIES = {"fica": [], "ipylab": [], "python-frontmatter": [], "python-on-whales": []}


def record_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(grading.subprocess, "run", lambda command, **kwargs: calls.append((command, kwargs)))
    return calls


def test_install_otter_adds_the_missing_packages_with_pip_checked(monkeypatch):
    """ipylab is missing, otter and its own dependencies are there: one pip call, checked (check=True)."""
    there = {name: needs for name, needs in OTTER_DEPENDENCIES.items() if name != "ipylab"}
    fake_distributions(monkeypatch, {**there, "otter-grader": ["fica"]})
    calls = record_runs(monkeypatch)
    grading._install_otter()
    assert calls == [([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "ipylab==1.1.0"],
                      {"check": True})]


def test_install_otter_adds_a_dependency_that_a_later_colab_lacks(monkeypatch):
    fake_distributions(monkeypatch, {**OTTER_DEPENDENCIES, "otter-grader": ["fica>=0.4", "newdep; python_version >= '3'"]})
    calls = record_runs(monkeypatch)
    grading._install_otter()
    assert calls == [([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "newdep"], {"check": True})]


# --- ready: which functions are still stubs ----------------------------------------------------------


def test_a_class_without_forward_is_judged_by_its_own_init(capsys):
    class Unwritten:
        def __init__(self):
            ...

    class Written:
        def __init__(self):
            self.ready = True

    class Empty:  # nothing of its own to judge: not a stub
        pass

    assert grading.ready(Unwritten) is False
    assert capsys.readouterr().out == "Skipped: write `Unwritten` above first, run that cell, then run this one again.\n"
    assert grading.ready(Written) is True and grading.ready(Empty) is True
    assert capsys.readouterr().out == ""


def test_builtins_and_functions_that_raise_other_errors_are_written(capsys):
    def refuses(x):
        raise ValueError("never")

    assert grading.ready(print, len) is True
    assert grading.ready(refuses) is True
    assert capsys.readouterr().out == ""


def test_a_stub_behind_a_partial_of_a_partial_is_named_by_its_repr(capsys):
    """CPython flattens partial(partial(stub)) unless the inner partial holds attributes of its own; then
    the outer one's func is a partial, which has no __name__, and the hint names the outer one by its repr."""
    def stub(x, y): ...

    inner = functools.partial(stub, 1)
    inner.note = "kept apart"
    outer = functools.partial(inner, 2)
    assert outer.func is inner
    assert grading.ready(outer) is False
    assert capsys.readouterr().out == (
        f"Skipped: write `{outer!r}` above first, run that cell, then run this one again.\n"
    )


def test_return_const_of_python_312_is_an_answer_unless_it_returns_none(monkeypatch):
    """CPython 3.12 (Colab's Python) compiles ``return 1`` to RESUME, RETURN_CONST 1 and ``...`` to
    RESUME, RETURN_CONST None; this Python (3.11) never emits RETURN_CONST, so the bytecode is given here."""
    def op(name, value):
        return types.SimpleNamespace(opname=name, argval=value)

    bodies = {"answer": [op("RESUME", 0), op("RETURN_CONST", 1)], "stub": [op("RESUME", 0), op("RETURN_CONST", None)]}
    monkeypatch.setattr(grading.dis, "get_instructions", lambda code: bodies[code.co_name])

    def answer(): ...

    def stub(): ...

    assert grading._is_stub(answer) is False
    assert grading._is_stub(stub) is True


# --- grader ------------------------------------------------------------------------------------------


class FakeNotebook:
    _tests_dir_override = None
    made = []

    def __init__(self, tests_dir="./tests"):
        self.made.append(tests_dir)


def test_grader_uses_the_tests_folder_next_to_the_notebook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setitem(sys.modules, "otter", types.SimpleNamespace(Notebook=FakeNotebook))
    monkeypatch.setattr(FakeNotebook, "made", [])
    (tmp_path / "tests").mkdir()
    assert isinstance(grading.grader("a1_gates"), FakeNotebook)
    assert FakeNotebook.made == ["tests"]


def test_grader_without_otter_says_how_to_install_it(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setitem(sys.modules, "otter", None)  # import otter raises ImportError
    with pytest.raises(ImportError) as caught:
        grading.grader("a1_gates")
    assert str(caught.value) == (
        "otter-grader is not installed; run `make book` once (it installs requirements.txt) "
        "or `pip install otter-grader==7.0.0`"
    )
