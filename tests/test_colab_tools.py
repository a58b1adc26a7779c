"""The Colab pin file (tools/colab_pins.py) and the pieces of `make colab-check` that run offline."""

from pathlib import Path

import pytest

from tools.colab_check import compare, earlier_lines, judge
from tools.colab_pins import PINS, parse_freeze, python_version, read_pins, render, touched

FREEZE = """\
# Do not modify this file directly
absl-py==1.4.0
ipywidgets==7.7.1
torch @ https://download.pytorch.org/whl/cpu/torch-2.11.0%2Bcpu-cp313-cp313-manylinux_2_28_x86_64.whl
jupyter_kernel_gateway @ git+https://github.com/googlecolab/kernel_gateway@b134e99
typing_extensions==4.16.0
"""


def test_freeze_lines_become_pins_and_a_wheel_url_its_pypi_version():
    pins = parse_freeze(FREEZE)
    assert pins["ipywidgets"].line == "ipywidgets==7.7.1"
    assert pins["typing-extensions"].line == "typing_extensions==4.16.0"
    assert pins["torch"].line == "torch==2.11.0" and "download.pytorch.org" in pins["torch"].note
    assert pins["jupyter-kernel-gateway"].line.startswith("jupyter_kernel_gateway @ git+")


def test_an_unreadable_freeze_line_is_refused():
    with pytest.raises(ValueError, match="cannot read"):
        parse_freeze("torch>=2\n")


def test_render_keeps_only_touched_packages_and_reads_back(tmp_path):
    text = render(parse_freeze(FREEZE), {"torch", "ipywidgets", "not-on-colab"},
                  commit="a" * 40, date="2026-08-19", python="3.13.15")
    path = tmp_path / "pins.txt"
    path.write_text(text)
    version, lines = read_pins(path)
    assert version == "3.13.15"
    assert lines == ["ipywidgets==7.7.1", "torch==2.11.0"]
    assert f"commit {'a' * 40} (2026-08-19)" in text


def test_python_version_from_os_info():
    assert python_version("Ubuntu 22.04.5 LTS\nPython 3.13.15\nR version 4.6.1\n") == "3.13.15"
    with pytest.raises(ValueError, match="Python"):
        python_version("Ubuntu 22.04.5 LTS\n")


def test_dependencies_are_followed_through_installed_metadata():
    names = touched(seeds=("nbformat",))
    assert {"nbformat", "traitlets", "jsonschema", "fastjsonschema"} <= names


def test_the_committed_pin_file_names_its_source_and_colab_packages():
    version, lines = read_pins(PINS)
    assert version.startswith("3.")
    text = Path(PINS).read_text()
    assert "googlecolab/backend-info, commit" in text
    names = {line.split("==")[0].lower() for line in lines}
    assert {"torch", "numpy", "ipywidgets", "wrapt", "ipykernel", "pandas"} <= names


def test_compare_reports_changed_and_removed_packages_not_added_ones():
    changed, added = compare({"ipywidgets": "7.7.1", "wrapt": "2.3.0", "six": "1.17.0"},
                             {"ipywidgets": "8.1.9", "six": "1.17.0", "otter-grader": "7.0.0"})
    assert changed == ["ipywidgets 7.7.1 -> 8.1.9", "wrapt 2.3.0 -> removed"]
    assert added == ["otter-grader==7.0.0"]


def test_judge_blank_and_filled_in_reports():
    told = "Error at line 3 in test q1:\n  assert x\nAssertionError: sigmoid(0.0) should be 0.5"
    crash = "Error at line 3 in test q1:\n  x()\nTypeError: 'NoneType' object is not callable"
    assert judge({"q1": [[False, told]]}, blank=True) == []
    assert judge({"q1": [[True, ""]]}, blank=True) == ["q1 passes unanswered"]
    assert judge({"q1": [[False, crash]]}, blank=True)[0].startswith("q1 fails without a message")
    assert judge({"q1": [[True, ""], [True, ""]]}, blank=False) == []
    assert judge({"q1": [[False, told]]}, blank=False)[0].startswith("q1 fails with the solutions")
    assert judge({}, blank=False) == ["no grader.check results (the report cell did not run)"]


def test_a_partial_run_keeps_the_other_chapters_lines_with_their_date():
    record = "\n".join([
        "Colab check, 2026-12-04: 129 pinned packages; Source: x",
        "Python 3.13.0 (Colab: 3.13.15); torch 2.11.0; full mode",
        "PASS  01_why_lstm.ipynb                   19 s  full mode, every cell ran",
        "FAIL  02_sigmoid_tanh.ipynb               11 s  cell 3: ValueError",
        "PASS  11_char_sentiment.ipynb            500 s  full mode, every cell ran  (earlier run: 2026-11-30)",
        "PASS  setup cells: packages                0 s  no package Colab has changed",
        "NOT RUN  12_imdb_glove_bilstm.ipynb: not in this record",
        "3 passed, 1 failed (3 notebooks, 0 assignments; 8 min in all)",
    ])
    kept = earlier_lines(record, {"11_char_sentiment.ipynb", "12_imdb_glove_bilstm.ipynb"})
    assert kept == [
        "PASS  01_why_lstm.ipynb                   19 s  full mode, every cell ran  (earlier run: 2026-12-04)",
        "FAIL  02_sigmoid_tanh.ipynb               11 s  cell 3: ValueError  (earlier run: 2026-12-04)",
    ]
    assert earlier_lines(record, {"01_why_lstm.ipynb", "02_sigmoid_tanh.ipynb"}) == [
        "PASS  11_char_sentiment.ipynb            500 s  full mode, every cell ran  (earlier run: 2026-11-30)"
    ]
