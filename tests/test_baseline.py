"""The tuned baselines of chapters 11 and 12: NBSVM's log-count ratio against a hand computation,
and tuning that reads the validation split, never the test split."""

import math

import numpy as np
import pytest

from utils.baseline import (
    NBFeatures,
    log_count_ratio,
    nbsvm_features,
    tfidf_features,
    tune_baseline,
    tuned_baselines,
)
from utils.data import Split


def test_log_count_ratio_matches_a_hand_computation():
    # features: 3 texts x 2 features; texts 0 and 1 positive, text 2 negative
    features = np.array([[1, 0], [1, 1], [0, 1]])
    ratio = log_count_ratio(features, [1, 1, 0], alpha=1.0)
    # p = 1 + (2, 1) = (3, 2), |p| = 5;  q = 1 + (0, 1) = (1, 2), |q| = 3
    expected = [math.log((3 / 5) / (1 / 3)), math.log((2 / 5) / (2 / 3))]
    np.testing.assert_allclose(ratio, expected, rtol=1e-12)
    assert ratio[0] == pytest.approx(0.5878, abs=1e-4) and ratio[1] == pytest.approx(-0.5108, abs=1e-4)


def test_log_count_ratio_smoothing_and_bad_input():
    features = np.array([[2, 0], [0, 0]])
    # alpha = 0.5: p = (2.5, 0.5), q = (0.5, 0.5)
    np.testing.assert_allclose(
        log_count_ratio(features, [1, 0], alpha=0.5), [math.log((2.5 / 3) / 0.5), math.log((0.5 / 3) / 0.5)]
    )
    with pytest.raises(ValueError, match="labels"):
        log_count_ratio(features, [1, 0, 1])
    with pytest.raises(ValueError, match="alpha"):
        log_count_ratio(features, [1, 0], alpha=0)


def test_nb_features_binarise_then_scale_by_the_training_ratio():
    from scipy import sparse  # scikit-learn's dependency, only needed here

    counts = sparse.csr_matrix(np.array([[3, 0], [1, 2], [0, 5]]))
    transformer = NBFeatures(alpha=1.0).fit(counts, [1, 1, 0])
    ratio = log_count_ratio(np.array([[1, 0], [1, 1], [0, 1]]), [1, 1, 0])  # binarised by hand
    np.testing.assert_allclose(transformer.ratio_, ratio)
    np.testing.assert_allclose(
        transformer.transform(counts).toarray(), [[ratio[0], 0], [ratio[0], ratio[1]], [0, ratio[1]]]
    )


POSITIVE = ["great fun film", "wonderful great acting", "loved it great", "fun and wonderful", "great great"]
NEGATIVE = [
    "awful boring film",
    "terrible acting awful",
    "hated it boring",
    "boring and terrible",
    "awful awful",
]
TRAIN = Split(POSITIVE * 2 + NEGATIVE * 6, [1] * 10 + [0] * 30)  # 1 positive in 4
VALID = Split(["great wonderful", "fun great", "awful terrible", "boring awful"], [1, 1, 0, 0])
FLIPPED_TEST = Split(VALID.texts, [1 - y for y in VALID.labels])  # every test label is wrong


def test_tuning_chooses_by_validation_and_reads_test_once():
    # C = 1e-6 learns only the majority class (validation 0.5, flipped test 0.5); C = 10 learns
    # the words (validation 1.0, flipped test 0.0). Choosing by validation keeps C = 10; by test, C = 1e-6.
    result = tune_baseline(
        "tfidf", {"word": lambda: tfidf_features("word")}, [1e-6, 10.0], TRAIN, VALID, FLIPPED_TEST
    )
    assert result.params == {"features": "word", "C": 10.0}
    assert [score for _, score in result.valid_scores] == [0.5, 1.0]
    assert result.valid_accuracy == 1.0 and result.test_accuracy == 0.0
    np.testing.assert_array_equal(result.test_predictions, VALID.labels)


def test_tuning_ties_keep_the_first_setting_and_empty_grids_are_refused():
    result = tune_baseline(
        "tfidf", {"word": lambda: tfidf_features("word")}, [10.0, 20.0], TRAIN, VALID, VALID
    )
    assert result.params["C"] == 10.0 and result.test_accuracy == 1.0
    with pytest.raises(ValueError, match="at least one"):
        tune_baseline("tfidf", {}, [1.0], TRAIN, VALID, VALID)
    with pytest.raises(ValueError, match="one of"):
        tfidf_features("bytes")


def test_both_tuned_baselines_learn_the_toy_words():
    results = tuned_baselines(TRAIN, VALID, VALID)
    assert set(results) == {"tfidf", "nbsvm"}
    for result in results.values():
        assert result.test_accuracy == 1.0 and len(result.valid_scores) >= 3
    assert results["nbsvm"].pipeline.predict(["great fun", "boring awful"]).tolist() == [1, 0]
    assert nbsvm_features().fit_transform(TRAIN.texts, TRAIN.labels).shape[0] == len(TRAIN)
