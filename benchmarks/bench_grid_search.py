"""What a grid search waits for: many fits of LinkEmbedder in one process.

Run (about a minute on 2 cores)::

    python -m benchmarks.bench_grid_search
    python -m benchmarks.bench_grid_search --rows 36116 --sizes 50 100

:class:`~sklearn.model_selection.GridSearchCV` over ``embedding_size`` (``--sizes``),
``--folds`` folds, sequential (``n_jobs=None``), scored by
``make_link_prediction_scorer("roc_auc")``, on the first ``--rows`` bundled films as
link lists (``load_wikipedia_movies().links``), with ``LinkEmbedder(random_state=--seed,
**--params)``. TensorFlow is imported before the clock. Each fit is timed (a subclass
records its own seconds), so the first fit of the process, which traces the training
step, shows beside the later ones. Prints every fit's seconds in order, their median
after the first, the scoring time and the search's wall time. Run the same command
on two checkouts to compare them.
"""

import statistics
import time

from . import _common

FITS = []  # seconds of each fit, in order


def timed_embedder():
    """A LinkEmbedder subclass that appends each fit's seconds to ``FITS``."""
    from sklearn_linkembed import LinkEmbedder

    class TimedLinkEmbedder(LinkEmbedder):
        def fit(self, X, y=None):
            start = time.perf_counter()
            super().fit(X, y)
            FITS.append(time.perf_counter() - start)
            return self

    return TimedLinkEmbedder


def main(argv=None):
    parser = _common.make_parser(__doc__, graph=("rows",), results=False, seed=0, params=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 100],
                        help="embedding_size values of the grid")
    parser.add_argument("--folds", type=int, default=3, help="cross-validation folds")
    parser.set_defaults(rows=6000)
    args = parser.parse_args(argv)
    _common.import_tensorflow()  # before the clock, as a notebook has imported it
    from sklearn.model_selection import GridSearchCV, KFold

    from sklearn_linkembed import load_wikipedia_movies, make_link_prediction_scorer

    X = load_wikipedia_movies().links[:args.rows]
    estimator = timed_embedder()(random_state=args.seed, **args.params)
    search = GridSearchCV(estimator, {"embedding_size": args.sizes},
                          cv=KFold(args.folds, shuffle=True, random_state=args.seed),
                          scoring=make_link_prediction_scorer("roc_auc", random_state=args.seed))
    print(f"films: {len(X):,} rows; GridSearchCV over embedding_size {args.sizes}, "
          f"{args.folds} folds; LinkEmbedder(random_state={args.seed}, **{args.params})")
    start = time.perf_counter()
    search.fit(X)
    wall = time.perf_counter() - start
    print("fits, s in order: " + " ".join(f"{s:.2f}" for s in FITS))
    later = statistics.median(FITS[1:]) if len(FITS) > 1 else float("nan")
    print(f"first fit {FITS[0]:.2f} s, median of the {len(FITS) - 1} later fits {later:.2f} s; "
          f"all fits {sum(FITS):.2f} s, scoring "
          f"{sum(search.cv_results_['mean_score_time']) * args.folds:.2f} s, "
          f"search wall time {wall:.2f} s")
    print(f"best: {search.best_params_} (ROC-AUC {search.best_score_:.3f})")


if __name__ == "__main__":
    main()
