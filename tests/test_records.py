"""utils.records reads the benchmark records the chapters quote."""

import pytest

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
