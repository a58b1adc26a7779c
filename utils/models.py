"""Sentiment classifiers built on ``nn.LSTM`` (chapters 9, 11 and 12).

``LSTMClassifier`` is the model of the IMDB chapter: embedding -> (bidirectional) LSTM ->
the last layer's final states -> dropout -> one logit. ``ClassifierConfig.strategy`` says how
the LSTM reads a right-padded batch (chapter 9 measures all three):

- ``"exact"`` (default): :func:`~utils.varlen.exact_lstm`, every sequence's final states taken
  at its own last token, the same results as packing at the speed of padded input;
- ``"packed"``: ``pack_padded_sequence``, the same results, slow on a CPU;
- ``"padded"``: the LSTM reads the padding too, as the classic tutorial does, so the final
  states come after the padding steps.

All three use the same plain ``nn.LSTM``, so one ``state_dict`` loads into any of them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sized
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from utils.checks import check_has_values, check_int
from utils.sequences import pack
from utils.varlen import exact_lstm

STRATEGIES = ("exact", "packed", "padded")


@dataclass(frozen=True, kw_only=True)
class ClassifierConfig:
    """Hyperparameters of :class:`LSTMClassifier` (defaults: the IMDB model of chapter 12)."""

    vocab_size: int
    embed_dim: int = 100
    hidden_size: int = 256
    num_layers: int = 2
    bidirectional: bool = True
    dropout: float = 0.5  # between LSTM layers and before the output layer
    pad_id: int = 0
    strategy: str = "exact"  # how the LSTM reads padded batches: one of STRATEGIES

    def __post_init__(self) -> None:
        for name in ("vocab_size", "embed_dim", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"expected {name} to be a positive int, got {value!r}")
            object.__setattr__(self, name, int(value))  # plain ints: NumPy's would not save as JSON
        pad_id = self.pad_id
        if (isinstance(pad_id, bool) or not isinstance(pad_id, numbers.Integral)
                or not 0 <= pad_id < self.vocab_size):
            raise ValueError(f"expected pad_id to be an int in [0, vocab_size), got {self.pad_id!r}")
        object.__setattr__(self, "pad_id", int(pad_id))
        if not isinstance(self.bidirectional, bool):
            raise TypeError(f"expected bidirectional to be True or False, got {self.bidirectional!r}")
        object.__setattr__(self, "dropout", check_dropout(self.dropout, upper="1)"))
        if not isinstance(self.strategy, str) or self.strategy not in STRATEGIES:
            raise ValueError(
                f"expected strategy to be one of {', '.join(map(repr, STRATEGIES))}, got {self.strategy!r}"
            )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_dropout(dropout: object, *, upper: str = "1]") -> float:
    """``dropout`` as a float in [0, 1) (``upper="1)"``) or [0, 1]; a bool or NaN is refused."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
        raise TypeError(f"expected dropout to be a probability such as 0.5, got {dropout!r}")
    dropout = float(dropout)
    if not (0.0 <= dropout < 1.0 or (upper == "1]" and dropout == 1.0)):
        raise ValueError(f"expected dropout in [0, {upper}, got {dropout}")
    return float(dropout)


def check_tokens(tokens: object, vocab_size: int) -> None:
    """Refuse token ids an embedding of ``vocab_size`` rows cannot look up, naming the fix."""
    if not isinstance(tokens, Tensor) or tokens.dim() != 2:
        got = tuple(tokens.shape) if isinstance(tokens, Tensor) else type(tokens).__name__
        raise ValueError(f"expected tokens of shape (batch, seq_len), got {got}")
    check_int(vocab_size, "vocab_size", minimum=1)
    check_has_values(tokens, "tokens")
    if tokens.shape[1] == 0:
        raise ValueError("expected at least one token per sequence, got tokens of shape "
                         f"{tuple(tokens.shape)}: "
                         "give an empty text one <unk> token (or drop it)")
    if tokens.dtype not in (torch.long, torch.int):  # what nn.Embedding looks up
        raise TypeError(f"expected integer token ids (torch.long), got {tokens.dtype}: use tokens.long()")
    if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= vocab_size):
        raise ValueError(
            f"token ids must be in [0, {vocab_size}) for this model's embedding, got ids from "
            f"{int(tokens.min())} to {int(tokens.max())}: encode with the vocabulary the model was built for"
        )


class LSTMClassifier(nn.Module):
    """tokens (batch, seq_len) and lengths (batch,) -> one logit per sequence (batch,)."""

    def __init__(self, config: ClassifierConfig) -> None:
        if not isinstance(config, ClassifierConfig):
            raise TypeError(
                f"LSTMClassifier needs a ClassifierConfig, got {type(config).__name__}: "
                "LSTMClassifier(ClassifierConfig(vocab_size=len(vocab), ...))"
            )
        super().__init__()
        self.config = config
        c = config
        self.embedding = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=c.pad_id)
        self.lstm = nn.LSTM(
            c.embed_dim,
            c.hidden_size,
            num_layers=c.num_layers,
            bidirectional=c.bidirectional,
            dropout=c.dropout if c.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.dropout = nn.Dropout(c.dropout)
        self.output = nn.Linear(c.hidden_size * (2 if c.bidirectional else 1), 1)

    def final_states(self, embedded: Tensor, lengths: Tensor | None) -> Tensor:
        """embedded (B, T, E) -> h_n (num_layers * directions, B, H), read as ``strategy`` says."""
        strategy = self.config.strategy
        if strategy == "padded":
            _, (h_n, _) = self.lstm(embedded)  # final states after the padding, as in the source
            return h_n
        if lengths is None:
            raise ValueError(
                f"strategy {strategy!r} needs the lengths: call model(tokens, lengths), "
                "or build the model with strategy='padded' to read the padding"
            )
        if strategy == "packed":
            _, (h_n, _) = self.lstm(pack(embedded, lengths, batch_first=True))
            return h_n
        return exact_lstm(self.lstm, embedded, lengths).h_n

    def forward(self, tokens: Tensor, lengths: Tensor | None = None) -> Tensor:
        check_tokens(tokens, self.config.vocab_size)
        count = -1
        if isinstance(lengths, Tensor | Sized):
            count = lengths.numel() if isinstance(lengths, Tensor) else len(lengths)
        if tokens.dim() == 2 and count == tokens.shape[1] != tokens.shape[0]:
            raise ValueError(f"got tokens of shape {tuple(tokens.shape)} and {count} lengths: the tokens "
                             "look time-major (T, B); the model takes (B, T): pass tokens.T (or pad with "
                             "batch_first=True)")
        embedded = self.embedding(tokens)  # (B, T, E)
        h_n = self.final_states(embedded, lengths)  # (num_layers * dirs, B, H)
        # the last layer's forward (h_n[-2]) and backward (h_n[-1]) summaries
        summary = torch.cat([h_n[-2], h_n[-1]], dim=1) if self.config.bidirectional else h_n[-1]
        return self.output(self.dropout(summary)).squeeze(-1)  # (B,)


class CharSeedModel(nn.Module):
    """The character-level tweet classifier of the source material, reproduced as it was.

    Embedding(vocab_size, 16) -> LSTM(16, hidden_size=1, batch_first) -> the output at the
    **last time step** (for a right-padded batch usually a padding step, chapter 9) ->
    Linear(1, 1). It returns the logit; the source applied a sigmoid and ``BCELoss``, which is
    the same loss as ``BCEWithLogitsLoss`` on the logit, computed more stably.
    """

    def __init__(self, vocab_size: int, *, embed_dim: int = 16, hidden_size: int = 1) -> None:
        sizes = {"vocab_size": vocab_size, "embed_dim": embed_dim, "hidden_size": hidden_size}
        for name, value in sizes.items():
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"expected {name} to be a positive int, got {value!r}")
        vocab_size, embed_dim, hidden_size = int(vocab_size), int(embed_dim), int(hidden_size)
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embed_dim)  # no padding_idx, as in the source
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.output = nn.Linear(hidden_size, 1)

    def forward(self, tokens: Tensor, lengths: Tensor | None = None) -> Tensor:
        """tokens (batch, seq_len); ``lengths`` is accepted and ignored, as the source did."""
        check_tokens(tokens, self.vocab_size)
        outputs, _ = self.lstm(self.embedding(tokens))  # (B, T, H)
        return self.output(outputs[:, -1]).squeeze(-1)  # the last time step, padding or not
