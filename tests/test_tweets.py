"""Cleaning the tweets: the damaged encoding repaired, placeholders, topics, near-duplicates."""

import pytest

from utils import tweets
from utils.baseline import per_topic, topic_prior
from utils.data import Split, load_tweets
from utils.text import word_tokenize
from utils.tweets import (
    TOPIC_NAMES,
    clean_tweet,
    near_duplicates,
    placeholders,
    repair_mojibake,
    tweet_topic,
)


@pytest.fixture(autouse=True)
def _fresh_repairs():
    """Each test repairs from scratch: ``_repair_piece`` caches its answers, and a cache filled by
    an earlier test (or, under mutation testing, by the unmutated code) would hide a change."""
    tweets._repair_piece.cache_clear()
    yield
    tweets._repair_piece.cache_clear()


def damage(text: str, rounds: int) -> str:
    """What the corpus's creation did to ``text``: UTF-8 bytes read as Windows-1252 and written
    as Mac Roman, ``rounds`` times; returned as the CSV reads with latin-1."""
    data = text.encode("utf-8")
    for _ in range(rounds):
        data = data.decode("cp1252").encode("mac_roman")
    return data.decode("latin-1")


@pytest.mark.parametrize("rounds", [1, 2, 3])
@pytest.mark.parametrize("char", ["\u2019", "\u201c", "\u20ac", "é"])
def test_repair_undoes_each_round_of_damage(char, rounds):
    damaged = damage(f"it{char}s fine", rounds)
    assert damaged != f"it{char}s fine"
    repair = repair_mojibake(damaged)
    assert repair.text == f"it{char}s fine" and repair.repaired == 1 and repair.removed == 0


def test_repair_knows_the_corpus_s_real_damage():
    assert repair_mojibake("can\x8a\x97\xc8t").text == "can\u2019t"  # three rounds
    assert repair_mojibake("so \xe4\xf3\xbb good").text == "so \u2019 good"  # two rounds
    assert repair_mojibake("crying \xf4\xd6\x89 now").text == "crying \U0001f602 now"  # emoji, F0 lost
    assert repair_mojibake("the end\xe4\xf3_").text == "the end\u2026"  # ellipsis, last byte lost
    unrecoverable = repair_mojibake("ok \x8a done")
    assert unrecoverable.removed == 1 and unrecoverable.text == "ok done"
    assert repair_mojibake("Uber_\xd1\xe9s").text == "Uber s"  # letters next to a lost byte: damage
    assert repair_mojibake("plain ascii").text == "plain ascii"


@pytest.mark.parametrize("text", ["I love the café à Paris", "¿Qué tal? señor", "naïve café", "Ça va, «oui»",
                                  "ok \xed done", "straße, Ærø"])
def test_text_decoded_already_keeps_its_accents(text):
    assert repair_mojibake(text) == (text, 0, 0)
    assert clean_tweet(text) == text


def test_accented_letters_beside_repaired_damage_are_still_removed():
    # one run came back as a character, so the text is the corpus's kind: the lone é is damage too
    assert repair_mojibake("caf\xe9 \xe4\xf3\xbb ok") == ("caf \u2019 ok", 1, 1)


def test_placeholders_and_clean_tweet():
    assert placeholders("@united thanks! http://t.co/AbC1 www.x.com") == "<user> thanks! <url> <url>"
    assert clean_tweet("@bob I can\x8a\x97\xc8t &amp; won't  http://t.co/x") == "<user> I can't & won't <url>"
    assert word_tokenize(clean_tweet("@bob can\x8a\x97\xc8t")) == ["<user>", "ca", "n't"]


def test_tweet_topic_rules():
    assert tweet_topic("@SouthwestAir my bag") == "airlines"
    assert tweet_topic("Brady's footballs") == "deflategate"
    assert tweet_topic("#Coachella2015 lineup") == "coachella"
    assert tweet_topic("a driverless car") == "self-driving cars"
    assert tweet_topic("new iPhone 6") == "apple"
    assert tweet_topic("lovely weather") == "other"
    assert "other" in TOPIC_NAMES


def test_near_duplicates_find_copies_the_key_misses():
    reference = ["loved the new album so much", "terrible delay at the gate", "what a game"]
    texts = ["loved the new album so much!!! 😍", "a completely different tweet"]
    found = near_duplicates(reference, texts, threshold=0.9)
    assert [(f.row, f.neighbour) for f in found] == [(0, 0)] and found[0].cosine > 0.99
    assert near_duplicates(reference, [], threshold=0.9) == []
    with pytest.raises(ValueError, match="threshold"):
        near_duplicates(reference, texts, threshold=0)


def test_topic_prior_predicts_each_topic_s_majority():
    train = Split(["a", "b", "c", "d", "e"], [1, 1, 0, 0, 0], ["x", "x", "y", "y", "x"])
    prior = topic_prior(train)
    assert prior.majority == {"x": 1, "y": 0} and prior.fallback == 0
    test = Split(["f", "g", "h"], [1, 0, 1], ["x", "y", "z"])
    assert prior.predict(test).tolist() == [1, 0, 0]  # an unseen topic gets the overall majority
    assert prior.accuracy(test) == pytest.approx(2 / 3)
    rows = per_topic(test, {"prior": prior.predict(test)})
    assert [(r.topic, r.tweets, r.accuracy["prior"]) for r in rows] == [("x", 1, 1.0), ("y", 1, 1.0), ("z", 1, 0.0)]
    with pytest.raises(ValueError, match="no topics"):
        topic_prior(Split(["a"], [1]))
    with pytest.raises(ValueError, match="expected 3 predictions"):
        per_topic(test, {"short": [1]})


def test_the_real_corpus_is_clean_and_its_topics_differ():
    corpus = load_tweets()
    prior = topic_prior(corpus.train)
    assert prior.majority["airlines"] == 0 and prior.majority["coachella"] == 1
    assert 0.77 < prior.accuracy(corpus.valid) < 0.82  # the floor chapters 10-12 quote
    assert len(near_duplicates(corpus.train.texts, corpus.test.texts)) < 20


def test_repair_refuses_text_that_is_decoded_already():
    with pytest.raises(ValueError, match=r"placeholders\(text\)"):
        repair_mojibake("already \u2026 decoded")
