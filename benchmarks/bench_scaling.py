"""How training cost grows with graph size: seconds per epoch and peak memory.

Run::

    python -m benchmarks.bench_scaling                      # 1M, 3M, 10M, 30M, 100M pairs
    python -m benchmarks.bench_scaling --pairs 1e6 1e7      # a quicker look

Smoke test: ``--pairs 3e4``.

Each size runs in a fresh process (so peak RSS is its own) on a power-law graph
(``benchmarks/_graphs.py``: 100 pairs per row, a link per 14 pairs, Zipf
popularity; every link is kept: ``min_count=1`` unless ``--params`` says
otherwise). It times one training epoch of the engine (``_common.engine_for``,
after one warm-up call) and the row vectors as ``fit`` makes them after training
(``rows s``: the mean of each row's link vectors with the default link context,
else the fold-in), and reports the peak memory of that (``VmHWM`` above the
memory before it, the graph's construction excluded) next to the size of the
data (the CSR) and of the training tables with the optimizer's state. Cost must
grow linearly: the last column (microseconds per pair) stays flat, and the peak
beyond the tables stays a few times the data.
"""

import argparse
import json
import subprocess

from . import _common
from ._graphs import power_law_graph


def _one(n_pairs, params):
    from sklearn_linkembed import LinkEmbedder

    _common.import_tensorflow()
    X = power_law_graph(int(n_pairs))
    rss_before = _common.status_mib("VmRSS")
    reset = _common.reset_peak_rss()  # the graph's construction does not count
    est = LinkEmbedder(**{"min_count": 1, **params})
    with _common.Timer() as setup:
        engine = _common.engine_for(est, X)
    epoch = _common.time_epoch(engine)
    with _common.Timer() as fold:
        engine.fold_in()
    data_mib = _common.csr_mib(X)
    vectors_mib = (engine.n_rows + engine.n_links) * engine.config.embedding_size * 4 / 2**20
    fit_peak = _common.status_mib("VmHWM") - rss_before if reset else None
    return {"pairs": engine.n_pairs, "rows": engine.n_rows, "links": engine.n_links,
            "bitmap_hashed": engine.bitmap_hashed, "setup_s": setup.seconds, "epoch_s": epoch,
            "examples_per_s": engine.n_pairs * engine.examples_per_pair / epoch,
            "fold_in_s": fold.seconds, "data_mib": data_mib, "vectors_mib": vectors_mib,
            "state_mib": engine.state_mib, "fit_peak_mib": fit_peak,
            "peak_rss_mib": _common.peak_rss_mib()}


def main(argv=None):
    parser = _common.make_parser(__doc__, graph=False, results=False, params=True)
    parser.add_argument("--pairs", type=float, nargs="+", default=[1e6, 3e6, 1e7, 3e7, 1e8])
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one, args.params)))
        return
    print(f"{'pairs':>11} {'rows':>9} {'links':>9} {'epoch s':>8} {'M ex/s':>7} "
          f"{'rows s':>7} {'data MiB':>9} {'state MiB':>9} {'peak MiB':>9} "
          f"{'(peak-state)/data':>17} {'us/pair':>8}")
    for n in args.pairs:
        done = subprocess.run(
            _common.module_command("bench_scaling", "--one", n, "--params",
                                   json.dumps(args.params)),
            capture_output=True, text=True, check=False, cwd=_common.ROOT)
        if done.returncode:
            print(f"{int(n):>11,} failed: {done.stderr.strip().splitlines()[-1]}")
            break
        r = json.loads(done.stdout.strip().splitlines()[-1])
        peak = r["fit_peak_mib"]
        excess = (f"{(peak - r['state_mib']) / r['data_mib']:>16.2f}x" if peak is not None
                  else f"{'n/a':>17}")
        print(f"{r['pairs']:>11,} {r['rows']:>9,} {r['links']:>9,} {r['epoch_s']:>8.2f} "
              f"{r['examples_per_s'] / 1e6:>7.2f} {r['fold_in_s']:>7.2f} {r['data_mib']:>9.0f} "
              f"{r['state_mib']:>9.0f} {peak if peak is not None else float('nan'):>9.0f} "
              f"{excess} {r['epoch_s'] / r['pairs'] * 1e6:>8.3f}", flush=True)


if __name__ == "__main__":
    main()
