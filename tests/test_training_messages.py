"""utils/training.py's argument checks, messages whole: the decision rule's inputs, labels, logits,
loaders, the history's columns, the model and device checks and fit's settings."""

import pytest
import torch
from conftest import UNDER_MUTMUT, error_message
from torch import nn

from utils import training
from utils.lstm import ScratchLSTM
from utils.training import TrainingHistory, check_labels, model_device, predicted_labels

META = "is on the 'meta' device, which holds shapes but no values: create it on 'cpu' or 'cuda' (or load the " \
       "real weights) first"


class NoParameters(nn.Module):
    def forward(self, tokens, lengths=None):
        return tokens


class OneArgument(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x):
        return self.linear(x)


MESSAGES = [
    (lambda: predicted_labels(torch.ones(2, device="meta")), "logits " + META),
    (lambda: predicted_labels(torch.tensor([True])), "expected real logits (one number per text), got torch.bool"),
    (lambda: predicted_labels(torch.ones(2, dtype=torch.complex64)),
     "expected real logits (one number per text), got torch.complex64"),
    (lambda: predicted_labels(torch.tensor([0.5, float("nan")])),
     "the logits contain NaN, which is neither class: the model diverged (lower the learning rate, keep gradient "
     "clipping) or its input holds NaN"),
    (lambda: check_labels(torch.ones(2, device="meta")), "labels " + META),
    (lambda: check_labels(torch.ones(3), batch=2), "expected labels of shape (2,), one per logit, got (3,)"),
    (lambda: check_labels(torch.ones(2, 1)), "expected labels of shape (B,), got (2, 1)"),
    (lambda: check_labels(torch.tensor([0.0, 2.0, 1.0, 0.5, 3.0, 4.0])),
     "expected labels of 0.0 (negative) and 1.0 (positive) only, got [2.0, 0.5, 3.0]"),
    (lambda: check_labels(torch.tensor([-1.0, 1.0])),
     "expected labels of 0.0 (negative) and 1.0 (positive) only, got [-1.0]"),
    (lambda: training._check_logits(torch.ones(2, 1), torch.ones(2)),
     "expected logits of shape (B,) = (2,), got (2, 1): squeeze the last axis (logits.squeeze(-1))"),
    (lambda: training._check_logits(torch.ones(3), torch.ones(2)),
     "expected logits of shape (B,) = (2,), got (3,): squeeze the last axis (logits.squeeze(-1))"),
    (lambda: training._check_loader(lambda: None),
     "expected loader to be a DataLoader (make_loaders builds them), got function: call it first "
     "(make_loaders(...) returns the loaders)"),
    (lambda: training._check_loader(None, "valid_loader"),
     "expected valid_loader to be a DataLoader (make_loaders builds them), got NoneType"),
    (lambda: model_device(ScratchLSTM(2, 3)),
     "a bare ScratchLSTM returns its states, not one logit per text: train a classifier around it "
     "(LSTMClassifier, or your own nn.Module ending in nn.Linear)"),
    (lambda: model_device(nn.LSTM(2, 3)),
     "a bare nn.LSTM returns its states, not one logit per text: train a classifier around it "
     "(LSTMClassifier, or your own nn.Module ending in nn.Linear)"),
    (lambda: model_device(NoParameters()),
     "NoParameters has no parameters to train or to find a device from: check that its layers are attributes "
     "(self.lstm = ...) or in an nn.ModuleList"),
    (lambda: model_device(OneArgument()),
     "OneArgument.forward(x) cannot take (tokens, lengths), which the training helpers pass: a text "
     "classifier's forward is forward(self, tokens, lengths=None)"),
    (lambda: training._checked_clip_norm(True), "expected clip_norm to be a number such as 1.0, or None, got True"),
    (lambda: training._checked_clip_norm(float("inf")),
     "expected clip_norm > 0 (or None for no clipping), got inf: a negative norm would turn the gradient around"),
    (lambda: training._check_fit_settings(1, 1e-3, -1.0, None),
     "expected clip_norm > 0 (or None for no clipping), got -1.0: a negative norm would turn the gradient around"),
    (lambda: training._check_fit_settings(1, 1e-3, 1.0, True), "expected patience to be a positive int or None, got True"),
    (lambda: training._check_fit_settings(1, 1e-3, 1.0, 1.5), "expected patience to be a positive int or None, got 1.5"),
]


@pytest.mark.parametrize("call, message", MESSAGES, ids=range(len(MESSAGES)))
def test_messages_whole(call, message):
    assert error_message(call) == message


def test_the_history_names_its_columns():
    with pytest.raises(KeyError) as error:
        TrainingHistory().column("acc")
    assert error.value.args[0] == ("no column 'acc' in the history; its columns are epoch, train_loss, train_acc, "
                                   "valid_loss, valid_acc, seconds")
    history = TrainingHistory(rows=[{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}])
    with pytest.raises(KeyError) as error:
        history.column("acc")
    assert error.value.args[0] == "no column 'acc' in the history; its columns are epoch, loss"
    assert history.column("loss") == [0.5, 0.25]


def test_the_largest_finite_clip_norm_and_the_model_device():
    assert training._checked_clip_norm(1e308) == 1e308
    assert training._checked_clip_norm(None) is None
    model = NoParameters()
    model.embedding = nn.Embedding(3, 2)
    assert model_device(model) == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_refused_with_the_colab_setting():
    assert error_message(lambda: training._check_device("cuda")) == (
        "device='cuda' but this machine has no CUDA GPU: leave device out (or 'cpu'); on Colab, Runtime > "
        "Change runtime type > GPU")
    assert training._check_device("cpu") == torch.device("cpu")


# --- predict: the vocabulary check, its chunks and batches, its warning -----------------------

class Embedded(nn.Module):
    """A model of one's own: its embedding under another name, or two of them."""

    def __init__(self, rows: int, second: bool = False):
        super().__init__()
        self.words = nn.Embedding(rows, 2)
        self.other = nn.Embedding(rows, 2) if second else None

    def forward(self, tokens, lengths=None):
        return torch.zeros(len(tokens))


def vocab_of(size: int):
    from utils.text import Vocab

    return Vocab(["<pad>", "<unk>", *(f"w{i}" for i in range(size - 2))])


def test_predict_finds_an_embedding_under_any_name_but_not_among_two():
    from utils.text import word_tokenize
    from utils.training import predict

    assert error_message(lambda: predict(Embedded(5), ["w1"], vocab_of(8), word_tokenize)) == (
        "the vocabulary has 8 tokens but the model's embedding has 5 rows, so some token ids have no vector: use "
        "the vocabulary the model was trained with (load_checkpoint returns it)")
    assert predict(Embedded(5, second=True), ["w1"], vocab_of(8), word_tokenize).labels == [0]  # which one?
    assert predict(Embedded(8), ["w1"], vocab_of(8), word_tokenize).labels == [0]
    assert error_message(lambda: predict(Embedded(8), ["w1"], ["<pad>"], word_tokenize)) == (
        "expected the Vocab the model was trained with, got list: the order is predict(model, texts, vocab, "
        "tokenize)")


def test_predict_reads_chunks_and_passes_its_batch_limits(monkeypatch):
    from utils.text import word_tokenize
    from utils.training import predict

    seen = []

    def chunk(model, data, *, batch_size, max_tokens, device):
        seen.append((len(data), batch_size, max_tokens, device))
        return torch.zeros(len(data))

    monkeypatch.setattr(training, "_predict_chunk", chunk)
    vocab = vocab_of(8)
    assert len(predict(Embedded(8), ["w1"] * 4097, vocab, word_tokenize).labels) == 4097
    assert seen == [(4096, 64, 32_768, torch.device("cpu")), (1, 64, 32_768, torch.device("cpu"))]
    seen.clear()
    predict(Embedded(8), ["w1"] * 50, vocab, word_tokenize, chunk_size=20, batch_size=3, max_tokens=9)
    assert [s[:3] for s in seen] == [(20, 3, 9), (20, 3, 9), (10, 3, 9)]
    assert error_message(lambda: predict(Embedded(8), ["w1"], vocab, word_tokenize, max_len=0)).startswith(
        "expected max_len (or None) to be at least 1")


def test_predict_warns_once_about_a_tokenizer_mismatch_from_the_first_chunk():
    import warnings

    from utils.text import char_tokenize
    from utils.training import predict

    vocab = vocab_of(8)
    for count in (20, 70):  # one chunk, then three
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            predict(Embedded(8), ["w1 w2 w3"] * count, vocab, char_tokenize, chunk_size=25)
        messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        assert messages == [
            "predict: 100% of the tokens are <unk> with this vocabulary: it was built with another tokenizer "
            "(use the tokenize function the vocabulary was built with, e.g. char_vocab with char_tokenize)"], count


def test_predict_reports_its_warning_at_the_line_that_called_it():
    import warnings

    from utils.text import char_tokenize
    from utils.training import predict

    def classify(texts):  # a student's helper: the warning names the line in it that calls predict
        return predict(Embedded(8), texts, vocab_of(8), char_tokenize)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        classify(["w1 w2 w3"] * 20)
    (warning,) = [w for w in caught if str(w.message).startswith("predict: ")]
    # (under mutmut a trampoline sits between the two: the place is checked outside it)
    assert (warning.filename, warning.lineno) == (__file__, classify.__code__.co_firstlineno + 1) or UNDER_MUTMUT


def test_predict_refuses_a_dataframe_and_names_the_column():
    import pandas as pd

    from utils.text import word_tokenize
    from utils.training import predict

    frame = pd.DataFrame({"text": ["w1", "w2"]})
    assert error_message(lambda: predict(Embedded(8), frame, vocab_of(8), word_tokenize)) == (
        "expected the texts as a list of strings, got a DataFrame, whose items are its column names: pass the "
        "column of texts, df['text']")
    assert predict(Embedded(8), frame["text"], vocab_of(8), word_tokenize).labels == [0, 0]


# --- train_epoch: what it refuses before a step, and how far it looks for a sigmoid ------------

class Linear3(nn.Module):
    """tokens (B, 3) -> one output per text, optionally through a sigmoid and ``views`` reshapes."""

    def __init__(self, views: int = 0, sigmoid: bool = False):
        super().__init__()
        self.linear, self.views, self.sigmoid = nn.Linear(3, 1), views, sigmoid

    def forward(self, tokens, lengths=None):
        out = self.linear(tokens.float())
        if self.sigmoid:
            out = torch.sigmoid(out)
        for _ in range(self.views):
            out = out.view(-1, 1)
        return out.view(-1)


BATCHES = [(torch.ones(2, 3, dtype=torch.long), torch.tensor([3, 3]), torch.tensor([1.0, 0.0]))]


def one_epoch(model, optimizer=None, loader=BATCHES):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1) if optimizer is None else optimizer
    return training.train_epoch(model, loader, optimizer, device="cpu", clip_norm=1.0)


SIGMOID = ("the model's output comes from torch.sigmoid, but the training helpers expect logits: BCEWithLogitsLoss "
           "applies the sigmoid itself, and a logit > 0 means positive. Return the logit (drop the sigmoid from "
           "forward; predict gives probabilities)")


@pytest.mark.parametrize("views", [0, 1, 2])
def test_a_sigmoid_up_to_three_reshapes_before_the_output_is_refused(views):
    assert error_message(lambda: one_epoch(Linear3(views, sigmoid=True))) == SIGMOID


def test_the_search_for_a_sigmoid_stops_after_three_steps_and_plain_logits_train():
    assert one_epoch(Linear3(3, sigmoid=True)).loss > 0  # four steps back: not looked at (bounded)
    assert one_epoch(Linear3(5)).loss > 0


def test_train_epoch_refusals_before_any_step():
    model = Linear3()
    assert error_message(lambda: one_epoch(model, optimizer="adam")) == (
        "expected an optimizer such as torch.optim.Adam(model.parameters()), got str")
    assert error_message(lambda: one_epoch(model, optimizer=torch.optim.SGD(Linear3().parameters(), lr=0.1))) == (
        "the optimizer holds none of this model's parameters (it was made for another model): create it after the "
        "model, torch.optim.Adam(model.parameters())")
    assert error_message(lambda: one_epoch(model, loader=[])) == (
        "the loader [] gave no batches: check that its dataset is not empty (a limit of 0, a filter that removed "
        "every text, or a wrong split)")
    frozen = Linear3().requires_grad_(False)
    assert error_message(lambda: one_epoch(frozen)) == (
        "every parameter of the model is frozen (requires_grad=False), so there is nothing to train: unfreeze "
        "what should learn, e.g. model.requires_grad_(True), then model.embedding.requires_grad_(False)")
    assert error_message(lambda: one_epoch(Linear3().half())) == (
        "the model's parameters are torch.float16: Adam's small constants vanish in half precision and the first "
        "step turns weights into NaN; train in float32 (model.float()), with torch.autocast for mixed precision")
    mixed = Linear3()
    mixed.extra = nn.Linear(1, 1).bfloat16()
    mixed.linear.half()
    assert error_message(lambda: one_epoch(mixed)).startswith("the model's parameters are torch.bfloat16, "
                                                              "torch.float16: ")
    with torch.inference_mode():
        assert error_message(lambda: one_epoch(Linear3()), kinds=(RuntimeError,)) == (
            "training inside torch.inference_mode() cannot compute gradients: train outside that block")


def test_fit_passes_its_defaults_and_checks_each_argument(monkeypatch, capsys):
    seen = {}

    def fake_fit(model, train_loader, valid_loader, **settings):
        seen.update(settings)
        return TrainingHistory()

    monkeypatch.setattr(training, "_fit", fake_fit)
    training.fit(Linear3(), BATCHES, BATCHES, epochs=2)
    assert {k: seen[k] for k in ("epochs", "lr", "clip_norm", "patience", "progress")} == {
        "epochs": 2, "lr": 1e-3, "clip_norm": 1.0, "patience": None, "progress": True}
    assert error_message(lambda: training.fit(Linear3(), BATCHES, BATCHES, epochs=1, clip_norm=-1.0)) == (
        "expected clip_norm > 0 (or None for no clipping), got -1.0: a negative norm would turn the gradient around")
    assert error_message(lambda: training.fit(Linear3(), BATCHES, BATCHES, epochs=1, progress="yes")) == (
        "expected progress to be True or False, got str: 'yes'")  # fit's own check, before any training
    assert error_message(lambda: training.fit(Linear3(), None, BATCHES, epochs=1)) == (
        "expected train_loader to be a DataLoader (make_loaders builds them), got NoneType")
    assert error_message(lambda: training.fit(Linear3(), BATCHES, print, epochs=1)) == (
        "expected valid_loader to be a DataLoader (make_loaders builds them), got builtin_function_or_method: "
        "call it first (make_loaders(...) returns the loaders)")
    capsys.readouterr()
    model = Linear3()
    training.train_epoch(model, BATCHES, torch.optim.SGD(model.parameters(), lr=0.1), device=None, clip_norm=None)
    assert capsys.readouterr().err == ""  # no progress bar unless asked


def test_batch_and_device_messages_whole(monkeypatch, capsys):
    model = Linear3()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def epoch(loader, **options):
        return training.train_epoch(model, loader, optimizer, device="cpu", clip_norm=None, **options)

    assert error_message(lambda: epoch([(torch.ones(2, 3, dtype=torch.long), torch.tensor([1.0, 0.0]))])) == (
        "fit/evaluate need batches of (tokens, lengths, labels); build the DataLoader with "
        "collate_fn=functools.partial(collate_padded, pad_value=vocab.pad_id) from utils.sequences")
    for tokens, labels, kinds in [([[1, 2, 3]], [1.0], "list and list"),
                                  (torch.ones(1, 3, dtype=torch.long), [1.0], "Tensor and list"),
                                  ([[1, 2, 3]], torch.ones(1), "list and Tensor")]:
        assert error_message(lambda t=tokens, y=labels: epoch([(t, torch.tensor([3]), y)])) == (
            f"expected tokens and labels as tensors in each batch, got {kinds}: collate with collate_padded "
            "(utils.sequences), which builds them")
    assert error_message(lambda: epoch(BATCHES, progress="yes")) == (
        "expected progress to be True or False, got str: 'yes'")
    capsys.readouterr()
    epoch(BATCHES, progress=True)
    assert "train: 100%" in capsys.readouterr().err  # the bar is named after the pass
    assert error_message(lambda: training._check_logits([0.5], torch.ones(1))) == (
        "expected the model to return logits as a tensor (B,), got list: a classifier such as LSTMClassifier, "
        "not a bare nn.LSTM")
    assert error_message(lambda: training.accuracy(torch.ones(0), torch.ones(0))) == (
        "no labels: the accuracy of an empty batch is undefined")
    monkeypatch.setenv("LSTM_BOOK_DEVICE", "cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert error_message(training.pick_device, kinds=(RuntimeError,)) == (
        "LSTM_BOOK_DEVICE=cuda but torch.cuda.is_available() is False: run on a machine with a CUDA GPU (on "
        "Colab: Runtime > Change runtime type > GPU) or set LSTM_BOOK_DEVICE=auto")


def test_device_names_are_checked():
    assert error_message(lambda: training._check_device("gpu")) == (
        "expected device 'cpu' or 'cuda' (or a torch.device), got 'gpu'")
    assert error_message(lambda: training._check_device(0.5)) == (
        "expected device 'cpu' or 'cuda' (or a torch.device), got 0.5")
    assert training._check_device(None) is None and training._check_device(torch.device("cpu")).type == "cpu"


def test_a_model_that_is_no_module_is_named():
    assert error_message(lambda: model_device("LSTMClassifier")) == (
        "expected a torch.nn.Module (the model), got str")


class NamedAndOther(Embedded):
    """Two embeddings, the vocabulary's under the usual name ``embedding``."""

    def __init__(self, rows: int):
        super().__init__(rows + 10)
        self.embedding = nn.Embedding(rows, 2)


def test_predict_prefers_the_embedding_named_embedding_and_names_bad_texts_and_sizes():
    from utils.text import word_tokenize
    from utils.training import predict

    assert error_message(lambda: predict(NamedAndOther(5), ["w1"], vocab_of(8), word_tokenize)).startswith(
        "the vocabulary has 8 tokens but the model's embedding has 5 rows")
    assert error_message(lambda: predict(Embedded(8), 5, vocab_of(8), word_tokenize)) == (
        "expected the texts as a list of strings (or one string), got int: the order is predict(model, texts, "
        "vocab, tokenize)")
    assert error_message(lambda: predict(Embedded(8), ["w1", 5], vocab_of(8), word_tokenize)) == (
        "predict expects strings, got int: 5")
    for name in ("batch_size", "max_tokens", "chunk_size"):
        assert error_message(lambda n=name: predict(Embedded(8), ["w1"], vocab_of(8), word_tokenize, **{n: 0})) \
            .startswith(f"expected {name} to be at least 1")


def test_predict_judges_the_tokenizer_from_twenty_tokens():
    import warnings

    from utils.text import char_tokenize
    from utils.training import predict

    for text, warns in (("w" * 19, False), ("w" * 20, True)):  # characters: one token each
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            predict(Embedded(8), [text], vocab_of(8), char_tokenize)
        assert any("predict: 100% of the tokens are <unk>" in str(w.message) for w in caught) is warns, text
