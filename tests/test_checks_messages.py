"""utils/checks.py's shared checks, message by message (found by mutation testing,
benchmarks/results/mutation-*.txt): the argument's name, what it got, and the fix."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import error_message

from utils import checks


def test_check_real_and_arrays():
    assert error_message(lambda: checks.check_real("1")) == "expected x to be a real number (int or float), got str: '1'"
    assert error_message(lambda: checks.check_real_array(np.array(["a"]))) == (
        "expected x to hold real numbers, got an array of dtype <U1")
    assert error_message(lambda: checks.check_real_array(None, "h")) == (
        "expected h to be a real number (int or float), got NoneType: None")
    out = checks.check_real_array([1, 2])
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0]
    assert checks.check_real_array(np.array([1.5], dtype=np.float32)).dtype == np.float64


def test_check_int_messages():
    assert error_message(lambda: checks.check_int(2.0, "steps")) == "expected steps to be an int, got float: 2.0; write 2"
    assert error_message(lambda: checks.check_int(2.5, "steps")) == "expected steps to be an int, got float: 2.5"
    assert error_message(lambda: checks.check_int(None, "steps")) == "expected steps to be an int, got NoneType: None"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"hi", "expected text to be a str, got bytes b'hi': decode it first: value.decode('utf-8')"),
        (None, "expected text to be a str, got NoneType None: a missing value: drop the row or fill it with '' "
               "before calling"),
        (float("nan"), "expected text to be a str, got float nan: a missing value: drop the row or fill it with '' "
                       "before calling"),
        (5, "expected text to be a str, got int 5: pass one text as a str"),
    ],
)
def test_check_text_messages(value, expected):
    assert error_message(lambda: checks.check_text(value)) == expected


def test_check_has_values_message_and_non_tensors():
    assert error_message(lambda: checks.check_has_values(torch.empty(2, device="meta"), "lengths")) == (
        "lengths is on the 'meta' device, which holds shapes but no values: create it on 'cpu' or 'cuda' (or "
        "load the real weights) first")

    class Odd:
        is_meta = "yes"  # not True: only a real meta tensor is refused

    checks.check_has_values(Odd(), "x")
    checks.check_has_values(object(), "x")


def test_check_path_messages(tmp_path):
    assert error_message(lambda: checks.check_path(5)) == "expected path to be a str or pathlib.Path, got int: 5"
    assert error_message(lambda: checks.check_path("a\0b", "the file")) == (
        "the file 'a\\x00b' contains a NUL character, which no file name can hold")
    assert error_message(lambda: checks.check_path(tmp_path)) == f"path {str(tmp_path)!r} is a folder; give a file name inside it"
    missing = tmp_path / "no" / "f.pt"
    assert error_message(lambda: checks.check_path(missing, writing=True)) == (
        f"the folder of path {str(missing)!r} does not exist; create it first "
        f"(Path({str(missing.parent)!r}).mkdir(parents=True, exist_ok=True))")
    assert error_message(lambda: checks.check_path(tmp_path / "f.pt")) == (
        f"path {str(tmp_path / 'f.pt')!r} does not exist; check the name and the working folder")
    assert checks.check_path(Path("relative.pt"), writing=True) == Path("relative.pt")


def test_new_file_mode_leaves_the_umask_as_it_was():
    before = os.umask(0o027)
    try:
        assert checks.new_file_mode() == 0o640
        assert os.umask(0o027) == 0o027  # still the caller's umask
    finally:
        os.umask(before)


def test_claim_messages_and_summary(monkeypatch, capsys):
    monkeypatch.delenv("LSTM_BOOK_QUICK", raising=False)
    monkeypatch.delenv("LSTM_BOOK_STRICT", raising=False)
    monkeypatch.setattr(checks, "_HELD", [])
    monkeypatch.setattr(checks, "_DIFFERED", [])
    assert checks.claim_summary() == "No statement of this chapter was checked in this run (quick mode skips them)."
    assert error_message(lambda: checks.claim(True, " ")) == "claim needs the sentence it checks as a non-empty string"
    assert error_message(lambda: checks.claim(True, "s", got=1)) == "claim's got= is this run's values as a string, got int"
    assert error_message(lambda: checks.claim(1, "s")) == "claim needs a bool condition (compare with <, >, ==), got int"
    checks.claim(True, "A holds")
    checks.claim(False, "B holds")
    checks.claim(False, "C holds", got="0.5")
    out = capsys.readouterr().out
    assert "[note] The book's run found: B holds. Here this run's outputs above do not show it." in out
    assert "[note] The book's run found: C holds. Here this run got 0.5." in out
    assert checks._HELD == ["A holds"]
    assert checks.claim_summary() == (
        "1 of the 3 statements this chapter makes about its results held in this run; these came out "
        "differently: B holds; C holds")
    monkeypatch.setenv("LSTM_BOOK_STRICT", "1")
    assert error_message(lambda: checks.claim(False, "D holds")) == (
        "the text claims: 'D holds', but this run's outputs do not support it")
    assert error_message(lambda: checks.claim(False, "D holds", got="0.4")) == (
        "the text claims: 'D holds', but this run's outputs do not support it (this run: 0.4)")
