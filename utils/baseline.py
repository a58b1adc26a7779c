"""The TF-IDF + logistic-regression baseline (chapters 11 and 12), on exactly the same split."""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from utils.data import Split


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
    pipeline = make_pipeline(
        TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, min_df=2, sublinear_tf=True),
        LogisticRegression(C=C, max_iter=2000),
    )
    pipeline.fit(train.texts, train.labels)
    return pipeline, float(pipeline.score(test.texts, test.labels))
