"""Tokenizers, a vocabulary, padding and a Dataset for text (chapter 10, ``10_text_pipeline``).

This replaces the parts of the legacy torchtext API (``Field``, ``build_vocab``) that the
classic IMDB tutorial relies on; the appendix on legacy torchtext maps one to the other.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import torch
from torch.utils.data import Dataset

PAD, UNK = "<pad>", "<unk>"
# a word (letters/digits, with an optional contraction like n't or 's) or one punctuation character
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"expected text to be a str, got {type(text).__name__}: {text!r:.60}")
    return text


def char_tokenize(text: str) -> list[str]:
    """Every character is a token: ``"Hi!"`` -> ``["H", "i", "!"]``."""
    return list(_check_text(text))


def word_tokenize(text: str) -> list[str]:
    """Lowercase words with punctuation split off; HTML line breaks (IMDB's ``<br />``) become spaces.

    ``"I didn't like it!!"`` -> ``["i", "didn't", "like", "it", "!", "!"]``
    """
    text = _HTML_BREAK.sub(" ", _check_text(text)).lower()
    return _WORD.findall(text)


class Vocab:
    """Token <-> id mapping with ``<pad>`` = 0 and ``<unk>`` = 1.

    Build it from tokenized texts with :meth:`build`; unknown tokens encode to ``<unk>``.
    """

    pad_id = 0
    unk_id = 1

    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if tokens[:2] != [PAD, UNK]:
            raise ValueError(f"a Vocab must start with {PAD!r} and {UNK!r}, got {tokens[:2]}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a Vocab's tokens must be unique")
        self.itos = tokens
        self.stoi = {token: index for index, token in enumerate(tokens)}

    @classmethod
    def build(
        cls, token_lists: Iterable[Sequence[str]], *, max_size: int | None = None, min_freq: int = 1
    ) -> Vocab:
        """Keep tokens seen at least ``min_freq`` times, the ``max_size`` most frequent of them
        (ties broken alphabetically, so the result is reproducible), after ``<pad>`` and ``<unk>``."""
        if max_size is not None and max_size < 0:
            raise ValueError(f"expected max_size >= 0 or None, got {max_size}")
        if min_freq < 1:
            raise ValueError(f"expected min_freq >= 1, got {min_freq}")
        counts = Counter(token for tokens in token_lists for token in tokens)
        counts.pop(PAD, None)
        counts.pop(UNK, None)
        kept = sorted((t for t, n in counts.items() if n >= min_freq), key=lambda t: (-counts[t], t))
        return cls([PAD, UNK, *kept[:max_size]])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {self.itos[:6]}...)"

    def encode(self, tokens: Sequence[str]) -> list[int]:
        return [self.stoi.get(token, self.unk_id) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[int(i)] for i in ids]

    def unk_rate(self, token_lists: Iterable[Sequence[str]]) -> float:
        """Share of tokens that would encode to ``<unk>``."""
        total = unknown = 0
        for tokens in token_lists:
            total += len(tokens)
            unknown += sum(token not in self.stoi for token in tokens)
        return unknown / total if total else 0.0

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"tokens": self.itos}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        return cls(json.loads(Path(path).read_text(encoding="utf-8"))["tokens"])


def pad_truncate(ids: Sequence[int], length: int, *, pad_id: int = 0) -> list[int]:
    """Keep the first ``length`` ids, or right-pad with ``pad_id`` up to ``length``."""
    if length < 1:
        raise ValueError(f"expected length >= 1, got {length}")
    ids = list(ids)[:length]
    return ids + [pad_id] * (length - len(ids))


class TextDataset(Dataset):
    """``(token ids, label)`` pairs, tokenized and encoded on access.

    Texts longer than ``max_len`` tokens keep their first ``max_len``. A text with no tokens
    (empty or whitespace) becomes the single token ``<unk>`` so every sequence has length >= 1.
    """

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[int],
        vocab: Vocab,
        tokenize: Callable[[str], list[str]],
        *,
        max_len: int | None = None,
    ) -> None:
        if len(texts) != len(labels):
            raise ValueError(f"expected as many labels as texts, got {len(labels)} and {len(texts)}")
        self.texts, self.labels, self.vocab = texts, labels, vocab
        self.tokenize, self.max_len = tokenize, max_len

    def __len__(self) -> int:
        return len(self.texts)

    def encode(self, text: str) -> torch.Tensor:
        ids = self.vocab.encode(self.tokenize(text))[: self.max_len] or [self.vocab.unk_id]
        return torch.tensor(ids, dtype=torch.long)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.encode(self.texts[index]), int(self.labels[index])

    def lengths(self) -> list[int]:
        """Encoded length of every item (for ``BucketBatchSampler``)."""
        return [len(self.encode(text)) for text in self.texts]
