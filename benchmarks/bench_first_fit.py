"""What a new user waits for: the first fit in a fresh process, TensorFlow's import included.

Each repeat starts a fresh Python process that imports the package, loads the bundled
films, imports TensorFlow, fits ``LinkEmbedder()`` at its defaults, then fits it again in
the same process; it prints the seconds of each phase, and the median over repeats.

    python -m benchmarks.bench_first_fit --repeats 3
"""

import json
import statistics
import subprocess
import sys

from . import _common

_CHILD = r"""
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
t = [time.perf_counter()]
import sklearn_linkembed as sle
t.append(time.perf_counter())
movies = sle.load_wikipedia_movies()
X = dict(zip(movies.titles, movies.links))
t.append(time.perf_counter())
import tensorflow  # noqa: F401
t.append(time.perf_counter())
sle.LinkEmbedder(random_state=0).fit(X)
t.append(time.perf_counter())
sle.LinkEmbedder(random_state=0).fit(X)
t.append(time.perf_counter())
names = ["import package", "load films", "import tensorflow", "first fit", "second fit"]
print(json.dumps({n: b - a for n, a, b in zip(names, t, t[1:])}))
"""


def main(argv=None):
    parser = _common.make_parser(__doc__, graph=False, results=False)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes")
    args = parser.parse_args(argv)
    runs = []
    for i in range(args.repeats):
        out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                             check=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in runs[-1].items()))
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    waited = sum(v for k, v in median.items() if k != "second fit")
    print("median: " + ", ".join(f"{k} {v:.2f} s" for k, v in median.items()))
    print(f"a new user waits {waited:.2f} s from `import` to the first fitted model; the first "
          f"fit costs {median['first fit'] / median['second fit']:.2f}x a later one")


if __name__ == "__main__":
    main()
