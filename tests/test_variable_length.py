"""Bidirectional and variable-length ScratchLSTM against nn.LSTM; masks, sampler, collate."""

import itertools

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.testing import assert_close

from utils.lstm import ScratchLSTM, copy_from_torch
from utils.sequences import (
    BucketBatchSampler,
    check_lengths,
    collate_padded,
    pack,
    pad_batch,
    padding_mask,
    reverse_padded,
)

F64 = {"atol": 1e-10, "rtol": 1e-10}
F32 = {"atol": 1e-5, "rtol": 1e-5}
D, H = 3, 4
LENGTHS = [5, 9, 1, 7]  # unsorted on purpose


def pair(num_layers, batch_first, dtype=torch.float64, loop="fused"):
    torch.manual_seed(0)
    reference = torch.nn.LSTM(D, H, num_layers=num_layers, bidirectional=True, batch_first=batch_first).to(dtype)
    scratch = ScratchLSTM(D, H, num_layers=num_layers, bidirectional=True, batch_first=batch_first, loop=loop)
    return reference, copy_from_torch(scratch.to(dtype), reference)


def padded_input(batch_first, dtype=torch.float64):
    x = torch.randn(len(LENGTHS), max(LENGTHS), D, dtype=dtype)  # (B, T, D)
    return x if batch_first else x.transpose(0, 1).contiguous()


def grads(model):
    return {name: p.grad.clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize(("num_layers", "batch_first"), list(itertools.product([1, 2], [True, False])))
@pytest.mark.parametrize("loop", ["fused", "naive"])
def test_bidirectional_packed_parity(num_layers, batch_first, loop):
    reference, scratch = pair(num_layers, batch_first, loop=loop)
    x = padded_input(batch_first)
    hx = tuple(torch.randn(2 * num_layers, len(LENGTHS), H, dtype=torch.float64) for _ in range(2))
    results = []
    for model in (reference, scratch):
        packed = pack_padded_sequence(x, torch.tensor(LENGTHS), batch_first=batch_first, enforce_sorted=False)
        out, (h_n, c_n) = model(packed, hx)
        assert isinstance(out, torch.nn.utils.rnn.PackedSequence)
        padded, out_lengths = pad_packed_sequence(out, batch_first=batch_first)
        model.zero_grad()
        (padded.sin().sum() + h_n.pow(2).sum() + c_n.sum()).backward()
        results.append((padded, out_lengths, h_n, c_n, grads(model), out))
    (p_r, l_r, h_r, c_r, g_r, o_r), (p_s, l_s, h_s, c_s, g_s, o_s) = results
    assert torch.equal(l_r, l_s) and torch.equal(o_r.batch_sizes, o_s.batch_sizes)
    assert_close(p_s, p_r, **F64)
    assert_close(h_s, h_r, **F64)
    assert_close(c_s, c_r, **F64)
    for name in g_r:
        assert_close(g_s[name], g_r[name], **F64)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_lengths_keyword_equals_packing(num_layers):
    reference, scratch = pair(num_layers, batch_first=True, dtype=torch.float32)
    x = padded_input(True, torch.float32)
    out_r, (h_r, c_r) = reference(pack(x, LENGTHS, batch_first=True))
    out_r, _ = pad_packed_sequence(out_r, batch_first=True)
    out_s, (h_s, c_s) = scratch(x, lengths=torch.tensor(LENGTHS))
    assert_close(out_s, out_r, **F32)  # padding positions are 0 in both
    assert_close(h_s, h_r, **F32)
    assert_close(c_s, c_r, **F32)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_batch_equals_each_sequence_alone(bidirectional):
    torch.manual_seed(1)
    model = ScratchLSTM(D, H, num_layers=2, bidirectional=bidirectional, batch_first=True).double()
    x = padded_input(True)
    out, (h_n, c_n) = model(pack(x, LENGTHS, batch_first=True))
    out, _ = pad_packed_sequence(out, batch_first=True)
    for row, length in enumerate(LENGTHS):
        alone_out, (alone_h, alone_c) = model(x[row : row + 1, :length])
        assert_close(out[row, :length], alone_out[0], **F64)
        assert_close(h_n[:, row], alone_h[:, 0], **F64)
        assert_close(c_n[:, row], alone_c[:, 0], **F64)
        assert not out[row, length:].any()


def test_padding_changes_the_unpacked_result():
    """The weakness chapter 9 fixes: without lengths, padding steps change the final state."""
    torch.manual_seed(2)
    model = ScratchLSTM(D, H, batch_first=True).double()
    x = padded_input(True)
    _, (h_padded, _) = model(x)
    _, (h_true, _) = model(x, lengths=torch.tensor(LENGTHS))
    longest = LENGTHS.index(max(LENGTHS))
    assert_close(h_padded[0, longest], h_true[0, longest])
    assert (h_padded[0] - h_true[0]).abs().sum(dim=1).gt(1e-6).sum() == len(LENGTHS) - 1


def test_reverse_padded_reverses_within_each_length():
    x = torch.arange(4).view(4, 1).expand(4, 2).clone()  # (T=4, B=2): both rows 0, 1, 2, 3
    reversed_ = reverse_padded(x, torch.tensor([4, 2]))
    assert reversed_[:, 0].tolist() == [3, 2, 1, 0]
    assert reversed_[:, 1].tolist() == [1, 0, 2, 3]  # padding (steps 2, 3) stays in place
    assert torch.equal(reverse_padded(reversed_, torch.tensor([4, 2])), x)


def test_padding_mask():
    assert padding_mask(torch.tensor([2, 0, 3])).tolist() == [
        [True, True, False],
        [False, False, False],
        [True, True, True],
    ]


@pytest.mark.parametrize(
    ("lengths", "kwargs", "match"),
    [
        ([3, 2], {}, "one length per sequence"),
        ([3, 0, 2], {}, "at least 1"),
        ([3, 9, 2], {}, "exceeds the padded size"),
        ([2, 3, 1], {"enforce_sorted": True}, "sorted in decreasing order"),
        ([2.0, 3.0, 1.0], {}, "ints"),
    ],
)
def test_bad_lengths_raise_value_error(lengths, kwargs, match):
    x = torch.zeros(3, 4, D, dtype=torch.float64)  # (B=3, T=4, D)
    with pytest.raises(ValueError, match=match):
        check_lengths(torch.tensor(lengths), batch=3, max_len=4, **kwargs)
    with pytest.raises(ValueError, match=match):
        pack(x, torch.tensor(lengths), batch_first=True, **kwargs)
    with pytest.raises(ValueError, match=match):
        ScratchLSTM(D, H, batch_first=True).double()(x, lengths=torch.tensor(lengths), **kwargs)


def test_packed_sequence_and_lengths_together_is_an_error():
    x = padded_input(True)
    with pytest.raises(ValueError, match="not both"):
        ScratchLSTM(D, H, batch_first=True).double()(pack(x, LENGTHS, batch_first=True), lengths=LENGTHS)


@pytest.mark.parametrize("n", [0, 1, 37, 1000])
def test_sampler_yields_every_index_once_per_epoch(n):
    lengths = torch.randint(1, 500, (n,), generator=torch.Generator().manual_seed(n)).tolist()
    sampler = BucketBatchSampler(lengths, batch_size=16, seed=3, pool_batches=4)
    for _ in range(3):
        batches = list(sampler)
        flat = [i for batch in batches for i in batch]
        assert sorted(flat) == list(range(n))
        assert len(batches) == len(sampler)
        assert all(1 <= len(b) <= 16 for b in batches)


def test_sampler_groups_similar_lengths_and_reshuffles_reproducibly():
    lengths = torch.randint(1, 2000, (2000,), generator=torch.Generator().manual_seed(0))
    sampler = BucketBatchSampler(lengths.tolist(), batch_size=32, seed=7)
    epoch0, epoch1 = list(sampler), list(sampler)
    assert epoch0 != epoch1  # a new order every epoch
    assert BucketBatchSampler(lengths.tolist(), batch_size=32, seed=7).batches(1) == epoch1
    padded = sum(len(b) * lengths[b].max().item() for b in epoch0)
    assert padded < 1.1 * lengths.sum().item()  # almost no padding inside a batch


def test_sampler_rejects_bad_sizes():
    with pytest.raises(ValueError, match="batch_size"):
        BucketBatchSampler([1, 2], batch_size=0)


def test_collate_pads_and_returns_lengths_and_labels():
    batch = [(torch.tensor([5, 6, 7]), 1), (torch.tensor([8]), 0)]
    padded, lengths, labels = collate_padded(batch)
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert lengths.tolist() == [3, 1] and labels.tolist() == [1.0, 0.0]
    padded, _, _ = collate_padded(batch, pad_value=9)
    assert padded[1].tolist() == [8, 9, 9]
    with pytest.raises(ValueError, match="empty sequence"):
        pad_batch([torch.tensor([1]), torch.tensor([], dtype=torch.long)])


def test_collate_can_pad_to_a_fixed_length():
    padded, lengths, _ = collate_padded([(torch.tensor([5, 6]), 1)], pad_to=4)
    assert padded.tolist() == [[5, 6, 0, 0]] and lengths.tolist() == [2]


def test_sorted_lengths_check_has_its_own_message():
    """enforce_sorted=True: equal neighbours are sorted, any later length above an earlier one is not."""
    assert check_lengths([5, 5, 3, 1], batch=4, max_len=5, enforce_sorted=True).tolist() == [5, 5, 3, 1]
    for unsorted in ([5, 3, 4], [3, 5, 5], [2, 1, 1, 2]):
        with pytest.raises(ValueError, match="sorted in decreasing order"):
            check_lengths(unsorted, batch=len(unsorted), max_len=5, enforce_sorted=True)
    assert check_lengths([5, 3, 4], batch=3, max_len=5).tolist() == [5, 3, 4]  # unsorted is fine by default


def test_padding_mask_of_no_sequences_is_refused():
    """No lengths at all is a forgotten argument, not a batch: an empty mask would hide it."""
    none = torch.tensor([], dtype=torch.long)
    for call in (lambda: padding_mask(none), lambda: padding_mask([], max_len=3)):
        with pytest.raises(ValueError, match="no lengths: pass one length per sequence"):
            call()


@pytest.mark.parametrize("batch_first", [True, False])
def test_pack_reads_batch_and_time_from_the_layout(batch_first):
    """B=3, T=5, F=2 all differ, so reading a wrong dimension is caught."""
    x = torch.randn(3, 5, 2) if batch_first else torch.randn(5, 3, 2)
    lengths = [5, 2, 1]
    expected = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
    packed = pack(x, lengths, batch_first=batch_first)
    assert_close(packed.data, expected.data)
    assert packed.batch_sizes.tolist() == expected.batch_sizes.tolist() == [3, 2, 1, 1, 1]
    with pytest.raises(ValueError, match=r"a length \(6\) exceeds the padded size \(5\)"):
        pack(x, [6, 2, 1], batch_first=batch_first)
    with pytest.raises(ValueError, match="pass the lengths of this batch"):
        pack(x, [5, 2], batch_first=batch_first)


def test_reverse_padded_needs_time_and_batch_dimensions():
    with pytest.raises(ValueError, match=r"expected x of shape \(T, B, ...\), got \(5,\)"):
        reverse_padded(torch.ones(5), torch.tensor([5]))


def test_pad_batch_keeps_trailing_feature_dimensions():
    sequences = [torch.ones(3, 2), 2 * torch.ones(1, 2)]
    padded, lengths = pad_batch(sequences, pad_value=-1.0)
    assert padded.shape == (2, 3, 2) and lengths.tolist() == [3, 1]
    assert_close(padded[1], torch.tensor([[2.0, 2.0], [-1.0, -1.0], [-1.0, -1.0]]))
    time_first, _ = pad_batch(sequences, batch_first=False)
    assert time_first.shape == (3, 2, 2)


def test_pad_batch_names_at_most_three_mismatched_shapes():
    sequences = [torch.ones(1, k) for k in (2, 3, 4, 5)]
    with pytest.raises(ValueError, match=r"got \[\(1, 2\), \(1, 3\), \(1, 4\)\]$"):
        pad_batch(sequences)


def test_unshuffled_sampler_sorts_each_pool_longest_first_ties_in_index_order():
    lengths = [3, 1, 4, 1, 5, 1, 1, 2]
    sampler = BucketBatchSampler(lengths, batch_size=2, pool_batches=2, shuffle=False)
    # pools of 4 indices in order: [0, 1, 2, 3] and [4, 5, 6, 7], each sorted by length, stably
    expected = [[2, 0], [1, 3], [4, 7], [5, 6]]
    assert sampler.batches(0) == sampler.batches(1) == expected
    assert list(sampler) == expected and len(sampler) == 4
    many_ties = [1] * 40
    many_ties[3] = 2
    (batch,) = BucketBatchSampler(many_ties, batch_size=40, pool_batches=1, shuffle=False).batches(0)
    assert batch == [3] + [i for i in range(40) if i != 3]  # an unstable sort reorders the ties
