"""claim(): strict where the book's outputs are made, a friendly note in a reader's run."""

import pytest

from utils import checks
from utils.checks import ClaimError, claim, claim_summary


@pytest.fixture(autouse=True)
def fresh_claims(monkeypatch):
    monkeypatch.setattr(checks, "_HELD", [])
    monkeypatch.setattr(checks, "_DIFFERED", [])
    monkeypatch.delenv("LSTM_BOOK_QUICK", raising=False)
    monkeypatch.delenv("LSTM_BOOK_STRICT", raising=False)


def test_a_true_claim_prints_that_it_was_checked_in_every_mode(capsys, monkeypatch):
    for strict in ("1", "0"):
        monkeypatch.setenv("LSTM_BOOK_STRICT", strict)
        claim(2 > 1, "two is more than one")
        assert capsys.readouterr().out == "[claim checked] two is more than one\n"


def test_a_false_claim_stops_the_run_that_makes_the_books_outputs(monkeypatch):
    monkeypatch.setenv("LSTM_BOOK_STRICT", "1")
    with pytest.raises(ClaimError, match=r"'one is more than two'.*\(this run: 1 vs 2\)"):
        claim(1 > 2, "one is more than two", got="1 vs 2")


def test_a_false_claim_in_a_readers_run_prints_a_note_and_goes_on(capsys):
    claim(1 > 2, "nn.LSTM was faster at every size", got="1.48, 0.91, 4.67")
    out = capsys.readouterr().out
    assert out.startswith("[note] The book's run found: nn.LSTM was faster at every size.")
    assert "this run got 1.48, 0.91, 4.67" in out
    assert "hardware" in out and "threads" in out and "library versions" in out
    claim(1 > 2, "one is more than two")  # without got=, it points at the outputs
    assert "this run's outputs above do not show it" in capsys.readouterr().out


def test_quick_mode_skips_full_run_claims_and_keeps_in_quick_claims_strict(capsys, monkeypatch):
    monkeypatch.setenv("LSTM_BOOK_QUICK", "1")
    claim(1 > 2, "a full-run result")
    assert capsys.readouterr().out == "[claim not checked in quick mode] a full-run result\n"
    with pytest.raises(ClaimError):
        claim(1 > 2, "an exact parity", in_quick=True)


def test_the_summary_counts_what_held_and_names_what_differed(capsys):
    assert "No statement" in claim_summary()
    claim(True, "first")
    assert claim_summary() == "1 of the 1 statements this chapter makes about its results held in this run."
    claim(False, "second")
    summary = claim_summary()
    assert summary.startswith("1 of the 2 statements") and summary.endswith("differently: second")


def test_bad_arguments_are_refused(monkeypatch):
    with pytest.raises(TypeError, match="non-empty string"):
        claim(True, "  ")
    with pytest.raises(TypeError, match="bool condition"):
        claim(0.5, "a number is not a condition")
    with pytest.raises(TypeError, match="got="):
        claim(True, "fine", got=3.0)
    monkeypatch.setenv("LSTM_BOOK_STRICT", "yes")
    with pytest.raises(ValueError, match="LSTM_BOOK_STRICT must be 0, 1 or unset"):
        claim(True, "fine")


def test_check_real_names_an_int_too_large_for_a_float():
    from utils.checks import check_real

    with pytest.raises(ValueError, match="too large for a float"):
        check_real(10**400)
