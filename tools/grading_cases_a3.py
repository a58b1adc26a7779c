"""The isolated grader's questions of A3: vocabulary, collate, the packed BiLSTM, training.

Question 4 is graded on weights, not on what the notebook printed: the grading process trains
the submission's model with its own functions for a fixed number of epochs on the grader's
training split; the weights and vocabulary come back here, are loaded into the reference model
and measured with the grader's pipeline and labels. CPU time is the grading process's, measured
by this process.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tools.grading_cases import A3_CPU_SECONDS, A3_EPOCHS, Case, Check, Question
from tools.grading_cases_torch import accuracy, build_vocab, collate, reference_from

WORDS = [
    "good",
    "bad",
    "flight",
    "late",
    "crew",
    "great",
    "delay",
    "!",
    "thanks",
    "never",
    "again",
    "seat",
    "fly",
]


def _equal(want: Any, what: str) -> Check:
    def check(got: Any, _: float) -> None:
        assert got == want, f"{what} should be {want!r}, got {got!r}"

    return check


def _collate_check(batch: list[tuple[list[int], int]], what: str) -> Check:
    ids, lengths, labels = collate(batch)

    def check(got: Any, _: float) -> None:
        assert isinstance(got, tuple) and len(got) == 3, (
            f"collate should return (ids, lengths, labels), got {got!r}"
        )
        for name, g, w in zip(("ids", "lengths", "labels"), got, (ids, lengths, labels), strict=False):
            assert isinstance(g, np.ndarray) and g.shape == tuple(w.shape), (
                f"{what}: {name} should be a tensor of shape {tuple(w.shape)}, got {getattr(g, 'shape', g)!r}"
            )
            assert np.array_equal(g, w.numpy()), f"{what}: {name} should be {w.tolist()}, got {g.tolist()}"

    return check


def _texts(rng: np.random.Generator, n: int) -> list[str]:
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(0, 8)))) for _ in range(n)]


def _q1(rng: np.random.Generator) -> list[Case]:
    texts = ["the cat sat", "The dog sat!", "a cat"]
    small = build_vocab(texts, 10)
    cases = [
        Case(
            "small corpus",
            False,
            "call",
            {"function": "build_vocab", "args": [texts, 10]},
            _equal(small, f"build_vocab({texts}, max_size=10)"),
        ),
        Case(
            "encode",
            False,
            "call",
            {"function": "encode", "args": ["The cat flew", small]},
            _equal([4, 2, 1], "encode('The cat flew', vocab)"),
        ),
        Case(
            "encode empty",
            False,
            "call",
            {"function": "encode", "args": ["", small]},
            _equal([1], "encode('', vocab)"),
        ),
    ]
    for k in range(3):
        corpus, size, freq = _texts(rng, 12), int(rng.integers(2, 10)), int(rng.integers(1, 4))
        vocab = build_vocab(corpus, size, freq)
        cases.append(
            Case(
                f"random corpus {k}",
                True,
                "call",
                {"function": "build_vocab", "args": [corpus, size], "kwargs": {"min_freq": freq}},
                _equal(vocab, f"build_vocab(a corpus, max_size={size}, min_freq={freq})"),
            )
        )
        text = _texts(rng, 1)[0] + " unseenword"
        want = [vocab.get(t, 1) for t in text.split()] or [1]
        cases.append(
            Case(
                f"random encode {k}",
                True,
                "call",
                {"function": "encode", "args": [text, vocab]},
                _equal(want, f"encode({text!r}, vocab)"),
            )
        )
    return cases


def _q2(rng: np.random.Generator) -> list[Case]:
    public = [([5, 6, 7], 1), ([8], 0), ([9, 4], 1)]
    cases = [
        Case(
            "pads and keeps lengths",
            False,
            "call",
            {"function": "collate", "args": [public]},
            _collate_check(public, "collate(3 sequences)"),
        )
    ]
    batches = [[([3, 3], 0), ([2, 2], 1)], [([7], 1)]]
    batches += [
        [
            ([int(v) for v in rng.integers(1, 50, size=int(rng.integers(1, 9)))], int(rng.integers(0, 2)))
            for _ in range(int(rng.integers(1, 7)))
        ]
        for _ in range(3)
    ]
    cases += [
        Case(
            f"batch {k}",
            True,
            "call",
            {"function": "collate", "args": [batch]},
            _collate_check(batch, f"collate(batch {k})"),
        )
        for k, batch in enumerate(batches)
    ]
    return cases


def _classifier_check(public: bool, what: str) -> Check:
    def check(got: Any, _: float) -> None:
        logits, padded = got["logits"], got["padded"]
        assert isinstance(logits, np.ndarray) and logits.ndim == 1, (
            f"{what}: forward should return (B,) logits"
        )
        assert float(np.max(np.abs(logits - padded))) < 1e-5, (
            f"{what}: extra padding changed the logits: pack the sequence so that the LSTM stops at each end"
        )
        if public:
            return
        model = reference_from(got["state"])
        ids, lengths = torch.tensor(got["ids"]), torch.tensor(got["lengths"])
        with torch.no_grad():
            want = model(ids, lengths).numpy()
        err = float(np.max(np.abs(want - logits)))
        assert err < 1e-5, (
            f"{what}: your weights in the question's model (embedding -> packed bidirectional "
            f"LSTM -> cat(h_n[-2], h_n[-1]) -> output) give other logits (difference {err:.2e})"
        )

    return check


def _q3(rng: np.random.Generator) -> list[Case]:
    ids = [[5, 6, 7, 8], [9, 10, 0, 0], [11, 0, 0, 0]]
    public = {
        "seed": 0,
        "vocab_size": 50,
        "embed_dim": 8,
        "hidden_size": 6,
        "ids": ids,
        "lengths": [4, 2, 1],
        "extra": 5,
    }
    cases = [
        Case(
            "padding does not change the logits",
            False,
            "classifier",
            public,
            _classifier_check(True, "public"),
        )
    ]
    for k in range(2):
        b, t = int(rng.integers(2, 6)), int(rng.integers(3, 9))
        lengths = [t] + [int(v) for v in rng.integers(1, t + 1, size=b - 1)]
        batch = [[int(v) for v in rng.integers(2, 40, size=n)] + [0] * (t - n) for n in lengths]
        payload = {
            "seed": int(rng.integers(1 << 30)),
            "vocab_size": 40,
            "embed_dim": int(rng.integers(3, 9)),
            "hidden_size": int(rng.integers(2, 7)),
            "ids": batch,
            "lengths": lengths,
            "extra": 4,
        }

        def check(got: Any, cpu: float, payload: dict[str, Any] = payload, k: int = k) -> None:
            _classifier_check(False, f"model {k}")(
                {**got, "ids": payload["ids"], "lengths": payload["lengths"]}, cpu
            )

        cases.append(Case(f"the question's model {k}", True, "classifier", payload, check))
    return cases


def _q4(seed: int) -> list[Case]:
    from utils.data import load_tweets

    corpus = load_tweets() if seed == 0 else load_tweets(seed=seed)
    payload = {
        "texts": list(corpus.train.texts),
        "labels": [int(y) for y in corpus.train.labels],
        "seed": seed,
        "max_size": 20_000,
        "epochs": A3_EPOCHS,
        "lr": 0.002,
    }

    def measured(split: Any, threshold: float, what: str) -> Check:
        def check(got: Any, _: float) -> None:
            model = reference_from(got["state"])
            acc = accuracy(model, got["vocab"], list(split.texts), [int(y) for y in split.labels])
            print(f"a3_sentiment q4: {what} accuracy {acc:.4f} (at least {threshold})")
            assert acc >= threshold, f"{what} accuracy should be at least {threshold}, got {acc:.4f}"

        return check

    def cpu_time(got: Any, cpu: float) -> None:
        print(f"a3_sentiment q4: trained in {cpu:.0f} CPU-seconds")
        assert cpu <= A3_CPU_SECONDS, (
            f"training should take at most {A3_CPU_SECONDS} CPU-seconds, took {cpu:.0f}"
        )

    return [
        Case("validation accuracy", False, "train", payload, measured(corpus.valid, 0.84, "validation")),
        Case("CPU time", False, "", {"from": "validation accuracy"}, cpu_time),
        Case("test accuracy", True, "", {"from": "validation accuracy"}, measured(corpus.test, 0.83, "test")),
    ]


def a3(seed: int) -> list[Question]:
    rng = np.random.default_rng([seed, 3])
    from utils.text import _CLITIC, _HTML_BREAK, _WORD

    guards = {"tokenizer": [[p.pattern, p.flags] for p in (_WORD, _HTML_BREAK, _CLITIC)]}
    allowed = {"torch", "numpy", "collections", "time"}
    return [
        Question("q1", 2, allowed, _q1(rng), guards, 60),
        Question("q2", 2, allowed, _q2(rng), guards, 60),
        Question("q3", 3, allowed, _q3(rng), guards, 90),
        Question("q4", 3, allowed, _q4(seed), guards, 900),
    ]
