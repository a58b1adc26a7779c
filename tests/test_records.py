"""utils.records reads the benchmark records the chapters quote."""

import pytest
from conftest import error_message

from utils.records import RESULTS_DIR, recorded_result, recorded_source


def test_the_gpu_records_hold_the_figures_the_chapters_quote():
    imdb = recorded_result("imdb_scale_cuda_h200.txt")
    assert imdb["exact_s_per_epoch"] == 24.6 and imdb["predict_texts_per_s"] == 2520.0
    assert recorded_result("packing_speed_cuda_h200.txt")["exact_over_packed"] == 0.99
    assert recorded_result("packing_speed_cpu.txt")["exact_over_packed"] == 14.45
    source = recorded_source("imdb_scale_cuda_h200.txt")
    assert source.startswith("python benchmarks/imdb_scale.py --device cuda") and "H200" in source
    assert "dca9147" in source


def test_every_record_starts_with_its_command_and_ends_with_a_result():
    for path in sorted(RESULTS_DIR.glob("*_h200.txt")) + sorted(RESULTS_DIR.glob("*_cpu.txt")):
        assert recorded_source(path.name)
        if "parity" not in path.name and "batch_scan" not in path.name:
            assert recorded_result(path.name)


def test_missing_and_malformed_records_get_errors_that_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="from a clone of the course"):
        recorded_result("nope.txt", tmp_path)
    (tmp_path / "bad.txt").write_text("no header\nRESULT a=1\n")
    assert recorded_result("bad.txt", tmp_path) == {"a": 1.0}
    with pytest.raises(ValueError, match="# command"):
        recorded_source("bad.txt", tmp_path)
    (tmp_path / "empty.txt").write_text("# cmd\n")
    with pytest.raises(ValueError, match="RESULT"):
        recorded_result("empty.txt", tmp_path)


# --- found by mutation testing: the exact messages, and which item is blamed ------------------



def test_the_arguments_are_a_file_name_and_a_folder(tmp_path):
    assert error_message(lambda: recorded_result(5, tmp_path)) == (
        f"expected a record's file name (str) and a folder, got 5 and {tmp_path!r:.40}")
    assert error_message(lambda: recorded_result("r.txt", 5)) == (
        "expected a record's file name (str) and a folder, got 'r.txt' and 5")


def test_a_missing_record_lists_the_records_that_are_there(tmp_path):
    (tmp_path / "b.txt").write_text("# x\nRESULT a=1\n")
    (tmp_path / "a.txt").write_text("# x\nRESULT a=1\n")
    (tmp_path / "notes.md").write_text("not a record")
    assert error_message(lambda: recorded_result("c.txt", tmp_path)) == (
        f"no benchmark record 'c.txt' in {tmp_path}: run the notebooks from a clone of the course (the "
        "records are not part of the installed package); records here: ['a.txt', 'b.txt']")
    assert error_message(lambda: recorded_result("c.txt", tmp_path / "none")).endswith("records here: []")


def test_records_are_read_as_utf8_whatever_the_machine_s_default(tmp_path, monkeypatch):
    import io

    (tmp_path / "r.txt").write_text("# run on a café's laptop\nRESULT a=1\n", encoding="utf-8")
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: encoding or "latin-1")
    assert recorded_source("r.txt", tmp_path) == "run on a café's laptop"
    (tmp_path / "l.txt").write_bytes("# caf\xe9\nRESULT a=1\n".encode("latin-1"))
    assert error_message(lambda: recorded_result("l.txt", tmp_path)) == (
        f"the benchmark record {tmp_path / 'l.txt'} is not UTF-8 text: run its benchmark again")


@pytest.mark.parametrize(
    ("line", "item", "problem"),
    [("a=1 b", "b", "is not key=number"), ("a=1 =2", "=2", "is not key=number"),
     ("a=x", "a=x", "is not key=number"), ("a=1 a=2", "a=2", "repeats a key"),
     ("a=1 b=2 a", "a", "is not key=number")],
)
def test_the_blamed_item_and_its_problem(tmp_path, line, item, problem):
    (tmp_path / "r.txt").write_text(f"# x\nRESULT {line}\n")
    assert error_message(lambda: recorded_result("r.txt", tmp_path)) == (
        f"r.txt: the RESULT item {item!r} {problem}; run the benchmark again to rewrite it")


def test_values_may_hold_an_equals_sign_only_after_the_key(tmp_path):
    (tmp_path / "r.txt").write_text("# x\nRESULT a=1e3 b=-2.5\n")
    assert recorded_result("r.txt", tmp_path) == {"a": 1000.0, "b": -2.5}
    (tmp_path / "s.txt").write_text("# x\nRESULT a=b=1\n")  # rpartition would read key 'a=b'
    assert error_message(lambda: recorded_result("s.txt", tmp_path)) == (
        "s.txt: the RESULT item 'a=b=1' is not key=number; run the benchmark again to rewrite it")


def test_empty_records_and_result_lines(tmp_path):
    (tmp_path / "e.txt").write_text("")
    assert error_message(lambda: recorded_source("e.txt", tmp_path)) == (
        f"the benchmark record {tmp_path / 'e.txt'} is empty: run its benchmark again (see its module's docstring)")
    (tmp_path / "n.txt").write_text("# x\nRESULT \n")
    assert error_message(lambda: recorded_result("n.txt", tmp_path)) == (
        "n.txt: its RESULT line holds no figures; run the benchmark again to rewrite it")


def test_the_source_loses_only_its_leading_hashes_and_spaces(tmp_path):
    (tmp_path / "r.txt").write_text("## python x.py --quick # comment\nRESULT a=1\n")
    assert recorded_source("r.txt", tmp_path) == "python x.py --quick # comment"


def test_a_source_starting_with_a_capital_x_keeps_it(tmp_path):
    (tmp_path / "r.txt").write_text("# XLA run (TPU)\nRESULT a=1\n")
    assert recorded_source("r.txt", tmp_path) == "XLA run (TPU)"
