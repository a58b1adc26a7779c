"""How many CPU threads PyTorch uses while the course trains its small models (chapters 4, 6, 11, 12).

PyTorch splits each operation over every core ("intra-op" threads). For the course's small
LSTMs (one unit in chapter 4, 16 in chapter 6, 64 in chapter 11) each operation is tiny, and
handing it out to two threads costs more than it saves: one thread trains the same model to the
same numbers several times faster (``benchmarks/threads_speed.py`` measures it). The training
helpers therefore run small models on one thread and put PyTorch's setting back when they return,
so nothing changes for the code a reader writes afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

# Recurrent layers with fewer parameters than this train faster on one thread (measured on a
# 2-core CPU: chapter 11's 64-unit LSTM has about 21,000, chapter 12's BiLSTM about 2.2 million).
SMALL_RECURRENT_PARAMETERS = 500_000


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)``; restore the previous count afterwards,
    also when the block raises."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"expected a positive int number of threads, got {n!r}")
    before = torch.get_num_threads()
    if n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def recurrent_parameters(model: nn.Module) -> int:
    """Parameters of the model's recurrent layers (``nn.LSTM``, ``nn.RNN``, ``nn.GRU``)."""
    return sum(
        p.numel() for module in model.modules() if isinstance(module, nn.RNNBase) for p in module.parameters()
    )


def threads_for(model: nn.Module) -> int:
    """One thread for a model whose recurrent layers are small; PyTorch's current count otherwise."""
    if recurrent_parameters(model) < SMALL_RECURRENT_PARAMETERS:
        return 1
    return torch.get_num_threads()


def threads_for_model(model: nn.Module) -> contextlib.AbstractContextManager[None]:
    """``with threads_for_model(model):`` trains ``model`` on :func:`threads_for` threads."""
    return torch_threads(threads_for(model))
