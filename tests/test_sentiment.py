"""The shared experiment helpers of chapter 11 and the accuracy benchmark."""

from utils.data import Corpus, Split
from utils.sentiment import FIXED_CHARS, char_vocab, make_loaders
from utils.text import char_tokenize

TEXTS = ["good", "bad day", "lovely weather today", "awful", "fine", "terrible service"]
CORPUS = Corpus("toy", *(Split(TEXTS, [1, 0, 1, 0, 1, 0]) for _ in range(3)))


def test_fixed_length_loaders_pad_to_200_like_the_source():
    vocab = char_vocab(CORPUS)
    loaders = make_loaders(CORPUS, vocab, char_tokenize, max_len=FIXED_CHARS, batch_size=4, fixed_length=True)
    tokens, lengths, labels = next(iter(loaders.train))
    assert tokens.shape == (4, FIXED_CHARS) and lengths.max() < FIXED_CHARS and labels.shape == (4,)


def test_bucketed_loaders_pad_to_the_batch_and_see_every_example():
    vocab = char_vocab(CORPUS)
    loaders = make_loaders(CORPUS, vocab, char_tokenize, max_len=FIXED_CHARS, batch_size=2)
    batches = list(loaders.valid)
    assert sum(len(b[2]) for b in batches) == len(TEXTS)
    assert all(b[0].shape[1] == int(b[1].max()) for b in batches)
