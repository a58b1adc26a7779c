"""How many CPU threads PyTorch uses while the course trains its small models (chapters 4, 6, 11, 12).

PyTorch splits each operation over every core ("intra-op" threads). For the tiniest LSTMs (one
unit in chapter 4, 16 in chapter 6, chapter 11's one-unit seed model) each operation is so small
that a second thread gains little on an idle machine and costs a great deal when another
program shares the cores, so they train on one thread. From a few thousand recurrent parameters
on (chapter 11's 64-unit models, chapter 12's BiLSTM) the second thread pays for itself, and
PyTorch's own count is kept. The training helpers put PyTorch's setting back when they return,
so nothing changes for the code a reader writes afterwards. ``benchmarks/threads_speed.py``
measures both sides of the rule.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

# Recurrent layers with fewer parameters than this train on one thread. One thread's speed over
# two threads' on a 2-core CPU (benchmarks/results/threads_speed_cpu.txt): idle, about even for
# chapter 6's 16-unit LSTM (1,216 parameters: 0.86-1.17x over four runs) and chapter 11's seed
# model (76: 1.01-1.52x), but 0.70-0.99x for chapter 11's 64-unit LSTMs (20,992 and 41,984) and
# 0.58-0.63x for chapter 12's BiLSTM (2.2 million); with the other core busy, one thread wins for
# every model (1.9-5.7x). Small models gain little from a second thread and lose much when the
# cores are shared, so they never take it;
# the larger keep PyTorch's count, the faster choice when the machine is theirs. 5,000 is a round
# value between the two groups.
SMALL_RECURRENT_PARAMETERS = 5_000


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
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module (the model), got {type(model).__name__}")
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
