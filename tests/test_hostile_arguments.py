"""Wrong arguments get an error the library raises on purpose, naming the argument and the fix,
not a Python error from deep inside (``'list' object has no attribute 'to'``).

Each family is generated (hypothesis): a float, string, bool or None where a count belongs; a
missing value (None, NaN) or bytes where a text belongs; a tensor on the ``meta`` device (shapes,
no values) where values are read; a folder or a missing folder where a file is written; the wrong
container where a dict or a list belongs. Every error is checked to come from a ``raise`` in
``utils/`` (:func:`raised_on_purpose`), so a check that is removed, and lets the value fail
somewhere inside, fails the test.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np
import pytest
import torch
from conftest import raised_on_purpose
from hypothesis import given, settings
from hypothesis import strategies as st

from utils import (
    baseline,
    checkpoint,
    data,
    lstm,
    lstm_numpy,
    memory_task,
    records,
    rnn,
    sequences,
    threads,
    training,
    tweets,
    varlen,
)
from utils import text as text_utils
from utils.checks import check_has_values, check_int, check_path, check_text
from utils.models import ClassifierConfig, LSTMClassifier, check_tokens

NOT_INTS = st.one_of(
    st.floats(allow_nan=True), st.text(max_size=3), st.booleans(), st.none(),
    st.lists(st.integers(), max_size=2),
)
NOT_TEXTS = st.one_of(
    st.none(), st.just(math.nan), st.binary(max_size=5), st.integers(), st.floats(), st.lists(st.text(), max_size=2)
)


# --- the shared checks ----------------------------------------------------------------------


@given(value=NOT_INTS)
def test_check_int_names_the_argument_for_anything_but_an_int(value):
    error = raised_on_purpose(lambda: check_int(value, "batch_size"), "batch_size", "int")
    assert isinstance(error, TypeError)


@given(value=st.integers(-10**30, 0))
def test_check_int_refuses_values_below_the_minimum(value):
    raised_on_purpose(lambda: check_int(value, "steps", minimum=1), "steps", "at least 1", str(value))
    assert check_int(value + 10**31, "steps", minimum=1) == value + 10**31
    assert check_int(np.int64(3), "steps") == 3 and type(check_int(np.int64(3), "steps")) is int


def test_check_int_suggests_the_int_for_a_whole_float():
    raised_on_purpose(lambda: check_int(2.0, "steps"), "write 2")


@given(value=NOT_TEXTS)
def test_check_text_names_missing_values_and_bytes(value):
    error = raised_on_purpose(lambda: check_text(value, "the tweet"), "the tweet", "str")
    hint = {bytes: "decode", type(None): "missing value"}.get(type(value))
    if isinstance(value, float) and math.isnan(value):
        hint = "missing value"
    assert hint is None or hint in str(error)
    assert check_text("ok") == "ok"


@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=3))
def test_check_has_values_refuses_meta_tensors_only(shape):
    raised_on_purpose(lambda: check_has_values(torch.empty(shape, device="meta"), "lengths"), "lengths", "meta")
    check_has_values(torch.empty(shape), "lengths")  # a real tensor, empty or not, passes
    check_has_values([1, 2], "lengths")


def test_check_path_for_reading_and_writing(tmp_path):
    raised_on_purpose(lambda: check_path(tmp_path / "none.pt"), "does not exist")
    raised_on_purpose(lambda: check_path(tmp_path), "is a folder")
    raised_on_purpose(lambda: check_path(tmp_path, writing=True), "is a folder")
    raised_on_purpose(lambda: check_path(tmp_path / "a" / "b.pt", writing=True), "does not exist", "mkdir")
    raised_on_purpose(lambda: check_path(""), "empty")
    raised_on_purpose(lambda: check_path(5), "str or pathlib.Path")
    assert check_path(tmp_path / "new.pt", writing=True) == tmp_path / "new.pt"
    (tmp_path / "here.pt").write_bytes(b"x")
    assert check_path(str(tmp_path / "here.pt")) == tmp_path / "here.pt"


# --- counts where the library takes them --------------------------------------------------


def _count_calls(value: object) -> dict[str, Callable[[], object]]:
    generator = torch.Generator().manual_seed(0)
    model = LSTMClassifier(ClassifierConfig(vocab_size=5, embed_dim=2, hidden_size=2, num_layers=1, pad_id=0))
    vocab = text_utils.Vocab(["<pad>", "<unk>", "a", "b", "c"])
    return {
        "batch": lambda: sequences.check_lengths([1], batch=value, max_len=2),
        "max_len": lambda: sequences.check_lengths([1], batch=1, max_len=value),
        "epoch": lambda: sequences.BucketBatchSampler([1, 2], 1).set_epoch(value),
        "layer": lambda: lstm.ScratchLSTM(2, 2).layer_weights(value),
        "vocab_size": lambda: check_tokens(torch.zeros(1, 1, dtype=torch.long), value),
        "chunk_size": lambda: training.predict(model, ["a"], vocab, str.split, chunk_size=value),
        "batch_size": lambda: memory_task.sign_batch(value, 3, generator=generator),
        "seq_len": lambda: memory_task.first_input_batch(2, value, generator=generator),
        "hidden_size": lambda: memory_task.MemoryModel("lstm", hidden_size=value),
        "seed": lambda: memory_task.train_sign_task(seq_len=2, forget_bias=0.0, seed=value, steps=0),
    }


@pytest.mark.parametrize("name", sorted(_count_calls(0)))
@settings(max_examples=15, deadline=None)
@given(value=NOT_INTS)
def test_counts_refuse_anything_but_an_int_naming_it(name, value):
    raised_on_purpose(_count_calls(value)[name], name)


# --- texts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function", [tweets.tweet_topic, tweets.placeholders, tweets.repair_mojibake, tweets.clean_tweet, data.tweet_key]
)
@settings(max_examples=15)
@given(value=NOT_TEXTS)
def test_tweet_helpers_refuse_what_is_not_a_text(function, value):
    raised_on_purpose(lambda: function(value), "the tweet", "str")


@given(value=NOT_TEXTS)
def test_a_split_refuses_texts_or_topics_that_are_not_str(value):
    raised_on_purpose(lambda: data.Split(["a", value], [0, 1]), "texts", "str")
    raised_on_purpose(lambda: data.Split(["a", "b"], [0, 1], ["x", value]), "topics", "str")


def test_containers_of_texts():
    raised_on_purpose(lambda: data.deduplicate((t for t in ["a"]), [1]), "list(...)")
    raised_on_purpose(lambda: data.deduplicate(["a", "b"], [[1], [0]]), "labels")
    raised_on_purpose(lambda: tweets.near_duplicates(["a b"], "a b"), "texts", "list")
    raised_on_purpose(lambda: tweets.near_duplicates(["a b"], ["a", None]), "str")
    raised_on_purpose(lambda: tweets.near_duplicates(["!!", "??"], ["!!"]), "no words")
    raised_on_purpose(lambda: tweets.near_duplicates(["a"], ["a"], threshold="0.9"), "threshold")
    raised_on_purpose(lambda: data.corpus_choice(5), "corpus name")


# --- tensors without values (the meta device) ----------------------------------------------


@pytest.mark.parametrize("where", ["check_lengths", "padding_mask", "reverse_padded", "pad_batch", "decode",
                                   "check_tokens", "save_checkpoint", "from_torch"])
def test_meta_tensors_are_refused_where_values_are_read(where, tmp_path):
    meta = torch.ones(2, dtype=torch.long, device="meta")
    model = LSTMClassifier(ClassifierConfig(vocab_size=3, embed_dim=2, hidden_size=2, num_layers=1, pad_id=0))
    calls = {
        "check_lengths": lambda: sequences.check_lengths(meta, batch=2, max_len=3),
        "padding_mask": lambda: sequences.padding_mask(meta),
        "reverse_padded": lambda: sequences.reverse_padded(torch.zeros(3, 2, 1), meta),
        "pad_batch": lambda: sequences.pad_batch([meta]),
        "decode": lambda: text_utils.Vocab(["<pad>", "<unk>"]).decode(meta),
        "check_tokens": lambda: check_tokens(meta.view(1, 2), 3),
        "save_checkpoint": lambda: checkpoint.save_checkpoint(
            tmp_path / "m.pt", model.to("meta"), text_utils.Vocab(["<pad>", "<unk>", "a"])),
        "from_torch": lambda: __import__("utils.scalar_lstm", fromlist=["x"]).from_torch_lstm_weights(
            {k: v.to("meta") for k, v in torch.nn.LSTM(1, 1).state_dict().items()}),
    }
    raised_on_purpose(calls[where], "meta")
    assert not (tmp_path / "m.pt").exists()


# --- shapes and kinds the loops and cells take ---------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    which=st.sampled_from(["h", "c", "w_ih", "w_hh", "b_ih"]),
    transform=st.sampled_from(["transpose", "drop_batch", "extra_row"]),
    loop=st.sampled_from(["naive", "fused"]),
)
def test_the_loops_name_the_argument_of_the_wrong_shape(which, transform, loop):
    steps, batch, features, hidden = 3, 2, 4, 3  # no two sizes equal, so no transpose fits by chance
    args = {"x": torch.randn(steps, batch, features), "h": torch.zeros(batch, hidden), "c": torch.zeros(batch, hidden),
            "w_ih": torch.randn(4 * hidden, features), "w_hh": torch.randn(4 * hidden, hidden),
            "b_ih": torch.randn(4 * hidden), "b_hh": torch.randn(4 * hidden)}
    value = args[which]
    args[which] = {"transpose": value.T if value.dim() == 2 else value[None],
                   "drop_batch": value[0], "extra_row": torch.cat([value, value[:1]])}[transform]
    raised_on_purpose(lambda: lstm.LOOPS[loop](**args), which)


def test_the_loops_refuse_other_kinds_and_empty_inputs():
    x, h, w_ih, w_hh, b = torch.randn(2, 1, 2), torch.zeros(1, 3), torch.randn(12, 2), torch.randn(12, 3), torch.zeros(12)
    for loop in lstm.LOOPS.values():
        raised_on_purpose(lambda loop=loop: loop(x.numpy(), h, h, w_ih, w_hh, b, b), "x", "torch.Tensor")
        raised_on_purpose(lambda loop=loop: loop(x[:0], h, h, w_ih, w_hh, b, b), "T >= 1")
        raised_on_purpose(lambda loop=loop: loop(x, h, h, w_ih, w_hh, b, None), "both biases")
        raised_on_purpose(lambda loop=loop: loop(x.double(), h, h, w_ih, w_hh, b, b), "dtype")
        out, _ = loop(x, h, h, w_ih, w_hh, None, None)  # no biases at all is valid
        assert out.shape == (2, 1, 3)


def test_the_numpy_cell_refuses_a_whole_step_and_wrong_gradients():
    rng = np.random.default_rng(0)
    x, h, w_ih, w_hh, b = rng.normal(size=(2, 3)), np.zeros((2, 4)), rng.normal(size=(16, 3)), rng.normal(
        size=(16, 4)), np.zeros(16)
    step = lstm_numpy.lstm_cell_forward(x, h, h, w_ih, w_hh, b, b)
    raised_on_purpose(lambda: lstm_numpy.lstm_cell_forward(x, h, h, w_ih, w_hh, None, b), "np.zeros")
    raised_on_purpose(lambda: lstm_numpy.lstm_cell_backward(h, h, step, w_ih, w_hh), "step.cache")
    raised_on_purpose(lambda: lstm_numpy.lstm_cell_backward(h[:, :3], h, step.cache, w_ih, w_hh), "dh")
    raised_on_purpose(lambda: lstm_numpy.lstm_cell_backward(h, h.T, step.cache, w_ih, w_hh), "dc")
    raised_on_purpose(lambda: lstm_numpy.lstm_cell_backward(h, h, step.cache, w_ih.T, w_hh), "w_ih")
    raised_on_purpose(lambda: lstm_numpy.lstm_cell_backward(h, h, step.cache, w_ih, w_hh[:, :3]), "w_hh")


def test_exact_lstm_and_saturation_name_dtype_device_and_kind():
    lstm_layer = torch.nn.LSTM(2, 3)
    for x in (torch.randn(2, 1, 2).double(), torch.ones(2, 1, 2, dtype=torch.long), torch.randn(2, 1, 2, device="meta")):
        raised_on_purpose(lambda x=x: varlen.exact_lstm(lstm_layer, x, [2]), "x.to(lstm.weight_ih_l0)")
    raised_on_purpose(lambda: varlen.saturation(lstm_layer.weight_hh_l0.detach().numpy(), None), "w_hh")
    raised_on_purpose(lambda: varlen.saturation(torch.ones(4), None), "w_hh")
    raised_on_purpose(lambda: varlen.saturation(lstm_layer.weight_hh_l0, [1.0]), "bias")


def test_simple_rnn_and_gradient_norms_name_what_is_wrong():
    x, w_hh, w_xh = torch.randn(3, 1, 2), torch.eye(2), torch.eye(2)
    raised_on_purpose(lambda: rnn.simple_rnn(x[:0], w_hh, w_xh), "seq_len >= 1")
    raised_on_purpose(lambda: rnn.simple_rnn(x, w_hh, w_xh, activation=3), "activation")
    raised_on_purpose(lambda: rnn.simple_rnn(x, w_hh, w_xh, activation=lambda z: z.sum()), "elementwise")
    raised_on_purpose(lambda: rnn.input_gradient_norms(lambda v: v[-1], x.numpy()), "floating tensor")
    raised_on_purpose(lambda: rnn.input_gradient_norms(lambda v: v[-1], x.long()), "floating tensor")
    raised_on_purpose(lambda: rnn.input_gradient_norms(lambda v: 1.0, x), "real floating tensor")
    # an output that ignores x depends on it with gradient 0 at every step
    assert torch.equal(rnn.input_gradient_norms(lambda v: torch.ones(1, 1, requires_grad=True), x), torch.zeros(3))


# --- models, training, results ----------------------------------------------------------------


def test_models_without_tokens_or_parameters_and_batches_without_tensors():
    model = LSTMClassifier(ClassifierConfig(vocab_size=4, embed_dim=2, hidden_size=2, num_layers=1, pad_id=0))
    raised_on_purpose(lambda: model(torch.zeros(1, 0, dtype=torch.long), torch.tensor([1])), "at least one token")
    raised_on_purpose(lambda: training.model_device(torch.nn.ReLU()), "no parameters")
    raised_on_purpose(lambda: training.model_device("model"), "nn.Module")
    loader = [([[1, 2]], torch.tensor([2]), torch.tensor([1.0]))]
    raised_on_purpose(lambda: training.evaluate(model, loader), "collate_padded")
    raised_on_purpose(lambda: training.fit(model, loader, loader, epochs=1, clip_norm="1"), "clip_norm")
    raised_on_purpose(lambda: threads.recurrent_parameters([model]), "nn.Module")


def test_memory_task_arguments():
    generator = torch.Generator()
    raised_on_purpose(lambda: memory_task.first_input_batch(2, 3, generator=0), "torch.Generator")
    raised_on_purpose(lambda: memory_task.inputs_from_first([0.5], 3), "tensor")
    raised_on_purpose(lambda: memory_task.MemoryModel(["lstm"]), "kind")
    raised_on_purpose(lambda: memory_task.MemoryModel("lstm", forget_bias=math.nan), "forget_bias", "finite")
    raised_on_purpose(lambda: memory_task.MemoryModel("lstm", forget_bias="1"), "forget_bias")
    raised_on_purpose(lambda: memory_task.MemoryModel("lstm", dtype=torch.long), "floating torch dtype")
    raised_on_purpose(lambda: memory_task.MemoryModel("lstm")(torch.zeros(3, 2)), "x[..., None]")
    raised_on_purpose(lambda: memory_task.train_memory_task("lstm", seq_len=2, steps=-1, seed=0), "steps")
    raised_on_purpose(lambda: memory_task.train_memory_task("lstm", seq_len=2, steps=1, seed=0, clip_norm="1"),
                      "clip_norm")
    raised_on_purpose(lambda: memory_task.two_level_share(np.zeros(3), torch.zeros(3)), "two tensors")
    raised_on_purpose(lambda: memory_task.train_sign_task(seq_len=2, forget_bias=math.inf, seed=0, steps=0),
                      "forget_bias", "finite")
    memory_task.first_input_batch(2, 3, generator=generator)


def test_baselines_name_their_containers():
    split = data.Split(["a b", "b c"], [1, 0], ["x", "y"])
    raised_on_purpose(lambda: baseline.log_count_ratio([[1, 0], [0, 1]], [1, 0]), "CountVectorizer")
    raised_on_purpose(lambda: baseline.topic_prior(None), "a Split")
    raised_on_purpose(lambda: baseline.per_topic(split, [1, 0]), "a dict")
    raised_on_purpose(lambda: baseline.tfidf_features(["word"]), "features")
    raised_on_purpose(lambda: baseline.tune_baseline("m", [baseline.tfidf_features], [1.0], split, split, split),
                      "a dict")
    raised_on_purpose(lambda: baseline.tune_baseline("m", {"w": baseline.tfidf_features}, [math.nan],
                                                     split, split, split), "C")
    raised_on_purpose(lambda: baseline.tfidf_baseline(split, split), "min_df=2")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("# x\nRESULT a=1 b\n", ["'b'", "key=number"]),
        ("# x\nRESULT a=1 a=2\n", ["repeats a key"]),
        ("# x\nRESULT a=abc\n", ["key=number"]),
        ("# x\nRESULT =3\n", ["key=number"]),
        ("", ["empty"]),
    ],
)
def test_records_refuse_damaged_result_lines(tmp_path, content, words):
    (tmp_path / "r.txt").write_text(content)
    raised_on_purpose(lambda: records.recorded_result("r.txt", tmp_path), *words)


def test_records_read_from_a_folder_given_as_str(tmp_path):
    (tmp_path / "r.txt").write_text("# cmd (date)\nRESULT a=1.5 b=-2\n")
    assert records.recorded_result("r.txt", str(tmp_path)) == {"a": 1.5, "b": -2.0}
    assert records.recorded_source("r.txt", str(tmp_path)) == "cmd (date)"
    raised_on_purpose(lambda: records.recorded_result("r.txt", 5), "folder")


def test_files_name_the_folder_to_create_or_the_file_to_give(tmp_path):
    vocab = text_utils.Vocab(["<pad>", "<unk>", "a"])
    model = LSTMClassifier(ClassifierConfig(vocab_size=3, embed_dim=2, hidden_size=2, num_layers=1, pad_id=0))
    raised_on_purpose(lambda: vocab.save(tmp_path / "no" / "v.json"), "mkdir")
    raised_on_purpose(lambda: text_utils.Vocab.load(tmp_path), "is a folder")
    raised_on_purpose(lambda: checkpoint.save_checkpoint(tmp_path, model, vocab), "is a folder")
    raised_on_purpose(lambda: checkpoint.save_checkpoint(tmp_path / "no" / "m.pt", model, vocab), "mkdir")
    raised_on_purpose(lambda: checkpoint.load_checkpoint(None), "str or pathlib.Path")
    raised_on_purpose(lambda: checkpoint.content_digest({"w": [1.0]}, [], {}), "not a tensor")
    raised_on_purpose(lambda: checkpoint.content_digest({}, ["a"], {"x": {1, 2}}), "JSON")
    raised_on_purpose(lambda: checkpoint.content_digest({}, (t for t in "a"), {}), "list(vocab.itos)")
    assert list(tmp_path.iterdir()) == []


def test_vocab_membership_is_asked_of_one_token():
    vocab = text_utils.Vocab(["<pad>", "<unk>", "a"])
    assert "a" in vocab and "b" not in vocab
    raised_on_purpose(lambda: ["a"] in vocab, "one token")
    raised_on_purpose(lambda: 5 in vocab, "one token")


def test_sequences_name_batches_labels_and_bucket_settings():
    raised_on_purpose(lambda: sequences.collate_padded(p for p in [([1], 1)]), "list of (token_ids, label)")
    raised_on_purpose(lambda: sequences.collate_padded([([1], torch.tensor([1, 0]))]), "one number")
    raised_on_purpose(lambda: sequences.BucketBatchSampler((n for n in [1, 2]), 1), "list(...)")
    raised_on_purpose(lambda: sequences.BucketBatchSampler(torch.tensor(3), 1), "1-D")
    raised_on_purpose(lambda: sequences.BucketBatchSampler([1, 2], 1, seed=2**70), "seed")
    raised_on_purpose(lambda: sequences.pack(torch.zeros(3, 0, 1), []), "zero sequences")
    assert len(sequences.BucketBatchSampler([], 2)) == 0


# --- the second audit's silent answers, now refused (or right) --------------------------------


def test_copies_with_tensor_labels_are_kept_once_not_dropped():
    texts = ["what a great game tonight", "what a great game tonight", "a different tweet here"]
    kept_texts, kept_labels = data.deduplicate(texts, [torch.tensor(1), torch.tensor(1), torch.tensor(0)])
    assert kept_texts == ["what a great game tonight", "a different tweet here"] and len(kept_labels) == 2


@settings(max_examples=40, deadline=None)
@given(b=st.integers(0, 60), c=st.integers(0, 60))
def test_mcnemar_equals_the_exact_binomial_sum(b, c):
    from utils.sentiment import mcnemar

    labels = [1] * (b + c + 1)
    pred_a = [1] * b + [0] * c + [1]
    pred_b = [0] * b + [1] * c + [1]
    n = b + c
    exact = min(1.0, 2 * sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n)
    result = mcnemar(pred_a, pred_b, labels)
    assert (result.a_only, result.b_only) == (b, c)
    assert result.p_value == pytest.approx(exact, rel=1e-9, abs=1e-300)


def test_mcnemar_stays_fast_on_many_disagreements():
    import time

    from utils.sentiment import mcnemar

    n = 50_000
    start = time.perf_counter()
    result = mcnemar([1] * n, [0] * n, [1] * (n // 2) + [0] * (n // 2))
    assert time.perf_counter() - start < 5 and result.p_value == 1.0 and result.a_only + result.b_only == n


def test_training_steps_refuse_a_reversed_clip_or_another_model_s_optimizer():
    model = LSTMClassifier(ClassifierConfig(vocab_size=4, embed_dim=2, hidden_size=2, num_layers=1, pad_id=0))
    other = LSTMClassifier(ClassifierConfig(vocab_size=4, embed_dim=2, hidden_size=2, num_layers=1, pad_id=0))
    loader = [(torch.tensor([[1, 2]]), torch.tensor([2]), torch.tensor([1.0]))]
    for clip in (-1.0, 0, math.nan, "1"):
        raised_on_purpose(lambda clip=clip: training.train_epoch(
            model, loader, torch.optim.Adam(model.parameters()), device=torch.device("cpu"), clip_norm=clip),
            "clip_norm")
    raised_on_purpose(lambda: training.train_epoch(model, loader, torch.optim.Adam(other.parameters()),
                                                   device=torch.device("cpu"), clip_norm=1.0), "another model")
    squeezed = torch.nn.Sequential()
    squeezed.forward = lambda tokens, lengths: torch.zeros(len(tokens), 1, requires_grad=True)  # (B, 1)
    squeezed.register_parameter("w", torch.nn.Parameter(torch.zeros(1)))
    raised_on_purpose(lambda: training.evaluate(squeezed, loader), "squeeze")
    raised_on_purpose(lambda: training.fit(model, loader, None, epochs=1), "valid_loader")
    raised_on_purpose(lambda: training.fit(model, loader, loader, epochs=1, device="gpu"), "'cpu' or 'cuda'")
    raised_on_purpose(lambda: training.model_device(torch.nn.LSTM(1, 1)), "LSTMClassifier")


def test_containers_that_would_be_read_character_by_character_or_in_set_order():
    raised_on_purpose(lambda: data.Split("abc", [0, 1, 0]), "texts", "[text]")
    raised_on_purpose(lambda: data.Split(["a", "b"], [5, -3]), "labels")
    raised_on_purpose(lambda: data.Split(["a", "b"], [0, 1], "xy"), "topics")
    vocab = text_utils.Vocab(["<pad>", "<unk>", "good", "bad"])
    raised_on_purpose(lambda: vocab.encode({"good", "bad"}), "text order")
    raised_on_purpose(lambda: vocab.encode({"good": 1}), "text order")
    raised_on_purpose(lambda: text_utils.pad_truncate(b"abc", 4), "bytes")
    raised_on_purpose(lambda: text_utils.word_tokenize("can't", split_clitics="False"), "split_clitics")
    from utils.grading import otter_install_command, ready

    raised_on_purpose(lambda: otter_install_command("numpy"), "['numpy']")
    raised_on_purpose(lambda: ready(5), "ready(run)")
    raised_on_purpose(lambda: ready(), "ready(run)")


@pytest.mark.parametrize("seed", [-1, 2**40])
def test_split_seeds_outside_scikit_learn_s_range_are_refused_first(seed):
    raised_on_purpose(lambda: data.check_split_sizes(0.1, 0.1, seed), "2**32")


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_numbers_that_would_round_overflow_or_wrap():
    raised_on_purpose(lambda: sequences.pad_batch([torch.tensor([3001, 4097]), torch.tensor([1.0]).half()]),
                      "mix token ids")
    raised_on_purpose(lambda: sequences.pad_batch([torch.tensor([1.0]).half()], pad_value=1e6), "float16")
    padded, _ = sequences.pad_batch([torch.tensor([1.0, 2.0]), torch.tensor([3.0])], pad_value=2**70)
    assert padded[1, 1].item() == pytest.approx(2.0**70)
    rng = np.random.default_rng(0)
    x, h, w_ih, w_hh, b = rng.normal(size=(2, 2)), np.zeros((2, 2)), rng.normal(size=(8, 2)), rng.normal(
        size=(8, 2)), np.zeros(8)
    raised_on_purpose(lambda: lstm_numpy.lstm_cell_forward(np.matrix(x), h, h, w_ih, w_hh, b, b), "np.asarray")
    raised_on_purpose(lambda: lstm_numpy.lstm_cell_forward(x.astype(np.int8), h, h, w_ih, w_hh, b, b), "floats")
    raised_on_purpose(lambda: memory_task.MemoryModel("lstm", dtype=torch.float16), "torch.float64")
    raised_on_purpose(lambda: memory_task.train_memory_task("lstm", seq_len=2, steps=1, seed=0, every_step="no"),
                      "every_step")
    raised_on_purpose(lambda: memory_task.train_memory_task("lstm", seq_len=2, steps=1, seed=0, lr=-0.1), "lr")


def test_benchmark_batches_are_not_cropped_behind_their_lengths():
    from utils import batching_speed

    sequences_, labels = [torch.arange(1, 13)] * 3, torch.zeros(3)
    raised_on_purpose(lambda: batching_speed.make_batches(sequences_, labels, "fixed", batch_size=3, max_len=5),
                      "raise max_len")
    raised_on_purpose(lambda: batching_speed.make_batches(sequences_, labels, "fixed", batch_size=-1), "batch_size")
    raised_on_purpose(lambda: batching_speed.synthetic_data(5, max_len=0), "max_len")


def test_downloads_and_archives(tmp_path):
    from utils import download

    mirror = download.Mirror("file:///nowhere.bin", "md5:" + "0" * 32)
    raised_on_purpose(lambda: download.download((m for m in [mirror]), "x.bin", cache_dir=tmp_path), "list")
    raised_on_purpose(lambda: download.download([mirror], "..", cache_dir=tmp_path), "plain file name")
    raised_on_purpose(lambda: download.Mirror("file:///x", "md5:ab"), "known_hash")
    (tmp_path / "cut.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)  # a gzip header, then nothing
    raised_on_purpose(lambda: download.safe_extract(tmp_path / "cut.tar.gz", tmp_path / "out"), "download")
    raised_on_purpose(lambda: download.safe_extract(tmp_path / "none.tar", tmp_path / "out"), "no archive")


def test_saved_files_get_the_mode_of_any_new_file(tmp_path):
    from utils.checks import new_file_mode

    vocab = text_utils.Vocab(["<pad>", "<unk>", "a"])
    model = LSTMClassifier(ClassifierConfig(vocab_size=3, embed_dim=2, hidden_size=2, num_layers=1, pad_id=0))
    before = os.umask(0o022)
    try:
        assert new_file_mode() == 0o644  # what open() gives a new file under this umask
        vocab.save(tmp_path / "v.json")
        checkpoint.save_checkpoint(tmp_path / "m.pt", model, vocab)
    finally:
        os.umask(before)
    for name in ("v.json", "m.pt"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644


def test_empty_splits_and_results_are_refused():
    empty = data.Split([], [], [])
    raised_on_purpose(lambda: baseline.topic_prior(empty), "empty")
    prior = baseline.topic_prior(data.Split(["a", "b"], [1, 0], ["x", "x"]))
    raised_on_purpose(lambda: prior.accuracy(empty), "empty")


def test_gradient_norms_work_inside_no_grad():
    x = torch.randn(3, 1, 2)
    with torch.no_grad():
        norms = rnn.input_gradient_norms(lambda v: v[-1] * 2, x)
    assert torch.allclose(norms, torch.tensor([0.0, 0.0, 2 * math.sqrt(2)]))
    raised_on_purpose(lambda: rnn.input_gradient_norms(lambda v: v.detach()[-1], x), "does not depend on x")
