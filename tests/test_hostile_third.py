"""Inputs a third hostile-input audit found mishandled: silent answers, lost data, slow paths and
errors from deep inside a library. Each family is generated where it can be (hypothesis), and
each error must come from a check in ``utils/`` (``raised_on_purpose``), so removing the check
fails the test."""

from __future__ import annotations

import functools
import io
import re
import tarfile
import time

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import raised_on_purpose
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader

from utils import (
    baseline,
    diagrams,
    download,
    grading,
    lstm_numpy,
    memory_task,
    parallel,
    plots,
    records,
    scalar_lstm,
    sentiment,
    sequences,
    text,
    timing,
    training,
)
from utils.checks import check_bool, check_seed
from utils.data import Corpus, Split, _without_trailing_tags, deduplicate, tweet_key
from utils.models import ClassifierConfig, LSTMClassifier
from utils.sequences import collate_padded

NOT_BOOLS = st.one_of(st.sampled_from(["False", "no", "", "True", None, 0, 1, 2.0, [True]]), st.text(max_size=3))

# --- flags and seeds: one check each, where they enter ----------------------------------------


@given(NOT_BOOLS)
def test_flags_are_true_or_false_nothing_that_merely_looks_like_one(flag):
    raised_on_purpose(lambda: check_bool(flag, "feedback"), "feedback", "True or False")
    raised_on_purpose(lambda: memory_task.MemoryModel("lstm", feedback=flag), "feedback")
    raised_on_purpose(lambda: sequences.check_lengths([2, 1], batch=2, max_len=2, enforce_sorted=flag),
                      "enforce_sorted")
    raised_on_purpose(lambda: sequences.pack(torch.zeros(2, 2, 1), [2, 1], batch_first=flag), "batch_first")
    raised_on_purpose(lambda: plots.label(_Axes(), title="t", xlabel="x", ylabel="y", legend=flag), "legend")


class _Axes:
    def set_xlabel(self, label):
        pass

    set_title = set_ylabel = legend = set_xlabel


def test_a_numpy_bool_is_a_flag():
    assert check_bool(np.bool_(False), "flag") is False
    model = memory_task.MemoryModel("lstm", feedback=np.bool_(False))
    assert torch.count_nonzero(model.recurrent.weight_hh_l0) == 0


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=2**32), st.floats(), st.text(max_size=2)))
def test_seeds_outside_what_every_library_takes_are_refused(seed):
    raised_on_purpose(lambda: check_seed(seed), "seed")
    raised_on_purpose(lambda: memory_task.mse_by_step(memory_task.MemoryModel("lstm"), seq_len=2, seed=seed),
                      "seed")
    raised_on_purpose(lambda: sentiment.train_and_test(_Constant(), _loaders(), epochs=1, seed=seed), "seed")


def test_the_largest_seed_is_taken():
    assert check_seed(2**32 - 1) == 2**32 - 1 and check_seed(np.uint32(7)) == 7


# --- tweets: nothing dropped or deleted that is not a copy or damage --------------------------


@settings(max_examples=300)
@given(st.text(alphabet="ab #_\t é", max_size=24))
def test_trailing_hashtags_are_removed_as_the_regular_expression_does(text_):
    assert _without_trailing_tags(text_) == re.sub(r"(?:\s*#\w*)+\s*$", "", text_)


def test_a_long_run_of_hashtags_takes_linear_time():
    start = time.perf_counter()
    assert tweet_key("#a " * 20_000 + "x") == "a " * 19_999 + "a x"
    assert time.perf_counter() - start < 2  # the regular expression took over 20 s


@given(st.lists(st.sampled_from(["😍😍", "!!!", "😡", "…", "good game", "great game!"]), min_size=1, max_size=6))
def test_tweets_with_an_empty_key_are_kept_unless_they_are_the_same_text(texts):
    kept, labels = deduplicate(texts, [1] * len(texts))
    assert set(kept) >= {t for t in texts if not tweet_key(t)}  # none of them disappears
    assert len(kept) == len(set(kept))  # the same emoji twice is still one tweet


def test_an_empty_key_copy_with_another_label_is_dropped_as_a_disagreement():
    assert deduplicate(["😍", "😍", "😡"], [1, 0, 0]) == (["😡"], [0])


# --- training and prediction: second paths get the first path's checks ------------------------


class _Constant(nn.Module):
    def __init__(self, value: float = 1.0, shape: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.value, self.shape = value, shape
        self.scale = nn.Parameter(torch.ones(()))
        self.embedding = nn.Embedding(50, 2)

    def forward(self, tokens, lengths):
        return self.scale * torch.full((len(tokens), *self.shape), self.value)


def _loader(n: int = 4) -> DataLoader:
    data = [(torch.tensor([1 + i % 2]), i % 2) for i in range(n)]
    return DataLoader(data, batch_size=2, collate_fn=functools.partial(collate_padded, pad_value=0))


def _loaders() -> sentiment.Loaders:
    return sentiment.Loaders(_loader(), _loader(), _loader())


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_refused_before_a_step_changes_a_weight(dtype):
    model = _Constant().to(dtype)
    before = model.scale.detach().clone()
    raised_on_purpose(lambda: training.train_epoch(model, _loader(), torch.optim.Adam(model.parameters()),
                                                   device=torch.device("cpu"), clip_norm=1.0),
                      "float32", str(dtype))
    assert torch.equal(model.scale, before)
    raised_on_purpose(lambda: training.fit(model, _loader(), _loader(), epochs=1, progress=False), "float32")


def test_a_frozen_model_and_inference_mode_are_named():
    model = _Constant().requires_grad_(False)
    raised_on_purpose(lambda: training.fit(model, _loader(), _loader(), epochs=1, progress=False), "frozen")
    with torch.inference_mode():
        raised_on_purpose(lambda: training.fit(_Constant(), _loader(), _loader(), epochs=1, progress=False),
                          "inference_mode", kinds=(RuntimeError,))


@pytest.mark.parametrize("loader", [None, _loader, 5, "train"])
def test_evaluate_and_train_epoch_want_the_loader_not_its_maker(loader):
    model = _Constant()
    error = raised_on_purpose(lambda: training.evaluate(model, loader), "DataLoader")
    assert ("call it first" in str(error)) == callable(loader)
    raised_on_purpose(lambda: training.train_epoch(model, loader, torch.optim.SGD(model.parameters(), lr=0.1),
                                                   device=torch.device("cpu"), clip_norm=None), "DataLoader")


def test_a_misspelled_history_column_lists_the_columns():
    history = training.fit(_Constant(), _loader(), _loader(), epochs=1, progress=False)
    assert history.column("valid_acc") == [0.5]
    with pytest.raises(KeyError, match="valid_acc, seconds"):
        history.column("val_acc")
    with pytest.raises(KeyError, match="train_acc"):
        training.TrainingHistory().column("acc")


@pytest.mark.parametrize("clip_norm", [np.float32(1.0), np.float64(0.5), 2])
def test_numpy_numbers_are_numbers(clip_norm):
    model = _Constant()
    result = training.train_epoch(model, _loader(), torch.optim.SGD(model.parameters(), lr=0.0),
                                  device=torch.device("cpu"), clip_norm=clip_norm)
    assert result.accuracy == 0.5
    assert ClassifierConfig(vocab_size=np.int64(5), dropout=np.float32(0.25)).as_dict()["dropout"] == 0.25


VOCAB = text.Vocab(["<pad>", "<unk>", "good", "bad"])


def test_predict_refuses_a_dataframe_whose_items_are_its_column_names():
    frame = pd.DataFrame({"text": ["good", "bad"], "label": [1, 0]})
    raised_on_purpose(lambda: training.predict(_Constant(), frame, VOCAB, text.word_tokenize), "df['text']")
    assert training.predict(_Constant(), frame["text"], VOCAB, text.word_tokenize).labels == [1, 1]


@given(shape=st.sampled_from([(1,), (2,), (1, 1)]), texts=st.integers(1, 3))
def test_predict_and_predictions_in_order_want_one_logit_per_text(shape, texts):
    model = _Constant(shape=shape)
    raised_on_purpose(lambda: training.predict(model, ["good"] * texts, VOCAB, text.word_tokenize), "(B,)")
    raised_on_purpose(lambda: sentiment.predictions_in_order(model, _loader()), "(B,)")


def test_predictions_in_order_refuses_nan_logits_instead_of_calling_them_negative():
    raised_on_purpose(lambda: sentiment.predictions_in_order(_Constant(float("nan")), _loader()), "NaN")


class _OwnNames(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(3, 2)
        self.out = nn.Linear(2, 1)

    def forward(self, tokens, lengths):
        return self.out(self.emb(tokens).mean(1)).squeeze(-1)


def test_an_embedding_of_another_name_is_still_checked_against_the_vocabulary():
    raised_on_purpose(lambda: training.predict(_OwnNames(), ["good bad"], VOCAB, text.word_tokenize),
                      "4 tokens", "3 rows")


# --- loaders: the vocabulary, the tokenizer and the flags belong together ---------------------

CORPUS = Corpus("toy", *(Split(["good day", "bad day", "good", "bad"], [1, 0, 1, 0]) for _ in range(3)))


def test_a_vocabulary_built_with_another_tokenizer_is_refused():
    characters = sentiment.char_vocab(CORPUS)
    raised_on_purpose(lambda: sentiment.make_loaders(CORPUS, characters, text.word_tokenize, max_len=5,
                                                     batch_size=2), "<unk>", "tokenizer")
    words = text.Vocab.build(text.word_tokenize(t) for t in CORPUS.train.texts)
    assert len(sentiment.make_loaders(CORPUS, words, text.word_tokenize, max_len=5, batch_size=2).train) == 2


@given(NOT_BOOLS)
def test_fixed_length_and_bucketed_are_flags(flag):
    vocab = sentiment.char_vocab(CORPUS)
    raised_on_purpose(lambda: sentiment.make_loaders(CORPUS, vocab, text.char_tokenize, max_len=9, batch_size=2,
                                                     fixed_length=flag), "fixed_length")
    raised_on_purpose(lambda: sentiment.char_experiment(CORPUS, hidden_size=2, bidirectional=False,
                                                        strategy="exact", bucketed=flag, epochs=1), "bucketed")


def test_fixed_length_needs_a_length_and_numpy_batch_sizes_work():
    vocab = sentiment.char_vocab(CORPUS)
    raised_on_purpose(lambda: sentiment.make_loaders(CORPUS, vocab, text.char_tokenize, max_len=None,
                                                     batch_size=2, fixed_length=True), "max_len")
    for fixed in (True, False):
        loaders = sentiment.make_loaders(CORPUS, vocab, text.char_tokenize, max_len=9, batch_size=np.int64(2),
                                         fixed_length=fixed)
        assert [len(labels) for _, _, labels in loaders.valid] == [2, 2]
    assert training.predict(_Constant(), ["good"] * 3, VOCAB, text.word_tokenize, batch_size=np.int64(2)).labels


def test_bootstrap_work_is_bounded_and_named(monkeypatch):
    a = b = y = [1, 0] * 500
    raised_on_purpose(lambda: sentiment.paired_bootstrap(a, b, y, samples=10**7), "samples=500,000")
    monkeypatch.setattr(sentiment, "BOOTSTRAP_WORK", 100 * len(a))  # the bound is inclusive
    assert sentiment.paired_bootstrap(a, b, y, samples=100).estimate == 0.0
    raised_on_purpose(lambda: sentiment.paired_bootstrap(a, b, y, samples=101), "samples=100")


# --- texts, datasets and vocabularies ---------------------------------------------------------


@given(st.sampled_from([np.array([[1], [0]]), torch.tensor([[1], [0]]), [np.array([1]), np.array([0])]]))
def test_labels_of_one_column_are_named_not_silently_taken(labels):
    raised_on_purpose(lambda: text.TextDataset(["a", "b"], labels, VOCAB, text.word_tokenize),
                      "df['label']", "(1,)")


def test_slices_surrogates_and_huge_lengths_are_named():
    data = text.TextDataset(["good", "bad"], [1, 0], VOCAB, text.word_tokenize)
    raised_on_purpose(lambda: data[0:2], "Subset")
    raised_on_purpose(lambda: text.Vocab.build([text.word_tokenize("caf\ud800 good")]), "surrogate")
    raised_on_purpose(lambda: text.pad_truncate([1], 2**62), "10,000,000")
    assert text.pad_truncate([1], text.MAX_PADDED_LENGTH)[-1] == 0


def test_minus_infinity_is_a_pad_value_for_floats_but_nan_is_not():
    padded, _ = sequences.pad_batch([torch.ones(2), torch.ones(1)], pad_value=float("-inf"))
    assert padded[1, 1] == float("-inf")
    raised_on_purpose(lambda: sequences.pad_batch([torch.ones(2), torch.ones(1)], pad_value=float("nan")),
                      "does not fit")


def test_time_major_tokens_are_named_in_the_classifier():
    model = LSTMClassifier(ClassifierConfig(vocab_size=5, embed_dim=2, hidden_size=2, num_layers=1))
    tokens = torch.ones(3, 2, dtype=torch.long)  # (B, T) = (3, 2) given as (T, B) = (2, 3)
    raised_on_purpose(lambda: model(tokens.T, torch.tensor([2, 2, 2])), "tokens.T")


# --- the NumPy cell, the scalar cell, timing --------------------------------------------------


def _cell():
    rng = np.random.default_rng(0)
    x, h, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    w_ih, w_hh = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    _, _, cache = lstm_numpy.lstm_cell_forward(x, h, c, w_ih, w_hh, np.zeros(8), np.zeros(8))
    return cache, w_ih, w_hh


@pytest.mark.parametrize("which", ["dh", "dc"])
@pytest.mark.parametrize("kind", ["matrix", "complex", "masked"])
def test_backward_gradients_are_plain_real_arrays(which, kind):
    cache, w_ih, w_hh = _cell()
    good = np.ones((2, 2))
    odd = {"matrix": np.asmatrix(good), "complex": good * 1j, "masked": np.ma.masked_array(good)}[kind]
    dh, dc = (odd, good) if which == "dh" else (good, odd)
    raised_on_purpose(lambda: lstm_numpy.lstm_cell_backward(dh, dc, cache, w_ih, w_hh), which)


@pytest.mark.parametrize("xs", [np.array(0.5), torch.tensor(0.5)])
def test_a_single_number_is_not_a_sequence(xs):
    raised_on_purpose(lambda: scalar_lstm.run(xs, scalar_lstm.ScalarLSTMParams.random(np.random.default_rng(0))), "[x]")


def test_timing_names_what_it_cannot_time_and_times_packed_input():
    lstm = nn.LSTM(2, 3)
    x = torch.randn(4, 2, 2)
    raised_on_purpose(lambda: timing.forward_backward_seconds({"a": lstm}, x), "nn.Module")
    raised_on_purpose(lambda: timing.forward_backward_seconds(nn.LSTM(2, 3).requires_grad_(False), x),
                      "requires_grad_")
    with torch.inference_mode():
        raised_on_purpose(lambda: timing.forward_backward_seconds(lstm, x), "inference_mode",
                          kinds=(RuntimeError,))
    raised_on_purpose(lambda: timing.median_times({"a": lstm, "b": "scratch"}, x, repeats=1, warmup=0), "'b'")
    raised_on_purpose(lambda: timing.median_times({"a": lstm}, x, repeats=1, warmup=10**7), "at most")
    assert timing.forward_backward_seconds(lstm, pack_padded_sequence(x, [4, 2])) > 0


def test_input_gradients_inside_inference_mode_name_the_block():
    from utils.rnn import input_gradient_norms

    with torch.inference_mode():
        raised_on_purpose(lambda: input_gradient_norms(lambda z: z[-1], torch.ones(3, 1, 1)), "inference_mode",
                          kinds=(RuntimeError,))


# --- baselines, records, downloads, pools, diagrams, grading ----------------------------------


def test_a_vectorizer_that_keeps_no_term_is_reworded_on_both_paths():
    train = Split(["alpha beta", "gamma delta"], [1, 0])
    raised_on_purpose(lambda: baseline.tfidf_baseline(train, train), "min_df=2")
    make = functools.partial(baseline.tfidf_features, "word")
    raised_on_purpose(lambda: baseline.tune_baseline("x", {"w": make}, [1.0], train, train, train), "min_df=2")
    raised_on_purpose(lambda: baseline.tune_baseline("x", {"w": lambda: None}, [1.0], train, train, train),
                      "returned NoneType")
    from sklearn.feature_extraction.text import CountVectorizer

    raised_on_purpose(lambda: baseline.tune_baseline("x", {"w": CountVectorizer}, [1.0], train, train, train),
                      "a class")


def test_a_record_saved_with_a_byte_order_mark_is_read(tmp_path):
    (tmp_path / "r.txt").write_text("\ufeff# python x.py (2026-12-05, cpu)\nRESULT a=1\n", encoding="utf-8")
    assert records.recorded_source("r.txt", tmp_path) == "python x.py (2026-12-05, cpu)"


def test_download_names_a_nul_and_extraction_spares_a_good_archive(tmp_path):
    mirror = download.Mirror("file:///nowhere", "sha256:" + "0" * 64)
    raised_on_purpose(lambda: download.download([mirror], "p.bin\x00", cache_dir=tmp_path), "plain file name")
    raised_on_purpose(lambda: download.download([mirror], "p.bin", cache_dir=str(tmp_path) + "\x00"), "NUL")
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("f.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    destination = tmp_path / "file"
    destination.write_text("x")
    error = raised_on_purpose(lambda: download.safe_extract(archive, destination), "not a folder")
    assert "the archive is fine" in str(error) and archive.exists()


def test_runs_refuse_arguments_that_cannot_reach_a_worker():
    runs = parallel.Runs(workers=1)
    raised_on_purpose(lambda: runs.submit(sentiment.mean_sd, (x for x in [0.5])), "generator", "list(")
    raised_on_purpose(lambda: runs.submit(training.predict, None, [], VOCAB, lambda s: s.split()),
                      "argument 4", "notebook")
    raised_on_purpose(lambda: runs.submit(training.predict, None, [], VOCAB, tokenize=lambda s: s),
                      "tokenize")
    assert runs.submit(sentiment.mean_sd, [0.5, 0.5]).result().mean == 0.5  # module functions travel


def test_diagram_sizes_and_grading_lists_are_checked():
    raised_on_purpose(lambda: diagrams.draw_classifier(vocab_size=VOCAB), "len(vocab)")
    raised_on_purpose(lambda: diagrams.draw_classifier(hidden_size="256"), "hidden_size")
    raised_on_purpose(lambda: diagrams.draw_classifier(strategy=["exact"]), "strategy")
    raised_on_purpose(lambda: grading.otter_install_command([None]), "package name")
    raised_on_purpose(lambda: grading.otter_install_command([b"numpy"]), "bytes")
    raised_on_purpose(lambda: grading.master_path("a1_gates", root=5), "root")


def test_benchmark_helpers_name_empty_lists_generators_and_seeds():
    from utils import batching_speed as speed

    data, labels = speed.synthetic_data(4, max_len=20)
    batches = speed.make_batches(data, labels, "bucketed", batch_size=2, max_len=20)
    raised_on_purpose(lambda: speed.time_strategies(batches, speed.SMALL, []), "one strategy")
    raised_on_purpose(lambda: speed.time_strategies(iter(batches), speed.SMALL, ["exact"]), "lists")
    raised_on_purpose(lambda: speed.time_strategies(batches, speed.SMALL, "exact"), "lists")
    raised_on_purpose(lambda: speed.make_batches([], torch.zeros(0), "fixed", batch_size=2), "at least one")
    raised_on_purpose(lambda: speed.make_batches(data, labels.long(), "fixed", batch_size=2, max_len=20),
                      "labels.float()")
    raised_on_purpose(lambda: speed.synthetic_data(3, seed="0"), "seed")
    raised_on_purpose(lambda: speed.classifier(speed.SMALL, "exact", seed=1.5), "seed")
    raised_on_purpose(lambda: speed.top_operations(lambda: None, n=-1), "n")


@pytest.mark.parametrize("call", [
    lambda meta: sentiment.mean_sd(meta),
    lambda meta: __import__("utils.data", fromlist=["zero_one"]).zero_one(meta),
    lambda meta: training.predicted_labels(meta),
    lambda meta: training.check_labels(meta),
])
def test_meta_tensors_are_named_where_values_are_read(call):
    raised_on_purpose(lambda: call(torch.tensor([1.0, 0.0], device="meta")), "meta")


def test_per_topic_names_keys_that_are_not_model_names():
    split = Split(["a", "b"], [1, 0], ["x", "y"])
    raised_on_purpose(lambda: baseline.print_per_topic(split, {("BiLSTM", 1): [1, 0]}), "model names")


def test_meta_labels_and_memory_task_tensors_are_named():
    raised_on_purpose(lambda: sequences.collate_padded([(torch.tensor([1]), torch.tensor(1.0, device="meta"))]),
                      "meta")
    meta = torch.zeros(3, device="meta")
    raised_on_purpose(lambda: memory_task.two_level_share(meta, torch.zeros(3)), "first", "meta")
    raised_on_purpose(lambda: memory_task.two_level_share(torch.zeros(3), meta), "predictions", "meta")
