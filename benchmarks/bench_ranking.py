"""Full ranking and link neighbours: LinkEmbedder next to Doc2Vec, SVD, popularity, item-kNN, EASE.

Run, one graph per run (on a quiet machine; each graph takes a few minutes on 2 cores)::

    python -m benchmarks.bench_ranking --data films
    python -m benchmarks.bench_ranking --data synthetic
    python -m benchmarks.bench_ranking --data planted
    python -m benchmarks.bench_ranking --data debian     # fetch the index first: _real_graphs.py

Smoke test: ``--rows 2000 --methods linkembedder,svd,popularity --results-dir /tmp/smoke``.

Graphs (``--data``), links in fewer than ``--min-count`` (3) rows dropped first, then
``--holdout`` (0.1) of each row's links held out by ``train_test_split_links(X, 0.1,
random_state=0)`` (``_common.split_data``):

* ``films``: the bundled Wikipedia films (``_common.load_data("films")``);
* ``synthetic``: ``make_seed_shaped_graph(random_state=0)``, the seed notebook's shape;
* ``planted``: ``make_bipartite_graph(5000, 10000, 150000, n_communities=20,
  random_state=0)``, planted communities, small enough for EASE;
* ``debian``: Debian 12's binary packages and the packages they depend on
  (``_real_graphs.load_debian_dependencies``, read from ``--packages``); packages with
  fewer than 2 dependencies left after ``min_count`` are dropped (nothing to hold out).

Methods (``--methods``, comma-separated; all by default), each fitted on the training
part, its fit timed (TensorFlow and gensim imported before the clock), each in a fresh
process (``--in-process`` to turn that off) that also computes its figures:

* ``linkembedder``: ``LinkEmbedder(random_state=0)``, the defaults (skip-gram negative
  sampling with the link-context term);
* ``logistic-old``: ``LinkEmbedder(loss="logistic", link_context=0)``, the logistic
  model before the link-context term;
* ``notebook``: ``LinkEmbedder(**LinkEmbedder.NOTEBOOK)`` (15 epochs of batches of 512:
  slow; leave it out of ``--methods`` to skip it);
* ``doc2vec``: gensim ``Doc2Vec(dm=0, dbow_words=1, vector_size=100, negative=10,
  min_count=1, epochs=15, workers=2, seed=0)`` (other parameters gensim's defaults:
  ``window=5``, ``sample=1e-3``) on one document of link ids per row; a (row, link)
  pair scores ``unit(doc vector) . syn1neg[link]``, as LinkEmbedder scores
  ``unit(row) . output vector`` (fed to the evaluation as cosines of padded vectors,
  see :func:`dot_as_cosine`: the same order, exactly); ``doc2vec-cos``, a row of the
  table without a fit of its own, is the same fit scored by the cosine of the doc
  vector and ``syn1neg`` (as ``bench_baselines.py`` scores it);
* ``svd``: ``TruncatedSVD(100, random_state=0)`` of the binary training matrix, rows
  ``U * Sigma``, links ``V``, scored by cosine;
* ``popularity`` and ``item-knn``: the baselines of ``sklearn_linkembed.evaluation``
  (training degree; summed cosine of the link's column with the row's links' columns);
* ``ease``: EASE (Steck 2019), closed form: ``P = inv(X^T X + 200 I)``, ``B = I - P /
  diag(P)`` (so ``diag(B) = 0``), scores ``X_train @ B``. Dense ``n_links^2``, so only
  on graphs of at most ``--ease-max-links`` (15,000) links, and scored through an
  ``n_rows x n_links`` float64 matrix (kept on disk in a temporary file; about
  ``2 * 8 * n_rows * n_known_links`` bytes of memory while scoring): skipped, and said
  so, where that does not fit in the memory available.

Figures of each method:

* **ranking**: ``sklearn_linkembed.evaluation.link_prediction_scores`` on the held-out
  links with each method's own scores: sampled ``roc_auc``, ``mrr``, ``hits@10`` and
  full-ranking ``recall@10`` and ``ndcg@10`` (every known link ranked, training links
  excluded; ``--n-queries`` rows and queries, 1000);
* **link neighbours**: for at most 500 links in at least 20 training rows (seeded), the
  10 nearest known links by the method's own link similarity: ``most_similar(link,
  query="link")`` for LinkEmbedder (the old models: the cosine of ``link_vectors_``),
  the cosine of the link vectors for Doc2Vec (``wv``, as gensim's
  ``wv.most_similar``) and SVD (``V``), the cosine of the columns of ``X_train`` for
  item-kNN, the largest ``B[link, :]`` for EASE (what the link adds to other links'
  scores) and the 10 most popular links for popularity. Of those neighbours, the share
  that co-occur with the link in a held-out row (``nb_test``: both links among the row's
  held-out links in ``X_test``), in a row where at least one of the two is held out
  (``nb_held``: a co-occurrence the training part does not show in that row) and in any
  row (``nb_any``); and how generic they are: the median training degree of the 10
  neighbours (``nb_degree``, the median over queries) and its ratio to the query's own
  degree (``nb_degree_ratio``, the median over queries; above 1: more popular links);
* **row to link**: for 300 rows with at least 5 training links (seeded), the median
  rank of a row's own training links among all known links in its row-to-link query
  (``model.most_similar(row, target="link")`` for LinkEmbedder, i.e. ``link_scores``;
  each method's pair scores otherwise), 1 the best; the median over rows
  (``row_rank``).

A table per graph is printed; every method's figures are appended to
``benchmarks/results/bench_ranking.jsonl`` (one JSON object a line).
"""

import dataclasses
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import _common, _real_graphs

GRAPHS = ("films", "synthetic", "planted", "debian")
METHODS = ("linkembedder", "logistic-old", "notebook", "doc2vec", "svd", "popularity",
           "item-knn", "ease")
LINKEMBEDDER_PARAMS = {
    "linkembedder": {},
    "logistic-old": {"loss": "logistic", "link_context": 0.0},
    "notebook": "NOTEBOOK",  # LinkEmbedder.NOTEBOOK, read in the child process
}
PLANTED = {"n_rows": 5000, "n_links": 10000, "n_pairs": 150000, "n_communities": 20,
           "random_state": 0}
EMBEDDING_SIZE = 100
DOC2VEC_EPOCHS = 15
EASE_LAMBDA = 200.0
EASE_MAX_LINKS = 15_000
TOPN = 10
QUERY_MIN_DEGREE = 20
N_QUERY_LINKS = 500
ROW_MIN_LINKS = 5
N_QUERY_ROWS = 300
RANKING = ("recall@10", "ndcg@10", "roc_auc", "mrr", "hits@10")


# -- graphs ------------------------------------------------------------------

def load_graph(name, *, min_count=3, rows=None, packages=None):
    """The ``_common.Data`` of graph ``name`` (before the split)."""
    if name in _common.DATASETS:
        return _common.load_data(name, min_count=min_count, rows=rows)
    if name == "planted":
        from sklearn_linkembed import make_bipartite_graph

        X, row_communities, link_communities = make_bipartite_graph(**PLANTED)
        X = sp.csr_matrix(X[:rows], dtype=np.float32)
        keep = np.flatnonzero(np.diff(X.tocsc().indptr) >= min_count)
        X = X[:, keep].tocsr()
        X.sort_indices()
        return _data_of_matrix(name, X, list(range(X.shape[0])), [f"l{j}" for j in keep],
                               min_count, rows,
                               {"row_communities": row_communities[:rows],
                                "link_communities": link_communities[keep]})
    if name == "debian":
        names, lists = _real_graphs.load_debian_dependencies(packages)
        lists = lists[:rows]
        counts = Counter(link for links in lists for link in links)
        link_names = [link for link, count in counts.items() if count >= min_count]
        index = {link: j for j, link in enumerate(link_names)}
        ids = [[index[link] for link in links if link in index] for links in lists]
        kept = [i for i, row in enumerate(ids) if len(row) >= 2]
        pairs_rows = np.repeat(np.arange(len(kept)), [len(ids[i]) for i in kept])
        pairs_links = np.fromiter((j for i in kept for j in ids[i]), dtype=np.int64,
                                  count=len(pairs_rows))
        X = sp.csr_matrix((np.ones(len(pairs_rows), dtype=np.float32),
                           (pairs_rows, pairs_links)), shape=(len(kept), len(link_names)))
        X.sort_indices()
        return _common.Data(name, X, [names[i] for i in kept], link_names, pairs_rows,
                            pairs_links, min_count, rows,
                            {"packages_in_index": len(names)})
    raise ValueError(f"unknown graph {name!r}; expected one of {GRAPHS}")


def _data_of_matrix(name, X, row_names, link_names, min_count, rows, extra):
    pairs_rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    return _common.Data(name, X, row_names, link_names, pairs_rows,
                        X.indices.astype(np.int64), min_count, rows, extra)


# -- scores as cosines ---------------------------------------------------------

def dot_as_cosine(rows, links):
    """``(R, V)`` whose cosines are ``rows . links`` divided by one positive constant.

    ``link_prediction_scores`` scores a ``(row_vectors, link_vectors)`` tuple by
    cosine; a method that scores pairs by a dot product (Doc2Vec's ``unit(doc) .
    syn1neg``) gets the same order, within and across rows, from vectors padded to
    one norm each: ``R = [rows, sqrt(r^2 - |rows|^2), 0]`` and ``V = [links, 0,
    sqrt(v^2 - |links|^2)]`` with ``r`` and ``v`` the largest norms, so ``cos(R_i,
    V_l) = rows_i . links_l / (r v)``. A zero link (no vector) stays zero.
    """
    rows = np.asarray(rows, dtype=np.float64)
    links = np.asarray(links, dtype=np.float64)
    R = np.zeros((rows.shape[0], rows.shape[1] + 2))
    V = np.zeros((links.shape[0], links.shape[1] + 2))
    R[:, :-2], V[:, :-2] = rows, links
    row_norms = np.einsum("ij,ij->i", rows, rows)
    link_norms = np.einsum("ij,ij->i", links, links)
    R[:, -2] = np.sqrt(np.maximum(row_norms.max() - row_norms, 0.0))
    has_vector = link_norms > 0
    V[has_vector, -1] = np.sqrt(np.maximum(link_norms.max() - link_norms[has_vector], 0.0))
    return R, V


def _unit(a):
    a = np.asarray(a, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", a, a))[:, None]
    return np.divide(a, norms, out=np.zeros_like(a), where=norms > 0)


def _top_neighbours(similarity, queries, known_columns, topn=TOPN):
    """Column ids of the ``topn`` best of each row of ``similarity`` (over ``known_columns``),
    the query itself left out."""
    similarity = np.array(similarity, dtype=np.float64)
    similarity[known_columns[None, :] == queries[:, None]] = -np.inf
    top = np.argpartition(-similarity, topn, axis=1)[:, :topn]
    order = np.argsort(-np.take_along_axis(similarity, top, axis=1), axis=1, kind="stable")
    return known_columns[np.take_along_axis(top, order, axis=1)]


def _meminfo(field):
    return _common.proc_mib("/proc/meminfo", field)


# -- one method: fit, ranking scores, neighbours, row-to-link scores ------------------

def run_method(method, X_train, X_test, known, queries, rows, seed, n_queries,
               ease_max_links):
    """Fit ``method`` on ``X_train`` and return its figures (runs in a fresh process).

    Returns a dict: ``fit_s`` (and ``import_s``), the ranking scores of
    ``link_prediction_scores``, ``neighbours`` (column ids, ``len(queries) x 10``) and
    ``row_scores`` (``len(rows) x n_known``: each sampled row's scores of the known
    links, in column order); or ``skipped`` with the reason.
    """
    from sklearn_linkembed import link_prediction_scores

    known_columns = np.flatnonzero(known)
    out = {"import_s": 0.0}

    def scores_of(model):
        return link_prediction_scores(model, X_train, X_test, n_queries=n_queries,
                                      random_state=0)

    if method in LINKEMBEDDER_PARAMS:
        out["import_s"] = _common.import_tensorflow()
        from sklearn_linkembed import LinkEmbedder

        params = LINKEMBEDDER_PARAMS[method]
        params = dict(LinkEmbedder.NOTEBOOK) if params == "NOTEBOOK" else params
        model = LinkEmbedder(random_state=seed, **params)
        with _common.Timer() as timer:
            model.fit(X_train)
        out["fit_s"] = timer.seconds
        out["params"] = params
        out.update(scores_of(model))
        columns = np.asarray(model.links_, dtype=np.int64)  # fitted on a matrix: column ids
        if not np.array_equal(np.sort(columns), known_columns):
            raise RuntimeError("the model's links are not the known links of the benchmark")
        # "Links like this link" is most_similar(query="link"): the table that query uses
        # (with link_context > 0 the normalised sum of unit input and output vectors, with
        # link_context=0 link_vectors_) compared by cosine. It is asked link by link
        # through the public method (500 queries take well under a second) rather than
        # read from the model's private similarity table, so that the benchmark follows
        # whatever the query does.
        out["neighbours"] = np.array([[key for key, _ in model.most_similar(
            int(q), query="link", topn=TOPN)] for q in queries], dtype=np.int64)
        # Row to link: link_scores, which most_similar(row, target="link") returns.
        scores = model.link_scores(X_train[rows])
        check = model.most_similar(int(rows[0]), target="link", topn=None)
        if not np.allclose(check, scores[0], atol=1e-5):
            raise RuntimeError("link_scores and most_similar(target='link') disagree")
        out["row_scores"] = scores[:, np.argsort(columns)]
        return out

    if method == "doc2vec":
        import gensim  # noqa: F401  (imported before the clock, like TensorFlow)
        from gensim.models.doc2vec import Doc2Vec, TaggedDocument

        corpus = [TaggedDocument([str(j) for j in X_train.indices[start:end]], [i])
                  for i, (start, end) in enumerate(zip(X_train.indptr[:-1], X_train.indptr[1:]))]
        params = {"dm": 0, "dbow_words": 1, "vector_size": EMBEDDING_SIZE, "negative": 10,
                  "min_count": 1, "epochs": DOC2VEC_EPOCHS, "workers": 2, "seed": seed}
        with _common.Timer() as timer:
            model = Doc2Vec(corpus, **params)
        out["fit_s"] = timer.seconds
        out["params"] = params
        columns = np.array([int(word) for word in model.wv.index_to_key], dtype=np.int64)
        n_links = X_train.shape[1]
        output = np.zeros((n_links, EMBEDDING_SIZE))
        output[columns] = model.syn1neg
        words = np.zeros((n_links, EMBEDDING_SIZE))
        words[columns] = model.wv.vectors
        if len(model.dv) != X_train.shape[0]:
            raise RuntimeError(f"Doc2Vec has {len(model.dv)} document vectors for "
                               f"{X_train.shape[0]} rows")
        docs = _unit(model.dv.vectors)
        out.update(scores_of(dot_as_cosine(docs, output)))
        out["neighbours"] = _top_neighbours(_unit(words[queries]) @ _unit(words[known_columns]).T,
                                            queries, known_columns)
        out["row_scores"] = docs[rows] @ output[known_columns].T
        # The same fit scored by cosine (syn1neg normalised), as bench_baselines does.
        unit_output = _unit(output)
        out["variants"] = {"doc2vec-cos": {
            **scores_of((docs, unit_output)), "neighbours": out["neighbours"],
            "row_scores": docs[rows] @ unit_output[known_columns].T}}
        return out

    if method == "svd":
        from sklearn.decomposition import TruncatedSVD

        with _common.Timer() as timer:
            svd = TruncatedSVD(EMBEDDING_SIZE, random_state=seed)
            row_vectors = svd.fit_transform(X_train)
        out["fit_s"] = timer.seconds
        link_vectors = svd.components_.T
        out.update(scores_of((row_vectors, link_vectors)))
        unit_links = _unit(link_vectors)
        out["neighbours"] = _top_neighbours(unit_links[queries] @ unit_links[known_columns].T,
                                            queries, known_columns)
        out["row_scores"] = _unit(row_vectors[rows]) @ unit_links[known_columns].T
        return out

    if method == "popularity":
        with _common.Timer() as timer:
            degree = np.diff(X_train.tocsc().indptr).astype(np.float64)
        out["fit_s"] = timer.seconds
        out.update(scores_of("popularity"))
        out["neighbours"] = _top_neighbours(np.tile(degree[known_columns], (len(queries), 1)),
                                            queries, known_columns)
        out["row_scores"] = np.tile(degree[known_columns], (len(rows), 1))
        return out

    if method == "item-knn":
        with _common.Timer() as timer:  # the link x link cosines, what item-kNN sums
            columns = sp.csc_matrix(X_train, dtype=np.float64)
            norms = np.sqrt(np.asarray(columns.multiply(columns).sum(axis=0)).ravel())
            columns = columns @ sp.diags(np.divide(1.0, norms, out=np.zeros_like(norms),
                                                   where=norms > 0))
            cosine = sp.csr_matrix(columns.T @ columns)
        out["fit_s"] = timer.seconds
        out.update(scores_of("item-knn"))
        out["neighbours"] = _top_neighbours(cosine[queries][:, known_columns].toarray(),
                                            queries, known_columns)
        out["row_scores"] = (sp.csr_matrix(X_train[rows], dtype=np.float64)
                             @ cosine[:, known_columns]).toarray()
        return out

    if method == "ease":
        return _run_ease(X_train, X_test, known_columns, queries, rows, n_queries,
                         ease_max_links, out, scores_of)
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")


def _run_ease(X_train, X_test, known_columns, queries, rows, n_queries, ease_max_links, out,
              scores_of):
    n_rows, n_links = X_train.shape
    if n_links > ease_max_links:
        return {"skipped": f"{n_links:,} links > --ease-max-links {ease_max_links:,} "
                           "(EASE's B is dense n_links x n_links)"}
    d = known_columns.size + 1
    # Memory while scoring: the evaluation's two float64 copies of the row and link
    # matrices (the ones given here live in a temporary file); B and P are freed first.
    need = 2 * 8 * (n_rows + n_links) * d / 2**20
    fit_need = 3 * 8 * n_links**2 / 2**20
    available = _meminfo("MemAvailable")
    if available is not None and max(need, fit_need) + 2048 > available:
        return {"skipped": f"needs about {max(need, fit_need):,.0f} MiB, "
                           f"{available:,.0f} MiB available"}
    X = sp.csr_matrix(X_train, dtype=np.float64)
    with _common.Timer() as timer:
        gram = (X.T @ X).toarray()
        gram[np.diag_indices(n_links)] += EASE_LAMBDA
        P = np.linalg.inv(gram)
        del gram
        B = P / -np.diag(P)[None, :]  # B[i, j] = -P[i, j] / P[j, j]
        del P
        np.fill_diagonal(B, 0.0)  # B = I - P / diag(P): its diagonal is 0
    out["fit_s"] = timer.seconds
    out["params"] = {"lambda": EASE_LAMBDA}
    weights = B[queries][:, known_columns]  # what each query link adds to the others' scores
    out["neighbours"] = _top_neighbours(weights, queries, known_columns)
    with tempfile.TemporaryDirectory(prefix="bench_ranking_ease_") as folder:
        # Scores X_train @ B as cosines (see dot_as_cosine): R = [S_i, pad] at one norm,
        # V = one-hot of the known links, so cos(R_i, V_l) = S_il / norm, exactly.
        R = np.memmap(Path(folder) / "rows.f8", dtype=np.float64, mode="w+", shape=(n_rows, d))
        block = max(1, (1 << 25) // n_links)
        for start in range(0, n_rows, block):
            R[start:start + block, :-1] = (X[start:start + block] @ B)[:, known_columns]
        del B
        norms = np.zeros(n_rows)
        for start in range(0, n_rows, block):
            part = R[start:start + block, :-1]
            norms[start:start + block] = np.einsum("ij,ij->i", part, part)
        R[:, -1] = np.sqrt(np.maximum(norms.max() - norms, 0.0))
        R.flush()
        out["row_scores"] = np.array(R[rows, :-1])
        V = np.memmap(Path(folder) / "links.f8", dtype=np.float64, mode="w+", shape=(n_links, d))
        V[known_columns, np.arange(known_columns.size)] = 1.0
        V.flush()
        out.update(scores_of((R, V)))
        del R, V
    return out


# -- the measures computed from what each method returned -------------------------------

@dataclasses.dataclass
class Probes:
    """What every method of one graph is asked: the same links, rows and co-occurrences."""

    known: np.ndarray  # links in >= min_count training rows
    queries: np.ndarray  # column ids of the query links
    rows: np.ndarray  # the sampled rows
    degree: np.ndarray  # training degree of every link
    co_test: sp.csr_matrix  # (queries x links) > 0: both held out in one row
    co_held: sp.csr_matrix  # > 0: in one row, at least one of the two held out
    co_any: sp.csr_matrix  # > 0: in one row


def make_probes(data, seed):
    X_train, X_test = data.X, data.X_test
    degree = np.diff(X_train.tocsc().indptr)
    known = degree >= data.min_count
    rng = np.random.RandomState(seed)
    candidates = np.flatnonzero(degree >= QUERY_MIN_DEGREE)
    queries = np.sort(rng.choice(candidates, min(N_QUERY_LINKS, candidates.size), replace=False))
    eligible = np.flatnonzero(np.asarray(X_train[:, known].sum(axis=1)).ravel() >= ROW_MIN_LINKS)
    rows = np.sort(rng.choice(eligible, min(N_QUERY_ROWS, eligible.size), replace=False))
    full = sp.csr_matrix(X_train + X_test, dtype=np.float64)
    full.data[:] = 1.0
    train = sp.csr_matrix(X_train, dtype=np.float64)
    test = sp.csr_matrix(X_test, dtype=np.float64)
    co_any = sp.csr_matrix(full[:, queries].T @ full)
    co_train = sp.csr_matrix(train[:, queries].T @ train)
    co_held = sp.csr_matrix(co_any - co_train)  # rows where not both are training links
    co_held.eliminate_zeros()
    return Probes(known, queries, rows, degree,
                  sp.csr_matrix(test[:, queries].T @ test), co_held, co_any)


def neighbour_measures(probes, neighbours):
    """Shares of co-occurring neighbours and their genericness (see the module docstring)."""
    queries = np.repeat(np.arange(len(probes.queries)), neighbours.shape[1])
    flat = neighbours.ravel()

    def share(co):
        hit = np.asarray(co[queries, flat]).ravel() > 0
        return float(hit.reshape(neighbours.shape).mean(axis=1).mean())

    nb_degree = np.median(probes.degree[neighbours], axis=1)
    return {"nb_test": share(probes.co_test), "nb_held": share(probes.co_held),
            "nb_any": share(probes.co_any), "nb_degree": float(np.median(nb_degree)),
            "nb_degree_ratio": float(np.median(nb_degree / probes.degree[probes.queries])),
            "query_degree": float(np.median(probes.degree[probes.queries]))}


def row_rank(probes, X_train, row_scores):
    """Median over rows of the median rank (1 = best) of a row's own known training links."""
    known_columns = np.flatnonzero(probes.known)
    position = np.full(probes.known.size, -1)
    position[known_columns] = np.arange(known_columns.size)
    medians = []
    for scores, row in zip(np.asarray(row_scores, dtype=np.float64), probes.rows):
        own = position[X_train.indices[X_train.indptr[row]:X_train.indptr[row + 1]]]
        own = own[own >= 0]
        ordered = np.sort(scores)
        greater = ordered.size - np.searchsorted(ordered, scores[own], side="right")
        ties = np.searchsorted(ordered, scores[own], side="right") - np.searchsorted(
            ordered, scores[own], side="left")
        medians.append(np.median(1 + greater + (ties - 1) / 2))  # ties share their places
    return float(np.median(medians))


# -- the run -------------------------------------------------------------------

def main(argv=None):
    parser = _common.make_parser(__doc__, graph=("min_count", "rows", "holdout"), holdout=0.1,
                                 seed=0, isolate=True)
    parser.add_argument("--data", choices=GRAPHS, default="films", help="graph to rank on")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated, of {', '.join(METHODS)} (notebook is slow)")
    parser.add_argument("--packages", type=Path, default=_real_graphs.DEBIAN_PACKAGES,
                        help="Debian Packages index for --data debian; fetch it once with: "
                             + _real_graphs.FETCH_DEBIAN.replace("%", "%%"))
    parser.add_argument("--n-queries", type=int, default=1000,
                        help="rows and queries of link_prediction_scores' rankings")
    parser.add_argument("--ease-max-links", type=int, default=EASE_MAX_LINKS,
                        help="skip EASE on graphs with more links (B is dense)")
    args = parser.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown or not methods:
        parser.error(f"unknown or no methods {sorted(unknown)}; choose from {METHODS}")

    data = _common.split_data(load_graph(args.data, min_count=args.min_count, rows=args.rows,
                                         packages=args.packages), args.holdout)
    print(data.describe(), flush=True)
    graph = {"data": data.tag, "graph": data.describe()}
    if args.data == "debian":
        graph["source"] = str(args.packages)
        graph["sha256"] = _real_graphs.file_digest(args.packages)
    if args.data == "planted":
        graph["generator"] = PLANTED
    probes = make_probes(data, args.seed)
    print(f"{len(probes.queries)} query links (>= {QUERY_MIN_DEGREE} training rows, median "
          f"degree {np.median(probes.degree[probes.queries]):.0f}); {len(probes.rows)} query "
          f"rows (>= {ROW_MIN_LINKS} training links); {probes.known.sum():,} known links",
          flush=True)

    run = _common.new_run_id()
    results = []
    for method in methods:
        print(f"{method}: fitting and scoring ...", flush=True)
        with _common.Timer() as total:
            figures, peak = _common.isolated(
                run_method, method, data.X, data.X_test, probes.known, probes.queries,
                probes.rows, args.seed, args.n_queries, args.ease_max_links,
                isolate=not args.in_process)
        record = {"method": method, "peak_rss_mib": peak, "total_s": total.seconds}
        if "skipped" in figures:
            record["skipped"] = figures["skipped"]
            print(f"{method}: skipped: {figures['skipped']}", flush=True)
            records = [record]
        else:
            variants = figures.pop("variants", {})
            records = [_measured(record, figures, probes, data)]
            for name, scores in variants.items():  # the same fit, scored another way
                records.append(_measured({**record, "method": name, "fit_of": method},
                                         {**figures, **scores}, probes, data))
            print(f"{method}: fit {record['fit_s']:.2f} s, recall@10 {record['recall@10']:.3f}, "
                  f"{total.seconds:.0f} s in all", flush=True)
        for record in records:
            results.append(record)
            path = _common.write_result("bench_ranking", {
                "run": run, **graph, "seed": args.seed, "n_queries": args.n_queries, **record},
                args.results_dir)
    print()
    print_table(data, probes, results)
    print(f"figures: {path}")


def _measured(record, figures, probes, data):
    """``record`` updated with ``figures`` and the neighbour and row-rank measures."""
    figures = dict(figures)
    neighbours = figures.pop("neighbours")
    row_scores = figures.pop("row_scores")
    record.update(figures)
    record.update(neighbour_measures(probes, neighbours))
    record["row_rank"] = row_rank(probes, data.X, row_scores)
    return record


def print_table(data, probes, results):
    print(f"{data.describe()}")
    print(f"link neighbours: {len(probes.queries)} links in >= {QUERY_MIN_DEGREE} training rows "
          f"(median degree {np.median(probes.degree[probes.queries]):.0f}); row rank: "
          f"{len(probes.rows)} rows with >= {ROW_MIN_LINKS} training links, "
          f"{probes.known.sum():,} known links")
    columns = [("fit s", "fit_s", "{:.2f}"), ("R@10", "recall@10", "{:.3f}"),
               ("NDCG@10", "ndcg@10", "{:.3f}"), ("AUC", "roc_auc", "{:.3f}"),
               ("MRR", "mrr", "{:.3f}"), ("H@10", "hits@10", "{:.3f}"),
               ("nb test", "nb_test", "{:.3f}"), ("nb held", "nb_held", "{:.3f}"),
               ("nb any", "nb_any", "{:.3f}"), ("nb deg", "nb_degree", "{:.0f}"),
               ("deg ratio", "nb_degree_ratio", "{:.2f}"), ("row rank", "row_rank", "{:.1f}")]
    header = f"{'method':<14}" + "".join(f" {name:>9}" for name, _, _ in columns)
    print(header)
    print("-" * len(header))
    for record in results:
        if "skipped" in record:
            print(f"{record['method']:<14} skipped: {record['skipped']}")
            continue
        print(f"{record['method']:<14}" + "".join(
            f" {fmt.format(record[key]):>9}" for _, key, fmt in columns))


if __name__ == "__main__":
    main()
