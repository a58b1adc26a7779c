"""utils/rnn.py's exact errors: each names the argument, what it got and what to pass (found by
mutation testing, benchmarks/results/mutation-*.txt)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import error_message
from torch import nn

from utils.rnn import input_gradient_norms, simple_rnn

X, W_HH, W_XH = torch.randn(3, 2, 4), torch.eye(5) * 0.5, torch.randn(5, 4)



@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((X.numpy(), W_HH, W_XH), "x must be a torch.Tensor, got ndarray: convert it with torch.as_tensor(..., "
                                  "dtype=torch.float32)"),
        ((X, W_HH, W_XH, torch.tanh, [0.0]), "h0 must be a torch.Tensor, got list: convert it with "
                                              "torch.as_tensor(..., dtype=torch.float32)"),
        ((X[0], W_HH, W_XH), "expected x of shape (seq_len, batch, input_size) with seq_len >= 1, got (2, 4)"),
        ((X[:0], W_HH, W_XH), "expected x of shape (seq_len, batch, input_size) with seq_len >= 1, got (0, 2, 4)"),
        ((X, W_HH, W_XH, 3), "activation must be a function such as torch.tanh, got int"),
        ((X, W_HH[0], W_XH), "expected 2-D weights w_hh (hidden, hidden) and w_xh (hidden, input_size), got (5,) "
                             "and (5, 4)"),
        ((X, W_HH, W_XH[0]), "expected 2-D weights w_hh (hidden, hidden) and w_xh (hidden, input_size), got (5, 5) "
                             "and (4,)"),
        ((X.double(), W_HH, W_XH), "x, w_hh, w_xh and h0 must share one floating dtype, got ['torch.float64', "
                                   "'torch.float32', 'torch.float32']: convert them with .float() or .double()"),
        ((X.long(), W_HH.long(), W_XH.long()), "x, w_hh, w_xh and h0 must share one floating dtype, got "
                                               "['torch.int64', 'torch.int64', 'torch.int64']: convert them with "
                                               ".float() or .double()"),
        ((X, torch.ones(5, 4), W_XH), "expected w_hh (5, 5) and w_xh (5, 4), got (5, 4) and (5, 4)"),
        ((X, W_HH, torch.ones(5, 3)), "expected w_hh (5, 5) and w_xh (5, 4), got (5, 5) and (5, 3)"),
        ((X, W_HH, W_XH, torch.tanh, torch.zeros(5)), "expected h0 of shape (batch, hidden) = (2, 5), got (5,)"),
        ((X, W_HH, W_XH, nn.Tanh), "activation must be a function of one tensor, such as torch.tanh or nn.Tanh() "
                                   "(an instance, not the class): calling it failed (Tanh.__init__() takes 1 "
                                   "positional argument but 2 were given)"),
        ((X, W_HH, W_XH, lambda z: z.sum()), "activation must return a tensor of its input's shape (2, 5) and "
                                             "dtype, got () torch.float32: apply it elementwise (torch.tanh, "
                                             "torch.relu, lambda z: z)"),
        ((X, W_HH, W_XH, lambda z: z.double()), "activation must return a tensor of its input's shape (2, 5) and "
                                                "dtype, got (2, 5) torch.float64: apply it elementwise (torch.tanh, "
                                                "torch.relu, lambda z: z)"),
        ((X, W_HH, W_XH, lambda z: 1.0), "activation must return a tensor of its input's shape (2, 5) and dtype, "
                                         "got float: apply it elementwise (torch.tanh, torch.relu, lambda z: z)"),
    ],
)
def test_simple_rnn_messages(args, expected):
    keywords = dict(zip(("activation", "h0"), args[3:], strict=False))
    assert error_message(lambda: simple_rnn(*args[:3], **keywords)) == expected


def test_the_initial_state_is_zero_or_the_one_given():
    zero = simple_rnn(X, W_HH, W_XH)
    torch.testing.assert_close(zero, simple_rnn(X, W_HH, W_XH, h0=torch.zeros(2, 5)))
    assert not torch.allclose(zero, simple_rnn(X, W_HH, W_XH, h0=torch.ones(2, 5)))


@pytest.mark.parametrize(
    ("forward", "x", "expected"),
    [
        (3, X, "forward must be a function of x, got int"),
        (lambda v: v[-1], X.numpy(), "expected x as a floating tensor (seq_len, batch, input_size), got ndarray: "
                                     "convert it with torch.as_tensor(..., dtype=torch.float32)"),
        (lambda v: v[-1], X.long(), "expected x as a floating tensor (seq_len, batch, input_size), got torch.int64 "
                                    "(3, 2, 4): convert it with torch.as_tensor(..., dtype=torch.float32)"),
        (lambda v: v[-1], X[0, 0], "expected x as a floating tensor (seq_len, batch, input_size), got torch.float32 "
                                   "(4,): convert it with torch.as_tensor(..., dtype=torch.float32)"),
        (lambda v: torch.from_numpy(np.tanh(v.numpy())), X, "forward must use torch operations only (torch.tanh, "
                                                            "not np.tanh): autograd cannot follow a NumPy function"),
        (lambda v: [v[-1]], X, "forward must return the output as a real floating tensor, got list"),
        (lambda v: v[-1].argmax(-1), X, "forward must return the output as a real floating tensor, got torch.int64"),
        (lambda v: v[-1].detach(), X, "forward's output does not depend on x through autograd: compute it from x "
                                      "with torch operations (no .detach(), .item(), .numpy() or argmax)"),
    ],
)
def test_input_gradient_norms_messages(forward, x, expected):
    assert error_message(lambda: input_gradient_norms(forward, x)) == expected


def test_other_runtime_errors_of_forward_are_not_disguised():
    def broken(v):
        raise RuntimeError("shape mismatch in the user's own code")

    with pytest.raises(RuntimeError, match="shape mismatch in the user's own code"):
        input_gradient_norms(broken, X)


def test_the_norms_are_per_step_gradient_norms():
    weights = torch.tensor([1.0, 2.0, 3.0])
    norms = input_gradient_norms(lambda v: (v * weights[:, None, None]).sum(0), X)  # d/dx_t = weights[t]
    torch.testing.assert_close(norms, weights * (2 * 4) ** 0.5)


def test_an_output_that_ignores_x_has_zero_gradient_at_every_step():
    norms = input_gradient_norms(lambda v: torch.ones(2, 1, requires_grad=True) * 3, X)
    assert torch.equal(norms, torch.zeros(3))


def test_a_sequence_without_a_batch_axis_works_too():
    x = torch.randn(4, 3)  # (seq_len, input_size)
    norms = input_gradient_norms(lambda v: v[-1] * 2, x)
    torch.testing.assert_close(norms, torch.tensor([0.0, 0.0, 0.0, 2 * 3**0.5]))
