"""The scalar LSTM cell (chapters 3-4) against an independent PyTorch version and nn.LSTM."""

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from utils.scalar_lstm import (
    ScalarLSTMParams,
    forget_gate,
    from_torch_lstm_weights,
    gates,
    input_gate,
    output_gate,
    run,
    step,
    to_torch_lstm_weights,
)

SEQUENCE = [0.5, 0.6, 0.7, 0.8, 0.9]


def params(seed: int = 0) -> ScalarLSTMParams:
    return ScalarLSTMParams.random(np.random.default_rng(seed))


def torch_reference(xs, p: ScalarLSTMParams):
    """DESIGN.md 4.2 written again, directly in float64 PyTorch, sharing no code with utils."""
    w = {k: torch.tensor(v, dtype=torch.float64) for k, v in p.as_dict().items()}
    c = torch.zeros((), dtype=torch.float64)
    h = torch.zeros((), dtype=torch.float64)
    cs, hs = [], []
    for x in xs:
        x = torch.tensor(x, dtype=torch.float64)
        c_new = c * torch.sigmoid(w["w1"] * x + w["w2"] * h + w["b1"])
        c_new = c_new + torch.tanh(w["w3"] * x + w["w4"] * h + w["b2"]) * torch.sigmoid(
            w["w5"] * x + w["w6"] * h + w["b3"]
        )
        h = torch.tanh(c_new) * torch.sigmoid(w["w7"] * x + w["w8"] * h + w["b4"])
        c = c_new
        cs.append(c)
        hs.append(h)
    return torch.stack(cs) if cs else torch.zeros(0), torch.stack(hs) if hs else torch.zeros(0)


@pytest.mark.parametrize("seed", range(5))
def test_run_matches_independent_torch_version_to_1e_12(seed):
    p = params(seed)
    hist = run(SEQUENCE, p)
    c_ref, h_ref = torch_reference(SEQUENCE, p)
    assert_close(torch.tensor(hist.long, dtype=torch.float64), c_ref, atol=1e-12, rtol=0)
    assert_close(torch.tensor(hist.short, dtype=torch.float64), h_ref, atol=1e-12, rtol=0)


@pytest.mark.parametrize("seed", range(3))
def test_run_matches_nn_lstm_with_mapped_weights(seed):
    p = params(seed)
    lstm = torch.nn.LSTM(1, 1).double()
    with torch.no_grad():
        for name, value in to_torch_lstm_weights(p).items():
            getattr(lstm, name).copy_(torch.from_numpy(value))
    out, (h_n, c_n) = lstm(torch.tensor(SEQUENCE, dtype=torch.float64).view(-1, 1, 1))
    hist = run(SEQUENCE, p)
    assert_close(out.view(-1), torch.tensor(hist.short, dtype=torch.float64), atol=1e-12, rtol=0)
    assert_close(c_n.view(()), torch.tensor(hist.long[-1], dtype=torch.float64), atol=1e-12, rtol=0)


def test_weight_mapping_round_trips():
    p = params(7)
    assert from_torch_lstm_weights(to_torch_lstm_weights(p)) == p


def test_from_torch_adds_the_two_biases():
    weights = to_torch_lstm_weights(params(1))
    weights["bias_hh_l0"] = np.array([1.0, 2.0, 3.0, 4.0])
    q = from_torch_lstm_weights(weights)
    assert q.b3 == pytest.approx(weights["bias_ih_l0"][0] + 1.0)
    assert q.b4 == pytest.approx(weights["bias_ih_l0"][3] + 4.0)


def test_from_torch_rejects_wrong_shapes():
    weights = to_torch_lstm_weights(params(1))
    weights["weight_ih_l0"] = np.zeros((8, 1))
    with pytest.raises(ValueError, match=r"nn.LSTM\(1, 1\)"):
        from_torch_lstm_weights(weights)


def test_step_is_the_three_gates_in_order():
    p = params(3)
    x, c, h = 0.3, -0.4, 0.2
    c1 = forget_gate(c, x, h, p)
    c2 = input_gate(c1, x, h, p)
    assert step(x, c, h, p) == (c2, output_gate(c2, x, h, p))


def test_gate_equations_by_hand():
    p = ScalarLSTMParams(w1=1, w2=0, w3=0, w4=0, w5=0, w6=0, w7=0, w8=0, b1=0, b2=0, b3=0, b4=0)
    g = gates(2.0, 0.0, p)
    assert g.f == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert g.i == 0.5 and g.o == 0.5 and g.c_tilde == 0.0


@pytest.mark.parametrize(
    ("i_bias", "f_bias", "expected"),
    [(-50, 50, 2.0), (50, 50, 2.5), (-50, -50, 0.0), (50, -50, 0.5)],
    ids=["remember", "add", "erase", "overwrite"],
)
def test_gate_table(i_bias, f_bias, expected):
    # candidate tanh(b2) = 0.5 exactly when b2 = atanh(0.5)
    p = ScalarLSTMParams(
        w1=0, w2=0, w3=0, w4=0, w5=0, w6=0, w7=0, w8=0,
        b1=f_bias, b2=math.atanh(0.5), b3=i_bias, b4=0,
    )
    c, _ = step(0.0, 2.0, 0.0, p)
    assert c == pytest.approx(expected, abs=1e-12)


def test_random_params_differ_between_draws():
    rng = np.random.default_rng(0)
    assert ScalarLSTMParams.random(rng) != ScalarLSTMParams.random(rng)


def test_empty_sequence_gives_empty_histories():
    hist = run([], params())
    assert hist.long == [] and hist.short == []


@pytest.mark.parametrize("bad", ["0.5", None, [0.5]])
def test_non_numeric_input_raises_type_error(bad):
    with pytest.raises(TypeError, match="real number"):
        step(bad, 0.0, 0.0, params())
    with pytest.raises(TypeError, match="real number"):
        run([0.1, bad], params())


def test_string_sequence_raises_type_error():
    with pytest.raises(TypeError, match="string"):
        run("0.5", params())


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_or_inf_raises_value_error(bad):
    with pytest.raises(ValueError, match="finite"):
        step(bad, 0.0, 0.0, params())
    with pytest.raises(ValueError, match="finite"):
        ScalarLSTMParams(w1=bad, w2=0, w3=0, w4=0, w5=0, w6=0, w7=0, w8=0, b1=0, b2=0, b3=0, b4=0)


def test_params_are_keyword_only():
    with pytest.raises(TypeError):
        ScalarLSTMParams(*range(12))  # type: ignore[misc]


def test_random_params_are_standard_normal_times_scale_from_the_given_generator():
    rng = np.random.default_rng(5)
    draws = np.array([list(ScalarLSTMParams.random(rng, scale=2.0).as_dict().values()) for _ in range(2000)])
    assert abs(draws.mean()) < 0.05 and abs(draws.std() - 2.0) < 0.05
    assert ScalarLSTMParams.random(np.random.default_rng(9)) == ScalarLSTMParams.random(np.random.default_rng(9))


def test_each_gate_reads_its_own_weights():
    # one non-zero weight at a time must move exactly the gate it belongs to
    zero = dict.fromkeys(("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2", "b3", "b4"), 0.0)
    owner = {"w1": "f", "w2": "f", "b1": "f", "w3": "c_tilde", "w4": "c_tilde", "b2": "c_tilde",
             "w5": "i", "w6": "i", "b3": "i", "w7": "o", "w8": "o", "b4": "o"}
    base = gates(0.7, -0.4, ScalarLSTMParams(**zero))
    for name, gate in owner.items():
        moved = gates(0.7, -0.4, ScalarLSTMParams(**{**zero, name: 1.0}))
        changed = {g for g in ("f", "i", "c_tilde", "o") if getattr(moved, g) != getattr(base, g)}
        assert changed == {gate}, name


@pytest.mark.parametrize("fn", [forget_gate, input_gate, output_gate])
def test_gate_functions_check_the_memory_they_are_given(fn):
    with pytest.raises(TypeError, match="expected c to be a real number"):
        fn("1.0", 0.1, 0.1, params())
    with pytest.raises(ValueError, match="expected c to be a finite number"):
        fn(math.nan, 0.1, 0.1, params())
    with pytest.raises(TypeError, match="expected h to be a real number"):
        fn(0.5, 0.1, None, params())


def test_run_checks_its_initial_states_and_starts_from_them():
    with pytest.raises(ValueError, match="c0"):
        run([0.1], params(), c0=math.inf)
    with pytest.raises(TypeError, match="h0"):
        run([0.1], params(), h0="0")
    p = params(4)
    assert run([0.1], p, c0=0.5, h0=-0.2).long[0] == step(0.1, 0.5, -0.2, p)[0]


def test_from_torch_names_a_missing_tensor():
    weights = to_torch_lstm_weights(params(1))
    del weights["bias_hh_l0"]
    with pytest.raises(ValueError, match=r"missing bias_hh_l0: pass the state_dict of a torch\.nn\.LSTM\(1, 1\)"):
        from_torch_lstm_weights(weights)


def test_from_torch_accepts_tensors_and_refuses_other_layers():
    lstm = torch.nn.LSTM(1, 1).double()
    from_params = from_torch_lstm_weights(dict(lstm.named_parameters()))  # tensors that require grad
    assert from_params == from_torch_lstm_weights({k: v.numpy() for k, v in lstm.state_dict().items()})
    two_layers = torch.nn.LSTM(1, 1, num_layers=2).state_dict()
    with pytest.raises(ValueError, match=r"unexpected bias_hh_l1.*one-layer torch\.nn\.LSTM\(1, 1\)"):
        from_torch_lstm_weights(two_layers)


def test_parameters_gates_and_history_are_read_only_and_parameters_keyword_only():
    """A student cannot change a result after the fact, or pass twelve floats in the wrong order."""
    import dataclasses

    p = params()
    with pytest.raises(TypeError):
        ScalarLSTMParams(*range(12))  # positional: refused
    history = run(SEQUENCE, p)
    step_gates = gates(0.5, 0.0, p)
    for frozen, name in ((p, "w1"), (step_gates, "f"), (history, "long")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(frozen, name, 0.0)
