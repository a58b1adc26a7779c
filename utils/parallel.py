"""Train independent models at the same time, one process per CPU core (chapters 11 and 12).

Runs with different seeds or settings share nothing, so on a machine with two cores (Colab's
free runtime) two of them can train at once, each in its own process on one core. A run gives
the same result as calling the function here with as many threads: the processes change when
it finishes, not what it computes (``tests/test_parallel.py`` checks it).

    runs = Runs(workers=2)                         # two processes, the cores shared between them
    later = runs.submit(char_experiment, corpus, hidden_size=64, ...)   # starts in the background
    ...                                            # other cells run meanwhile
    result = later.result()                        # waits for that run
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import types
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

import torch

T = TypeVar("T")


def available_cores() -> int:
    """CPU cores this process may use (its affinity where the system tells it, else the count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _set_threads(threads: int) -> None:
    torch.set_num_threads(threads)


def _check_picklable(function: Callable[..., Any], what: str = "Runs can only start functions") -> None:
    module = getattr(function, "__module__", None)
    if module in (None, "__main__") or "<locals>" in getattr(function, "__qualname__", "<locals>"):
        raise TypeError(
            f"{what} defined in a module (such as utils.sentiment), got "
            f"{getattr(function, '__qualname__', function)!r} from {module!r}: a function defined in a "
            "notebook cannot be sent to another process; move it into a .py file and import it"
        )


class _NotebookObjectPickler(pickle.Pickler):
    """A pickler that refuses what a worker process could not rebuild: a function or class defined
    in the notebook (``__main__``), or anything made from one (a lambda in a DataLoader, a model
    of a class defined in a cell). Pickling by reference works here; unpickling fails there."""

    def reducer_override(self, obj: object) -> Any:  # NotImplemented: pickle it as usual
        kind = obj if isinstance(obj, type | types.FunctionType) else type(obj)
        qualname = getattr(kind, "__qualname__", "")
        if getattr(kind, "__module__", None) == "__main__" or "<locals>" in qualname:
            raise _FromNotebook(qualname or repr(kind))
        return NotImplemented


class _FromNotebook(Exception):
    pass


class _Discard(io.RawIOBase):
    """A file that keeps nothing: the check pickles the arguments without holding a copy of them."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


def _check_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The arguments travel to the worker too, pickled: check that they can, and that nothing in them
    comes from the notebook (checked with one worker as well, so a notebook runs the same on a machine
    with more cores). Costs one pickling of the arguments, written nowhere."""
    named = [(f"argument {i + 1}", value) for i, value in enumerate(args)] + list(kwargs.items())
    for name, value in named:
        if isinstance(value, types.GeneratorType):
            raise TypeError(f"{name} of the run is a generator, which cannot be sent to another process: "
                            "pass list(...) of it")
        try:
            _NotebookObjectPickler(_Discard()).dump(value)
        except _FromNotebook as error:
            raise TypeError(
                f"{name} of the run holds {error.args[0]!r}, defined in the notebook: a worker process "
                "cannot rebuild it; move it into a .py file and import it (or use one of utils')"
            ) from None
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise TypeError(f"{name} of the run cannot be sent to another process ({error}): pass plain "
                            "data, tensors, models and functions defined in a module") from None


class Runs:
    """A pool of ``workers`` processes (default and at most: one per core) that share the cores
    (each uses ``cores // workers`` threads; the training helpers use one for small models).

    With one worker (a one-core machine, or ``workers=1``) nothing is started: each run happens
    at ``submit``, here, and its future is already done. Use it as a context manager, or call
    :meth:`close`, to end the processes.
    """

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ValueError(f"expected workers to be a positive int or None (one per core), got {workers!r}")
        cores = available_cores()
        self.workers = min(workers or cores, cores)
        self._pool: ProcessPoolExecutor | None = None
        if self.workers > 1:
            # spawn: a fresh interpreter per worker, safe with PyTorch's threads (fork is not)
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_set_threads, initargs=(cores // self.workers,)
            )

    def submit(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Start ``function(*args, **kwargs)``; its ``Future`` gives the result (or raises its error)."""
        _check_picklable(function)
        _check_arguments(args, kwargs)
        if self._pool is not None:
            return self._pool.submit(function, *args, **kwargs)
        future: Future[T] = Future()
        try:
            future.set_result(function(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(error)
        return future

    def close(self) -> None:
        """Wait for the runs already started, then end the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> Runs:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
