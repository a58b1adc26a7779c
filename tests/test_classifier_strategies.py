"""LSTMClassifier's strategies ("exact", "packed", "padded"), its final states and dropout."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.testing import assert_close

from utils.models import STRATEGIES, ClassifierConfig, LSTMClassifier

LENGTHS = torch.tensor([7, 2, 5, 1])


def classifier(strategy: str, *, num_layers: int = 2, bidirectional: bool = True, dropout: float = 0.0,
               seed: int = 0) -> LSTMClassifier:
    torch.manual_seed(seed)
    config = ClassifierConfig(vocab_size=20, embed_dim=5, hidden_size=6, num_layers=num_layers,
                              bidirectional=bidirectional, dropout=dropout, strategy=strategy)
    return LSTMClassifier(config).double()


def tokens() -> torch.Tensor:
    """(B, T) ids, 0 (the padding id) after each length."""
    ids = torch.randint(1, 20, (len(LENGTHS), int(LENGTHS.max())), generator=torch.Generator().manual_seed(1))
    return ids.masked_fill(torch.arange(ids.shape[1])[None, :] >= LENGTHS[:, None], 0)


def by_hand(model: LSTMClassifier, ids: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """The classifier computed from nn.LSTM directly (packed when lengths are given), eval mode."""
    embedded = model.embedding(ids)
    x = embedded if lengths is None else pack_padded_sequence(embedded, lengths, batch_first=True,
                                                               enforce_sorted=False)
    _, (h_n, _) = model.lstm(x)  # (layers * dirs, B, H), layer 0 first
    layers, dirs = model.config.num_layers, 2 if model.config.bidirectional else 1
    last = h_n.view(layers, dirs, len(ids), -1)[-1]  # (dirs, B, H): the top layer
    summary = torch.cat(list(last), dim=1)  # forward then backward
    return model.output(summary).squeeze(-1)


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_exact_and_packed_read_each_sequence_to_its_own_end(num_layers, bidirectional):
    ids, expected = tokens(), None
    for strategy in ("exact", "packed"):
        model = classifier(strategy, num_layers=num_layers, bidirectional=bidirectional).eval()
        logits = model(ids, LENGTHS)
        expected = by_hand(model, ids, LENGTHS)
        assert_close(logits, expected)
    padded = classifier("padded", num_layers=num_layers, bidirectional=bidirectional).eval()
    assert_close(padded(ids, LENGTHS), by_hand(padded, ids, None))  # reads the padding: lengths ignored
    assert (padded(ids, LENGTHS) - expected).abs()[LENGTHS < LENGTHS.max()].min() > 1e-6


def test_exact_and_packed_gradients_agree():
    ids, grads = tokens(), []
    for strategy in ("exact", "packed"):
        model = classifier(strategy)
        model(ids, LENGTHS).pow(2).sum().backward()
        grads.append({name: p.grad for name, p in model.named_parameters()})
    for name, grad in grads[1].items():
        assert_close(grads[0][name], grad, msg=name)


def test_one_state_dict_for_every_strategy():
    models = {strategy: classifier(strategy, seed=i) for i, strategy in enumerate(STRATEGIES)}
    keys = {strategy: list(m.state_dict()) for strategy, m in models.items()}
    assert keys["exact"] == keys["packed"] == keys["padded"]
    models["packed"].load_state_dict(models["exact"].state_dict())
    models["padded"].load_state_dict(models["packed"].state_dict())
    ids = tokens()
    assert_close(models["packed"].eval()(ids, LENGTHS), models["exact"].eval()(ids, LENGTHS))


def test_dropout_acts_on_the_summary_before_the_output_layer_in_training_only():
    model = classifier("exact", num_layers=1, dropout=0.5)  # one layer: nn.LSTM adds no dropout
    ids = tokens()
    with torch.no_grad():
        h_n = model.final_states(model.embedding(ids), LENGTHS)
        summary = torch.cat([h_n[-2], h_n[-1]], dim=1)
        torch.manual_seed(9)
        expected = model.output(nn.functional.dropout(summary, 0.5, training=True)).squeeze(-1)
        torch.manual_seed(9)
        assert_close(model.train()(ids, LENGTHS), expected)
        assert_close(model.eval()(ids, LENGTHS), model.output(summary).squeeze(-1))
        assert not torch.allclose(expected, model.output(summary).squeeze(-1))


def test_strategy_is_validated_and_lengths_are_required():
    with pytest.raises(ValueError, match="'exact', 'packed', 'padded'"):
        ClassifierConfig(vocab_size=5, strategy="pack")
    with pytest.raises(TypeError):
        ClassifierConfig(vocab_size=5, packed=True)  # type: ignore[call-arg]  # the old spelling
    for strategy in ("exact", "packed"):
        with pytest.raises(ValueError, match="needs the lengths"):
            classifier(strategy)(tokens())
    assert classifier("padded")(tokens()).shape == (len(LENGTHS),)
    assert ClassifierConfig(vocab_size=5).strategy == "exact"


def test_config_is_keyword_only_and_frozen():
    with pytest.raises(TypeError):
        ClassifierConfig(5)  # type: ignore[misc]
    config = ClassifierConfig(vocab_size=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.strategy = "packed"  # type: ignore[misc]
    assert config.as_dict()["strategy"] == "exact" and ClassifierConfig(**config.as_dict()) == config


def test_defaults_are_the_chapter_12_model():
    """Embedding 100 (GloVe 100d), 2 layers of 256 units per direction, dropout 0.5, exact."""
    expected = {"vocab_size": 5, "embed_dim": 100, "hidden_size": 256, "num_layers": 2, "bidirectional": True,
                "dropout": 0.5, "pad_id": 0, "strategy": "exact"}
    assert ClassifierConfig(vocab_size=5).as_dict() == expected
    model = LSTMClassifier(ClassifierConfig(vocab_size=5))
    assert (model.lstm.num_layers, model.lstm.hidden_size, model.lstm.bidirectional) == (2, 256, True)
    assert model.lstm.dropout == 0.5 and model.dropout.p == 0.5 and model.lstm.batch_first
    assert model.embedding.padding_idx == 0 and model.output.in_features == 512
    one_layer = LSTMClassifier(ClassifierConfig(vocab_size=5, num_layers=1, bidirectional=False))
    assert one_layer.lstm.dropout == 0.0 and one_layer.output.in_features == 256  # no dropout to apply


@pytest.mark.parametrize(
    ("settings", "valid"),
    [
        ({"vocab_size": 1}, True), ({"vocab_size": 0}, False), ({"vocab_size": True}, False),
        ({"embed_dim": 1}, True), ({"embed_dim": 0}, False), ({"hidden_size": 2.0}, False),
        ({"num_layers": 1}, True), ({"num_layers": 0}, False),
        ({"pad_id": 4}, True), ({"pad_id": 5}, False), ({"pad_id": -1}, False),
        ({"dropout": 0.0}, True), ({"dropout": 0.99}, True), ({"dropout": 1.0}, False), ({"dropout": -0.1}, False),
        ({"strategy": "padded"}, True), ({"strategy": "packed"}, True), ({"strategy": "Exact"}, False),
    ],
)
def test_config_boundaries(settings, valid):
    settings = {"vocab_size": 5, **settings}
    if settings["vocab_size"] == 1:
        settings["pad_id"] = 0
    if valid:
        assert ClassifierConfig(**settings).as_dict().items() >= settings.items()
    else:
        with pytest.raises(ValueError, match="expected"):
            ClassifierConfig(**settings)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_strategy_takes_its_own_path(strategy, monkeypatch):
    """"exact" and "packed" give the same numbers, so check which code ran: exact_lstm or pack."""
    import utils.models

    called = []
    for name in ("exact_lstm", "pack"):
        original = getattr(utils.models, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            called.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(utils.models, name, spy)
    classifier(strategy)(tokens(), LENGTHS)
    assert called == {"exact": ["exact_lstm"], "packed": ["pack"], "padded": []}[strategy]
