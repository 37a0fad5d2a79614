"""Rotten Tomatoes regression from each method's film vectors, next to predicting the mean.

Run after ``python -m benchmarks.bench_baselines --data films`` (it saves every method's
vectors)::

    python -m benchmarks.bench_rotten_tomatoes

For each method's saved row vectors (``results/<method>_films-holdout0.1_rows.npy``):
5-fold cross-validated mean squared error of ``LinearRegression`` on the
L2-normalised vectors of the 2,147 films with a score, next to a
``DummyRegressor`` (the training fold's mean), and their ratio (lower is better;
``_common.rotten_tomatoes_scores``, as ``bench_defaults`` scores its fits).
"""

from . import _common


def main(argv=None):
    parser = _common.make_parser(__doc__, graph=False)
    parser.add_argument("--tag", default="films-holdout0.1",
                        help="the graph tag of the saved vectors (the first rows of the films "
                             "for a tag such as films-300rows-holdout0.1)")
    args = parser.parse_args(argv)
    from sklearn_linkembed import load_wikipedia_movies

    scores = load_wikipedia_movies().rotten_tomatoes
    run = _common.new_run_id()
    print(f"{'method':<20} {'MSE':>8} {'mean MSE':>9} {'ratio':>7}")
    suffix = f"_{args.tag}_rows.npy"
    for path in sorted(args.results_dir.glob(f"*{suffix}")):
        method = path.name[: -len(suffix)]
        rows, _ = _common.load_vectors(method, args.tag, args.results_dir)
        record = _common.rotten_tomatoes_scores(rows, scores[:len(rows)])
        print(f"{method:<20} {record['rt_mse']:>8.4f} {record['rt_mean_mse']:>9.4f} "
              f"{record['rt_ratio']:>7.3f}")
        _common.write_result("bench_rotten_tomatoes", {
            "run": run, "data": args.tag, "method": method, **record}, args.results_dir)


if __name__ == "__main__":
    main()
