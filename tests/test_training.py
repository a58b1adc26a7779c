"""train_epoch / evaluate / fit, the seed model and the TF-IDF baseline, on small real data and on
models whose behaviour is known in advance (so that each test fails when the behaviour it names breaks)."""

import time

import pytest
import torch
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.utils.data import DataLoader

from utils.baseline import tfidf_baseline
from utils.data import Split
from utils.models import CharSeedModel, ClassifierConfig, LSTMClassifier
from utils.sequences import collate_padded
from utils.text import TextDataset, Vocab, word_tokenize
from utils.training import (
    Evaluation,
    TrainingHistory,
    accuracy,
    count_correct,
    evaluate,
    fit,
    pick_device,
    predicted_labels,
    train_epoch,
)

POSITIVE = ["great fun", "loved it", "wonderful film", "great acting", "loved the cast", "wonderful and fun"]
NEGATIVE = ["awful mess", "hated it", "boring film", "awful acting", "hated the cast", "boring and awful"]
TEXTS, LABELS = POSITIVE + NEGATIVE, [1] * 6 + [0] * 6
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run faster on one thread than on two contending ones (and the same on any machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_setup(seed=0, **config):
    torch.manual_seed(seed)
    vocab = Vocab.build(word_tokenize(t) for t in TEXTS)
    data = TextDataset(TEXTS, LABELS, vocab, word_tokenize)
    loader = DataLoader(data, batch_size=4, shuffle=True, collate_fn=collate_padded,
                        generator=torch.Generator().manual_seed(seed))
    settings = {"embed_dim": 8, "hidden_size": 8, "num_layers": 1, "dropout": 0.0, **config}
    return vocab, loader, LSTMClassifier(ClassifierConfig(vocab_size=len(vocab), **settings))


def fixed_batches(vocab, sizes=(5, 4, 3)):
    """Batches of unequal sizes (a weighting mistake changes the means), in a fixed order."""
    data = TextDataset(TEXTS, LABELS, vocab, word_tokenize)
    order = torch.randperm(len(TEXTS), generator=torch.Generator().manual_seed(1)).tolist()
    batches, start = [], 0
    for size in sizes:
        batches.append(collate_padded([data[i] for i in order[start : start + size]]))
        start += size
    return batches


class ThresholdModel(nn.Module):
    """logit = bias - first token id / 10. Trained on all-positive data, the bias only grows."""

    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, tokens, lengths):
        return self.bias - tokens[:, 0].float() / 10


# train: every label 1, so each Adam step raises the bias (by about lr)
RISING = [(torch.zeros(4, 1, dtype=torch.long), torch.ones(4, dtype=torch.long), torch.ones(4))]
# valid: right on the first text once bias > 0.5, right on the other two while bias < 1.5, so the
# validation accuracy goes 2/3 -> 1 -> 1/3: a later epoch is worse than an earlier one
PEAKED = [(torch.tensor([[5], [15], [15]]), torch.ones(3, dtype=torch.long), torch.tensor([1.0, 0.0, 0.0]))]


def manual_evaluation(model, batches):
    """What evaluate must compute: eval mode, no gradients, means over examples."""
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for tokens, lengths, labels in batches:
            logits = model(tokens, lengths)
            loss_sum += nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="sum").item()
            correct += int(((logits > 0).float() == labels).sum())
            count += len(labels)
    return loss_sum / count, correct / count


def test_fit_learns_a_separable_toy_task_and_keeps_the_best_epoch():
    vocab, loader, model = tiny_setup()
    history = fit(model, loader, loader, epochs=12, lr=0.05, progress=False)
    assert isinstance(history, TrainingHistory)
    assert history.column("epoch") == list(range(1, 13))
    assert set(history.rows[0]) == {"epoch", "train_loss", "train_acc", "valid_loss", "valid_acc", "seconds"}
    assert history.rows[-1]["train_loss"] < history.rows[0]["train_loss"] / 2
    assert max(history.column("valid_acc")) == 1.0
    assert history.rows[history.best_epoch - 1]["valid_acc"] == 1.0
    assert evaluate(model, loader).accuracy == 1.0


def test_fit_puts_back_the_best_epochs_weights_when_a_later_epoch_is_worse():
    model = ThresholdModel()
    start = time.perf_counter()
    history = fit(model, RISING, PEAKED, epochs=6, lr=0.4, progress=False)
    assert 0 < sum(history.column("seconds")) <= time.perf_counter() - start
    accuracies = history.column("valid_acc")
    assert accuracies[:4] == pytest.approx([2 / 3, 1.0, 1.0, 1 / 3])  # the bias passed 0.5, then 1.5
    assert history.best_epoch == 2  # the first of the tied best epochs
    assert not history.stopped_early
    assert 0.5 < model.bias.item() < 1.5  # the weights of epoch 2, not of epoch 6
    assert evaluate(model, PEAKED) == pytest.approx((history.rows[1]["valid_loss"], 1.0))


def test_early_stopping_counts_epochs_since_the_best_one():
    history = fit(ThresholdModel(), RISING, PEAKED, epochs=20, lr=0.4, patience=2, progress=False)
    assert history.best_epoch == 2 and len(history.rows) == 4 and history.stopped_early
    history = fit(ThresholdModel(), RISING, PEAKED, epochs=20, lr=0.4, patience=5, progress=False)
    assert len(history.rows) == 7
    assert len(fit(ThresholdModel(), RISING, PEAKED, epochs=20, lr=0.4, patience=1, progress=False).rows) == 3
    history = fit(ThresholdModel(), RISING, PEAKED, epochs=4, lr=0.4, patience=2, progress=False)
    assert len(history.rows) == 4 and not history.stopped_early  # the last epoch is not early
    assert len(fit(ThresholdModel(), RISING, PEAKED, epochs=9, lr=0.4, progress=False).rows) == 9


def test_a_new_history_is_empty():
    assert TrainingHistory() == TrainingHistory(rows=[], best_epoch=0, stopped_early=False)  # 0: no epoch yet


def test_early_stopping_when_nothing_improves():
    _, loader, model = tiny_setup()
    history = fit(model, loader, loader, epochs=50, lr=0.0, patience=2, progress=False)  # lr 0: all ties
    assert len(history.rows) == 3 and history.best_epoch == 1 and history.stopped_early


def grad_norms_seen_by_the_optimizer(run):
    """Total gradient norm at every optimizer step taken inside ``run()``."""
    norms = []

    def record(optimizer, args, kwargs):
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())

    handle = register_optimizer_step_pre_hook(record)
    try:
        run()
    finally:
        handle.remove()
    return norms


def test_fit_clips_the_gradient_norm():
    _, loader, model = tiny_setup()
    clipped = grad_norms_seen_by_the_optimizer(
        lambda: fit(model, loader, loader, epochs=2, lr=0.01, clip_norm=1e-3, progress=False))
    _, loader, model = tiny_setup()
    unclipped = grad_norms_seen_by_the_optimizer(
        lambda: fit(model, loader, loader, epochs=2, lr=0.01, clip_norm=None, progress=False))
    assert len(clipped) == len(unclipped) == 6  # 3 batches x 2 epochs
    assert min(unclipped) > 1e-2  # so clipping to 1e-3 has work to do
    assert max(clipped) == pytest.approx(1e-3, rel=1e-4)


def test_train_epoch_steps_clips_and_mirrors_evaluate():
    vocab, _, model = tiny_setup(embed_dim=6, hidden_size=5)
    batches = fixed_batches(vocab)
    before = manual_evaluation(model, batches)
    # lr 0: no change, so the training pass measures exactly what evaluate measures
    result = train_epoch(model, batches, torch.optim.SGD(model.parameters(), lr=0.0), device=CPU, clip_norm=None)
    assert isinstance(result, Evaluation) and model.training
    assert result == pytest.approx(before)
    norms = grad_norms_seen_by_the_optimizer(lambda: train_epoch(
        model, batches, torch.optim.SGD(model.parameters(), lr=0.5), device=CPU, clip_norm=0.01))
    assert len(norms) == 3 and max(norms) == pytest.approx(0.01, rel=1e-4)
    assert manual_evaluation(model, batches)[0] < before[0]  # the steps lowered the loss


def test_train_epoch_uses_dropout():
    vocab, _, model = tiny_setup(num_layers=2, dropout=0.5)
    batches = fixed_batches(vocab)
    model.eval()
    first = train_epoch(model, batches, torch.optim.SGD(model.parameters(), lr=0.0), device=CPU, clip_norm=None)
    assert first != pytest.approx(manual_evaluation(model, batches))  # dropout was on


def test_evaluate_switches_dropout_off_and_weights_examples_equally():
    vocab, _, model = tiny_setup(num_layers=2, dropout=0.5)
    batches = fixed_batches(vocab)
    model.train()
    first = evaluate(model, batches)
    assert isinstance(first, Evaluation) and not model.training
    model.train()
    assert evaluate(model, batches) == first  # no dropout, so the same numbers twice
    assert first == pytest.approx(manual_evaluation(model, batches), rel=1e-6)
    assert first[1] == first.accuracy and first[0] == first.loss


def test_empty_loaders_and_bad_settings_are_refused():
    _, loader, model = tiny_setup()
    with pytest.raises(ValueError, match="gave no batches"):
        evaluate(model, [])
    with pytest.raises(ValueError, match="gave no batches"):
        fit(model, [], loader, epochs=1, progress=False)
    with pytest.raises(ValueError, match="gave no batches"):
        fit(model, loader, [], epochs=1, progress=False)
    for settings, name in [({"epochs": 0}, "epochs"), ({"epochs": 1, "lr": -1.0}, "lr"),
                           ({"epochs": 1, "clip_norm": 0.0}, "clip_norm"),
                           ({"epochs": 1, "patience": 0}, "patience"), ({"epochs": 2.0}, "epochs")]:
        with pytest.raises(ValueError, match=name):
            fit(model, loader, loader, progress=False, **settings)


def test_count_correct_and_accuracy():
    logits = torch.tensor([2.0, -1.0, 0.0, 0.5, -3.0])  # 0.0 is probability 0.5: negative
    labels = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.0])
    assert count_correct(logits, labels) == 3
    assert accuracy(logits, labels) == pytest.approx(3 / 5)
    assert predicted_labels(torch.tensor([0.0, 1e-3, -1e-3])).tolist() == [0.0, 1.0, 0.0]


def test_pick_device(monkeypatch):
    monkeypatch.setenv("LSTM_BOOK_DEVICE", "auto")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")
    monkeypatch.delenv("LSTM_BOOK_DEVICE")  # unset means auto
    assert pick_device() == torch.device("cuda")


def test_pick_device_obeys_lstm_book_device_even_with_a_gpu(monkeypatch):
    """make test sets LSTM_BOOK_DEVICE=cpu: a machine with CUDA must give the same results."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("LSTM_BOOK_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    monkeypatch.setenv("LSTM_BOOK_DEVICE", " CUDA ")
    assert pick_device() == torch.device("cuda")


def test_pick_device_refuses_cuda_without_a_gpu_and_unknown_names(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("LSTM_BOOK_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="LSTM_BOOK_DEVICE=auto"):
        pick_device()
    monkeypatch.setenv("LSTM_BOOK_DEVICE", "gpu")
    with pytest.raises(ValueError, match="auto, cpu, cuda"):
        pick_device()


def test_seed_model_reads_the_last_time_step_even_if_it_is_padding():
    torch.manual_seed(0)
    model = CharSeedModel(20)
    tokens = torch.tensor([[3, 4, 5, 0, 0, 0]])
    outputs, _ = model.lstm(model.embedding(tokens))
    torch.testing.assert_close(model(tokens, torch.tensor([3])), model.output(outputs[:, -1]).squeeze(-1))
    assert sum(p.numel() for p in model.lstm.parameters()) == 76  # LSTM(16, 1): 4 * (16 + 1) + 8


def test_seed_model_against_a_time_first_lstm_and_one_linear_unit():
    """Batch first, the last step of each row, one output per text: checked against an LSTM that
    reads time first and the output layer written out, on a batch of 3 (B != T)."""
    torch.manual_seed(1)
    model = CharSeedModel(20)
    tokens = torch.tensor([[3, 4, 5, 0, 0, 0], [7, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    time_first = torch.nn.LSTM(16, 1)
    time_first.load_state_dict(model.lstm.state_dict())
    outputs, _ = time_first(model.embedding(tokens).transpose(0, 1))  # (T, B, 1)
    weight, bias = model.output.weight, model.output.bias  # (1, 1), (1,)
    expected = outputs[-1, :, 0] * weight[0, 0] + bias[0]  # (B,)
    logits = model(tokens)
    assert logits.shape == (3,) and weight.shape == (1, 1)
    torch.testing.assert_close(logits, expected)


def test_two_layer_bidirectional_classifier_trains_with_fit():
    vocab, loader, model = tiny_setup(num_layers=2, dropout=0.5)
    history = fit(model, loader, loader, epochs=3, lr=0.02, progress=False)
    assert len(history.rows) == 3 and 1 <= history.best_epoch <= 3
    assert evaluate(model, loader).accuracy == max(history.column("valid_acc"))


def test_classifier_config_and_input_checks():
    with pytest.raises(ValueError, match="vocab_size"):
        ClassifierConfig(vocab_size=0)
    with pytest.raises(ValueError, match="pad_id"):
        ClassifierConfig(vocab_size=5, pad_id=5)
    model = LSTMClassifier(ClassifierConfig(vocab_size=10, embed_dim=4, hidden_size=4, num_layers=1))
    with pytest.raises(ValueError, match=r"\(batch, seq_len\)"):
        model(torch.ones(3, dtype=torch.long), torch.tensor([3]))
    assert model.embedding.padding_idx == 0


def test_tfidf_baseline_on_the_toy_split():
    pipeline, acc = tfidf_baseline(Split(TEXTS, LABELS), Split(["great wonderful", "awful boring"], [1, 0]),
                                   ngram_range=(1, 1))
    assert acc == 1.0 and pipeline.predict(["loved it"])[0] == 1


def test_train_epoch_takes_one_fresh_gradient_step_per_batch():
    # SGD on the threshold model, by hand: b <- b - lr * mean(sigmoid(b - t / 10) - y) for each batch
    batches = [(torch.tensor([[0], [10]]), torch.ones(2, dtype=torch.long), torch.tensor([1.0, 0.0])),
               (torch.tensor([[20], [5], [0]]), torch.ones(3, dtype=torch.long), torch.tensor([0.0, 1.0, 1.0]))]
    model, bias = ThresholdModel(), torch.tensor(0.0)
    for tokens, _, labels in batches:
        bias = bias - 0.5 * (torch.sigmoid(bias - tokens[:, 0] / 10) - labels).mean()
    train_epoch(model, batches, torch.optim.SGD(model.parameters(), lr=0.5), device=CPU, clip_norm=None)
    torch.testing.assert_close(model.bias.detach(), bias)


class Moved:
    """A batch part that records the device it is moved to (a GPU is not needed to test the moves)."""

    def __init__(self, tensor, log):
        self.tensor, self.log = tensor, log

    def to(self, device):
        self.log.append(device)
        return self.tensor


class MovedModel(ThresholdModel):
    def to(self, device):
        self.moves.append(device)
        return super().to(device)


def test_batches_move_to_the_models_device_or_the_one_given():
    log = []
    batches = [(Moved(tokens, log), lengths, Moved(labels, log)) for tokens, lengths, labels in PEAKED]
    model = MovedModel()
    model.moves = []
    evaluate(model, batches)
    fit(model, batches, batches, epochs=1, progress=False)
    assert log == [CPU] * 6  # 2 moves per pass: evaluate; then fit's training and validation passes
    log.clear()
    evaluate(model, batches, device=torch.device("cpu", 0))
    fit(model, batches, batches, epochs=1, device=torch.device("cpu", 0), progress=False)
    assert log == [torch.device("cpu", 0)] * 6
    assert model.moves == [CPU, torch.device("cpu", 0)]  # fit puts the model on the device too


def test_progress_bars_only_when_asked(capsys):
    fit(ThresholdModel(), RISING, PEAKED, epochs=2, progress=False)
    evaluate(ThresholdModel(), PEAKED)
    assert capsys.readouterr().err == ""
    fit(ThresholdModel(), RISING, PEAKED, epochs=2, progress=True)
    bars = capsys.readouterr().err
    assert "epochs: 100%" in bars and "epoch 1: 100%" in bars and "epoch 2: 100%" in bars
    evaluate(ThresholdModel(), PEAKED, progress=True)
    assert "evaluate: 100%" in capsys.readouterr().err


def test_evaluate_gives_the_same_numbers_for_the_exact_and_packed_strategies():
    vocab, _, exact = tiny_setup(num_layers=2, bidirectional=True, strategy="exact")
    _, _, packed = tiny_setup(num_layers=2, bidirectional=True, strategy="packed")
    packed.load_state_dict(exact.state_dict())
    batches = fixed_batches(vocab)
    assert evaluate(exact, batches) == pytest.approx(evaluate(packed, batches), rel=1e-5)


def test_a_loader_without_lengths_gets_an_error_naming_collate_padded():
    _, _, model = tiny_setup()
    two_part = [(torch.zeros(2, 3, dtype=torch.long), torch.ones(2))]
    with pytest.raises(ValueError, match="collate_padded"):
        evaluate(model, two_part)
