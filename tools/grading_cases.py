"""The questions of each assignment as the isolated grader sees them: inputs, probes and checks.

Inputs come from the seed (0 is the public one; ``tools/assignments.py variant`` draws a term's
seed), expected values are computed here with NumPy, ``math`` or ``torch.nn`` from the inputs,
and a check raises ``AssertionError`` saying what was expected.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Check = Callable[[Any, float], None]
P = {
    "w1": 0.5,
    "w2": -0.3,
    "w3": 1.5,
    "w4": 0.8,
    "w5": 1.2,
    "w6": 0.4,
    "w7": 0.8,
    "w8": -0.6,
    "b1": 1.0,
    "b2": 0.0,
    "b3": -0.5,
    "b4": 0.2,
}
A3_CPU_SECONDS = 1200  # stated in A3's question 4
A3_EPOCHS = 3


@dataclass
class Case:
    """One check: the probe that runs in the grading process, its inputs, and the check here."""

    name: str
    hidden: bool
    probe: str  # "" reuses the output of the case named payload["from"]
    payload: dict[str, Any]
    check: Check


@dataclass
class Question:
    """A question's points, what its answers may import, its guards, timeout and cases."""

    name: str
    points: float
    allowed: set[str]
    cases: list[Case]
    guards: dict[str, Any] = field(default_factory=dict)
    timeout: int = 60


def close(got: Any, want: Any, tol: float, what: str) -> None:
    """Assert that ``got`` is a number or array within ``tol`` (absolute) of ``want``."""
    got_array, want_array = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got_array.shape == want_array.shape, (
        f"{what} should have shape {want_array.shape}, got {got_array.shape}"
    )
    err = float(np.max(np.abs(got_array - want_array))) if want_array.size else 0.0
    assert err <= tol, (
        f"{what} should be within {tol:g} of the expected values; the largest difference is {err:.2e}"
    )


def sig(z: float) -> float:
    """A stable scalar sigmoid."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# ---------------------------------------------------------------- A1: gates and the scalar cell
def a1_gates(x: float, h: float, p: dict[str, float]) -> tuple[float, float, float, float]:
    return (
        sig(p["w1"] * x + p["w2"] * h + p["b1"]),
        math.tanh(p["w3"] * x + p["w4"] * h + p["b2"]),
        sig(p["w5"] * x + p["w6"] * h + p["b3"]),
        sig(p["w7"] * x + p["w8"] * h + p["b4"]),
    )


def a1_step(x: float, c: float, h: float, p: dict[str, float]) -> tuple[float, float]:
    f, c_tilde, i, o = a1_gates(x, h, p)
    c_new = f * c + i * c_tilde
    return c_new, o * math.tanh(c_new)


def a1_run(
    xs: list[float], p: dict[str, float], c: float = 0.0, h: float = 0.0
) -> tuple[list[float], list[float]]:
    cs, hs = [], []
    for x in xs:
        c, h = a1_step(x, c, h, p)
        cs.append(c)
        hs.append(h)
    return cs, hs


def _scalar(x: float) -> Check:
    def check(got: Any, _: float) -> None:
        assert isinstance(got, float), f"sigmoid({x}) should return a float, got {type(got).__name__}"
        close(got, sig(x), 1e-12, f"sigmoid({x})")

    return check


def _array(x: np.ndarray) -> Check:
    def check(got: Any, _: float) -> None:
        assert isinstance(got, np.ndarray), (
            f"sigmoid(array) should return a NumPy array, got {type(got).__name__}"
        )
        close(got, np.vectorize(sig)(x), 1e-12, f"sigmoid of a {x.shape} array")

    return check


def _extremes(got: Any, _: float) -> None:
    assert isinstance(got, np.ndarray) and got[0] == 0.0 and got[-1] == 1.0 and np.all(np.isfinite(got)), (
        f"sigmoid([-1000, -745, 0, 745, 1000]) should be 0.0 ... 1.0 without overflow, got {got!r}"
    )


def _tuple_close(want: tuple[Any, ...], tol: float, what: str) -> Check:
    def check(got: Any, _: float) -> None:
        assert isinstance(got, tuple) and len(got) == len(want), (
            f"{what} should return a tuple of {len(want)} values, got {type(got).__name__}"
        )
        for index, (g, w) in enumerate(zip(got, want, strict=False)):
            close(g, w, tol, f"{what}, value {index}")

    return check


def _random_p(rng: np.random.Generator) -> dict[str, float]:
    return {k: float(rng.uniform(-2, 2)) for k in P}


def _a1_behaviour(behaviour: str, grid: list[tuple[float, float]]) -> Check:
    ideal = {
        "remember": lambda c, t: c,
        "add": lambda c, t: c + t,
        "erase": lambda c, t: 0.0,
        "overwrite": lambda c, t: t,
    }[behaviour]

    def check(got: Any, _: float) -> None:
        assert isinstance(got, tuple) and len(got) == 2, (
            f"biases_for({behaviour!r}) should return (b1, b3), got {got!r}"
        )
        b1, b3 = map(float, got)
        for c, t in grid:
            new_c = sig(b1) * c + sig(b3) * t
            assert abs(new_c - ideal(c, t)) <= 0.01, (
                f"biases {got} should {behaviour} "
                f"(c={c:.3f}, c_tilde={t:.3f} -> {ideal(c, t):.3f}), gives {new_c:.4f}"
            )

    return check


def _raises(expected: str, what: str) -> Check:
    def check(got: Any, _: float) -> None:
        assert got == expected, (
            f"{what} should raise {expected}, but it {got if got == 'returned' else 'raised ' + got}"
        )

    return check


def a1(seed: int) -> list[Question]:
    rng = np.random.default_rng([seed, 1])
    allowed = {"math", "numpy"}
    xs = rng.uniform(-60, 60, size=(10, 20))
    q1 = [
        Case(f"sigmoid({x})", False, "call", {"function": "sigmoid", "args": [x]}, _scalar(x))
        for x in (0.0, 2.0, -2.0, 0.5)
    ]
    grid = np.array([[-3.0, 0.0], [1.0, 4.0]])
    q1.append(Case("sigmoid(array)", False, "call", {"function": "sigmoid", "args": [grid]}, _array(grid)))
    big = np.array([-1000.0, -745.0, 0.0, 745.0, 1000.0])
    q1.append(
        Case("no overflow", True, "call", {"function": "sigmoid", "args": [big], "strict": True}, _extremes)
    )
    for x in (-1000.0, 1000.0, *map(float, rng.uniform(-40, 40, size=3))):
        q1.append(
            Case(
                f"sigmoid({x:.4g}), no warning",
                True,
                "call",
                {"function": "sigmoid", "args": [x], "strict": True},
                _scalar(x),
            )
        )
    q1.append(Case("random array", True, "call", {"function": "sigmoid", "args": [xs]}, _array(xs)))
    q2 = [
        Case(
            "gates(1, 0, P)",
            False,
            "call",
            {"function": "gates", "args": [1.0, 0.0, P]},
            _tuple_close(a1_gates(1.0, 0.0, P), 1e-9, "gates(1.0, 0.0, P)"),
        )
    ]
    q3 = [
        Case(
            "step(1, 0, 0, P)",
            False,
            "call",
            {"function": "step", "args": [1.0, 0.0, 0.0, P]},
            _tuple_close(a1_step(1.0, 0.0, 0.0, P), 1e-9, "step(1.0, 0.0, 0.0, P)"),
        )
    ]
    for k in range(4):
        p, (x, h, c) = _random_p(rng), map(float, rng.uniform(-3, 3, size=3))
        q2.append(
            Case(
                f"random gates {k}",
                True,
                "call",
                {"function": "gates", "args": [x, h, p]},
                _tuple_close(a1_gates(x, h, p), 1e-9, f"gates(x={x:.3f}, h={h:.3f}, p)"),
            )
        )
        q3.append(
            Case(
                f"random step {k}",
                True,
                "call",
                {"function": "step", "args": [x, c, h, p]},
                _tuple_close(a1_step(x, c, h, p), 1e-9, f"step(x={x:.3f}, c={c:.3f}, h={h:.3f}, p)"),
            )
        )
    sequence = [1.0, 0.5, -1.0, 0.0, 2.0, -0.3, 0.8]
    q4 = [
        Case(
            "run(xs, P)",
            False,
            "call",
            {"function": "run", "args": [sequence, P]},
            _run_check(a1_run(sequence, P), "run(xs, P)"),
        ),
        Case(
            "run([], P)",
            False,
            "call",
            {"function": "run", "args": [[], P]},
            _run_check(([], []), "run([], P)"),
        ),
    ]
    for k in range(3):
        p, seq = _random_p(rng), [float(v) for v in rng.uniform(-3, 3, size=int(rng.integers(4, 12)))]
        c0, h0 = map(float, rng.uniform(-2, 2, size=2))
        q4.append(
            Case(
                f"random run {k}",
                True,
                "call",
                {"function": "run", "args": [seq, p], "kwargs": {"c0": c0, "h0": h0}},
                _run_check(a1_run(seq, p, c0, h0), f"run(xs, p, c0={c0:.3f}, h0={h0:.3f})"),
            )
        )
    fixed = [(c, t) for c in (-1.0, 0.3, 1.0) for t in (-1.0, 0.5, 1.0)]
    seeded = [tuple(map(float, rng.uniform(-1, 1, size=2))) for _ in range(20)]
    behaviours = ("remember", "add", "erase", "overwrite")
    q5 = [
        Case(b, False, "call", {"function": "biases_for", "args": [b]}, _a1_behaviour(b, fixed))
        for b in behaviours
    ]
    q5 += [
        Case(f"{b}, any c", True, "call", {"function": "biases_for", "args": [b]}, _a1_behaviour(b, seeded))
        for b in behaviours
    ]
    for word in ("jump", "".join(rng.choice(list("abcdefgh"), size=6))):
        q5.append(
            Case(
                f"{word!r} raises",
                True,
                "call_raises",
                {"function": "biases_for", "args": [word]},
                _raises("ValueError", f"biases_for({word!r})"),
            )
        )
    return [
        Question(n, 2, allowed, cases, {"numpy_only": True}, 30)
        for n, cases in (("q1", q1), ("q2", q2), ("q3", q3), ("q4", q4), ("q5", q5))
    ]


def _run_check(want: tuple[list[float], list[float]], what: str) -> Check:
    def check(got: Any, _: float) -> None:
        assert isinstance(got, tuple) and len(got) == 2, (
            f"{what} should return two lists (cs, hs), got {got!r}"
        )
        for name, g, w in zip(("cs", "hs"), got, want, strict=False):
            assert isinstance(g, list) and len(g) == len(w), (
                f"{what}: {name} should be a list of {len(w)} values"
            )
            close(g, w, 1e-9, f"{what}: {name}")

    return check


ASSIGNMENT_NAMES = ("a1_gates", "a2_vectorized_cell", "a3_sentiment")


def questions(name: str, seed: int) -> list[Question]:
    """The questions of an assignment for a seed (0: the public seed)."""
    if name not in ASSIGNMENT_NAMES:
        raise ValueError(f"unknown assignment {name!r}; choose from {', '.join(ASSIGNMENT_NAMES)}")
    if name == "a1_gates":
        return a1(seed)
    from tools.grading_cases_torch import a2, a3  # torch only where needed

    return a2(seed) if name == "a2_vectorized_cell" else a3(seed)


def counts(texts: list[str], tokenize: Callable[[str], list[str]]) -> Counter[str]:
    """Token counts over texts."""
    return Counter(token for text in texts for token in tokenize(text))
