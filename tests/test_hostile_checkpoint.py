"""Damaged checkpoints: every single-bit flip that changes the weights, vocabulary or
configuration is refused by the content digest; the rest load unchanged."""

import random
import warnings

import pytest
import torch

from utils.checkpoint import (
    CHECKPOINT_FORMAT,
    CheckpointError,
    content_digest,
    load_checkpoint,
    save_checkpoint,
)
from utils.models import ClassifierConfig, LSTMClassifier
from utils.text import Vocab

FLIPS = 200


def small_model() -> tuple[LSTMClassifier, Vocab]:
    torch.manual_seed(0)
    vocab = Vocab.build([["great", "fun", "awful", "boring", "film"]])
    config = ClassifierConfig(vocab_size=len(vocab), embed_dim=4, hidden_size=3, num_layers=1, dropout=0.0)
    return LSTMClassifier(config), vocab


def same_content(loaded, model, vocab) -> bool:
    a, b = loaded.model.state_dict(), model.state_dict()
    same_weights = a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]) for k in a
    )
    return same_weights and loaded.vocab == vocab and loaded.model.config == model.config


def test_every_bit_flip_is_refused_or_changes_nothing(tmp_path):
    model, vocab = small_model()
    good = tmp_path / "good.pt"
    save_checkpoint(good, model, vocab)
    data = good.read_bytes()
    rng = random.Random(29)
    refused = unchanged = 0
    for n in range(FLIPS):
        position = rng.randrange(len(data) * 8)
        damaged = bytearray(data)
        damaged[position // 8] ^= 1 << (position % 8)
        path = tmp_path / f"flip{n}.pt"
        path.write_bytes(bytes(damaged))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a flip in the key "digest" reads as a file without one
                loaded = load_checkpoint(path)
        except CheckpointError as error:
            assert str(path) in str(error)
            refused += 1
        else:
            assert same_content(loaded, model, vocab), f"bit {position} changed the content and loaded"
            unchanged += 1
    assert refused + unchanged == FLIPS and refused > 0


def test_a_changed_weight_is_refused_with_the_path_and_the_fix(tmp_path):
    model, vocab = small_model()
    state = model.state_dict()
    state["output.bias"] = state["output.bias"] + 1e-7
    digest = content_digest(model.state_dict(), vocab.itos, model.config.as_dict())
    payload = {"format": CHECKPOINT_FORMAT, "state_dict": state, "vocab": vocab.itos,
               "config": model.config.as_dict(), "digest": digest}
    torch.save(payload, tmp_path / "edited.pt")
    with pytest.raises(CheckpointError, match="edited.pt is damaged.*save it again.*re-train"):
        load_checkpoint(tmp_path / "edited.pt")


@pytest.mark.parametrize("field", ["vocab", "config"])
def test_a_changed_vocab_or_config_is_refused(tmp_path, field):
    model, vocab = small_model()
    content = {"state_dict": model.state_dict(), "vocab": vocab.itos, "config": model.config.as_dict()}
    digest = content_digest(**content)
    changed = {"vocab": [*vocab.itos[:2], *reversed(vocab.itos[2:])],
               "config": {**content["config"], "strategy": "padded"}}[field]
    torch.save({"format": CHECKPOINT_FORMAT, **content, field: changed, "digest": digest}, tmp_path / "c.pt")
    with pytest.raises(CheckpointError, match="is damaged"):
        load_checkpoint(tmp_path / "c.pt")


def test_a_file_without_a_digest_loads_with_a_warning(tmp_path):
    model, vocab = small_model()
    torch.save({"format": CHECKPOINT_FORMAT, "state_dict": model.state_dict(), "vocab": vocab.itos,
                "config": model.config.as_dict()}, tmp_path / "old.pt")
    with pytest.warns(UserWarning, match="no content digest.*save it again"):
        loaded = load_checkpoint(tmp_path / "old.pt")
    assert same_content(loaded, model, vocab)


def test_load_refuses_a_list_where_a_vocab_belongs(tmp_path):
    model, vocab = small_model()
    save_checkpoint(tmp_path / "m.pt", model, vocab)
    with pytest.raises(TypeError, match="Vocab"):
        load_checkpoint(tmp_path / "m.pt", vocab=vocab.itos)
    with pytest.raises(TypeError, match="ClassifierConfig"):
        load_checkpoint(tmp_path / "m.pt", config=model.config.as_dict())
