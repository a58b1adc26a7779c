"""Non-neural baselines (chapters 11 and 12), tuned on the validation split, scored once on test.

- TF-IDF + logistic regression, word 1-2-grams or character 2-5-grams (:func:`tfidf_features`);
- NBSVM (Wang and Manning, 2012): binary word 1-2-gram features scaled by their naive-Bayes
  log-count ratio, then a linear classifier (:func:`nbsvm_features`);
- :func:`tune_baseline` picks a baseline's settings by *validation* accuracy; the test split is
  read once, for the chosen setting.
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from utils.data import Split, zero_one

TFIDF_FEATURES = ("word", "char")
TFIDF_CS = (1.0, 4.0, 16.0)
NBSVM_CS = (0.1, 0.3, 1.0)
_FEATURES = {"word": ("word", (1, 2)), "char": ("char_wb", (2, 5))}


def _check_splits(train: object, *others: object) -> None:
    """Splits to fit on (both labels present) and to score on (not empty), or an error naming the fix."""
    for name, split in (("train", train), *((f"split {i + 2}", s) for i, s in enumerate(others))):
        if not isinstance(split, Split):
            raise TypeError(f"expected {name} as a Split (corpus.train, corpus.valid, corpus.test), got "
                            f"{type(split).__name__}")
        if len(split) == 0:
            raise ValueError(f"{name} is empty: a baseline needs texts to fit on and to score")
    if len(set(train.labels)) < 2:  # type: ignore[attr-defined]
        raise ValueError("the training split holds one label only: a classifier needs positive and "
                         "negative texts")


def _check_features(features: Any) -> None:
    if len(getattr(features, "shape", ())) != 2:
        raise TypeError(f"expected features as a 2-D array or sparse matrix (n_texts, n_features), got "
                        f"{type(features).__name__}: count them with CountVectorizer().fit_transform(texts)")


def _check_C(C: object) -> None:
    if isinstance(C, bool) or not isinstance(C, numbers.Real) or not 0 < float(C) < math.inf:
        raise ValueError(f"expected C to be a finite number > 0 (inverse regularisation), got {C!r}")


def tfidf_features(features: str = "word") -> Pipeline:
    """TF-IDF of word 1-2-grams (``features="word"``) or of character 2-5-grams within words
    (``"char"``): texts -> sparse (n_texts, n_features)."""
    if not isinstance(features, str) or features not in _FEATURES:
        raise ValueError(f"expected features to be one of {sorted(_FEATURES)}, got {features!r}")
    analyzer, ngram_range = _FEATURES[features]
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, min_df=2, sublinear_tf=True)
    return make_pipeline(vectorizer)


def tfidf_baseline(
    train: Split,
    test: Split,
    *,
    analyzer: str = "word",
    ngram_range: tuple[int, int] = (1, 2),
    C: float = 4.0,
) -> tuple[Pipeline, float]:
    """Fit TF-IDF features and logistic regression on ``train``; return the pipeline and the
    accuracy on ``test``. ``analyzer="char_wb"`` with ``ngram_range=(2, 5)`` gives character n-grams."""
    _check_splits(train, test)
    _check_C(C)
    if analyzer not in ("word", "char", "char_wb"):
        raise ValueError(f"expected analyzer 'word', 'char' or 'char_wb', got {analyzer!r}")
    if (not isinstance(ngram_range, tuple) or len(ngram_range) != 2
            or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in ngram_range)
            or not 1 <= ngram_range[0] <= ngram_range[1]):
        raise ValueError("expected ngram_range as a tuple (low, high) of ints, 1 <= low <= high, "
                         f"got {ngram_range!r}")
    pipeline = make_pipeline(
        TfidfVectorizer(analyzer=analyzer, ngram_range=(int(ngram_range[0]), int(ngram_range[1])), min_df=2,
                        sublinear_tf=True),
        LogisticRegression(C=float(C), max_iter=2000),
    )
    with _features_found(len(train)):
        pipeline.fit(train.texts, train.labels)
    return pipeline, float(pipeline.score(test.texts, test.labels))


@contextlib.contextmanager
def _features_found(texts: int) -> Iterator[None]:
    """scikit-learn's errors for a vectorizer that kept no n-gram, in the course's words."""
    try:
        yield
    except ValueError as error:
        if "empty vocabulary" not in str(error) and "no terms remain" not in str(error):
            raise
        raise ValueError(f"no n-gram occurs in two training texts (min_df=2), so there are no features: "
                         f"train on more texts ({texts} given)") from None


def log_count_ratio(features: Any, labels: Sequence[int], *, alpha: float = 1.0) -> np.ndarray:
    """Wang and Manning's naive-Bayes log-count ratio of each feature.

    features: (n_texts, n_features), a NumPy array or SciPy sparse matrix of counts or 0/1
    indicators; labels: (n_texts,) in {0, 1}.
    With p = alpha + (sum of the positive texts' rows), q = alpha + (sum of the negative texts' rows):

        r = log( (p / ||p||_1) / (q / ||q||_1) )          returns r: (n_features,)
    """
    _check_features(features)
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != features.shape[0] or not np.isin(y, (0, 1)).all():
        raise ValueError(f"expected {features.shape[0]} labels in {{0, 1}}, got shape {y.shape}")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < math.inf:
        raise ValueError(f"expected a finite smoothing alpha > 0, got {alpha!r}")
    # p = alpha + sum_{i: y_i = 1} f_i ;  q = alpha + sum_{i: y_i = 0} f_i
    p = alpha + np.asarray(features[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(features[y == 0].sum(axis=0)).ravel()
    # r = log((p / |p|_1) / (q / |q|_1))
    return np.log((p / p.sum()) / (q / q.sum()))


class NBFeatures(BaseEstimator, TransformerMixin):
    """Binarised counts scaled by the log-count ratio learnt on the training texts: x = r * 1{f > 0}."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, features: Any, labels: Sequence[int]) -> NBFeatures:
        _check_features(features)
        self.ratio_ = log_count_ratio((features > 0).astype(np.float64), labels, alpha=self.alpha)
        return self

    def transform(self, features: Any) -> Any:
        """features: (n_texts, n_features) sparse counts -> sparse (n_texts, n_features)."""
        if not hasattr(self, "ratio_"):
            raise NotFittedError("this NBFeatures is not fitted yet: call fit(features, labels) first")
        _check_features(features)
        if features.ndim != 2 or features.shape[1] != self.ratio_.shape[0]:
            raise ValueError(f"expected features with {self.ratio_.shape[0]} columns (as in fit), got "
                             f"shape {features.shape}: use the same vectorizer as for fit")
        binary = sparse.csr_matrix(features > 0, dtype=np.float64)  # dense arrays too, as fit takes
        return binary.multiply(self.ratio_).tocsr()  # r * 1{f > 0}


def nbsvm_features(*, alpha: float = 1.0) -> Pipeline:
    """NBSVM's features: binary word 1-2-grams (punctuation kept as tokens) times the log-count
    ratio learnt on the training texts. Texts -> sparse (n_texts, n_features)."""
    return make_pipeline(
        CountVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b|[^\w\s]", binary=True),
        NBFeatures(alpha=alpha),
    )


class TunedBaseline(NamedTuple):
    """A baseline tuned on validation: the chosen ``params``, every setting's validation accuracy,
    the test accuracy of the chosen one (the test split is read once), its fitted pipeline and
    its test predictions."""

    name: str
    params: dict[str, Any]
    valid_scores: list[tuple[dict[str, Any], float]]
    valid_accuracy: float
    test_accuracy: float
    test_predictions: np.ndarray  # (n_test,) 0/1
    pipeline: Pipeline


def tune_baseline(
    name: str,
    features: Mapping[str, Callable[[], Pipeline]],
    Cs: Sequence[float],
    train: Split,
    valid: Split,
    test: Split,
) -> TunedBaseline:
    """Logistic regression on each of ``features`` (name -> a factory of an unfitted feature
    pipeline) for each C in ``Cs``, fitted on ``train``. The setting with the best *validation*
    accuracy is kept (the first on a tie); only that one is scored on ``test``."""
    if not isinstance(features, Mapping):
        raise TypeError(f"expected features as a dict {{name: factory of a feature pipeline}}, got "
                        f"{type(features).__name__}: e.g. "
                        f"{{'word': functools.partial(tfidf_features, 'word')}}")
    if any(isinstance(make, type) for make in features.values()):
        raise TypeError("expected each feature set as a factory that builds a new pipeline, got a class: "
                        "pass a function, e.g. functools.partial(tfidf_features, 'word')")
    if not all(callable(make) and not hasattr(make, "fit") for make in features.values()):
        raise TypeError("expected each feature set as a factory that builds a new pipeline (a function, or "
                        "functools.partial(tfidf_features, 'word')), not a pipeline itself")
    if isinstance(Cs, np.ndarray):
        Cs = Cs.tolist()
    if not isinstance(Cs, list | tuple):
        raise TypeError(f"expected Cs as a list of numbers such as [0.25, 1.0, 4.0], got {type(Cs).__name__}")
    if not features or not Cs:
        raise ValueError("expected at least one feature set and one C")
    for C in Cs:
        _check_C(C)
    _check_splits(train, valid, test)
    scores: list[tuple[dict[str, Any], float]] = []
    best: tuple[dict[str, Any], float, Pipeline] | None = None
    for key, make_features in features.items():
        extractor = make_features()
        if not hasattr(extractor, "fit_transform"):
            raise TypeError(f"the factory of {key!r} returned {type(extractor).__name__}, not a feature "
                            "pipeline: it must return the pipeline (e.g. return tfidf_features('word'))")
        with _features_found(len(train)):
            x_train = extractor.fit_transform(train.texts, train.labels)  # fitted on train only
        x_valid = extractor.transform(valid.texts)
        for C in Cs:
            classifier = LogisticRegression(C=C, max_iter=2000, solver="liblinear").fit(x_train, train.labels)
            score = float(classifier.score(x_valid, valid.labels))
            scores.append(({"features": key, "C": C}, score))
            if best is None or score > best[1]:
                best = (scores[-1][0], score, Pipeline([("features", extractor), ("classifier", classifier)]))
    assert best is not None
    params, valid_accuracy, pipeline = best
    predictions = np.asarray(pipeline.predict(test.texts))
    test_accuracy = float(np.mean(predictions == np.asarray(test.labels)))
    return TunedBaseline(name, params, scores, valid_accuracy, test_accuracy, predictions, pipeline)


def tuned_baselines(train: Split, valid: Split, test: Split) -> dict[str, TunedBaseline]:
    """The two baselines of chapters 11 and 12, each tuned on ``valid``: TF-IDF + logistic
    regression over word or character n-grams and :data:`TFIDF_CS`, and NBSVM over :data:`NBSVM_CS`."""
    tfidf = {key: functools.partial(tfidf_features, key) for key in TFIDF_FEATURES}
    return {
        "tfidf": tune_baseline("TF-IDF + logistic regression", tfidf, TFIDF_CS, train, valid, test),
        "nbsvm": tune_baseline("NBSVM", {"word": nbsvm_features}, NBSVM_CS, train, valid, test),
    }


def _topics_of(split: Split) -> list[str]:
    if not isinstance(split, Split):
        raise TypeError(f"expected a Split (corpus.train, corpus.valid...), got {type(split).__name__}")
    if split.topics is None:
        raise ValueError("this split has no topics: only the tweets (utils.data.load_tweets) carry them")
    return split.topics


class TopicPrior(NamedTuple):
    """The topic-prior floor: each topic's majority label in the training split
    (:func:`topic_prior`). It knows what a tweet is about and nothing about its sentiment."""

    majority: dict[str, int]  # topic -> 0/1
    fallback: int  # the overall majority, for a topic the training split lacks

    def predict(self, split: Split) -> np.ndarray:
        return np.array([self.majority.get(topic, self.fallback) for topic in _topics_of(split)])

    def accuracy(self, split: Split) -> float:
        if len(_topics_of(split)) == 0:
            raise ValueError("an accuracy needs at least one tweet; this split is empty")
        return float(np.mean(self.predict(split) == np.asarray(split.labels)))


def topic_prior(train: Split) -> TopicPrior:
    """Fit the topic-prior floor on ``train``: the majority label of each topic (a tie goes to
    the overall majority)."""
    topics = np.asarray(_topics_of(train))
    if len(topics) == 0:
        raise ValueError("topic_prior needs a training split with tweets; this one is empty")
    labels = np.asarray(train.labels)
    fallback = int(labels.mean() > 0.5)
    majority = {}
    for topic in sorted(set(topics.tolist())):
        share = labels[topics == topic].mean()
        majority[topic] = fallback if share == 0.5 else int(share > 0.5)
    return TopicPrior(majority, fallback)


class TopicRow(NamedTuple):
    topic: str
    tweets: int
    positive: float  # share of positive labels
    accuracy: dict[str, float]  # model name -> accuracy on this topic's tweets


def per_topic(split: Split, predictions: Mapping[str, Sequence[int]]) -> list[TopicRow]:
    """Accuracy of each model's ``predictions`` on each topic of ``split``, largest topic first."""
    labels = zero_one(split.labels)
    topics = np.asarray(_topics_of(split))
    if not isinstance(predictions, Mapping):
        raise TypeError(f"expected predictions as a dict {{model name: 0/1 predictions}}, got "
                        f"{type(predictions).__name__}: e.g. {{'BiLSTM': predictions}}")
    odd = [name for name in predictions if not isinstance(name, str)]
    if odd:
        raise TypeError(f"expected model names (str) as the keys of predictions, got {odd[0]!r}: e.g. "
                        "{'BiLSTM seed 1': predictions}")
    checked = {name: zero_one(values, f"{name}'s predictions") for name, values in predictions.items()}
    for name, predicted in checked.items():
        if len(predicted) != len(labels):
            raise ValueError(f"{name}: expected {len(labels)} predictions, got {len(predicted)}")
    rows = []
    for topic in sorted(set(topics.tolist()), key=lambda t: (-int((topics == t).sum()), t)):
        mask = topics == topic
        rows.append(TopicRow(topic, int(mask.sum()), float(labels[mask].mean()), {
            name: float(np.mean(predicted[mask] == labels[mask])) for name, predicted in checked.items()
        }))
    return rows


def print_per_topic(split: Split, predictions: Mapping[str, Sequence[int]]) -> list[TopicRow]:
    """Print :func:`per_topic` as a table (and return its rows)."""
    rows = per_topic(split, predictions)
    names = list(predictions)
    print(f"{'topic':<18} {'tweets':>6} {'positive':>8}" + "".join(f" {n:>12}" for n in names))
    for row in rows:
        print(f"{row.topic:<18} {row.tweets:>6,} {row.positive:>8.0%}"
              + "".join(f" {row.accuracy[n]:>12.3f}" for n in names))
    return rows
