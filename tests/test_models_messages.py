"""utils/models.py's exact errors (found by mutation testing, benchmarks/results/mutation-*.txt)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import error_message

from utils.models import CharSeedModel, ClassifierConfig, LSTMClassifier, check_tokens

TOKENS = torch.tensor([[2, 3], [1, 0]])


@pytest.mark.parametrize(
    ("tokens", "vocab_size", "expected"),
    [
        (TOKENS[0], 5, "expected tokens of shape (batch, seq_len), got (2,)"),
        (TOKENS.tolist(), 5, "expected tokens of shape (batch, seq_len), got list"),
        (TOKENS, 0, "expected vocab_size to be at least 1, got 0"),
        (TOKENS, 2.0, "expected vocab_size to be an int, got float: 2.0; write 2"),
        (TOKENS.to("meta"), 5, "tokens is on the 'meta' device, which holds shapes but no values: create it on "
                               "'cpu' or 'cuda' (or load the real weights) first"),
        (TOKENS[:, :0], 5, "expected at least one token per sequence, got tokens of shape (2, 0): give an empty "
                           "text one <unk> token (or drop it)"),
        (TOKENS, 3, "token ids must be in [0, 3) for this model's embedding, got ids from 0 to 3: encode with "
                    "the vocabulary the model was built for"),
    ],
)
def test_check_tokens_errors(tokens, vocab_size, expected):
    assert error_message(lambda: check_tokens(tokens, vocab_size)) == expected


def test_a_vocabulary_of_one_token_is_allowed():
    check_tokens(torch.zeros(2, 3, dtype=torch.long), 1)  # only <pad>: nothing to refuse


def test_classifier_and_config_errors():
    assert error_message(lambda: LSTMClassifier({"vocab_size": 5})) == (
        "LSTMClassifier needs a ClassifierConfig, got dict: LSTMClassifier(ClassifierConfig(vocab_size=len(vocab), "
        "...))")
    assert error_message(lambda: ClassifierConfig(vocab_size=5, bidirectional="yes")) == (
        "expected bidirectional to be True or False, got 'yes'")
    assert error_message(lambda: ClassifierConfig(vocab_size=5, dropout=1.0)) == "expected dropout in [0, 1), got 1.0"
    assert error_message(lambda: ClassifierConfig(vocab_size=5, num_layers=0)) == (
        "expected num_layers to be a positive int, got 0")
    assert error_message(lambda: ClassifierConfig(vocab_size=5, hidden_size="8")) == (
        "expected hidden_size to be a positive int, got '8'")
    model = LSTMClassifier(ClassifierConfig(vocab_size=5, embed_dim=2, hidden_size=2, num_layers=1))
    assert error_message(lambda: model(TOKENS)) == (
        "strategy 'exact' needs the lengths: call model(tokens, lengths), or build the model with "
        "strategy='padded' to read the padding")


def test_numpy_sizes_are_stored_as_plain_numbers():
    config = ClassifierConfig(vocab_size=np.int64(5), hidden_size=np.int32(3), pad_id=np.int64(0),
                              dropout=np.float32(0.25))
    assert all(type(value) in (int, float, bool, str) for value in config.as_dict().values())
    assert config.as_dict()["dropout"] == 0.25


@pytest.mark.parametrize("name", ["vocab_size", "embed_dim", "hidden_size"])
@pytest.mark.parametrize("value", [0, -1, 2.0, "3", True])
def test_char_seed_model_sizes(name, value):
    kwargs = {"vocab_size": 5, name: value}
    assert error_message(lambda: CharSeedModel(**kwargs)) == f"expected {name} to be a positive int, got {value!r}"


def test_time_major_tokens_message_and_the_cases_it_leaves_alone():
    model = LSTMClassifier(ClassifierConfig(vocab_size=5, embed_dim=2, hidden_size=2, num_layers=1))
    tokens = torch.ones(3, 2, dtype=torch.long)  # (B, T) = (3, 2)
    expected = ("got tokens of shape (2, 3) and 3 lengths: the tokens look time-major (T, B); the model takes "
                "(B, T): pass tokens.T (or pad with batch_first=True)")
    assert error_message(lambda: model(tokens.T, torch.tensor([2, 2, 2]))) == expected
    assert error_message(lambda: model(tokens.T, [2, 2, 2])) == expected  # lengths as a list
    padded = LSTMClassifier(ClassifierConfig(vocab_size=5, embed_dim=2, hidden_size=2, num_layers=1,
                                             strategy="padded"))
    assert padded(torch.ones(2, 1, dtype=torch.long)).shape == (2,)  # one step, no lengths: nothing to refuse


def test_a_fractional_pad_id_is_refused():
    assert error_message(lambda: ClassifierConfig(vocab_size=5, pad_id=1.5)) == (
        "expected pad_id to be an int in [0, vocab_size), got 1.5")
