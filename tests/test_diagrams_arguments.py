"""The diagrams that take arguments accept exactly what they say and refuse the rest with the
whole message: chapter 5's fused-weights picture (sizes that stay readable), chapter 12's
classifier (sizes, strategy), and the layout helpers behind chapter 9's pictures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import utils.diagrams as diagrams  # noqa: E402

FUSED = ("expected ints 1 <= input_size <= 6 and 1 <= hidden_size <= 4 for a readable picture, got "
         "input_size={}, hidden_size={}; the layout is the same at any size")
STRATEGY = ("expected strategy to be one of 'exact', 'packed', 'padded', got {} "
            "(the same names as utils.models.STRATEGIES)")


def message(kind: type[Exception], call, *args, **kwargs) -> str:
    with pytest.raises(kind) as caught:
        call(*args, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("input_size, hidden_size", [(1, 1), (6, 1), (1, 4), (6, 4)])
def test_fused_weights_draws_every_size_at_the_ends_of_its_range(input_size, hidden_size):
    fig = diagrams.draw_fused_weights(input_size=input_size, hidden_size=hidden_size)
    plt.close(fig)


@pytest.mark.parametrize("input_size, hidden_size", [(0, 2), (7, 2), (3, 0), (3, 5), (True, 2), (3, True),
                                                     (2.0, 2), (-1, -1)])
def test_fused_weights_refuses_other_sizes_naming_both(input_size, hidden_size):
    assert message(ValueError, diagrams.draw_fused_weights, input_size, hidden_size) == FUSED.format(
        input_size, hidden_size)


@pytest.mark.parametrize("strategy, shown", [("bogus", "'bogus'"), (1, "1"), (["exact"], "['exact']"),
                                             ("EXACT", "'EXACT'")])
def test_classifier_refuses_an_unknown_strategy_listing_the_known_ones(strategy, shown):
    assert message(ValueError, diagrams.draw_classifier, strategy=strategy) == STRATEGY.format(shown)


def test_classifier_asks_for_len_of_a_vocabulary_and_names_each_bad_size():
    assert message(TypeError, diagrams.draw_classifier, vocab_size=["a", "b"]) == (
        "expected vocab_size to be a number, got a list: len(vocab)")
    assert message(TypeError, diagrams.draw_classifier, vocab_size="ab") == (
        "expected vocab_size to be a number, got a str: len(vocab)")
    for name in ("vocab_size", "embed_dim", "hidden_size"):
        assert message(ValueError, diagrams.draw_classifier, **{name: 0}) == f"expected {name} to be at least 1, got 0"
        assert message(TypeError, diagrams.draw_classifier, **{name: 2.5}) == (
            f"expected {name} to be an int, got float: 2.5")
    plt.close(diagrams.draw_classifier(vocab_size=1, embed_dim=1, hidden_size=1))


@pytest.mark.parametrize("lengths", [[], [0], [3, 0], [1, 2], [2, 3, 1], [3, -1]])
def test_packed_layout_refuses_lengths_that_are_empty_not_positive_or_not_decreasing(lengths):
    assert message(ValueError, diagrams._packed_layout, lengths) == (
        f"expected positive lengths in decreasing order like [4, 3, 1], got {lengths}")


def test_packed_layout_takes_equal_lengths_and_a_single_sequence():
    assert diagrams._packed_layout([2, 2]) == ([2, 2], [(0, 0), (1, 0), (0, 1), (1, 1)])
    assert diagrams._packed_layout([1]) == ([1], [(0, 0)])


def test_reverse_within_length_takes_1_to_the_row_length_only():
    row = ["a", "b", "c"]
    assert diagrams._reverse_within_length(row, 1) == ["a", "b", "c"]
    assert diagrams._reverse_within_length(row, 3) == ["c", "b", "a"]
    for length in (0, 4, -1):
        assert message(ValueError, diagrams._reverse_within_length, row, length) == (
            f"expected 1 <= length <= 3, got {length}")
