"""utils/memory_task.py's edges: every error message whole, the boundaries of its checks (lr = 0, steps = 0,
hidden_size = 1, batch of 2), the dtypes and defaults a learner relies on, the wall-clock time per step, and
what chapter 6's train_sign_task reads (its batches and seeds, the forget-gate block, the last step, the
decision at probability 1/2), watched through spies on the module's own names."""

import warnings
from types import SimpleNamespace

import pytest
import torch
from conftest import error_message
from torch import nn

from utils import memory_task
from utils.memory_task import (
    MemoryModel,
    first_input_batch,
    inputs_from_first,
    mse_by_step,
    sign_batch,
    train_memory_task,
    train_sign_task,
    two_level_share,
)
from utils.threads import threads_for_model

META = ("is on the 'meta' device, which holds shapes but no values: create it on 'cpu' or 'cuda' (or load the "
        "real weights) first")
SHAPE = "expected x of shape (seq_len, batch, 1), got {}: add the feature axis with x[..., None]"


def memory(**changes):
    """train_memory_task("lstm") with cheap settings, changed by ``changes``."""
    return lambda: train_memory_task("lstm", **{"seq_len": 2, "steps": 0, "seed": 0, **changes})


def sign(**changes):
    """train_sign_task with cheap settings, changed by ``changes``."""
    return lambda: train_sign_task(**{"seq_len": 2, "forget_bias": 1.0, "seed": 0, "steps": 0, **changes})


MESSAGES = [
    # the model's own checks (MemoryModel called directly, as chapter 4 does)
    (lambda: MemoryModel("lstm", hidden_size=0), "expected hidden_size to be at least 1, got 0"),
    (lambda: MemoryModel("lstm", hidden_size=2.0), "expected hidden_size to be an int, got float: 2.0; write 2"),
    (lambda: MemoryModel("lstm", forget_bias="1"),
     "expected forget_bias to be a real number (int or float), got str: '1'"),
    (lambda: MemoryModel("lstm", feedback="no"), "expected feedback to be True or False, got str: 'no'"),
    (lambda: MemoryModel("lstm", dtype=torch.float16),
     "expected dtype to be a floating torch dtype (torch.float64, torch.float32), got torch.float16"),
    (lambda: MemoryModel("lstm")((torch.zeros(3, 2, 1), torch.zeros(2))),
     "expected x, got a tuple: first_input_batch returns (x, first); unpack it, x, first = "
     "first_input_batch(...), and pass x"),
    (lambda: MemoryModel("lstm")(torch.zeros(5, 1)), SHAPE.format("(5, 1)")),  # no batch axis, last axis 1
    (lambda: MemoryModel("lstm")(torch.zeros(5, 2, 3)), SHAPE.format("(5, 2, 3)")),  # three axes, 3 features
    (lambda: MemoryModel("lstm")([[[0.0]]]), SHAPE.format("list")),
    # the batches
    (lambda: first_input_batch(2, 3, generator=0), "expected generator=torch.Generator().manual_seed(seed), got int"),
    (lambda: sign_batch(2, 3, generator=1), "expected generator=torch.Generator().manual_seed(seed), got int"),
    (lambda: inputs_from_first([0.5], 3), "expected first as a tensor (batch,), got list: use torch.tensor(...)"),
    (lambda: inputs_from_first(torch.zeros(2), 2.0), "expected seq_len to be an int, got float: 2.0; write 2"),
    (lambda: mse_by_step(nn.LSTM(1, 1), seq_len=2, seed=0),
     "expected the MemoryModel that train_memory_task returns (run.model), got LSTM"),
    # train_memory_task's settings, checked before any model is built
    (memory(lr=0.0), "expected a learning rate lr > 0, got 0.0"),
    (memory(lr="0.1"), "expected lr to be a real number (int or float), got str: '0.1'"),
    (memory(steps=-1), "expected steps to be at least 0, got -1"),
    (memory(steps=1.0), "expected steps to be an int, got float: 1.0; write 1"),
    (memory(forget_bias=None), "expected forget_bias to be a real number (int or float), got NoneType: None"),
    (memory(clip_norm="1"), "expected clip_norm to be a real number (int or float), got str: '1'"),
    (memory(every_step="yes"), "expected every_step to be True or False, got str: 'yes'"),
    # train_sign_task's
    (sign(lr=0), "expected a learning rate lr > 0, got 0"),
    (sign(hidden_size=0), "expected hidden_size to be at least 1, got 0"),
    (sign(forget_bias="3"), "expected forget_bias to be a real number (int or float), got str: '3'"),
    # two_level_share
    (lambda: two_level_share(torch.zeros(3), [0.0, 1.0, 2.0]),
     "expected two tensors, got Tensor and list: convert with torch.as_tensor(...)"),
    (lambda: two_level_share((0.0, 1.0), torch.zeros(2)),
     "expected two tensors, got tuple and Tensor: convert with torch.as_tensor(...)"),
    (lambda: two_level_share(torch.ones(3, device="meta"), torch.ones(3)), "first " + META),
    (lambda: two_level_share(torch.ones(3), torch.ones(3, device="meta")), "predictions " + META),
    (lambda: two_level_share(torch.zeros(1), torch.zeros(1)),
     "expected two tensors of the same shape (batch,), batch >= 2, got (1,) and (1,)"),
    (lambda: two_level_share(torch.zeros(2, 2), torch.zeros(2, 2)),
     "expected two tensors of the same shape (batch,), batch >= 2, got (2, 2) and (2, 2)"),
]


@pytest.mark.parametrize("call, message", MESSAGES, ids=range(len(MESSAGES)))
def test_messages_whole(call, message):
    assert error_message(call) == message


def test_first_values_are_float64_whatever_the_default_dtype():
    """x_1 is drawn in float64 (the inputs are float64 too), so the MSE baselines 1/3 and 1/12 hold to
    float64 precision even under torch.set_default_dtype(torch.float32), the usual default."""
    x, first = first_input_batch(3, 2, generator=torch.Generator().manual_seed(0))
    assert first.dtype == torch.float64 and x.dtype == torch.float64


def test_the_smallest_settings_are_accepted():
    """lr just above 0, steps = 0 and hidden_size = 1 are valid; the refused values are one below."""
    run = memory(lr=1e-300, hidden_size=1, clip_norm=1e-300)()
    assert run.losses == [] and run.model.recurrent.hidden_size == 1
    assert isinstance(train_sign_task(seq_len=2, forget_bias=0.0, seed=0, steps=0, hidden_size=1), float)


def test_hidden_size_and_dtype_reach_the_trained_model():
    """A float32 run is a float32 model whose loss is computed in float32: each loss is a float32 value."""
    run = train_memory_task("gru", seq_len=3, steps=3, seed=0, hidden_size=3, dtype=torch.float32)
    assert run.model.recurrent.hidden_size == 3 and run.model.readout.in_features == 3
    assert all(p.dtype == torch.float32 for p in run.model.parameters())
    assert len(run.losses) == 3
    assert all(torch.tensor(loss, dtype=torch.float32).item() == loss for loss in run.losses)


@pytest.mark.parametrize("every_step", [True, False])
def test_training_warns_of_no_broadcasting(every_step):
    """The targets are expanded to the predictions' shape, so mse_loss has no size mismatch to warn of."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = train_memory_task("lstm", seq_len=3, steps=1, seed=0, every_step=every_step)
    assert len(run.losses) == 1


def test_the_loss_counts_every_step_by_default():
    """Chapter 4's setting is the default: the same losses as every_step=True, not as False."""
    default = train_memory_task("lstm", seq_len=4, steps=2, seed=3).losses
    assert default == train_memory_task("lstm", seq_len=4, steps=2, seed=3, every_step=True).losses
    assert default != train_memory_task("lstm", seq_len=4, steps=2, seed=3, every_step=False).losses


@pytest.mark.parametrize(("steps", "seconds"), [(2, 3.0), (0, 6.0)])
def test_seconds_per_step_is_the_loop_time_over_the_steps(monkeypatch, steps, seconds):
    """The loop takes 6 s on a fake clock: 3 s a step over two steps; with no step, the whole 6 s."""
    clock = iter([10.0, 16.0])
    monkeypatch.setattr(memory_task, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    assert train_memory_task("lstm", seq_len=2, steps=steps, seed=0).seconds_per_step == seconds


def test_two_level_share_at_its_boundaries():
    """Two points are always two levels (batch 2 is the least); constant predictions have no variance
    to explain and count as one value (1.0); a hump 0, 1, 1, 0 of total square 1 is explained a third."""
    assert two_level_share(torch.tensor([0.0, 1.0]), torch.tensor([3.0, -2.0])) == 1.0
    assert two_level_share(torch.linspace(-1, 1, 9), torch.full((9,), 0.5)) == 1.0
    # centred: -1/2, 1/2, 1/2, -1/2; the best split (after 1 or 3) explains (1/2)^2 * 4 / 3 = 1/3 of 1
    share = two_level_share(torch.tensor([0.0, 1.0, 2.0, 3.0]), torch.tensor([0.0, 1.0, 1.0, 0.0]))
    assert share == pytest.approx(1 / 3, rel=1e-12)


def test_sign_batch_draws_everything_from_its_generator():
    """The same generator seed gives the same batch whatever the global seed; labels are 0 and 1."""
    batches = []
    with torch.random.fork_rng():
        for global_seed in (1, 2):
            torch.manual_seed(global_seed)
            batches.append(sign_batch(64, 3, generator=torch.Generator().manual_seed(0)))
    (x, labels), (x2, labels2) = batches
    assert torch.equal(x, x2) and torch.equal(labels, labels2)
    assert set(labels.tolist()) == {0.0, 1.0}  # 64 fair coins: both sides, but for a 2^-63 chance


class SignSpy:
    """Stands in for the names train_sign_task looks up in utils.memory_task: records its LSTM and read-out,
    the batches it asks for, and whether each training logit is the read-out of the last step; ``batches``
    makes the batches (real ones by default), ``before`` may change the model before the loop, and
    ``train=False`` replaces the loss by a constant (cheap steps, when only the calls count)."""

    def __init__(self, monkeypatch, batches=None, before=None, train=True):
        self.calls, self.losses, self.models = [], [], {}
        self.batches, self.before, self.train = batches or (lambda b, t, g: sign_batch(b, t, generator=g)), before, train
        linear = self.record("readout", nn.Linear)
        functional = SimpleNamespace(binary_cross_entropy_with_logits=self.loss)
        monkeypatch.setattr(memory_task, "nn", SimpleNamespace(LSTM=nn.LSTM, Linear=linear, functional=functional))
        monkeypatch.setattr(memory_task, "sign_batch", self.sign_batch)
        monkeypatch.setattr(memory_task, "threads_for_model", self.threads)

    def record(self, name, cls):
        def build(*args):
            self.models[name] = cls(*args)
            return self.models[name]
        return build

    def threads(self, lstm):
        self.models["lstm"] = lstm
        self.biases = lstm.bias_ih_l0.detach().clone(), lstm.bias_hh_l0.detach().clone()
        if self.before:
            with torch.no_grad():
                self.before(lstm, self.models["readout"])
        return threads_for_model(lstm)

    def sign_batch(self, batch_size, seq_len, *, generator):
        self.calls.append((batch_size, seq_len, generator.initial_seed()))
        self.x, self.labels = self.batches(batch_size, seq_len, generator)
        return self.x, self.labels

    def loss(self, logits, labels):
        if not self.train:
            return torch.zeros((), requires_grad=True)
        with torch.no_grad():
            last = self.models["readout"](self.models["lstm"](self.x)[0][-1]).squeeze(-1)
        # the same numbers up to rounding (autograd may take another kernel); other steps differ by far more
        self.losses.append(torch.allclose(logits, last, rtol=1e-5, atol=1e-6) and labels is self.labels)
        return nn.functional.binary_cross_entropy_with_logits(logits, labels)


def test_sign_task_defaults_seeds_and_forget_gate_block(monkeypatch):
    """By default 800 steps of 64 sequences through 16 units; training data from seed 20_000 + seed (apart
    from the test set and from chapter 4's 10_000 + seed), a test set of 2000 fresh sequences from seed.
    Only the forget block (the second of i, f, g, o) of bias_ih starts at forget_bias, its bias_hh at 0."""
    tiny = lambda b, t, g: sign_batch(2, 1, generator=g)  # noqa: E731 (cheap steps: only the calls count)
    spy = SignSpy(monkeypatch, batches=tiny, train=False)
    train_sign_task(seq_len=3, forget_bias=3.0, seed=5)
    assert spy.calls == [(64, 3, 20_005)] * 800 + [(2000, 3, 5)]
    assert spy.models["lstm"].hidden_size == 16 and spy.models["readout"].in_features == 16
    bias_ih, bias_hh = spy.biases
    assert torch.all(bias_ih[16:32] == 3.0) and torch.all(bias_hh[16:32] == 0.0)
    # the other blocks keep PyTorch's uniform initialisation in (-1/4, 1/4): never 3, never exactly 0
    others = torch.cat([bias_ih[:16], bias_ih[32:], bias_hh[:16], bias_hh[32:]])
    assert others.abs().max() < 0.25 and torch.all(others != 0.0)


def test_sign_task_trains_on_the_output_after_the_whole_sequence(monkeypatch):
    """Every training logit is the read-out of the LSTM's output at the last of 5 steps."""
    spy = SignSpy(monkeypatch)
    train_sign_task(seq_len=5, forget_bias=1.0, seed=0, steps=3, batch_size=8)
    assert spy.losses == [True, True, True]


def test_sign_task_tests_the_output_after_the_whole_sequence(monkeypatch):
    """Test labels made equal to the untrained model's own decisions at the last step give accuracy 1
    exactly; decisions read at step 2, at the next-to-last step or from the cell state would differ. The
    read-out bias is set to 0, so that the decisions depend on the states (PyTorch's bias outweighs them)."""
    models = {}

    def decided_by_the_last_step(batch_size, seq_len, generator):
        x, _ = sign_batch(batch_size, seq_len, generator=generator)
        with torch.no_grad():
            outputs, (_, cell) = models["lstm"](x)
            decide = lambda h: (models["readout"](h).squeeze(-1) > 0).float()  # noqa: E731
            labels = decide(outputs[-1])
            assert all(torch.any(decide(h) != labels) for h in (outputs[1], outputs[-2], cell[-1]))
        return x, labels

    spy = SignSpy(monkeypatch, batches=decided_by_the_last_step, before=lambda lstm, readout: readout.bias.zero_())
    spy.models = models  # filled in when the model is built, before the test batch is drawn
    assert train_sign_task(seq_len=5, forget_bias=1.0, seed=0, steps=0) == 1.0


@pytest.mark.parametrize(("bias", "label", "why"), [(0.0, 0.0, "probability 1/2 is not above 1/2"),
                                                     (0.5, 1.0, "any positive logit is above 1/2")])
def test_sign_task_decides_at_probability_one_half(monkeypatch, bias, label, why):
    """With a zero read-out weight every logit is the read-out bias: a logit of 0 (sigmoid 1/2) is class 0,
    a logit of 0.5 (sigmoid 0.62) class 1."""

    def constant_readout(lstm, readout):
        readout.weight.zero_()
        readout.bias.fill_(bias)

    def labelled(batch_size, seq_len, generator):
        return sign_batch(batch_size, seq_len, generator=generator)[0], torch.full((batch_size,), label)

    SignSpy(monkeypatch, batches=labelled, before=constant_readout)
    assert train_sign_task(seq_len=3, forget_bias=1.0, seed=0, steps=0) == 1.0, why
