"""The "remember the first input" task of chapter 4 (``04_scalar_lstm``), and chapter 6's sign task.

A sequence starts with a number x_1 drawn uniformly from [-1, 1], followed by zeros. At every
step the model must output x_1. Two errors frame every result:

* forgetting x_1 and predicting 0 costs a mean squared error of 1/3 (the variance of U(-1, 1));
* keeping only one bit of x_1, its sign, and predicting E[x_1 | sign] = +-1/2 costs 1/12. No
  memory of one bit can do better (the best two-level quantiser of U(-1, 1) splits at 0), so an
  error below 1/12 proves that the model keeps more than one bit of x_1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from utils.checks import check_bool, check_has_values, check_int, check_real, check_seed
from utils.threads import threads_for_model

BASELINE_MSE = 1.0 / 3.0  # variance of U(-1, 1): the error of always predicting 0
SIGN_BASELINE_MSE = 1.0 / 12.0  # a perfect one-bit memory: keep sign(x_1), predict +-1/2
KINDS = {"lstm": nn.LSTM, "rnn": nn.RNN, "gru": nn.GRU}


def _check_batch_args(batch_size: object, seq_len: object, generator: object) -> None:
    check_int(batch_size, "batch_size", minimum=1)
    check_int(seq_len, "seq_len", minimum=1)
    if not isinstance(generator, torch.Generator):
        raise TypeError("expected generator=torch.Generator().manual_seed(seed), got "
                        f"{type(generator).__name__}")


def _check_model(model: object) -> MemoryModel:
    if not isinstance(model, MemoryModel):
        raise TypeError(f"expected the MemoryModel that train_memory_task returns (run.model), got "
                        f"{type(model).__name__}")
    return model


def _check_training_args(
    seed: object, steps: object, forget_bias: object, clip_norm: object = None, lr: object = 0.01
) -> None:
    if check_real(lr, "lr") <= 0:
        raise ValueError(f"expected a learning rate lr > 0, got {lr}")
    check_seed(seed)
    check_int(steps, "steps", minimum=0)
    check_real(forget_bias, "forget_bias")
    if clip_norm is not None and check_real(clip_norm, "clip_norm") <= 0:
        raise ValueError(f"expected clip_norm > 0 (or None for no clipping), got {clip_norm}")


def first_input_batch(batch_size: int, seq_len: int, *, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Return inputs (seq_len, batch, 1), zero after the first step, and targets x_1 (batch,)."""
    _check_batch_args(batch_size, seq_len, generator)
    first = torch.rand(batch_size, generator=generator, dtype=torch.float64) * 2 - 1
    return inputs_from_first(first, seq_len), first


def inputs_from_first(first: Tensor, seq_len: int) -> Tensor:
    """The task's inputs for given first values x_1 (batch,): (seq_len, batch, 1), zeros after step 1."""
    if not isinstance(first, Tensor):
        raise TypeError(f"expected first as a tensor (batch,), got {type(first).__name__}: use "
                        "torch.tensor(...)")
    if first.dim() != 1 or check_int(seq_len, "seq_len") < 1:
        raise ValueError(
            f"expected first of shape (batch,) and seq_len >= 1, got {tuple(first.shape)}, {seq_len}"
        )
    x = torch.zeros(seq_len, len(first), 1, dtype=torch.float64)
    x[0, :, 0] = first
    return x


class MemoryModel(nn.Module):
    """A recurrent layer (``nn.LSTM``, ``nn.RNN`` or ``nn.GRU``; one input feature, ``hidden_size``
    units, one by default as in chapter 4) and a linear read-out, in ``dtype`` (float64 by default).

    ``forget_bias`` sets the LSTM's forget-gate bias (chapter 6 explains why a positive value
    helps); it is ignored by the other kinds. ``feedback=False`` fixes the recurrent weights
    (``weight_hh_l0``, the U of chapter 4) at zero: the gates then read only the input x_t, never
    the layer's own previous output h_{t-1}.
    """

    def __init__(
        self,
        kind: str,
        *,
        hidden_size: int = 1,
        forget_bias: float = 0.0,
        feedback: bool = True,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        if not isinstance(kind, str) or kind not in KINDS:
            raise ValueError(f"expected kind 'lstm', 'rnn' or 'gru', got {kind!r}")
        hidden_size = check_int(hidden_size, "hidden_size", minimum=1)  # a plain int, as nn.LSTM wants
        forget_bias = check_real(forget_bias, "forget_bias")
        feedback = check_bool(feedback, "feedback")
        if dtype not in (torch.float32, torch.float64):  # float16: Adam's eps underflows and the loss is NaN
            raise TypeError("expected dtype to be a floating torch dtype (torch.float64, "
                            f"torch.float32), got {dtype!r}")
        self.kind = kind
        self.recurrent = KINDS[kind](1, hidden_size).to(dtype)
        self.readout = nn.Linear(hidden_size, 1).to(dtype)
        with torch.no_grad():
            if kind == "lstm":
                forget = slice(hidden_size, 2 * hidden_size)  # gate order i, f, g, o: the second block
                self.recurrent.bias_ih_l0[forget] = forget_bias
                self.recurrent.bias_hh_l0[forget] = 0.0
            if not feedback:
                self.recurrent.weight_hh_l0.zero_()
                self.recurrent.weight_hh_l0.requires_grad_(False)

    def forward(self, x: Tensor) -> Tensor:
        """x: (seq_len, batch, 1) -> prediction at every step (seq_len, batch)."""
        if not isinstance(x, Tensor) or x.dim() != 3 or x.shape[-1] != 1:
            if isinstance(x, tuple):
                raise TypeError("expected x, got a tuple: first_input_batch returns (x, first); unpack it, "
                                "x, first = first_input_batch(...), and pass x")
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"expected x of shape (seq_len, batch, 1), got {got}: add the feature "
                             "axis with x[..., None]")
        states, _ = self.recurrent(x.to(self.readout.weight.dtype))  # (seq_len, batch, hidden_size)
        return self.readout(states).squeeze(-1)


@dataclass
class MemoryRun:
    model: MemoryModel
    losses: list[float]  # training loss per step
    final_mse: float  # test MSE at the last step of the sequence
    seconds_per_step: float  # wall-clock time of one training step


def train_memory_task(
    kind: str,
    *,
    seq_len: int,
    steps: int,
    seed: int,
    forget_bias: float = 0.0,
    hidden_size: int = 1,
    batch_size: int = 32,
    lr: float = 0.01,
    every_step: bool = True,
    feedback: bool = True,
    clip_norm: float | None = None,
    dtype: torch.dtype = torch.float64,
) -> MemoryRun:
    """Train a :class:`MemoryModel` with Adam on the mean squared error.

    With ``every_step`` (chapter 4) the error counts at every step, so short distances teach
    the model first; without it only the last step counts, the harder setting of chapter 6.
    ``clip_norm`` clips the gradient norm before each update (``benchmarks/memory_models.py``).
    """
    _check_training_args(seed, steps, forget_bias, clip_norm, lr)
    every_step = check_bool(every_step, "every_step")
    torch.manual_seed(seed)
    data = torch.Generator().manual_seed(10_000 + seed)
    model = MemoryModel(
        kind, hidden_size=hidden_size, forget_bias=forget_bias, feedback=feedback, dtype=dtype
    )
    with threads_for_model(model):  # one CPU thread: faster for a model this small (utils.threads)
        return _train_memory_model(model, seq_len=seq_len, steps=steps, seed=seed, data=data,
                                   batch_size=batch_size, lr=lr, every_step=every_step,
                                   clip_norm=clip_norm, dtype=dtype)


def _train_memory_model(model: MemoryModel, *, seq_len: int, steps: int, seed: int, data: torch.Generator,
                        batch_size: int, lr: float, every_step: bool, clip_norm: float | None,
                        dtype: torch.dtype) -> MemoryRun:
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=lr)
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        x, first = first_input_batch(batch_size, seq_len, generator=data)
        predictions = model(x) if every_step else model(x)[-1:]  # (seq_len or 1, batch)
        # L = mean over steps and sequences of (y_t - x_1)^2
        loss = nn.functional.mse_loss(predictions, first.to(dtype).expand(len(predictions), -1))
        optimizer.zero_grad()
        loss.backward()
        if clip_norm is not None:
            nn.utils.clip_grad_norm_(trainable, clip_norm)
        optimizer.step()
        losses.append(loss.item())
    seconds = (time.perf_counter() - start) / max(steps, 1)
    return MemoryRun(model, losses, mse_by_step(model, seq_len=seq_len, seed=seed)[-1].item(), seconds)


@torch.no_grad()
def mse_by_step(model: MemoryModel, *, seq_len: int, seed: int, batch_size: int = 2000) -> Tensor:
    """Test error of the prediction at every step, on fresh sequences: (seq_len,)."""
    generator = torch.Generator().manual_seed(check_seed(seed))
    x, first = first_input_batch(batch_size, seq_len, generator=generator)
    return ((_check_model(model)(x).double() - first) ** 2).mean(dim=1)


@torch.no_grad()
def last_step_predictions(model: MemoryModel, first: Tensor, *, seq_len: int) -> Tensor:
    """What the model outputs at step ``seq_len`` for each first value x_1 (batch,): (batch,).

    Plotted against x_1 this shows what the model keeps: a straight line for the number itself,
    two flat levels for one bit.
    """
    return _check_model(model)(inputs_from_first(first, seq_len))[-1].double()


def two_level_share(first: Tensor, predictions: Tensor) -> float:
    """Share of the variance of ``predictions`` (batch,) that the best two-valued step function of
    ``first`` (batch,) explains: 1.0 when the model outputs one value below a threshold of x_1 and
    another above it (one bit), 0.75 for predictions proportional to evenly spread x_1.
    """
    if not isinstance(first, Tensor) or not isinstance(predictions, Tensor):
        raise TypeError(f"expected two tensors, got {type(first).__name__} and {type(predictions).__name__}: "
                        "convert with torch.as_tensor(...)")
    check_has_values(first, "first")
    check_has_values(predictions, "predictions")
    if first.shape != predictions.shape or first.dim() != 1 or len(first) < 2:
        raise ValueError(
            f"expected two tensors of the same shape (batch,), batch >= 2, got "
            f"{tuple(first.shape)} and {tuple(predictions.shape)}"
        )
    y = predictions.double()[first.argsort()]  # predictions in the order of x_1
    y = y - y.mean()  # centred, so that the sums below do not cancel
    n, total = len(y), (y**2).sum()
    if total == 0:
        return 1.0
    left = torch.arange(1, n, dtype=torch.float64)  # size of the group below each split
    # between-group sum of squares of a split after k values: S_k^2 n / (k (n - k)), S_k = sum of the first k
    between = y.cumsum(0)[:-1] ** 2 * n / (left * (n - left))
    return min((between.max() / total).item(), 1.0)


def sign_batch(batch_size: int, seq_len: int, *, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """The harder task of chapter 6: x_1 is +1 or -1, every later input is N(0, 1) noise.

    Returns inputs (seq_len, batch, 1) in float32 and labels (batch,): 1.0 where x_1 = +1.
    """
    _check_batch_args(batch_size, seq_len, generator)
    x = torch.randn(seq_len, batch_size, 1, generator=generator)
    labels = torch.randint(0, 2, (batch_size,), generator=generator).float()
    x[0, :, 0] = 2 * labels - 1
    return x, labels


def train_sign_task(
    *,
    seq_len: int,
    forget_bias: float,
    seed: int,
    steps: int = 800,
    hidden_size: int = 16,
    batch_size: int = 64,
    lr: float = 0.01,
) -> float:
    """Train ``nn.LSTM(1, hidden_size)`` + linear read-out to output the sign of x_1 after the
    whole noisy sequence (loss only at the last step); return the test accuracy (0.5 is chance).

    Every forget-gate bias starts at ``forget_bias`` (the ``bias_hh`` half at 0); everything else
    is PyTorch's default initialisation.
    """
    _check_training_args(seed, steps, forget_bias, lr=lr)
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    torch.manual_seed(seed)
    data = torch.Generator().manual_seed(20_000 + seed)
    lstm, readout = nn.LSTM(1, hidden_size), nn.Linear(hidden_size, 1)
    forget = slice(hidden_size, 2 * hidden_size)
    with torch.no_grad():
        lstm.get_parameter("bias_ih_l0")[forget] = forget_bias
        lstm.get_parameter("bias_hh_l0")[forget] = 0.0
    optimizer = torch.optim.Adam([*lstm.parameters(), *readout.parameters()], lr=lr)
    with threads_for_model(lstm):  # one CPU thread: faster for a model this small (utils.threads)
        for _ in range(steps):
            x, labels = sign_batch(batch_size, seq_len, generator=data)
            logits = readout(lstm(x)[0][-1]).squeeze(-1)  # (batch,)
            loss = nn.functional.binary_cross_entropy_with_logits(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        x, labels = sign_batch(2000, seq_len, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            predictions = readout(lstm(x)[0][-1]).squeeze(-1) > 0
    return (predictions.float() == labels).float().mean().item()
