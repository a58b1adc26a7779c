"""Every test runs offline, on the CPU (``LSTM_BOOK_DEVICE=cpu``) and away from the user's download cache.

Property tests (hypothesis) are derandomised by default, so that `make test` runs the same
examples on every machine and a pass or a failure can be reproduced; no time limit per example,
since CI machines are slower. To search new examples, run them with
`HYPOTHESIS_PROFILE=explore .venv/bin/pytest tests/test_text_properties.py` (random, more examples).
"""

import linecache
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _offline(tmp_path_factory, monkeypatch):
    """An empty download cache, the default corpus, and no network: a test that tries to open a
    connection to anything but this machine fails at once instead of downloading."""
    monkeypatch.setenv("LSTM_BOOK_DATA", str(tmp_path_factory.mktemp("data-cache")))
    monkeypatch.delenv("LSTM_BOOK_CORPUS", raising=False)
    monkeypatch.setenv("LSTM_BOOK_DEVICE", "cpu")  # the same result on a machine with a GPU
    monkeypatch.delenv("LSTM_BOOK_STRICT", raising=False)
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and self.family in (
            socket.AF_INET, socket.AF_INET6
        ):
            raise OSError(f"tests never use the network (tried to connect to {address})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


def error_message(call, kinds=(TypeError, ValueError, OSError, AssertionError)) -> str:
    """The message of the error ``call()`` must raise (the exact-message tests compare it whole)."""
    with pytest.raises(kinds) as caught:
        call()
    return str(caught.value)


UTILS = Path(__file__).resolve().parents[1] / "utils"
# mutmut runs the tests from a "mutants" copy and calls every function through a trampoline, so
# a warning's stacklevel points into the trampoline there: tests of stacklevel check it only outside
UNDER_MUTMUT = "mutants" in Path(__file__).resolve().parts


def raised_on_purpose(call: Callable[[], object], *words: str,
                      kinds: tuple[type[BaseException], ...] = (TypeError, ValueError, OSError)) -> BaseException:
    """Run ``call``; it must raise one of ``kinds`` from a ``raise`` statement in ``utils/``, with
    every word in its message (so removing the check that raises it fails the test)."""
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is checked below, with the origin
        call()
    error = caught.value
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    assert traceback is not None
    filename = traceback.tb_frame.f_code.co_filename
    line = linecache.getline(filename, traceback.tb_lineno).strip()
    assert Path(filename).resolve().parent == UTILS and line.startswith("raise"), (
        f"{type(error).__name__}: {error} came from {filename}:{traceback.tb_lineno} ({line!r}), "
        "not from a check in utils/"
    )
    assert isinstance(error, kinds), type(error)
    for word in words:
        assert word in str(error), (word, str(error))
    return error


@pytest.fixture
def one_thread():
    """Tiny models run faster on one thread, and a busy machine does not stall them (ask for it by name)."""
    import torch  # here, not at the top: most tests need no torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
