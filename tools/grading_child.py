"""The grading process of one question: loads a submission's definitions and runs the probes on them.

Started by ``tools/grading_sandbox.py`` with ``python -I tools/grading_child.py`` in an empty
folder; it reads one job (JSON) from stdin and writes one line, its results, to a private copy
of stdout. It imports nothing from the course: the tests, the expected values and the scores
stay in the grader's process. Before the submission's code runs, guards are put in place for
the rest of this process's life:

- an audit hook refuses opening files, ``exec``/``compile``, new imports outside the question's
  allowed modules, subprocesses, sockets, frame and garbage-collector introspection;
- a ``TorchFunctionMode`` refuses PyTorch's LSTM kernels always, and, while submitted code
  runs, autograd (and every torch op where a question requires NumPy only);
- submitted code sees builtins without ``open``, ``exec``, ``eval``, ``compile`` or ``input``,
  and an ``__import__`` limited to the allowed modules.

Every call into submitted code is wrapped: any ``BaseException`` becomes that case's failure.
"""

from __future__ import annotations

import base64
import builtins
import io
import json
import math
import os
import sys
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

ALWAYS_ALLOWED = {
    "math",
    "numpy",
    "collections",
    "functools",
    "itertools",
    "typing",
    "dataclasses",
    "re",
    "string",
    "operator",
    "heapq",
    "bisect",
    "random",
    "time",
    "warnings",
    "__future__",
}
REFUSED_EVENTS_PREFIXES = (
    "subprocess.",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.kill",
    "os.remove",
    "os.rename",
    "os.unlink",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.truncate",
    "os.listdir",
    "os.scandir",
    "shutil.",
    "socket.",
    "ctypes.",
    "gc.",
    "sys.settrace",
    "sys.setprofile",
    "sys._current_frames",
    "pickle.find_class",
    "marshal.",
    "urllib.",
    "webbrowser.",
)
NUMPY_SCALARS = (
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint8,
    np.bool_,
)
LSTM_KERNELS = ("lstm", "gru", "rnn_tanh", "rnn_relu", "_thnn_fused", "_cudnn_rnn", "lstm_cell")


class Refused(RuntimeError):
    """An operation a submission may not use while it is graded."""


def encode(value: Any, depth: int = 0) -> Any:
    """Plain JSON for a result: arrays as base64 ``.npy``, tuples and dicts marked, other types named."""
    if depth > 20:
        return {"__type__": "too deeply nested"}
    # exact types only: a look at a submitted subclass (its __float__, __array__, dtype) would run
    # its code outside the guards
    if value is None or type(value) in (bool, str, int):
        return value
    if type(value) is float or type(value) in NUMPY_SCALARS:
        if type(value) is np.bool_:
            return bool(value)
        number = float(value)
        return {"__float__": repr(number)} if not math.isfinite(number) else number
    if type(value) is np.ndarray:
        buffer = io.BytesIO()
        np.save(
            buffer,
            np.asarray(value, dtype=np.float64) if value.dtype.kind in "fiub" else value.astype(str),
            allow_pickle=False,
        )
        return {"__nd__": base64.b64encode(buffer.getvalue()).decode("ascii"), "dtype": str(value.dtype)}
    if "torch" in sys.modules and type(value) in (
        sys.modules["torch"].Tensor,
        sys.modules["torch"].nn.Parameter,
    ):
        torch = sys.modules["torch"]
        plain = torch.Tensor.detach(value).cpu()
        result = encode(
            plain.to(torch.float64).numpy() if plain.dtype != torch.bool else plain.numpy(), depth + 1
        )
        return {**result, "dtype": str(value.dtype), "tensor": True}
    if type(value) is tuple:
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if type(value) is list:
        return [encode(v, depth + 1) for v in value]
    if type(value) is dict:
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    return {"__type__": type(value).__name__}


def decode(value: Any) -> Any:
    """The inverse of :func:`encode` for the inputs the grader sends (arrays, tuples, dicts)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__nd__" in value:
        return np.load(io.BytesIO(base64.b64decode(value["__nd__"])), allow_pickle=False)
    if "__tuple__" in value:
        return tuple(decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {decode(k): decode(v) for k, v in value["__dict__"]}
    if "__float__" in value:
        return float(value["__float__"])
    return {k: decode(v) for k, v in value.items()}


def describe(error: BaseException) -> str:
    """``TypeName: message``, even when the exception's ``str()`` itself raises."""
    try:
        text = str(error)
        name = type(error).__name__
    except BaseException:  # noqa: BLE001 - a submitted exception may break anything
        text, name = "(its message could not be read)", "an exception"
    if type(text) is not str or type(name) is not str:
        text, name = "(its message is not text)", "an exception"
    return f"{name}: {text[:800]}"


def failure(error: BaseException) -> str:
    """What a case's submitted code raised, and on which line of the submission."""
    line, frame = "", error.__traceback__
    while frame is not None:  # no source lookup: reading files is refused while the guards are on
        if frame.tb_frame.f_code.co_filename == "<submission>":
            line = f" (line {frame.tb_lineno} of your code)"
        frame = frame.tb_next
    return describe(error) + line


def install_audit_hook(allowed: set[str], state: dict[str, Any], trusted: tuple[str, ...]) -> None:
    """Refuse, from now on, what submitted code must not do (the hook cannot be removed).

    While submitted code runs, frames may be looked at only by code in the ``trusted`` folders
    (PyTorch's, and this file's lock), directly or through the standard library.
    """
    prefixes = tuple(sorted(allowed))
    stdlib = os.path.dirname(os.path.abspath(os.__file__)) + os.sep
    inside = [False]

    def from_trusted() -> bool:
        inside[0] = True
        try:
            frame = sys._getframe(2)
            while frame is not None and frame.f_code.co_filename.startswith(stdlib):
                frame = frame.f_back
            return frame is not None and frame.f_code.co_filename.startswith(trusted)
        finally:
            inside[0] = False

    def hook(event: str, args: tuple) -> None:
        if inside[0]:
            return
        if event in ("sys._getframe", "object.__getattr__") and state["student"]:
            if from_trusted():
                return
            raise Refused(f"an answer may not look at the grader's frames ({event})")
        if event in ("exec", "compile"):
            if state["loads"] > 0 and event == "exec":
                state["loads"] -= 1
                return
            if state["student"]:
                raise Refused(f"{event}() is not allowed in an answer")
        elif event == "import" and state["student"]:
            name = str(args[0]).split(".")[0]
            if name not in prefixes:
                raise Refused(f"importing {args[0]!r} is not allowed in this assignment")
        elif event in ("open", "os.open") and state["student"]:
            raise Refused(f"an answer may not open files ({args[0]!r})")
        elif event in ("object.__setattr__", "object.__delattr__") and state["student"]:
            raise Refused(f"an answer may not change {args[1]!r} of {type(args[0]).__name__} objects")
        elif event.startswith(REFUSED_EVENTS_PREFIXES):
            raise Refused(f"{event} is not allowed while grading")

    sys.addaudithook(hook)


def safe_builtins(allowed: set[str]) -> dict[str, Any]:
    """Builtins for submitted code: no file, exec or input; imports limited to ``allowed``."""
    real_import = builtins.__import__

    def guarded_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        if level != 0 or name.split(".")[0] not in allowed:
            raise ImportError(
                f"importing {name!r} is not allowed in this assignment "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        return real_import(name, globals, locals, fromlist, level)

    names = {
        k: v
        for k, v in vars(builtins).items()
        if k
        not in (
            "open",
            "exec",
            "eval",
            "compile",
            "input",
            "breakpoint",
            "globals",
            "vars",
            "locals",
            "help",
            "exit",
            "quit",
            "copyright",
            "credits",
            "license",
        )
    }
    names["__import__"] = guarded_import
    return names


def torch_guard(state: Mapping[str, Any]) -> Any:
    """A TorchFunctionMode refusing LSTM kernels, and autograd or any op when the question says so."""
    import torch
    from torch.overrides import TorchFunctionMode

    class Guard(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            name = getattr(func, "__name__", str(func))
            if state["forbid_lstm"] and name.lower().startswith(LSTM_KERNELS):
                raise Refused(f"torch.{name} is not allowed in an answer: write the cell yourself")
            if state["student"]:
                if state["numpy_only"]:
                    raise Refused(f"torch.{name} is not allowed here: use NumPy only")
                if name in ("grad", "backward", "vjp", "jacobian") and state["no_autograd"]:
                    raise Refused(f"torch.autograd ({name}) is not allowed here")
            return func(*args, **(kwargs or {}))

    return Guard, torch


def lock_torch_modes(torch: Any, state: Mapping[str, Any]) -> None:
    """Let only PyTorch's own code switch the guard off (as it does around every mode call).

    PyTorch pops the mode while it runs the mode's ``__torch_function__`` and inside
    ``torch.autograd``; while submitted code runs, a call from anywhere but PyTorch's folder
    (the submission, or a standard-library helper it calls) is refused.
    """
    torch_folder = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep

    def locked(original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if state["student"]:
                caller = sys._getframe(1).f_code.co_filename
                if not os.path.abspath(caller).startswith(torch_folder):
                    raise Refused("switching off the grader's torch mode is not allowed")
            return original(*args, **kwargs)

        return call

    for owner, attribute in [
        (torch._C, "_get_function_stack_at"),
        (torch.overrides, "_get_current_function_mode"),
        (torch.overrides, "_get_current_function_mode_stack"),
        (torch._C, "_pop_torch_function_stack"),
        (torch._C, "DisableTorchFunction"),
        (torch._C, "_set_torch_function_state"),
        (torch.overrides, "_pop_torch_function_stack"),
        (torch.overrides, "_pop_mode"),
        (torch.overrides, "_pop_mode_temporarily"),
    ]:
        if hasattr(owner, attribute):
            setattr(owner, attribute, locked(getattr(owner, attribute)))


def load_probes() -> Any:
    """``grading_probes.py`` from this file's folder (``python -I`` puts no folder on the path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "grading_probes", os.path.join(os.path.dirname(os.path.abspath(__file__)), "grading_probes.py")
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main() -> None:
    job = json.loads(sys.stdin.read())
    warnings.simplefilter("ignore")
    result_fd = os.dup(1)
    os.dup2(2, 1)  # what the submission prints goes to stderr, never into the results
    nonce = job["nonce"]
    allowed = ALWAYS_ALLOWED | set(job["allowed"])
    state: dict[str, Any] = {
        "student": False,
        "loads": 0,
        "numpy_only": job.get("numpy_only", False),
        "no_autograd": job.get("no_autograd", False),
        "forbid_lstm": job.get("forbid_lstm", False),
    }
    probes = load_probes()

    view = MappingProxyType(state)  # what objects the submission can reach may hold: read-only
    mode = None
    if "torch" in allowed:
        Guard, torch = torch_guard(view)
        probes.warm_up(torch)
        mode = Guard()
        mode.__enter__()  # for the rest of this process
        lock_torch_modes(torch, view)
    code = compile(job["source"], "<submission>", "exec")
    namespace: dict[str, Any] = {"__name__": "submission", "__builtins__": safe_builtins(allowed)}
    namespace.update(probes.provided(job, namespace))
    trusted = (os.path.abspath(__file__),)
    if "torch" in sys.modules:
        trusted += (os.path.dirname(os.path.abspath(sys.modules["torch"].__file__)) + os.sep,)
    install_audit_hook(allowed, state, trusted)
    results: list[dict[str, Any]] = []

    def guarded(call: Any, *args: Any, **kwargs: Any) -> Any:
        state["student"] = True
        try:
            return call(*args, **kwargs)
        finally:
            state["student"] = False

    def explained(error: BaseException) -> str:
        # a submitted exception's message is its code: read it with the guards on
        try:
            return str(guarded(failure, error))
        except BaseException:  # noqa: BLE001
            return "an exception that could not be described"

    load_error = None
    try:
        state["loads"] = 1
        guarded(exec, code, namespace)
    except BaseException as error:  # noqa: BLE001
        load_error = explained(error)
    state["loads"] = 0
    for case in job["cases"]:
        try:
            output = getattr(probes, case["probe"])(namespace, decode(case["payload"]), guarded, view)
            results.append({"name": case["name"], "output": encode(output)})
        except BaseException as error:  # noqa: BLE001 - any failure of submitted code is its case's
            results.append({"name": case["name"], "error": explained(error)})
    os.write(result_fd, (nonce + json.dumps({"results": results, "load_error": load_error}) + "\n").encode())
    os._exit(0)


if __name__ == "__main__":
    main()
