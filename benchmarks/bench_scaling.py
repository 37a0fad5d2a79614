"""How training cost grows with graph size: seconds per epoch and peak memory.

Run::

    python benchmarks/bench_scaling.py                      # 1M, 3M, 10M, 30M, 100M pairs
    python benchmarks/bench_scaling.py --pairs 1e6 1e7      # a quicker look

Each size runs in a fresh process (so peak RSS is its own) on a power-law graph
(``benchmarks/_graphs.py``: 100 pairs per row, a link per 14 pairs, Zipf
popularity). It times one training epoch of the engine (after one warm-up
call), the fold-in of every row, and reports peak RSS next to the size of the
data (the CSR) and of the vectors. Cost must grow linearly: the last column
(microseconds per pair) stays flat.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _one(n_pairs, params):
    import resource

    import numpy as np

    sys.path.insert(0, str(HERE))
    from _graphs import power_law_graph

    from sklearn_linkembed import LinkEmbedder
    from sklearn_linkembed._foldin import fold_in
    from sklearn_linkembed._graph import Graph

    X = power_law_graph(int(n_pairs))
    est = LinkEmbedder(**params)
    t0 = time.perf_counter()
    _, trainer = est._trainer(Graph(X, list(range(X.shape[1]))), seed=0)
    setup = time.perf_counter() - t0
    batches = trainer.epoch_batches(np.random.RandomState(0))
    trainer.train(batches[:2], 0)  # tracing and warm-up
    t0 = time.perf_counter()
    chunk = max(1, 2_000_000 // (trainer.global_batch * (1 + est.negative_ratio)))
    for first in range(0, len(batches), chunk):
        trainer.train(batches[first:first + chunk], first)
    epoch = time.perf_counter() - t0
    t0 = time.perf_counter()
    fold_in(X, trainer.link_vectors(), loss=est.loss, seed=0,
            negative_ratio=est.negative_ratio, n_steps=est.fold_in_steps)
    fold = time.perf_counter() - t0
    data_mib = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20
    vectors_mib = (X.shape[0] + X.shape[1]) * est.embedding_size * 4 / 2**20
    return {"pairs": X.nnz, "rows": X.shape[0], "links": X.shape[1],
            "bitmap": trainer._pair_bitmap is not None, "setup_s": setup, "epoch_s": epoch,
            "examples_per_s": X.nnz * (1 + est.negative_ratio) / epoch, "fold_in_s": fold,
            "data_mib": data_mib, "vectors_mib": vectors_mib,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=float, nargs="+", default=[1e6, 3e6, 1e7, 3e7, 1e8])
    parser.add_argument("--params", default="{}",
                        help="LinkEmbedder parameters as JSON (default: its defaults)")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    params = json.loads(args.params)
    if args.one:
        print(json.dumps(_one(args.one, params)))
        return
    print(f"{'pairs':>11} {'rows':>9} {'links':>9} {'epoch s':>8} {'M ex/s':>7} "
          f"{'fold-in s':>9} {'data MiB':>9} {'vectors MiB':>11} {'peak MiB':>9} "
          f"{'peak/data':>9} {'us/pair':>8}")
    for n in args.pairs:
        done = subprocess.run([sys.executable, __file__, "--one", str(n), "--params",
                               args.params], capture_output=True, text=True, check=False)
        if done.returncode:
            print(f"{int(n):>11,} failed: {done.stderr.strip().splitlines()[-1]}")
            break
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{r['pairs']:>11,} {r['rows']:>9,} {r['links']:>9,} {r['epoch_s']:>8.2f} "
              f"{r['examples_per_s'] / 1e6:>7.2f} {r['fold_in_s']:>9.2f} {r['data_mib']:>9.0f} "
              f"{r['vectors_mib']:>11.0f} {r['peak_rss_mib']:>9.0f} "
              f"{r['peak_rss_mib'] / r['data_mib']:>9.1f} {r['epoch_s'] / r['pairs'] * 1e6:>8.3f}",
              flush=True)


if __name__ == "__main__":
    main()
