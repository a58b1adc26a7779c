"""Input checks shared by the helpers (numbers, ints, texts, paths, tensors with values), and
``claim`` (every chapter).

Learners call these functions by hand, so a wrong input gets an error that says
what was expected instead of a silent NaN further down.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from utils.config import quick_mode, strict_claims


def check_real(value: object, name: str = "x") -> float:
    """Return ``value`` as a float, or raise if it is not a finite real number.

    Raises:
        TypeError: ``value`` is not a real number (a string, ``None``, a bool, a list...).
        ValueError: ``value`` is NaN or infinite.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"expected {name} to be a real number (int or float), got {type(value).__name__}: "
            f"{value!r}"
        )
    try:
        value = float(value)
    except OverflowError:
        raise ValueError(
            f"expected {name} to be a number a float can hold (|x| < 1.8e308), got an int of "
            f"{len(str(value))} digits: too large for a float"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"expected {name} to be a finite number, got {value}")
    return value


def check_real_array(value: object, name: str = "x") -> np.ndarray | float:
    """Accept a finite real scalar or array; return a float or a float64 array.

    Scalars go through :func:`check_real`. Arrays must have a real (not bool, not
    complex, not object) dtype and hold only finite values.
    """
    if not isinstance(value, np.ndarray | list | tuple):
        return check_real(value, name)
    array = np.asarray(value)
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise TypeError(f"expected {name} to hold real numbers, got an array of dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"expected {name} to hold finite numbers, found NaN or infinity")
    return array


def check_int(value: object, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as a plain int (NumPy ints too), or raise naming the argument (a float, a
    string, a bool...). Pass the returned value on, not the argument: PyTorch refuses NumPy ints.

    >>> check_int(3, "batch_size", minimum=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        hint = f"; write {int(value)}" if isinstance(value, float) and value.is_integer() else ""
        raise TypeError(f"expected {name} to be an int, got {type(value).__name__}: {value!r:.40}{hint}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"expected {name} to be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"expected {name} to be at most {maximum:,}, got {value:,}")
    return value


def check_seed(value: object, name: str = "seed") -> int:
    """A seed as a plain int in [0, 2**32), the range NumPy, PyTorch and scikit-learn all take.

    >>> check_seed(42)
    42
    """
    return check_int(value, name, minimum=0, maximum=2**32 - 1)


def check_bool(value: object, name: str) -> bool:
    """A flag as ``True`` or ``False``; a string such as ``"False"`` or ``"no"`` is refused, since
    any non-empty string would count as true.

    >>> check_bool(np.bool_(True), "feedback")
    True
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"expected {name} to be True or False, got {type(value).__name__}: {value!r:.40}")
    return bool(value)


def check_text(value: object, name: str = "text") -> str:
    """Return ``value`` if it is a ``str``; otherwise raise naming the usual cause and its fix.

    A ``None`` or a float NaN is a missing value from a table (``pandas`` reads an empty cell as
    NaN); bytes are undecoded file contents.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        hint = "decode it first: value.decode('utf-8')"
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        hint = "a missing value: drop the row or fill it with '' before calling"
    else:
        hint = "pass one text as a str"
    raise TypeError(f"expected {name} to be a str, got {type(value).__name__} {value!r:.40}: {hint}")


def check_has_values(tensor: object, name: str) -> None:
    """Raise if ``tensor`` lives on PyTorch's ``meta`` device (shapes only, no values to read)."""
    if getattr(tensor, "is_meta", False) is True:
        raise ValueError(
            f"{name} is on the 'meta' device, which holds shapes but no values: "
            "create it on 'cpu' or 'cuda' (or load the real weights) first"
        )


def check_path(path: object, name: str = "path", *, writing: bool = False) -> Path:
    """``path`` as a ``Path``, checked before a file is read (it exists and is a file) or written
    (its folder exists and it is not a folder), with an error naming the fix."""
    if isinstance(path, str) and not path.strip():
        raise ValueError(f"expected {name} to name a file, got an empty string")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"expected {name} to be a str or pathlib.Path, got {type(path).__name__}: "
                        f"{path!r:.40}")
    if "\0" in os.fspath(path):
        raise ValueError(f"{name} {path!r:.60} contains a NUL character, which no file name can hold")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{name} {str(path)!r} is a folder; give a file name inside it")
    if writing and not path.resolve().parent.is_dir():
        raise FileNotFoundError(
            f"the folder of {name} {str(path)!r} does not exist; create it first "
            f"(Path({str(path.parent)!r}).mkdir(parents=True, exist_ok=True))"
        )
    if not writing and not path.exists():
        raise FileNotFoundError(f"{name} {str(path)!r} does not exist; check the name and the working folder")
    return path


def new_file_mode() -> int:
    """The mode ``open()`` gives a new file (0o666 less the umask): an atomic save writes to a
    private temporary file (0o600) and sets this before renaming it, so a saved file is as
    readable as any other the user creates."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def shows_error() -> Iterator[None]:
    """Run a block that must fail and print its error in one line, as a notebook demo.

    ``with shows_error(): lstm(bad_input)`` prints ``RuntimeError: ...`` instead of storing a
    traceback, and raises ``AssertionError`` if the block does not fail at all.
    """
    try:
        yield
    except Exception as error:  # noqa: BLE001 - any error is the point of the demo
        print(f"{type(error).__name__}: {error}")
    else:
        raise AssertionError("the block was expected to raise an error, but it ran without one")


class ClaimError(AssertionError):
    """A sentence of the book is no longer supported by the outputs next to it."""


# What this kernel's claims found, for :func:`claim_summary` (statements, in order).
_HELD: list[str] = []
_DIFFERED: list[str] = []

WHY_RUNS_DIFFER = (
    "Runs differ with the hardware, the number of threads and the library versions, and a "
    "timing with whatever else the machine is doing; the book's outputs come from one full run."
)


def claim(condition: object, statement: str, *, in_quick: bool = False, got: str | None = None) -> None:
    """Check a sentence the chapter states about its own measured results.

    Where the book's outputs are made (``make execute`` sets ``LSTM_BOOK_STRICT=1``) a false
    ``condition`` stops the notebook with :class:`ClaimError`, so prose and outputs cannot drift
    apart. In a reader's run (Colab, a laptop) it prints a short note instead and the notebook goes
    on: what the book states, what this run got (``got``, when given) and why runs can differ. A
    true condition prints ``[claim checked] <statement>``. In quick mode the small run usually
    cannot support a claim about the full run, so the check is skipped and says so, unless
    ``in_quick=True`` (for claims that hold at any size, such as an exact parity); those are strict.

    >>> claim(0.8874 > 0.8725, "the BiLSTM beats TF-IDF on this split")
    [claim checked] the BiLSTM beats TF-IDF on this split
    """
    if not isinstance(statement, str) or not statement.strip():
        raise TypeError("claim needs the sentence it checks as a non-empty string")
    if got is not None and not isinstance(got, str):
        raise TypeError(f"claim's got= is this run's values as a string, got {type(got).__name__}")
    strict = strict_claims() or quick_mode()
    if quick_mode() and not in_quick:
        print(f"[claim not checked in quick mode] {statement}")
        return
    if not isinstance(condition, bool | np.bool_):
        raise TypeError(
            f"claim needs a bool condition (compare with <, >, ==), got {type(condition).__name__}"
        )
    if condition:
        _HELD.append(statement)
        print(f"[claim checked] {statement}")
        return
    if strict:
        got_text = f" (this run: {got})" if got else ""
        raise ClaimError(
            f"the text claims: {statement!r}, but this run's outputs do not support it{got_text}"
        )
    _DIFFERED.append(statement)
    this_run = f"this run got {got}" if got else "this run's outputs above do not show it"
    print(f"[note] The book's run found: {statement}. Here {this_run}. {WHY_RUNS_DIFFER}")


def claim_summary() -> str:
    """One line on this kernel's claims so far: how many held, and which did not (a reader's run)."""
    total = len(_HELD) + len(_DIFFERED)
    if total == 0:
        return "No statement of this chapter was checked in this run (quick mode skips them)."
    line = f"{len(_HELD)} of the {total} statements this chapter makes about its results held in this run"
    if _DIFFERED:
        return f"{line}; these came out differently: " + "; ".join(_DIFFERED)
    return line + "."
