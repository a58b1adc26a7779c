"""Variable-length batches: lengths checks, padding masks, packing, bucketing and collate
(chapter 9, ``09_variable_length``).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence
from torch.utils.data import Sampler

from utils.checks import check_bool, check_has_values, check_int


def _as_int_lengths(lengths: Tensor | Sequence[int]) -> Tensor:
    """lengths as a 1-D integer tensor, or ``ValueError`` (floats, bools, matrices)."""
    if isinstance(lengths, str | bytes):
        raise ValueError(f"expected lengths to be a 1-D tensor or list of ints, got a string {lengths!r:.20}")
    if isinstance(lengths, Iterator):
        raise TypeError("expected lengths as a list or tensor, got a one-pass iterator: wrap it in list(...)")
    check_has_values(lengths, "lengths")
    try:
        lengths = torch.as_tensor(lengths)
    except (TypeError, ValueError, RuntimeError, OverflowError) as error:
        raise ValueError(f"expected lengths to be a 1-D tensor or list of ints ({error})") from None
    if lengths.numel() == 0:
        lengths = lengths.long()  # [] reads as float32; no value can be wrong in it
    integer = not (lengths.is_floating_point() or lengths.is_complex() or lengths.dtype is torch.bool)
    if lengths.dim() != 1 or not integer:
        raise ValueError(
            f"expected lengths to be a 1-D tensor of ints, got shape {tuple(lengths.shape)} "
            f"and dtype {lengths.dtype}"
        )
    return lengths


def _check_tensor(x: object, name: str, layout: str) -> None:
    if not isinstance(x, Tensor) or x.dim() < 2:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"expected {name} of shape {layout}, got {got}")


def _as_sequence_tensor(sequence: object) -> Tensor:
    """One sequence as a tensor of numbers, or ``ValueError`` (strings, ragged nested lists)."""
    if isinstance(sequence, str | bytes):
        raise ValueError(f"expected a sequence of token ids, got the string {sequence!r:.30}: encode it")
    check_has_values(sequence, "a sequence")
    try:
        tensor = torch.as_tensor(sequence)
    except (TypeError, ValueError, RuntimeError, OverflowError) as error:
        raise ValueError(f"expected each sequence as a tensor or a flat list of numbers ({error})") from None
    if tensor.dtype == torch.bool or tensor.is_complex():
        raise ValueError(f"expected sequences of ids or real features, got dtype {tensor.dtype}")
    return tensor


def check_lengths(
    lengths: Tensor | Sequence[int], *, batch: int, max_len: int, enforce_sorted: bool = False
) -> Tensor:
    """Validate per-sequence lengths against a padded batch; return them as a CPU int64 tensor.

    Raises ``ValueError`` naming the fix for: a count that differs from the batch, a length
    below 1, a length above the padded size, or (with ``enforce_sorted``) unsorted lengths.
    """
    batch, max_len = check_int(batch, "batch", minimum=0), check_int(max_len, "max_len", minimum=0)
    lengths = _as_int_lengths(lengths).to("cpu").long()
    if lengths.numel() != batch:
        raise ValueError(
            f"expected one length per sequence ({batch}), got {lengths.numel()}; "
            "pass the lengths of this batch, in the same order"
        )
    if lengths.numel() and lengths.min() < 1:
        raise ValueError(
            f"every length must be at least 1, got {lengths.min().item()}; "
            "drop empty sequences before batching (or give them one <pad> token)"
        )
    if lengths.numel() and lengths.max() > max_len:
        raise ValueError(
            f"a length ({lengths.max().item()}) exceeds the padded size ({max_len}); "
            "pad to the longest sequence or truncate the lengths too"
        )
    if check_bool(enforce_sorted, "enforce_sorted") and torch.any(lengths[1:] > lengths[:-1]):
        raise ValueError(
            "lengths must be sorted in decreasing order when enforce_sorted=True; "
            "sort the batch by length or pass enforce_sorted=False"
        )
    return lengths


def padding_mask(lengths: Tensor | Sequence[int], max_len: int | None = None) -> Tensor:
    """Boolean mask (batch, max_len): True at real tokens, False at padding.

    lengths: (batch,) ints >= 0 (a length of 0 gives a row of False); max_len: at least the
    longest length (default: exactly the longest).
    """
    lengths = _as_int_lengths(lengths)
    if not lengths.numel():
        raise ValueError("padding_mask got no lengths: pass one length per sequence of a batch, e.g. [3, 1]")
    longest = int(lengths.max())
    if int(lengths.min()) < 0:
        raise ValueError(f"lengths cannot be negative, got {int(lengths.min())}")
    if max_len is None:
        max_len = longest
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < longest:
        raise ValueError(
            f"expected max_len to be an int >= the longest length ({longest}), got {max_len!r}; "
            "leave it out to use the longest length"
        )
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def _check_layout(x: Tensor, lengths: object, *, batch_first: bool, fix: str) -> None:
    """Name the layout when the lengths count x's other axis: (B, T) given where (T, B) belongs."""
    one_axis = isinstance(lengths, Sequence | Tensor | np.ndarray) and getattr(lengths, "ndim", 1) == 1
    count = len(lengths) if one_axis else -1  # type: ignore[arg-type]
    batch_axis, time_axis = (0, 1) if batch_first else (1, 0)
    if count == x.shape[time_axis] != x.shape[batch_axis]:
        wanted = "(B, T, ...)" if batch_first else "(T, B, ...)"
        raise ValueError(f"x has shape {tuple(x.shape)} and there are {count} lengths, so x looks "
                         f"{'time-major' if batch_first else 'batch-first'}; this call reads it as {wanted}: "
                         f"{fix}")


def pack(
    x: Tensor, lengths: Tensor | Sequence[int], *, batch_first: bool = False, enforce_sorted: bool = False
) -> PackedSequence:
    """``pack_padded_sequence`` with the checks of :func:`check_lengths` first."""
    _check_tensor(x, "x", "(T, B, ...) or, with batch_first=True, (B, T, ...)")
    batch_first = check_bool(batch_first, "batch_first")
    batch, max_len = (x.shape[0], x.shape[1]) if batch_first else (x.shape[1], x.shape[0])
    if batch == 0:
        raise ValueError("cannot pack a batch of zero sequences: skip empty batches before the model")
    _check_layout(x, lengths, batch_first=batch_first, fix="pass batch_first=True" if not batch_first
                  else "pass batch_first=False (the default)")
    lengths = check_lengths(lengths, batch=batch, max_len=max_len, enforce_sorted=enforce_sorted)
    return pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse every sequence of x (T, B, ...) within its own length; padding stays in place.

    lengths: (B,) ints in [1, T], checked when they are on the CPU (on a GPU, checking would
    wait for the device at every call). Reversing twice gives x back.
    """
    _check_tensor(x, "x", "(T, B, ...)")
    check_has_values(lengths, "lengths")
    if not isinstance(lengths, Tensor):
        lengths = _as_int_lengths(lengths)
    if lengths.device.type == "cpu":
        _check_layout(x, lengths, batch_first=False, fix="pass x time-major, x.transpose(0, 1)")
        check_lengths(lengths, batch=x.shape[1], max_len=x.shape[0])
    steps = torch.arange(x.shape[0], device=x.device)[:, None]  # (T, 1)
    lengths = lengths.to(x.device)[None, :]  # (1, B)
    # step t of a sequence of length L reads step L - 1 - t; padding steps (t >= L) stay put
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)  # (T, B)
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(0, index)


def pad_batch(
    sequences: Sequence[Tensor | Sequence[int]], *, pad_value: float = 0, batch_first: bool = True
) -> tuple[Tensor, Tensor]:
    """Right-pad sequences to the longest one. Returns (padded, lengths).

    sequences: 1-D tensors (or lists) of lengths L_i, or (L_i, ...) tensors with equal trailing
    sizes. padded: (B, T, ...) or (T, B, ...), in the sequences' common dtype (token ids stay
    int64, float features stay float); lengths: (B,) int64.
    """
    if isinstance(sequences, Tensor) or not isinstance(sequences, Sequence) or not sequences:
        raise ValueError("expected a non-empty list of sequences to pad, e.g. [tensor([5, 6]), tensor([7])]")
    if isinstance(pad_value, bool) or not isinstance(pad_value, int | float):
        raise TypeError(f"expected pad_value to be a number (0 for token ids), got {pad_value!r}")
    batch_first = check_bool(batch_first, "batch_first")
    if any(isinstance(s, tuple | list) and len(s) == 2 and isinstance(s[0], Tensor) for s in sequences):
        raise TypeError("pad_batch takes the sequences alone, got (token_ids, label) pairs (dataset items): "
                        "collate_padded takes the pairs, or pad [ids for ids, _ in items]")
    tensors = [_as_sequence_tensor(s) for s in sequences]
    if any(t.dim() == 0 for t in tensors) or len({t.shape[1:] for t in tensors}) > 1:
        shapes = sorted({tuple(t.shape) for t in tensors})[:3]
        raise ValueError(f"expected sequences of shape (L,) or (L, ...), equal after L, got {shapes}")
    lengths = torch.tensor([len(t) for t in tensors])
    if any(t.dim() > 1 and not t.dtype.is_floating_point for t in tensors):
        raise ValueError(
            f"token ids must be 1-D sequences, got integer sequences of shape {tuple(tensors[0].shape)}: "
            "pass one 1-D tensor per text (squeeze or flatten them); only float features may be (L, F)"
        )
    if lengths.min() < 1:
        raise ValueError("cannot pad an empty sequence: give it at least one token (for example <unk>)")
    if len({t.dtype.is_floating_point for t in tensors}) > 1:
        raise ValueError(f"the sequences mix token ids (integers) and float features "
                         f"({sorted({str(t.dtype) for t in tensors})}): a common type would round large ids; "
                         "pad ids and features separately")
    dtype = functools.reduce(torch.promote_types, (t.dtype for t in tensors))
    if dtype.is_floating_point and not (abs(pad_value) <= torch.finfo(dtype).max or math.isinf(pad_value)):
        raise ValueError(f"pad_value {pad_value} does not fit in {dtype} (|x| <= "
                         f"{torch.finfo(dtype).max:.4g}): "
                         "choose a smaller pad_value")
    if not (dtype.is_floating_point or float(pad_value).is_integer()):
        raise ValueError(f"pad_value {pad_value} is not an integer, but the sequences hold {dtype}")
    if not dtype.is_floating_point and dtype != torch.bool:
        info = torch.iinfo(dtype)
        if not info.min <= pad_value <= info.max:
            raise ValueError(f"pad_value {pad_value} does not fit in {dtype} ({info.min} to {info.max}): "
                             "choose another pad_value or convert the sequences (.long())")
    fill = float(pad_value) if dtype.is_floating_point else pad_value  # 2**70 is a float, not an int64
    padded = torch.full((len(tensors), int(lengths.max()), *tensors[0].shape[1:]), fill, dtype=dtype)
    for row, tensor in enumerate(tensors):
        padded[row, : len(tensor)] = tensor
    return (padded if batch_first else padded.transpose(0, 1)), lengths


MAX_PAD_TO = 10**7  # tokens per padded text


def collate_padded(
    batch: Sequence[tuple[Tensor, float | int]], *, pad_value: int = 0, pad_to: int | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """DataLoader ``collate_fn``: ``[(token_ids, label), ...]`` -> (padded (B, T), lengths (B,), labels (B,)).

    T is the batch's longest sequence, or at least ``pad_to`` (a fixed length, as in the source's
    character model). Use ``functools.partial(collate_padded, pad_value=..., pad_to=...)``.
    """
    if not isinstance(batch, Sequence) or isinstance(batch, str | bytes):
        raise TypeError("expected the batch as a list of (token_ids, label) pairs, got "
                        f"{type(batch).__name__}")
    if not batch:
        raise ValueError(
            "collate_padded got an empty batch: expected a list of (token_ids, label) pairs; "
            "check that the dataset is not empty"
        )
    if any(not isinstance(item, tuple | list) or len(item) != 2 for item in batch):
        raise ValueError(f"expected (token_ids, label) pairs, got {type(batch[0]).__name__} items")
    if pad_to is not None and (isinstance(pad_to, bool) or not isinstance(pad_to, numbers.Integral)
                               or not 0 <= pad_to <= MAX_PAD_TO):
        raise ValueError(f"expected pad_to to be an int from 0 to {MAX_PAD_TO:,} or None, got {pad_to!r}")
    tokens, labels = zip(*batch, strict=True)
    def one_number(y: object) -> bool:
        if isinstance(y, Tensor):
            check_has_values(y, "a label")
            return y.numel() == 1
        return isinstance(y, numbers.Real) and not isinstance(y, str | bytes)

    if not all(one_number(y) for y in labels):
        got = [f"tensor{tuple(y.shape)}" if isinstance(y, Tensor) else type(y).__name__ for y in labels][:3]
        raise TypeError(f"each label must be one number (0 or 1), got {got}")
    padded, lengths = pad_batch(tokens, pad_value=pad_value, batch_first=True)
    if pad_to is not None and padded.shape[1] < pad_to:
        padded = torch.nn.functional.pad(padded, (0, pad_to - padded.shape[1]), value=pad_value)
    return padded, lengths, torch.tensor(labels, dtype=torch.float32)


def _check_epoch(epoch: object) -> int:
    epoch = check_int(epoch, "epoch", minimum=0)
    if epoch >= 2**32:
        raise ValueError(f"expected epoch below 2**32, got {epoch}")
    return epoch


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of similar length, reshuffled every epoch, reproducible from ``seed``.

    Each epoch: shuffle all indices, cut them into pools of ``batch_size * pool_batches``, sort
    each pool by length, cut the pools into batches, and shuffle the order of the batches. Every
    index appears exactly once per epoch. Iterating again starts the next epoch (or call
    :meth:`set_epoch`).
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        *,
        seed: int = 0,
        pool_batches: int = 50,
        shuffle: bool = True,
    ) -> None:
        sizes = (batch_size, pool_batches)
        if any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in sizes):
            raise ValueError(
                f"expected batch_size >= 1 and pool_batches >= 1 (ints), got {batch_size}, {pool_batches}"
            )
        if (not isinstance(shuffle, bool | np.bool_) or isinstance(seed, bool)
                or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"expected shuffle True/False and an int seed, got {shuffle!r} and {seed!r}")
        if not 0 <= seed < 2**32:
            raise ValueError(f"expected seed in [0, 2**32), got {seed}")
        self.lengths: Tensor = _as_int_lengths(lengths).long()
        if self.lengths.numel() and int(self.lengths.min()) < 0:
            raise ValueError(f"lengths cannot be negative, got {int(self.lengths.min())}")
        # plain ints (a NumPy int would reach PyTorch, which refuses it)
        self.batch_size: int = int(batch_size)
        self.pool_batches: int = int(pool_batches)
        self.seed: int = int(seed)
        self.shuffle: bool = bool(shuffle)
        self.epoch: int = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = _check_epoch(epoch)

    def batches(self, epoch: int) -> list[list[int]]:
        epoch = _check_epoch(epoch)
        generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        n = len(self.lengths)
        order = torch.randperm(n, generator=generator) if self.shuffle else torch.arange(n)
        pool_size = self.batch_size * self.pool_batches
        batches = []
        for start in range(0, n, pool_size):
            pool = order[start : start + pool_size]
            pool = pool[torch.argsort(self.lengths[pool], descending=True, stable=True)]
            batches += [pool[i : i + self.batch_size].tolist() for i in range(0, len(pool), self.batch_size)]
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        batches = self.batches(self.epoch)
        self.epoch += 1
        return iter(batches)

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size) if len(self.lengths) else 0
