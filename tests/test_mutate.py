"""tools/mutate.py on a tiny module: the mutants it makes, the survivors it reports, files untouched."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import mutate  # noqa: E402

TINY = textwrap.dedent('''\
    """A tiny module."""


    def clamp(x: int, low: int = 0) -> int:
        """Never below low."""
        if x < low:
            return low
        return x


    def double(x: int) -> int:
        return x * 2


    def reset(items: list) -> None:
        items.clear()


    UNUSED = [0] * 3  # pragma: no mutate
''')

TESTS = textwrap.dedent('''\
    from utils.tiny import clamp, double, reset


    def test_clamp():
        assert clamp(-3) == 0 and clamp(5) == 0 + 5 and clamp(4, low=6) == 6


    def test_double_of_zero():  # too weak: only zero
        assert double(0) == 0


    def test_reset():
        items = [1]
        reset(items)
        assert items == []
''')


def test_mutants_of_a_tiny_module():
    found = [(m.line, m.description) for m in mutate.mutants(TINY)]
    assert found == [
        (6, "negate if condition"), (6, "< -> <="), (6, "< -> >"),
        (7, "return None"), (8, "return None"),
        (12, "return None"), (12, "* -> /"), (12, "2 -> 3"), (12, "2 -> 1"),
        (16, "delete call items.clear(...)"),
    ]  # never the docstrings, the annotations or the default value
    assert all(compile(m.source, "m", "exec") for m in mutate.mutants(TINY))
    assert [m.line for m in mutate.mutants(TINY, lines=(11, 13))] == [12] * 4
    assert "    return (x / 2)\n" in mutate.mutants(TINY, lines=(12, 12))[1].source


@pytest.fixture
def tiny_repo(tmp_path):
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "utils" / "tiny.py").write_text(TINY)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_tiny.py").write_text(TESTS)
    (tmp_path / "tests" / "test_other.py").write_text("def test_nothing_to_do_with_it():\n    assert True\n")
    return tmp_path


def run_mutate(repo, *args):
    tool = Path(mutate.__file__)
    return subprocess.run([sys.executable, str(tool), "utils/tiny.py", "--repo", str(repo), *args],
                          capture_output=True, text=True, timeout=300, check=False)


def test_survivors_are_reported_and_the_module_is_untouched(tiny_repo):
    assert mutate.default_tests(tiny_repo, Path("utils/tiny.py")) == ["tests/test_tiny.py"]
    run = run_mutate(tiny_repo)
    lines = run.stdout.strip().splitlines()
    # double(0) == 0 also holds for x / 2, x * 3 and x * 1; "x <= low" returns low == x: the same
    assert lines[-1] == "SURVIVORS tiny=4 killed=6 total=10", run.stdout + run.stderr
    survived = [line for line in lines if line.startswith("SURVIVED")]
    assert survived == ["SURVIVED utils/tiny.py:6: < -> <=", "SURVIVED utils/tiny.py:12: * -> /",
                        "SURVIVED utils/tiny.py:12: 2 -> 3", "SURVIVED utils/tiny.py:12: 2 -> 1"]
    assert "utils/tiny.py:12: * -> /" in run.stdout and "| return x * 2" in run.stdout
    assert run.returncode == 1
    assert (tiny_repo / "utils" / "tiny.py").read_text() == TINY
    assert sorted(p.name for p in (tiny_repo / "utils").iterdir()) == ["__init__.py", "tiny.py"]


def test_max_and_lines_limit_the_run(tiny_repo):
    run = run_mutate(tiny_repo, "--lines", "15-16", "--tests", "tests/test_tiny.py::test_reset")
    assert run.stdout.strip().splitlines()[-1] == "SURVIVORS tiny=0 killed=1 total=1"
    assert run.returncode == 0
    run = run_mutate(tiny_repo, "--max", "2")  # the first two, in line order
    assert run.stdout.strip().splitlines()[-1] == "SURVIVORS tiny=1 killed=1 total=2"


def test_tests_that_fail_before_mutation_stop_the_run(tiny_repo):
    (tiny_repo / "tests" / "test_tiny.py").write_text(TESTS + "\n\ndef test_broken():\n    assert False\n")
    run = run_mutate(tiny_repo)
    assert run.returncode == 2 and "fail before any mutation" in run.stdout
