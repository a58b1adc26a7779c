import pytest
import torch

from utils.memory_task import (
    BASELINE_MSE,
    MemoryModel,
    first_input_batch,
    mse_by_step,
    train_memory_task,
)


def test_batch_is_first_input_then_zeros():
    x, first = first_input_batch(5, 7, generator=torch.Generator().manual_seed(0))
    assert x.shape == (7, 5, 1) and first.shape == (5,)
    assert torch.equal(x[0, :, 0], first) and not x[1:].any()
    assert first.abs().max() <= 1


@pytest.mark.parametrize("hidden_size", [1, 4])
def test_forget_bias_is_written_to_the_forget_block(hidden_size):
    model = MemoryModel("lstm", hidden_size=hidden_size, forget_bias=3.0)
    total = model.recurrent.bias_ih_l0 + model.recurrent.bias_hh_l0
    assert torch.all(total[hidden_size : 2 * hidden_size] == 3.0)
    assert not torch.any(total[:hidden_size] == 3.0)


def test_untrained_model_is_no_better_than_the_baseline_and_training_helps():
    run = train_memory_task("lstm", seq_len=5, steps=300, seed=1, forget_bias=3.0)
    assert run.losses[-1] < run.losses[0]
    assert run.final_mse < 0.1 * BASELINE_MSE
    errors = mse_by_step(run.model, seq_len=5, seed=1)
    assert errors.shape == (5,)


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        MemoryModel("gru")
    with pytest.raises(ValueError, match="seq_len"):
        first_input_batch(2, 0, generator=torch.Generator())


def test_sign_batch_layout():
    from utils.memory_task import sign_batch

    x, labels = sign_batch(6, 4, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4, 6, 1) and labels.shape == (6,)
    assert torch.equal(x[0, :, 0], 2 * labels - 1)


def test_sign_task_is_learned_with_an_open_forget_gate():
    from utils.memory_task import train_sign_task

    assert train_sign_task(seq_len=10, forget_bias=3.0, seed=0, steps=150) > 0.95
