"""Training, evaluation and prediction for the classifiers (chapters 11 and 12).

``train_epoch`` and ``evaluate`` mirror each other: one pass over a loader of
``(tokens (B, T), lengths (B,), labels (B,))`` batches, returning the mean loss and accuracy.
``fit`` alternates them and keeps the weights of the best validation epoch. ``predict`` runs
new texts through the same encoding, bucketing and collate code as training, in batches.
Checkpoints live in :mod:`utils.checkpoint`.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import numbers
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from utils.checks import check_bool, check_has_values, check_int
from utils.config import device_choice
from utils.sequences import BucketBatchSampler, collate_padded
from utils.text import TextDataset, Vocab, tokenizer_mismatch
from utils.threads import threads_for_model


def pick_device() -> torch.device:
    """The device the chapters train on, from ``LSTM_BOOK_DEVICE`` (:func:`utils.config.device_choice`):
    ``auto`` (the default) is CUDA if a GPU is available, else the CPU; ``cpu`` and ``cuda`` choose."""
    choice = device_choice()
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "LSTM_BOOK_DEVICE=cuda but torch.cuda.is_available() is False: run on a machine with a "
            "CUDA GPU (on Colab: Runtime > Change runtime type > GPU) or set LSTM_BOOK_DEVICE=auto"
        )
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(choice)


def predicted_labels(logits: Tensor) -> Tensor:
    """logits (B,) -> labels (B,) of 0.0/1.0: the decision rule used everywhere."""
    if not isinstance(logits, Tensor):
        raise TypeError(f"expected logits as a tensor, got {type(logits).__name__} (torch.as_tensor(...))")
    check_has_values(logits, "logits")
    if logits.is_complex() or logits.dtype == torch.bool:
        raise TypeError(f"expected real logits (one number per text), got {logits.dtype}")
    if logits.is_floating_point() and torch.isnan(logits).any():
        raise ValueError(
            "the logits contain NaN, which is neither class: the model diverged (lower the learning "
            "rate, keep gradient clipping) or its input holds NaN"
        )
    # positive  <=>  sigmoid(logit) > 0.5  <=>  logit > 0
    return (logits > 0).float()


def check_labels(labels: object, batch: int | None = None) -> Tensor:
    """Labels as the training helpers need them: a float tensor (B,) of 0.0 and 1.0 (what
    ``collate_padded`` gives). ``batch``: the number of logits they must match."""
    if not isinstance(labels, Tensor):
        kind = type(labels).__name__
        raise TypeError(f"expected labels as a tensor, got {kind} (torch.tensor(..., dtype=torch.float32))")
    check_has_values(labels, "labels")
    if labels.dim() != 1 or (batch is not None and len(labels) != batch):
        wanted = f"({batch},), one per logit" if batch is not None else "(B,)"
        raise ValueError(f"expected labels of shape {wanted}, got {tuple(labels.shape)}")
    if not labels.is_floating_point():
        raise ValueError(f"expected float labels 0.0/1.0 for the loss, got {labels.dtype}: labels.float()")
    if not ((labels == 0) | (labels == 1)).all():
        odd = labels[(labels != 0) & (labels != 1)][:3].tolist()
        raise ValueError(f"expected labels of 0.0 (negative) and 1.0 (positive) only, got {odd}")
    return labels


def _check_logits(logits: object, labels: Tensor) -> Tensor:
    """The model's output as the loss needs it: a real tensor (B,), one logit per label."""
    if not isinstance(logits, Tensor):
        raise TypeError(f"expected the model to return logits as a tensor (B,), got {type(logits).__name__}: "
                        "a classifier such as LSTMClassifier, not a bare nn.LSTM")
    if logits.dim() != 1 or len(logits) != len(labels):
        raise ValueError(f"expected logits of shape (B,) = ({len(labels)},), got {tuple(logits.shape)}: "
                         "squeeze the last axis (logits.squeeze(-1))")
    return logits


def count_correct(logits: Tensor, labels: Tensor) -> int:
    """Number of right answers: logits (B,), labels (B,) of 0.0/1.0. The one place this is counted."""
    predicted = predicted_labels(logits)
    if logits.dim() != 1:
        raise ValueError(f"expected logits of shape (B,), got {tuple(logits.shape)}: squeeze the last axis")
    return int((predicted == check_labels(labels, len(logits))).sum().item())


def accuracy(logits: Tensor, labels: Tensor) -> float:
    """Share of correct predictions: logits (B,), labels (B,) of 0.0/1.0."""
    correct = count_correct(logits, labels)
    if len(labels) == 0:
        raise ValueError("no labels: the accuracy of an empty batch is undefined")
    return correct / len(labels)


class Evaluation(NamedTuple):
    """Mean loss and accuracy over every example of one pass (``evaluate(...)[1]`` is the accuracy)."""

    loss: float
    accuracy: float


class _Tally:
    """Sums of loss and correct answers over the batches of one pass."""

    def __init__(self) -> None:
        self.loss_sum, self.correct, self.count = 0.0, 0, 0

    def add(self, loss: Tensor, logits: Tensor, labels: Tensor) -> None:
        """loss: the batch's mean loss; logits, labels: (B,)."""
        # sum of per-example losses = batch mean * batch size, so batches of any size weigh right
        self.loss_sum += loss.item() * len(labels)
        self.correct += count_correct(logits.detach(), labels)
        self.count += len(labels)

    def result(self, loader: object) -> Evaluation:
        if self.count == 0:
            raise ValueError(
                f"the loader {loader!r} gave no batches: check that its dataset is not empty "
                "(a limit of 0, a filter that removed every text, or a wrong split)"
            )
        return Evaluation(self.loss_sum / self.count, self.correct / self.count)


def _check_loader(loader: object, name: str = "loader") -> None:
    """A loader is something to iterate over: not the function that makes it, not None."""
    if not isinstance(loader, Iterable):
        hint = ": call it first (make_loaders(...) returns the loaders)" if callable(loader) else ""
        raise TypeError(f"expected {name} to be a DataLoader (make_loaders builds them), got "
                        f"{type(loader).__name__}{hint}")


def _batches(loader: Iterable, device: torch.device, progress: bool, desc: str) -> Iterator:
    """Yield (tokens on device, lengths on the CPU, labels on device); lengths stay on the CPU for packing."""
    _check_loader(loader)
    progress = check_bool(progress, "progress")
    for batch in tqdm(loader, desc=desc, disable=not progress):
        if not isinstance(batch, tuple | list) or len(batch) != 3:
            raise ValueError(
                "fit/evaluate need batches of (tokens, lengths, labels); build the DataLoader with "
                "collate_fn=functools.partial(collate_padded, pad_value=vocab.pad_id) from utils.sequences"
            )
        tokens, lengths, labels = batch
        if not (hasattr(tokens, "to") and hasattr(labels, "to")):  # tensors (or a stand-in that moves)
            kinds = f"{type(tokens).__name__} and {type(labels).__name__}"
            raise TypeError(f"expected tokens and labels as tensors in each batch, got {kinds}: "
                            "collate with collate_padded (utils.sequences), which builds them")
        yield tokens.to(device), lengths, check_labels(labels.to(device))


def train_epoch(
    model: nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    *,
    device: torch.device,
    clip_norm: float | None,
    progress: bool = False,
    desc: str = "train",
) -> Evaluation:
    """One pass of gradient steps with ``BCEWithLogitsLoss``, the gradient norm clipped to
    ``clip_norm`` (chapter 6; ``None``: no clipping). Returns the training loss and accuracy."""
    clip_norm = _checked_clip_norm(clip_norm)
    device = _check_device(device) or model_device(model)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"expected an optimizer such as torch.optim.Adam(model.parameters()), got "
                        f"{type(optimizer).__name__}")
    optimized = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if not any(id(p) in optimized for p in model.parameters()):
        raise ValueError("the optimizer holds none of this model's parameters (it was made for "
                         "another model): "
                         "create it after the model, torch.optim.Adam(model.parameters())")
    _check_trainable(model)
    model.train()
    loss_fn, tally = nn.BCEWithLogitsLoss(), _Tally()
    for tokens, lengths, labels in _batches(loader, device, progress, desc):
        logits = _check_logits(model(tokens, lengths), labels)  # (B,)
        if tally.count == 0:
            _check_not_probabilities(logits)
        loss = loss_fn(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        # g <- g * min(1, clip_norm / ||g||), the norm taken over all parameters together
        if clip_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        tally.add(loss, logits, labels)
    return tally.result(loader)


def _check_not_probabilities(logits: Tensor) -> None:
    """Refuse an output that comes from torch.sigmoid: the loss applies the sigmoid itself, so a
    model that applies it too learns from squashed numbers and every output counts as positive."""
    function, steps = logits.grad_fn, 0
    while function is not None and steps < 4:  # through a squeeze, a view or a select
        if type(function).__name__ == "SigmoidBackward0":
            raise ValueError("the model's output comes from torch.sigmoid, but the training helpers expect "
                             "logits: BCEWithLogitsLoss applies the sigmoid itself, and a logit > 0 means "
                             "positive. Return the logit (drop the sigmoid from forward; predict gives "
                             "probabilities)")
        inputs = [f for f, _ in function.next_functions if f is not None]
        function, steps = (inputs[0] if len(inputs) == 1 else None), steps + 1


def _check_trainable(model: nn.Module) -> None:
    """Refuse, before any step changes a weight, what would train nothing or destroy the weights."""
    if torch.is_inference_mode_enabled():
        raise RuntimeError("training inside torch.inference_mode() cannot compute gradients: "
                           "train outside that block")
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError("every parameter of the model is frozen (requires_grad=False), so there is "
                         "nothing to train: unfreeze what should learn, "
                         "e.g. model.requires_grad_(True), then model.embedding.requires_grad_(False)")
    half = sorted({str(p.dtype) for p in model.parameters() if p.dtype in (torch.float16, torch.bfloat16)})
    if half:
        raise TypeError(f"the model's parameters are {', '.join(half)}: Adam's small constants vanish "
                        "in half precision and the first step turns weights into NaN; train in float32 "
                        "(model.float()), with torch.autocast for mixed precision")


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: Iterable, *, device: torch.device | None = None, progress: bool = False
) -> Evaluation:
    """One pass without gradients in ``eval()`` mode (no dropout): mean loss and accuracy.
    A small model runs on one CPU thread (:mod:`utils.threads`)."""
    device = _check_device(device) or model_device(model)
    model.eval()
    loss_fn, tally = nn.BCEWithLogitsLoss(), _Tally()
    with threads_for_model(model):
        for tokens, lengths, labels in _batches(loader, device, progress, "evaluate"):
            logits = _check_logits(model(tokens, lengths), labels)  # (B,)
            tally.add(loss_fn(logits, labels), logits, labels)
    return tally.result(loader)


@dataclass
class TrainingHistory:
    """Per-epoch metrics of :func:`fit`; ``best_epoch`` (from 1) is the one whose weights were kept."""

    rows: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False

    def column(self, name: str) -> list[float]:
        """One metric per epoch: ``train_loss``, ``train_acc``, ``valid_loss``, ``valid_acc``,
        ``seconds`` or ``epoch``."""
        known = list(self.rows[0]) if self.rows else ["epoch", "train_loss", "train_acc", "valid_loss",
                                                      "valid_acc", "seconds"]
        if name not in known:
            raise KeyError(f"no column {name!r} in the history; its columns are {', '.join(known)}")
        return [row[name] for row in self.rows]


def model_device(model: object) -> torch.device:
    """The device of ``model``'s parameters, or an error naming the fix (not a module, no parameters)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module (the model), got {type(model).__name__}")
    from utils.lstm import ScratchLSTM  # here: utils.lstm is heavier than this module needs

    if isinstance(model, nn.RNNBase | ScratchLSTM):
        kind = "" if isinstance(model, ScratchLSTM) else "nn."
        raise TypeError(f"a bare {kind}{type(model).__name__} returns its states, not one logit per "
                        "text: train a "
                        "classifier around it (LSTMClassifier, or your own nn.Module ending in nn.Linear)")
    parameter = next(model.parameters(), None)
    if parameter is None:
        raise ValueError(f"{type(model).__name__} has no parameters to train or to find a device from: "
                         "check that its layers are attributes (self.lstm = ...) or in an nn.ModuleList")
    try:
        inspect.signature(model.forward).bind(None, None)
    except TypeError:
        raise TypeError(f"{type(model).__name__}.forward{inspect.signature(model.forward)} cannot take "
                        "(tokens, lengths), which the training helpers pass: a text classifier's forward is "
                        "forward(self, tokens, lengths=None)") from None
    except ValueError:  # no signature to read (a C function): let the call say what it needs
        pass
    return parameter.device


def _check_device(device: object) -> torch.device | None:
    """``device`` as a ``torch.device`` that this machine has, or None (the model's own)."""
    if device is None:
        return None
    if not isinstance(device, str | torch.device):
        raise TypeError(f"expected device 'cpu' or 'cuda' (or a torch.device), got {device!r}")
    try:
        chosen = torch.device(device)
    except RuntimeError:
        raise ValueError(f"expected device 'cpu' or 'cuda' (or a torch.device), got {device!r}") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but this machine has no CUDA GPU: leave device out (or 'cpu'); "
                         "on Colab, Runtime > Change runtime type > GPU")
    return chosen


def _checked_clip_norm(clip_norm: object) -> float | None:
    """``clip_norm`` as a float > 0, or None (no clipping)."""
    if clip_norm is None:
        return None
    if isinstance(clip_norm, bool) or not isinstance(clip_norm, numbers.Real):
        raise TypeError(f"expected clip_norm to be a number such as 1.0, or None, got {clip_norm!r}")
    if not 0 < float(clip_norm) < math.inf:
        raise ValueError(f"expected clip_norm > 0 (or None for no clipping), got {clip_norm!r}: a negative "
                         "norm would turn the gradient around")
    return float(clip_norm)


def _check_fit_settings(epochs: int, lr: float, clip_norm: float | None, patience: int | None) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"expected epochs to be a positive int, got {epochs!r}")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 <= float(lr) < math.inf:
        raise ValueError(f"expected a finite learning rate lr >= 0, got {lr!r}")
    _checked_clip_norm(clip_norm)
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
        raise ValueError(f"expected patience to be a positive int or None, got {patience!r}")


def fit(
    model: nn.Module,
    train_loader: Iterable,
    valid_loader: Iterable,
    *,
    epochs: int,
    lr: float = 1e-3,
    clip_norm: float | None = 1.0,
    patience: int | None = None,
    device: torch.device | None = None,
    progress: bool = True,
) -> TrainingHistory:
    """Train with Adam, one :func:`train_epoch` and one :func:`evaluate` per epoch.

    The weights of the epoch with the best validation accuracy are kept and put back at the end
    (the earliest one on a tie). ``patience``: stop after that many epochs without a better
    validation accuracy. ``progress``: ``tqdm`` bars for the epochs and the batches. A small model
    trains on one CPU thread, and PyTorch's thread count is put back afterwards (:mod:`utils.threads`).
    """
    _check_fit_settings(epochs, lr, clip_norm, patience)
    progress = check_bool(progress, "progress")
    for name, loader in (("train_loader", train_loader), ("valid_loader", valid_loader)):
        _check_loader(loader, name)
    device = _check_device(device) or model_device(model)
    model.to(device)
    with threads_for_model(model):
        return _fit(model, train_loader, valid_loader, epochs=epochs, lr=lr, clip_norm=clip_norm,
                    patience=patience, device=device, progress=progress)


def _fit(model: nn.Module, train_loader: Iterable, valid_loader: Iterable, *, epochs: int, lr: float,
         clip_norm: float | None, patience: int | None, device: torch.device, progress: bool
         ) -> TrainingHistory:
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history, best_state, best_acc = TrainingHistory(), None, -math.inf
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        start = time.perf_counter()
        train = train_epoch(model, train_loader, optimizer, device=device, clip_norm=clip_norm,
                            progress=progress, desc=f"epoch {epoch}")
        valid = evaluate(model, valid_loader, device=device)
        history.rows.append({"epoch": epoch, "train_loss": train.loss, "train_acc": train.accuracy,
                             "valid_loss": valid.loss, "valid_acc": valid.accuracy,
                             "seconds": time.perf_counter() - start})
        if valid.accuracy > best_acc:
            best_acc, history.best_epoch = valid.accuracy, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif patience is not None and epoch - history.best_epoch >= patience:
            history.stopped_early = epoch < epochs
            break
    assert best_state is not None  # the first epoch is always better than -inf
    model.load_state_dict(best_state)
    return history


class Prediction(NamedTuple):
    """Probability of "positive" and the 0/1 label for each text, in input order."""

    probabilities: list[float]
    labels: list[int]


def _check_vocab_fits(model: nn.Module, vocab: Vocab) -> None:
    if not isinstance(vocab, Vocab):
        raise TypeError("expected the Vocab the model was trained with, got "
                        f"{type(vocab).__name__}: the order is "
                        "predict(model, texts, vocab, tokenize)")
    embedding = getattr(model, "embedding", None)
    if not isinstance(embedding, nn.Embedding):  # a model of one's own may name it otherwise
        embeddings = [module for module in model.modules() if isinstance(module, nn.Embedding)]
        embedding = embeddings[0] if len(embeddings) == 1 else None
    if embedding is not None and len(vocab) > embedding.num_embeddings:
        raise ValueError(
            f"the vocabulary has {len(vocab)} tokens but the model's embedding has "
            f"{embedding.num_embeddings} rows, so some token ids have no vector: use the vocabulary "
            "the model was trained with (load_checkpoint returns it)"
        )


def _texts(texts: Iterable[str] | str) -> Iterator[str]:
    if not isinstance(texts, str | Iterable):
        raise TypeError("expected the texts as a list of strings (or one string), got "
                        f"{type(texts).__name__}: "
                        "the order is predict(model, texts, vocab, tokenize)")
    if hasattr(texts, "columns"):  # a DataFrame iterates over its column names
        raise TypeError("expected the texts as a list of strings, got a DataFrame, whose items are its "
                        "column names: pass the column of texts, df['text']")
    for text in [texts] if isinstance(texts, str) else texts:
        if not isinstance(text, str):
            raise TypeError(f"predict expects strings, got {type(text).__name__}: {text!r:.60}")
        yield text


def _split_by_tokens(batch: list[int], lengths: list[int], max_tokens: int) -> Iterator[list[int]]:
    """Cut a batch so that each piece pads to at most ``max_tokens`` tokens (rows x longest)."""
    start = 0
    while start < len(batch):
        longest = max(lengths[i] for i in batch[start:])
        rows = max(1, max_tokens // longest)
        yield batch[start : start + rows]
        start += rows


@torch.no_grad()
def _predict_chunk(
    model: nn.Module, data: TextDataset, *, batch_size: int, max_tokens: int, device: torch.device
) -> Tensor:
    """Logits (N,) for one chunk of texts, bucketed by length and collated as in training, in input
    order. Each pool of the sampler runs longest batch first, so a text too long fails early."""
    items = [data[i] for i in range(len(data))]  # (token ids (length,), label) each
    lengths = [len(ids) for ids, _ in items]
    collate = functools.partial(collate_padded, pad_value=data.vocab.pad_id)
    logits = torch.empty(len(items))  # (N,)
    for bucket in BucketBatchSampler(lengths, batch_size, shuffle=False):
        for batch in _split_by_tokens(bucket, lengths, max_tokens):
            tokens, batch_lengths, _ = collate([items[i] for i in batch])  # (B, T), (B,)
            output = model(tokens.to(device), batch_lengths)
            if not isinstance(output, Tensor) or output.shape != (len(batch),):
                got = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
                raise ValueError(f"expected the model to return logits of shape (B,) = ({len(batch)},), "
                                 f"got {got}: return one logit per text (logits.squeeze(-1))")
            logits[batch] = output.float().cpu()
    return logits


UNK_SAMPLE = 200  # texts read to check that the vocabulary and the tokenizer match


def predict(
    model: nn.Module,
    texts: Iterable[str] | str,
    vocab: Vocab,
    tokenize: Callable[[str], list[str]],
    *,
    max_len: int | None = None,
    batch_size: int = 64,
    max_tokens: int = 32_768,
    chunk_size: int = 4096,
) -> Prediction:
    """Classify new texts in batches of at most ``batch_size`` texts and ``max_tokens`` padded tokens.

    Memory stays bounded: texts are read ``chunk_size`` at a time, and a batch holding a very
    long text holds fewer texts.

    ``texts``: any iterable of strings (a list, a pandas Series, a generator), or one string. Each
    is encoded like the training data (:class:`~utils.text.TextDataset`, first ``max_len`` tokens;
    an empty text becomes one ``<unk>``). No texts gives an empty :class:`Prediction`. The model
    runs in ``eval()`` mode and is put back in the mode it was in.
    """
    if max_len is not None:
        max_len = check_int(max_len, "max_len (or None)", minimum=1)
    sizes = {"batch_size": batch_size, "max_tokens": max_tokens, "chunk_size": chunk_size}
    batch_size, max_tokens, chunk_size = (check_int(value, name, minimum=1) for name, value in sizes.items())
    device, was_training = model_device(model), model.training
    _check_vocab_fits(model, vocab)
    stream, chunks = _texts(texts), [torch.empty(0)]
    model.eval()
    try:
        with threads_for_model(model):
            while chunk := list(itertools.islice(stream, chunk_size)):
                if len(chunks) == 1:  # the first chunk: do the vocabulary and the tokenizer belong together?
                    mismatch = tokenizer_mismatch(vocab, tokenize, chunk[:UNK_SAMPLE], min_tokens=20)
                    if mismatch:
                        warnings.warn(f"predict: {mismatch}", UserWarning, stacklevel=2)  # at the caller
                unlabelled = [0] * len(chunk)  # pragma: no mutate (TextDataset wants labels; none are read)
                data = TextDataset(chunk, unlabelled, vocab, tokenize, max_len=max_len)
                chunks.append(
                    _predict_chunk(model, data, batch_size=batch_size, max_tokens=max_tokens, device=device)
                )
    finally:
        model.train(was_training)
    logits = torch.cat(chunks)  # (N,)
    return Prediction(torch.sigmoid(logits).tolist(), predicted_labels(logits).long().tolist())
