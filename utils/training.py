"""Training, evaluation, prediction and checkpoints for the classifiers (chapters 11 and 12)."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from utils.models import ClassifierConfig, LSTMClassifier
from utils.text import Vocab

CHECKPOINT_FORMAT = 1


def pick_device() -> torch.device:
    """CUDA if a GPU is available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def accuracy(logits: Tensor, labels: Tensor) -> float:
    """Share of correct predictions; a logit > 0 means probability > 0.5, i.e. positive."""
    return ((logits > 0).float() == labels).float().mean().item()


@dataclass
class History:
    """Per-epoch metrics of :func:`fit`; ``best_epoch`` is the one whose weights were kept."""

    rows: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0

    def column(self, name: str) -> list[float]:
        return [row[name] for row in self.rows]


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: DataLoader, *, device: torch.device | None = None
) -> tuple[float, float]:
    """Mean loss and accuracy over a loader of ``(tokens, lengths, labels)`` batches."""
    device = device or next(model.parameters()).device
    model.eval()
    loss_fn = nn.BCEWithLogitsLoss(reduction="sum")
    total_loss, correct, count = 0.0, 0.0, 0
    for tokens, lengths, labels in loader:
        logits = model(tokens.to(device), lengths)
        labels = labels.to(device)
        total_loss += loss_fn(logits, labels).item()
        correct += ((logits > 0).float() == labels).sum().item()
        count += len(labels)
    return total_loss / count, correct / count


def fit(
    model: nn.Module,
    train_loader: DataLoader,
    valid_loader: DataLoader,
    *,
    epochs: int,
    lr: float = 1e-3,
    clip: float | None = 1.0,
    patience: int | None = None,
    device: torch.device | None = None,
    progress: bool = True,
) -> History:
    """Train with Adam and ``BCEWithLogitsLoss``; keep the weights of the best validation epoch.

    Args:
        clip: clip the gradient norm to this value (chapter 6), or ``None``.
        patience: stop after this many epochs without a better validation accuracy.
        progress: show ``tqdm`` progress bars.
    Returns:
        the :class:`History`; the model is left holding the best epoch's weights.
    """
    device = device or next(model.parameters()).device
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    history, best_state, best_acc, waited = History(), None, -1.0, 0
    for epoch in tqdm(range(1, epochs + 1), desc="epochs", disable=not progress):
        model.train()
        start, seen, loss_sum, correct = time.perf_counter(), 0, 0.0, 0.0
        for tokens, lengths, labels in tqdm(
            train_loader, desc=f"epoch {epoch}", leave=False, disable=not progress
        ):
            tokens, labels = tokens.to(device), labels.to(device)
            logits = model(tokens, lengths)
            loss = loss_fn(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            loss_sum += loss.item() * len(labels)
            correct += ((logits.detach() > 0).float() == labels).sum().item()
            seen += len(labels)
        valid_loss, valid_acc = evaluate(model, valid_loader, device=device)
        history.rows.append(
            {
                "epoch": epoch,
                "train_loss": loss_sum / seen,
                "train_acc": correct / seen,
                "valid_loss": valid_loss,
                "valid_acc": valid_acc,
                "seconds": time.perf_counter() - start,
            }
        )
        if valid_acc > best_acc:
            best_acc, best_state, history.best_epoch, waited = (
                valid_acc,
                copy.deepcopy(model.state_dict()),
                epoch,
                0,
            )
        else:
            waited += 1
            if patience is not None and waited >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@torch.no_grad()
def predict(
    model: nn.Module,
    texts: Sequence[str],
    vocab: Vocab,
    tokenize: Callable[[str], list[str]],
    *,
    max_len: int | None = None,
) -> tuple[list[float], list[int]]:
    """Probability of "positive" and the 0/1 label for each text.

    Texts are tokenized and encoded like the training data and truncated to their first
    ``max_len`` tokens. An empty or whitespace-only text, or one of only unknown words, is
    still classified (as a single ``<unk>`` or a run of them). A non-string raises ``TypeError``.
    """
    if isinstance(texts, str):
        texts = [texts]
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"predict expects strings, got {type(text).__name__}: {text!r:.60}")
    device = next(model.parameters()).device
    model.eval()
    encoded = [vocab.encode(tokenize(text))[:max_len] or [vocab.unk_id] for text in texts]
    lengths = torch.tensor([len(ids) for ids in encoded])
    tokens = torch.full((len(encoded), int(lengths.max())), vocab.pad_id, dtype=torch.long)
    for row, ids in enumerate(encoded):
        tokens[row, : len(ids)] = torch.tensor(ids)
    probabilities = torch.sigmoid(model(tokens.to(device), lengths)).tolist()
    return probabilities, [int(p > 0.5) for p in probabilities]


def save_checkpoint(path: str | Path, model: LSTMClassifier, vocab: Vocab) -> None:
    """Save the weights, the vocabulary and the model configuration in one file."""
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "state_dict": model.state_dict(),
            "vocab": vocab.itos,
            "config": model.config.as_dict(),
        },
        path,
    )


def load_checkpoint(
    path: str | Path, *, vocab: Vocab | None = None, config: ClassifierConfig | None = None
) -> tuple[LSTMClassifier, Vocab]:
    """Load with ``weights_only=True`` (no code runs from the file) and rebuild the model.

    If ``vocab`` or ``config`` is given, refuse a checkpoint that was trained with another one:
    token ids would silently mean different words.
    """
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(saved, dict) or saved.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(
            f"{path} is not a checkpoint written by save_checkpoint (format {CHECKPOINT_FORMAT})"
        )
    saved_vocab, saved_config = Vocab(saved["vocab"]), ClassifierConfig(**saved["config"])
    if vocab is not None and vocab != saved_vocab:
        raise ValueError(
            f"{path} was trained with a different vocabulary ({len(saved_vocab)} tokens, "
            f"yours has {len(vocab)}); "
            "use the vocabulary saved in the checkpoint (load without vocab=) or retrain"
        )
    if config is not None and config != saved_config:
        changed = {k: (v, saved["config"][k]) for k, v in config.as_dict().items() if saved["config"][k] != v}
        raise ValueError(f"{path} was trained with another configuration (yours, saved): {changed}")
    model = LSTMClassifier(saved_config)
    model.load_state_dict(saved["state_dict"])
    return model, saved_vocab
