"""Small models train on one CPU thread, and every training helper puts PyTorch's count back."""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from utils.memory_task import train_memory_task, train_sign_task
from utils.models import ClassifierConfig, LSTMClassifier
from utils.sequences import collate_padded
from utils.text import TextDataset, Vocab, word_tokenize
from utils.threads import (
    SMALL_RECURRENT_PARAMETERS,
    recurrent_parameters,
    threads_for,
    threads_for_model,
    torch_threads,
)
from utils.training import evaluate, fit, predict

TEXTS, LABELS = ["good film", "bad film", "great fun", "awful mess"], [1, 0, 1, 0]


@pytest.fixture(autouse=True)
def two_threads():
    """Every test starts from 2 threads (a 2-core machine's default) and must end there."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


class ThreadSpy(nn.Module):
    """A forward hook that records how many threads PyTorch used during each forward pass."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.seen: list[int] = []
        model.register_forward_hook(lambda *_: self.seen.append(torch.get_num_threads()))


def small_classifier(hidden_size=4):
    vocab = Vocab.build(word_tokenize(t) for t in TEXTS)
    data = TextDataset(TEXTS, LABELS, vocab, word_tokenize)
    loader = DataLoader(data, batch_size=2, collate_fn=collate_padded)
    config = ClassifierConfig(vocab_size=len(vocab), embed_dim=4, hidden_size=hidden_size, num_layers=1,
                              dropout=0.0)
    return vocab, loader, LSTMClassifier(config)


def test_torch_threads_restores_the_count_after_the_block_and_after_an_error():
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError, match="boom"), torch_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2
    for bad in (0, -1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="positive int"), torch_threads(bad):
            pass


def test_small_recurrent_models_get_one_thread_and_large_ones_keep_the_count():
    small = nn.LSTM(1, 16)  # chapter 6's sign task: 1,216 recurrent parameters
    large = nn.LSTM(16, 64)  # chapter 11's 64-unit character model: 20,992 (benchmarks/threads_speed.py)
    assert recurrent_parameters(nn.Sequential(nn.Linear(1000, 1000), small)) == sum(
        p.numel() for p in small.parameters()
    )  # only recurrent layers count
    assert recurrent_parameters(small) < SMALL_RECURRENT_PARAMETERS < recurrent_parameters(large)
    assert threads_for(small) == 1 and threads_for(large) == 2
    assert threads_for(nn.LSTM(256, 512, num_layers=2)) == 2
    with threads_for_model(large):
        assert torch.get_num_threads() == 2


def test_fit_evaluate_and_predict_run_a_small_model_on_one_thread_and_put_the_count_back():
    vocab, loader, model = small_classifier()
    spy = ThreadSpy(model)
    fit(model, loader, loader, epochs=1, progress=False)
    assert torch.get_num_threads() == 2
    evaluate(model, loader)
    assert torch.get_num_threads() == 2
    predict(model, ["good fun"], vocab, word_tokenize)
    assert torch.get_num_threads() == 2
    assert spy.seen and set(spy.seen) == {1}


def test_fit_puts_the_count_back_when_training_fails():
    vocab, loader, model = small_classifier()
    with pytest.raises(ValueError):
        fit(model, loader, [], epochs=1, progress=False)  # an empty validation loader is refused
    assert torch.get_num_threads() == 2


def test_the_memory_and_sign_tasks_train_on_one_thread_and_put_the_count_back(monkeypatch):
    seen = []
    original = nn.LSTM.forward

    def spying_forward(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(nn.LSTM, "forward", spying_forward)
    train_memory_task("lstm", seq_len=5, steps=2, seed=0)
    assert torch.get_num_threads() == 2
    train_sign_task(seq_len=5, forget_bias=1.0, seed=0, steps=2, hidden_size=4)
    assert torch.get_num_threads() == 2
    assert seen and set(seen) == {1}


def test_one_thread_gives_the_same_trained_model_as_two():
    """The thread count changes speed, not what a small model learns (up to float rounding)."""
    results = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        results.append(train_memory_task("lstm", seq_len=8, steps=20, seed=3).losses)
    torch.testing.assert_close(results[0], results[1], rtol=1e-9, atol=1e-12)


def test_the_rule_s_boundary_and_its_error():
    at_threshold = nn.LSTM(113, 10)  # 4 * 10 * (113 + 10) + 8 * 10 = 5,000 recurrent parameters
    below = nn.RNN(4996, 1)  # 1 * (4996 + 1) + 2 = 4,999
    assert recurrent_parameters(at_threshold) == SMALL_RECURRENT_PARAMETERS == 5_000
    assert recurrent_parameters(below) == SMALL_RECURRENT_PARAMETERS - 1
    assert threads_for(below) == 1 and threads_for(at_threshold) == torch.get_num_threads()
    with pytest.raises(TypeError) as caught:
        recurrent_parameters([at_threshold])
    assert str(caught.value) == "expected a torch.nn.Module (the model), got list"
