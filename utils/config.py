"""The environment variables that choose how the chapters run.

``LSTM_BOOK_QUICK=1`` (quick mode, what ``make test`` and CI use): every notebook finishes in
about a minute on two CPU cores (subsets, fewer steps, small models). Unset, the notebooks do the
full run whose outputs the book shows.

``LSTM_BOOK_DEVICE``: ``auto`` (the default: a CUDA GPU when there is one, else the CPU), ``cpu``
or ``cuda``. ``make test`` sets ``cpu``, so it gives the same result on a machine with a GPU.

``LSTM_BOOK_STRICT=1``: a false :func:`utils.checks.claim` stops the notebook (set by the tools
that write the committed outputs); anywhere else it prints a note and the notebook goes on.
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

QUICK_ENV_VAR = "LSTM_BOOK_QUICK"
DEVICE_ENV_VAR = "LSTM_BOOK_DEVICE"
STRICT_ENV_VAR = "LSTM_BOOK_STRICT"
DEVICES = ("auto", "cpu", "cuda")


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{name} must be 0, 1 or unset, got {value!r}")
    return value == "1"


def quick_mode() -> bool:
    """True when the environment variable ``LSTM_BOOK_QUICK`` is set to ``1``."""
    return _flag(QUICK_ENV_VAR)


def strict_claims() -> bool:
    """True when ``LSTM_BOOK_STRICT`` is ``1``: claims stop the run (``make execute``)."""
    return _flag(STRICT_ENV_VAR)


def device_choice() -> str:
    """``LSTM_BOOK_DEVICE`` in lower case: ``auto`` (also when unset), ``cpu`` or ``cuda``."""
    value = os.environ.get(DEVICE_ENV_VAR, "").strip().lower() or "auto"
    if value not in DEVICES:
        raise ValueError(f"{DEVICE_ENV_VAR} must be one of {', '.join(DEVICES)} or unset, got {value!r}")
    return value


def choose(*, full: T, quick: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise.

    >>> steps = choose(full=2000, quick=50)
    """
    return quick if quick_mode() else full
