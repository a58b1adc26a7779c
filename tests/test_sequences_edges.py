"""utils/sequences.py at its edges: the bucket sampler's stream of batches (part of an edition: the
book's numbers depend on it), its epochs and arguments, and the limits and messages of
check_lengths, pack, pad_batch and collate_padded."""

import functools

import numpy as np
import pytest
import torch
from conftest import error_message

from utils import sequences
from utils.sequences import (
    BucketBatchSampler,
    check_lengths,
    collate_padded,
    pack,
    pad_batch,
    padding_mask,
    reverse_padded,
)

LENGTHS = [5, 1, 4, 2, 3, 6, 2, 7, 1, 3]


def test_the_batches_a_seed_gives_are_those_of_this_edition():
    # recorded with torch 2.13 (requirements.txt): a change here changes every chapter's training
    sampler = BucketBatchSampler(LENGTHS, 3, pool_batches=2)
    assert sampler.batches(0) == [[8], [7, 5, 4], [0, 2, 6], [9, 3, 1]]
    assert sampler.batches(1) == [[5, 0, 2], [3], [6, 1, 8], [7, 9, 4]]
    assert BucketBatchSampler(LENGTHS, 3, pool_batches=2, seed=7).batches(2) == [[3, 6, 8], [1], [0, 2, 9], [7, 5, 4]]


def test_the_defaults_are_seed_0_and_pools_of_50_batches():
    lengths = [(7 * i) % 23 + 1 for i in range(2000)]
    default = BucketBatchSampler(lengths, 4)
    assert default.batches(0) == BucketBatchSampler(lengths, 4, seed=0, pool_batches=50).batches(0)
    assert default.batches(0) != BucketBatchSampler(lengths, 4, seed=1).batches(0)
    assert default.batches(0) != BucketBatchSampler(lengths, 4, pool_batches=51).batches(0)


def test_each_iteration_is_the_next_epoch_and_set_epoch_jumps():
    sampler = BucketBatchSampler(LENGTHS, 3, pool_batches=2)
    epochs = [list(sampler) for _ in range(3)]
    assert epochs == [sampler.batches(0), sampler.batches(1), sampler.batches(2)]
    assert epochs[1] != epochs[2]
    sampler.set_epoch(7)
    assert sampler.epoch == 7 and list(sampler) == sampler.batches(7) and sampler.epoch == 8
    assert error_message(lambda: sampler.set_epoch(2**32)) == "expected epoch below 2**32, got 4294967296"
    assert sampler.batches(2**32 - 1)  # the largest epoch
    assert error_message(lambda: sampler.set_epoch(-1)).startswith("expected epoch to be at least 0")


def test_without_shuffling_batches_follow_the_pools_sorted_by_length():
    sampler = BucketBatchSampler(LENGTHS, 3, pool_batches=2, shuffle=False)
    assert sampler.batches(0) == sampler.batches(5) == [[5, 0, 2], [4, 3, 1], [7, 9, 6], [8]]
    shuffled = BucketBatchSampler(LENGTHS, 3, pool_batches=2)
    assert all(shuffled.batches(e) != sampler.batches(0) for e in range(3))


@pytest.mark.parametrize("shuffle, seed", [("yes", 0), (1, 0), (True, True), (True, 1.0), (True, "0")])
def test_shuffle_and_seed_of_the_wrong_type_are_refused(shuffle, seed):
    assert error_message(lambda: BucketBatchSampler(LENGTHS, 3, shuffle=shuffle, seed=seed)) == (
        f"expected shuffle True/False and an int seed, got {shuffle!r} and {seed!r}")


def test_seeds_from_0_to_2_pow_32_and_lengths_from_0():
    assert BucketBatchSampler(LENGTHS, 3, seed=2**32 - 1).batches(0)
    for seed in (2**32, -1):
        assert error_message(lambda s=seed: BucketBatchSampler(LENGTHS, 3, seed=s)) == (
            f"expected seed in [0, 2**32), got {seed}")
    assert sorted(i for b in BucketBatchSampler([0, 3, 0, 2], 2).batches(0) for i in b) == [0, 1, 2, 3]
    assert error_message(lambda: BucketBatchSampler([2, -1], 2)) == "lengths cannot be negative, got -1"
    assert len(BucketBatchSampler([], 2)) == 0 and len(BucketBatchSampler([1] * 5, 2)) == 3


def test_check_lengths_counts_an_empty_batch_and_names_its_arguments():
    assert check_lengths([], batch=0, max_len=0).tolist() == []
    assert error_message(lambda: check_lengths([1], batch=-1, max_len=3)).startswith(
        "expected batch to be at least 0")
    assert error_message(lambda: check_lengths([1], batch=1, max_len=-1)).startswith(
        "expected max_len to be at least 0")
    assert error_message(lambda: check_lengths([1], batch=1.0, max_len=3)).startswith("expected batch to be an int")
    assert error_message(lambda: check_lengths([1], batch=1, max_len="3")).startswith(
        "expected max_len to be an int")
    assert error_message(lambda: check_lengths([2, 3], batch=2, max_len=3, enforce_sorted=True)) == (
        "lengths must be sorted in decreasing order when enforce_sorted=True; sort the batch by length or "
        "pass enforce_sorted=False")


def test_lengths_checks_name_a_meta_tensor():
    meta = torch.ones(2, dtype=torch.long, device="meta")
    assert error_message(lambda: padding_mask(meta)).startswith("lengths is on the 'meta' device")
    assert error_message(lambda: pad_batch([torch.ones(2, device="meta")])).startswith(
        "a sequence is on the 'meta' device")


@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_names_the_layout_it_reads_and_refuses_an_empty_batch(batch_first):
    x = torch.zeros(3, 5, 2) if batch_first else torch.zeros(5, 3, 2)
    swapped = x.transpose(0, 1)
    looks, reads = ("time-major", "(B, T, ...)") if batch_first else ("batch-first", "(T, B, ...)")
    fix = "pass batch_first=False (the default)" if batch_first else "pass batch_first=True"
    for lengths in ([5, 4, 3], torch.tensor([5, 4, 3]), np.array([5, 4, 3])):  # NumPy lengths too
        assert error_message(lambda lengths=lengths: pack(swapped, lengths, batch_first=batch_first)) == (
            f"x has shape {tuple(swapped.shape)} and there are 3 lengths, so x looks {looks}; this call reads "
            f"it as {reads}: {fix}"), type(lengths)
    packed = pack(x, [2, 5, 3], batch_first=batch_first)
    assert packed.batch_sizes.tolist() == [3, 3, 2, 1, 1]
    empty = torch.zeros(0, 4, 2) if batch_first else torch.zeros(4, 0, 2)
    assert error_message(lambda: pack(empty, [], batch_first=batch_first)) == (
        "cannot pack a batch of zero sequences: skip empty batches before the model")
    one = torch.zeros(1, 4, 2) if batch_first else torch.zeros(4, 1, 2)
    assert pack(one, [4], batch_first=batch_first).batch_sizes.tolist() == [1, 1, 1, 1]
    assert error_message(lambda: pack(x.numpy(), [2, 5, 3])) == (
        "expected x of shape (T, B, ...) or, with batch_first=True, (B, T, ...), got ndarray")
    assert error_message(lambda: pack(x, [2, 5, 3], batch_first="yes")).startswith(
        "expected batch_first to be True or False")


def test_pack_keeps_unsorted_batches_unless_sorting_is_enforced():
    x = torch.arange(15.0).reshape(5, 3, 1)
    packed = pack(x, [2, 5, 3])
    assert packed.unsorted_indices.tolist() == [2, 0, 1]
    assert error_message(lambda: pack(x, [2, 5, 3], enforce_sorted=True)).startswith(
        "lengths must be sorted in decreasing order")


def test_reverse_padded_takes_a_list_of_lengths_and_a_tensor_alike():
    x = torch.arange(8.0).reshape(4, 2, 1)  # (T, B, 1)
    expected = torch.tensor([[4.0, 3.0], [2.0, 1.0], [0.0, 5.0], [6.0, 7.0]]).unsqueeze(-1)
    torch.testing.assert_close(reverse_padded(x, [3, 2]), expected)
    torch.testing.assert_close(reverse_padded(x, torch.tensor([3, 2])), expected)
    assert error_message(lambda: reverse_padded(x.transpose(0, 1), [3, 2])).endswith(
        "pass x time-major, x.transpose(0, 1)")


def test_pad_batch_limits_and_messages():
    assert error_message(lambda: pad_batch([])).startswith("expected a non-empty list")
    assert error_message(lambda: pad_batch(torch.ones(2, 3))).startswith("expected a non-empty list")
    assert error_message(lambda: pad_batch([torch.ones(2)], pad_value=True)).startswith(
        "expected pad_value to be a number")
    ints = [torch.ones(2, 2, dtype=torch.long), torch.ones(1, 2, dtype=torch.long)]
    assert error_message(lambda: pad_batch(ints)) == (
        "token ids must be 1-D sequences, got integer sequences of shape (2, 2): pass one 1-D tensor per text "
        "(squeeze or flatten them); only float features may be (L, F)")
    mixed = [torch.ones(2), torch.ones(3, dtype=torch.long)]
    assert error_message(lambda: pad_batch(mixed)).startswith(
        "the sequences mix token ids (integers) and float features")
    largest = torch.finfo(torch.float16).max
    padded, _ = pad_batch([torch.ones(1, dtype=torch.float16), torch.ones(2, dtype=torch.float16)],
                          pad_value=largest)
    assert padded.dtype == torch.float16 and padded[0, 1].item() == largest
    smallest = torch.iinfo(torch.int8).min
    padded, _ = pad_batch([torch.ones(1, dtype=torch.int8), torch.ones(2, dtype=torch.int8)], pad_value=smallest)
    assert padded.dtype == torch.int8 and padded[0, 1].item() == smallest
    padded, _ = pad_batch([torch.ones(1, dtype=torch.long), torch.ones(2, dtype=torch.long)], pad_value=7)
    assert padded.dtype == torch.long and padded.tolist() == [[1, 7], [1, 1]]
    padded, _ = pad_batch([torch.ones(1), torch.ones(2)], pad_value=2)
    assert padded.dtype == torch.float32 and padded.tolist() == [[1.0, 2.0], [1.0, 1.0]]


def test_collate_padded_limits_and_messages(monkeypatch):
    batch = [(torch.tensor([3, 4]), 1), (torch.tensor([5]), 0)]
    padded, lengths, labels = collate_padded(batch, pad_value=9, pad_to=4)
    assert padded.tolist() == [[3, 4, 9, 9], [5, 9, 9, 9]] and lengths.tolist() == [2, 1]
    assert labels.tolist() == [1.0, 0.0] and labels.dtype == torch.float32
    exact, _, _ = collate_padded(batch, pad_value=9, pad_to=2)
    assert exact.tolist() == [[3, 4], [5, 9]]
    assert sequences.MAX_PAD_TO == 10**7
    monkeypatch.setattr(sequences, "MAX_PAD_TO", 1000)  # the limit itself, without 80 MB of padding
    assert collate_padded(batch, pad_to=1000)[0].shape == (2, 1000)
    assert collate_padded(batch, pad_to=0)[0].shape == (2, 2)
    for bad in (1001, -1, True, 2.0):
        assert error_message(lambda b=bad: collate_padded(batch, pad_to=b)) == (
            f"expected pad_to to be an int from 0 to 1,000 or None, got {bad!r}")
    assert error_message(lambda: collate_padded("ab")) == (
        "expected the batch as a list of (token_ids, label) pairs, got str")
    assert error_message(lambda: collate_padded(iter(batch))) == (
        "expected the batch as a list of (token_ids, label) pairs, got list_iterator")
    bad_labels = [(torch.tensor([3]), torch.tensor([1, 0])), (torch.tensor([5]), "1"),
                  (torch.tensor([6]), torch.tensor(1)), (torch.tensor([7]), 0)]
    assert error_message(lambda: collate_padded(bad_labels)) == (
        "each label must be one number (0 or 1), got ['tensor(2,)', 'str', 'tensor()']")
    tensor_labels = [(torch.tensor([3]), torch.tensor(1.0)), (torch.tensor([5]), torch.tensor([0.0]))]
    assert collate_padded(tensor_labels)[2].tolist() == [1.0, 0.0]
    partial = functools.partial(collate_padded, pad_value=0)
    assert partial(batch)[0].tolist() == [[3, 4], [5, 0]]


MESSAGES = [
    (lambda: padding_mask("31"), "expected lengths to be a 1-D tensor or list of ints, got a string '31'"),
    (lambda: padding_mask(iter([3, 1])),
     "expected lengths as a list or tensor, got a one-pass iterator: wrap it in list(...)"),
    (lambda: padding_mask([[1, 2], [3]]),
     "expected lengths to be a 1-D tensor or list of ints (expected sequence of length 2 at dim 1 (got 1))"),
    (lambda: padding_mask([]), "padding_mask got no lengths: pass one length per sequence of a batch, e.g. [3, 1]"),
    (lambda: padding_mask([2, -1]), "lengths cannot be negative, got -1"),
    (lambda: padding_mask([3, 1], max_len=2),
     "expected max_len to be an int >= the longest length (3), got 2; leave it out to use the longest length"),
    (lambda: pad_batch(["ab"]), "expected a sequence of token ids, got the string 'ab': encode it"),
    (lambda: pad_batch([[1, [2]]]), "expected each sequence as a tensor or a flat list of numbers ('list' object "
                                    "cannot be interpreted as an integer)"),
    (lambda: pad_batch([torch.ones(2, dtype=torch.bool)]),
     "expected sequences of ids or real features, got dtype torch.bool"),
    (lambda: pad_batch([torch.ones(2, dtype=torch.complex64)]),
     "expected sequences of ids or real features, got dtype torch.complex64"),
    (lambda: pad_batch([]), "expected a non-empty list of sequences to pad, e.g. [tensor([5, 6]), tensor([7])]"),
    (lambda: pad_batch([torch.ones(2)], pad_value="0"), "expected pad_value to be a number (0 for token ids), got '0'"),
    (lambda: pad_batch([(torch.tensor([1]), 1)]),
     "pad_batch takes the sequences alone, got (token_ids, label) pairs (dataset items): collate_padded takes the "
     "pairs, or pad [ids for ids, _ in items]"),
    (lambda: pad_batch([torch.tensor([], dtype=torch.long)]),
     "cannot pad an empty sequence: give it at least one token (for example <unk>)"),
    (lambda: pad_batch([torch.ones(2), torch.ones(3, dtype=torch.long)]),
     "the sequences mix token ids (integers) and float features (['torch.float32', 'torch.int64']): a common "
     "type would round large ids; pad ids and features separately"),
    (lambda: pad_batch([torch.ones(1, dtype=torch.float16), torch.ones(2, dtype=torch.float16)], pad_value=1e6),
     "pad_value 1000000.0 does not fit in torch.float16 (|x| <= 6.55e+04): choose a smaller pad_value"),
    (lambda: pad_batch([torch.ones(1, dtype=torch.int8), torch.ones(2, dtype=torch.int8)], pad_value=300),
     "pad_value 300 does not fit in torch.int8 (-128 to 127): choose another pad_value or convert the "
     "sequences (.long())"),
    (lambda: check_lengths([2], batch=2, max_len=3),
     "expected one length per sequence (2), got 1; pass the lengths of this batch, in the same order"),
    (lambda: check_lengths([2, 0], batch=2, max_len=3),
     "every length must be at least 1, got 0; drop empty sequences before batching (or give them one <pad> token)"),
    (lambda: check_lengths([4, 1], batch=2, max_len=3),
     "a length (4) exceeds the padded size (3); pad to the longest sequence or truncate the lengths too"),
    (lambda: pack(torch.zeros(3, 2, 1), [3, 2], enforce_sorted="yes"),
     "expected enforce_sorted to be True or False, got str: 'yes'"),
    (lambda: pack(torch.zeros(3, 2, 1), [3, 2], batch_first="yes"),
     "expected batch_first to be True or False, got str: 'yes'"),
    (lambda: collate_padded([]), "collate_padded got an empty batch: expected a list of (token_ids, label) pairs; "
                                 "check that the dataset is not empty"),
    (lambda: collate_padded([torch.tensor([1])]), "expected (token_ids, label) pairs, got Tensor items"),
]


@pytest.mark.parametrize("call, message", MESSAGES, ids=range(len(MESSAGES)))
def test_messages_whole(call, message):
    assert error_message(call) == message


def test_pad_values_at_the_limits_of_their_type():
    half = [torch.ones(1, dtype=torch.float16), torch.ones(2, dtype=torch.float16)]
    assert pad_batch(half, pad_value=float("-inf"))[0][0, 1].item() == float("-inf")
    assert pad_batch(half, pad_value=-torch.finfo(torch.float16).max)[0][0, 1].item() == -65504.0
    small = [torch.ones(1, dtype=torch.int8), torch.ones(2, dtype=torch.int8)]
    assert pad_batch(small, pad_value=127)[0][0, 1].item() == 127
    long_ids = [torch.ones(1, dtype=torch.long), torch.ones(2, dtype=torch.long)]
    assert pad_batch(long_ids, pad_value=2**62)[0][0, 1].item() == 2**62  # exact: not through a float


def test_only_one_axis_lengths_are_counted_for_the_layout_hint():
    x = torch.zeros(2, 3, 1)  # (T=2, B=3): two rows of lengths must not read as "two sequences"
    assert error_message(lambda: pack(x, torch.tensor([[1], [2]]))) == (
        "expected lengths to be a 1-D tensor of ints, got shape (2, 1) and dtype torch.int64")
    assert error_message(lambda: pack(x, 3)) == (
        "expected lengths to be a 1-D tensor of ints, got shape () and dtype torch.int64")
    one_step = pack(torch.zeros(1, 3, 1), np.array([1, 1, 1]))  # T=1: no count to compare
    assert one_step.batch_sizes.tolist() == [3]


def test_the_remaining_edges_of_pack_pad_and_collate():
    x = torch.zeros(3, 3, 1)
    assert pack(x, [3, 2, 1], enforce_sorted=True).unsorted_indices is None  # sorted: nothing to undo
    assert pack(x, [3, 2, 1]).unsorted_indices.tolist() == [0, 1, 2]
    assert error_message(lambda: pad_batch(iter([torch.ones(2)]))) == (
        "expected a non-empty list of sequences to pad, e.g. [tensor([5, 6]), tensor([7])]")
    long_ids = [torch.ones(1, dtype=torch.long), torch.ones(2, dtype=torch.long)]
    assert pad_batch(long_ids, pad_value=2**62 + 1)[0][0, 1].item() == 2**62 + 1  # not rounded by a float
    meta_label = [(torch.tensor([1]), torch.ones((), device="meta"))]
    assert error_message(lambda: collate_padded(meta_label)).startswith("a label is on the 'meta' device")
    assert error_message(lambda: collate_padded([(torch.tensor([1]), None), (torch.tensor([2]), 1)])) == (
        "each label must be one number (0 or 1), got ['NoneType', 'int']")


def test_reverse_padded_and_pad_batch_name_their_own_bad_arguments():
    """reverse_padded checks lengths itself (a meta tensor has no values to read) and pad_batch
    its batch_first flag, each naming the argument."""
    x = torch.zeros(3, 2, 1)
    meta = torch.ones(2, dtype=torch.long, device="meta")
    assert error_message(lambda: sequences.reverse_padded(x, meta)).startswith("lengths is on the 'meta' device")
    assert error_message(lambda: sequences.pad_batch([torch.tensor([1])], batch_first="yes")) == (
        "expected batch_first to be True or False, got str: 'yes'")
