"""The packing-speed experiment (utils.batching_speed), at a size that runs in seconds."""

from __future__ import annotations

import pytest
import torch

from utils import batching_speed
from utils.batching_speed import (
    MAX_LEN,
    ModelSize,
    imdb_like_lengths,
    make_batches,
    synthetic_data,
    time_strategies,
)

TINY = ModelSize("tiny", embed_dim=4, hidden_size=4, num_layers=2)


def test_lengths_are_imdb_like():
    lengths = imdb_like_lengths(20_000, torch.Generator().manual_seed(0))
    assert 165 <= lengths.float().median() <= 185  # median 174
    assert 215 <= lengths.float().mean() <= 245  # about 230
    assert lengths.min() >= 10 and lengths.max() <= 2500


@pytest.mark.parametrize("batching", ["fixed", "bucketed"])
def test_every_batching_holds_the_same_truncated_tokens(batching):
    data, labels = synthetic_data(70, seed=1)
    assert max(len(d) for d in data) == MAX_LEN  # the long tail is truncated, for every scheme alike
    batches = make_batches(data, labels, batching, batch_size=16)
    rows = [tuple(t[:n].tolist()) for b in batches for t, n in zip(b.tokens, b.lengths, strict=True)]
    assert sorted(rows) == sorted(tuple(d.tolist()) for d in data)
    assert sum(len(b.labels) for b in batches) == 70
    widths = {b.tokens.shape[1] for b in batches}
    if batching == "fixed":
        assert widths == {MAX_LEN}
    else:
        assert all(b.tokens.shape[1] == b.lengths.max() for b in batches)
    with pytest.raises(ValueError, match="batching"):
        make_batches(data, labels, "sorted", batch_size=16)


def test_strategies_take_turns_on_the_same_batches(monkeypatch, one_thread):
    data, labels = synthetic_data(12, max_len=9)
    batches = make_batches(data, labels, "bucketed", batch_size=4, max_len=9)
    calls = []
    real_epoch = batching_speed._epoch_seconds

    def recording(model, batches_, optimizer, device):
        calls.append((model.config.strategy, len(batches_)))
        return real_epoch(model, batches_, optimizer, device)

    monkeypatch.setattr(batching_speed, "_epoch_seconds", recording)
    timings = time_strategies(batches, TINY, ["exact", "packed", "padded"], epochs=3, batching="bucketed")
    warmups, timed = calls[:3], [strategy for strategy, n in calls[3:]]
    assert warmups == [("exact", 1), ("packed", 1), ("padded", 1)]
    assert timed == ["exact", "packed", "padded", "packed", "padded", "exact", "padded", "exact", "packed"]
    assert [t.strategy for t in timings] == ["exact", "packed", "padded"]
    for t in timings:
        assert len(t.epoch_seconds) == 3 and t.seconds == sorted(t.epoch_seconds)[1]
        assert t.real_tokens == sum(len(d) for d in data) and t.batches == len(batches)
        assert t.tokens_per_second == pytest.approx(t.real_tokens / t.seconds)


def test_top_operations_finds_the_dominant_operator(capfd):
    a = torch.randn(300, 300)
    seconds, ops = batching_speed.top_operations(lambda: [a @ a for _ in range(4)] and torch.zeros(1).add_(1), n=2)
    assert seconds > 0 and len(ops) == 2
    assert ops[0].name == "aten::mm" and ops[0].calls == 4 and 0.5 < ops[0].share <= 1.0
    assert ops[0].share >= ops[1].share
    assert "profiler" not in capfd.readouterr().err
