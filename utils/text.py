"""Tokenizers, a vocabulary, padding and a Dataset for text (chapter 10, ``10_text_pipeline``).

This replaces the parts of the legacy torchtext API (``Field``, ``build_vocab``) that the
classic IMDB tutorial relies on; the appendix on legacy torchtext maps one to the other.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import torch
from torch.utils.data import Dataset

PAD, UNK = "<pad>", "<unk>"
# a word (Unicode letters/digits, with an optional contraction like n't or 's), or one other
# non-space character (punctuation, a symbol, an emoji)
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"  # combining accents
_LETTERS = rf"(?:[^\W_][{_MARKS}]*)+"  # lowercasing "İ" leaves an accent no NFC form absorbs
_WORD = re.compile(rf"{_LETTERS}(?:'{_LETTERS})?|[^\w\s]|_")
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

    Letters are Unicode letters, NFC-normalised first, so ``"Café"`` is one token ``"café"``
    whether its accent was typed as one character or as ``e`` plus a combining accent.

    ``"I didn't like it!!"`` -> ``["i", "didn't", "like", "it", "!", "!"]``
    """
    text = unicodedata.normalize("NFC", _HTML_BREAK.sub(" ", _check_text(text)).lower())
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
        if isinstance(token_lists, str):
            raise TypeError("Vocab.build needs a list of token lists; tokenize first: "
                            "Vocab.build([word_tokenize(t) for t in texts])")
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            if isinstance(tokens, str):
                raise TypeError(
                    f"Vocab.build got a string ({tokens!r:.40}) where a list of tokens belongs; "
                    "tokenize first: Vocab.build([word_tokenize(t) for t in texts])"
                )
            counts.update(tokens)
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
        """Token ids; unknown tokens, and a literal ``<pad>`` typed in a text, become ``<unk>``."""
        if isinstance(tokens, str):
            raise TypeError("Vocab.encode needs a list of tokens; tokenize the text first")
        return [self.unk_id if token == PAD else self.stoi.get(token, self.unk_id) for token in tokens]

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
        """Write the tokens as JSON, atomically: a failed save leaves an existing file as it was."""
        path = Path(path)
        text = json.dumps({"tokens": self.itos}, ensure_ascii=False)  # fails before any file is touched
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a file written by :meth:`save`; a damaged or hand-edited file gets a clear error."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            tokens = data["tokens"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as error:
            raise ValueError(
                f"{path} is not a vocabulary written by Vocab.save ({type(error).__name__}: {error}); "
                "rebuild it with Vocab.build and save it again"
            ) from error
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError(f"{path}: 'tokens' must be a list of strings; rebuild the vocabulary")
        return cls(tokens)


def pad_truncate(ids: Sequence[int], length: int, *, pad_id: int = 0) -> list[int]:
    """Keep the first ``length`` ids, or right-pad with ``pad_id`` up to ``length``."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"expected length to be an int >= 1, got {length!r}")
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
        texts, labels = list(texts), list(labels)  # by position: a pandas index is ignored
        if len(texts) != len(labels):
            raise ValueError(f"expected as many labels as texts, got {len(labels)} and {len(texts)}")
        if max_len is not None and (isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1):
            raise ValueError(f"expected max_len to be an int >= 1 or None, got {max_len!r}")
        bad = [y for y in labels if isinstance(y, bool) or y not in (0, 1)]
        if bad:
            raise ValueError(
                f"labels must be 0 (negative) or 1 (positive), got {bad[0]!r} among {len(bad)} bad labels"
            )
        self.texts, self.labels, self.vocab = texts, [int(y) for y in labels], vocab
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
