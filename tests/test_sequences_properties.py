"""Property-based tests (hypothesis) for the sequence helpers of chapter 9."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.sequences import (
    BucketBatchSampler,
    collate_padded,
    pad_batch,
    padding_mask,
    reverse_padded,
)

token_lists = st.lists(st.lists(st.integers(1, 1000), min_size=1, max_size=12), min_size=1, max_size=8)
float_lists = st.lists(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), min_size=1, max_size=10), min_size=1, max_size=6
)


@given(token_lists, st.booleans())
def test_pad_batch_keeps_every_token_and_pads_with_the_pad_value(sequences, batch_first):
    padded, lengths = pad_batch([torch.tensor(s) for s in sequences], pad_value=0, batch_first=batch_first)
    rows = padded if batch_first else padded.T
    assert padded.dtype == torch.long
    assert lengths.tolist() == [len(s) for s in sequences]
    assert rows.shape == (len(sequences), max(map(len, sequences)))
    for row, sequence in zip(rows, sequences, strict=True):
        assert row[: len(sequence)].tolist() == sequence
        assert not row[len(sequence) :].any()
    assert torch.equal(rows != 0, padding_mask(lengths))  # tokens are >= 1, padding is 0


@given(float_lists)
def test_pad_batch_keeps_floats_as_floats(sequences):
    padded, _ = pad_batch([torch.tensor(s, dtype=torch.float32) for s in sequences], pad_value=-1.5)
    assert padded.dtype == torch.float32
    for row, sequence in zip(padded, sequences, strict=True):
        assert row[: len(sequence)].tolist() == torch.tensor(sequence, dtype=torch.float32).tolist()
        assert (row[len(sequence) :] == -1.5).all()


@given(st.lists(st.integers(0, 30), min_size=1, max_size=10), st.integers(0, 5))
def test_mask_sums_are_the_lengths(lengths, extra):
    lengths_t = torch.tensor(lengths)
    mask = padding_mask(lengths_t, max(lengths) + extra)
    assert mask.shape == (len(lengths), max(lengths) + extra)
    assert mask.sum(1).tolist() == lengths
    assert torch.equal(mask, mask.cummin(dim=1).values)  # True first, then False: right padding


@given(st.lists(st.integers(1, 15), min_size=1, max_size=7), st.integers(0, 3))
def test_reverse_padded_reverses_real_steps_keeps_padding_and_undoes_itself(lengths, extra):
    lengths_t = torch.tensor(lengths)
    steps = max(lengths) + extra
    x = torch.arange(steps * len(lengths) * 2).view(steps, len(lengths), 2)  # (T, B, 2), all distinct
    reversed_ = reverse_padded(x, lengths_t)
    assert torch.equal(reverse_padded(reversed_, lengths_t), x)
    for b, length in enumerate(lengths):
        assert torch.equal(reversed_[:length, b], x[:length, b].flip(0))
        assert torch.equal(reversed_[length:, b], x[length:, b])


@given(st.lists(st.integers(1, 400), max_size=300), st.integers(1, 40), st.integers(1, 5), st.integers(0, 3),
       st.booleans())
@settings(max_examples=60, deadline=None)
def test_bucketing_covers_every_index_once(lengths, batch_size, pool_batches, epoch, shuffle):
    sampler = BucketBatchSampler(lengths, batch_size, pool_batches=pool_batches, seed=epoch, shuffle=shuffle)
    batches = sampler.batches(epoch)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert len(batches) == len(sampler)
    assert all(1 <= len(batch) <= batch_size for batch in batches)
    for batch in batches:  # inside a batch, longest first
        batch_lengths = [lengths[i] for i in batch]
        assert batch_lengths == sorted(batch_lengths, reverse=True)


@given(token_lists, st.integers(0, 20))
def test_collate_pads_to_at_least_pad_to(sequences, pad_to):
    batch = [(torch.tensor(s), i % 2) for i, s in enumerate(sequences)]
    padded, lengths, labels = collate_padded(batch, pad_to=pad_to)
    assert padded.shape == (len(sequences), max(pad_to, max(map(len, sequences))))
    assert lengths.tolist() == [len(s) for s in sequences]
    assert labels.tolist() == [float(i % 2) for i in range(len(sequences))]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: padding_mask(torch.tensor([3, 5]), 4), "max_len to be an int >= the longest length"),
        (lambda: padding_mask(torch.tensor([3, -1])), "cannot be negative"),
        (lambda: padding_mask(torch.tensor([3.0, 1.0])), "1-D tensor of ints"),
        (lambda: padding_mask(torch.tensor([True, False])), "1-D tensor of ints"),
        (lambda: padding_mask(torch.tensor([[3, 1]])), "1-D tensor of ints"),
        (lambda: padding_mask(torch.tensor([3]), 4.0), "max_len to be an int"),
        (lambda: pad_batch([]), "non-empty list"),
        (lambda: pad_batch(torch.tensor([1, 2])), "non-empty list"),
        (lambda: pad_batch([torch.tensor([1, 2]), torch.tensor([], dtype=torch.long)]), "empty sequence"),
        (lambda: pad_batch([torch.tensor([1, 2])], pad_value=0.5), "not an integer"),
        (lambda: pad_batch([torch.zeros(2, 3), torch.zeros(2, 4)]), "equal after L"),
        (lambda: pad_batch([torch.tensor(3)]), "shape"),
        (lambda: collate_padded([]), "empty batch"),
        (lambda: collate_padded([torch.tensor([1, 2])]), "pairs"),
        (lambda: reverse_padded(torch.zeros(4, 2), torch.tensor([5, 1])), "exceeds the padded size"),
        (lambda: reverse_padded(torch.zeros(4, 2), torch.tensor([4])), "one length per sequence"),
        (lambda: BucketBatchSampler([3, 4], batch_size=2.5), "batch_size"),  # type: ignore[arg-type]
        (lambda: BucketBatchSampler([3.5, 4.0], batch_size=2), "ints"),  # type: ignore[list-item]
    ],
)
def test_mistakes_get_errors_that_name_the_fix(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_float_padding_is_not_truncated():
    padded, _ = pad_batch([torch.tensor([0.25, 0.75]), torch.tensor([1.5])])
    assert padded.tolist() == [[0.25, 0.75], [1.5, 0.0]]
