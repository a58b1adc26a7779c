"""Runs: training in other processes gives the same results as here, on one thread."""

import functools
import os
import time
import types

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
    with pytest.raises(ValueError, match="seq_len to be at least 1"):
        future.result()


def test_functions_defined_in_a_notebook_are_refused_with_the_fix():
    def local(x):
        return x

    with Runs(workers=1) as runs, pytest.raises(TypeError, match="move it into a .py file"):
        runs.submit(local, 1)
    with pytest.raises(ValueError, match="positive int"):
        Runs(workers=0)
    assert available_cores() >= 1


# --- found by mutation testing: arguments, start method, threads per worker, messages --------


def _threads_here(n: int):
    class Threads:
        def __enter__(self):
            self.before = torch.get_num_threads()
            torch.set_num_threads(n)

        def __exit__(self, *exc):
            torch.set_num_threads(self.before)

    return Threads()


@pytest.mark.parametrize("workers", [1, 2])
def test_positional_and_keyword_arguments_reach_the_function(workers):
    with Runs(workers=workers) as runs:
        future = runs.submit(divmod, 17, 5)
        rounded = runs.submit(round, 2.675, ndigits=1)
        assert future.result(timeout=120) == (3, 2) and rounded.result(timeout=120) == 2.7


@pytest.mark.skipif(available_cores() < 2, reason="needs two cores for two worker processes")
def test_workers_are_spawned_processes_with_their_share_of_the_cores():
    cores = available_cores()
    with _threads_here(cores + 1), Runs(workers=2) as runs:  # the parent's count must not leak in
        assert runs._pool is not None and runs._pool._mp_context.get_start_method() == "spawn"
        assert runs.submit(torch.get_num_threads).result(timeout=120) == cores // 2
        slow = runs.submit(time.sleep, 0.5)
        runs.close()  # waits for the run already started
        assert slow.done() and runs._pool is None
    runs.close()  # a second close does nothing


def test_one_worker_runs_here_with_the_threads_of_here():
    with _threads_here(3), Runs(workers=1) as runs:
        assert runs._pool is None and runs.submit(torch.get_num_threads).result() == 3


def test_available_cores_without_affinity(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert available_cores() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert available_cores() == 1


@pytest.mark.parametrize("workers", [0, -1, True, 2.0, "2"])
def test_workers_must_be_a_positive_int(workers):
    with pytest.raises(ValueError) as caught:
        Runs(workers=workers)
    assert str(caught.value) == f"expected workers to be a positive int or None (one per core), got {workers!r}"


def test_the_refusal_names_the_function_and_where_it_was_defined():
    def local(x):
        return x

    in_main = types.FunctionType(local.__code__, {}, "helper")
    in_main.__module__, in_main.__qualname__ = "__main__", "helper"
    partial = functools.partial(divmod, 1)
    for function, shown, module in ((local, repr(local.__qualname__), "'tests.test_parallel'"),
                                    (in_main, "'helper'", "'__main__'"), (partial, repr(partial), "'None'")):
        with pytest.raises(TypeError) as caught:
            Runs(workers=1).submit(function, 1)
        module = repr(getattr(function, "__module__", None))
        assert str(caught.value) == (
            f"Runs can only start functions defined in a module (such as utils.sentiment), got {shown} from "
            f"{module}: a function defined in a notebook cannot be sent to another process; move it into a "
            ".py file and import it")


def test_available_cores_reads_the_affinity(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert available_cores() == 3


def test_the_pool_has_the_workers_asked_and_gives_each_its_share(monkeypatch):
    import utils.parallel as parallel

    monkeypatch.setattr(parallel, "available_cores", lambda: 8)  # as on an 8-core machine
    monkeypatch.setattr(os, "cpu_count", lambda: 8)  # so that a pool left to its default would have 8
    with Runs(workers=2) as runs:
        assert runs._pool is not None and runs._pool._max_workers == 2
        assert runs.submit(torch.get_num_threads).result(timeout=120) == 4  # 8 cores // 2 workers
