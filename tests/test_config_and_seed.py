import random

import numpy as np
import pytest
import torch

from utils import config
from utils.config import choose, quick_mode
from utils.seed import set_seed


def test_quick_mode_follows_environment(monkeypatch):
    monkeypatch.setenv("LSTM_BOOK_QUICK", "1")
    assert quick_mode() and choose(full=100, quick=3) == 3
    monkeypatch.setenv("LSTM_BOOK_QUICK", "0")
    assert not quick_mode() and choose(full=100, quick=3) == 100
    monkeypatch.delenv("LSTM_BOOK_QUICK")
    assert not quick_mode()


def test_quick_mode_rejects_other_values(monkeypatch):
    monkeypatch.setenv("LSTM_BOOK_QUICK", "yes")
    with pytest.raises(ValueError, match="LSTM_BOOK_QUICK"):
        quick_mode()


def test_set_seed_makes_python_numpy_and_torch_repeatable():
    rng = set_seed(3)
    a = (rng.normal(), np.random.rand(), torch.rand(1).item(), random.random())
    rng = set_seed(3)
    assert a == (rng.normal(), np.random.rand(), torch.rand(1).item(), random.random())
    rng = set_seed(4)
    assert a[0] != rng.normal() and a[1] != np.random.rand() and a[3] != random.random()


def test_set_seed_rejects_non_int():
    with pytest.raises(TypeError, match="int"):
        set_seed(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="int"):
        set_seed(True)


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_set_seed_rejects_seeds_numpy_cannot_take(seed):
    with pytest.raises(ValueError, match=r"between 0 and 2\*\*32 - 1"):
        set_seed(seed)
    set_seed(0), set_seed(2**32 - 1)  # the two ends are fine


# --- found by mutation testing: the strict flag and the device variable ----------------------


@pytest.mark.parametrize(("value", "strict"), [(None, False), ("0", False), ("1", True), (" 1 ", True)])
def test_strict_claims_reads_its_own_variable(monkeypatch, value, strict):
    monkeypatch.setenv(config.QUICK_ENV_VAR, "1")  # the other flag set: it must not leak in
    if value is None:
        monkeypatch.delenv(config.STRICT_ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(config.STRICT_ENV_VAR, value)
    assert config.strict_claims() is strict


@pytest.mark.parametrize(("value", "device"), [(None, "auto"), ("", "auto"), ("  ", "auto"), ("CPU", "cpu"),
                                               (" Cuda ", "cuda"), ("auto", "auto")])
def test_device_choice_reads_lstm_book_device(monkeypatch, value, device):
    if value is None:
        monkeypatch.delenv(config.DEVICE_ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(config.DEVICE_ENV_VAR, value)
    assert config.device_choice() == device


def test_an_unknown_device_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv(config.DEVICE_ENV_VAR, "TPU")
    with pytest.raises(ValueError) as caught:
        config.device_choice()
    assert str(caught.value) == "LSTM_BOOK_DEVICE must be one of auto, cpu, cuda or unset, got 'tpu'"
