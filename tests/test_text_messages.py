"""utils/text.py's messages, whole, and the behaviours next to them: a reader acts on the fix a
message names, so a changed message is a changed behaviour."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import error_message

from utils import text
from utils.text import TextDataset, Vocab, char_tokenize, pad_truncate, word_tokenize

TOKENS = ["<pad>", "<unk>", "the", "movie", "was", "good", "bad", "fine"]


@pytest.fixture
def vocab():
    return Vocab(TOKENS)


def test_vocab_construction_messages():
    assert error_message(lambda: Vocab("the movie")) == (
        "a Vocab needs a list of token strings, got str: use Vocab.build(token_lists) or "
        "Vocab([PAD, UNK, 'word', ...])")
    assert error_message(lambda: Vocab(5)) == (
        "a Vocab needs a list of token strings, got int: use Vocab.build(token_lists) or "
        "Vocab([PAD, UNK, 'word', ...])")
    assert error_message(lambda: Vocab(["<pad>", "<unk>", 3])) == (
        "Vocab needs tokens that are strings, got int 3: tokenize text with word_tokenize or char_tokenize "
        "(ids are decoded with vocab.decode)")
    assert error_message(lambda: Vocab(["<unk>", "<pad>", "a"])) == (
        "a Vocab must start with '<pad>' and '<unk>', got ['<unk>', '<pad>']")
    assert error_message(lambda: Vocab(["<pad>", "<unk>", "a", "a"])) == "a Vocab's tokens must be unique"
    assert error_message(lambda: Vocab(["<pad>", "<unk>", "caf\udce9"])) == (
        "a token holds the lone surrogate '\\udce9', which no UTF-8 file can store: its text was decoded "
        "with errors='surrogateescape'; read the file with encoding='utf-8', errors='replace'")


def test_build_messages_and_generators():
    assert error_message(lambda: Vocab.build("the movie")) == (
        "Vocab.build needs a list of token lists, got str; tokenize first: "
        "Vocab.build([word_tokenize(t) for t in texts])")
    assert error_message(lambda: Vocab.build(["the movie"])) == (
        "Vocab.build got 'the movie' where a list of tokens belongs; tokenize first: "
        "Vocab.build([word_tokenize(t) for t in texts])")
    assert error_message(lambda: Vocab.build([[["nested"]]])) == (
        "Vocab.build needs tokens that are strings, got list ['nested']: tokenize text with word_tokenize or "
        "char_tokenize (ids are decoded with vocab.decode)")
    assert error_message(lambda: Vocab.build(iter([]))) == (
        "Vocab.build got an iterator that gave no token lists: a generator is used up after one pass (an "
        "earlier run of this cell?); build from a list, or create the generator again in the same cell")
    assert Vocab.build(iter([["good"]])).itos == ["<pad>", "<unk>", "good"]  # one list from a generator
    assert Vocab.build([]).itos == ["<pad>", "<unk>"]
    assert error_message(lambda: Vocab.build([["a", 3]])) == (  # hashable, so counted, then refused
        "Vocab.build needs tokens that are strings, got int 3: tokenize text with word_tokenize or "
        "char_tokenize (ids are decoded with vocab.decode)")
    assert error_message(lambda: Vocab.build([["a"]], max_size=-1)) == (
        "expected max_size >= 0 (an int) or None, got -1")
    assert error_message(lambda: Vocab.build([["a"]], min_freq=0)) == "expected min_freq >= 1 (an int), got 0"


def test_lookup_messages(vocab):
    assert error_message(lambda: vocab["good"]) == (
        "a Vocab is not indexed: vocab.encode([token])[0] gives a token's id (<unk>'s for an unknown token), "
        "vocab.itos[i] the token of id i")
    assert error_message(lambda: 5 in vocab) == (
        "a Vocab holds str tokens; ask about one token ('good' in vocab), got int 5")
    assert repr(vocab) == "Vocab(8 tokens: ['<pad>', '<unk>', 'the', 'movie', 'was', 'good']...)"


def test_encode_messages(vocab):
    assert error_message(lambda: vocab.encode("the movie")) == (
        "Vocab.encode needs a list of tokens; tokenize the text first: vocab.encode(word_tokenize(text))")
    assert error_message(lambda: vocab.encode({"the", "movie"})) == (
        "Vocab.encode needs the tokens in text order as a list, got a set: tokenize the text "
        "(word_tokenize(text))")
    assert error_message(lambda: vocab.encode(["the", 2])) == (
        "Vocab.encode needs tokens that are strings, got int 2: tokenize text with word_tokenize or "
        "char_tokenize (ids are decoded with vocab.decode)")


def test_decode_messages_and_its_range(vocab):
    assert vocab.decode([0, 1, 7]) == ["<pad>", "<unk>", "fine"]
    assert error_message(lambda: vocab.decode([8])) == (
        "Vocab.decode got id 8, outside this vocabulary's range 0..7: decode with the vocabulary the ids were "
        "encoded with")
    assert error_message(lambda: vocab.decode([-1])) == (
        "Vocab.decode got id -1, outside this vocabulary's range 0..7: decode with the vocabulary the ids were "
        "encoded with")
    assert error_message(lambda: vocab.decode([1.0])) == (
        "Vocab.decode needs integer ids, got float 1.0: ids come from vocab.encode; round or convert floats "
        "with int() first")
    assert error_message(lambda: vocab.decode(torch.zeros(2, 3, dtype=torch.long))) == (
        "Vocab.decode needs a 1-D sequence of integer ids, got shape (2, 3) and dtype torch.int64: pass one "
        "row, e.g. batch[0]")
    assert error_message(lambda: vocab.decode(7)) == "Vocab.decode needs a list of integer ids, got int"


def test_unk_rate_messages(vocab):
    assert vocab.unk_rate([["the", "plot"], ["good"]]) == pytest.approx(1 / 3)
    assert error_message(lambda: vocab.unk_rate([[]])) == (
        "Vocab.unk_rate got no tokens, so the share of unknown ones is undefined: pass token lists such as "
        "[word_tokenize(text) for text in texts]")
    assert error_message(lambda: vocab.unk_rate("the movie")) == (
        "Vocab.unk_rate needs a list of token lists, got str; tokenize first: "
        "Vocab.unk_rate([word_tokenize(t) for t in texts])")
    assert error_message(lambda: vocab.unk_rate([["the", None]])) == (
        "Vocab.unk_rate needs tokens that are strings, got NoneType None: tokenize text with word_tokenize or "
        "char_tokenize (ids are decoded with vocab.decode)")


def test_save_writes_through_a_hidden_temporary_sibling(vocab, tmp_path, monkeypatch):
    moves = []
    real_replace = os.replace

    def replace(source, target):
        moves.append((Path(source), Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(text.os, "replace", replace)
    vocab.save(tmp_path / "vocab.json")
    [(source, target)] = moves
    assert source.parent == target.parent == tmp_path  # one rename on one file system
    assert source.name.startswith(".vocab.json.") and source.name.endswith(".tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.json"]


def test_load_messages(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    message = error_message(lambda: Vocab.load(broken))
    assert message.startswith(f"{broken} is not a vocabulary written by Vocab.save (JSONDecodeError: ")
    assert message.endswith("); rebuild it with Vocab.build and save it again")
    numbers = tmp_path / "numbers.json"
    numbers.write_text('{"tokens": [1, 2]}', encoding="utf-8")
    assert error_message(lambda: Vocab.load(numbers)) == (
        f"{numbers}: 'tokens' must be a list of strings; rebuild the vocabulary")


def test_a_vocabulary_round_trips_in_utf_8_under_an_ascii_locale(tmp_path):
    """Saved and loaded in a C-locale container with UTF-8 mode off: the file is UTF-8 anyway."""
    script = (
        "import locale\nfrom utils.text import Vocab\n"
        f"Vocab(['<pad>', '<unk>', 'caf\\u00e9', '\\u6771\\u4eac']).save({str(tmp_path / 'v.json')!r})\n"
        f"print(locale.getpreferredencoding(False).lower(), Vocab.load({str(tmp_path / 'v.json')!r}).itos[2:])\n"
    )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
           "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                            cwd=Path(text.__file__).parents[1], check=False)
    assert result.returncode == 0, result.stderr[-600:]
    encoding, _, tokens = result.stdout.strip().partition(" ")
    if encoding not in ("ascii", "ansi_x3.4-1968"):
        pytest.skip(f"this system's C locale reads files as {encoding}, not ASCII")
    assert tokens == "['caf\u00e9', '\u6771\u4eac']"
    assert (tmp_path / "v.json").read_bytes().decode("utf-8").count("café") == 1


def test_dataset_messages(vocab):
    assert error_message(lambda: TextDataset("the movie", [1], vocab, word_tokenize)) == (
        "TextDataset needs a list of texts and a list of labels, not a single string")
    assert error_message(lambda: TextDataset(["the movie"], "1", vocab, word_tokenize)) == (
        "TextDataset needs a list of texts and a list of labels, not a single string")
    assert error_message(lambda: TextDataset(["the movie"], [1], TOKENS, word_tokenize)) == (
        "expected vocab to be a Vocab, got list: use Vocab.build")
    assert error_message(lambda: TextDataset(["good", float("nan")], [1, 0], vocab, word_tokenize)) == (
        "every text must be a str, got float nan: drop missing texts (NaN) or convert them with str()")
    assert error_message(lambda: TextDataset(["good", None], [1, 0], vocab, word_tokenize)) == (
        "every text must be a str, got NoneType None: drop missing texts (NaN) or convert them with str()")
    assert error_message(lambda: TextDataset(["good", "bad"], np.array([[1], [0]]), vocab, word_tokenize)) == (
        "expected one label (0 or 1) per text, got labels of shape (1,) each: pass a column (df['label'], "
        "not df[['label']]) or labels.ravel()")
    data = TextDataset(["the movie was good", ""], [1, 0], vocab, word_tokenize)
    assert error_message(lambda: data[[0, 1]]) == (
        "a TextDataset gives one item per index, got a list of indices: a BucketBatchSampler yields whole "
        "batches, so pass it as DataLoader(..., batch_sampler=sampler), not sampler=")
    assert error_message(lambda: data[0:2]) == (
        "a TextDataset gives one item per index, not a slice: for a part, use "
        "torch.utils.data.Subset(dataset, range(a, b)) or build a TextDataset of texts[a:b]")
    ids, label = data[0]
    assert ids.tolist() == [2, 3, 4, 5] and ids.dtype == torch.long and label == 1
    assert data[1][0].tolist() == [vocab.unk_id]  # an empty text reads as one <unk>


def test_tokenizer_and_padding_messages():
    assert error_message(lambda: char_tokenize(None)) == "expected text to be a str, got NoneType: None"
    assert error_message(lambda: pad_truncate(np.array([1, 2]), 3)) == (
        "pad_truncate takes a list of ids; for a tensor use ids.tolist(), or pad a batch of tensors with "
        "utils.sequences.pad_batch")
    assert error_message(lambda: pad_truncate(b"ab", 3)) == (
        "pad_truncate takes a list of ids, got bytes: decode and tokenize the text, then vocab.encode")
    assert error_message(lambda: pad_truncate([1], 3, pad_id=0.0)) == "expected pad_id to be an int, got float: 0.0"
    assert error_message(lambda: pad_truncate([1], 0)) == (
        "expected length to be an int from 1 to 10,000,000, got 0")


def test_build_orders_by_frequency_then_alphabetically():
    assert Vocab.build([["b", "a", "c", "c"], ["d", "c", "d"]]).itos == ["<pad>", "<unk>", "c", "d", "a", "b"]


def test_missing_labels_are_named_whatever_the_table_wrote():
    import pandas as pd

    for labels, shown in [([1, None, float("nan")], "None"), ([1, float("nan")], "nan"), ([1, pd.NA], "<NA>"),
                          ([pd.NaT, 1], "NaT")]:
        message = error_message(lambda y=labels: TextDataset(["a"] * len(y), y, Vocab(TOKENS), word_tokenize))
        assert message == (f"a label is missing ({shown}): drop the rows without a label (df.dropna()) before "
                           "building the dataset")


def test_id_checks_name_their_caller_and_the_kind_of_ids(vocab, monkeypatch):
    assert error_message(lambda: char_tokenize(5)) == "expected text to be a str, got int: 5"
    assert error_message(lambda: vocab.decode(torch.ones(2, dtype=torch.long, device="meta"))).startswith(
        "the ids is on the 'meta' device")
    assert vocab.decode(np.array([2, 3])) == ["the", "movie"]
    assert error_message(lambda: vocab.decode(np.array([1.0]))) == (
        "Vocab.decode needs a 1-D sequence of integer ids, got shape (1,) and dtype float64: pass one row, "
        "e.g. batch[0]")
    assert error_message(lambda: vocab.decode(torch.tensor([True]))) == (
        "Vocab.decode needs a 1-D sequence of integer ids, got shape (1,) and dtype torch.bool: pass one row, "
        "e.g. batch[0]")
    assert error_message(lambda: word_tokenize("a", split_clitics="no")) == (
        "expected split_clitics to be True or False, got str: 'no'")
    assert error_message(lambda: pad_truncate(["a"], 3)) == (
        "pad_truncate needs integer ids, got str 'a': ids come from vocab.encode; round or convert floats with "
        "int() first")
    monkeypatch.setattr(text, "MAX_PADDED_LENGTH", 5)  # the limit itself, without 80 MB of padding
    assert pad_truncate([1], 5) == [1, 0, 0, 0, 0]
    assert error_message(lambda: pad_truncate([1], 6)) == "expected length to be an int from 1 to 5, got 6"


def test_a_tokenizer_mismatch_is_judged_from_one_token_and_above_half(vocab):
    assert text.tokenizer_mismatch(vocab, word_tokenize, ["zzz"]) == (
        "100% of the tokens are <unk> with this vocabulary: it was built with another tokenizer (use the "
        "tokenize function the vocabulary was built with, e.g. char_vocab with char_tokenize)")
    assert text.tokenizer_mismatch(vocab, word_tokenize, ["good zzz"]) is None  # exactly half: not judged
    assert text.tokenizer_mismatch(vocab, word_tokenize, ["good zzz qqq"]).startswith("67% of the tokens")
    assert text.tokenizer_mismatch(vocab, word_tokenize, [""]) is None  # nothing to judge
    assert text.tokenizer_mismatch(vocab, word_tokenize, ["zzz"], min_tokens=2) is None
