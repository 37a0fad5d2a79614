"""Rotten Tomatoes regression from each method's film vectors, next to predicting the mean.

Run after ``bench_baselines.py --data films`` (it saves every method's vectors)::

    python benchmarks/bench_rotten_tomatoes.py

For each method's saved row vectors (``results/<method>_films-holdout0.1_rows.npy``):
5-fold cross-validated mean squared error of ``LinearRegression`` on the
L2-normalised vectors of the 2,147 films with a score, next to a
``DummyRegressor`` (the training fold's mean), and their ratio (lower is better).
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.preprocessing import normalize

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

from sklearn_linkembed import load_wikipedia_movies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", default="films-holdout0.1")
    parser.add_argument("--results-dir", type=Path, default=_common.RESULTS_DIR)
    args = parser.parse_args()
    scores = load_wikipedia_movies().rotten_tomatoes
    rated = ~np.isnan(scores)
    cv = KFold(5, shuffle=True, random_state=0)
    run = _common.new_run_id()
    print(f"{'method':<20} {'MSE':>8} {'mean MSE':>9} {'ratio':>7}")
    for path in sorted(args.results_dir.glob(f"*_{args.tag}_rows.npy")):
        method = path.name[: -len(f"_{args.tag}_rows.npy")]
        X = normalize(np.nan_to_num(np.load(path)))[rated]
        y = scores[rated]
        mse = -cross_val_score(LinearRegression(), X, y, cv=cv,
                               scoring="neg_mean_squared_error").mean()
        mean = -cross_val_score(DummyRegressor(), X, y, cv=cv,
                                scoring="neg_mean_squared_error").mean()
        print(f"{method:<20} {mse:>8.4f} {mean:>9.4f} {mse / mean:>7.3f}")
        _common.write_result("bench_rotten_tomatoes", {
            "run": run, "data": args.tag, "method": method, "rt_mse": mse, "rt_mean_mse": mean,
            "rt_ratio": mse / mean}, args.results_dir)


if __name__ == "__main__":
    main()
