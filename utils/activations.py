"""Sigmoid and tanh with their derivatives (chapter 2, ``02_sigmoid_tanh``).

All functions take a finite real scalar (returning a float) or an array of them
(returning a float64 array).
"""

from __future__ import annotations

import numpy as np

from utils.checks import check_real_array

ArrayOrFloat = np.ndarray | float


def _real(x: object) -> ArrayOrFloat:
    """``check_real_array`` with clear errors for ragged lists and numbers too large for a float."""
    if isinstance(x, list | tuple):
        try:
            x = np.asarray(x)
        except ValueError as error:  # an inhomogeneous shape
            raise ValueError("expected x to be a number or a rectangular list of numbers (every row the "
                             f"same length), got a ragged list ({error})") from None
    try:
        if isinstance(x, np.ndarray) and x.dtype == object:
            x.astype(np.float64)  # an int too large for a float raises OverflowError here
        return check_real_array(x)
    except OverflowError:
        raise ValueError(f"x = {str(x)[:40]} is too large for a float (|x| < 1.8e308)") from None
    except (TypeError, ValueError) as error:
        if isinstance(x, np.ndarray) and x.dtype == object:
            raise TypeError(f"expected x to hold real numbers, got {str(x)[:40]}") from None
        raise error


def _as_output(result: np.ndarray, like: ArrayOrFloat) -> ArrayOrFloat:
    return float(result) if isinstance(like, float) else result


def sigmoid(x: ArrayOrFloat) -> ArrayOrFloat:
    """Numerically stable logistic sigmoid, 1 / (1 + exp(-x)), with values in (0, 1).

    ``exp`` is only ever called on ``-|x|``, which is at most 0, so it cannot
    overflow: for x >= 0 we use 1 / (1 + e^{-x}); for x < 0 the equal form
    e^{x} / (1 + e^{x}).
    """
    x = _real(x)
    z = np.exp(-np.abs(x))  # in (0, 1], never overflows
    result = np.where(np.asarray(x) >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    return _as_output(result, x)


def sigmoid_derivative(x: ArrayOrFloat) -> ArrayOrFloat:
    """d sigmoid / dx = sigmoid(x) * (1 - sigmoid(x)), at most 0.25 (at x = 0).

    Computed as sigmoid(x) * sigmoid(-x) = e^{-|x|} / (1 + e^{-|x|})^2, which keeps full
    relative precision in the tails. The textbook s * (1 - s) cancels: for x >= 37,
    sigmoid(x) rounds to 1.0 in float64 and 1 - s is exactly 0 (chapter 2).
    """
    x = _real(x)
    z = np.exp(-np.abs(np.asarray(x)))  # in (0, 1], never overflows
    # sigma'(x) = z / (1 + z)^2 with z = e^{-|x|}
    return _as_output(z / (1.0 + z) ** 2, x)


def tanh(x: ArrayOrFloat) -> ArrayOrFloat:
    """Hyperbolic tangent, values in (-1, 1); equal to 2 * sigmoid(2x) - 1."""
    x = _real(x)
    return _as_output(np.tanh(x), x)


def tanh_derivative(x: ArrayOrFloat) -> ArrayOrFloat:
    """d tanh / dx = 1 - tanh(x)^2 = 1 / cosh(x)^2, at most 1 (at x = 0).

    Computed as 4 z / (1 + z)^2 with z = e^{-2|x|} (that is, 4 sigmoid'(2x)), which keeps full
    relative precision in the tails, where 1 - tanh(x)^2 cancels to 0 (|x| >= 19 in float64).
    """
    x = _real(x)
    z = np.exp(-2.0 * np.abs(np.asarray(x)))  # in (0, 1], never overflows
    # tanh'(x) = 4 z / (1 + z)^2 with z = e^{-2|x|}
    return _as_output(4.0 * z / (1.0 + z) ** 2, x)
