"""What the grading process runs on a submission: call its functions on the grader's inputs.

Loaded by ``tools/grading_child.py`` inside the grading process. A probe gets the submission's
namespace, the case's inputs, ``guarded`` (which runs submitted code with the guards on) and the
guards' state; it returns plain data (numbers, arrays, tensors, lists) that the grader's process
compares with what it expected. Nothing here knows an expected value.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from typing import Any

import numpy as np


def provided(job: dict[str, Any], namespace: dict[str, Any]) -> dict[str, Any]:
    """Names the question gives the submission: A3's tokenizer, rebuilt from its patterns."""
    if "tokenizer" not in job:
        return {}
    word, html_break, clitic = (re.compile(p, flags) for p, flags in job["tokenizer"])

    def word_tokenize(text: str) -> list[str]:
        """Lowercase words with punctuation and clitics split off (the course's
        ``utils.text.word_tokenize``)."""
        if not isinstance(text, str):
            raise TypeError(f"word_tokenize expects a str, got {type(text).__name__}")
        text = html_break.sub(" ", text).lower().replace("\u2019", "'")
        tokens: list[str] = []
        for token in word.findall(unicodedata.normalize("NFC", text)):
            match = clitic.match(token) if "'" in token else None
            tokens.extend(match.groups() if match else (token,))
        return tokens

    return {"word_tokenize": word_tokenize}


def warm_up(torch: Any) -> None:
    """Import what PyTorch loads lazily, before the guards refuse new imports and files."""
    from torch.nn.utils.rnn import pack_padded_sequence
    from torch.utils.data import DataLoader

    torch.set_num_threads(max(1, torch.get_num_threads()))
    lstm = torch.nn.LSTM(2, 2, batch_first=True, bidirectional=True)
    model = torch.nn.Sequential(torch.nn.Embedding(3, 2, padding_idx=0), torch.nn.Linear(2, 1))
    optimizer = torch.optim.Adam([*lstm.parameters(), *model.parameters()], lr=0.01)
    for ids in DataLoader([[1, 2], [2, 1]], batch_size=2, collate_fn=lambda b: torch.tensor(b)):
        packed = pack_padded_sequence(
            model[0](ids), torch.tensor([2, 1]), batch_first=True, enforce_sorted=False
        )
        _, (h_n, _) = lstm(packed)
        loss = torch.nn.BCEWithLogitsLoss()(h_n.sum(dim=(0, 2)), torch.ones(2))
        loss.backward()
        optimizer.step()
    leaf = torch.ones(2, requires_grad=True)
    torch.autograd.grad((leaf**2).sum(), [leaf])
    lstm.state_dict()


def _plain(*tensors: Any) -> None:
    """Refuse tensor subclasses: their ``__torch_function__`` would run outside the guards."""
    import torch

    for tensor in tensors:
        if type(tensor) is not torch.Tensor:
            raise TypeError(f"expected a torch.Tensor, got {type(tensor).__name__}")


def _weights(model: Any, guarded: Any) -> dict[str, Any]:
    """The model's ``state_dict`` as plain names and tensors, read with the guards on."""
    return guarded(lambda: {str(k): v for k, v in model.state_dict().items()})


def _type_name(error: BaseException) -> str:
    return type(error).__name__


def _function(namespace: dict[str, Any], name: str) -> Any:
    value = namespace.get(name)
    if not callable(value):
        raise NameError(f"no function named `{name}` was found: define it in its answer cell")
    return value


def call(namespace: dict[str, Any], payload: dict[str, Any], guarded: Any, state: Any) -> Any:
    """``function(*args, **kwargs)``; with ``strict``, a warning or a NumPy overflow is an error."""
    function = _function(namespace, payload["function"])
    args, kwargs = payload.get("args", []), payload.get("kwargs", {})
    if not payload.get("strict"):
        return guarded(function, *args, **kwargs)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        return guarded(function, *args, **kwargs)


def call_raises(namespace: dict[str, Any], payload: dict[str, Any], guarded: Any, state: Any) -> str:
    """The name of the exception ``function(*args)`` raised, or ``returned`` when it did not."""
    function = _function(namespace, payload["function"])
    try:
        guarded(function, *payload["args"])
    except Exception as error:  # noqa: BLE001 - which exception is the answer
        return guarded(_type_name, error)
    return "returned"


def _tensors(values: list[Any], dtype: str) -> list[Any]:
    import torch

    kind = getattr(torch, dtype)
    return [None if v is None else torch.tensor(v, dtype=kind) for v in values]


def torch_call(namespace: dict[str, Any], payload: dict[str, Any], guarded: Any, state: Any) -> Any:
    """``function`` on tensors made from the payload's arrays (``dtype`` float32 or float64)."""
    import torch

    function = _function(namespace, payload["function"])
    with torch.no_grad():
        return guarded(function, *_tensors(payload["args"], payload["dtype"]))


def layer_gradients(namespace: dict[str, Any], payload: dict[str, Any], guarded: Any, state: Any) -> Any:
    """``lstm_layer``'s outputs and the gradients of ``sum(output**2) + sum(c_n)`` for x and w_hh."""
    import torch

    function = _function(namespace, "lstm_layer")
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = _tensors(payload["args"], "float64")
    x.requires_grad_(True)
    w_hh.requires_grad_(True)
    out, (h_n, c_n) = guarded(function, x, w_ih, w_hh, b_ih, b_hh, h0, c0)
    _plain(out, h_n, c_n)
    loss = (out**2).sum() + c_n.sum()
    dx, dw = torch.autograd.grad(loss, [x, w_hh])
    return out, h_n, c_n, dx, dw


def layer_with_marked_step(
    namespace: dict[str, Any], payload: dict[str, Any], guarded: Any, state: Any
) -> Any:
    """``lstm_layer``'s output when every call of ``lstm_step`` adds ``mark`` to its new h."""
    import torch

    step = _function(namespace, "lstm_step")
    layer = _function(namespace, "lstm_layer")
    mark = payload["mark"]

    def marked(*args: Any) -> Any:
        h_new, c_new = step(*args)
        return h_new + mark, c_new

    namespace["lstm_step"] = marked
    try:
        with torch.no_grad():
            out, _ = guarded(layer, *_tensors(payload["args"], "float64"))
    finally:
        namespace["lstm_step"] = step
    return out


def classifier(namespace: dict[str, Any], payload: dict[str, Any], guarded: Any, state: Any) -> Any:
    """A fresh ``BiLSTMClassifier``'s weights, its logits, and its logits with extra padding."""
    import torch

    cls = _function(namespace, "BiLSTMClassifier")
    torch.manual_seed(payload["seed"])
    model = guarded(cls, payload["vocab_size"], payload["embed_dim"], payload["hidden_size"])
    ids, lengths = (torch.tensor(payload[k], dtype=torch.long) for k in ("ids", "lengths"))
    padded = torch.cat([ids, torch.zeros(ids.shape[0], payload["extra"], dtype=torch.long)], dim=1)
    with torch.no_grad():
        guarded(model.eval)
        logits = guarded(model, ids, lengths)
        more = guarded(model, padded, lengths)
    weights = _weights(model, guarded)
    return {"logits": logits, "padded": more, "state": weights}


def train(namespace: dict[str, Any], payload: dict[str, Any], guarded: Any, state: Any) -> Any:
    """Train the submission's model with its own functions for a fixed number of epochs."""
    import torch
    from torch.utils.data import DataLoader

    build_vocab, encode, collate, cls, train_epoch = (
        _function(namespace, n)
        for n in ("build_vocab", "encode", "collate", "BiLSTMClassifier", "train_epoch")
    )
    torch.manual_seed(payload["seed"])
    vocab = guarded(build_vocab, payload["texts"], payload["max_size"])
    if type(vocab) is not dict:
        raise TypeError(f"build_vocab should return a dict, got {type(vocab).__name__}")
    texts, labels = payload["texts"], payload["labels"]
    pairs = [(guarded(encode, text, vocab), label) for text, label in zip(texts, labels, strict=False)]
    loader = DataLoader(
        pairs,
        batch_size=64,
        shuffle=True,
        collate_fn=collate,
        generator=torch.Generator().manual_seed(payload["seed"]),
    )
    model = guarded(cls, len(vocab))
    optimizer = torch.optim.Adam(model.parameters(), lr=payload["lr"])
    losses = [guarded(train_epoch, model, loader, optimizer) for _ in range(payload["epochs"])]
    weights = _weights(model, guarded)
    words = guarded(lambda: {str(k): int(v) for k, v in vocab.items()})
    return {"vocab": words, "state": weights, "losses": losses}
