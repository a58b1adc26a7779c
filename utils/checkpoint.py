"""Save and load a trained :class:`~utils.models.LSTMClassifier` with its vocabulary (chapter 12).

A checkpoint is one file holding the weights, the vocabulary and the model's configuration.
Saving is atomic: the file is written under a temporary name in the same folder and renamed
over the target only when complete, so a failed save (full disk, interrupted run) leaves the
previous checkpoint intact. Loading uses ``torch.load(weights_only=True)``: no code in the file
runs, which makes it safe to load a checkpoint someone sent you.

The file also stores a SHA-256 digest of its content (every weight's name, dtype, shape and
bytes, the vocabulary and the configuration). Loading recomputes it and refuses a file whose
content no longer matches (a damaged disk, an interrupted copy, a hand edit), since such a file
would otherwise load and quietly predict something else. A file saved before digests existed
loads with a warning that it cannot be checked; saving it again adds the digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import torch

from utils.checks import check_has_values, check_path, new_file_mode
from utils.models import ClassifierConfig, LSTMClassifier
from utils.text import Vocab

CHECKPOINT_FORMAT = 1


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint, or one that does not match the vocabulary or config given."""


class LoadedCheckpoint(NamedTuple):
    model: LSTMClassifier
    vocab: Vocab


def save_checkpoint(path: str | Path, model: LSTMClassifier, vocab: Vocab) -> None:
    """Save the weights, the vocabulary and the model configuration in one file, atomically."""
    if not isinstance(model, LSTMClassifier) or not isinstance(vocab, Vocab):
        raise TypeError(
            "expected save_checkpoint(path, model: LSTMClassifier, vocab: Vocab), "
            f"got model={type(model).__name__}, vocab={type(vocab).__name__}"
        )
    if len(vocab) != model.config.vocab_size:
        raise ValueError(
            f"the vocabulary has {len(vocab)} tokens but the model was built for {model.config.vocab_size}: "
            "save the vocabulary the model was trained with"
        )
    path = check_path(path, writing=True)
    state_dict, tokens, config = model.state_dict(), list(vocab.itos), model.config.as_dict()
    payload = {
        "format": CHECKPOINT_FORMAT,
        "state_dict": state_dict,
        "vocab": tokens,
        "config": config,
        "digest": content_digest(state_dict, tokens, config),
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(payload, file)
            file.flush()  # pragma: no mutate (torch.save flushes too; the flush-then-fsync order is explicit)
            os.fsync(file.fileno())
        os.chmod(temporary, new_file_mode())
        os.replace(temporary, path)
    except BaseException:  # a full disk, an unpicklable object, Ctrl-C: the old file stays as it was
        os.unlink(temporary)
        raise


def content_digest(state_dict: Mapping[str, torch.Tensor], vocab: list[str], config: dict[str, Any]) -> str:
    """SHA-256 (hex) of a checkpoint's content: every tensor's name, dtype, shape and bytes in name
    order, then the vocabulary tokens and the configuration as JSON."""
    if not isinstance(state_dict, Mapping) or not isinstance(vocab, list) or not isinstance(config, dict):
        raise TypeError("content_digest needs (model.state_dict(), list(vocab.itos), "
                        "model.config.as_dict()), got "
                        f"{type(state_dict).__name__}, {type(vocab).__name__}, {type(config).__name__}")
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        if not isinstance(state_dict[name], torch.Tensor):
            raise TypeError(f"state_dict[{name!r}] is a {type(state_dict[name]).__name__}, not a tensor")
        check_has_values(state_dict[name], f"the model's {name}")
        tensor = state_dict[name].detach().cpu()
        tensor = tensor.to_dense() if tensor.layout != torch.strided else tensor  # a sparse tensor too
        tensor = tensor.resolve_conj().resolve_neg()
        tensor = tensor.contiguous()
        header = json.dumps([name, str(tensor.dtype), list(tensor.shape)])
        digest.update(header.encode() + b"\0")
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    try:
        text = json.dumps([vocab, config], sort_keys=True, ensure_ascii=False)
    except TypeError as error:
        raise TypeError("the vocabulary and configuration must be plain JSON values (str, "
                        f"numbers): {error}") from None
    digest.update(text.encode())
    return digest.hexdigest()


def _check_digest(path: Path, saved: dict[str, Any]) -> None:
    """Refuse a file whose content does not match its stored digest; warn for one without a digest."""
    if "digest" not in saved:
        warnings.warn(
            f"{path} has no content digest (it was saved before digests existed), so damage to it "
            "cannot be detected: load it once and save it again with save_checkpoint to add one",
            UserWarning,
            stacklevel=4,
        )
        return
    try:
        actual = content_digest(saved["state_dict"], saved["vocab"], saved["config"])
    except Exception:  # noqa: BLE001 - any content the digest cannot even read is damaged
        actual = None
    if actual is None or actual != saved["digest"]:
        raise CheckpointError(
            f"{path} is damaged: its content does not match the digest stored when it was saved "
            "(a disk or copy error, or an edit); save it again from the trained model, or re-train"
        )


def _read(path: Path) -> dict[str, Any]:
    """The saved dictionary, or a :class:`CheckpointError` saying why the file is not one."""
    if path.is_file() and path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty (an interrupted save or copy?): save or download it again")
    try:
        with warnings.catch_warnings():  # a foreign pickle's protocol warning would only confuse
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            saved = torch.load(path, map_location="cpu", weights_only=True)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as error:  # noqa: BLE001 - a damaged file can fail inside the unpickler in any way
        raise CheckpointError(
            f"{path} cannot be read as a checkpoint ({type(error).__name__}): the file is truncated, "
            "corrupt or not written by save_checkpoint; save or download it again"
        ) from None
    keys = {"format", "state_dict", "vocab", "config"}
    if not isinstance(saved, dict) or not keys <= saved.keys():
        raise CheckpointError(f"{path} is not a checkpoint written by save_checkpoint (no {sorted(keys)})")
    if type(saved["format"]) is not int or saved["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} has checkpoint format {saved['format']!r}; this code reads format {CHECKPOINT_FORMAT}: "
            "use the version of the course code that saved it"
        )
    _check_digest(path, saved)
    return saved


def _saved_config(path: Path, saved: dict[str, Any]) -> ClassifierConfig:
    """The saved configuration; ``packed: bool`` from before ``strategy`` existed is translated."""
    if not isinstance(saved["config"], dict):
        raise CheckpointError(f"{path} holds no configuration dictionary; save it again with save_checkpoint")
    config = dict(saved["config"])
    if "packed" in config and "strategy" not in config:
        config["strategy"] = "packed" if config.pop("packed") else "padded"
    unknown = sorted(set(config) - set(ClassifierConfig.__dataclass_fields__))
    if unknown:
        raise CheckpointError(
            f"{path} has configuration fields {unknown} that ClassifierConfig does not know: "
            "it was saved by another version of the course code; retrain and save again"
        )
    try:
        return ClassifierConfig(**config)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path} holds a configuration that is refused ({error}); retrain") from None


def _check_same_vocab(path: Path, saved: Vocab, yours: Vocab) -> None:
    if saved == yours:
        return
    first = next(
        (i for i, (a, b) in enumerate(zip(saved.itos, yours.itos, strict=False)) if a != b),
        min(len(saved), len(yours)),
    )
    raise CheckpointError(
        f"{path} was trained with a different vocabulary ({len(saved)} tokens, yours has {len(yours)}; "
        f"the first difference is at id {first}): use the vocabulary saved in the checkpoint "
        "(load without vocab=) or retrain"
    )


def _check_same_config(path: Path, saved: ClassifierConfig, yours: ClassifierConfig) -> None:
    """Refuse another configuration, except the strategy: how the LSTM reads padding changes no
    weight, so one state_dict loads into any strategy (the model is built with yours)."""
    mine, theirs = yours.as_dict(), saved.as_dict()
    changed = {key: (value, theirs[key]) for key, value in mine.items()
               if theirs[key] != value and key != "strategy"}
    if changed:
        raise CheckpointError(f"{path} was trained with another configuration (yours, saved): {changed}")


def load_checkpoint(
    path: str | Path, *, vocab: Vocab | None = None, config: ClassifierConfig | None = None
) -> LoadedCheckpoint:
    """Load with ``weights_only=True`` (no code runs from the file) and rebuild the model.

    If ``vocab`` or ``config`` is given, refuse a checkpoint that was trained with another one:
    token ids would silently mean different words. A ``config`` that differs only in ``strategy``
    is taken, and the model reads padding its way. Returns ``(model, vocab)``.
    """
    if vocab is not None and not isinstance(vocab, Vocab):
        raise TypeError(f"expected vocab to be a Vocab or None, got {type(vocab).__name__}: use Vocab(...)")
    if config is not None and not isinstance(config, ClassifierConfig):
        raise TypeError(
            f"expected config to be a ClassifierConfig or None, got {type(config).__name__}: "
            "pass ClassifierConfig(**settings)"
        )
    path = check_path(path)
    saved = _read(path)
    saved_config = _saved_config(path, saved)
    try:
        saved_vocab = Vocab(saved["vocab"])
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path} holds a damaged vocabulary ({error}); save it again") from None
    if vocab is not None:
        _check_same_vocab(path, saved_vocab, vocab)
    if config is not None:
        _check_same_config(path, saved_config, config)
        saved_config = dataclasses.replace(saved_config, strategy=config.strategy)
    model = LSTMClassifier(saved_config)
    try:
        model.load_state_dict(saved["state_dict"])
    except (RuntimeError, TypeError, AttributeError) as error:
        raise CheckpointError(f"{path}: the weights do not fit the saved configuration: {error}") from None
    return LoadedCheckpoint(model, saved_vocab)
