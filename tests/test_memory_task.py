import pytest
import torch

from utils.memory_task import (
    BASELINE_MSE,
    ScalarMemoryModel,
    first_input_batch,
    mse_by_step,
    train_memory_task,
)


def test_batch_is_first_input_then_zeros():
    x, first = first_input_batch(5, 7, generator=torch.Generator().manual_seed(0))
    assert x.shape == (7, 5, 1) and first.shape == (5,)
    assert torch.equal(x[0, :, 0], first) and not x[1:].any()
    assert first.abs().max() <= 1


def test_forget_bias_is_written_to_the_forget_row():
    model = ScalarMemoryModel("lstm", forget_bias=3.0)
    total = model.recurrent.bias_ih_l0 + model.recurrent.bias_hh_l0
    assert total[1].item() == 3.0


def test_untrained_model_is_no_better_than_the_baseline_and_training_helps():
    run = train_memory_task("lstm", seq_len=5, steps=300, seed=1, forget_bias=3.0)
    assert run.losses[-1] < run.losses[0]
    assert run.final_mse < 0.1 * BASELINE_MSE
    errors = mse_by_step(run.model, seq_len=5, seed=1)
    assert errors.shape == (5,)


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        ScalarMemoryModel("gru")
    with pytest.raises(ValueError, match="seq_len"):
        first_input_batch(2, 0, generator=torch.Generator())
