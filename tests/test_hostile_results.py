"""Inputs that used to give a plausible but wrong number, and now give an error naming the fix.

Each family is generated (hypothesis), not one example: accuracy from logits and labels whose
shapes broadcast, paired tests and per-topic tables fed probabilities or -1/+1 labels,
predictions from a shuffling loader, padding masks that broadcast over the hidden units, pad
values that do not fit the dtype, broken GloVe sets, NBSVM settings.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse
from torch import nn
from torch.utils.data import DataLoader, RandomSampler

from utils.baseline import NBFeatures, log_count_ratio, per_topic
from utils.data import Split, zero_one
from utils.embeddings import Glove
from utils.lstm import ScratchLSTM, copy_from_torch, copy_to_torch, fused_loop, naive_loop, parameter_count
from utils.sentiment import mcnemar, mean_sd, paired_bootstrap, predictions_in_order
from utils.sequences import BucketBatchSampler, collate_padded, pad_batch
from utils.training import accuracy, check_labels, count_correct, evaluate, fit, predicted_labels

# --- accuracy: logits (B,) against labels (B,) of 0.0/1.0, nothing else -----------------------


@given(batch=st.integers(2, 6), extra=st.sampled_from(["logits", "labels"]))
def test_shapes_that_would_broadcast_are_refused(batch, extra):
    logits, labels = torch.randn(batch), torch.randint(0, 2, (batch,)).float()
    if extra == "logits":
        logits = logits[:, None]  # (B, 1): (B, 1) == (B,) broadcasts to (B, B)
    else:
        labels = labels[:1]  # (1,) against B logits
    with pytest.raises(ValueError, match=r"expected (logits|labels) of shape"):
        count_correct(logits, labels)


@given(st.lists(st.sampled_from([-1.0, 2.0, 0.5, float("nan")]), min_size=1, max_size=4))
def test_labels_other_than_0_and_1_are_refused(odd):
    labels = torch.tensor([0.0, 1.0, *odd])
    with pytest.raises(ValueError, match=r"labels of 0.0 \(negative\) and 1.0 \(positive\) only"):
        accuracy(torch.randn(len(labels)), labels)


def test_integer_labels_a_list_and_no_labels_get_errors_that_name_the_fix():
    with pytest.raises(ValueError, match=r"labels.float\(\)"):
        check_labels(torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="expected labels as a tensor, got list"):
        accuracy(torch.randn(2), [0.0, 1.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty batch"):
        accuracy(torch.empty(0), torch.empty(0))
    with pytest.raises(TypeError, match="expected logits as a tensor, got ndarray"):
        predicted_labels(np.zeros(3))  # type: ignore[arg-type]


def test_a_nan_logit_is_refused_not_counted_as_negative():
    with pytest.raises(ValueError, match="the model diverged"):
        count_correct(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 0.0]))


def test_right_inputs_still_count_right():
    assert count_correct(torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0])) == 2
    assert accuracy(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 1.0])) == 0.5


class _Sign(nn.Module):
    """logit = first token id - 1.5: a fixed classifier for checking the helpers around it."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, tokens, lengths):
        return self.scale * (tokens[:, 0].float() - 1.5)


def _loader(labels, **kwargs) -> DataLoader:
    data = [(torch.tensor([1 + i % 2]), label) for i, label in enumerate(labels)]
    return DataLoader(data, collate_fn=functools.partial(collate_padded, pad_value=0), **kwargs)


@pytest.mark.parametrize("label", [2, -1])
def test_evaluate_and_fit_refuse_labels_outside_0_and_1(label):
    model = _Sign()
    with pytest.raises(ValueError, match="0.0 \\(negative\\) and 1.0 \\(positive\\) only"):
        evaluate(model, _loader([0, label], batch_size=2))
    with pytest.raises(ValueError, match="0.0 \\(negative\\) and 1.0 \\(positive\\) only"):
        fit(model, _loader([0, label], batch_size=2), _loader([0, 1], batch_size=2), epochs=1, progress=False)


def test_integer_labels_from_a_loader_get_the_fix_not_the_loss_s_error():
    data = [(torch.tensor([1]), 0), (torch.tensor([2]), 1)]
    loader = DataLoader(data, batch_size=2, collate_fn=lambda batch: (
        torch.stack([t for t, _ in batch]), torch.tensor([1, 1]), torch.tensor([y for _, y in batch])))
    with pytest.raises(ValueError, match=r"labels.float\(\)"):
        evaluate(_Sign(), loader)


@pytest.mark.parametrize("lr", [float("inf"), float("nan"), True, "0.01", -1e-3])
def test_fit_refuses_a_learning_rate_that_is_not_a_finite_number(lr):
    with pytest.raises(ValueError, match="expected a finite learning rate"):
        fit(_Sign(), _loader([0, 1], batch_size=2), _loader([0, 1], batch_size=2), epochs=1, lr=lr)


# --- predictions in dataset order, whatever the sampler ---------------------------------------


@given(seed=st.integers(0, 1000), batch=st.integers(1, 4))
def test_predictions_land_on_their_examples_even_from_a_shuffling_loader(seed, batch):
    labels = [i % 2 for i in range(9)]  # token 1 + i % 2: the model is right on every example
    generator = torch.Generator().manual_seed(seed)
    shuffled = _loader(labels, batch_size=batch, sampler=RandomSampler(range(9), generator=generator))
    np.testing.assert_array_equal(predictions_in_order(_Sign(), shuffled), labels)
    lengths = [1] * 9
    bucketed = DataLoader(
        [(torch.tensor([1 + i % 2]), y) for i, y in enumerate(labels)],
        batch_sampler=BucketBatchSampler(lengths, batch_size=batch, seed=seed, shuffle=True),
        collate_fn=functools.partial(collate_padded, pad_value=0),
    )
    np.testing.assert_array_equal(predictions_in_order(_Sign(), bucketed), labels)


def test_predictions_need_a_loader_with_batches():
    with pytest.raises(TypeError, match="a DataLoader with a batch_sampler"):
        predictions_in_order(_Sign(), [(torch.tensor([[1]]), torch.tensor([1]), torch.tensor([1.0]))])  # type: ignore[arg-type]


# --- paired tests, per-topic tables, summaries ------------------------------------------------

_NOT_ZERO_ONE = st.one_of(
    st.lists(st.floats(0.01, 0.99), min_size=3, max_size=3),  # probabilities
    st.lists(st.sampled_from([-1, 1]), min_size=3, max_size=3).filter(lambda v: -1 in v),
    st.lists(st.sampled_from([0, 2]), min_size=3, max_size=3).filter(lambda v: 2 in v),
    st.just([0.0, float("nan"), 1.0]),
    st.just(["1", "0", "1"]),
)


@given(odd=_NOT_ZERO_ONE, which=st.integers(0, 2))
def test_paired_tests_refuse_anything_but_0_1_predictions_and_labels(odd, which):
    args = [[1, 0, 1], [0, 0, 1], [1, 1, 1]]
    args[which] = odd
    with pytest.raises(ValueError, match="of 0 and 1 only"):
        mcnemar(*args)
    with pytest.raises(ValueError, match="of 0 and 1 only"):
        paired_bootstrap(*args, samples=100)


def test_paired_tests_refuse_a_table_of_predictions_and_odd_settings():
    with pytest.raises(ValueError, match=r"of shape \(n,\), got \(2, 2\)"):
        mcnemar(np.array([[1, 0], [0, 1]]), [1, 0, 0, 1], [1, 0, 0, 1])
    with pytest.raises(ValueError, match=r"an int samples in \[100, 10\*\*7\]"):
        paired_bootstrap([1, 0], [0, 1], [1, 1], samples=100.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed to be an int >= 0"):
        paired_bootstrap([1, 0], [0, 1], [1, 1], seed=-1)


@given(odd=_NOT_ZERO_ONE)
def test_per_topic_refuses_predictions_that_are_not_0_1(odd):
    split = Split(["a", "b", "c"], [1, 0, 1], ["x", "x", "y"])
    with pytest.raises(ValueError, match="predictions of 0 and 1 only"):
        per_topic(split, {"model": odd})


def test_per_topic_refuses_a_column_of_predictions_and_counts_right_otherwise():
    split = Split(["a", "b", "c"], [1, 0, 1], ["x", "x", "x"])
    with pytest.raises(ValueError, match=r"of shape \(n,\), got \(3, 1\)"):
        per_topic(split, {"m": np.array([[1], [0], [0]])})
    assert per_topic(split, {"m": [1, 0, 0]})[0].accuracy["m"] == pytest.approx(2 / 3)


def test_per_topic_refuses_a_split_with_minus_one_plus_one_labels():
    with pytest.raises(ValueError, match="labels of 0 and 1 only"):
        per_topic(Split(["a", "b", "c"], [-1, 1, 1], ["x", "x", "y"]), {"m": [0, 1, 1]})


def test_a_split_needs_one_label_per_text():
    with pytest.raises(ValueError, match="one label \\(and topic\\) per text"):
        Split(["a", "b"], [1])
    with pytest.raises(ValueError, match="one label \\(and topic\\) per text"):
        Split(["a", "b"], [1, 0], ["x"])


@pytest.mark.parametrize("values", [[0.8, float("nan")], ["0.8", "0.9"], (v for v in [0.8]), {0.8, 0.9}])
def test_mean_sd_refuses_nan_text_and_unordered_values(values):
    with pytest.raises((TypeError, ValueError), match="finite numbers|text|list of accuracies"):
        mean_sd(values)


def test_zero_one_accepts_bools_ints_floats_and_tensors():
    for values in ([True, False], [1, 0], [1.0, 0.0], torch.tensor([1, 0]), np.array([1, 0])):
        np.testing.assert_array_equal(zero_one(values), [1, 0])


# --- the from-scratch loops, padding, GloVe, NBSVM --------------------------------------------


@given(loop=st.sampled_from([naive_loop, fused_loop]), t=st.integers(1, 4), b=st.integers(1, 3))
def test_a_mask_that_is_not_bool_t_b_1_is_refused(loop, t, b):
    hidden, x = 3, torch.randn(t, b, 2)
    h = c = torch.zeros(b, hidden)
    lstm = nn.LSTM(2, hidden)
    weights = (lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
    for mask in (torch.ones(t, b, dtype=torch.bool), torch.ones(t, b, 1), torch.ones(t, b, hidden, dtype=torch.bool)):
        with pytest.raises(ValueError, match=r"a bool tensor of shape .* \(T, B, 1\)"):
            loop(x, h, c, *weights, mask)
    loop(x, h, c, *weights, torch.ones(t, b, 1, dtype=torch.bool))  # the right mask runs


@given(
    dtype=st.sampled_from([torch.uint8, torch.int8, torch.int16, torch.int32]),
    beyond=st.sampled_from(["below", "above"]),
)
def test_a_pad_value_that_does_not_fit_the_dtype_is_refused(dtype, beyond):
    info = torch.iinfo(dtype)
    pad = info.min - 1 if beyond == "below" else info.max + 1
    with pytest.raises(ValueError, match=f"does not fit in {dtype}"):
        pad_batch([torch.tensor([1, 2], dtype=dtype), torch.tensor([1], dtype=dtype)], pad_value=pad)


def test_pad_values_that_fit_still_pad():
    padded, lengths = pad_batch(
        [torch.tensor([1, 2], dtype=torch.uint8), torch.tensor([1], dtype=torch.uint8)], pad_value=255
    )
    assert (padded.tolist(), lengths.tolist()) == ([[1, 2], [1, 255]], [2, 1])


@given(word=st.text(min_size=1, max_size=5), position=st.integers(0, 2))
def test_glove_refuses_a_word_given_twice(word, position):
    words = ["w0", "w1", "w2"]
    words.insert(position, words[min(position, 2)])
    with pytest.raises(ValueError, match="appears twice"):
        Glove(words, np.zeros((4, 2), dtype=np.float32))


@given(value=st.sampled_from([1e39, -1e300, 3.5e38]))
def test_glove_refuses_values_beyond_float32(value):
    vectors = np.zeros((2, 2), dtype=np.float64)
    vectors[1, 0] = value
    with pytest.raises(ValueError, match="beyond float32"):
        Glove(["a", "b"], vectors)


@pytest.mark.parametrize("alpha", [float("nan"), float("inf"), 0, -1.0, True])
def test_log_count_ratio_refuses_alpha_that_is_not_a_positive_finite_number(alpha):
    with pytest.raises(ValueError, match="finite smoothing alpha > 0"):
        log_count_ratio(np.ones((2, 3)), [0, 1], alpha=alpha)


def test_nb_features_check_their_columns_and_that_they_were_fitted():
    features, labels = sparse.csr_matrix(np.array([[1, 0], [0, 1], [1, 1]])), [1, 0, 1]
    with pytest.raises(Exception, match="not fitted yet"):
        NBFeatures().transform(features)
    fitted = NBFeatures().fit(features, labels)
    with pytest.raises(ValueError, match="expected features with 2 columns"):
        fitted.transform(sparse.csr_matrix(np.ones((2, 1))))
    dense = fitted.transform(np.array([[1, 0], [0, 1], [1, 1]]))  # dense, as fit accepts
    np.testing.assert_allclose(dense.toarray(), fitted.transform(features).toarray())


@pytest.mark.parametrize("flag", ["bias", "bidirectional"])
@pytest.mark.parametrize("value", ["no", None, 2, 0])
def test_parameter_count_takes_true_or_false_flags_only(flag, value):
    with pytest.raises(TypeError, match=f"expected {flag} to be True or False"):
        parameter_count(2, 3, **{flag: value})


def test_copying_refuses_batch_first_mismatch_and_meta_lstms():
    with pytest.raises(ValueError, match="differ in batch_first"):
        copy_from_torch(ScratchLSTM(2, 3), nn.LSTM(2, 3, batch_first=True))
    with pytest.raises(ValueError, match="meta device"):
        copy_to_torch(ScratchLSTM(2, 3), nn.LSTM(2, 3, device="meta"))
