"""Seconds to score a validation fold with the label-free scorer, next to seconds to fit.

Run (about a minute on 2 cores)::

    python -m benchmarks.bench_scorer
    python -m benchmarks.bench_scorer --metrics roc_auc mrr --folds 3
    python -m benchmarks.bench_scorer --profile roc_auc      # where one scorer call spends

A 3-fold loop as :func:`~sklearn.model_selection.cross_validate` runs it, on the
bundled films as ``load_wikipedia_movies().links`` gives them (a list of link lists):
each fold fits ``LinkEmbedder(random_state=seed)`` on the other folds' films, then
scores its own films with ``make_link_prediction_scorer(metric)`` for every metric in
turn, each call timed apart (best of ``--repeat``). TensorFlow is imported before any
clock starts, so the first fit includes only its tracing, as a user's first fit would.

Prints one line per fold: the fit seconds and, for each metric, the scoring seconds,
their ratio to the fit seconds and the score; then the means over folds. Metrics an
installed release does not know are shown as ``n/a``, so the same command measures an
older release (the "before" figures of a change).

The full-ranking metrics (``recall@10``, ``ndcg@10``) spend a good part of their time in
BLAS matrix products; on a machine whose cores are busy with other work, OpenBLAS's
threads wait for each other, and ``--blas-threads 1`` shows the difference.
"""

import cProfile
import io
import os
import pstats
import time

from . import _common  # also quiets TensorFlow's start-up lines

METRICS = ["roc_auc", "mrr", "hits@10", "recall@10", "ndcg@10"]


def parse_args(argv=None):
    # --seed: random_state of the KFold shuffle, the model and the scorers;
    # --rows: the first films only; --params: LinkEmbedder parameters (JSON).
    parser = _common.make_parser(__doc__, graph=("rows",), results=False, seed=0, params=True)
    parser.add_argument("--metrics", nargs="+", default=METRICS, help="scorer metrics")
    parser.add_argument("--folds", type=int, default=3, help="folds of the KFold loop")
    parser.add_argument("--repeat", type=int, default=1,
                        help="scorer calls per fold and metric; the best is kept")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit BLAS to this many threads (threadpoolctl); default: "
                             "as configured")
    parser.add_argument("--profile", metavar="METRIC", default=None,
                        help="also print cProfile's top functions of one call of this "
                             "metric's scorer on the first fold")
    return parser.parse_args(argv)


def make_scorer(metric, seed):
    """The scorer, or None when the installed release does not know the metric."""
    from sklearn.utils._param_validation import InvalidParameterError

    from sklearn_linkembed.evaluation import make_link_prediction_scorer

    try:
        return make_link_prediction_scorer(metric, random_state=seed)
    except InvalidParameterError:
        return None


def timed(function, *args, repeat=1):
    """``(best seconds, result)`` of ``repeat`` calls."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def profile(scorer, model, X, top=20):
    profiler = cProfile.Profile()
    profiler.runcall(scorer, model, X)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv=None):
    args = parse_args(argv)
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads, user_api="blas")
    _common.import_tensorflow()  # before any clock starts
    import numpy as np
    from sklearn.model_selection import KFold

    from sklearn_linkembed import LinkEmbedder, load_wikipedia_movies

    X = load_wikipedia_movies().links
    if args.rows is not None:
        X = X[:args.rows]
    params = args.params
    scorers = {metric: make_scorer(metric, args.seed) for metric in args.metrics}
    print(f"films: {len(X):,} rows (link lists), {args.folds}-fold, "
          f"LinkEmbedder(random_state={args.seed}, **{params}), "
          f"best of {args.repeat} scorer call(s); {os.cpu_count()} CPUs, BLAS threads: "
          f"{args.blas_threads or 'default'}")
    header = f"{'fold':>4} {'fit s':>7}" + "".join(
        f" | {metric + ' s':>13} {'/fit':>5} {'score':>6}" for metric in args.metrics)
    print(header)
    print("-" * len(header))
    fits, scores = [], {metric: [] for metric in args.metrics}
    folds = KFold(args.folds, shuffle=True, random_state=args.seed).split(np.arange(len(X)))
    for fold, (train, test) in enumerate(folds):
        X_train, X_test = [X[i] for i in train], [X[i] for i in test]
        fit_s, model = timed(LinkEmbedder(random_state=args.seed, **params).fit, X_train)
        fits.append(fit_s)
        line = f"{fold:>4} {fit_s:>7.2f}"
        for metric, scorer in scorers.items():
            if scorer is None:
                line += f" | {'n/a':>13} {'':>5} {'':>6}"
                continue
            score_s, value = timed(scorer, model, X_test, repeat=args.repeat)
            scores[metric].append((score_s, value))
            line += f" | {score_s:>13.2f} {score_s / fit_s:>5.2f} {value:>6.3f}"
        print(line, flush=True)
        if fold == 0 and args.profile is not None:
            scorer = make_scorer(args.profile, args.seed)
            profiled = ("this release has no such metric" if scorer is None
                        else profile(scorer, model, X_test))
    line = f"{'mean':>4} {np.mean(fits):>7.2f}"
    for metric in args.metrics:
        if not scores[metric]:
            line += f" | {'n/a':>13} {'':>5} {'':>6}"
            continue
        seconds, values = np.array(scores[metric]).T
        line += (f" | {seconds.mean():>13.2f} {seconds.mean() / np.mean(fits):>5.2f} "
                 f"{values.mean():>6.3f}")
    print("-" * len(header))
    print(line)
    if args.profile is not None:
        print(f"\ncProfile of one {args.profile!r} scorer call on fold 0:")
        print(profiled)


if __name__ == "__main__":
    main()
