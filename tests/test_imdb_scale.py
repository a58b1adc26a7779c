"""benchmarks/imdb_scale.py: the synthetic reviews have IMDB's shape and go through chapter 12's pipeline."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from utils.text import Vocab, word_tokenize

PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "imdb_scale.py"
spec = importlib.util.spec_from_file_location("imdb_scale", PATH)
imdb_scale = sys.modules["imdb_scale"] = importlib.util.module_from_spec(spec)  # dataclasses need it there
spec.loader.exec_module(imdb_scale)


@pytest.fixture(scope="module")
def reviews():
    return imdb_scale.synthetic_reviews(4000, seed=3)


def test_reviews_have_imdbs_length_distribution_and_balanced_labels(reviews):
    lengths = np.array([len(word_tokenize(text)) for text in reviews.texts])
    assert 160 <= np.median(lengths) <= 190  # IMDB: median 174 words
    assert 210 <= lengths.mean() <= 255  # IMDB: mean about 230
    assert lengths.min() >= 10 and lengths.max() <= 2500
    assert 0.05 <= (lengths > imdb_scale.MAX_LEN).mean() <= 0.15  # the share chapter 12 truncates
    assert sorted(set(reviews.labels)) == [0, 1] and sum(reviews.labels) == 2000


def test_vocabulary_and_loader_follow_chapter_12(reviews):
    vocab = Vocab.build((word_tokenize(text) for text in reviews.texts), max_size=imdb_scale.VOCAB_SIZE)
    assert len(vocab) == 10_002  # 12,000 word types, the 10,000 most frequent kept
    assert 0.005 < vocab.unk_rate(word_tokenize(text) for text in reviews.texts[:200]) < 0.1
    batches = list(imdb_scale.make_loader(reviews, vocab, shuffle=True))
    assert len(batches) == 134 and sum(len(labels) for _, _, labels in batches) == 4000
    assert max(tokens.shape[1] for tokens, _, _ in batches) == imdb_scale.MAX_LEN
    assert all(tokens.shape[0] <= imdb_scale.BATCH_SIZE for tokens, _, _ in batches)


def test_quick_run_prints_its_figures(capsys):
    threads = torch.get_num_threads()
    try:
        figures = imdb_scale.main(["--quick"])  # sets one thread
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("RESULT peak_rss_gb=") and "predict on 300 test reviews" in out[-2]
    assert set(figures) == {"peak_rss_gb", "exact_s_per_epoch", "packed_s_per_epoch", "predict_texts_per_s"}
    assert all(value > 0 for value in figures.values()) and figures["peak_rss_gb"] < 4
