"""predict: batched, in input order, bounded memory, the training pipeline's encoding, clear errors."""

import json
import subprocess
import sys
import textwrap

import pytest
import torch

from utils.models import ClassifierConfig, LSTMClassifier
from utils.text import Vocab, word_tokenize
from utils.training import Prediction, predict

WORDS = ["great", "fun", "loved", "awful", "boring", "hated", "film", "cast", "plot", "the", "and", "it"]


def random_texts(count, *, seed=0, longest=40):
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(0, longest, (count,), generator=generator).tolist()
    words = torch.randint(0, len(WORDS) + 1, (sum(lengths),), generator=generator).tolist()
    texts, start = [], 0
    for length in lengths:  # index len(WORDS) stands for an unknown word
        texts.append(" ".join(WORDS[i] if i < len(WORDS) else "zzz" for i in words[start : start + length]))
        start += length
    return texts


def small_model(vocab, seed=0, **config):
    torch.manual_seed(seed)
    settings = {"embed_dim": 6, "hidden_size": 5, "num_layers": 1, "dropout": 0.0, **config}
    return LSTMClassifier(ClassifierConfig(vocab_size=len(vocab), **settings)).eval()


@pytest.fixture(scope="module")
def vocab():
    return Vocab.build([WORDS])


def one_by_one(model, text, vocab, max_len=None):
    """The probability for one text, computed directly: encode, truncate, one forward pass."""
    ids = vocab.encode(word_tokenize(text))[:max_len] or [vocab.unk_id]
    with torch.no_grad():
        return torch.sigmoid(model(torch.tensor([ids]), torch.tensor([len(ids)]))).item()


def test_predict_matches_one_text_at_a_time_in_input_order(vocab):
    model = small_model(vocab, bidirectional=True)
    texts = random_texts(120)
    result = predict(model, texts, vocab, word_tokenize, batch_size=16, chunk_size=50)
    assert isinstance(result, Prediction) and len(result.probabilities) == len(result.labels) == 120
    expected = [one_by_one(model, text, vocab) for text in texts]
    torch.testing.assert_close(torch.tensor(result.probabilities), torch.tensor(expected), rtol=1e-5, atol=1e-6)
    assert result.labels == [int(p > 0.5) for p in expected]
    probabilities, labels = result  # unpacks like the old tuple
    assert labels == result.labels


def test_predict_accepts_any_iterable_of_strings(vocab):
    model = small_model(vocab)
    texts = random_texts(50, seed=1)
    reference = predict(model, texts, vocab, word_tokenize)
    for result in (predict(model, (t for t in texts), vocab, word_tokenize, chunk_size=7),
                   predict(model, tuple(texts), vocab, word_tokenize, batch_size=1, max_tokens=1)):
        assert result.probabilities == pytest.approx(reference.probabilities, abs=1e-6)
    assert predict(model, texts[3], vocab, word_tokenize).probabilities == reference.probabilities[3:4]
    assert predict(model, [], vocab, word_tokenize) == Prediction([], [])
    assert predict(model, iter([]), vocab, word_tokenize) == Prediction([], [])


def test_predict_honours_max_len(vocab):
    model = small_model(vocab)
    text = " ".join(random_texts(1, seed=2, longest=2)[0].split() + ["great", "awful", "boring"] * 20)
    truncated = predict(model, [text, "fun"], vocab, word_tokenize, max_len=3).probabilities
    assert truncated[0] == pytest.approx(one_by_one(model, text, vocab, max_len=3), abs=1e-6)
    assert truncated[0] != pytest.approx(one_by_one(model, text, vocab), abs=1e-4)
    assert truncated[1] == pytest.approx(one_by_one(model, "fun", vocab), abs=1e-6)
    first_word = predict(model, [text], vocab, word_tokenize, max_len=1).probabilities[0]
    assert first_word == pytest.approx(one_by_one(model, text.split()[0], vocab), abs=1e-6)


def test_predict_restores_the_models_mode(vocab):
    model = small_model(vocab, num_layers=2, dropout=0.5)
    texts = random_texts(20, seed=3)
    expected = [one_by_one(model, text, vocab) for text in texts]  # in eval mode
    model.train()
    result = predict(model, texts, vocab, word_tokenize)
    assert model.training  # put back
    assert result.probabilities == pytest.approx(expected, abs=1e-6)  # but no dropout while predicting
    model.eval()
    predict(model, texts, vocab, word_tokenize)
    assert not model.training


def test_predict_refuses_mistakes_with_a_fix(vocab):
    model = small_model(vocab)
    with pytest.raises(TypeError, match="predict expects strings"):
        predict(model, ["fine", 3], vocab, word_tokenize)
    bigger = Vocab.build([[*WORDS, "extra", "words"]])
    with pytest.raises(ValueError, match=r"vocabulary has 16 tokens but the model's embedding has 14 rows"):
        predict(model, ["fine"], bigger, word_tokenize)
    for bad in ({"max_len": 0}, {"max_len": -1}, {"batch_size": 0}, {"max_tokens": 0}, {"chunk_size": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            predict(model, ["fine"], vocab, word_tokenize, **bad)
    assert not model.training


MEMORY_PROBE = textwrap.dedent("""
    import json, resource, sys
    import torch
    from utils.models import ClassifierConfig, LSTMClassifier
    from utils.text import Vocab, word_tokenize
    from utils.training import predict

    torch.set_num_threads(1)
    words = [f"w{i}" for i in range(50)]
    vocab = Vocab.build([words])
    torch.manual_seed(0)
    model = LSTMClassifier(ClassifierConfig(vocab_size=len(vocab), embed_dim=16, hidden_size=16, num_layers=1))
    short = [" ".join(words[(i + j) % 50] for j in range(i % 30 + 1)) for i in range(10_000)]
    long_text = " ".join(words[j % 50] for j in range(int(sys.argv[1])))

    # a bad implementation fails fast (MemoryError) instead of taking the machine's memory
    with open("/proc/self/status") as status:
        vm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (vm_kb * 1024 + 2 * 1024**3, resource.RLIM_INFINITY))

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux

    predict(model, short[:200] + [long_text[:5000]], vocab, word_tokenize)  # warm up
    base = peak_mb()
    many = predict(model, short, vocab, word_tokenize)
    after_many = peak_mb()
    mixed = predict(model, short[:1500] + [long_text] + short[1500:3000], vocab, word_tokenize)
    after_mixed = peak_mb()
    print(json.dumps({"many": after_many - base, "mixed": after_mixed - base, "n_many": len(many.labels),
                      "n_mixed": len(mixed.labels), "same": mixed.labels[:1500] == many.labels[:1500]}))
""")


def test_predict_memory_stays_bounded_on_many_texts_and_one_very_long_one():
    # In a fresh process: the growth of the peak resident memory (ru_maxrss) while predicting.
    # Padding 3,000 short texts to a 20,000-token one needs gigabytes (the token ids alone are
    # 0.5 GB, their embeddings 3.8 GB); batches of at most 32,768 tokens need a few MB.
    run = subprocess.run([sys.executable, "-c", MEMORY_PROBE, "20000"], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    assert measured["n_many"] == 10_000 and measured["n_mixed"] == 3001 and measured["same"]
    assert measured["many"] < 100, f"predicting 10,000 texts raised the peak memory by {measured['many']:.0f} MB"
    assert measured["mixed"] < 100, f"one long text raised the peak memory by {measured['mixed']:.0f} MB"


def test_batches_respect_batch_size_and_max_tokens(vocab):
    model = small_model(vocab)
    shapes = []
    model.register_forward_pre_hook(lambda module, args: shapes.append(tuple(args[0].shape)))
    texts = random_texts(40, seed=4, longest=12) + ["great " * 30, "fun"]
    result = predict(model, texts, vocab, word_tokenize, batch_size=5, max_tokens=24)
    assert len(result.labels) == 42 and sum(rows for rows, _ in shapes) == 42
    assert all(rows <= 5 and (rows * width <= 24 or rows == 1) for rows, width in shapes), shapes
    assert (1, 30) in shapes  # the long text alone in its batch
    assert max(rows for rows, _ in shapes) == 5
    widths = [width for _, width in shapes]
    assert widths == sorted(widths, reverse=True)  # longest first: a text too long fails at once
