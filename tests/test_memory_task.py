"""Chapter 4's memory task and chapter 6's sign task (utils/memory_task.py)."""

import pytest
import torch
from torch import nn

from utils.memory_task import (
    BASELINE_MSE,
    SIGN_BASELINE_MSE,
    MemoryModel,
    first_input_batch,
    inputs_from_first,
    last_step_predictions,
    mse_by_step,
    sign_batch,
    train_memory_task,
    train_sign_task,
    two_level_share,
)


def test_batch_is_first_input_then_zeros():
    x, first = first_input_batch(5, 7, generator=torch.Generator().manual_seed(0))
    assert x.shape == (7, 5, 1) and first.shape == (5,)
    assert torch.equal(x[0, :, 0], first) and not x[1:].any()
    assert first.abs().max() <= 1 and first.min() < 0 < first.max()


def test_first_inputs_are_uniform_on_minus_one_to_one():
    _, first = first_input_batch(100_000, 1, generator=torch.Generator().manual_seed(0))
    assert first.mean().abs() < 0.01 and abs(first.var().item() - BASELINE_MSE) < 0.005


def test_the_two_baselines_are_forgetting_and_a_perfect_sign_memory():
    _, first = first_input_batch(200_000, 1, generator=torch.Generator().manual_seed(1))
    assert abs((first**2).mean().item() - BASELINE_MSE) < 3e-3
    sign_memory = 0.5 * torch.sign(first)  # E[x_1 | sign(x_1)] = +-1/2
    assert abs(((sign_memory - first) ** 2).mean().item() - SIGN_BASELINE_MSE) < 1e-3
    # any other one-bit memory (another threshold, other levels) does worse
    for threshold in (-0.3, 0.2):
        low, high = first[first <= threshold].mean(), first[first > threshold].mean()
        other = torch.where(first <= threshold, low, high)
        assert ((other - first) ** 2).mean().item() > SIGN_BASELINE_MSE + 5e-3


def test_inputs_from_first_and_bad_shapes():
    first = torch.tensor([0.25, -0.5], dtype=torch.float64)
    x = inputs_from_first(first, 4)
    assert x.shape == (4, 2, 1) and torch.equal(x[0, :, 0], first) and not x[1:].any()
    with pytest.raises(ValueError, match=r"expected first of shape \(batch,\) and seq_len >= 1, got \(2, 1\), 4"):
        inputs_from_first(first.view(2, 1), 4)
    with pytest.raises(ValueError, match=r"got \(2,\), 0"):
        inputs_from_first(first, 0)


@pytest.mark.parametrize("hidden_size", [1, 4])
def test_forget_bias_is_written_to_the_forget_block(hidden_size):
    model = MemoryModel("lstm", hidden_size=hidden_size, forget_bias=3.0)
    total = model.recurrent.bias_ih_l0 + model.recurrent.bias_hh_l0
    assert torch.all(total[hidden_size : 2 * hidden_size] == 3.0)
    assert not torch.any(total[:hidden_size] == 3.0) and not torch.any(total[2 * hidden_size :] == 3.0)


@pytest.mark.parametrize(("kind", "cls"), [("lstm", nn.LSTM), ("rnn", nn.RNN), ("gru", nn.GRU)])
def test_model_kinds_dtypes_and_output_shape(kind, cls):
    model = MemoryModel(kind, hidden_size=3, dtype=torch.float32)
    assert isinstance(model.recurrent, cls) and model.recurrent.hidden_size == 3 and model.kind == kind
    assert all(p.dtype == torch.float32 for p in model.parameters())
    x, _ = first_input_batch(4, 6, generator=torch.Generator().manual_seed(0))  # float64 input
    assert model(x).shape == (6, 4) and model(x).dtype == torch.float32
    assert all(p.dtype == torch.float64 for p in MemoryModel(kind).parameters())


def test_untrained_model_is_no_better_than_forgetting_and_training_helps():
    torch.manual_seed(1)  # the same start as train_memory_task(seed=1)
    untrained = MemoryModel("lstm", forget_bias=3.0)
    untrained_mse = mse_by_step(untrained, seq_len=5, seed=1)
    assert untrained_mse.shape == (5,)
    assert untrained_mse[-1] > 0.9 * BASELINE_MSE
    run = train_memory_task("lstm", seq_len=5, steps=300, seed=1, forget_bias=3.0)
    assert len(run.losses) == 300 and run.losses[-1] < 0.5 * run.losses[0]
    assert run.final_mse == pytest.approx(mse_by_step(run.model, seq_len=5, seed=1)[-1].item())
    assert run.final_mse < 0.1 * BASELINE_MSE and run.seconds_per_step > 0


@pytest.mark.parametrize("every_step", [True, False])
def test_first_loss_is_the_mse_of_the_untrained_model_on_the_first_batch(every_step):
    run = train_memory_task("lstm", seq_len=4, steps=1, seed=2, forget_bias=1.0, every_step=every_step)
    torch.manual_seed(2)
    model = MemoryModel("lstm", forget_bias=1.0)
    x, first = first_input_batch(32, 4, generator=torch.Generator().manual_seed(10_002))
    predictions = model(x) if every_step else model(x)[-1]
    expected = ((predictions - first) ** 2).mean().item()
    assert run.losses[0] == pytest.approx(expected, rel=1e-12)


def test_without_feedback_the_recurrent_weights_stay_zero():
    run = train_memory_task("lstm", seq_len=5, steps=20, seed=0, feedback=False)
    weight_hh = run.model.recurrent.weight_hh_l0
    assert not weight_hh.requires_grad and torch.count_nonzero(weight_hh) == 0
    assert torch.count_nonzero(MemoryModel("lstm").recurrent.weight_hh_l0) > 0


@pytest.mark.parametrize("clip_norm", [0.0, -1.0])
def test_clip_norm_must_be_positive(clip_norm):
    with pytest.raises(ValueError, match="clip_norm > 0"):
        train_memory_task("lstm", seq_len=3, steps=1, seed=0, clip_norm=clip_norm)


def test_gradient_clipping_limits_the_updates():
    torch.manual_seed(0)
    start = [p.clone() for p in MemoryModel("lstm").parameters()]
    clipped = train_memory_task("lstm", seq_len=5, steps=5, seed=0, clip_norm=1e-12).model
    free = train_memory_task("lstm", seq_len=5, steps=5, seed=0).model
    moved = [(p - q).abs().max().item() for p, q in zip(clipped.parameters(), start, strict=True)]
    assert max(moved) < 1e-4
    assert max((p - q).abs().max().item() for p, q in zip(free.parameters(), start, strict=True)) > 0.01


def test_last_step_predictions_read_the_output_after_seq_len_steps():
    torch.manual_seed(0)
    model = MemoryModel("lstm")
    first = torch.linspace(-1, 1, 5, dtype=torch.float64)
    y = last_step_predictions(model, first, seq_len=7)
    assert y.shape == (5,)
    assert torch.equal(y, model(inputs_from_first(first, 7))[-1].detach())
    assert not torch.equal(y, last_step_predictions(model, first, seq_len=2))


def test_two_level_share_tells_one_bit_from_a_number():
    first = torch.linspace(-1, 1, 2001, dtype=torch.float64)
    assert two_level_share(first, 0.5 * torch.sign(first)) == pytest.approx(1.0)
    assert two_level_share(first, torch.where(first > 0.3, 0.8, -0.2)) == pytest.approx(1.0)
    assert two_level_share(first, 0.9 * first) == pytest.approx(0.75, abs=1e-3)
    assert two_level_share(first, torch.full_like(first, 0.3)) == 1.0
    shuffled = torch.randperm(2001, generator=torch.Generator().manual_seed(0))
    assert two_level_share(first[shuffled], (0.5 * torch.sign(first))[shuffled]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        two_level_share(first, first[:-1])


def test_two_level_share_matches_a_brute_force_search():
    generator = torch.Generator().manual_seed(3)
    first = torch.rand(40, generator=generator, dtype=torch.float64)
    y = torch.sin(6 * first) + 0.3 * torch.randn(40, generator=generator, dtype=torch.float64)
    ordered = y[first.argsort()]
    total = ((ordered - ordered.mean()) ** 2).sum()
    best_within = min(
        ((g - g.mean()) ** 2).sum() + ((h - h.mean()) ** 2).sum()
        for g, h in (ordered.split([k, 40 - k]) for k in range(1, 40))
    )
    assert two_level_share(first, y) == pytest.approx((1 - best_within / total).item(), rel=1e-10)


def test_bad_arguments():
    with pytest.raises(ValueError, match="expected kind 'lstm', 'rnn' or 'gru', got 'lsmt'"):
        MemoryModel("lsmt")
    with pytest.raises(ValueError, match=r"expected seq_len to be at least 1, got 0"):
        first_input_batch(2, 0, generator=torch.Generator())
    with pytest.raises(ValueError, match=r"expected batch_size to be at least 1, got 0"):
        first_input_batch(0, 3, generator=torch.Generator())
    x, first = first_input_batch(1, 1, generator=torch.Generator().manual_seed(0))  # smallest valid
    assert x.shape == (1, 1, 1) and first.shape == (1,)
    with pytest.raises(ValueError, match="batch_size"):
        sign_batch(0, 3, generator=torch.Generator())


def test_sign_batch_layout():
    x, labels = sign_batch(6, 4, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4, 6, 1) and labels.shape == (6,)
    assert torch.equal(x[0, :, 0], 2 * labels - 1)
    assert set(labels.tolist()) <= {0.0, 1.0} and x[1:].std() > 0.5


def test_sign_task_is_learned_with_an_open_forget_gate():
    assert train_sign_task(seq_len=10, forget_bias=3.0, seed=0, steps=150) > 0.95
    assert train_sign_task(seq_len=10, forget_bias=3.0, seed=0, steps=0) < 0.8
