"""Runs: training in other processes gives the same results as here, on one thread."""

import pytest
import torch

from utils.memory_task import train_sign_task
from utils.parallel import Runs, available_cores


def test_runs_in_two_processes_give_the_same_results_as_here_on_one_thread():
    settings = [dict(seq_len=6, forget_bias=b, seed=s, steps=5, hidden_size=4) for b, s in ((0.0, 0), (1.0, 1))]
    with Runs(workers=2) as runs:
        futures = [runs.submit(train_sign_task, **kwargs) for kwargs in settings]
        there = [future.result(timeout=120) for future in futures]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        here = [train_sign_task(**kwargs) for kwargs in settings]
    finally:
        torch.set_num_threads(threads)
    assert there == here


def test_one_worker_runs_at_submit_here_and_workers_share_the_cores():
    before = torch.get_num_threads()
    with Runs(workers=1) as runs:
        future = runs.submit(torch.get_num_threads)
        assert future.done() and future.result() == before
    cores = available_cores()
    if cores >= 2:
        with Runs(workers=2) as runs:
            assert runs.submit(torch.get_num_threads).result(timeout=120) == cores // 2
    assert Runs(workers=10_000).workers == cores


def test_errors_come_back_through_the_future():
    with Runs(workers=1) as runs:
        future = runs.submit(train_sign_task, seq_len=0, forget_bias=0.0, seed=0)
    with pytest.raises(ValueError, match="seq_len >= 1"):
        future.result()


def test_functions_defined_in_a_notebook_are_refused_with_the_fix():
    def local(x):
        return x

    with Runs(workers=1) as runs, pytest.raises(TypeError, match="move it into a .py file"):
        runs.submit(local, 1)
    with pytest.raises(ValueError, match="positive int"):
        Runs(workers=0)
    assert available_cores() >= 1
