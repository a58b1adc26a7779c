"""The sentiment experiments of chapter 11 and ``benchmarks/sentiment_accuracy.py``, in one place
so that the chapter and the benchmark train exactly the same models on exactly the same split."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader

from utils.data import Corpus
from utils.embeddings import embedding_matrix, load_glove_or_offline
from utils.models import CharSeedModel, ClassifierConfig, LSTMClassifier
from utils.sequences import BucketBatchSampler, collate_padded
from utils.text import TextDataset, Vocab, char_tokenize, word_tokenize
from utils.training import History, evaluate, fit

FIXED_CHARS = 200  # the source pads or truncates every tweet to 200 characters


@dataclass
class Loaders:
    train: DataLoader
    valid: DataLoader
    test: DataLoader


def make_loaders(
    corpus: Corpus,
    vocab: Vocab,
    tokenize: Callable[[str], list[str]],
    *,
    max_len: int,
    batch_size: int,
    fixed_length: bool = False,
    limit: int | None = None,
    seed: int = 0,
) -> Loaders:
    """Train/valid/test loaders. ``fixed_length``: pad every batch to ``max_len`` in random order
    (the source's setup); otherwise bucketed batches padded to their own longest text."""
    collate = functools.partial(
        collate_padded, pad_value=vocab.pad_id, pad_to=max_len if fixed_length else None
    )

    def loader(split, shuffle: bool) -> DataLoader:
        data = TextDataset(split.texts[:limit], split.labels[:limit], vocab, tokenize, max_len=max_len)
        if fixed_length:
            generator = torch.Generator().manual_seed(seed)
            return DataLoader(
                data, batch_size=batch_size, shuffle=shuffle, collate_fn=collate, generator=generator
            )
        sampler = BucketBatchSampler(data.lengths(), batch_size, seed=seed, shuffle=shuffle)
        return DataLoader(data, batch_sampler=sampler, collate_fn=collate)

    return Loaders(loader(corpus.train, True), loader(corpus.valid, False), loader(corpus.test, False))


def char_vocab(corpus: Corpus) -> Vocab:
    return Vocab.build(char_tokenize(text) for text in corpus.train.texts)


def train_and_test(
    model: nn.Module,
    loaders: Loaders,
    *,
    epochs: int,
    lr: float = 1e-3,
    patience: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> tuple[History, float]:
    """``fit`` on train (best epoch chosen on valid), then the test accuracy, measured once."""
    torch.manual_seed(seed)
    history = fit(
        model, loaders.train, loaders.valid, epochs=epochs, lr=lr, patience=patience, progress=progress
    )
    return history, evaluate(model, loaders.test)[1]


def seed_char_experiment(corpus: Corpus, *, epochs: int, limit: int | None = None, progress: bool = True):
    """The source's model: characters padded to 200, LSTM(16, 1), output at the last step, batch 32."""
    vocab = char_vocab(corpus)
    loaders = make_loaders(
        corpus, vocab, char_tokenize, max_len=FIXED_CHARS, batch_size=32, fixed_length=True, limit=limit
    )
    torch.manual_seed(0)
    return train_and_test(CharSeedModel(len(vocab)), loaders, epochs=epochs, progress=progress)


def char_config(vocab: Vocab, *, hidden_size: int, bidirectional: bool, packed: bool) -> ClassifierConfig:
    return ClassifierConfig(
        vocab_size=len(vocab),
        embed_dim=16,
        hidden_size=hidden_size,
        num_layers=1,
        bidirectional=bidirectional,
        dropout=0.0,
        pad_id=vocab.pad_id,
        packed=packed,
    )


def char_experiment(
    corpus: Corpus,
    *,
    hidden_size: int,
    bidirectional: bool,
    packed: bool,
    epochs: int,
    limit: int | None = None,
    progress: bool = True,
):
    """An improved character model: ``hidden_size`` units, optionally bidirectional and packed."""
    vocab = char_vocab(corpus)
    loaders = make_loaders(
        corpus, vocab, char_tokenize, max_len=FIXED_CHARS, batch_size=32, fixed_length=not packed, limit=limit
    )
    torch.manual_seed(0)
    model = LSTMClassifier(
        char_config(vocab, hidden_size=hidden_size, bidirectional=bidirectional, packed=packed)
    )
    return train_and_test(model, loaders, epochs=epochs, progress=progress)


def glove_bilstm_experiment(
    corpus: Corpus, *, epochs: int, hidden_size: int = 256, limit: int | None = None, progress: bool = True
):
    """Chapter 12's model and protocol: words, 10,000-word vocabulary, GloVe, 2-layer BiLSTM(256),
    batch 30, the best validation epoch kept, early stopping after 3 epochs without improvement."""
    vocab = Vocab.build((word_tokenize(t) for t in corpus.train.texts[:limit]), max_size=10_000)
    glove = load_glove_or_offline(100)
    matrix, _ = embedding_matrix(vocab, glove)
    loaders = make_loaders(corpus, vocab, word_tokenize, max_len=500, batch_size=30, limit=limit)
    torch.manual_seed(0)
    model = LSTMClassifier(
        ClassifierConfig(
            vocab_size=len(vocab),
            embed_dim=glove.dim,
            hidden_size=hidden_size,
            num_layers=2,
            bidirectional=True,
            dropout=0.5,
            pad_id=vocab.pad_id,
        )
    )
    with torch.no_grad():
        model.embedding.weight.copy_(torch.from_numpy(matrix))
    return train_and_test(model, loaders, epochs=epochs, patience=3, progress=progress)
