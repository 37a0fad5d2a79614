"""Quality per second: LinkEmbedder against gensim's PV-DBOW, truncated SVD and the notebook.

Run (on a quiet machine; the films graph takes a few minutes, the synthetic one longer)::

    python -m benchmarks.bench_baselines --data films
    python -m benchmarks.bench_baselines --data synthetic

Smoke test: ``--rows 2000 --epochs 1 --results-dir /tmp/smoke``. Add ``--methods ...,reference`` to also
train the notebook's Keras model (slow), ``--dbow-words`` for PV-DBOW with
skip-gram word training.

Holds out ``--holdout`` (0.1) of every row's links, then fits and times each
method on the rest, on the same graph:

* ``linkembedder``: :class:`~sklearn_linkembed.LinkEmbedder` at its defaults
  (``random_state=0``); row vectors are its folded-in ``row_vectors_``;
* ``doc2vec``: gensim ``Doc2Vec(dm=0, vector_size=50, negative=10, min_count=3,
  epochs=15, workers=2, seed=0)`` on one ``TaggedDocument`` of link names per
  row; row vectors ``model.dv.vectors``, link vectors ``model.syn1neg`` (the
  output vectors the row vectors are trained against), mapped to columns through
  ``model.wv.index_to_key``; ``doc2vec-dbow-words``: the same with
  ``dbow_words=1``;
* ``svd`` / ``svd-tfidf``: ``TruncatedSVD(50, random_state=0)`` of the binary
  matrix / of its ``TfidfTransformer()`` weighting; row vectors ``U * Sigma``,
  link vectors the components ``V``;
* ``reference``: the notebook's training (``benchmarks.reference_seed.train_reference``).

Each fit runs in a fresh process (``--in-process`` to turn that off): wall time
and peak memory (``getrusage``) are the method's own; building the input
(documents, matrices) is not timed. Vectors are saved to
``benchmarks/results/<method>_<data>-holdout0.1_{rows,links}.npy`` (rows and
links indexed like the graph's matrix; zeros for a link without a vector);
vectors of a method not fitted in this run but saved by an earlier one (e.g.
``benchmarks.reference_seed --holdout 0.1``) are scored too. Scores are the link
prediction scores of ``sklearn_linkembed.evaluation`` on the held-out links
(with the popularity baseline) and, on the synthetic graph, the recovery of the
planted row communities. Figures are appended to
``benchmarks/results/bench_baselines.jsonl``.
"""

import argparse
import json

import numpy as np

from . import _common
from .reference_seed import train_reference

METHODS = ("linkembedder", "doc2vec", "doc2vec-dbow-words", "svd", "svd-tfidf", "reference")
DEFAULT_METHODS = "linkembedder,doc2vec,svd,svd-tfidf"
EMBEDDING_SIZE = 50


# -- the methods: each returns (row_vectors, link_vectors by column, seconds) ---

def fit_doc2vec(documents, n_links, epochs, seed, dbow_words):
    from gensim.models.doc2vec import Doc2Vec, TaggedDocument

    corpus = [TaggedDocument(words, [i]) for i, words in enumerate(documents)]
    with _common.Timer() as timer:
        model = Doc2Vec(corpus, dm=0, dbow_words=int(dbow_words), vector_size=EMBEDDING_SIZE,
                        negative=10, min_count=3, epochs=epochs, workers=2, seed=seed)
    # Words are column numbers as strings, so index_to_key maps syn1neg to columns.
    columns = np.array([int(word) for word in model.wv.index_to_key], dtype=np.int64)
    links = np.zeros((n_links, EMBEDDING_SIZE), dtype=np.float32)
    links[columns] = model.syn1neg
    return np.asarray(model.dv.vectors), links, timer.seconds


def fit_svd(X, tfidf, seed):
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfTransformer

    with _common.Timer() as timer:
        matrix = TfidfTransformer().fit_transform(X) if tfidf else X
        svd = TruncatedSVD(EMBEDDING_SIZE, random_state=seed)
        rows = svd.fit_transform(matrix)
    return rows, svd.components_.T, timer.seconds


def fit_reference(data, epochs):
    rows, links, seconds, _ = train_reference(data.pairs_rows, data.pairs_links, data.n_rows,
                                              data.n_links, epochs)
    return rows, links, seconds


def _documents(data):
    """Each row's links (column numbers as strings), in the notebook's order."""
    words = data.pairs_links.astype(str)
    return [list(w) for w in np.split(words, np.cumsum(np.bincount(
        data.pairs_rows, minlength=data.n_rows))[:-1])]


def _fit(method, data, args):
    if method == "linkembedder":
        # TensorFlow is imported before the clock starts, as Keras is for the
        # reference and gensim for Doc2Vec: a process pays it once, not per fit.
        (rows, links, seconds, _), peak = _common.isolated(
            _common.fit_linkembedder, data.X, args.params, args.seed,
            isolate=not args.in_process)
        return (rows, links, seconds), peak
    if method.startswith("doc2vec"):
        return _common.isolated(fit_doc2vec, _documents(data), data.n_links, args.epochs,
                                args.seed, method == "doc2vec-dbow-words",
                                isolate=not args.in_process)
    if method.startswith("svd"):
        return _common.isolated(fit_svd, data.X, method == "svd-tfidf", args.seed,
                                isolate=not args.in_process)
    return _common.isolated(fit_reference, data, args.epochs, isolate=not args.in_process)


def main(argv=None):
    parser = _common.make_parser(__doc__, holdout=0.1, seed=0, params=True, isolate=True)
    parser.add_argument("--linkembedder", dest="params", type=_common.json_object,
                        default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # --params' old name
    parser.add_argument("--methods", default=DEFAULT_METHODS,
                        help=f"comma-separated, of {', '.join(METHODS)}")
    parser.add_argument("--dbow-words", action="store_true",
                        help="also run doc2vec-dbow-words (PV-DBOW with dbow_words=1)")
    parser.add_argument("--epochs", type=int, default=15,
                        help="epochs of Doc2Vec and the reference")
    args = parser.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    if args.dbow_words and "doc2vec-dbow-words" not in methods:
        methods.append("doc2vec-dbow-words")
    unknown = set(methods) - set(METHODS)
    if unknown or not methods:
        parser.error(f"unknown or no methods {sorted(unknown)}; choose from {METHODS}")

    data = _common.load_data_from_args(args)
    print(data.describe())

    results = []
    for method in methods:
        print(f"{method}: fitting ...", flush=True)
        (rows, links, seconds), peak = _fit(method, data, args)
        paths = _common.save_vectors(method, data.tag, rows, links, args.results_dir)
        results.append({"method": method, "seconds": seconds, "peak_rss_mib": peak,
                        "epochs": args.epochs if method == "reference"
                        or method.startswith("doc2vec") else None,
                        "params": json.dumps(args.params) if method == "linkembedder" else None,
                        "vectors": [str(p) for p in paths], "trained_here": True})
        print(f"{method}: {seconds:.2f} s, peak {peak:,.0f} MiB", flush=True)
    for method in METHODS:  # vectors an earlier run saved for this very graph and split
        if method not in methods and (args.results_dir / f"{method}_{data.tag}_rows.npy").exists():
            results.append({"method": method, "seconds": None, "peak_rss_mib": None,
                            "epochs": None, "trained_here": False})

    run = _common.new_run_id()
    for record in results:
        rows, links = _common.load_vectors(record["method"], data.tag, args.results_dir)
        with _common.Timer() as timer:
            record.update(_common.score_vectors(data, rows, links))
        record["scoring_s"] = timer.seconds
        path = _common.write_result("bench_baselines", {
            "run": run, "data": data.tag, "graph": data.describe(), **record}, args.results_dir)
    _print_table(results)
    print(f"figures: {path}")


def _print_table(results):
    measures = [m for m in ("roc_auc", "mrr", "hits@10", "community_ari")
                if any(m in r for r in results)]
    header = f"{'method':<20} {'fit s':>8} {'peak MiB':>9}" + "".join(
        f" {m:>13}" for m in measures)
    print(header)
    print("-" * len(header))
    for r in results:
        seconds = "-" if r["seconds"] is None else f"{r['seconds']:.2f}"
        peak = "-" if r["peak_rss_mib"] is None else f"{r['peak_rss_mib']:,.0f}"
        print(f"{r['method']:<20} {seconds:>8} {peak:>9}" + "".join(
            f" {r[m]:>13.3f}" if m in r else f" {'-':>13}" for m in measures)
            + ("" if r["trained_here"] else "  (vectors of an earlier run)"))
    popularity = [m for m in ("roc_auc", "mrr", "hits@10") if f"popularity_{m}" in results[0]]
    if popularity:
        print(f"{'popularity baseline':<20} {'-':>8} {'-':>9}" + "".join(
            f" {results[0]['popularity_' + m]:>13.3f}" if m in popularity else f" {'-':>13}"
            for m in measures))


if __name__ == "__main__":
    main()
