"""utils/batching_speed.py at its edges: the argument checks with their whole messages, the defaults,
the exact values behind the seeds (lengths, token ids, labels, batch composition), the model's
configuration, and what the timing and profiling helpers measure (with a stand-in clock, device
and profiler where the real ones would need a GPU or give times that vary)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from utils import batching_speed
from utils.batching_speed import (
    VOCAB,
    Batch,
    ModelSize,
    classifier,
    imdb_like_lengths,
    make_batches,
    synthetic_data,
    time_strategies,
    top_operations,
)
from utils.models import ClassifierConfig
from utils.sequences import BucketBatchSampler

TINY = ModelSize("tiny", embed_dim=4, hidden_size=4, num_layers=2)
# every field differs from ClassifierConfig's defaults (100, 256, 2), so a field left out shows
ODD = ModelSize("odd", embed_dim=3, hidden_size=5, num_layers=1)


def tiny_batches(batching: str = "bucketed") -> list[Batch]:
    data, labels = synthetic_data(12, max_len=9)
    return make_batches(data, labels, batching, batch_size=4, max_len=9)


def three_sequences() -> tuple[list[torch.Tensor], torch.Tensor]:
    return [torch.tensor([5, 6]), torch.tensor([7]), torch.tensor([8, 9, 4])], torch.tensor([0.0, 1.0, 1.0])


def message(kind: type[Exception], call) -> str:
    with pytest.raises(kind) as caught:
        call()
    return str(caught.value)


# --- argument checks, messages whole ---------------------------------------------------------------

MESSAGES = [
    (lambda: imdb_like_lengths("5", torch.Generator()), TypeError, "expected n to be an int, got str: '5'"),
    (lambda: imdb_like_lengths(-1, torch.Generator()), ValueError, "expected n to be at least 0, got -1"),
    (lambda: imdb_like_lengths(5, 0), TypeError, "expected generator=torch.Generator().manual_seed(seed), got int"),
    (lambda: synthetic_data("3"), TypeError, "expected sequences to be an int, got str: '3'"),
    (lambda: synthetic_data(0), ValueError, "expected sequences to be at least 1, got 0"),
    (lambda: synthetic_data(3, max_len=0), ValueError, "expected max_len to be at least 1, got 0"),
    (lambda: make_batches(*three_sequences(), "fixed", batch_size=0), ValueError,
     "expected batch_size to be at least 1, got 0"),
    (lambda: make_batches(*three_sequences(), "bucketed", batch_size=2, max_len=0), ValueError,
     "expected max_len to be at least 1, got 0"),
    (lambda: make_batches(*three_sequences(), "fixed", batch_size=2, max_len="9"), TypeError,
     "expected max_len to be an int, got str: '9'"),
    (lambda: make_batches([], torch.ones(0), "fixed", batch_size=2), ValueError,
     "make_batches needs at least one sequence (synthetic_data(n) with n >= 1)"),
    (lambda: make_batches(three_sequences()[0], [0.0, 1.0, 1.0], "fixed", batch_size=2), TypeError,
     "expected labels as a tensor of shape (3,), as synthetic_data returns them"),
    (lambda: make_batches(three_sequences()[0], torch.ones(2), "bucketed", batch_size=2), TypeError,
     "expected labels as a tensor of shape (3,), as synthetic_data returns them"),
    (lambda: make_batches(*three_sequences(), "fixed", batch_size=2, max_len=2), ValueError,
     "the longest sequence (3) exceeds max_len (2): fixed batches would crop it while its length says "
     "otherwise; raise max_len"),
    (lambda: classifier("small", "exact"), TypeError, "expected a ModelSize (SMALL or CHAPTER_12), got str"),
    (lambda: time_strategies(tiny_batches(), TINY, "exact"), TypeError,
     "expected the batches and the strategies as lists (make_batches returns one; strategies such as "
     "['exact', 'packed'])"),
    (lambda: time_strategies(tiny_batches(), TINY, ["exact", "packed", "exact"]), ValueError,
     "expected each strategy once, got ['exact', 'packed', 'exact']: one model is trained per strategy"),
    (lambda: time_strategies(tiny_batches(), TINY, ["exact"], epochs=0), ValueError,
     "expected epochs >= 1, at least one batch and one strategy, got 0, 3 and 1"),
    (lambda: time_strategies(tiny_batches(), TINY, ["exact"], epochs="3"), TypeError,
     "expected epochs to be an int, got str: '3'"),
    (lambda: time_strategies(tiny_batches(), TINY, ["exact"], device="mps"), ValueError,
     "expected device 'cpu' or 'cuda', got 'mps'"),
    (lambda: time_strategies(tiny_batches(), TINY, ["exact"], device="CUDA"), ValueError,
     "expected device 'cpu' or 'cuda', got 'CUDA'"),
    (lambda: top_operations(3), TypeError,
     "expected step to be a function of no arguments, got int: e.g. lambda: model(tokens, lengths)"),
    (lambda: top_operations(nn.Linear(2, 1)), TypeError,
     "expected step to be a function of no arguments, got Linear: e.g. lambda: model(tokens, lengths)"),
    (lambda: top_operations(lambda: None, n=0), ValueError, "expected n to be at least 1, got 0"),
    (lambda: top_operations(lambda: None, n="2"), TypeError, "expected n to be an int, got str: '2'"),
]


@pytest.mark.parametrize("call, kind, text", MESSAGES, ids=range(len(MESSAGES)))
def test_messages_whole(call, kind, text):
    assert message(kind, call) == text


# --- lengths, data and labels ----------------------------------------------------------------------

def test_lengths_are_the_documented_log_normal_of_the_generators_draws():
    """round(174 * exp(0.75 z)) clipped to [10, 2500], z the generator's float64 standard normals: the
    same seed gives the same lengths as the book's runs, whatever the global RNG."""
    torch.manual_seed(123)
    lengths = imdb_like_lengths(20_000, torch.Generator().manual_seed(0))
    z = torch.randn(20_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = (174.0 * torch.exp(0.75 * z)).clamp(10, 2500)
    assert lengths.dtype == torch.int64
    assert (lengths - expected).abs().max() <= 0.5 + 1e-3  # rounding, and log(174) taken in float32
    # about 1 draw in 5000 falls outside [10, 2500] on each side, so both clips are exercised here
    assert int(lengths.min()) == 10 and int(lengths.max()) == 2500


def test_zero_lengths_is_an_empty_tensor():
    lengths = imdb_like_lengths(0, torch.Generator())
    assert lengths.shape == (0,) and lengths.dtype == torch.int64


def test_synthetic_data_depends_on_its_seed_only():
    torch.manual_seed(1)
    data, labels = synthetic_data(6)
    torch.manual_seed(2)
    again, labels_again = synthetic_data(6, seed=0)  # 0 is the default seed
    assert [d.tolist() for d in data] == [d.tolist() for d in again]
    assert torch.equal(labels, labels_again)
    other, _ = synthetic_data(6, seed=1)
    assert [d.tolist() for d in data] != [d.tolist() for d in other]


def test_token_ids_skip_padding_and_unknown_and_labels_are_zero_or_one():
    """Ids 0 (padding) and 1 (unknown) are reserved; with ~90,000 tokens each of the 9,998 other ids is
    expected about 9 times, so both ends of [2, VOCAB) occur."""
    data, labels = synthetic_data(400, seed=3)
    tokens = torch.cat(data)
    assert int(tokens.min()) == 2 and int(tokens.max()) == VOCAB - 1
    assert labels.dtype == torch.float32 and set(labels.tolist()) == {0.0, 1.0}


def test_the_smallest_data_one_sequence_of_one_token():
    data, labels = synthetic_data(1, max_len=1)
    assert len(data) == 1 and data[0].shape == (1,) and labels.shape == (1,)
    many, _ = synthetic_data(20, max_len=1)
    assert {len(d) for d in many} == {1}


# --- batches ---------------------------------------------------------------------------------------

def test_fixed_batches_are_a_seeded_permutation_cut_in_order():
    """"fixed" = randperm(n) of a generator seeded with ``seed`` (default 0), cut into batch_size chunks."""
    data, labels = synthetic_data(10, max_len=9)
    torch.manual_seed(7)  # the global RNG plays no part
    batches = make_batches(data, labels, "fixed", batch_size=4, max_len=9)
    order = torch.randperm(10, generator=torch.Generator().manual_seed(0)).tolist()
    expected = [order[0:4], order[4:8], order[8:10]]
    assert len(batches) == 3
    for batch, indices in zip(batches, expected, strict=True):
        assert batch.tokens.shape == (len(indices), 9)
        assert batch.lengths.tolist() == [len(data[i]) for i in indices]
        assert [row[:n].tolist() for row, n in zip(batch.tokens, batch.lengths, strict=True)] == [
            data[i].tolist() for i in indices]
        assert torch.equal(batch.labels, labels[indices])


def test_bucketed_batches_are_the_samplers_first_epoch_with_the_seed():
    data, labels = synthetic_data(30, max_len=9)
    for seed in (0, 3):
        expected = BucketBatchSampler([len(d) for d in data], 4, seed=seed).batches(0)
        batches = make_batches(data, labels, "bucketed", batch_size=4, max_len=9, seed=seed)
        assert [b.lengths.tolist() for b in batches] == [[len(data[i]) for i in ix] for ix in expected]
        assert [b.labels.tolist() for b in batches] == [labels[ix].tolist() for ix in expected]
    assert expected != BucketBatchSampler([len(d) for d in data], 4, seed=3).batches(1)  # epochs differ


def test_the_smallest_batches_and_max_len():
    data, labels = [torch.tensor([4]), torch.tensor([5])], torch.tensor([1.0, 0.0])
    batches = make_batches(data, labels, "fixed", batch_size=1, max_len=1)
    assert [b.tokens.tolist() for b in batches] in ([[[4]], [[5]]], [[[5]], [[4]]])
    assert len(make_batches(data, labels, "bucketed", batch_size=1)) == 2


# --- the model -------------------------------------------------------------------------------------

def test_classifier_has_the_sizes_no_dropout_and_the_same_start():
    model = classifier(ODD, "packed")
    assert model.config == ClassifierConfig(vocab_size=VOCAB, embed_dim=3, hidden_size=5, num_layers=1,
                                            dropout=0.0, strategy="packed")
    seeded, padded = classifier(ODD, "exact", seed=0), classifier(ODD, "padded")  # 0 is the default seed
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), seeded.state_dict().values(),
                                                  strict=True))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), padded.state_dict().values(),
                                                  strict=True))
    other = classifier(ODD, "packed", seed=1)
    assert not torch.equal(model.embedding.weight, other.embedding.weight)


# --- timing ----------------------------------------------------------------------------------------

def test_an_epoch_on_cuda_waits_for_the_gpu_before_and_after_the_clock(monkeypatch):
    """The clock starts after the queued GPU work is done and stops after the epoch's; no GPU needed:
    with no batches only the synchronisations and the clock run."""
    events = []
    clock = iter([10.0, 12.5])
    cuda = torch.device("cuda")
    with monkeypatch.context() as patch:
        patch.setattr(torch.cuda, "synchronize", lambda device=None: events.append(("sync", device)))
        patch.setattr(time, "perf_counter", lambda: events.append("clock") or next(clock))
        seconds = batching_speed._epoch_seconds(nn.Linear(1, 1), [], None, cuda)
    assert seconds == 2.5
    assert events == [("sync", cuda), "clock", ("sync", cuda), "clock"]


class Moving:
    """A batch tensor that records the devices it is moved to."""

    def __init__(self, tensor):
        self.tensor, self.moved_to = tensor, []

    def to(self, device):
        self.moved_to.append(device)
        return self.tensor


class Probe(nn.Module):
    """Records the lengths it is given; one logit per row from the token ids' sum."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)
        self.lengths = []

    def forward(self, tokens, lengths):
        self.lengths.append(lengths)
        return self.linear(tokens.float().sum(1, keepdim=True)).squeeze(1)


def test_an_epoch_moves_tokens_and_labels_to_the_device_and_leaves_the_lengths():
    """On a GPU the batch must follow the model; the lengths stay where they are (packing wants them on
    the CPU)."""
    model, lengths = Probe(), torch.tensor([3, 2])
    tokens, labels = Moving(torch.ones(2, 3, dtype=torch.long)), Moving(torch.tensor([1.0, 0.0]))
    cpu = torch.device("cpu")
    seconds = batching_speed._epoch_seconds(model, [Batch(tokens, lengths, labels)] * 2,
                                            torch.optim.SGD(model.parameters(), lr=0.1), cpu)
    assert tokens.moved_to == [cpu, cpu] and labels.moved_to == [cpu, cpu]
    assert model.lengths == [lengths, lengths] and all(seen is lengths for seen in model.lengths)
    assert 0 < seconds < 60


def test_timings_name_their_cell_count_the_slots_and_default_to_three_epochs(one_thread):
    batches = tiny_batches("fixed")  # 12 sequences: 3 batches of 4 rows padded to max_len 9
    start = time.perf_counter()
    (timing,) = time_strategies(batches, TINY, ["packed"])
    wall = time.perf_counter() - start
    assert (timing.batching, timing.strategy, timing.model, timing.batches) == ("", "packed", "tiny", 3)
    assert timing.token_slots == 3 * 4 * 9
    assert timing.real_tokens == sum(int(b.lengths.sum()) for b in batches)
    assert len(timing.epoch_seconds) == 3
    assert all(0 < s < wall for s in timing.epoch_seconds)


def test_one_epoch_is_enough_and_the_batching_is_recorded(one_thread):
    timings = time_strategies(tiny_batches(), TINY, ["exact", "padded"], epochs=1, batching="bucketed")
    assert [(t.batching, t.strategy, len(t.epoch_seconds)) for t in timings] == [
        ("bucketed", "exact", 1), ("bucketed", "padded", 1)]


def test_each_model_is_moved_to_the_device_and_trained_with_adam_at_1e_3(monkeypatch, one_thread):
    moved, optimizers = [], []
    real_classifier, real_epoch = batching_speed.classifier, batching_speed._epoch_seconds

    def spying_classifier(size, strategy, **kwargs):
        model = real_classifier(size, strategy, **kwargs)
        real_to = model.to
        model.to = lambda *args, **kw: moved.append(args) or real_to(*args, **kw)
        return model

    def recording_epoch(model, batches, optimizer, device):
        optimizers.append((type(optimizer), optimizer.param_groups[0]["lr"]))
        return real_epoch(model, batches, optimizer, device)

    monkeypatch.setattr(batching_speed, "classifier", spying_classifier)
    monkeypatch.setattr(batching_speed, "_epoch_seconds", recording_epoch)
    time_strategies(tiny_batches(), TINY, ["exact", "packed"], epochs=1, device="cpu")
    assert moved == [(torch.device("cpu"),)] * 2
    assert optimizers == [(torch.optim.Adam, 1e-3)] * 4  # two warm-ups, two timed epochs


def test_cuda_is_an_accepted_device(monkeypatch):
    """'cuda' passes the device check: the run goes on to build the models (stopped there, no GPU needed)."""

    class Built(Exception):
        pass

    def stop(*args, **kwargs):
        raise Built

    monkeypatch.setattr(batching_speed, "classifier", stop)
    with pytest.raises(Built):
        time_strategies(tiny_batches(), TINY, ["exact"], device="cuda")


# --- profiling -------------------------------------------------------------------------------------

class FakeProfile:
    """Stands in for torch.profiler.profile: known own CPU times, in microseconds as the profiler gives."""

    made: list = []
    TIMES = {"a": 500_000, "b": 1_500_000, "c": 1_000_000, "d": 0, "e": 0, "f": 0, "g": 0}  # 3.0 s in all

    def __init__(self, activities=None):
        FakeProfile.made.append(activities)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def key_averages(self):
        return [SimpleNamespace(key=k, count=i + 1, self_cpu_time_total=t) for i, (k, t) in enumerate(self.TIMES.items())]


def test_top_operations_converts_sorts_shares_and_keeps_five_by_default(monkeypatch):
    monkeypatch.setattr(FakeProfile, "made", [])
    monkeypatch.setattr(torch.profiler, "profile", FakeProfile)
    calls = []
    seconds, ops = top_operations(lambda: calls.append(1))
    assert calls == [1, 1]  # a warm-up call, then the profiled one
    assert FakeProfile.made == [[torch.profiler.ProfilerActivity.CPU]]  # the CPU only: no CUDA tracer
    assert seconds == 3.0  # 3,000,000 microseconds
    assert len(ops) == 5
    assert [tuple(op) for op in ops[:3]] == [("b", 2, 0.5), ("c", 3, 1 / 3), ("a", 1, 1 / 6)]
    _, (top,) = top_operations(lambda: None, n=1)
    assert tuple(top) == ("b", 2, 0.5)
