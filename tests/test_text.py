"""Tokenizers, Vocab, padding and TextDataset (chapter 10)."""

from pathlib import Path

import pytest
import torch

from utils.sequences import collate_padded
from utils.text import PAD, UNK, TextDataset, Vocab, char_tokenize, pad_truncate, word_tokenize


def test_char_tokenize():
    assert char_tokenize("Hi!") == ["H", "i", "!"]
    assert char_tokenize("") == []


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("I didn't like it!!", ["i", "did", "n't", "like", "it", "!", "!"]),
        ("Can't, won't: it's I'm we're they've you'll he'd",
         ["ca", "n't", ",", "wo", "n't", ":", "it", "'s", "i", "'m", "we", "'re", "they", "'ve", "you", "'ll",
          "he", "'d"]),
        ("don\u2019t o'clock", ["do", "n't", "o'clock"]),
        ("<user> see <url> <b>", ["<user>", "see", "<url>", "<", "b", ">"]),
        ("Great movie.<br /><br />Loved it", ["great", "movie", ".", "loved", "it"]),
        ("  ", []),
        ("#driverless cars, 10/10", ["#", "driverless", "cars", ",", "10", "/", "10"]),
    ],
)
def test_word_tokenize(text, tokens):
    assert word_tokenize(text) == tokens


@pytest.mark.parametrize("tokenize", [char_tokenize, word_tokenize])
def test_tokenizers_reject_non_strings(tokenize):
    with pytest.raises(TypeError, match="expected text to be a str"):
        tokenize(None)


def test_vocab_specials_order_and_limits():
    docs = [["b", "a", "a", "c"], ["a", "b", "d"]]
    vocab = Vocab.build(docs)
    assert vocab.itos == [PAD, UNK, "a", "b", "c", "d"]  # by count, ties alphabetical
    assert vocab.pad_id == 0 and vocab.unk_id == 1
    assert Vocab.build(docs, max_size=2).itos == [PAD, UNK, "a", "b"]
    assert Vocab.build(docs, min_freq=2).itos == [PAD, UNK, "a", "b"]
    assert Vocab.build(docs, max_size=0).itos == [PAD, UNK]


def test_encode_decode_and_unknowns():
    vocab = Vocab.build([["good", "film"]])
    assert vocab.encode(["good", "bad"]) == [vocab.stoi["good"], 1]
    assert vocab.decode(vocab.encode(["film", "good"])) == ["film", "good"]
    assert vocab.unk_rate([["good", "bad"], ["worse"]]) == pytest.approx(2 / 3)


def test_vocab_json_round_trip(tmp_path):
    vocab = Vocab.build([["é", "ü", "a"]])
    vocab.save(tmp_path / "vocab.json")
    assert Vocab.load(tmp_path / "vocab.json") == vocab


def test_vocab_rejects_bad_token_lists():
    with pytest.raises(ValueError, match="must start with"):
        Vocab(["a", PAD, UNK])
    with pytest.raises(ValueError, match="unique"):
        Vocab([PAD, UNK, "a", "a"])
    with pytest.raises(ValueError, match="min_freq"):
        Vocab.build([["a"]], min_freq=0)


def test_pad_truncate():
    assert pad_truncate([5, 6, 7], 5) == [5, 6, 7, 0, 0]
    assert pad_truncate([5, 6, 7], 2) == [5, 6]
    with pytest.raises(ValueError, match="length"):
        pad_truncate([1], 0)


def test_dataset_truncates_and_never_returns_empty():
    vocab = Vocab.build([word_tokenize("a b c d")])
    data = TextDataset(["a b c d", "", "zzz"], [1, 0, 1], vocab, word_tokenize, max_len=3)
    ids, label = data[0]
    assert ids.tolist() == vocab.encode(["a", "b", "c"]) and label == 1
    assert data[1][0].tolist() == [vocab.unk_id]  # empty text -> one <unk>
    assert data[2][0].tolist() == [vocab.unk_id]
    assert data.lengths() == [3, 1, 1] and len(data) == 3
    assert vocab == Vocab.build([word_tokenize("a b c d")]) and vocab != vocab.itos  # a list is not a Vocab
    padded, lengths, labels = collate_padded([data[0], data[1]])
    assert padded.shape == (2, 3) and lengths.tolist() == [3, 1] and labels.dtype == torch.float32
    first_words = TextDataset(["a b c d"], [1], vocab, word_tokenize, max_len=1)  # the smallest max_len
    assert first_words[0][0].tolist() == vocab.encode(["a"]) and first_words.lengths() == [1]


def test_dataset_checks_label_count():
    with pytest.raises(ValueError, match="as many labels"):
        TextDataset(["a"], [1, 0], Vocab.build([]), word_tokenize)


def test_build_ignores_the_special_tokens_when_a_corpus_contains_them():
    """A text that literally contains "<pad>" or "<unk>" must not give them a second id."""
    vocab = Vocab.build([["<pad>", "a", "<unk>", "<unk>"], ["<pad>", "<pad>", "b", "a"]])
    assert vocab.itos == [PAD, UNK, "a", "b"] and len(vocab) == 4
    assert vocab.encode(["<pad>", "<unk>", "b"]) == [vocab.unk_id, vocab.unk_id, 3]


def test_max_size_must_not_be_negative_and_repr_shows_the_first_tokens():
    with pytest.raises(ValueError, match="max_size >= 0"):
        Vocab.build([["a"]], max_size=-1)
    vocab = Vocab.build([["b", "a", "a"]])
    assert repr(vocab) == "Vocab(4 tokens: ['<pad>', '<unk>', 'a', 'b']...)"
    assert "a" in vocab and "z" not in vocab


def test_unk_rate_of_no_tokens_is_undefined_not_zero():
    vocab = Vocab.build([["a"]])
    for no_tokens in ([], [[]], [[], []]):
        with pytest.raises(ValueError, match="no tokens"):
            vocab.unk_rate(no_tokens)
    assert vocab.unk_rate([[], ["a", "z"]]) == 0.5


def test_saved_vocabulary_is_readable_utf8_json(tmp_path):
    Vocab.build([["café", "naïve"]]).save(tmp_path / "vocab.json")
    text = (tmp_path / "vocab.json").read_text(encoding="utf-8")
    assert "café" in text and "naïve" in text  # the words themselves, not \\u escapes


@pytest.mark.parametrize("tokens", ['"<pad><unk>ab"', "[0, 1, 2]", '["<pad>", "<unk>", 3]'])
def test_load_refuses_tokens_that_are_not_a_list_of_strings(tmp_path, tokens):
    path = tmp_path / "vocab.json"
    path.write_text('{"tokens": ' + tokens + "}", encoding="utf-8")
    with pytest.raises(ValueError, match="'tokens' must be a list of strings; rebuild the vocabulary"):
        Vocab.load(path)


def test_chapter_10_clitics_solution_prints_what_its_text_says(capsys):
    """The ex-text-3 solution runs as written and prints the figures its prose quotes."""
    import re

    from tools.exercises import exercises
    from utils.data import load_tweets

    path = Path(__file__).parents[1] / "notebooks" / "10_text_pipeline.ipynb"
    solution = next(e.solution for e in exercises(path) if e.label == "ex-text-3")
    code = re.search(r"```python\n(.*?)```", solution, re.DOTALL).group(1)
    exec(code, {"word_tokenize": word_tokenize, "Vocab": Vocab, "corpus": load_tweets()})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "['i', \"didn't\", 'like', 'the', 'café']"
    assert printed[1:] == ["word_tokenize 17308 2.75%", "keep_clitics 17570 2.84%"]
    assert "17,308 to 17,570" in solution and "2.75% to 2.84%" in solution
