"""Every test runs offline, on the CPU (``LSTM_BOOK_DEVICE=cpu``) and away from the user's download cache.

Property tests (hypothesis) are derandomised by default, so that `make test` runs the same
examples on every machine and a pass or a failure can be reproduced; no time limit per example,
since CI machines are slower. To search new examples, run them with
`HYPOTHESIS_PROFILE=explore .venv/bin/pytest tests/test_text_properties.py` (random, more examples).
"""

import os
import socket

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
