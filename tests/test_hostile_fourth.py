"""Inputs a fourth hostile-input audit found mishandled: NumPy flags and numbers refused with a
message they satisfy, second paths without the first path's checks, a sigmoid where logits
belong, arguments a worker process cannot rebuild, and a tilde in a cache folder."""

from __future__ import annotations

import functools
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import raised_on_purpose
from hypothesis import given
from hypothesis import strategies as st
from test_data import local, make_imdb_archive
from torch import nn
from torch.utils.data import DataLoader

from utils import (
    baseline,
    data,
    diagrams,
    lstm,
    memory_task,
    models,
    parallel,
    quiz,
    sentiment,
    sequences,
    text,
    training,
    tweets,
)
from utils.sequences import BucketBatchSampler, collate_padded

VOCAB = text.Vocab(["<pad>", "<unk>", "good", "bad", "movie"])

# --- NumPy values where Python ones are expected -----------------------------------------------


@given(st.sampled_from([np.bool_(True), np.bool_(False)]))
def test_numpy_bools_are_flags_everywhere(flag):
    assert text.word_tokenize("didn't", split_clitics=flag)
    sequences.pad_batch([torch.tensor([1])], batch_first=flag)
    assert BucketBatchSampler([1, 2], 1, shuffle=flag).shuffle is bool(flag)
    assert lstm.ScratchLSTM(2, 3, batch_first=flag).batch_first is bool(flag)
    assert lstm.parameter_count(2, 3, bias=flag) > 0
    assert data.load_tweets(clean=flag).train.texts


@given(st.sampled_from([np.int64, np.int32, np.uint16]))
def test_numpy_ints_are_sizes_and_seeds(kind):
    assert models.CharSeedModel(kind(5)).vocab_size == 5
    assert type(models.CharSeedModel(kind(5)).vocab_size) is int
    diagrams.draw_fused_weights(kind(3), kind(2))
    data.check_split_sizes(0.1, 0.1, seed=kind(1))
    dataset = text.TextDataset(["good movie"], [1], VOCAB, text.word_tokenize, max_len=kind(1))
    assert dataset[0][0].tolist() == [2]


def test_numpy_numbers_reach_scikit_learn_as_python_ones():
    train = data.Split(["good movie", "bad movie", "good good", "bad bad"] * 3, [1, 0, 1, 0] * 3)
    pipeline, accuracy = baseline.tfidf_baseline(train, train, ngram_range=(np.int64(1), np.int64(2)),
                                                 C=np.float32(4.0))
    assert accuracy == 1.0 and pipeline[-1].C == 4.0


@pytest.mark.parametrize("flag", ["no", None, 1])
def test_progress_and_clean_are_flags(flag):
    loader = _loader()
    raised_on_purpose(lambda: training.fit(_Model(), loader, loader, epochs=1, progress=flag), "progress")
    raised_on_purpose(lambda: training.evaluate(_Model(), loader, progress=flag), "progress")
    raised_on_purpose(lambda: data.load_tweets(clean=flag), "clean")


# --- models whose output or signature does not fit -------------------------------------------


class _Model(nn.Module):
    def __init__(self, squash: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Embedding(5, 2)
        self.output = nn.Linear(2, 1)
        self.squash = squash

    def forward(self, tokens, lengths=None):
        logits = self.output(self.embedding(tokens).mean(1)).squeeze(-1)
        return torch.sigmoid(logits) if self.squash else logits


def _loader(n: int = 4) -> DataLoader:
    items = [(torch.tensor([2 + i % 2]), 1 - i % 2) for i in range(n)]
    return DataLoader(items, batch_size=2, collate_fn=functools.partial(collate_padded, pad_value=0))


def test_a_model_that_returns_probabilities_is_refused_before_it_trains():
    model = _Model(squash=True)
    before = [p.detach().clone() for p in model.parameters()]
    raised_on_purpose(lambda: training.fit(model, _loader(), _loader(), epochs=1, progress=False), "sigmoid",
                      "logit")
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    training.fit(_Model(), _loader(), _loader(), epochs=1, progress=False)  # logits train


class _Squashed(_Model):
    def forward(self, tokens, lengths=None):  # the sigmoid before a reshape
        return torch.sigmoid(self.output(self.embedding(tokens).mean(1))).view(-1)


def test_the_sigmoid_is_found_through_a_reshape():
    raised_on_purpose(lambda: training.fit(_Squashed(), _loader(), _loader(), epochs=1, progress=False),
                      "sigmoid")


def test_models_that_cannot_take_tokens_and_lengths_are_named():
    loader = _loader()
    raised_on_purpose(lambda: training.fit(memory_task.MemoryModel("lstm"), loader, loader, epochs=1),
                      "forward(self, tokens, lengths=None)")
    raised_on_purpose(lambda: training.fit(lstm.ScratchLSTM(4, 3), loader, loader, epochs=1), "bare ScratchLSTM")
    raised_on_purpose(lambda: training.predict(["good"], _Model(), VOCAB, text.word_tokenize),
                      "torch.nn.Module")


def test_predict_warns_when_the_tokenizer_does_not_match_the_vocabulary():
    texts = ["good movie bad movie good movie"] * 5
    with pytest.warns(UserWarning, match="of the tokens are <unk>"):
        training.predict(_Model(), texts, VOCAB, text.char_tokenize)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        training.predict(_Model(), texts, VOCAB, text.word_tokenize)
        training.predict(_Model(), ["zzz"], VOCAB, text.word_tokenize)  # too few tokens to judge


def test_predictions_in_order_leaves_the_sampler_and_the_mode_as_they_were():
    items = [(torch.tensor([2, 3][: 1 + i % 2]), i % 2) for i in range(6)]
    sampler = BucketBatchSampler([len(ids) for ids, _ in items], 2, seed=0)
    loader = DataLoader(items, batch_sampler=sampler, collate_fn=functools.partial(collate_padded, pad_value=0))
    model = _Model().train()
    sentiment.predictions_in_order(model, loader)
    assert sampler.epoch == 0 and model.training


# --- vocabularies, datasets, sequences ---------------------------------------------------------


def test_an_empty_vocabulary_is_refused_with_the_likely_cause():
    tokens = (text.word_tokenize(t) for t in ["good movie"])
    assert len(text.Vocab.build(tokens)) == 4
    raised_on_purpose(lambda: text.Vocab.build(tokens), "generator")  # the same generator, used up
    assert len(text.Vocab.build([])) == 2  # an empty list is a choice: the special tokens alone


def test_a_vocab_is_not_indexed_and_says_what_to_use():
    raised_on_purpose(lambda: VOCAB["good"], "vocab.encode([token])[0]")


@pytest.mark.parametrize("missing", [pd.NA, None, float("nan")])
def test_a_missing_label_is_named(missing):
    raised_on_purpose(lambda: text.TextDataset(["good", "bad"], pd.Series([1, missing], dtype=object), VOCAB,
                                               text.word_tokenize), "missing", "dropna")


def test_a_batch_sampler_given_as_sampler_is_named():
    dataset = text.TextDataset(["good", "bad movie"], [1, 0], VOCAB, text.word_tokenize)
    loader = DataLoader(dataset, sampler=BucketBatchSampler(dataset.lengths(), 2), batch_size=2,
                        collate_fn=functools.partial(collate_padded, pad_value=0))
    raised_on_purpose(lambda: next(iter(loader)), "batch_sampler=")


def test_pad_batch_names_dataset_items_and_pack_names_the_layout():
    dataset = text.TextDataset(["good", "bad"], [1, 0], VOCAB, text.word_tokenize)
    raised_on_purpose(lambda: sequences.pad_batch([dataset[0], dataset[1]]), "(token_ids, label) pairs")
    tokens, lengths = sequences.pad_batch([torch.tensor([1, 2, 3]), torch.tensor([4])])  # (B, T) = (2, 3)
    raised_on_purpose(lambda: sequences.pack(tokens, lengths), "batch_first=True")
    raised_on_purpose(lambda: sequences.pack(tokens.T, lengths, batch_first=True), "batch_first=False")
    raised_on_purpose(lambda: sequences.reverse_padded(tokens, lengths), "x.transpose(0, 1)")
    assert sequences.pack(tokens, lengths, batch_first=True).data.tolist() == [1, 4, 2, 3]
    raised_on_purpose(lambda: collate_padded([(torch.tensor([1]), 1)], pad_to=10**12), "pad_to")


# --- tweets and corpus names ------------------------------------------------------------------


@pytest.mark.parametrize("text_", ["It is 30° today, tickets £5, © 2015", "½ price, ±2", "café 20°C"])
def test_latin_1_signs_of_decoded_text_are_kept(text_):
    assert tweets.clean_tweet(text_) == text_


def test_signs_inside_a_damaged_run_are_still_removed():
    assert tweets.repair_mojibake("AdamM\xdb\xb1s\xdb\xb1nSen").text == "AdamM s nSen"


def test_messages_name_the_argument_or_the_function_that_applies():
    raised_on_purpose(lambda: data.load_corpus("tweet"), "the corpus name")
    raised_on_purpose(lambda: tweets.clean_tweet("it\u2019s great"), "placeholders(text)")
    prediction = training.Prediction([0.6, 0.4], [1, 0])
    raised_on_purpose(lambda: sentiment.mcnemar(prediction, prediction, [1, 0]), ".labels")
    x, _ = memory_task.first_input_batch(4, 3, generator=torch.Generator().manual_seed(0))
    raised_on_purpose(lambda: memory_task.MemoryModel("lstm")((x, x)), "unpack")


def test_the_tweets_csv_named_when_it_is_not_the_corpus(tmp_path, monkeypatch):
    empty = tmp_path / "tweets.csv"
    empty.write_text("")
    monkeypatch.setenv(data.TWEETS_ENV_VAR, str(empty))
    raised_on_purpose(lambda: data.load_tweets(), "tweets.csv", data.TWEETS_ENV_VAR)
    empty.write_text("text,label\nhi,1\n")
    raised_on_purpose(lambda: data.load_tweets(), "sentiment", data.TWEETS_ENV_VAR)


# --- files: a tilde, a quiz saved with a BOM ---------------------------------------------------


def test_a_tilde_in_the_cache_folder_means_the_home_folder(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    archive = tmp_path / "aclImdb_v1.tar.gz"
    mirrors = local(archive, make_imdb_archive(archive, per_class=4))
    monkeypatch.delenv("LSTM_BOOK_QUICK", raising=False)
    corpus = data.load_imdb(cache_dir="~/imdb", mirrors=mirrors, size=8, valid_size=0.25)
    assert len(corpus.test) == 8
    assert (home / "imdb" / "aclImdb").is_dir() and not (tmp_path / "~").exists()


def test_a_quiz_saved_with_a_byte_order_mark_loads(tmp_path):
    source = quiz.QUIZ_DIR / "01_why_lstm.json"
    (tmp_path / "q.json").write_text(source.read_text(encoding="utf-8"), encoding="utf-8-sig")
    assert quiz.load_quiz("q", tmp_path) == quiz.load_quiz("01_why_lstm")


# --- arguments of a run: what a worker process could not rebuild ------------------------------


class _NotebookModel(nn.Module):
    pass


_NotebookModel.__module__ = "__main__"  # as a class defined in a notebook cell is


def test_runs_refuse_what_a_worker_could_not_rebuild():
    runs = parallel.Runs(workers=1)
    loader = DataLoader([1], collate_fn=lambda b: b)
    raised_on_purpose(lambda: runs.submit(sentiment.mean_sd, loader), "argument 1", "<lambda>")
    raised_on_purpose(lambda: runs.submit(sentiment.mean_sd, _NotebookModel()), "_NotebookModel", "notebook")
    raised_on_purpose(lambda: runs.submit(len, [lambda: 0]), "notebook")
    raised_on_purpose(lambda: runs.submit(len, {"k": (x for x in [1])}), "cannot be sent")
    assert runs.submit(len, {"model": nn.Linear(2, 1), "data": [1, 2]}).result() == 2
    assert pickle.loads(pickle.dumps(VOCAB)) == VOCAB  # what the chapters send travels


def test_load_checkpoint_takes_a_config_that_differs_only_in_strategy(tmp_path):
    from utils.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

    config = models.ClassifierConfig(vocab_size=5, embed_dim=2, hidden_size=2, num_layers=1)
    save_checkpoint(tmp_path / "m.pt", models.LSTMClassifier(config), VOCAB)
    packed = models.ClassifierConfig(**{**config.as_dict(), "strategy": "packed"})
    assert load_checkpoint(tmp_path / "m.pt", config=packed).model.config.strategy == "packed"
    bigger = models.ClassifierConfig(**{**config.as_dict(), "hidden_size": 3})
    with pytest.raises(CheckpointError, match="hidden_size"):
        load_checkpoint(tmp_path / "m.pt", config=bigger)


def test_mean_sd_refuses_bools_and_overflow():
    raised_on_purpose(lambda: sentiment.mean_sd([0.8, 0.9, True]), "True or False")
    raised_on_purpose(lambda: sentiment.mean_sd([1e308, -1e308]), "too large")


def test_ready_sees_stubs_behind_a_partial_and_functions_that_only_raise_not_implemented(capsys):
    from utils.grading import otter_install_command, ready

    def stub(x): ...

    def not_yet(x):
        raise NotImplementedError("write me")

    def written(x):
        if x is None:
            raise NotImplementedError
        return x

    class NoForward(nn.Module):
        pass

    assert not ready(functools.partial(stub)) and "`stub`" in capsys.readouterr().out
    assert not ready(not_yet) and not ready(NoForward)
    assert ready(written)
    raised_on_purpose(lambda: otter_install_command(["numpy"], installed="yes"), "installed")
    raised_on_purpose(lambda: otter_install_command(["numpy"], python=None), "python")
