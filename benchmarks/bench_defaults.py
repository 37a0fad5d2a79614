"""Quality per second of LinkEmbedder settings on both graphs: how the defaults were chosen.

Run (a few minutes on a quiet machine)::

    python -m benchmarks.bench_defaults
    python -m benchmarks.bench_defaults --configs '{}' '{"epochs": 4}' --data films

Smoke test: ``--data films --rows 300 --configs '{}' --results-dir /tmp/smoke``.

Each ``--configs`` entry is a JSON dict of ``LinkEmbedder`` parameters on top
of its defaults (``{}`` is the defaults). For each graph (``--data``, both by
default; ``--holdout`` 10% of each row's links held out as in
``bench_baselines``) and each entry, in a fresh process that has already
imported TensorFlow (as a user's process has after its first fit; the import
is recorded apart), it times the whole ``fit`` and scores the known-link AUC,
MRR and Hits@10, and on the films the Rotten Tomatoes ratio (5-fold MSE of
``LinearRegression`` over that of predicting the mean; lower is better).
Appends to ``results/bench_defaults.jsonl``.
"""

import json

from . import _common

DEFAULT_CONFIGS = [
    "{}",  # sgd, lr 0.02, 5 epochs, negative_sharing 4
    '{"epochs": 4}',
    '{"epochs": 6}',
    '{"negative_sharing": 1}',
    '{"negative_sharing": 16}',
    '{"optimizer": "nadam", "negative_sharing": 1, "epochs": 6}',  # the previous defaults
    '{"optimizer": "nadam"}',
]


def main(argv=None):
    parser = _common.make_parser(__doc__, data=("synthetic", "films"), holdout=0.1, seed=0)
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, type=_checked_config,
                        help="JSON dicts of LinkEmbedder parameters")
    args = parser.parse_args(argv)
    run = _common.new_run_id()
    print(f"{'data':<10} {'config':<58} {'fit s':>6} {'AUC':>6} {'MRR':>6} {'H@10':>6} "
          f"{'RT':>6}")
    for name in args.data:
        data = _common.load_data_from_args(args, name)
        for config in args.configs:
            (rows, links, seconds, import_s), peak = _common.isolated(
                _common.fit_linkembedder, data.X, json.loads(config), args.seed)
            scores = _common.score_vectors(data, rows, links)
            if "rotten_tomatoes" in data.extra:
                scores.update(_common.rotten_tomatoes_scores(rows, data.extra["rotten_tomatoes"]))
            print(f"{name:<10} {config:<58} {seconds:>6.2f}" + "".join(
                f" {scores.get(key, float('nan')):>6.3f}"
                for key in ("roc_auc", "mrr", "hits@10", "rt_ratio")), flush=True)
            _common.write_result("bench_defaults", {
                "run": run, "data": data.graph_tag, "params": config, "fit_s": seconds,
                "import_s": import_s, "peak_rss_mib": peak, **scores}, args.results_dir)


def _checked_config(text):
    _common.json_object(text)
    return text


if __name__ == "__main__":
    main()
