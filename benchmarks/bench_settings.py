"""Full-ranking quality and fit time of LinkEmbedder settings, side by side, over seeds and graphs.

Run (about five minutes on a quiet 2-core machine)::

    python -m benchmarks.bench_settings
    python -m benchmarks.bench_settings --graphs films,base --seeds 0 1 2 \\
        --configs '{}' '{"optimizer": "adagrad", "learning_rate": 0.25}'

Smoke test: ``--graphs base --scale 0.05 --seeds 0 --configs '{}' --results-dir /tmp/smoke``.

How the optimizer of the defaults was chosen. Each ``--configs`` entry is a JSON dict of
``LinkEmbedder`` parameters on top of its defaults (``{}`` is the defaults); the default
entries are the defaults (row-wise Adagrad at 0.15), element-wise Adagrad at the previous
default rate (0.25) and at the same rate (0.15). Graphs (``--graphs``) are
``bench_families``' (links in fewer than 3 rows dropped, then 10% of each row's links held
out with ``random_state=0``). Every setting is fitted on the training part with each
``--seeds`` entry as ``random_state``, the settings alternating within a seed so that a
machine's drift spreads over all of them, in this one process after TensorFlow's import
(every fit traces its own step, as a user's does; the process's first fits also compile
the merges); scored by
``link_prediction_scores(model, X_train, X_test, n_queries=2000, random_state=0)``:
Recall@10 and NDCG@10 over every known link. Prints the mean and spread over seeds per
graph and setting and appends every fit to ``results/bench_settings.jsonl``.
"""

import json
import warnings

import numpy as np

from . import _common
from .bench_families import GRAPHS, HOLDOUT, load_graph

DEFAULT_CONFIGS = [
    "{}",
    '{"optimizer": "adagrad", "learning_rate": 0.25}',  # the previous defaults
    '{"optimizer": "adagrad", "learning_rate": 0.15}',
]


def main(argv=None):
    parser = _common.make_parser(__doc__, graph=False)
    parser.add_argument("--graphs", default="base,popularity-0.8,films",
                        help=f"comma-separated, among {', '.join(GRAPHS)}")
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, type=_checked_config,
                        help="JSON dicts of LinkEmbedder parameters")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2],
                        help="random_state of the fits")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="size of the synthetic graphs (bench_families' --scale)")
    parser.add_argument("--packages", default=None, help="Debian's index (bench_families')")
    args = parser.parse_args(argv)
    graphs = [g for g in args.graphs.split(",") if g]
    unknown = sorted(set(graphs) - set(GRAPHS))
    if unknown:
        parser.error(f"unknown graphs {unknown}; expected some of {', '.join(GRAPHS)}")

    _common.import_tensorflow()
    from sklearn_linkembed import LinkEmbedder, link_prediction_scores

    warnings.filterwarnings("ignore", ".* rows have no known link", UserWarning)
    run = _common.new_run_id()
    rows = []
    for name in graphs:
        data, _ = load_graph(name, scale=args.scale, packages=args.packages)
        data = _common.split_data(data, HOLDOUT)
        print(data.describe(), flush=True)
        figures = {config: [] for config in args.configs}
        for seed in args.seeds:
            for config in args.configs:
                model = LinkEmbedder(random_state=seed, **json.loads(config))
                with _common.Timer() as timer:
                    model.fit(data.X)
                scores = link_prediction_scores(model, data.X, data.X_test, n_queries=2000,
                                                random_state=0)
                figures[config].append((timer.seconds, scores["recall@10"], scores["ndcg@10"]))
                path = _common.write_result("bench_settings", {
                    "run": run, "data": data.tag, "params": config, "seed": seed,
                    "fit_s": timer.seconds, "recall@10": scores["recall@10"],
                    "ndcg@10": scores["ndcg@10"]}, args.results_dir)
        rows += [(name, config, np.array(values)) for config, values in figures.items()]
    _print_table(rows, len(args.seeds))
    print(f"figures: {path}")


def _print_table(rows, n_seeds):
    header = (f"{'graph':<16} {'config':<52} {'fit s':>6} {'Recall@10 (low-high)':<22} "
              f"{'NDCG@10':>8}")
    print(header)
    print("-" * len(header))
    for name, config, values in rows:
        seconds, recall, ndcg = values.T
        spread = f"({recall.min():.3f}-{recall.max():.3f})"
        print(f"{name:<16} {config:<52} {np.median(seconds):>6.2f} "
              f"{recall.mean():>8.4f} {spread:<13} {ndcg.mean():>8.4f}")
    print(f"fit s: median over {n_seeds} seeds; Recall@10: mean over the seeds "
          "(lowest-highest); NDCG@10: mean")


def _checked_config(text):
    """A ``--configs`` entry: a JSON object (``_common.json_object``), as canonical text."""
    return json.dumps(_common.json_object(text), sort_keys=True)


if __name__ == "__main__":
    main()
