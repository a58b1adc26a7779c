"""fit / evaluate / predict / checkpoints, the seed model, and the TF-IDF baseline, on small real data."""

import pytest
import torch
from torch.utils.data import DataLoader

from utils.baseline import tfidf_baseline
from utils.data import Split
from utils.models import CharSeedModel, ClassifierConfig, LSTMClassifier
from utils.sequences import collate_padded
from utils.text import TextDataset, Vocab, word_tokenize
from utils.training import accuracy, evaluate, fit, load_checkpoint, pick_device, predict, save_checkpoint

POSITIVE = ["great fun", "loved it", "wonderful film", "great acting", "loved the cast", "wonderful and fun"]
NEGATIVE = ["awful mess", "hated it", "boring film", "awful acting", "hated the cast", "boring and awful"]
TEXTS, LABELS = POSITIVE + NEGATIVE, [1] * 6 + [0] * 6


def tiny_setup(seed=0):
    torch.manual_seed(seed)
    vocab = Vocab.build(word_tokenize(t) for t in TEXTS)
    data = TextDataset(TEXTS, LABELS, vocab, word_tokenize)
    loader = DataLoader(data, batch_size=4, shuffle=True, collate_fn=collate_padded,
                        generator=torch.Generator().manual_seed(seed))
    config = ClassifierConfig(vocab_size=len(vocab), embed_dim=8, hidden_size=8, num_layers=1, dropout=0.0)
    return vocab, loader, LSTMClassifier(config)


def test_fit_learns_a_separable_toy_task_and_keeps_the_best_epoch():
    vocab, loader, model = tiny_setup()
    history = fit(model, loader, loader, epochs=30, lr=0.02, progress=False)
    assert len(history.rows) == 30 and set(history.rows[0]) >= {"train_loss", "valid_acc", "seconds"}
    best = max(history.column("valid_acc"))
    assert best == 1.0
    assert history.rows[history.best_epoch - 1]["valid_acc"] == best
    assert evaluate(model, loader)[1] == best  # the model holds the best epoch's weights


def test_early_stopping():
    _, loader, model = tiny_setup()
    history = fit(model, loader, loader, epochs=50, lr=0.0, patience=2, progress=False)  # lr 0: no progress
    assert len(history.rows) == 3


def test_predict_handles_edge_cases_and_rejects_non_strings():
    vocab, loader, model = tiny_setup()
    fit(model, loader, loader, epochs=30, lr=0.02, progress=False)
    probs, labels = predict(model, ["wonderful fun", "awful boring", "", "   ", "qwerty zxcv"], vocab, word_tokenize)
    assert labels[:2] == [1, 0] and len(probs) == 5 and all(0 < p < 1 for p in probs)
    assert predict(model, "great", vocab, word_tokenize)[1] == [1]  # a single string works too
    long_text = "great " * 10_000
    assert predict(model, [long_text], vocab, word_tokenize, max_len=50)[1] == [1]
    with pytest.raises(TypeError, match="predict expects strings"):
        predict(model, ["fine", 3], vocab, word_tokenize)


def test_checkpoint_round_trip_uses_weights_only(tmp_path):
    vocab, loader, model = tiny_setup()
    save_checkpoint(tmp_path / "model.pt", model, vocab)
    restored, restored_vocab = load_checkpoint(tmp_path / "model.pt", vocab=vocab, config=model.config)
    assert restored_vocab == vocab
    tokens, lengths, _ = next(iter(loader))
    model.eval()
    restored.eval()
    torch.testing.assert_close(restored(tokens, lengths), model(tokens, lengths))


def test_checkpoint_with_another_vocab_or_config_is_refused(tmp_path):
    vocab, _, model = tiny_setup()
    save_checkpoint(tmp_path / "model.pt", model, vocab)
    other_vocab = Vocab.build([["something", "else"]])
    with pytest.raises(ValueError, match="different vocabulary"):
        load_checkpoint(tmp_path / "model.pt", vocab=other_vocab)
    other_config = ClassifierConfig(**{**model.config.as_dict(), "hidden_size": 16})
    with pytest.raises(ValueError, match="hidden_size"):
        load_checkpoint(tmp_path / "model.pt", config=other_config)


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_seed_model_reads_the_last_time_step_even_if_it_is_padding():
    torch.manual_seed(0)
    model = CharSeedModel(20)
    tokens = torch.tensor([[3, 4, 5, 0, 0, 0]])
    outputs, _ = model.lstm(model.embedding(tokens))
    torch.testing.assert_close(model(tokens, torch.tensor([3])), model.output(outputs[:, -1]).squeeze(-1))
    assert sum(p.numel() for p in model.lstm.parameters()) == 76  # LSTM(16, 1): 4 * (16 + 1) + 8


def test_classifier_config_and_input_checks():
    with pytest.raises(ValueError, match="vocab_size"):
        ClassifierConfig(vocab_size=0)
    with pytest.raises(ValueError, match="pad_id"):
        ClassifierConfig(vocab_size=5, pad_id=5)
    model = LSTMClassifier(ClassifierConfig(vocab_size=10, embed_dim=4, hidden_size=4, num_layers=1))
    with pytest.raises(ValueError, match="pass lengths"):
        model(torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(batch, seq_len\)"):
        model(torch.ones(3, dtype=torch.long), torch.tensor([3]))
    assert model.embedding.padding_idx == 0


def test_accuracy_and_device():
    assert accuracy(torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)
    assert pick_device().type in ("cpu", "cuda")


def test_tfidf_baseline_on_the_toy_split():
    pipeline, acc = tfidf_baseline(Split(TEXTS, LABELS), Split(["great wonderful", "awful boring"], [1, 0]),
                                   ngram_range=(1, 1))
    assert acc == 1.0 and pipeline.predict(["loved it"])[0] == 1
