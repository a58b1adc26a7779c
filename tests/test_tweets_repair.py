"""The tweets' repair at its edges: the characters the repair accepts and their boundaries, the
bytes Windows-1252 leaves undefined, the bound on the search, the counts, the "_" beside a run,
and near_duplicates' arguments. The middle cases are in tests/test_tweets.py."""

import pytest

from utils import tweets
from utils.tweets import clean_tweet, near_duplicates, placeholders, repair_mojibake, tweet_topic

UNDEFINED_1252 = b"\x81\x8d\x8f\x90\x9d"


@pytest.fixture(autouse=True)
def _fresh_repairs():
    """``_repair_piece`` caches its answers; a cache filled elsewhere would hide a change."""
    tweets._repair_piece.cache_clear()
    yield
    tweets._repair_piece.cache_clear()


def damage(text: str, rounds: int) -> str:
    """The corpus's damage, ``rounds`` times: each byte read as Windows-1252 and written as Mac
    Roman, except the five bytes Windows-1252 leaves undefined, which pass through unchanged;
    returned as the CSV reads with latin-1. Mac Roman has no "ð", so an emoji's first byte (F0)
    is lost, as in the corpus."""
    data = text.encode("utf-8").replace(b"\xf0", b"")
    for _ in range(rounds):
        data = b"".join(bytes([b]) if b in UNDEFINED_1252 else bytes([b]).decode("cp1252").encode("mac_roman")
                        for b in data)
    return data.decode("latin-1")


# The edges of the characters a repair may give back (Latin-1 signs and letters, punctuation to
# symbols, emoji, and the eight characters between), each damaged one to three times.
INSIDE = ["\u00a0", "\u00a1", "\u00ff", "\u2010", "\u2bff", "\U0001f000", "\U0001faff",
          "\u0152", "\u0153", "\u0178", "\u0192", "\u02c6", "\u02dc", "\ufe0f", "\u200d"]


@pytest.mark.parametrize("rounds", [1, 2])
@pytest.mark.parametrize("char", INSIDE, ids=[f"U+{ord(c[0]):04X}" for c in INSIDE])
def test_characters_at_the_edges_of_the_accepted_ranges_come_back(char, rounds):
    damaged = damage(f"a {char} b", rounds)
    assert damaged != f"a {char} b"
    assert repair_mojibake(damaged) == (f"a {char} b", 1, 0)


# Just outside: the control character before U+00A0, the letters after Latin-1, the first
# Glagolitic letter (after U+2BFF), the block after the emoji. A repair never gives them back:
# the run is removed, or, where its damaged form reads as Latin-1 letters, left as it is.
OUTSIDE = ["\u009f", "\u0100", "\u0151", "\u2c00", "\U0001fb00"]


@pytest.mark.parametrize("rounds", [1, 2])
@pytest.mark.parametrize("char", OUTSIDE, ids=[f"U+{ord(c):04X}" for c in OUTSIDE])
def test_characters_just_outside_the_accepted_ranges_never_come_back(char, rounds):
    repair = repair_mojibake(damage(f"a {char} b", rounds))
    assert char not in repair.text and repair.repaired == 0


@pytest.mark.parametrize("rounds", [1, 2])
@pytest.mark.parametrize("text", ["\U0001f44d", "\U0001f60d", "\u00c1gua", "\u00cdndia", "\u00ddes",
                                  "\u00c1\u00cd\u00cf\u00d0"])
def test_bytes_windows_1252_leaves_undefined_are_undone(text, rounds):
    assert any(b in UNDEFINED_1252 for b in text.encode("utf-8"))
    assert repair_mojibake(damage(f"so {text} now", rounds)) == (f"so {text} now", 1, 0)


def test_the_search_tries_every_reading_of_up_to_four_undefined_bytes_then_only_the_first():
    four, five = "\u00cd\u00cf\u00d0\u00dd", "\u00cd\u00cf\u00d0\u00dd\u00c1"  # C3 8D, C3 8F, ...: each a byte
    # Windows-1252 leaves undefined, which Mac Roman reads as a letter with two possible pasts
    assert repair_mojibake(damage(f"great {four} job", 1)) == (f"great {four} job", 1, 0)
    # five ambiguous bytes would be 32 readings per round: the first reading alone is tried, and
    # it is not UTF-8, so the run is removed (bounded time on the corpus's longest runs)
    assert repair_mojibake(damage(f"great {five} job", 1)) == ("great job", 0, 1)


def test_an_ellipsis_needs_its_underscore_and_counts_are_counted():
    # "E2 80" then "_" is an ellipsis whose last byte was lost; without the "_" it could be any of
    # the quote marks E2 80 98-9D, so it is removed
    assert repair_mojibake("the end\xe4\xf3_") == ("the end\u2026", 1, 0)
    assert repair_mojibake("the end\xe4\xf3 more \xe4\xf3\xbb ok") == ("the end more \u2019 ok", 1, 1)
    two_and_two = repair_mojibake("a \x8a b \xe4\xf3\xbb c \x8a d \xe4\xf3\xbb e")
    assert two_and_two == ("a b \u2019 c d \u2019 e", 2, 2)


def test_spacing_is_collapsed_only_where_a_run_was_removed():
    assert repair_mojibake("two  spaces \xe4\xf3\xbb kept") == ("two  spaces \u2019 kept", 1, 0)
    assert repair_mojibake("two  spaces kept") == ("two  spaces kept", 0, 0)


@pytest.mark.parametrize("text, kept", [
    ("ca_f\u00e9 ok", True),    # "_" two characters before: not beside the run
    ("\u00e91_ ok", True),      # "_" two characters after
    ("_\u00e9 ok", False),      # "_" just before a run at position 1
    ("\u00e9_ ok", False),      # "_" just after
    ("x\u00e9_", False),
])
def test_only_an_underscore_right_beside_a_run_marks_damage(text, kept):
    repair = repair_mojibake(text)
    assert (repair == (text, 0, 0)) is kept, repair


def test_a_run_of_every_latin_1_letter_is_text_decoded_already():
    letters = "".join(sorted(tweets._LATIN_1_LETTERS))
    assert repair_mojibake(f"a {letters} b") == (f"a {letters} b", 0, 0)


def test_a_decoded_text_is_refused_with_the_way_to_clean_it():
    with pytest.raises(ValueError) as error:
        repair_mojibake("I \u2764 it")
    assert str(error.value) == (
        "repair_mojibake expects a tweet as the CSV reads with encoding='latin-1'; this text has "
        "'\u2764', so it is decoded already: to clean a new tweet, use placeholders(text) (links and "
        "users); load_tweets() gives the corpus's clean text")


@pytest.mark.parametrize("function", [repair_mojibake, placeholders, tweet_topic, clean_tweet])
def test_a_missing_tweet_is_named_as_the_tweet(function):
    with pytest.raises(TypeError) as error:
        function(None)
    assert str(error.value) == ("expected the tweet to be a str, got NoneType None: a missing value: drop "
                                "the row or fill it with '' before calling")


def test_left_quote_marks_become_straight_apostrophes():
    assert clean_tweet(damage("\u2018quoted\u2019 and \u2018again\u2019", 1)) == "'quoted' and 'again'"


# --- near_duplicates ---------------------------------------------------------------------------

REFERENCE = ["loved the new album so much", "terrible delay at the gate", "what a game"]


@pytest.mark.parametrize("threshold", [0, -0.5, 1.0000001, 2, True, "0.9", None, float("nan")])
def test_a_threshold_outside_zero_one_is_refused(threshold):
    with pytest.raises(ValueError) as error:
        near_duplicates(REFERENCE, ["what a game"], threshold=threshold)
    assert str(error.value) == f"expected threshold as a number in (0, 1], got {threshold!r}"


def test_a_threshold_of_one_finds_exact_copies():
    found = near_duplicates(REFERENCE, ["what a game", "what a terrible game"], threshold=1)
    assert [(f.row, f.neighbour) for f in found] == [(0, 2)] and found[0].cosine == pytest.approx(1)


@pytest.mark.parametrize("name", ["reference", "texts"])
@pytest.mark.parametrize("column", ["what a game", 5, {"what a game"}])
def test_a_column_that_is_not_a_list_of_texts_is_named(name, column):
    arguments = {"reference": REFERENCE, "texts": ["what a game"], name: column}
    with pytest.raises(TypeError) as error:
        near_duplicates(arguments["reference"], arguments["texts"])
    assert str(error.value) == (f"expected {name} as a list of texts, got {type(column).__name__}: wrap "
                                "it in list(...)")


@pytest.mark.parametrize("name", ["reference", "texts"])
def test_a_missing_text_in_a_column_is_named(name):
    arguments = {"reference": REFERENCE, "texts": ["what a game"]}
    arguments[name] = [*arguments[name], None]
    with pytest.raises(TypeError) as error:
        near_duplicates(arguments["reference"], arguments["texts"])
    assert str(error.value).startswith(f"expected each of {name} to be a str, got NoneType None")


def test_an_empty_reference_finds_nothing_and_a_reference_without_words_is_named():
    assert near_duplicates([], ["what a game"]) == []
    assert near_duplicates(REFERENCE, []) == []
    with pytest.raises(ValueError) as error:
        near_duplicates(["!!!", "..."], ["what a game"])
    assert str(error.value).startswith("the reference texts hold no words (only punctuation or symbols?): ")
    assert str(error.value).endswith("; near_duplicates compares words")


@pytest.mark.parametrize("rows", [(3, 601), (511, 512), (0, 1024)])
def test_rows_are_numbered_across_blocks_of_512_each_once(rows):
    texts = [f"unrelated tweet number {i} about nothing" for i in range(1100)]
    texts[rows[0]], texts[rows[1]] = "terrible delay at the gate!", "what a game"
    found = near_duplicates(REFERENCE, texts, threshold=0.9)
    assert [(f.row, f.neighbour) for f in found] == [(rows[0], 1), (rows[1], 2)]
