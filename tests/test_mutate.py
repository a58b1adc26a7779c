"""tools/mutation.py (mutmut, one module at a time): its settings, its record, a real run on a tiny module."""

import re
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import mutation  # noqa: E402

TINY = textwrap.dedent('''\
    """A tiny module."""


    def clamp(x: int, low: int = 0) -> int:
        """Never below low."""
        if x < low:
            return low
        return x


    def double(x: int) -> int:
        return x * 2
''')

TESTS = textwrap.dedent('''\
    from utils.tiny import clamp, double


    def test_clamp():
        assert clamp(-3) == 0 and clamp(5) == 5 and clamp(4, low=6) == 6


    def test_double_of_zero():  # too weak: only zero
        assert double(0) == 0
''')

PYPROJECT = textwrap.dedent('''\
    [tool.pytest.ini_options]
    pythonpath = ["."]

    [tool.mutmut]
    source_paths = ["utils/"]
    pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]
''')


@pytest.fixture
def tiny_repo(tmp_path):
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "utils" / "tiny.py").write_text(TINY)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_tiny.py").write_text(TESTS)
    (tmp_path / "tests" / "test_other.py").write_text("def test_unrelated():\n    assert 1 + 1 == 2\n")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path


def test_the_sandbox_settings_narrow_mutmut_to_one_module_and_its_tests(tiny_repo):
    assert mutation.default_tests(tiny_repo, Path("utils/tiny.py")) == ["tests/test_tiny.py"]
    text = mutation.sandbox_pyproject(tiny_repo, Path("utils/tiny.py"), ["tests/test_tiny.py"])
    assert text.count("[tool.mutmut]") == 1 and 'pythonpath = ["."]' in text
    assert 'only_mutate = ["utils/tiny.py"]\n' in text
    assert 'pytest_add_cli_args_test_selection = ["tests/test_tiny.py"]\n' in text
    assert 'source_paths = ["utils/"]\n' in text


def test_a_module_no_test_imports_is_refused_with_the_fix(tiny_repo):
    (tiny_repo / "utils" / "lonely.py").write_text("X = 1\n")
    with pytest.raises(SystemExit, match="name the tests with --tests"):
        mutation.default_tests(tiny_repo, Path("utils/lonely.py"))


def test_toml_values():
    assert mutation._toml(["a", 'b"c']) == '["a", "b\\"c"]'
    assert (mutation._toml(True), mutation._toml(1.5), mutation._toml(3)) == ("true", "1.5", "3")
    with pytest.raises(TypeError, match="use a string, number, boolean or list"):
        mutation._toml({"a": 1})


def test_results_and_diffs_are_read():
    text = "    utils.tiny.x_clamp__mutmut_1: killed\n    utils.tiny.x_double__mutmut_2: no tests\nnoise\n"
    assert mutation.parse_results(text) == {"utils.tiny.x_clamp__mutmut_1": "killed",
                                            "utils.tiny.x_double__mutmut_2": "no tests"}
    diff = "--- utils/tiny.py\n+++ utils/tiny.py\n@@ -1,3 +1,3 @@\n def double(x):\n-    return x * 2\n+    return x / 2\n"
    assert mutation.parse_diff(diff, TINY.splitlines()) == (12, ["return x * 2"], ["return x / 2"])


TWINS = textwrap.dedent('''\
    """The same lines in two functions, a method and twice in one function."""
    import functools


    def first(x):
        if x is None:
            raise ValueError("x is missing")
        return x + 1


    def second(x):
        if x is None:
            raise ValueError("x is missing")
        return x + 1


    class Box:
        @functools.cache
        def third(self, x):
            if x is None:
                raise ValueError("x is missing")
            return x + 1

        def both(self, x, y):
            if x is None:
                raise ValueError("x is missing")
            if x is None:
                raise ValueError("x is missing")
            return x + 1


    class Other:
        def both(self, x, y):
            if x is None:
                raise ValueError("x is missing")
            return x + 1
''')


def mutmut_diffs(path: str, source: str) -> list[tuple[str, str, int]]:
    """Every mutant mutmut makes of a module: its name, the diff ``mutmut show`` prints (the function
    alone), and the line it changes, found by applying it to the whole module and diffing that."""
    import difflib

    import libcst as cst
    from mutmut.mutation.diff_apply import (
        read_mutant_function,
        read_original_function,
    )
    from mutmut.mutation.file_mutation import mutate_file_contents
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    mutated = mutate_file_contents(path, source)
    original, mutants = cst.parse_module(source), cst.parse_module(mutated.code)
    found = []
    for name in mutated.mutant_names:
        pair = (read_original_function(mutants, name), read_mutant_function(mutants, name))
        before, after = (cst.Module([function]).code.strip().split("\n") for function in pair)
        diff = "\n".join(difflib.unified_diff(before, after, fromfile=path, tofile=path, lineterm=""))
        function_name, owner = orig_function_and_class_names_from_key(name)
        body = original.body if owner is None else next(
            node.body.body for node in original.body if isinstance(node, cst.ClassDef) and node.name.value == owner)
        function = next(node for node in body if isinstance(node, cst.FunctionDef) and node.name.value == function_name)
        whole = original.deep_replace(function, pair[1].with_changes(name=cst.Name(function_name))).code
        opcodes = difflib.SequenceMatcher(None, source.splitlines(), whole.splitlines()).get_opcodes()
        found.append((name, diff, next(op for op in opcodes if op[0] != "equal")[1] + 1))
    return found


def test_a_changed_line_is_named_where_it_is_not_at_its_twin():
    diffs = mutmut_diffs("utils/twins.py", TWINS)
    lines = TWINS.splitlines()
    assert len(diffs) > 20 and {line for _, _, line in diffs} >= {6, 12, 25, 27, 34}  # (mutmut skips decorated ones)
    for name, diff, line in diffs:
        assert mutation.parse_diff(diff, lines, name)[0] == line, (name, diff)
    assert mutation.function_span(TWINS, "utils.twins.xǁBoxǁthird__mutmut_1") == (18, 22)  # with its decorator
    assert mutation.function_span(TWINS, "utils.twins.x_second__mutmut_2") == (11, 14)
    assert mutation.function_span(TWINS, "utils.twins.xǁOtherǁboth__mutmut_1") == (33, 36)  # not Box.both
    assert mutation.function_span(TWINS, "utils.twins.x_gone__mutmut_2") is None
    assert mutation.function_span(TWINS, "utils.twins.xǁGoneǁboth__mutmut_2") is None


def test_the_line_of_a_changed_line_that_is_not_named_by_its_function_is_the_nearest():
    diff = "@@ -4,3 +4,3 @@\n     if x is None:\n-        raise ValueError(\"x is missing\")\n+        raise None\n"
    lines = TWINS.splitlines()
    assert mutation.parse_diff(diff, lines) == (7, ['raise ValueError("x is missing")'], ["raise None"])
    assert mutation.parse_diff(diff, lines, "utils.twins.xǁBoxǁboth__mutmut_9")[0] == 28  # its own function
    assert mutation.parse_diff("no diff", lines, "utils.twins.x_first__mutmut_1") == (0, [], [])


def test_the_record_keeps_reasons_and_other_modules(tmp_path):
    record = tmp_path / "mutation.txt"
    kept = mutation.Survivor("utils.tiny.x_double__mutmut_1", "survived", 12, ["return x * 2"], ["return x / 2"])
    result = mutation.ModuleResult("utils/tiny.py", {"killed": 3, "survived": 1}, [kept])
    section = mutation.format_module(result, "2026-12-04", "mutmut 3.8.1")
    assert section.startswith("== utils/tiny.py  survivors 1/4  (killed 3, survived 1)  2026-12-04, mutmut 3.8.1\n")
    assert mutation.PENDING in section
    reasoned = section.replace(mutation.PENDING, "double(0) only")
    mutation.write_record(record, {"utils/tiny.py": reasoned, "utils/a.py": "== utils/a.py  survivors 0/1\n"})
    sections = mutation.read_record(record)
    assert list(sections) == ["utils/a.py", "utils/tiny.py"] and record.read_text().startswith(mutation.HEADER)
    again = mutation.ModuleResult("utils/tiny.py", {"survived": 1}, [
        mutation.Survivor("n_1", "survived", 12, ["return x * 2"], ["return x / 2"])])
    mutation.keep_reasons(again, sections["utils/tiny.py"])
    assert again.survivors[0].why == "double(0) only"
    twins = "".join(f"   l.{line}  return x * 2 -> return x / 2\n       why: {why}\n"
                    for line, why in ((3, "the first"), (12, "the second")))
    moved = [mutation.Survivor("n_1", "survived", line, ["return x * 2"], ["return x / 2"]) for line in (3, 12, 20)]
    again = mutation.ModuleResult("utils/tiny.py", {"survived": 3}, moved)
    mutation.keep_reasons(again, "== utils/tiny.py  survivors 2/2\n" + twins)
    assert [s.why for s in again.survivors] == ["the first", "the second", "the second"]  # by line first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mutation.txt"]  # no temporary file left


def test_mutmut_finds_the_weakly_tested_function_and_leaves_the_module_alone(tiny_repo, tmp_path, capsys):
    record = tmp_path / "record.txt"
    code = mutation.main(["utils/tiny.py", "--repo", str(tiny_repo), "--record", str(record), "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 1, out
    lines = [line.strip() for line in out.splitlines()]
    changed = {line.split("  ", 1)[1] for line in lines if line.startswith("l.12")}
    assert changed and all(c.startswith("return x * 2 -> ") for c in changed), out  # double(0) == 0: weak
    # clamp is tested at both sides; only x <= low survives, and it returns low == x: equivalent
    assert [line for line in lines if line.startswith(("l.6", "l.7", "l.8"))] == ["l.6  if x < low: -> if x <= low:"]
    total = re.search(r"survivors \d+/(\d+)", out)[1]
    assert lines[-1] == f"SURVIVORS tiny={len(changed) + 1} total={total}", out
    assert (tiny_repo / "utils" / "tiny.py").read_text() == TINY
    assert not (tiny_repo / "mutants").exists()
    assert "== utils/tiny.py  survivors" in record.read_text()


def test_sections_and_reasons_written_during_a_run_are_kept(tiny_repo, tmp_path, monkeypatch):
    """A run rewrites only its own modules' sections: a section another run wrote meanwhile, and
    reasons written by hand into this module's section meanwhile, survive its write."""
    record = tmp_path / "record.txt"
    mutation.write_record(record, {"utils/a.py": "== utils/a.py  survivors 0/1\n"})
    change = mutation.Survivor("utils.tiny.x_double__mutmut_1", "survived", 12, ["return x * 2"], ["return x / 2"])

    def run_module(repo, module, tests, jobs, slow=None):  # meanwhile, another run and a maintainer edit the record
        pending = mutation.format_module(mutation.ModuleResult("utils/tiny.py", {"survived": 1}, [change]),
                                         "2026-12-04", "mutmut 3.8.1")
        mutation.write_record(record, {**mutation.read_record(record),
                                       "utils/b.py": "== utils/b.py  survivors 0/2\n",
                                       "utils/tiny.py": pending.replace(mutation.PENDING, "double(0) only")})
        fresh = mutation.Survivor(change.name, change.status, change.line, change.removed, change.added)
        return mutation.ModuleResult("utils/tiny.py", {"killed": 2, "survived": 1}, [fresh])

    monkeypatch.setattr(mutation, "run_module", run_module)
    assert mutation.main(["utils/tiny.py", "--repo", str(tiny_repo), "--record", str(record)]) == 1
    sections = mutation.read_record(record)
    assert sorted(sections) == ["utils/a.py", "utils/b.py", "utils/tiny.py"]
    assert "survivors 1/3" in sections["utils/tiny.py"] and "why: double(0) only" in sections["utils/tiny.py"]


def test_slow_tests_run_only_for_the_mutants_the_others_miss():
    assert mutation.first_pass_selection(["tests/a.py", "tests/b.py"], ["tests/b.py::test_slow"]) == [
        "tests/a.py", "tests/b.py", "--deselect", "tests/b.py::test_slow"]
    first = {"m_1": "killed", "m_2": "survived", "m_3": "no tests", "m_4": "timeout"}
    second = {"m_1": "not checked", "m_2": "killed", "m_3": "survived", "m_4": "not checked"}
    assert mutation.merge_passes(first, second) == {"m_1": "killed", "m_2": "killed", "m_3": "survived",
                                                    "m_4": "timeout"}


def test_two_passes_give_the_statuses_of_one_run(tiny_repo, tmp_path, capsys):
    """clamp's only test is named slow: the first pass leaves clamp's mutants untested, the second
    runs them with it, and the survivors are those of one run with every test."""
    def survivors(*extra):
        assert mutation.main(["utils/tiny.py", "--repo", str(tiny_repo), "--jobs", "2", *extra]) == 1
        out = capsys.readouterr().out
        return out, sorted(line.strip() for line in out.splitlines() if line.startswith("   l."))

    one_out, one = survivors()
    two_out, two = survivors("--slow-tests", "tests/test_tiny.py::test_clamp")
    assert two == one and "l.6  if x < low: -> if x <= low:" in two, two_out
    assert one_out.splitlines()[-1] == two_out.splitlines()[-1]  # SURVIVORS tiny=N total=T
    passes = re.search(r"then the (\d+) that survived with every test", two_out)
    assert passes and int(passes[1]) > len(two), two_out  # clamp's mutants ran twice, and died


def test_a_test_file_is_selected_however_it_imports_the_module():
    imports = mutation.imports_module
    assert imports("from utils import (\n    baseline,\n    data,\n)\n", "utils.data")  # on several lines
    assert imports("import utils.data as d\n", "utils.data")
    assert imports("def test():\n    from utils.data import load_tweets\n", "utils.data")  # inside a test
    assert not imports("from utils import database, metadata\n", "utils.data")
    assert not imports("from torch.utils.data import DataLoader\nimport utils.datasets\n", "utils.data")
    assert not imports("# from utils import data\nTEXT = 'import utils.data'\n", "utils.data")
