"""utils/baseline.py at its edges: every argument check's message whole, the documented settings of
the TF-IDF and NBSVM pipelines (n-grams, min_df=2, sublinear tf, the classifier's C, solver and
iteration budget), tuning over both feature sets, the topic-prior floor's ties and the per-topic table."""

import math

import numpy as np
import pytest
from conftest import error_message
from sklearn.exceptions import NotFittedError

from utils.baseline import (
    NBFeatures,
    TopicRow,
    log_count_ratio,
    nbsvm_features,
    per_topic,
    print_per_topic,
    tfidf_baseline,
    tfidf_features,
    topic_prior,
    tune_baseline,
    tuned_baselines,
)
from utils.data import Split

# every word occurs in two texts (min_df=2 keeps it); no bigram does
TRAIN = Split(["good film", "good plot", "bad film", "bad plot"], [1, 1, 0, 0])
TEST = Split(["good film", "bad plot"], [1, 0])
EMPTY = Split([], [], [])
ONE_LABEL = Split(["good film", "good plot"], [1, 1])
NO_SHARED_WORD = Split(["alpha beta", "gamma delta", "epsilon zeta"], [1, 0, 1])

SPLIT_TYPE = "as a Split (corpus.train, corpus.valid, corpus.test), got "
NGRAMS = "expected ngram_range as a tuple (low, high) of ints, 1 <= low <= high, got "
C_RANGE = "expected C to be a finite number > 0 (inverse regularisation), got "
FACTORY = ("expected each feature set as a factory that builds a new pipeline (a function, or "
           "functools.partial(tfidf_features, 'word')), not a pipeline itself")


def word_factory():
    return tfidf_features("word")


class CallablePipeline:
    """A pipeline-like object that can also be called: still a pipeline, not a factory of one."""

    def fit(self, texts, labels=None):
        return self

    def __call__(self):
        return tfidf_features("word")


MESSAGES = [
    (lambda: tfidf_baseline(None, TEST), "expected train " + SPLIT_TYPE + "NoneType"),
    (lambda: tfidf_baseline(TRAIN, None), "expected split 2 " + SPLIT_TYPE + "NoneType"),
    (lambda: tfidf_baseline(TRAIN, ["good film"]), "expected split 2 " + SPLIT_TYPE + "list"),
    (lambda: tfidf_baseline(EMPTY, TEST), "train is empty: a baseline needs texts to fit on and to score"),
    (lambda: tfidf_baseline(TRAIN, EMPTY), "split 2 is empty: a baseline needs texts to fit on and to score"),
    (lambda: tfidf_baseline(ONE_LABEL, TEST),
     "the training split holds one label only: a classifier needs positive and negative texts"),
    (lambda: tfidf_baseline(TRAIN, TEST, C=0), C_RANGE + "0"),
    (lambda: tfidf_baseline(TRAIN, TEST, C=0.0), C_RANGE + "0.0"),
    (lambda: tfidf_baseline(TRAIN, TEST, C=True), C_RANGE + "True"),
    (lambda: tfidf_baseline(TRAIN, TEST, C=math.inf), C_RANGE + "inf"),
    (lambda: tfidf_baseline(TRAIN, TEST, C="4"), C_RANGE + "'4'"),
    (lambda: tfidf_baseline(TRAIN, TEST, analyzer="CHAR"), "expected analyzer 'word', 'char' or 'char_wb', got 'CHAR'"),
    (lambda: tfidf_baseline(TRAIN, TEST, ngram_range=(1, 2, 3)), NGRAMS + "(1, 2, 3)"),
    (lambda: tfidf_baseline(TRAIN, TEST, ngram_range=[1, 2]), NGRAMS + "[1, 2]"),
    (lambda: tfidf_baseline(TRAIN, TEST, ngram_range=(True, 2)), NGRAMS + "(True, 2)"),
    (lambda: tfidf_baseline(TRAIN, TEST, ngram_range=(1.0, 2.0)), NGRAMS + "(1.0, 2.0)"),
    (lambda: tfidf_baseline(TRAIN, TEST, ngram_range=(2, 1)), NGRAMS + "(2, 1)"),
    (lambda: tfidf_baseline(TRAIN, TEST, ngram_range=(0, 2)), NGRAMS + "(0, 2)"),
    (lambda: tfidf_baseline(NO_SHARED_WORD, TEST),
     "no n-gram occurs in two training texts (min_df=2), so there are no features: train on more texts "
     "(3 given)"),
    (lambda: log_count_ratio([[1, 0], [0, 1]], [1, 0]),
     "expected features as a 2-D array or sparse matrix (n_texts, n_features), got list: count them with "
     "CountVectorizer().fit_transform(texts)"),
    # 3 texts x 2 features: the count asked for is the number of texts (rows), not of features
    (lambda: log_count_ratio(np.ones((3, 2)), [1, 0]), "expected 3 labels in {0, 1}, got shape (2,)"),
    (lambda: tune_baseline("m", [word_factory], [1.0], TRAIN, TEST, TEST),
     "expected features as a dict {name: factory of a feature pipeline}, got list: e.g. "
     "{'word': functools.partial(tfidf_features, 'word')}"),
    (lambda: tune_baseline("m", {"w": NBFeatures}, [1.0], TRAIN, TEST, TEST),
     "expected each feature set as a factory that builds a new pipeline, got a class: pass a function, "
     "e.g. functools.partial(tfidf_features, 'word')"),
    (lambda: tune_baseline("m", {"w": tfidf_features("word")}, [1.0], TRAIN, TEST, TEST), FACTORY),
    (lambda: tune_baseline("m", {"w": "word"}, [1.0], TRAIN, TEST, TEST), FACTORY),
    (lambda: tune_baseline("m", {"w": CallablePipeline()}, [1.0], TRAIN, TEST, TEST), FACTORY),
    (lambda: tune_baseline("m", {"w": word_factory}, 1.0, TRAIN, TEST, TEST),
     "expected Cs as a list of numbers such as [0.25, 1.0, 4.0], got float"),
    (lambda: tune_baseline("m", {"w": word_factory}, [], TRAIN, TEST, TEST),
     "expected at least one feature set and one C"),
    (lambda: tune_baseline("m", {"w": word_factory}, [1.0], None, TEST, TEST),
     "expected train " + SPLIT_TYPE + "NoneType"),
    (lambda: tune_baseline("m", {"w": word_factory}, [1.0], TRAIN, None, TEST),
     "expected split 2 " + SPLIT_TYPE + "NoneType"),
    (lambda: tune_baseline("m", {"w": word_factory}, [1.0], TRAIN, TEST, None),
     "expected split 3 " + SPLIT_TYPE + "NoneType"),
    (lambda: tune_baseline("m", {"w": lambda: "word"}, [1.0], TRAIN, TEST, TEST),
     "the factory of 'w' returned str, not a feature pipeline: it must return the pipeline "
     "(e.g. return tfidf_features('word'))"),
    (lambda: tune_baseline("m", {"w": word_factory}, [1.0], NO_SHARED_WORD, TEST, TEST),
     "no n-gram occurs in two training texts (min_df=2), so there are no features: train on more texts "
     "(3 given)"),
    (lambda: topic_prior(["good film"]), "expected a Split (corpus.train, corpus.valid...), got list"),
    (lambda: topic_prior(TRAIN), "this split has no topics: only the tweets (utils.data.load_tweets) carry them"),
    (lambda: topic_prior(EMPTY), "topic_prior needs a training split with tweets; this one is empty"),
    (lambda: topic_prior(Split(["a"], [1], ["t"])).accuracy(EMPTY),
     "an accuracy needs at least one tweet; this split is empty"),
    (lambda: per_topic(Split(["a"], [1], ["t"]), [1]),
     "expected predictions as a dict {model name: 0/1 predictions}, got list: e.g. {'BiLSTM': predictions}"),
    (lambda: per_topic(Split(["a"], [1], ["t"]), {("BiLSTM", 1): [1]}),
     "expected model names (str) as the keys of predictions, got ('BiLSTM', 1): e.g. "
     "{'BiLSTM seed 1': predictions}"),
]


@pytest.mark.parametrize(("call", "message"), MESSAGES)
def test_messages_whole(call, message):
    assert error_message(call) == message


def test_an_unfitted_nb_transformer_says_to_fit_it():
    with pytest.raises(NotFittedError) as caught:
        NBFeatures().transform(np.ones((1, 2)))
    assert str(caught.value) == "this NBFeatures is not fitted yet: call fit(features, labels) first"


def test_nb_features_default_to_add_one_smoothing_and_pass_alpha_on():
    assert NBFeatures().get_params() == {"alpha": 1.0}
    counts = np.array([[3, 0], [1, 2], [0, 5]])
    binary = np.array([[1, 0], [1, 1], [0, 1]])
    fitted = NBFeatures(alpha=0.5).fit(counts, [1, 1, 0])
    np.testing.assert_allclose(fitted.ratio_, log_count_ratio(binary, [1, 1, 0], alpha=0.5), rtol=1e-12)
    out = fitted.transform(counts)
    assert out.dtype == np.float64 and out.format == "csr"
    np.testing.assert_allclose(out.toarray(), binary * fitted.ratio_, rtol=1e-12)


def test_word_tfidf_is_the_default_with_min_df_2_and_sublinear_tf():
    texts = ["good good good film", "good plot", "bad film", "bad plot"]
    vectorizer = tfidf_features().fit(texts)[0]
    # every bigram occurs in one text only, so min_df=2 drops them all
    assert sorted(vectorizer.vocabulary_) == ["bad", "film", "good", "plot"]
    row = tfidf_features("word").fit(texts).transform(["good good good film"]).toarray()[0]
    # "good" and "film" both occur in 2 of 4 texts: the same idf, so the L2-normalised row is (tf_good, tf_film)
    # scaled to length 1, with the sublinear tf = 1 + ln(count): (1 + ln 3, 1)
    norm = math.hypot(1 + math.log(3), 1)
    good, film = vectorizer.vocabulary_["good"], vectorizer.vocabulary_["film"]
    assert row[good] == pytest.approx((1 + math.log(3)) / norm, rel=1e-12)
    assert row[film] == pytest.approx(1 / norm, rel=1e-12)


def test_char_tfidf_takes_2_to_5_grams_within_words():
    # char_wb pads each word with spaces: "ab" -> " ab ", whose 2-, 3- and 4-grams are kept (it has no
    # 5-gram); "cd" occurs once, so min_df=2 drops its n-grams
    vectorizer = tfidf_features("char").fit(["ab", "ab", "cd"])[0]
    assert sorted(vectorizer.vocabulary_) == [" a", " ab", " ab ", "ab", "ab ", "b "]
    assert (vectorizer.analyzer, vectorizer.ngram_range, vectorizer.min_df) == ("char_wb", (2, 5), 2)


def test_tfidf_baseline_defaults_and_settings():
    pipeline, accuracy = tfidf_baseline(TRAIN, Split(["good film"], [1]))  # a one-text test split is enough
    assert accuracy == 1.0
    vectorizer, classifier = pipeline[0], pipeline[-1]
    assert sorted(vectorizer.vocabulary_) == ["bad", "film", "good", "plot"]
    assert (vectorizer.analyzer, vectorizer.ngram_range, vectorizer.min_df, vectorizer.sublinear_tf) == (
        "word", (1, 2), 2, True)
    assert (classifier.C, classifier.max_iter) == (4.0, 2000)
    pipeline, _ = tfidf_baseline(TRAIN, TEST, analyzer="char_wb", ngram_range=(2, 4), C=2)
    vectorizer, classifier = pipeline[0], pipeline[-1]
    assert (vectorizer.analyzer, vectorizer.ngram_range, vectorizer.min_df, vectorizer.sublinear_tf) == (
        "char_wb", (2, 4), 2, True)
    assert type(classifier.C) is float and classifier.C == 2.0
    pipeline, accuracy = tfidf_baseline(TRAIN, TEST, analyzer="char", ngram_range=(2, 3))
    assert (pipeline[0].analyzer, pipeline[0].ngram_range, accuracy) == ("char", (2, 3), 1.0)


def test_nbsvm_features_are_binary_word_1_2_grams_with_punctuation():
    pipeline = nbsvm_features()
    assert len(pipeline.steps) == 2 and isinstance(pipeline[-1], NBFeatures) and pipeline[-1].alpha == 1.0
    assert nbsvm_features(alpha=0.5)[-1].alpha == 0.5
    texts, labels = ["a good film!", "not a good film"], [1, 0]
    out = pipeline.fit_transform(texts, labels)
    counter = pipeline[0]
    # one-letter words and "!" are tokens (the default token pattern drops both); no trigram
    assert sorted(counter.vocabulary_) == [
        "!", "a", "a good", "film", "film !", "good", "good film", "not", "not a"]
    assert counter.transform(["good good good"]).max() == 1  # presence, not counts
    np.testing.assert_allclose(out.toarray(), (counter.transform(texts).toarray() > 0) * pipeline[-1].ratio_)


def test_tuning_keeps_the_name_the_step_names_and_the_classifier_settings():
    # both Cs score 1.0 on TEST: the tie keeps the first; a NumPy array of Cs comes back as Python floats
    result = tune_baseline("my tfidf", {"word": word_factory}, np.array([0.5, 10.0]), TRAIN, TEST, TEST)
    assert result.name == "my tfidf"
    assert [score for _, score in result.valid_scores] == [1.0, 1.0]
    assert result.params == {"features": "word", "C": 0.5} and type(result.params["C"]) is float
    assert list(result.pipeline.named_steps) == ["features", "classifier"]
    classifier = result.pipeline.named_steps["classifier"]
    assert (classifier.C, classifier.max_iter, classifier.solver) == (0.5, 2000, "liblinear")


def test_tuned_baselines_tries_both_tfidf_feature_sets_and_names_them():
    # the validation words never occur whole in training, so word features see nothing (score < 1) while
    # their character n-grams ("lov", "hat") carry the label: tuning must pick the character features
    train = Split(["lovely day", "lovely film", "loving it", "loving day",
                   "hateful day", "hateful film", "hating it", "hating day"], [1, 1, 1, 1, 0, 0, 0, 0])
    valid = Split(["lovelier", "lovingly", "hatefully", "hatingly"], [1, 1, 0, 0])
    results = tuned_baselines(train, valid, valid)
    tfidf, nbsvm = results["tfidf"], results["nbsvm"]
    assert (tfidf.name, nbsvm.name) == ("TF-IDF + logistic regression", "NBSVM")
    assert [params["features"] for params, _ in tfidf.valid_scores] == ["word"] * 3 + ["char"] * 3
    assert [params["C"] for params, _ in tfidf.valid_scores] == [1.0, 4.0, 16.0] * 2
    assert all(score < 1.0 for _, score in tfidf.valid_scores[:3])
    assert tfidf.params == {"features": "char", "C": 1.0} and tfidf.test_accuracy == 1.0
    assert tfidf.pipeline.named_steps["features"][0].analyzer == "char_wb"
    assert [params for params, _ in nbsvm.valid_scores] == [{"features": "word", "C": C} for C in (0.1, 0.3, 1.0)]


def test_topic_prior_on_one_tweet_and_its_ties():
    single = topic_prior(Split(["x"], [1], ["t"]))
    assert single.majority == {"t": 1} and single.fallback == 1
    assert single.accuracy(Split(["y"], [1], ["t"])) == 1.0
    # overall 3 of 4 positive: the tied topic takes the overall majority, 1
    mostly_positive = topic_prior(Split(["a"] * 4, [1, 0, 1, 1], ["tie", "tie", "pos", "pos"]))
    assert mostly_positive.majority == {"pos": 1, "tie": 1} and mostly_positive.fallback == 1
    # a balanced training split has no strict majority: the fallback is the negative label
    balanced = topic_prior(Split(["a"] * 4, [1, 0, 0, 1], ["tie", "tie", "x", "y"]))
    assert balanced.majority == {"tie": 0, "x": 0, "y": 1} and balanced.fallback == 0
    assert balanced.predict(Split(["a"], [1], ["unseen"])).tolist() == [0]


# topics b (3 tweets, 2 positive), a (1, negative), c (1, positive)
TOPIC_SPLIT = Split(["t"] * 5, [1, 1, 0, 0, 1], ["b", "b", "b", "a", "c"])
TOPIC_PREDICTIONS = {"LSTM": [1, 0, 0, 0, 0], "BiLSTM": [1, 1, 0, 1, 1]}
TOPIC_ROWS = [
    TopicRow("b", 3, 2 / 3, {"LSTM": 2 / 3, "BiLSTM": 1.0}),  # largest topic first
    TopicRow("a", 1, 0.0, {"LSTM": 1.0, "BiLSTM": 0.0}),  # then by name
    TopicRow("c", 1, 1.0, {"LSTM": 0.0, "BiLSTM": 1.0}),
]


def test_per_topic_rows_largest_first_with_positive_shares():
    assert per_topic(TOPIC_SPLIT, TOPIC_PREDICTIONS) == TOPIC_ROWS


def test_print_per_topic_prints_the_table_and_returns_its_rows(capsys):
    assert print_per_topic(TOPIC_SPLIT, TOPIC_PREDICTIONS) == TOPIC_ROWS
    # columns: topic left in 18, tweets right in 6, positive share right in 8 (a whole percent),
    # then one column of 12 per model (3 decimals), each after one space
    assert capsys.readouterr().out.splitlines() == [
        "topic              tweets positive         LSTM       BiLSTM",
        "b                       3      67%        0.667        1.000",
        "a                       1       0%        1.000        0.000",
        "c                       1     100%        0.000        1.000",
    ]
