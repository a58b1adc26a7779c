"""Test accuracy of the sentiment classifiers of chapters 11 and 12 on the offline tweets split.

    python benchmarks/sentiment_accuracy.py           # full run (about 35 minutes on 2 quiet CPU cores)
    python benchmarks/sentiment_accuracy.py --quick   # a small slice, one epoch, one seed: seconds

No network: the tweets corpus (`load_tweets`) and the 50-dimensional GloVe vectors that ship as a
Python package (`load_glove(50)`) are asked for by name. Every model uses the same
train/validation/test split; settings are chosen on validation and the test set is read once:

  tfidf         TF-IDF + logistic regression, word 1-2-grams or char 2-5-grams and C tuned on validation
  nbsvm         NBSVM (Wang and Manning 2012), word 1-2-grams, C tuned on validation
  seed_char     the source's character model (200 characters, LSTM(16, 1), last time step), 1 seed
  char          the improved character model (64 units, bidirectional, exact), 5 epochs, --seeds seeds
  glove_bilstm  chapter 12's GloVe 50d + 2-layer BiLSTM(256), exact, up to 6 epochs, patience 2, --seeds seeds

Neural results are mean ± sample sd over the seeds. The best neural model's first seed is
compared with the best baseline on the same test tweets: McNemar's exact test and a 95% paired
bootstrap interval of the accuracy difference.

Last line: RESULT tfidf=<a> nbsvm=<b> seed_char=<c> char=<mean> char_sd=<sd> glove_bilstm=<mean>
glove_bilstm_sd=<sd> best_gap=<neural - baseline> gap_low=<..> gap_high=<..> mcnemar_p=<p>
"""

from __future__ import annotations

import argparse
import time

from utils.baseline import tuned_baselines
from utils.data import Corpus, Split, load_tweets
from utils.embeddings import load_glove
from utils.seed import set_seed
from utils.sentiment import (
    Run,
    char_experiment,
    glove_bilstm_experiment,
    mcnemar,
    mean_sd,
    paired_bootstrap,
    seed_char_experiment,
)


def _sliced(corpus: Corpus, limit: int | None) -> Corpus:
    def cut(split: Split) -> Split:
        return Split(split.texts[:limit], split.labels[:limit])

    return Corpus(corpus.name, cut(corpus.train), cut(corpus.valid), cut(corpus.test))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 examples per split, 1 epoch, 1 seed")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per neural model (default 3)")
    args = parser.parse_args(argv)
    set_seed(0)
    quick = args.quick
    corpus = _sliced(load_tweets(), 300 if quick else None)
    glove = load_glove(50)
    seeds = range(1 if quick else args.seeds)
    print(
        f"tweets: train {len(corpus.train):,}, valid {len(corpus.valid):,}, test {len(corpus.test):,}"
        + (" (quick: first 300 of each)" if quick else "")
    )
    results: dict[str, float] = {}
    start = time.perf_counter()
    baselines = tuned_baselines(corpus.train, corpus.valid, corpus.test)
    for key, tuned in baselines.items():
        results[key] = tuned.test_accuracy
        print(
            f"  {key + ':':13} test {tuned.test_accuracy:.4f}  (chosen on validation: {tuned.params}, "
            f"validation {tuned.valid_accuracy:.4f})"
        )
    print(f"  baselines: {time.perf_counter() - start:.0f} s")
    runs: dict[str, list[Run]] = {
        "seed_char": [seed_char_experiment(corpus, epochs=1 if quick else 100, progress=False)],
        "char": [
            char_experiment(
                corpus,
                hidden_size=8 if quick else 64,
                bidirectional=True,
                strategy="exact",
                bucketed=True,
                epochs=1 if quick else 5,
                seed=seed,
                progress=False,
            )
            for seed in seeds
        ],
        "glove_bilstm": [
            glove_bilstm_experiment(
                corpus,
                glove,
                epochs=1 if quick else 6,
                patience=2,
                hidden_size=32 if quick else 256,
                seed=seed,
                progress=False,
            )
            for seed in seeds
        ],
    }
    for name, seed_runs in runs.items():
        summary = mean_sd([run.test_accuracy for run in seed_runs])
        results[name] = summary.mean
        if name != "seed_char":
            results[f"{name}_sd"] = summary.sd
        epochs = [run.history.best_epoch for run in seed_runs]
        print(f"  {name + ':':13} test {summary}  (best validation epochs {epochs})")
    best_neural = max(("char", "glove_bilstm"), key=lambda name: results[name])
    best_baseline = max(baselines, key=lambda name: baselines[name].valid_accuracy)
    a, b = runs[best_neural][0].test_predictions, baselines[best_baseline].test_predictions
    labels = corpus.test.labels
    test = mcnemar(a, b, labels)
    gap = paired_bootstrap(a, b, labels)
    results.update(best_gap=gap.estimate, gap_low=gap.low, gap_high=gap.high, mcnemar_p=test.p_value)
    print(
        f"  {best_neural} (seed 0) - {best_baseline} (best baseline on validation): {gap.estimate:+.4f}, "
        f"95% paired bootstrap [{gap.low:+.4f}, {gap.high:+.4f}]; only {best_neural} right on "
        f"{test.a_only}, only {best_baseline} right on {test.b_only}, McNemar exact p = {test.p_value:.3f}"
    )
    print("RESULT " + " ".join(f"{key}={value:.4f}" for key, value in results.items()))
    return results


if __name__ == "__main__":
    main()
