"""Link prediction: hold out links, score embeddings, compare with popularity, select models.

How good is an embedding of rows and links? The question this module answers is the one
the model is trained on: do true (row, link) pairs score higher than non-pairs? Hold out a
tenth of each row's links, fit on the rest, and score the held-out pairs:

>>> import numpy as np
>>> from sklearn_linkembed.datasets import make_bipartite_graph
>>> from sklearn_linkembed.evaluation import (
...     link_prediction_report, link_prediction_scores, train_test_split_links)
>>> X, _, _ = make_bipartite_graph(200, 300, 2000, n_communities=4, random_state=0)
>>> X_train, X_test = train_test_split_links(X, test_size=0.2, random_state=0)
>>> X_train.nnz + X_test.nnz == X.nnz
True

A model is usually a fitted ``LinkEmbedder(random_state=0).fit(X_train)``. Here an oracle
that knows the answers (each row's vector points at its held-out links) shows the scale:

>>> oracle = (X_test.toarray(), np.eye(X.shape[1]))
>>> scores = link_prediction_scores(oracle, X_train, X_test)
>>> scores["roc_auc"], scores["mrr"], scores["hits@10"]
(1.0, 1.0, 1.0)

Two lessons from measuring real link graphs shape the defaults:

- Against uniformly drawn non-pairs, ranking links by their training degree, with no
  embedding at all, already scores high: held-out pairs go to popular links, random
  non-pairs mostly to rare ones. A score means little without that baseline, so
  :func:`link_prediction_report` always prints the model next to it (and
  ``link_prediction_scores("popularity", ...)`` computes it alone).
- Links in fewer than ``min_count`` training rows get no vector, and every pair that
  uses them scores as a guess. By default (``known_only=True``) positives, negatives and
  candidates are restricted to the links the model knows, and the result says how many
  held-out pairs that leaves out (``n_excluded``).

>>> print(link_prediction_report(oracle, X_train, X_test))
            roc_auc    mrr  hits@10
model         1.000  1.000    1.000
popularity    0.778  0.214    0.464
<BLANKLINE>
held-out pairs: 398, excluded (no vector or < 3 training rows): 91, scored: 307
ROC-AUC against 307 random non-pairs; MRR and Hits@10: 307 queries x 100 candidates

:func:`make_link_prediction_scorer` turns the same idea into a scorer for
:class:`~sklearn.model_selection.GridSearchCV`, which needs no labels: the rows of each
validation fold are folded in from part of their links and must find the others.
:func:`community_recovery_score` measures how well vectors recover planted communities.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import digamma
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, roc_auc_score
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from ._graph import graph_from_input

__all__ = [
    "community_recovery_score",
    "link_prediction_report",
    "link_prediction_scores",
    "make_link_prediction_scorer",
    "train_test_split_links",
]

# Ranks are "Hits@k" for this k.
_HITS_AT = 10
# The default min_count of LinkEmbedder: the links a default model keeps.
_DEFAULT_MIN_COUNT = 3
# Rounds of rejection sampling of non-links before a draw is given up (and masked out).
_MAX_ROUNDS = 100
# Floats gathered per block when scoring candidates (bounds memory, not a loop per pair).
_FLOATS_PER_BLOCK = 1 << 22


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "test_size": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def train_test_split_links(X, test_size=0.1, *, random_state=None):
    """Hold out a fraction of every row's links.

    Each row with ``d`` links holds out ``floor(test_size * d + u)`` of them, ``u``
    uniform in [0, 1) per row (so ``test_size * d`` on average, even for rows with few
    links), chosen at random, but never all of them: every row with links keeps at least
    one training link, and a row with a single link keeps it. All rows are drawn at once
    (no loop over rows or pairs).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_rows, n_links)
        The rows x links graph; a non-zero is a link (its value, the edge weight, is
        kept). Link lists become such a matrix through
        ``MultiLabelBinarizer(sparse_output=True)``.
    test_size : float, default=0.1
        Fraction of each row's links to hold out, in (0, 1).
    random_state : int, RandomState instance or None, default=None
        Determines which links are held out. Pass an int for reproducible output
        across multiple function calls. See :term:`Glossary <random_state>`.

    Returns
    -------
    X_train : scipy.sparse.csr_matrix of shape (n_rows, n_links)
        The links kept for training, with ``X``'s values and dtype.
    X_test : scipy.sparse.csr_matrix of shape (n_rows, n_links)
        The held-out links. ``X_train + X_test`` equals ``X``; they share no entry.

    See Also
    --------
    link_prediction_scores : Score a model fitted on ``X_train`` on ``X_test``.
    sklearn.model_selection.train_test_split : The same for whole rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linkembed.evaluation import train_test_split_links
    >>> X = np.array([[1, 1, 1, 1, 0], [0, 1, 0, 0, 0], [1, 0, 1, 1, 1]])
    >>> X_train, X_test = train_test_split_links(X, test_size=0.5, random_state=0)
    >>> X_train.nnz + X_test.nnz, X_test.nnz
    (9, 4)
    >>> X_train.sum(axis=1).ravel().tolist()
    [[2, 1, 2]]
    """
    X = _as_csr(X, "X")
    rng = check_random_state(random_state)
    degree = np.diff(X.indptr)
    n_test = np.floor(test_size * degree + rng.random_sample(degree.size)).astype(np.int64)
    n_test = np.minimum(n_test, np.maximum(degree - 1, 0))
    held = _random_first(X.indptr, n_test, rng)
    return _select(X, ~held), _select(X, held)


# Constraints shared by link_prediction_scores and link_prediction_report.
_SCORES_PARAMETERS = {
        "model_or_vectors": "no_validation",
        "X_train": ["array-like", "sparse matrix"],
        "X_test": ["array-like", "sparse matrix"],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        "n_queries": [Interval(Integral, 1, None, closed="left"), None],
        "known_only": ["boolean"],
        "min_count": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
}


@validate_params(
    _SCORES_PARAMETERS,
    prefer_skip_nested_validation=True,
)
def link_prediction_scores(model_or_vectors, X_train, X_test, *, n_candidates=100,
                           n_queries=1000, known_only=True, min_count=None, random_state=0):
    """Score held-out links: ROC-AUC against random non-pairs, MRR and Hits@10.

    A (row, link) pair scores the cosine of the row's and the link's vectors (0 where
    either has none). Two measures:

    - **ROC-AUC**: the held-out pairs of ``X_test`` against as many non-pairs drawn
      uniformly (a uniform row and a uniform link, redrawn while the pair is in
      ``X_train`` or ``X_test``), by :func:`sklearn.metrics.roc_auc_score`.
    - **MRR and Hits@10**: ``n_queries`` held-out pairs drawn at random, each ranked
      among ``n_candidates`` non-links of its own row (drawn uniformly, with
      replacement). Ties are broken at random in expectation: with ``g`` candidates
      scoring higher and ``t`` as high, the reciprocal rank is the mean of
      ``1 / (g + 1 + j)`` over ``j = 0 .. t``. All queries are ranked at once.

    With ``known_only=True`` (the default), only links the model knows take part, as
    positives, negatives and candidates: those with a vector and in at least
    ``min_count`` training rows. A link without a vector scores as a guess whatever the
    method, so leaving such links in mostly measures how many there are; the result
    reports how many held-out pairs are excluded.

    Parameters
    ----------
    model_or_vectors : LinkEmbedder, tuple of two arrays or "popularity"
        What scores the pairs.

        - A :class:`~sklearn_linkembed.LinkEmbedder` fitted on ``X_train`` (a matrix,
          not link lists): row vectors are ``model.transform(X_train)``, the link of
          column ``j`` has the vector of ``j`` in ``model.links_`` (or of its name in
          ``feature_names_in_``); columns below the model's ``min_count`` have none.
        - ``(row_vectors, link_vectors)``, arrays of shapes ``(n_rows, d)`` and
          ``(n_links, d)`` indexed by row and by column of ``X_train``; a link whose
          vector is zero or holds a NaN has none.
        - ``"popularity"``: the baseline without embedding; a pair scores the training
          degree of its link (the number of rows of ``X_train`` it is in).
    X_train : {array-like, sparse matrix} of shape (n_rows, n_links)
        The training links, as from :func:`train_test_split_links`.
    X_test : {array-like, sparse matrix} of shape (n_rows, n_links)
        The held-out links.
    n_candidates : int, default=100
        Non-links ranked against each query.
    n_queries : int or None, default=1000
        Held-out pairs ranked for MRR and Hits@10 (all of them if None or more than
        there are).
    known_only : bool, default=True
        Restrict positives, negatives and candidates to known links.
    min_count : int or None, default=None
        A link is known if in at least this many training rows (and, for vectors, if it
        has one). None: the model's ``min_count`` for a LinkEmbedder, 3 (LinkEmbedder's
        default) otherwise.
    random_state : int, RandomState instance or None, default=0
        Determines the non-pairs, the queries and their candidates.

    Returns
    -------
    scores : dict
        ``"roc_auc"``, ``"mrr"``, ``"hits@10"`` (floats) and the counts behind them:
        ``"n_test_pairs"`` (pairs in ``X_test``), ``"n_excluded"`` (of them, pairs to a
        link not known, left out when ``known_only``), ``"n_positives"`` and
        ``"n_negatives"`` (pairs in the ROC-AUC), ``"n_queries"``, ``"n_candidates"``
        and ``"n_known_links"``.

    Raises
    ------
    ValueError
        If no held-out pair is left to score, or no link to draw non-pairs from.

    See Also
    --------
    link_prediction_report : The same scores next to the popularity baseline.
    train_test_split_links : Make ``X_train`` and ``X_test``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linkembed.datasets import make_bipartite_graph
    >>> from sklearn_linkembed.evaluation import link_prediction_scores, train_test_split_links
    >>> X, _, _ = make_bipartite_graph(200, 300, 2000, n_communities=4, random_state=0)
    >>> X_train, X_test = train_test_split_links(X, test_size=0.2, random_state=0)
    >>> rng = np.random.RandomState(0)
    >>> noise = (rng.normal(size=(200, 8)), rng.normal(size=(300, 8)))
    >>> scores = link_prediction_scores(noise, X_train, X_test)
    >>> bool(abs(scores["roc_auc"] - 0.5) < 0.1)
    True
    >>> scores["n_test_pairs"], scores["n_excluded"], scores["n_positives"]
    (398, 91, 307)
    >>> round(link_prediction_scores("popularity", X_train, X_test)["roc_auc"], 3)
    0.778
    """
    X_train, X_test = _check_pair(X_train, X_test)
    scorer, has_vector, min_count = _resolve(model_or_vectors, X_train, min_count)
    known = _known_links(X_train, has_vector, min_count) if known_only else None
    task = _LinkPredictionTask(X_train, X_test, known, n_candidates=n_candidates,
                               n_queries=n_queries, random_state=random_state)
    return task.evaluate(scorer)


@validate_params(
    {
        **_SCORES_PARAMETERS,
        "output_dict": ["boolean"],
        "digits": [Interval(Integral, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def link_prediction_report(model_or_vectors, X_train, X_test, *, n_candidates=100,
                           n_queries=1000, known_only=True, min_count=None, random_state=0,
                           output_dict=False, digits=3):
    """Link-prediction scores of a model next to the popularity baseline.

    Both are scored by :func:`link_prediction_scores` on exactly the same held-out
    pairs, non-pairs, queries and candidates; with ``known_only=True`` the known links
    are the model's, for the baseline too. A model should be judged by its margin over
    the baseline, which ranks links by training degree with no embedding at all.

    Parameters
    ----------
    model_or_vectors : LinkEmbedder or tuple of two arrays
        The model, as in :func:`link_prediction_scores`.
    X_train, X_test : {array-like, sparse matrix} of shape (n_rows, n_links)
        The training and the held-out links.
    n_candidates, n_queries, known_only, min_count, random_state
        As in :func:`link_prediction_scores`.
    output_dict : bool, default=False
        Return a dict of dicts instead of a text table, as
        :func:`sklearn.metrics.classification_report`.
    digits : int, default=3
        Decimals of the scores in the text table.

    Returns
    -------
    report : str or dict
        A table with one line per scorer (``model``, ``popularity``) and a column per
        measure (``roc_auc``, ``mrr``, ``hits@10``), followed by the counts. With
        ``output_dict=True``, ``{"model": scores, "popularity": scores}``, each a dict
        as returned by :func:`link_prediction_scores`.

    See Also
    --------
    link_prediction_scores : The scores of one model.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linkembed.datasets import make_bipartite_graph
    >>> from sklearn_linkembed.evaluation import link_prediction_report, train_test_split_links
    >>> X, rows, links = make_bipartite_graph(200, 300, 2000, n_communities=4,
    ...                                       random_state=0)
    >>> X_train, X_test = train_test_split_links(X, test_size=0.2, random_state=0)
    >>> communities = (np.eye(4)[rows], np.eye(4)[links])  # knows the planted communities
    >>> report = link_prediction_report(communities, X_train, X_test, output_dict=True)
    >>> {name: round(scores["roc_auc"], 3) for name, scores in report.items()}
    {'model': 0.849, 'popularity': 0.778}
    """
    if isinstance(model_or_vectors, str):
        raise TypeError("link_prediction_report compares a model with the popularity "
                         f"baseline; got model_or_vectors={model_or_vectors!r}.")
    X_train, X_test = _check_pair(X_train, X_test)
    scorer, has_vector, min_count = _resolve(model_or_vectors, X_train, min_count)
    known = _known_links(X_train, has_vector, min_count) if known_only else None
    task = _LinkPredictionTask(X_train, X_test, known, n_candidates=n_candidates,
                               n_queries=n_queries, random_state=random_state)
    report = {"model": task.evaluate(scorer),
              "popularity": task.evaluate(_popularity_scorer(X_train))}
    if output_dict:
        return report
    return _format_report(report, known_only=known_only, min_count=min_count, digits=digits)


class _LinkPredictionScorer:
    """The callable of :func:`make_link_prediction_scorer` (a class so that it pickles)."""

    def __init__(self, metric, holdout, n_candidates, n_queries, random_state):
        self.metric = metric
        self.holdout = holdout
        self.n_candidates = n_candidates
        self.n_queries = n_queries
        self.random_state = random_state

    def __repr__(self):
        return (f"make_link_prediction_scorer(metric={self.metric!r}, holdout={self.holdout}, "
                f"n_candidates={self.n_candidates}, n_queries={self.n_queries}, "
                f"random_state={self.random_state!r})")

    def __call__(self, estimator, X, y=None):
        if not hasattr(estimator, "link_vectors_") or not hasattr(estimator, "transform"):
            raise TypeError(
                "The link-prediction scorer needs a fitted LinkEmbedder (with link_vectors_ "
                f"and transform), not a Pipeline or another estimator; got "
                f"{type(estimator).__name__}."
            )
        check_is_fitted(estimator)
        rng = check_random_state(self.random_state)
        # Rows of the fold over the estimator's known links: column j is links_[j].
        known = graph_from_input(estimator, X, min_count=estimator.min_count, reset=False).csr
        known = _as_csr(known, "X")
        degree = np.diff(known.indptr)
        eligible = np.flatnonzero(degree >= 2)
        if eligible.size == 0:
            raise ValueError("No row of X has two known links: nothing to hide and predict.")
        known = known[eligible]
        degree = degree[eligible]
        n_hidden = np.floor(self.holdout * degree + rng.random_sample(degree.size))
        n_hidden = np.clip(n_hidden.astype(np.int64), 1, degree - 1)
        hidden = _random_first(known.indptr, n_hidden, rng)
        visible = _select(known, ~hidden)

        R = _unit(np.asarray(estimator.transform(_like_input(estimator, X, visible)),
                             dtype=np.float32))
        V = _unit(np.asarray(estimator.link_vectors_.vectors, dtype=np.float32))
        rows = np.repeat(np.arange(known.shape[0]), degree)[hidden]
        links = known.indices[hidden].astype(np.int64)
        if self.n_queries is not None and self.n_queries < rows.size:
            pick = np.sort(rng.choice(rows.size, self.n_queries, replace=False))
            rows, links = rows[pick], links[pick]
        candidates, valid = _sample_non_links(
            rows, self.n_candidates, np.arange(V.shape[0]), _keys(known), V.shape[0], rng)
        score = _cosine_scorer(R, V)
        true = score(rows, links[:, None])[:, 0]
        others = score(rows, candidates)
        if self.metric == "roc_auc":
            negatives = others[valid]
            labels = np.r_[np.ones(true.size), np.zeros(negatives.size)]
            return float(roc_auc_score(labels, np.r_[true, negatives]))
        mrr, hits = _rank_scores(true, others, valid)
        return mrr if self.metric == "mrr" else hits


@validate_params(
    {
        "metric": [StrOptions({"roc_auc", "mrr", "hits@10"})],
        "holdout": [Interval(Real, 0, 1, closed="neither")],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        "n_queries": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_link_prediction_scorer(metric="roc_auc", *, holdout=0.5, n_candidates=100,
                                n_queries=None, random_state=0):
    """A label-free scorer for model selection of a LinkEmbedder.

    The returned ``scorer(estimator, X, y=None)`` plugs into
    :class:`~sklearn.model_selection.GridSearchCV` and
    :func:`~sklearn.model_selection.cross_val_score` as ``scoring=scorer``; ``y`` is
    ignored. On each validation fold ``X`` (rows the model was not fitted on):

    1. Each row's known links (those with a vector) are split at random into a visible
       and a hidden part, ``floor(holdout * d + u)`` hidden of ``d`` (``u`` uniform per
       row), at least one of each; rows with fewer than two known links are left out.
    2. The row's vector is inferred from its visible links alone,
       ``estimator.transform(X_visible)`` (fold-in against the frozen link vectors).
    3. Each hidden (row, link) pair is scored, by the cosine of the two vectors,
       against ``n_candidates`` known links drawn uniformly (with replacement) among
       those not in the row: ``"roc_auc"`` pools all pairs into one
       :func:`~sklearn.metrics.roc_auc_score`, ``"mrr"`` and ``"hits@10"`` rank each
       hidden link among its candidates (ties broken at random in expectation).

    Greater is better for every metric. This measures what ``transform`` is for:
    describing unseen rows from some of their links.

    Parameters
    ----------
    metric : {"roc_auc", "mrr", "hits@10"}, default="roc_auc"
        The measure returned.
    holdout : float, default=0.5
        Fraction of each row's known links hidden, in (0, 1).
    n_candidates : int, default=100
        Non-links drawn per hidden link.
    n_queries : int or None, default=None
        Hidden pairs scored per fold, drawn at random (all of them if None).
    random_state : int, RandomState instance or None, default=0
        Determines the hidden links and the candidates. With an int, the same fold and
        the same fitted model give the same score on every call, and a
        ``GridSearchCV`` run twice gives identical ``cv_results_`` (with a
        LinkEmbedder whose own ``random_state`` is an int). A RandomState instance
        is drawn from on every call.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``.

    See Also
    --------
    link_prediction_scores : Held-out links of the training rows, next to a baseline.
    sklearn.model_selection.GridSearchCV : Where the scorer is used.

    Notes
    -----
    ``estimator`` must be a fitted :class:`~sklearn_linkembed.LinkEmbedder` itself, not a
    :class:`~sklearn.pipeline.Pipeline` around one, and ``X`` of the kind it was fitted
    on (a rows x links matrix or link lists). Any ``n_jobs`` works (the scorer pickles).

    Examples
    --------
    >>> from sklearn_linkembed import LinkEmbedder
    >>> from sklearn_linkembed.datasets import make_bipartite_graph
    >>> from sklearn_linkembed.evaluation import make_link_prediction_scorer
    >>> X, _, _ = make_bipartite_graph(200, 300, 2000, n_communities=4, random_state=0)
    >>> scorer = make_link_prediction_scorer("mrr")
    >>> model = LinkEmbedder(embedding_size=8, epochs=2, random_state=0).fit(X[:150])
    >>> bool(0 < scorer(model, X[150:]) <= 1)
    True

    In a grid search (slower, so not run here):

    >>> from sklearn.model_selection import GridSearchCV
    >>> search = GridSearchCV(LinkEmbedder(random_state=0),
    ...                       {"embedding_size": [16, 64]}, scoring=scorer, cv=3)
    >>> search.fit(X).best_params_  # doctest: +SKIP
    """
    return _LinkPredictionScorer(metric, holdout, n_candidates, n_queries, random_state)


@validate_params(
    {
        "vectors": "no_validation",
        "communities": ["array-like"],
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def community_recovery_score(vectors, communities, *, n_clusters=None, random_state=0):
    """Adjusted Rand index of k-means clusters of the vectors against known communities.

    The vectors are normalised (the model's geometry is the cosine), clustered by
    :class:`~sklearn.cluster.KMeans` with 10 initialisations, and the clusters compared
    with ``communities`` by :func:`~sklearn.metrics.adjusted_rand_score`: 1 is a perfect
    recovery, about 0 a random one.

    Parameters
    ----------
    vectors : array-like of shape (n_samples, n_features) or KeyedVectors
        One vector per sample (for KeyedVectors, ``.vectors``).
    communities : array-like of shape (n_samples,)
        The true community of each sample.
    n_clusters : int or None, default=None
        Clusters to find; None: the number of distinct communities.
    random_state : int, RandomState instance or None, default=0
        Seeds k-means.

    Returns
    -------
    score : float
        The adjusted Rand index, at most 1.

    See Also
    --------
    make_bipartite_graph : Graphs with planted communities to recover.
    sklearn.metrics.adjusted_rand_score : The index computed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_linkembed.evaluation import community_recovery_score
    >>> communities = np.repeat([0, 1, 2], 20)
    >>> rng = np.random.RandomState(0)
    >>> vectors = np.eye(3)[communities] + 0.1 * rng.normal(size=(60, 3))
    >>> community_recovery_score(vectors, communities)
    1.0
    """
    vectors = check_array(getattr(vectors, "vectors", vectors), dtype=np.float64)
    communities = np.asarray(communities).ravel()
    if communities.size != vectors.shape[0]:
        raise ValueError(f"communities has {communities.size} entries for "
                         f"{vectors.shape[0]} vectors.")
    k = n_clusters if n_clusters is not None else np.unique(communities).size
    labels = KMeans(k, n_init=10, random_state=random_state).fit_predict(_unit(vectors))
    return float(adjusted_rand_score(communities, labels))


class _LinkPredictionTask:
    """The sampled pairs of one link-prediction evaluation, scored by any scorer.

    Positives are the held-out pairs (to known links); negatives as many uniform
    non-pairs; queries a sample of the positives, each with ``n_candidates`` non-links of
    its row. Sampling once lets several scorers be compared on the very same pairs.
    """

    def __init__(self, X_train, X_test, known, *, n_candidates, n_queries, random_state):
        rng = check_random_state(random_state)
        n_rows, n_links = X_train.shape
        pool = np.arange(n_links) if known is None else np.flatnonzero(known)
        if pool.size == 0:
            raise ValueError("No link is known (min_count too high or no vectors): "
                             "nothing to score.")
        test_rows = np.repeat(np.arange(n_rows), np.diff(X_test.indptr))
        test_links = X_test.indices.astype(np.int64)
        keep = np.ones(test_links.size, bool) if known is None else known[test_links]
        self.n_test_pairs = int(test_links.size)
        self.n_excluded = int(test_links.size - np.count_nonzero(keep))
        self.pos_rows, self.pos_links = test_rows[keep], test_links[keep]
        n_pos = self.pos_rows.size
        if n_pos == 0:
            raise ValueError(f"No held-out pair left to score: X_test has {self.n_test_pairs} "
                             f"pairs, {self.n_excluded} of them to unknown links.")
        forbidden = np.union1d(_keys(X_train), _keys(X_test))

        neg_rows = rng.randint(n_rows, size=n_pos)
        neg_links, valid = _sample_non_links(neg_rows, 1, pool, forbidden, n_links, rng)
        self.neg_rows, self.neg_links = neg_rows[valid[:, 0]], neg_links[valid]

        if n_queries is None or n_queries >= n_pos:
            self.queries = np.arange(n_pos)
        else:
            self.queries = np.sort(rng.choice(n_pos, n_queries, replace=False))
        self.candidates, self.valid = _sample_non_links(
            self.pos_rows[self.queries], n_candidates, pool, forbidden, n_links, rng)
        self.n_candidates = n_candidates
        self.n_known_links = int(pool.size)

    def evaluate(self, score):
        """The scores dict of ``score(rows, links) -> scores`` on these pairs."""
        pos = score(self.pos_rows, self.pos_links[:, None])[:, 0]
        neg = score(self.neg_rows, self.neg_links[:, None])[:, 0]
        labels = np.r_[np.ones(pos.size), np.zeros(neg.size)]
        others = score(self.pos_rows[self.queries], self.candidates)
        mrr, hits = _rank_scores(pos[self.queries], others, self.valid)
        return {
            "roc_auc": float(roc_auc_score(labels, np.r_[pos, neg])),
            "mrr": mrr,
            f"hits@{_HITS_AT}": hits,
            "n_test_pairs": self.n_test_pairs,
            "n_excluded": self.n_excluded,
            "n_positives": int(pos.size),
            "n_negatives": int(neg.size),
            "n_queries": int(self.queries.size),
            "n_candidates": self.n_candidates,
            "n_known_links": self.n_known_links,
        }


def _as_csr(X, name):
    """A CSR copy of ``X`` with sorted indices and neither duplicates nor stored zeros."""
    X = check_array(X, accept_sparse="csr", dtype="numeric", input_name=name)
    X = sp.csr_matrix(X, copy=True)
    X.sum_duplicates()
    X.eliminate_zeros()
    X.sort_indices()
    return X


def _check_pair(X_train, X_test):
    X_train, X_test = _as_csr(X_train, "X_train"), _as_csr(X_test, "X_test")
    if X_train.shape != X_test.shape:
        raise ValueError(f"X_train and X_test must have the same shape, got {X_train.shape} "
                         f"and {X_test.shape}.")
    return X_train, X_test


def _random_first(indptr, n_first, rng):
    """Mask of ``n_first[i]`` entries of each CSR row ``i``, chosen uniformly at random."""
    degree = np.diff(indptr)
    rows = np.repeat(np.arange(degree.size), degree)
    order = np.lexsort((rng.random_sample(rows.size), rows))  # shuffled within each row
    rank = np.empty(rows.size, dtype=np.int64)
    rank[order] = np.arange(rows.size) - indptr[rows[order]]
    return rank < n_first[rows]


def _select(X, mask):
    """The entries of CSR ``X`` where ``mask`` holds, as a CSR matrix of the same shape."""
    counts = np.bincount(np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[mask],
                         minlength=X.shape[0])
    indptr = np.concatenate([[0], np.cumsum(counts)])
    out = sp.csr_matrix((X.data[mask], X.indices[mask], indptr), shape=X.shape)
    out.has_sorted_indices = True
    return out


def _keys(X):
    """Sorted int64 keys ``row * n_links + link`` of the entries of CSR ``X``."""
    rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    return rows * X.shape[1] + X.indices  # sorted: rows ascending, indices sorted


def _contains(sorted_keys, keys):
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[at] == keys


def _sample_non_links(rows, n_per_row, pool, forbidden, n_links, rng):
    """``n_per_row`` links from ``pool`` per entry of ``rows``, none a (row, link) key
    of ``forbidden``; by rejection, all draws of a round at once. Returns the links and a
    mask of the draws that succeeded (a row linked to all of ``pool`` gets none)."""
    flat_rows = np.repeat(rows.astype(np.int64), n_per_row)
    links = np.zeros(flat_rows.size, dtype=np.int64)
    valid = np.zeros(flat_rows.size, dtype=bool)
    todo = np.arange(flat_rows.size)
    for _ in range(_MAX_ROUNDS):
        if todo.size == 0:
            break
        draws = pool[rng.randint(pool.size, size=todo.size)]
        ok = ~_contains(forbidden, flat_rows[todo] * n_links + draws)
        links[todo[ok]] = draws[ok]
        valid[todo[ok]] = True
        todo = todo[~ok]
    return links.reshape(-1, n_per_row), valid.reshape(-1, n_per_row)


def _unit(a):
    """Rows scaled to unit norm; zero (and NaN) rows become zero."""
    a = np.nan_to_num(np.asarray(a), nan=0.0, posinf=0.0, neginf=0.0)
    norms = np.sqrt(np.einsum("ij,ij->i", a, a))[:, None]
    return np.divide(a, norms, out=np.zeros_like(a), where=norms > 0)


def _cosine_scorer(R, V):
    """``score(rows, links)``: cosines of unit row vectors ``R`` and link vectors ``V``."""

    def score(rows, links):
        out = np.empty(links.shape, dtype=np.float64)
        step = max(1, _FLOATS_PER_BLOCK // max(links.shape[1] * V.shape[1], 1))
        for start in range(0, rows.size, step):  # blocks of pairs, bounded memory
            block = slice(start, start + step)
            out[block] = np.matmul(V[links[block]], R[rows[block], :, None])[..., 0]
        return out

    return score


def _popularity_scorer(X_train):
    degree = np.diff(X_train.tocsc().indptr).astype(np.float64)

    def score(rows, links):
        return degree[links]

    return score


def _harmonic(n):
    return digamma(np.asarray(n, dtype=np.float64) + 1) + np.euler_gamma


def _rank_scores(true, others, valid):
    """MRR and Hits@10 of ``true`` scores among the ``valid`` ``others`` of their row.

    A true score tied with ``t`` others and below ``g`` takes each rank ``g + 1 .. g + t + 1``
    with equal chance: the expected reciprocal rank is ``(H(g + t + 1) - H(g)) / (t + 1)``.
    """
    true = true[:, None]
    greater = np.count_nonzero((others > true) & valid, axis=1)
    ties = np.count_nonzero((others == true) & valid, axis=1)
    reciprocal = (_harmonic(greater + ties + 1) - _harmonic(greater)) / (ties + 1)
    hits = np.clip(_HITS_AT - greater, 0, ties + 1) / (ties + 1)
    return float(reciprocal.mean()), float(hits.mean())


def _link_columns(model):
    """Column of ``X_train`` of each of the model's link vectors."""
    if not hasattr(model, "n_features_in_"):
        raise TypeError(
            "The LinkEmbedder was fitted on link lists; link prediction scores need it "
            "fitted on the rows x links matrix X_train (e.g. from "
            "MultiLabelBinarizer(sparse_output=True)), so that links are columns."
        )
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return np.asarray(model.links_, dtype=np.int64)
    position = {name: i for i, name in enumerate(names)}
    return np.array([position[name] for name in model.links_], dtype=np.int64)


def _resolve(model_or_vectors, X_train, min_count):
    """The scorer, the mask of links with a vector (None: all) and the min_count used."""
    n_rows, n_links = X_train.shape
    if isinstance(model_or_vectors, str):
        if model_or_vectors != "popularity":
            raise ValueError("model_or_vectors must be a fitted LinkEmbedder, a tuple "
                             f"(row_vectors, link_vectors) or 'popularity', got "
                             f"{model_or_vectors!r}.")
        return (_popularity_scorer(X_train), None,
                _DEFAULT_MIN_COUNT if min_count is None else min_count)
    if hasattr(model_or_vectors, "link_vectors_"):
        model = model_or_vectors
        if getattr(model, "n_features_in_", n_links) != n_links:
            raise ValueError(f"The model was fitted on {model.n_features_in_} columns, "
                             f"X_train has {n_links}.")
        columns = _link_columns(model)
        V = np.zeros((n_links, model.link_vectors_.vectors.shape[1]), dtype=np.float32)
        V[columns] = _unit(model.link_vectors_.vectors)
        has_vector = np.zeros(n_links, dtype=bool)
        has_vector[columns] = True
        R = _unit(np.asarray(model.transform(X_train), dtype=np.float32))
        return (_cosine_scorer(R, V), has_vector,
                model.min_count if min_count is None else min_count)
    if isinstance(model_or_vectors, tuple) and len(model_or_vectors) == 2:
        R = check_array(model_or_vectors[0], dtype=np.float64, ensure_all_finite=False,
                        input_name="row_vectors")
        V = check_array(model_or_vectors[1], dtype=np.float64, ensure_all_finite=False,
                        input_name="link_vectors")
        if R.shape[0] != n_rows or V.shape[0] != n_links or R.shape[1] != V.shape[1]:
            raise ValueError(
                f"row_vectors and link_vectors must have shapes ({n_rows}, d) and "
                f"({n_links}, d) for X_train of shape {X_train.shape}; got {R.shape} "
                f"and {V.shape}."
            )
        has_vector = np.isfinite(V).all(axis=1) & np.any(V != 0, axis=1)
        return (_cosine_scorer(_unit(R), _unit(V)), has_vector,
                _DEFAULT_MIN_COUNT if min_count is None else min_count)
    raise TypeError("model_or_vectors must be a fitted LinkEmbedder, a tuple (row_vectors, "
                    f"link_vectors) or 'popularity', got {type(model_or_vectors).__name__}.")


def _known_links(X_train, has_vector, min_count):
    known = np.diff(X_train.tocsc().indptr) >= min_count
    return known if has_vector is None else known & has_vector


def _like_input(estimator, X, visible):
    """``visible`` (over the estimator's known links) in the kind ``X`` came in."""
    if estimator._input_kind == "matrix":
        columns = _link_columns(estimator)
        out = sp.csr_matrix((visible.data, columns[visible.indices], visible.indptr),
                            shape=(visible.shape[0], estimator.n_features_in_))
        out.sort_indices()
        return out
    keys = np.empty(len(estimator.links_), dtype=object)
    for i, key in enumerate(estimator.links_):  # one per link: keys may be tuples
        keys[i] = key
    return [list(row) for row in np.split(keys[visible.indices], visible.indptr[1:-1])]


def _format_report(report, *, known_only, min_count, digits):
    measures = ["roc_auc", "mrr", f"hits@{_HITS_AT}"]
    width = max(len(name) for name in report)
    lines = [" " * width + "".join(f"  {m:>{max(len(m), digits + 2)}}" for m in measures)]
    for name, scores in report.items():
        lines.append(f"{name:<{width}}" + "".join(
            f"  {scores[m]:>{max(len(m), digits + 2)}.{digits}f}" for m in measures))
    counts = report["model"]
    why = f"no vector or < {min_count} training rows" if known_only else "known_only=False"
    scored = (f"held-out pairs: {counts['n_test_pairs']:,}, excluded ({why}): "
              f"{counts['n_excluded']:,}, scored: {counts['n_positives']:,}")
    sampled = (f"ROC-AUC against {counts['n_negatives']:,} random non-pairs; MRR and "
               f"Hits@{_HITS_AT}: {counts['n_queries']:,} queries x "
               f"{counts['n_candidates']:,} candidates")
    lines += ["", scored, sampled]
    return "\n".join(lines)
