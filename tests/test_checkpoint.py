"""Checkpoints: round trip, atomic saves, weights_only loading and clear errors for bad files."""

import os
import pickle
import warnings
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from utils.checkpoint import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    LoadedCheckpoint,
    load_checkpoint,
    save_checkpoint,
)
from utils.models import ClassifierConfig, LSTMClassifier
from utils.text import Vocab

WORDS = ["great", "fun", "awful", "boring", "film"]


def small(seed=0, words=WORDS, **config):
    torch.manual_seed(seed)
    vocab = Vocab.build([words])
    settings_ = {"embed_dim": 4, "hidden_size": 3, "num_layers": 1, "dropout": 0.0, **config}
    return LSTMClassifier(ClassifierConfig(vocab_size=len(vocab), **settings_)), vocab


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)


def test_round_trip_gives_the_same_model_vocab_and_outputs(tmp_path):
    model, vocab = small(num_layers=2, bidirectional=True)
    save_checkpoint(tmp_path / "model.pt", model, vocab)
    loaded = load_checkpoint(tmp_path / "model.pt", vocab=vocab, config=model.config)
    assert isinstance(loaded, LoadedCheckpoint)
    restored, restored_vocab = loaded
    assert restored_vocab == vocab and restored.config == model.config
    assert_same_weights(restored.state_dict(), model.state_dict())
    tokens, lengths = torch.tensor([[2, 3, 4], [5, 6, 0]]), torch.tensor([3, 2])
    torch.testing.assert_close(restored.eval()(tokens, lengths), model.eval()(tokens, lengths))
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temporary file left


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(st.text(min_size=1, max_size=6).filter(lambda w: w not in ("<pad>", "<unk>")),
                   min_size=0, max_size=12, unique=True),
    embed_dim=st.integers(1, 5),
    hidden_size=st.integers(1, 4),
    num_layers=st.integers(1, 2),
    bidirectional=st.booleans(),
    dropout=st.sampled_from([0.0, 0.25]),
    seed=st.integers(0, 10),
)
def test_round_trip_property(tmp_path, words, embed_dim, hidden_size, num_layers, bidirectional, dropout, seed):
    model, vocab = small(seed, words, embed_dim=embed_dim, hidden_size=hidden_size, num_layers=num_layers,
                         bidirectional=bidirectional, dropout=dropout)
    save_checkpoint(tmp_path / "c.pt", model, vocab)
    save_checkpoint(tmp_path / "c.pt", model, vocab)  # overwriting works
    restored, restored_vocab = load_checkpoint(tmp_path / "c.pt", vocab=vocab, config=model.config)
    assert restored_vocab.itos == vocab.itos and restored.config == model.config
    assert_same_weights(restored.state_dict(), model.state_dict())


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    model, vocab = small()
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, vocab)
    good = path.read_bytes()
    real_save = torch.save

    def save_half_then_fail(obj, file, *args, **kwargs):
        real_save(obj, file, *args, **kwargs)
        file.seek(len(good) // 2)
        file.truncate()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", save_half_then_fail)
    other, _ = small(seed=1)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, other, vocab)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
    monkeypatch.setattr(torch, "save", real_save)
    assert_same_weights(load_checkpoint(path).model.state_dict(), model.state_dict())


def test_an_interrupted_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    model, vocab = small()

    def interrupted(obj, file, *args, **kwargs):
        file.write(b"PK\x03\x04 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "new.pt", model, vocab)
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_swapped_or_mismatched_arguments(tmp_path):
    model, vocab = small()
    with pytest.raises(TypeError, match="model: LSTMClassifier, vocab: Vocab"):
        save_checkpoint(tmp_path / "m.pt", vocab, model)
    with pytest.raises(TypeError, match="got model=LSTMClassifier, vocab=list"):
        save_checkpoint(tmp_path / "m.pt", model, vocab.itos)
    with pytest.raises(ValueError, match="vocabulary has 3 tokens but the model was built for 7"):
        save_checkpoint(tmp_path / "m.pt", model, Vocab.build([["one"]]))
    assert list(tmp_path.iterdir()) == []


def bad_file_message(path):
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    message = str(error.value)
    assert "weights_only=False" not in message and str(path) in message
    return message


def test_empty_truncated_and_foreign_files_get_a_clear_error(tmp_path):
    model, vocab = small()
    good = tmp_path / "good.pt"
    save_checkpoint(good, model, vocab)
    (tmp_path / "empty.pt").write_bytes(b"")
    assert "is empty" in bad_file_message(tmp_path / "empty.pt")
    (tmp_path / "half.pt").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "truncated" in bad_file_message(tmp_path / "half.pt")
    (tmp_path / "text.pt").write_text("not a checkpoint at all")
    assert "truncated, corrupt or not written by save_checkpoint" in bad_file_message(tmp_path / "text.pt")
    (tmp_path / "code.pt").write_bytes(pickle.dumps(Vocab(["<pad>", "<unk>"])))  # runs code if unpickled
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no confusing warning either
        assert "cannot be read as a checkpoint" in bad_file_message(tmp_path / "code.pt")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    assert "not a checkpoint written by save_checkpoint" in bad_file_message(tmp_path / "other.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    assert "not a checkpoint" in bad_file_message(tmp_path / "list.pt")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt")


def edited_checkpoint(tmp_path, **changes):
    model, vocab = small()
    saved = {"format": CHECKPOINT_FORMAT, "state_dict": model.state_dict(), "vocab": vocab.itos,
             "config": model.config.as_dict(), **changes}
    torch.save(saved, tmp_path / "edited.pt")
    return tmp_path / "edited.pt", model


def test_edited_checkpoints_are_refused_with_the_reason(tmp_path):
    path, model = edited_checkpoint(tmp_path, format=CHECKPOINT_FORMAT + 1)
    assert f"format {CHECKPOINT_FORMAT + 1}" in bad_file_message(path)
    path, model = edited_checkpoint(tmp_path, config={**model.config.as_dict(), "colour": "red"})
    assert "['colour']" in bad_file_message(path)
    path, model = edited_checkpoint(tmp_path, config={**model.config.as_dict(), "packed": True})
    assert "['packed']" in bad_file_message(path)  # old and new spelling at once: edited by hand
    path, model = edited_checkpoint(tmp_path, config={**model.config.as_dict(), "hidden_size": 5})
    assert "do not fit the saved configuration" in bad_file_message(path)


def test_checkpoint_with_another_vocab_or_config_is_refused(tmp_path):
    model, vocab = small()
    save_checkpoint(tmp_path / "model.pt", model, vocab)
    with pytest.raises(CheckpointError, match=r"different vocabulary \(7 tokens, yours has 4; the first difference is at id 2\)"):
        load_checkpoint(tmp_path / "model.pt", vocab=Vocab.build([["something", "else"]]))
    with pytest.raises(CheckpointError, match=r"yours has 8; the first difference is at id 7"):
        load_checkpoint(tmp_path / "model.pt", vocab=Vocab([*vocab.itos, "extra"]))
    other_config = ClassifierConfig(**{**model.config.as_dict(), "hidden_size": 16})
    with pytest.raises(ValueError, match=r"another configuration \(yours, saved\): \{'hidden_size': \(16, 3\)\}"):
        load_checkpoint(tmp_path / "model.pt", config=other_config)
    assert load_checkpoint(tmp_path / "model.pt", vocab=Vocab(list(vocab.itos))).vocab == vocab


@pytest.mark.parametrize(("packed", "strategy"), [(True, "packed"), (False, "padded")])
def test_a_checkpoint_from_before_strategies_loads(tmp_path, packed, strategy):
    model, vocab = small()
    old_config = {k: v for k, v in model.config.as_dict().items() if k != "strategy"} | {"packed": packed}
    path, _ = edited_checkpoint(tmp_path, config=old_config)
    restored = load_checkpoint(path).model
    assert restored.config.strategy == strategy
    assert_same_weights(restored.state_dict(), model.state_dict())


class Payload:
    """Unpickling this creates a file: code from the checkpoint would run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_loading_runs_no_code_from_the_file(tmp_path):
    model, vocab = small()
    marker = tmp_path / "code-ran"
    torch.save({"format": CHECKPOINT_FORMAT, "state_dict": model.state_dict(), "vocab": vocab.itos,
                "config": model.config.as_dict(), "extra": Payload(marker)}, tmp_path / "evil.pt")
    assert "cannot be read as a checkpoint" in bad_file_message(tmp_path / "evil.pt")
    assert not marker.exists()


def test_the_file_is_on_disk_before_it_replaces_the_old_one(tmp_path, monkeypatch):
    model, vocab = small()
    real_fsync, synced = os.fsync, []

    def spy(fd):
        synced.append(os.fstat(fd).st_size)  # what the disk will hold after a power cut
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    save_checkpoint(tmp_path / "model.pt", model, vocab)
    assert synced == [(tmp_path / "model.pt").stat().st_size]


def test_files_in_format_1_load(tmp_path):
    # the layout every checkpoint saved so far has: a change of format must keep reading them
    path, model = edited_checkpoint(tmp_path, format=1)
    assert_same_weights(load_checkpoint(path).model.state_dict(), model.state_dict())
    assert torch.load(path, weights_only=True)["format"] == CHECKPOINT_FORMAT == 1
