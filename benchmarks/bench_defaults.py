"""Quality per second of LinkEmbedder settings on both graphs: how the defaults were chosen.

Run (a few minutes on a quiet machine)::

    python benchmarks/bench_defaults.py
    python benchmarks/bench_defaults.py --configs '{}' '{"epochs": 4}' --data films

Each ``--configs`` entry is a JSON dict of ``LinkEmbedder`` parameters on top
of its defaults (``{}`` is the defaults). For each graph (``--data``, both by
default; 10% of each row's links held out as in ``bench_baselines.py``) and
each entry, in a fresh process that has already imported TensorFlow (as a
user's process has after its first fit; the import is printed apart), it
times the whole ``fit`` and scores the known-link AUC, MRR and Hits@10, and on
the films the Rotten Tomatoes ratio (5-fold MSE of ``LinearRegression`` over
that of predicting the mean; lower is better). Appends to
``results/bench_defaults.jsonl``.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
from bench_baselines import score

DEFAULT_CONFIGS = [
    "{}",  # sgd, lr 0.02, 5 epochs, negative_sharing 4
    '{"epochs": 4}',
    '{"epochs": 6}',
    '{"negative_sharing": 1}',
    '{"negative_sharing": 16}',
    '{"optimizer": "nadam", "negative_sharing": 1, "epochs": 6}',  # the previous defaults
    '{"optimizer": "nadam"}',
]


def fit_config(X, params, seed):
    """Fit in a fresh process; TensorFlow's import is timed apart from ``fit``."""
    start = time.perf_counter()
    import sklearn_linkembed._engine  # noqa: F401  (imports TensorFlow)
    from sklearn_linkembed import LinkEmbedder

    import_s = time.perf_counter() - start
    emb = LinkEmbedder(random_state=seed, **params)
    with _common.Timer() as timer:
        emb.fit(X)
    links = np.zeros((X.shape[1], emb.link_vectors_.vectors.shape[1]), dtype=np.float32)
    links[np.asarray(emb.links_, dtype=np.int64)] = emb.link_vectors_.vectors
    return emb.row_vectors_.vectors, links, timer.seconds, import_s


def rotten_tomatoes_ratio(rows, scores):
    from sklearn.dummy import DummyRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.preprocessing import normalize

    rated = ~np.isnan(scores)
    X, y = normalize(np.nan_to_num(rows))[rated], scores[rated]
    cv = KFold(5, shuffle=True, random_state=0)
    mse = [-cross_val_score(model, X, y, cv=cv, scoring="neg_mean_squared_error").mean()
           for model in (LinearRegression(), DummyRegressor())]
    return mse[0] / mse[1]


def main():
    parser = _common.parser(__doc__)
    parser.add_argument("--data", nargs="+", default=["synthetic", "films"],
                        choices=["synthetic", "films"])
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS,
                        help="JSON dicts of LinkEmbedder parameters")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results-dir", type=Path, default=_common.RESULTS_DIR)
    args = parser.parse_args()
    run = _common.new_run_id()
    print(f"{'data':<10} {'config':<58} {'fit s':>6} {'AUC':>6} {'MRR':>6} {'H@10':>6} "
          f"{'RT':>6}")
    for name in args.data:
        data = _common.split_data(_common.load_data(name), 0.1)
        for config in args.configs:
            (rows, links, seconds, import_s), peak = _common.isolated(
                fit_config, data.X, json.loads(config), args.seed)
            scores = score(data, rows, links)
            if "rotten_tomatoes" in data.extra:
                scores["rt_ratio"] = rotten_tomatoes_ratio(rows, data.extra["rotten_tomatoes"])
            print(f"{name:<10} {config:<58} {seconds:>6.2f} {scores['roc_auc']:>6.3f} "
                  f"{scores['mrr']:>6.3f} {scores['hits@10']:>6.3f} "
                  f"{scores.get('rt_ratio', float('nan')):>6.3f}", flush=True)
            _common.write_result("bench_defaults", {
                "run": run, "data": name, "params": config, "fit_s": seconds,
                "import_s": import_s, "peak_rss_mib": peak, **scores}, args.results_dir)


if __name__ == "__main__":
    main()
