"""Test accuracy of four sentiment classifiers on the offline tweets split (chapters 11 and 12).

    python benchmarks/sentiment_accuracy.py           # full run (about 25 minutes on 2 CPU cores)
    python benchmarks/sentiment_accuracy.py --quick   # a small slice and one epoch, for `make test`

All four use the same train/validation/test split of `load_tweets()` (seed 42); neural models
keep their best validation epoch and are scored once on the test set:

  tfidf         TF-IDF word uni+bigrams + logistic regression
  seed_char     the source's character model (200 characters, LSTM(16, 1), last time step)
  char          the improved character model (64 units, bidirectional, packed)
  glove_bilstm  chapter 12's GloVe (50d offline) + 2-layer BiLSTM(256), up to 10 epochs, patience 3

Last line: RESULT tfidf=<a> seed_char=<b> char=<c> glove_bilstm=<d>
"""

from __future__ import annotations

import argparse
import time

from utils.baseline import tfidf_baseline
from utils.data import Split, load_tweets
from utils.seed import set_seed
from utils.sentiment import char_experiment, glove_bilstm_experiment, seed_char_experiment


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 examples per split, one epoch each")
    args = parser.parse_args(argv)
    set_seed(0)
    corpus = load_tweets()
    limit = 300 if args.quick else None
    epochs = (
        {"seed_char": 1, "char": 1, "glove_bilstm": 1}
        if args.quick
        else {"seed_char": 100, "char": 5, "glove_bilstm": 10}
    )
    print(
        f"tweets: train {len(corpus.train):,}, valid {len(corpus.valid):,}, test {len(corpus.test):,}"
        + (" (quick: first 300 of each)" if args.quick else "")
    )
    results = {}
    start = time.perf_counter()
    _, results["tfidf"] = tfidf_baseline(
        Split(corpus.train.texts[:limit], corpus.train.labels[:limit]),
        Split(corpus.test.texts[:limit], corpus.test.labels[:limit]),
    )
    print(f"  tfidf:        test accuracy {results['tfidf']:.4f}  ({time.perf_counter() - start:.0f} s)")
    runs = {
        "seed_char": lambda: seed_char_experiment(
            corpus, epochs=epochs["seed_char"], limit=limit, progress=False
        ),
        "char": lambda: char_experiment(
            corpus,
            hidden_size=16 if args.quick else 64,
            bidirectional=True,
            packed=True,
            epochs=epochs["char"],
            limit=limit,
            progress=False,
        ),
        "glove_bilstm": lambda: glove_bilstm_experiment(
            corpus,
            epochs=epochs["glove_bilstm"],
            hidden_size=32 if args.quick else 256,
            limit=limit,
            progress=False,
        ),
    }
    for name, run in runs.items():
        start = time.perf_counter()
        history, results[name] = run()
        print(
            f"  {name + ':':13} test accuracy {results[name]:.4f}  (best validation "
            f"{max(history.column('valid_acc')):.4f} at epoch {history.best_epoch}; "
            f"{time.perf_counter() - start:.0f} s)"
        )
    print("RESULT " + " ".join(f"{key}={value:.4f}" for key, value in results.items()))
    return results


if __name__ == "__main__":
    main()
