"""One visible call to make a notebook's randomness repeatable (every chapter)."""

from __future__ import annotations

import random

import numpy as np
import torch


def set_seed(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch; return a fresh NumPy ``Generator`` for new code.

    Pass the returned generator (or a ``torch.Generator``) to functions that draw
    random numbers instead of relying on hidden global state.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"expected seed to be an int, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"expected a seed between 0 and 2**32 - 1 (what NumPy accepts), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)
