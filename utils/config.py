"""Quick mode: the small settings that ``make test`` and CI use (every chapter).

Set ``LSTM_BOOK_QUICK=1`` and every notebook finishes in about a minute on two CPU
cores (subsets, fewer steps, small models). Unset, the notebooks do the full run whose
outputs the book shows.
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

QUICK_ENV_VAR = "LSTM_BOOK_QUICK"


def quick_mode() -> bool:
    """True when the environment variable ``LSTM_BOOK_QUICK`` is set to ``1``."""
    value = os.environ.get(QUICK_ENV_VAR, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{QUICK_ENV_VAR} must be 0, 1 or unset, got {value!r}")
    return value == "1"


def choose(*, full: T, quick: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise.

    >>> steps = choose(full=2000, quick=50)
    """
    return quick if quick_mode() else full
