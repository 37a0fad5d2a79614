"""Peak memory of ``LinkEmbedder.fit`` on a large graph, next to the size of its data.

Full size, 20 million pairs (1,000,000 rows x 200,000 links; several minutes, a few GiB)::

    python -m benchmarks.bench_memory

Smoke size (2 million pairs, 100,000 rows x 20,000 links)::

    python -m benchmarks.bench_memory --pairs 2000000

The graph comes from ``make_bipartite_graph`` (``--generator synthetic``, the default) or,
faster and with less memory, uniformly random distinct pairs built as CSR with numpy
(``--generator numpy``). It is built, and TensorFlow imported, before the measured fit.

Printed figures:

* fit peak RSS: the peak resident memory during ``fit`` (Linux: ``VmHWM`` of
  ``/proc/self/status``, reset through ``/proc/self/clear_refs`` just before the fit), above
  the resident memory right before it, so the graph's construction does not count;
* process peak RSS: ``getrusage(...).ru_maxrss``, the whole process (construction included);
* traced peak, with ``--tracemalloc`` only: the peak of numpy and Python allocations
  during ``fit`` (TensorFlow's own buffers -- tables, optimizer state, constants -- are not
  traced). Tracing costs memory of its own: on the 20M-pair graph the fit's peak RSS
  beyond the training state was 4.35x the CSR with it and 3.27x without, so the RSS
  figures are measured without it by default;
* the bytes of the CSR input (data, indices, indptr), of the fitted vectors (rows and
  links, float32), of the training state (tables plus optimizer slots) and of the engine's
  pair bitmap (one bit per row x link cell while small or dense enough, else hashed at 32
  to 64 bits per pair, read from a public ``NegativeSampler`` of the same graph after the fit),
  and the ratios.

``--save`` appends the figures to ``bench_memory.jsonl`` in ``--results-dir``
(default ``benchmarks/results``). ``--rows`` and ``--links`` size the generated graph.
"""

import sys
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

from . import _common

MIB = 1024**2
# Optimizer state per coordinate of a vector (row-wise Adagrad: one float per row).
_SLOTS = {"sgd": 0, "adagrad": 1, "adam": 2, "nadam": 2, "rowwise_adagrad": None}


def _numpy_graph(n_rows, n_links, n_pairs, seed):
    """CSR of ``n_pairs`` distinct uniformly random (row, link) pairs, ones as weights."""
    rng = np.random.default_rng(seed)
    cells = n_rows * n_links
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < n_pairs:
        extra = n_pairs - len(keys)
        keys = np.unique(np.concatenate([keys, rng.integers(0, cells, int(extra * 1.01) + 64)]))
    keys = keys[np.sort(rng.permutation(len(keys))[:n_pairs])]  # drop a random surplus
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // n_links, minlength=n_rows), out=indptr[1:])
    X = sp.csr_matrix((np.ones(n_pairs, dtype=np.float32),
                       (keys % n_links).astype(np.int32), indptr), shape=(n_rows, n_links))
    X.has_sorted_indices = True
    return X


def main(argv=None):
    parser = _common.make_parser(__doc__, graph=("min_count",))
    parser.add_argument("--pairs", type=int, default=20_000_000, help="distinct (row, link) pairs")
    parser.add_argument("--rows", type=int, default=None,
                        help="rows of the generated graph (default: pairs / 20)")
    parser.add_argument("--links", type=int, default=None,
                        help="links of the generated graph (default: pairs / 100)")
    parser.add_argument("--generator", choices=["synthetic", "numpy"], default="synthetic")
    parser.add_argument("--embedding-size", type=int, default=100, help="as LinkEmbedder's")
    parser.add_argument("--batch-size", type=int, default=4096, help="as LinkEmbedder's")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--optimizer", default="auto", help="as LinkEmbedder's")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace numpy allocations (this raises the RSS figures)")
    parser.add_argument("--save", action="store_true",
                        help="append the figures to bench_memory.jsonl in --results-dir")
    args = parser.parse_args(argv)
    from sklearn_linkembed import LinkEmbedder, NegativeSampler, make_bipartite_graph
    n_rows = args.rows or max(args.pairs // 20, 1)
    n_links = args.links or max(args.pairs // 100, 1)

    start = time.perf_counter()
    if args.generator == "synthetic":
        X, _, _ = make_bipartite_graph(n_rows, n_links, args.pairs, n_communities=50,
                                       random_state=0)
    else:
        X = _numpy_graph(n_rows, n_links, args.pairs, seed=0)
    build_s = time.perf_counter() - start
    build_peak = _common.peak_rss_mib()
    print(f"graph ({args.generator}): {n_rows:,} rows x {n_links:,} links, {X.nnz:,} pairs, "
          f"built in {build_s:.1f} s, process peak RSS so far {build_peak:,.0f} MiB")

    _common.import_tensorflow()  # before measuring

    emb = LinkEmbedder(embedding_size=args.embedding_size, batch_size=args.batch_size,
                       epochs=args.epochs, optimizer=args.optimizer, min_count=args.min_count,
                       random_state=0)
    rss_before = _common.status_mib("VmRSS")
    reset = _common.reset_peak_rss()
    if args.tracemalloc:
        tracemalloc.start()
    start = time.perf_counter()
    emb.fit(X)
    fit_s = time.perf_counter() - start
    traced_peak = tracemalloc.get_traced_memory()[1] / MIB if tracemalloc.is_tracing() else None
    tracemalloc.stop()
    fit_peak = _common.status_mib("VmHWM") if reset else None
    process_peak = _common.peak_rss_mib()  # before the sampler below

    csr = _common.csr_mib(X)
    n_kept = len(emb.links_)
    kept_pairs = int(emb.link_counts_.sum())
    # The training tables: rows, links and (with a link-context term) links as targets.
    output = emb.link_output_vectors_
    vectors = (emb.row_vectors_.vectors.nbytes + emb.link_vectors_.vectors.nbytes
               + (output.vectors.nbytes if output is not None else 0)) / MIB
    optimizer = "rowwise_adagrad" if args.optimizer == "auto" else args.optimizer  # logistic
    slots = _SLOTS.get(optimizer, 2)
    state = vectors * (1 + (1 / args.embedding_size if slots is None else slots))
    # The engine's pair bitmap: a bit per row x link cell while small or dense enough,
    # else 32 to 64 bits per pair hashed (NegativeSampler.pair_bitmap, on the same graph).
    hash_bits = NegativeSampler(X, min_count=args.min_count).bitmap_hash_bits
    bits = X.shape[0] * n_kept if hash_bits is None else 2**hash_bits
    bitmap = bits / 8 / MIB
    fit_extra = fit_peak - rss_before if fit_peak is not None else None

    def ratio(value, base):
        return f"{value / base:6.2f} x" if value is not None and base else "     n/a"

    print(f"fit: {args.epochs} epoch(s), batch {args.batch_size}, embedding "
          f"{args.embedding_size}, {args.optimizer}, min_count {args.min_count} -> "
          f"{n_kept:,} links, {kept_pairs:,} pairs kept; {fit_s:.1f} s")
    print(f"  CSR input (data + indices + indptr) {csr:10,.1f} MiB")
    print(f"  fitted vectors (rows + link tables) {vectors:10,.1f} MiB")
    print(f"  training state (+ optimizer slots)  {state:10,.1f} MiB")
    print(f"  pair bitmap                         {bitmap:10,.1f} MiB   "
          f"({'one bit per cell' if hash_bits is None else 'hashed, 32 to 64 bits per pair'})")
    print(f"  RSS before fit (graph, TensorFlow)  {rss_before or 0:10,.1f} MiB")
    if fit_peak is not None:
        print(f"  fit peak RSS                        {fit_peak:10,.1f} MiB")
        print(f"  fit peak RSS - RSS before fit       {fit_extra:10,.1f} MiB   "
              f"{ratio(fit_extra, csr)} CSR   {ratio(fit_extra, csr + vectors)} (CSR + vectors)")
        # The target: the fit's own memory within 4x the input plus the training state.
        print(f"  (fit peak - before - state) / CSR   {(fit_extra - state) / csr:10.2f} x")
    else:
        print("  fit peak RSS                               n/a (no /proc/self/clear_refs)")
    print(f"  process peak RSS (ru_maxrss)        {process_peak:10,.1f} MiB")
    if traced_peak is not None:
        print(f"  traced numpy/Python peak in fit     {traced_peak:10,.1f} MiB   "
              f"{ratio(traced_peak, csr)} CSR")

    if args.save:
        record = {"data": f"{args.generator}, {args.pairs:,} pairs",  # make_table's rows
                  "generator": args.generator, "n_rows": n_rows, "n_links": n_links,
                  "n_pairs": int(X.nnz), "kept_links": n_kept, "kept_pairs": kept_pairs,
                  "embedding_size": args.embedding_size, "batch_size": args.batch_size,
                  "epochs": args.epochs, "optimizer": args.optimizer,
                  "min_count": args.min_count, "build_s": build_s, "fit_s": fit_s,
                  "csr_mib": csr, "vectors_mib": vectors, "state_mib": state, "bitmap_mib": bitmap,
                  "rss_before_mib": rss_before, "fit_peak_rss_mib": fit_peak,
                  "process_peak_rss_mib": process_peak, "traced_peak_mib": traced_peak}
        print("saved to", _common.write_result("bench_memory", record, args.results_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
