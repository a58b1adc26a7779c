"""utils/checkpoint.py's exact errors and warning, the digest's format, and where a save writes its
temporary file (found by mutation testing, benchmarks/results/mutation-*.txt)."""

from __future__ import annotations

import os
import warnings

import pytest
import torch
from conftest import UNDER_MUTMUT, error_message

from utils import checkpoint
from utils.checkpoint import CheckpointError, content_digest, load_checkpoint, save_checkpoint
from utils.models import ClassifierConfig, LSTMClassifier
from utils.text import Vocab

CONFIG = ClassifierConfig(vocab_size=4, embed_dim=2, hidden_size=2, num_layers=1, bidirectional=False, dropout=0.0)
TOKENS = ["<pad>", "<unk>", "café", "good"]


def fixed_model() -> LSTMClassifier:
    """Weights that depend on nothing random: arange values, scaled per parameter."""
    model = LSTMClassifier(CONFIG)
    with torch.no_grad():
        for i, (_, parameter) in enumerate(sorted(model.named_parameters())):
            parameter.copy_(torch.arange(parameter.numel(), dtype=torch.float32).reshape(parameter.shape) / (10 + i))
    return model


def test_the_digest_format_is_stable():
    # A checkpoint saved by one edition must verify in the next: the digest of a fixed model,
    # vocabulary and configuration may not change (names, dtypes, shapes, bytes, then sorted JSON
    # of the vocabulary and configuration with non-ASCII text as it is).
    digest = content_digest(fixed_model().state_dict(), TOKENS, CONFIG.as_dict())
    assert digest == "97a132b39d13f8313bc749c2f3c32852dfc71ff8e198d7cd360bfb9bd72728ed"


def test_the_digest_ignores_the_order_of_the_configuration_s_keys():
    state = fixed_model().state_dict()
    reordered = dict(reversed(list(CONFIG.as_dict().items())))
    assert content_digest(state, TOKENS, reordered) == content_digest(state, TOKENS, CONFIG.as_dict())


def test_the_digest_sees_a_change_of_dtype_alone():
    state = fixed_model().state_dict()
    as_int = dict(state, **{"output.bias": state["output.bias"].view(torch.int32)})  # same bytes
    assert content_digest(as_int, TOKENS, CONFIG.as_dict()) != content_digest(state, TOKENS, CONFIG.as_dict())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (([], TOKENS, {}), "content_digest needs (model.state_dict(), list(vocab.itos), model.config.as_dict()), "
                           "got list, list, dict"),
        (({}, tuple(TOKENS), {}), "content_digest needs (model.state_dict(), list(vocab.itos), "
                                  "model.config.as_dict()), got dict, tuple, dict"),
        (({}, TOKENS, None), "content_digest needs (model.state_dict(), list(vocab.itos), "
                             "model.config.as_dict()), got dict, list, NoneType"),
        (({"w": [1.0]}, TOKENS, {}), "state_dict['w'] is a list, not a tensor"),
        (({"w": torch.zeros(1, device="meta")}, TOKENS, {}),
         "the model's w is on the 'meta' device, which holds shapes but no values: create it on 'cpu' or "
         "'cuda' (or load the real weights) first"),
        (({}, TOKENS, {"a": {1, 2}}), "the vocabulary and configuration must be plain JSON values (str, "
                                      "numbers): Object of type set is not JSON serializable"),
    ],
)
def test_digest_errors(args, expected):
    assert error_message(lambda: content_digest(*args)) == expected


def test_save_errors(tmp_path):
    assert error_message(lambda: save_checkpoint(tmp_path / "m.pt", fixed_model(), TOKENS)) == (
        "expected save_checkpoint(path, model: LSTMClassifier, vocab: Vocab), got model=LSTMClassifier, vocab=list")
    small = Vocab(TOKENS[:3])
    assert error_message(lambda: save_checkpoint(tmp_path / "m.pt", fixed_model(), small)) == (
        "the vocabulary has 3 tokens but the model was built for 4: save the vocabulary the model was trained "
        "with")


def test_the_temporary_file_is_a_hidden_sibling_of_the_checkpoint(tmp_path, monkeypatch):
    seen = []
    real_save = torch.save

    def save(payload, file):
        seen.extend(name for name in os.listdir(tmp_path) if name != "keep")
        real_save(payload, file)

    monkeypatch.setattr(checkpoint.torch, "save", save)
    (tmp_path / "keep").write_text("")
    save_checkpoint(tmp_path / "m.pt", fixed_model(), Vocab(TOKENS))
    [temporary] = seen  # in the same folder, so os.replace is one rename on one file system
    assert temporary.startswith(".m.pt.") and temporary.endswith(".tmp")


def test_load_errors(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, fixed_model(), Vocab(TOKENS))
    assert error_message(lambda: load_checkpoint(path, vocab=TOKENS)) == (
        "expected vocab to be a Vocab or None, got list: use Vocab(...)")
    assert error_message(lambda: load_checkpoint(path, config={})) == (
        "expected config to be a ClassifierConfig or None, got dict: pass ClassifierConfig(**settings)")
    other = Vocab(["<pad>", "<unk>", "cafe", "good", "bad"])
    assert error_message(lambda: load_checkpoint(path, vocab=other)) == (
        f"{path} was trained with a different vocabulary (4 tokens, yours has 5; the first difference is at id "
        "2): use the vocabulary saved in the checkpoint (load without vocab=) or retrain")
    assert error_message(lambda: load_checkpoint(path, vocab=Vocab(TOKENS[:3]))) == (
        f"{path} was trained with a different vocabulary (4 tokens, yours has 3; the first difference is at id "
        "3): use the vocabulary saved in the checkpoint (load without vocab=) or retrain")


def _rewrite(path, **changes):
    saved = torch.load(path, weights_only=True)
    saved.update(changes)
    saved["digest"] = content_digest(saved["state_dict"], saved["vocab"], saved["config"]) if isinstance(
        saved["config"], dict) else "x"
    torch.save(saved, path)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"format": 99}, "has checkpoint format 99; this code reads format 1: use the version of the course "
                         "code that saved it"),
        ({"config": [1]}, "holds no configuration dictionary; save it again with save_checkpoint"),
        ({"config": {**CONFIG.as_dict(), "extra": 1}}, "has configuration fields ['extra'] that ClassifierConfig "
                                                        "does not know: it was saved by another version of the "
                                                        "course code; retrain and save again"),
        ({"config": {**CONFIG.as_dict(), "hidden_size": 0}}, "holds a configuration that is refused (expected "
                                                              "hidden_size to be a positive int, got 0); retrain"),
        ({"vocab": ["<pad>", "<unk>", "a", "a"]}, "holds a damaged vocabulary (a Vocab's tokens must be unique); "
                                                  "save it again"),
    ],
)
def test_refused_contents_are_named(tmp_path, changes, expected):
    path = tmp_path / "m.pt"
    save_checkpoint(path, fixed_model(), Vocab(TOKENS))
    if changes.get("format") == 99:
        saved = torch.load(path, weights_only=True)
        saved["format"] = 99
        torch.save(saved, path)
    elif "config" in changes and not isinstance(changes["config"], dict):
        saved = torch.load(path, weights_only=True)
        saved["config"] = changes["config"]
        saved.pop("digest")
        torch.save(saved, path)
    else:
        _rewrite(path, **changes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert error_message(lambda: load_checkpoint(path), CheckpointError) == f"{path} {expected}"


def test_a_checkpoint_without_a_digest_warns_at_the_caller(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, fixed_model(), Vocab(TOKENS))
    saved = torch.load(path, weights_only=True)
    saved.pop("digest")
    torch.save(saved, path)
    with pytest.warns(UserWarning) as caught:
        load_checkpoint(path)
    [warning] = caught
    assert warning.filename == __file__ or UNDER_MUTMUT
    assert str(warning.message) == (
        f"{path} has no content digest (it was saved before digests existed), so damage to it cannot be "
        "detected: load it once and save it again with save_checkpoint to add one")


def test_a_damaged_checkpoint_is_named(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, fixed_model(), Vocab(TOKENS))
    saved = torch.load(path, weights_only=True)
    saved["state_dict"]["output.bias"] += 1
    torch.save(saved, path)
    assert error_message(lambda: load_checkpoint(path), CheckpointError) == (
        f"{path} is damaged: its content does not match the digest stored when it was saved (a disk or copy "
        "error, or an edit); save it again from the trained model, or re-train")
    path.write_bytes(b"not a checkpoint")
    assert error_message(lambda: load_checkpoint(path), CheckpointError) == (
        f"{path} cannot be read as a checkpoint (UnpicklingError): the file is truncated, corrupt or not "
        "written by save_checkpoint; save or download it again")


def test_another_configuration_is_named_with_the_file(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, fixed_model(), Vocab(TOKENS))
    bigger = ClassifierConfig(**{**CONFIG.as_dict(), "hidden_size": 3})
    assert error_message(lambda: load_checkpoint(path, config=bigger), CheckpointError) == (
        f"{path} was trained with another configuration (yours, saved): {{'hidden_size': (3, 2)}}")
