"""Tokenizers, a vocabulary, padding and a Dataset for text (chapter 10, ``10_text_pipeline``).

This replaces the parts of the legacy torchtext API (``Field``, ``build_vocab``) that the
classic IMDB tutorial relies on; the appendix on legacy torchtext maps one to the other.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from utils.checks import check_bool, check_has_values, check_path, new_file_mode

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
PAD, UNK = "<pad>", "<unk>"
# a word (Unicode letters/digits, with an optional contraction like n't or 's), or one other
# non-space character (punctuation, a symbol, an emoji)
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"  # combining accents
_LETTERS = rf"(?:[^\W_][{_MARKS}]*)+"  # lowercasing "İ" leaves an accent no NFC form absorbs
_WORD = re.compile(rf"<(?:url|user)>|{_LETTERS}(?:'{_LETTERS})?|[^\w\s]|_")
# clitics split off the way GloVe's corpus was tokenized (Penn Treebank style)
CLITICS = ("n't", "'s", "'m", "'re", "'ve", "'ll", "'d")
_CLITIC = re.compile(r"^(.+?)(n't|'s|'m|'re|'ve|'ll|'d)$")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"expected text to be a str, got {type(text).__name__}: {text!r:.60}")
    return text


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_tokens(tokens: Iterable[object], where: str) -> list[str]:
    """The tokens as a list, or ``TypeError`` naming the first one that is not a string."""
    if isinstance(tokens, set | frozenset | dict):  # no order (a set), or the keys only (a dict)
        raise TypeError(f"{where} needs the tokens in text order as a list, got a {type(tokens).__name__}: "
                        "tokenize the text (word_tokenize(text))")
    tokens = list(tokens)
    bad = [t for t in tokens if not isinstance(t, str)][:1]
    if bad:
        raise TypeError(
            f"{where} needs tokens that are strings, got {type(bad[0]).__name__} {bad[0]!r:.40}: "
            "tokenize text with word_tokenize or char_tokenize (ids are decoded with vocab.decode)"
        )
    return tokens  # type: ignore[return-value]


def _token_lists(token_lists: object, where: str) -> Iterator[Iterable[str]]:
    """Iterate a list of token lists, refusing a string (or a list of strings) in its place."""
    fix = f"tokenize first: {where}([word_tokenize(t) for t in texts])"
    if isinstance(token_lists, str) or not isinstance(token_lists, Iterable):
        raise TypeError(f"{where} needs a list of token lists, got {type(token_lists).__name__}; {fix}")
    for tokens in token_lists:
        if isinstance(tokens, str) or not isinstance(tokens, Iterable):
            raise TypeError(f"{where} got {tokens!r:.40} where a list of tokens belongs; {fix}")
        yield tokens


def _check_ids(ids: object, where: str) -> list[int]:
    """Token ids as a list of Python ints: from a list or a 1-D integer tensor or array."""
    check_has_values(ids, "the ids")
    if isinstance(ids, torch.Tensor | np.ndarray):
        integer = (
            np.issubdtype(ids.dtype, np.integer) if isinstance(ids, np.ndarray)
            else not (ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool)
        )
        if ids.ndim != 1 or not integer:
            raise TypeError(f"{where} needs a 1-D sequence of integer ids, got shape {tuple(ids.shape)} "
                            f"and dtype {ids.dtype}: pass one row, e.g. batch[0]")
        return [int(i) for i in ids.tolist()]
    if isinstance(ids, str) or not isinstance(ids, Iterable):
        raise TypeError(f"{where} needs a list of integer ids, got {type(ids).__name__}")
    ids = list(ids)
    bad = next((i for i in ids if not _is_int(i)), None)
    if bad is not None:
        raise TypeError(f"{where} needs integer ids, got {type(bad).__name__} {bad!r:.40}: "
                        "ids come from vocab.encode; round or convert floats with int() first")
    return [int(i) for i in ids]


def char_tokenize(text: str) -> list[str]:
    """Every character is a token: ``"Hi!"`` -> ``["H", "i", "!"]``."""
    return list(_check_text(text))


def word_tokenize(text: str, *, split_clitics: bool = True) -> list[str]:
    """Lowercase words with punctuation and clitics split off; HTML line breaks (IMDB's
    ``<br />``) become spaces; the tweets' ``<url>`` and ``<user>`` placeholders stay whole.

    Clitics are split the way GloVe's corpus was tokenized (Penn Treebank style), so that their
    pretrained vectors apply: ``n't``, ``'s``, ``'m``, ``'re``, ``'ve``, ``'ll``, ``'d``
    (``"can't"`` -> ``"ca"``, ``"n't"``). A curly apostrophe counts as a straight one. Letters
    are Unicode letters, NFC-normalised first, so ``"Café"`` is one token ``"café"`` whether
    its accent was typed as one character or as ``e`` plus a combining accent.

    ``"I didn't like it!!"`` -> ``["i", "did", "n't", "like", "it", "!", "!"]``; with
    ``split_clitics=False``, ``["i", "didn't", "like", "it", "!", "!"]``.
    """
    split_clitics = check_bool(split_clitics, "split_clitics")
    text = _HTML_BREAK.sub(" ", _check_text(text)).lower().replace("\u2019", "'")
    tokens: list[str] = []
    for token in _WORD.findall(unicodedata.normalize("NFC", text)):
        match = _CLITIC.match(token) if split_clitics and "'" in token else None
        tokens.extend(match.groups() if match else (token,))
    return tokens


class Vocab:
    """Token <-> id mapping with ``<pad>`` = 0 and ``<unk>`` = 1.

    Build it from tokenized texts with :meth:`build`; unknown tokens encode to ``<unk>``.
    """

    pad_id = 0
    unk_id = 1

    def __init__(self, tokens: Sequence[str]) -> None:
        if isinstance(tokens, str) or not isinstance(tokens, Iterable):
            raise TypeError(f"a Vocab needs a list of token strings, got {type(tokens).__name__}: "
                            "use Vocab.build(token_lists) or Vocab([PAD, UNK, 'word', ...])")
        tokens = _check_tokens(tokens, "Vocab")
        if tokens[:2] != [PAD, UNK]:
            raise ValueError(f"a Vocab must start with {PAD!r} and {UNK!r}, got {tokens[:2]}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a Vocab's tokens must be unique")
        odd = _LONE_SURROGATE.search("".join(tokens))
        if odd:
            raise ValueError(f"a token holds the lone surrogate {odd.group()!r}, which no UTF-8 file can "
                             "store: its text was decoded with errors='surrogateescape'; read the file "
                             "with encoding='utf-8', errors='replace'")
        self.itos = tokens
        self.stoi = {token: index for index, token in enumerate(tokens)}

    @classmethod
    def build(
        cls, token_lists: Iterable[Sequence[str]], *, max_size: int | None = None, min_freq: int = 1
    ) -> Vocab:
        """Keep tokens seen at least ``min_freq`` times, the ``max_size`` most frequent of them
        (ties broken alphabetically, so the result is reproducible), after ``<pad>`` and ``<unk>``."""
        if max_size is not None and (not _is_int(max_size) or max_size < 0):
            raise ValueError(f"expected max_size >= 0 (an int) or None, got {max_size!r}")
        if not _is_int(min_freq) or min_freq < 1:
            raise ValueError(f"expected min_freq >= 1 (an int), got {min_freq!r}")
        counts: Counter[str] = Counter()
        lists = 0
        for lists, tokens in enumerate(_token_lists(token_lists, "Vocab.build"), start=1):  # noqa: B007
            try:
                counts.update(tokens)
            except TypeError:  # an unhashable token: a list nested one level too deep
                _check_tokens(tokens, "Vocab.build")
        _check_tokens(counts.keys(), "Vocab.build")  # each distinct token once: cheap even for IMDB
        if not lists and isinstance(token_lists, Iterator):
            raise ValueError("Vocab.build got an iterator that gave no token lists: a generator is used up "
                             "after one pass (an earlier run of this cell?); build from a list, or create "
                             "the generator again in the same cell")
        counts.pop(PAD, None)
        counts.pop(UNK, None)
        kept = sorted((t for t, n in counts.items() if n >= min_freq), key=lambda t: (-counts[t], t))
        return cls([PAD, UNK, *kept[:max_size]])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        if not isinstance(token, str):
            raise TypeError(f"a Vocab holds str tokens; ask about one token ('good' in vocab), got "
                            f"{type(token).__name__} {token!r:.40}")
        return token in self.stoi

    def __getitem__(self, token: object) -> int:
        raise TypeError("a Vocab is not indexed: vocab.encode([token])[0] gives a token's id (<unk>'s for an "
                        "unknown token), vocab.itos[i] the token of id i")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {self.itos[:6]}...)"

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token ids; unknown tokens, and a literal ``<pad>`` typed in a text, become ``<unk>``."""
        if isinstance(tokens, str) or not isinstance(tokens, Iterable):
            raise TypeError("Vocab.encode needs a list of tokens; tokenize the text first: "
                            "vocab.encode(word_tokenize(text))")
        tokens = _check_tokens(tokens, "Vocab.encode")
        return [self.unk_id if token == PAD else self.stoi.get(token, self.unk_id) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids``: a list of ints or a 1-D integer tensor/array, each in [0, len(vocab))."""
        ids = _check_ids(ids, "Vocab.decode")
        bad = next((i for i in ids if not 0 <= i < len(self.itos)), None)
        if bad is not None:
            raise ValueError(
                f"Vocab.decode got id {bad}, outside this vocabulary's range 0..{len(self.itos) - 1}: "
                "decode with the vocabulary the ids were encoded with"
            )
        return [self.itos[i] for i in ids]

    def unk_rate(self, token_lists: Iterable[Sequence[str]]) -> float:
        """Share of tokens that would encode to ``<unk>`` (token_lists: a list of token lists)."""
        total = unknown = 0
        for tokens in _token_lists(token_lists, "Vocab.unk_rate"):
            tokens = _check_tokens(tokens, "Vocab.unk_rate")
            total += len(tokens)
            unknown += sum(token not in self.stoi for token in tokens)
        if not total:
            raise ValueError("Vocab.unk_rate got no tokens, so the share of unknown ones is undefined: "
                             "pass token lists such as [word_tokenize(text) for text in texts]")
        return unknown / total

    def save(self, path: str | Path) -> None:
        """Write the tokens as JSON, atomically: a failed save leaves an existing file as it was."""
        path = check_path(path, writing=True)
        text = json.dumps({"tokens": self.itos}, ensure_ascii=False)  # fails before any file is touched
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.chmod(temporary, new_file_mode())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a file written by :meth:`save`; a damaged or hand-edited file gets a clear error."""
        path = check_path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            tokens = data["tokens"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, RecursionError) as error:
            raise ValueError(
                f"{path} is not a vocabulary written by Vocab.save ({type(error).__name__}: {error}); "
                "rebuild it with Vocab.build and save it again"
            ) from error
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError(f"{path}: 'tokens' must be a list of strings; rebuild the vocabulary")
        return cls(tokens)


MAX_PADDED_LENGTH = 10**7  # tokens in one padded text: a list of 80 MB


def pad_truncate(ids: Sequence[int], length: int, *, pad_id: int = 0) -> list[int]:
    """Keep the first ``length`` ids, or right-pad with ``pad_id`` up to ``length``."""
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= MAX_PADDED_LENGTH:
        raise ValueError(f"expected length to be an int from 1 to {MAX_PADDED_LENGTH:,}, got {length!r}")
    if not _is_int(pad_id):
        raise TypeError(f"expected pad_id to be an int, got {type(pad_id).__name__}: {pad_id!r}")
    if isinstance(ids, bytes | bytearray):
        raise TypeError("pad_truncate takes a list of ids, got bytes: decode and tokenize the text, "
                        "then vocab.encode")
    if isinstance(ids, torch.Tensor | np.ndarray):
        raise TypeError("pad_truncate takes a list of ids; for a tensor use ids.tolist(), or pad a batch "
                        "of tensors with utils.sequences.pad_batch")
    ids = _check_ids(ids, "pad_truncate")[:length]
    return ids + [pad_id] * (length - len(ids))


def tokenizer_mismatch(
    vocab: Vocab, tokenize: Callable[[str], list[str]], texts: Iterable[str], *, min_tokens: int = 1
) -> str | None:
    """Why ``vocab`` and ``tokenize`` do not belong together (a character vocabulary with
    word_tokenize, or the reverse), or None: more than half of the tokens of ``texts`` would be
    ``<unk>``, and a model would read nothing. Needs at least ``min_tokens`` tokens to judge."""
    token_lists = [tokenize(text) for text in texts]
    if sum(map(len, token_lists)) < max(min_tokens, 1):
        return None  # too little to judge (TextDataset gives an empty text one <unk>)
    share = vocab.unk_rate(token_lists)
    if share <= 0.5:
        return None
    return (f"{share:.0%} of the tokens are <unk> with this vocabulary: it was built with another "
            "tokenizer (use the tokenize function the vocabulary was built with, e.g. char_vocab with "
            "char_tokenize)")


def _missing(value: object) -> bool:
    """pandas' NA or NaT, a float NaN or None: a missing value from a table."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and math.isnan(value)


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
        if isinstance(texts, str) or isinstance(labels, str):
            raise TypeError("TextDataset needs a list of texts and a list of labels, not a single string")
        if not isinstance(vocab, Vocab):
            raise TypeError(f"expected vocab to be a Vocab, got {type(vocab).__name__}: use Vocab.build")
        if not callable(tokenize):
            raise TypeError(f"expected tokenize to be a function such as word_tokenize, got {tokenize!r}")
        texts, labels = list(texts), list(labels)  # by position: a pandas index is ignored
        bad_texts = [t for t in texts if not isinstance(t, str)][:1]  # [None] too: a missing text
        if bad_texts:
            bad_text = bad_texts[0]
            raise TypeError(f"every text must be a str, got {type(bad_text).__name__} {bad_text!r:.40}: "
                            "drop missing texts (NaN) or convert them with str()")
        if len(texts) != len(labels):
            raise ValueError(f"expected as many labels as texts, got {len(labels)} and {len(texts)}")
        if max_len is not None and (isinstance(max_len, bool) or not isinstance(max_len, numbers.Integral)
                                    or max_len < 1):
            raise ValueError(f"expected max_len to be an int >= 1 or None, got {max_len!r}")
        max_len = None if max_len is None else int(max_len)
        shaped = next((y for y in labels if getattr(y, "ndim", 0) != 0), None)
        if shaped is not None:
            raise ValueError(f"expected one label (0 or 1) per text, got labels of shape "
                             f"{tuple(getattr(shaped, 'shape', ()))} each: pass a column (df['label'], not "
                             "df[['label']]) or labels.ravel()")
        missing = [y for y in labels if _missing(y)]
        if missing:
            raise ValueError(f"a label is missing ({missing[0]!r}): drop the rows without a label "
                             "(df.dropna()) before building the dataset")
        bad = [y for y in labels if isinstance(y, bool | complex | np.complexfloating) or y not in (0, 1)]
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
        if isinstance(index, list | tuple | torch.Tensor | np.ndarray):
            raise TypeError("a TextDataset gives one item per index, got a list of indices: a "
                            "BucketBatchSampler yields whole batches, so pass it as DataLoader(..., "
                            "batch_sampler=sampler), not sampler=")
        if isinstance(index, slice):
            raise TypeError("a TextDataset gives one item per index, not a slice: for a part, use "
                            "torch.utils.data.Subset(dataset, range(a, b)) or build a TextDataset of "
                            "texts[a:b]")
        return self.encode(self.texts[index]), int(self.labels[index])

    def lengths(self) -> list[int]:
        """Encoded length of every item (for ``BucketBatchSampler``)."""
        return [len(self.encode(text)) for text in self.texts]
