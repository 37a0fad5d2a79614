"""Time neighbour queries on 1,000,000 x 64 vectors: ``python -m benchmarks.bench_neighbours``.

Smoke test: ``--n-keys 10000 --repeat 1``.
"""

import time
import tracemalloc

import numpy as np

from . import _common


def main(argv=None):
    parser = _common.make_parser(__doc__, graph=False, results=False)
    parser.add_argument("--n-keys", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from sklearn_linkembed import KeyedVectors

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.n_keys, args.dim), dtype=np.float32)
    keys = [f"key{i}" for i in range(args.n_keys)]
    kv = KeyedVectors(vectors, keys, copy=False)
    del vectors
    print(f"{args.n_keys:,} x {args.dim} float32 vectors, numpy {np.__version__}")

    start = time.perf_counter()
    kv.get_normed_vectors()
    print(f"unit vectors (once, cached):       {time.perf_counter() - start:8.3f} s")

    queries = rng.choice(args.n_keys, size=args.batch, replace=False)
    query_keys = [keys[i] for i in queries]

    tracemalloc.start()
    single, _ = _common.median_seconds(lambda: kv.most_similar(query_keys[0], topn=10),
                                       args.repeat)
    _, single_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    vector = rng.standard_normal(args.dim).astype(np.float32)
    by_vector, _ = _common.median_seconds(lambda: kv.similar_by_vector(vector, topn=10),
                                          args.repeat)
    tracemalloc.reset_peak()
    batch, _ = _common.median_seconds(lambda: kv.most_similar_batch(query_keys, topn=10),
                                      args.repeat)
    _, batch_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"most_similar(key, topn=10):        {single:8.3f} s (median of {args.repeat})")
    print(f"similar_by_vector(v, topn=10):     {by_vector:8.3f} s (median of {args.repeat})")
    print(f"most_similar_batch({args.batch} keys, 10): {batch:8.3f} s (median of {args.repeat}), "
          f"{batch / args.batch * 1e3:.2f} ms per query")
    print(f"peak extra memory during a query:  {single_peak / 2**20:8.1f} MiB (tracemalloc)")
    print(f"peak extra memory during a batch:  {batch_peak / 2**20:8.1f} MiB (tracemalloc)")
    print(f"peak resident memory of process:   {_common.peak_rss_mib():8.1f} MiB (includes the "
          f"{2 * kv.vectors.nbytes / 2**20:.0f} MiB of vectors and unit vectors)")


if __name__ == "__main__":
    main()
