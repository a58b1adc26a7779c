"""The hand-written backward of one LSTM step (chapter 6) against autograd and finite differences."""

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from utils.lstm_numpy import lstm_cell_backward, lstm_cell_forward

BATCH, D, H = 3, 4, 5


def random_step(seed: int):
    rng = np.random.default_rng(seed)
    x, h, c = rng.normal(size=(BATCH, D)), rng.normal(size=(BATCH, H)), rng.normal(size=(BATCH, H))
    w_ih, w_hh = rng.normal(size=(4 * H, D)) * 0.5, rng.normal(size=(4 * H, H)) * 0.5
    b_ih, b_hh = rng.normal(size=4 * H), rng.normal(size=4 * H)
    dh, dc = rng.normal(size=(BATCH, H)), rng.normal(size=(BATCH, H))
    return x, h, c, w_ih, w_hh, b_ih, b_hh, dh, dc


@pytest.mark.parametrize("seed", range(3))
def test_backward_matches_autograd(seed):
    x, h, c, w_ih, w_hh, b_ih, b_hh, dh, dc = random_step(seed)
    _, _, cache = lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh)
    grads = lstm_cell_backward(dh, dc, cache, w_ih, w_hh)

    tensors = {
        k: torch.tensor(v, requires_grad=True)
        for k, v in {"x": x, "h": h, "c": c, "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}.items()
    }
    cell = torch.nn.LSTMCell(D, H).double()
    h_new, c_new = torch.func.functional_call(
        cell,
        {
            "weight_ih": tensors["w_ih"],
            "weight_hh": tensors["w_hh"],
            "bias_ih": tensors["b_ih"],
            "bias_hh": tensors["b_hh"],
        },
        (tensors["x"], (tensors["h"], tensors["c"])),
    )
    # dh and dc are the upstream gradients: L = <dh, h_new> + <dc, c_new>
    ((h_new * torch.from_numpy(dh)).sum() + (c_new * torch.from_numpy(dc)).sum()).backward()
    expected = {
        "x": grads.x,
        "h": grads.h_prev,
        "c": grads.c_prev,
        "w_ih": grads.w_ih,
        "w_hh": grads.w_hh,
        "b_ih": grads.b,
        "b_hh": grads.b,
    }
    for name, mine in expected.items():
        assert_close(
            torch.from_numpy(mine),
            tensors[name].grad,
            atol=1e-12,
            rtol=1e-10,
            msg=lambda m, name=name: f"d{name}: {m}",
        )


def test_backward_matches_finite_differences():
    x, h, c, w_ih, w_hh, b_ih, b_hh, dh, dc = random_step(7)
    _, _, cache = lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh)
    grads = lstm_cell_backward(dh, dc, cache, w_ih, w_hh)

    def loss(x=x, h=h, c=c, w_ih=w_ih, w_hh=w_hh):
        h_new, c_new, _ = lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh)
        return float((h_new * dh).sum() + (c_new * dc).sum())

    eps = 1e-6
    for name, value, analytic in (
        ("x", x, grads.x),
        ("h", h, grads.h_prev),
        ("c", c, grads.c_prev),
        ("w_ih", w_ih, grads.w_ih),
        ("w_hh", w_hh, grads.w_hh),
    ):
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus, minus = value.copy(), value.copy()
            plus[index] += eps
            minus[index] -= eps
            numeric[index] = (loss(**{name: plus}) - loss(**{name: minus})) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, atol=1e-7, rtol=1e-6, err_msg=f"d{name}")


def test_cell_state_path_is_just_the_forget_gate():
    x, h, c, w_ih, w_hh, b_ih, b_hh, _, _ = random_step(3)
    _, _, cache = lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh)
    dc = np.ones((BATCH, H))
    grads = lstm_cell_backward(np.zeros((BATCH, H)), dc, cache, w_ih, w_hh)
    np.testing.assert_allclose(grads.c_prev, cache.f)


def test_forward_rejects_wrong_shapes():
    x, h, c, w_ih, w_hh, b_ih, b_hh, _, _ = random_step(0)
    with pytest.raises(ValueError, match=r"expected x of shape \(batch, 4\)"):
        lstm_cell_forward(x[:, :3], h, c, w_ih, w_hh, b_ih, b_hh)
    with pytest.raises(ValueError, match="h_prev"):
        lstm_cell_forward(x, h[:, :2], c, w_ih, w_hh, b_ih, b_hh)
