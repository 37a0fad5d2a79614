"""Link prediction: hold out links, score embeddings, compare with baselines, select models.

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
>>> scores["recall@10"], scores["ndcg@10"]
(1.0, 1.0)

Two families of measures are computed. ROC-AUC, MRR and Hits@10 are *sampled*: held-out
pairs against random non-pairs, each query among 100 random non-links of its row.
Recall@10 and NDCG@10 are *full-ranking*, the recommender-systems standard: every known
link is scored for a row, its training links are set aside, and the row's held-out links
should be among the ten best of all the others.

Two lessons from measuring real link graphs shape the defaults:

- Against uniformly drawn non-pairs, ranking links by their training degree, with no
  embedding at all, already scores high: held-out pairs go to popular links, random
  non-pairs mostly to rare ones. A score means little without baselines, so
  :func:`link_prediction_report` always prints the model next to two of them:
  ``popularity`` (the training degree of the link) and ``item-kNN`` (classic item-based
  collaborative filtering: the summed cosine similarity, over the columns of ``X_train``,
  of the link to the row's training links). ``link_prediction_scores("popularity", ...)``
  and ``link_prediction_scores("item-knn", ...)`` compute each alone.
- Links in fewer than ``min_count`` training rows get no vector, and every pair that
  uses them scores as a guess. By default (``known_only=True``) positives, negatives,
  candidates and ranked links are restricted to the links the model knows, and the
  result says how many held-out pairs that leaves out (``n_excluded``).

>>> print(link_prediction_report(oracle, X_train, X_test))
            roc_auc    mrr  hits@10  recall@10  ndcg@10
model         1.000  1.000    1.000      1.000    1.000
popularity    0.778  0.214    0.464      0.380    0.211
item-kNN      0.926  0.462    0.733      0.673    0.484
<BLANKLINE>
held-out pairs: 398, excluded (no vector or < 3 training rows): 91, scored: 307
ROC-AUC against 307 random non-pairs; MRR and Hits@10: 307 queries x 100 candidates
Recall@10 and NDCG@10: 172 rows, each ranking the 163 known links but its training links

Every function takes what :meth:`LinkEmbedder.fit <sklearn_linkembed.LinkEmbedder.fit>`
takes: a rows x links matrix, or link lists (a list or a pandas Series of lists of link
names), which :func:`train_test_split_links` splits into link lists of the same kind.

:func:`make_link_prediction_scorer` turns the same idea into a scorer for
:class:`~sklearn.model_selection.GridSearchCV`, which needs no labels: the rows of each
validation fold are folded in from part of their links and must find the others.
:func:`community_recovery_score` measures how well vectors recover planted communities.
"""

from collections.abc import Mapping
from itertools import chain, compress, pairwise
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import digamma
from sklearn.metrics import adjusted_rand_score, roc_auc_score
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from ._graph import _check_no_missing_links, _rows_of, is_link_lists
from ._utils import unit_rows

__all__ = [
    "community_recovery_score",
    "link_prediction_report",
    "link_prediction_scores",
    "make_link_prediction_scorer",
    "train_test_split_links",
]

# Ranks are "Hits@k" for this k.
_HITS_AT = 10
# Full rankings are "Recall@k" and "NDCG@k" for this k.
_RANK_AT = 10
_SAMPLED = ("roc_auc", "mrr", f"hits@{_HITS_AT}")
_RANKED = (f"recall@{_RANK_AT}", f"ndcg@{_RANK_AT}")
# The default min_count of LinkEmbedder: the links a default model keeps.
_DEFAULT_MIN_COUNT = 3
# Rounds of rejection sampling of non-links before a draw is given up (and masked out).
_MAX_ROUNDS = 100
# Floats gathered per block when scoring candidates (bounds memory, not a loop per pair).
_FLOATS_PER_BLOCK = 1 << 22
# Largest bitmap of (row, link) cells that rejection sampling looks non-links up in (bytes);
# larger graphs look them up by binary search, which is ~10x slower.
_MAX_BITMAP_BYTES = 1 << 26
# The k-th best score of a row is first bounded below by the k-th best of a sample of
# about this many times k of its columns (see _top_counts).
_SAMPLE_PER_K = 32


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
    X : {array-like, sparse matrix} of shape (n_rows, n_links), or link lists
        The rows x links graph, in any form :meth:`LinkEmbedder.fit
        <sklearn_linkembed.LinkEmbedder.fit>` takes. A matrix: a non-zero is a link (its
        value, the edge weight, is kept). Link lists (a list, or a pandas Series, of
        lists of link names): the rows are split as the matrix of their distinct links
        would be, its columns in order of first appearance, so the split is as
        reproducible; a link repeated in a row goes, every time, to the same side.
    test_size : float, default=0.1
        Fraction of each row's links to hold out, in (0, 1).
    random_state : int, RandomState instance or None, default=None
        Determines which links are held out. Pass an int for reproducible output
        across multiple function calls. See :term:`Glossary <random_state>`.

    Returns
    -------
    X_train : scipy.sparse.csr_matrix of shape (n_rows, n_links), or link lists
        The links kept for training. For a matrix, a CSR matrix with ``X``'s values and
        dtype. For link lists, the same kind as ``X``: a list of lists (a pandas Series
        of lists with ``X``'s index and name; a dict for a mapping), each row's links in
        their order in ``X``.
    X_test : scipy.sparse.csr_matrix of shape (n_rows, n_links), or link lists
        The held-out links, of the same kind. ``X_train + X_test`` equals ``X``; they
        share no entry (for link lists, each row's two lists together hold its links).

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

    Link lists come back as link lists, split as the matrix of their links is:

    >>> films = [["Ford", "Lucas", "Hamill", "Fisher"], ["Lucas"],
    ...          ["Ford", "Hamill", "Fisher", "Spielberg"]]
    >>> train, test = train_test_split_links(films, test_size=0.5, random_state=0)
    >>> train
    [['Ford', 'Hamill'], ['Lucas'], ['Ford', 'Fisher']]
    >>> test
    [['Lucas', 'Fisher'], [], ['Hamill', 'Spielberg']]
    """
    if is_link_lists(X):
        return _split_link_lists(X, test_size, random_state)
    X = _as_csr(X, "X")
    held = _held_out(X, test_size, check_random_state(random_state))
    return _select(X, ~held), _select(X, held)


def _held_out(X, test_size, rng):
    """Mask of the entries of CSR ``X`` that :func:`train_test_split_links` holds out."""
    degree = np.diff(X.indptr)
    n_test = np.floor(test_size * degree + rng.random_sample(degree.size)).astype(np.int64)
    n_test = np.minimum(n_test, np.maximum(degree - 1, 0))
    return _random_first(X.indptr, n_test, rng)


def _split_link_lists(X, test_size, random_state):
    """:func:`train_test_split_links` of link lists, through the matrix of their links."""
    rows = _rows_of(X)
    vocabulary = {}
    row_ids, link_ids = _link_ids(rows, vocabulary)
    _check_no_missing_links(rows, vocabulary)
    csr = _binary_csr(row_ids, link_ids, (len(rows), len(vocabulary)))
    held = _held_out(csr, test_size, check_random_state(random_state))
    # Each link of the input follows its (row, link) entry of the matrix.
    held = held[np.searchsorted(_keys(csr), row_ids * csr.shape[1] + link_ids)]
    flat = list(chain.from_iterable(rows))
    return tuple(_like_lists(X, _row_lists(flat, side, row_ids, len(rows)))
                 for side in (~held, held))


def _link_ids(rows, vocabulary):
    """Flat row and link ids of link lists; ``vocabulary`` (link -> id) grows by new links."""
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    try:
        ids = [vocabulary.setdefault(k, len(vocabulary)) for k in chain.from_iterable(rows)]
    except TypeError as exc:
        raise TypeError(f"Every link must be hashable (a str, int, ...): {exc}. Rows of X "
                        "must be flat lists of links, not nested lists.") from None
    return (np.repeat(np.arange(len(rows), dtype=np.int64), lengths),
            np.asarray(ids, dtype=np.int64))


def _binary_csr(row_ids, link_ids, shape):
    """CSR of ones, one entry per distinct (row, link), sorted indices."""
    width = max(shape[1], 1)
    keys = np.sort(row_ids * width + link_ids)  # sort and drop repeats, faster than np.unique
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys
    rows, cols = np.divmod(keys, width)
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=shape[0]))]
    out = sp.csr_matrix((np.ones(keys.size), cols, indptr), shape=shape)
    out.has_sorted_indices = True
    return out


def _row_lists(flat, mask, row_ids, n_rows):
    """The items of ``flat`` where ``mask`` holds, one list per row (``row_ids`` ascending)."""
    kept = list(compress(flat, mask.tolist()))
    ends = np.cumsum(np.bincount(row_ids[mask], minlength=n_rows)).tolist()
    return [kept[start:end] for start, end in zip([0, *ends[:-1]], ends)]


def _like_lists(X, lists):
    """``lists`` (one per row of ``X``) in the kind of link lists ``X`` is."""
    if isinstance(X, Mapping):
        return dict(zip(X.keys(), lists))
    if hasattr(X, "index") and getattr(X, "ndim", None) == 1:  # a pandas Series
        return type(X)(lists, index=X.index, name=X.name, dtype=object)
    return lists


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
    """Score held-out links: ROC-AUC, MRR and Hits@10 sampled, Recall@10 and NDCG@10 ranked.

    A fitted LinkEmbedder scores a (row, link) pair as its
    :meth:`~sklearn_linkembed.LinkEmbedder.link_scores` do; a ``(row_vectors,
    link_vectors)`` tuple by the cosine of the two (0 where either has none). Sampled
    measures, against random non-links:

    - **ROC-AUC**: the held-out pairs of ``X_test`` against as many non-pairs drawn
      uniformly (a uniform row and a uniform link, redrawn while the pair is in
      ``X_train`` or ``X_test``), by :func:`sklearn.metrics.roc_auc_score`.
    - **MRR and Hits@10**: ``n_queries`` held-out pairs drawn at random, each ranked
      among ``n_candidates`` non-links of its own row (drawn uniformly, with
      replacement). Ties are broken at random in expectation: with ``g`` candidates
      scoring higher and ``t`` as high, the reciprocal rank is the mean of
      ``1 / (g + 1 + j)`` over ``j = 0 .. t``. All queries are ranked at once.

    Full-ranking measures, the recommender-systems standard: for each of ``n_queries``
    rows drawn at random among those with a held-out pair (all of them if fewer), every
    known link but the row's training links is scored and ranked. With ``n`` held-out
    links of the row among them and ``h`` of those in the first ``K = 10`` places:

    - **Recall@10** is ``h / min(K, n)`` (1 when the first places are all held-out
      links, whatever ``n``);
    - **NDCG@10** is the DCG of the first ``K`` places, ``sum 1 / log2(p + 1)`` over the
      places ``p = 1 .. K`` of held-out links (binary relevance), divided by the DCG of
      a perfect ranking, ``sum 1 / log2(p + 1)`` over ``p = 1 .. min(K, n)``.

    Both are averaged over the rows ranked. Ties are broken at random in expectation
    here too: a link tied with others shares their places with equal chance. Rows are
    scored in blocks against all links at once (no loop over rows or pairs).

    With ``known_only=True`` (the default), only links the model knows take part, as
    positives, negatives, candidates and ranked links: those with a vector and in at
    least ``min_count`` training rows. A link without a vector scores as a guess
    whatever the method, so leaving such links in mostly measures how many there are;
    the result reports how many held-out pairs are excluded.

    Parameters
    ----------
    model_or_vectors : LinkEmbedder, tuple of two arrays, "popularity" or "item-knn"
        What scores the pairs.

        - A :class:`~sklearn_linkembed.LinkEmbedder` fitted on ``X_train``: row vectors
          are ``model.transform(X_train)``. Fitted on a matrix, the link of column ``j``
          has the vector of ``j`` in ``model.links_`` (or of its name in
          ``feature_names_in_``); columns below the model's ``min_count`` have none.
          Fitted on link lists, ``X_train`` and ``X_test`` are link lists too, mapped
          through ``model.links_``; their other links have no vector.
        - ``(row_vectors, link_vectors)``, arrays of shapes ``(n_rows, d)`` and
          ``(n_links, d)`` indexed by row and by column of ``X_train`` (a matrix); a
          link whose vector is zero or holds a NaN has none.
        - ``"popularity"``: the baseline without embedding; a pair scores the training
          degree of its link (the number of rows of ``X_train`` it is in).
        - ``"item-knn"``: item-based collaborative filtering, without embedding; a pair
          ``(i, l)`` scores ``sum_j cos(X_train[:, j], X_train[:, l])`` over the training
          links ``j`` of row ``i`` (the cosine of the two columns of ``X_train``, with
          its weights), computed by sparse products.
    X_train : {array-like, sparse matrix} of shape (n_rows, n_links), or link lists
        The training links, as from :func:`train_test_split_links`: a rows x links
        matrix, or link lists (a list or a pandas Series of lists of link names).
    X_test : {array-like, sparse matrix} of shape (n_rows, n_links), or link lists
        The held-out links, of the same kind as ``X_train``, row for row.
    n_candidates : int, default=100
        Non-links ranked against each query.
    n_queries : int or None, default=1000
        Held-out pairs ranked for MRR and Hits@10, and rows ranked for Recall@10 and
        NDCG@10 (all of them if None or more than there are).
    known_only : bool, default=True
        Restrict positives, negatives, candidates and ranked links to known links.
    min_count : int or None, default=None
        A link is known if in at least this many training rows (and, for vectors, if it
        has one). None: the model's ``min_count`` for a LinkEmbedder, 3 (LinkEmbedder's
        default) otherwise.
    random_state : int, RandomState instance or None, default=0
        Determines the non-pairs, the queries and their candidates, and the rows ranked.

    Returns
    -------
    scores : dict
        ``"roc_auc"``, ``"mrr"``, ``"hits@10"``, ``"recall@10"``, ``"ndcg@10"`` (floats)
        and the counts behind them: ``"n_test_pairs"`` (pairs in ``X_test``),
        ``"n_excluded"`` (of them, pairs to a link not known, left out when
        ``known_only``), ``"n_positives"`` and ``"n_negatives"`` (pairs in the
        ROC-AUC), ``"n_queries"``, ``"n_candidates"``, ``"n_known_links"`` and
        ``"n_ranked_rows"`` (rows in Recall@10 and NDCG@10).

    Raises
    ------
    ValueError
        If no held-out pair is left to score, or no link to draw non-pairs from.

    See Also
    --------
    link_prediction_report : The same scores next to the popularity and item-kNN
        baselines.
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
    >>> round(link_prediction_scores("item-knn", X_train, X_test)["recall@10"], 3)
    0.673
    """
    task, scorer, _, min_count = _task(model_or_vectors, X_train, X_test, n_candidates,
                                       n_queries, known_only, min_count, random_state)
    return task.evaluate(scorer)


def _task(model_or_vectors, X_train, X_test, n_candidates, n_queries, known_only, min_count,
          random_state):
    """The held-out pairs to score, the model's scorer, X_train (CSR) and the min_count."""
    X_train, X_test, fitted_input = _check_inputs(model_or_vectors, X_train, X_test)
    scorer, has_vector, min_count = _resolve(model_or_vectors, X_train, fitted_input,
                                             min_count)
    known = _known_links(X_train, has_vector, min_count) if known_only else None
    task = _LinkPredictionTask(X_train, X_test, known, n_candidates=n_candidates,
                               n_queries=n_queries, random_state=random_state)
    return task, scorer, X_train, min_count


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
    """Link-prediction scores of a model next to the popularity and item-kNN baselines.

    All three are scored by :func:`link_prediction_scores` on exactly the same held-out
    pairs, non-pairs, queries, candidates and ranked rows; with ``known_only=True`` the
    known links are the model's, for the baselines too. A model should be judged by its
    margin over the baselines, which use no embedding at all: ``popularity`` ranks links
    by training degree, ``item-kNN`` by their summed cosine similarity (over the columns
    of ``X_train``) to the row's training links, the classic item-based collaborative
    filtering.

    Parameters
    ----------
    model_or_vectors : LinkEmbedder or tuple of two arrays
        The model, as in :func:`link_prediction_scores`.
    X_train, X_test : {array-like, sparse matrix} of shape (n_rows, n_links), or link lists
        The training and the held-out links, as in :func:`link_prediction_scores`.
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
        A table with one line per scorer (``model``, ``popularity``, ``item-kNN``) and a
        column per measure (``roc_auc``, ``mrr``, ``hits@10``, ``recall@10``,
        ``ndcg@10``), followed by the counts. With ``output_dict=True``, ``{"model":
        scores, "popularity": scores, "item-kNN": scores}``, each a dict as returned by
        :func:`link_prediction_scores`.

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
    {'model': 0.849, 'popularity': 0.778, 'item-kNN': 0.926}
    """
    if isinstance(model_or_vectors, str):
        raise TypeError("link_prediction_report compares a model with the popularity and "
                        f"item-kNN baselines; got model_or_vectors={model_or_vectors!r}.")
    task, scorer, X_train, min_count = _task(model_or_vectors, X_train, X_test, n_candidates,
                                             n_queries, known_only, min_count, random_state)
    report = {"model": task.evaluate(scorer),
              "popularity": task.evaluate(_PopularityScorer(X_train)),
              "item-kNN": task.evaluate(_ItemKNNScorer(X_train))}
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
        known = _as_csr(_encode(estimator, X), "X")
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
        # Only the rows scored are folded in (transform is row-wise: the same vectors).
        if self.metric in _RANKED:
            rows = np.arange(known.shape[0])  # every row has a hidden link
            if self.n_queries is not None and self.n_queries < rows.size:
                rows = np.sort(rng.choice(rows.size, self.n_queries, replace=False))
            score = _CosineScorer(*_vectors(estimator, X, visible[rows]))
            ranked = _full_ranking(score.dense, np.arange(rows.size), visible[rows],
                                   _select(known, hidden)[rows], _RANK_AT)
            return ranked[_RANKED.index(self.metric)]
        rows = np.repeat(np.arange(known.shape[0]), degree)[hidden]
        links = known.indices[hidden].astype(np.int64)
        if self.n_queries is not None and self.n_queries < rows.size:
            pick = np.sort(rng.choice(rows.size, self.n_queries, replace=False))
            rows, links = rows[pick], links[pick]
        candidates, valid = _sample_non_links(
            rows, self.n_candidates, None, _KeySet(_keys(known), known.shape), known.shape[1],
            rng)
        scored, rows = np.unique(rows, return_inverse=True)
        score = _CosineScorer(*_vectors(estimator, X, visible[scored]))
        true = score(rows, links[:, None])[:, 0]
        others = score(rows, candidates)
        if self.metric == "roc_auc":
            return _auc(true, others[valid])
        mrr, hits = _rank_scores(true, others, valid)
        return mrr if self.metric == "mrr" else hits


@validate_params(
    {
        "metric": [StrOptions({*_SAMPLED, *_RANKED})],
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
       ``estimator.transform(X_visible)``.
    3. The sampled metrics score each hidden (row, link) pair, as the model's
       :meth:`~sklearn_linkembed.LinkEmbedder.link_scores` do, against
       ``n_candidates`` known links drawn uniformly (with
       replacement) among those not in the row: ``"roc_auc"`` pools all pairs into one
       ROC-AUC (as :func:`~sklearn.metrics.roc_auc_score` gives it, ties counting
       half), ``"mrr"`` and ``"hits@10"`` rank each hidden link among its candidates
       (ties broken at random in expectation). The full-ranking metrics
       ``"recall@10"`` and ``"ndcg@10"`` rank, for each row, all the model's known
       links but its visible ones, and average over the rows how many of its hidden
       links reach the first ten places, as :func:`link_prediction_scores` defines
       them (``hits / min(10, n_hidden)``, and binary-relevance NDCG).

    Greater is better for every metric. This measures what ``transform`` is for:
    describing unseen rows from some of their links.

    Scoring a fold costs about one ``transform`` of its rows and a few
    vectorised passes over the scores: a fraction of fitting the model
    (``benchmarks/bench_scorer.py`` measures both).

    Parameters
    ----------
    metric : {"roc_auc", "mrr", "hits@10", "recall@10", "ndcg@10"}, default="roc_auc"
        The measure returned.
    holdout : float, default=0.5
        Fraction of each row's known links hidden, in (0, 1).
    n_candidates : int, default=100
        Non-links drawn per hidden link.
    n_queries : int or None, default=None
        Hidden pairs scored per fold for the sampled metrics, rows ranked for the
        full-ranking ones, drawn at random (all of them if None). Only the rows scored
        are folded in, so fewer queries score faster.
    random_state : int, RandomState instance or None, default=0
        Determines the hidden links, the candidates and the rows ranked. With an int,
        the same fold and the same fitted model give the same score on every call, and a
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
    >>> ndcg = make_link_prediction_scorer("ndcg@10")(model, X[150:])
    >>> bool(0 < ndcg <= 1)
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
    from sklearn.cluster import KMeans  # imported here: 0.13 s of the package's import

    labels = KMeans(k, n_init=10, random_state=random_state).fit_predict(_unit(vectors))
    return float(adjusted_rand_score(communities, labels))


class _LinkPredictionTask:
    """The sampled pairs and ranked rows of one link-prediction evaluation, for any scorer.

    Positives are the held-out pairs (to known links); negatives as many uniform
    non-pairs; queries a sample of the positives, each with ``n_candidates`` non-links of
    its row; ranked rows a sample of the rows with a held-out known link, each ranking
    all known links but its training links. Sampling once lets several scorers be
    compared on the very same pairs and rows.
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
        train_keys = _keys(X_train)
        forbidden = _KeySet(np.union1d(train_keys, _keys(X_test)), X_train.shape)

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

        # Full ranking, over the known links only (columns of ``pool``): a held-out link
        # that is also a training link cannot be ranked and is no answer.
        self.columns = None if pool.size == n_links else pool
        relevant = _select(X_test, ~_contains(train_keys, _keys(X_test)))
        self.exclude, self.relevant = X_train, relevant
        if self.columns is not None:
            self.exclude, self.relevant = X_train[:, pool], relevant[:, pool]
            self.exclude.sort_indices()
            self.relevant.sort_indices()
        ranked = np.flatnonzero(np.diff(self.relevant.indptr) > 0)
        if n_queries is not None and n_queries < ranked.size:
            ranked = np.sort(rng.choice(ranked, n_queries, replace=False))
        self.ranked_rows = ranked

    def evaluate(self, score):
        """The scores dict of ``score`` on these pairs and rows.

        ``score(rows, links) -> scores`` scores pairs (``links`` of shape ``(n, m)``, a
        row of links per entry of ``rows``); ``score.dense(rows, columns)`` scores the
        rows against the links ``columns`` (None: all).
        """
        pos = score(self.pos_rows, self.pos_links[:, None])[:, 0]
        neg = score(self.neg_rows, self.neg_links[:, None])[:, 0]
        labels = np.r_[np.ones(pos.size), np.zeros(neg.size)]
        others = score(self.pos_rows[self.queries], self.candidates)
        mrr, hits = _rank_scores(pos[self.queries], others, self.valid)
        recall, ndcg = _full_ranking(lambda rows: score.dense(rows, self.columns),
                                     self.ranked_rows, self.exclude, self.relevant, _RANK_AT)
        return {
            "roc_auc": float(roc_auc_score(labels, np.r_[pos, neg])),
            "mrr": mrr,
            f"hits@{_HITS_AT}": hits,
            f"recall@{_RANK_AT}": recall,
            f"ndcg@{_RANK_AT}": ndcg,
            "n_test_pairs": self.n_test_pairs,
            "n_excluded": self.n_excluded,
            "n_positives": int(pos.size),
            "n_negatives": int(neg.size),
            "n_queries": int(self.queries.size),
            "n_candidates": self.n_candidates,
            "n_known_links": self.n_known_links,
            "n_ranked_rows": int(self.ranked_rows.size),
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


def _is_embedder(model_or_vectors):
    return hasattr(model_or_vectors, "link_vectors_")


def _input_kind(estimator):
    """``"matrix"`` or ``"link_lists"``: what the LinkEmbedder was fitted on."""
    return estimator.vocabulary_.input_kind


def _encode(estimator, X):
    """The rows of ``X`` over the estimator's known links (CSR; column j is links_[j])."""
    return estimator.vocabulary_.encode(X).csr


def _check_inputs(model_or_vectors, X_train, X_test):
    """``X_train`` and ``X_test`` as CSR matrices over the same links, and ``X_train`` as
    the LinkEmbedder's ``transform`` takes it.

    Link lists become binary matrices over one vocabulary: a LinkEmbedder's ``links_``
    first, in order (so that column j is ``links_[j]``), then the other links of
    ``X_train`` and ``X_test`` in order of first appearance.
    """
    lists = is_link_lists(X_train)
    if lists != is_link_lists(X_test):
        raise TypeError("X_train and X_test must be of the same kind, both link lists or "
                        f"both matrices; got {type(X_train).__name__} and "
                        f"{type(X_test).__name__}.")
    kind = _input_kind(model_or_vectors) if _is_embedder(model_or_vectors) else None
    if not lists:
        if kind == "link_lists":
            raise TypeError(
                "The LinkEmbedder was fitted on link lists; pass X_train and X_test as link "
                "lists too (train_test_split_links splits link lists), not matrices."
            )
        X_train, X_test = _check_pair(X_train, X_test)
        return X_train, X_test, X_train
    if kind == "matrix":
        raise TypeError("The LinkEmbedder was fitted on a rows x links matrix; pass X_train "
                        "and X_test as matrices with its columns, not link lists.")
    if isinstance(model_or_vectors, tuple):
        raise TypeError("(row_vectors, link_vectors) are indexed by the columns of X_train; "
                        "pass X_train and X_test as rows x links matrices, not link lists.")
    train_rows, test_rows = _rows_of(X_train), _rows_of(X_test)
    if len(train_rows) != len(test_rows):
        raise ValueError(f"X_train and X_test must have the same rows, got {len(train_rows)} "
                         f"and {len(test_rows)} rows.")
    vocabulary = {}
    if kind is not None:
        vocabulary = {key: j for j, key in enumerate(model_or_vectors.links_)}
    train_ids = _link_ids(train_rows, vocabulary)
    test_ids = _link_ids(test_rows, vocabulary)
    _check_no_missing_links(train_rows + test_rows, vocabulary)
    shape = (len(train_rows), len(vocabulary))
    return _binary_csr(*train_ids, shape), _binary_csr(*test_ids, shape), X_train


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


class _KeySet:
    """Membership of (row, link) keys ``row * n_links + link`` among ``sorted_keys``.

    A bitmap of all cells when it fits in ``_MAX_BITMAP_BYTES``, else a binary search:
    the bitmap answers millions of draws ~10x faster (one byte read each, where the
    search reads ~20 scattered keys).
    """

    def __init__(self, sorted_keys, shape):
        self.sorted_keys = sorted_keys
        self.bits = None
        n_cells = int(shape[0]) * int(shape[1])
        if n_cells <= 8 * _MAX_BITMAP_BYTES:
            self.bits = np.zeros((n_cells + 7) // 8, dtype=np.uint8)
            if sorted_keys.size:
                byte = sorted_keys >> 3
                first = np.flatnonzero(np.r_[True, byte[1:] != byte[:-1]])
                flags = np.left_shift(1, sorted_keys & 7).astype(np.uint8)
                self.bits[byte[first]] = np.bitwise_or.reduceat(flags, first)

    def contains(self, keys):
        if self.bits is None:
            return _contains(self.sorted_keys, keys)
        return (self.bits[keys >> 3] >> (keys & 7).astype(np.uint8)) & 1 == 1


def _sample_non_links(rows, n_per_row, pool, forbidden, n_links, rng):
    """``n_per_row`` links from ``pool`` (None: all links) per entry of ``rows``, none a
    (row, link) key in the :class:`_KeySet` ``forbidden``; by rejection, all draws of a
    round at once. Returns the links and a mask of the draws that succeeded (a row linked
    to all of ``pool`` gets none)."""
    flat_rows = np.repeat(rows.astype(np.int64), n_per_row)
    links = np.zeros(flat_rows.size, dtype=np.int64)
    valid = np.zeros(flat_rows.size, dtype=bool)
    todo = np.arange(flat_rows.size)
    for _ in range(_MAX_ROUNDS):
        if todo.size == 0:
            break
        draws = rng.randint(n_links if pool is None else pool.size, size=todo.size)
        if pool is not None:
            draws = pool[draws]
        ok = ~forbidden.contains(flat_rows[todo] * n_links + draws)
        accepted = todo[ok]
        links[accepted] = draws[ok]
        valid[accepted] = True
        todo = todo[~ok]
    return links.reshape(-1, n_per_row), valid.reshape(-1, n_per_row)


def _unit(a):
    """Rows scaled to unit norm, in their own dtype; zero (and NaN) rows become zero."""
    a = np.nan_to_num(np.asarray(a), nan=0.0, posinf=0.0, neginf=0.0)
    return unit_rows(a, dtype=a.dtype if a.dtype.kind == "f" else np.float64)


class _CosineScorer:
    """``R[row] . V[link] + bias[link]``: unit row vectors ``R`` against link vectors ``V``.

    Unit ``V`` and no bias are cosines; a LinkEmbedder's ``link_output_vectors_`` and
    ``link_bias_`` are its own :meth:`~sklearn_linkembed.LinkEmbedder.link_scores`.
    """

    def __init__(self, R, V, bias=None):
        self.R, self.V = R, V
        self.bias = np.zeros(V.shape[0], dtype=V.dtype) if bias is None else bias

    def __call__(self, rows, links):
        out = np.empty(links.shape, dtype=np.float64)
        step = max(1, _FLOATS_PER_BLOCK // max(links.shape[1] * self.V.shape[1], 1))
        for start in range(0, rows.size, step):  # blocks of pairs, bounded memory
            block = slice(start, start + step)
            out[block] = (np.matmul(self.V[links[block]], self.R[rows[block], :, None])[..., 0]
                          + self.bias[links[block]])
        return out

    def dense(self, rows, columns=None):
        if columns is None:
            return self.R[rows] @ self.V.T + self.bias
        return self.R[rows] @ self.V[columns].T + self.bias[columns]


class _PopularityScorer:
    """The training degree of the link, whatever the row."""

    def __init__(self, X_train):
        self.degree = np.diff(X_train.tocsc().indptr).astype(np.float64)

    def __call__(self, rows, links):
        return self.degree[links]

    def dense(self, rows, columns=None):
        degree = self.degree if columns is None else self.degree[columns]
        return np.tile(degree, (len(rows), 1))


class _ItemKNNScorer:
    """Item-based collaborative filtering: ``(i, l)`` scores ``sum_j cos(X[:, j], X[:, l])``
    over the training links ``j`` of row ``i``.

    The link x link cosines are one sparse product, ``C.T @ C`` with ``C`` the columns of
    ``X_train`` scaled to unit norm (as sparse as the co-occurrences of links); a pair
    sums the cosines of its row's links by binary search in them, and a block of rows is
    the sparse product of its rows' links with the cosines (dense over the block only).
    """

    def __init__(self, X_train):
        X_train = sp.csr_matrix(X_train, dtype=np.float64, copy=True)
        norms = np.sqrt(np.asarray(X_train.multiply(X_train).sum(axis=0)).ravel())
        X_train.data /= norms[X_train.indices]  # a column with an entry has a norm
        similarity = sp.csr_matrix(X_train.T @ X_train)
        similarity.sum_duplicates()
        similarity.sort_indices()
        self.links = sp.csr_matrix((np.ones(X_train.nnz), X_train.indices, X_train.indptr),
                                   shape=X_train.shape)
        self.similarity = similarity
        self.keys = _keys(similarity)
        self._columns = self._similarity_columns = None

    def __call__(self, rows, links):
        n_links = self.links.shape[1]
        flat_rows, flat_links = np.repeat(rows, links.shape[1]), links.ravel()
        out = np.zeros(flat_rows.size)
        degree = np.diff(self.links.indptr)[flat_rows]
        if self.keys.size == 0 or not degree.any():
            return out.reshape(links.shape)
        # Blocks of pairs of at most _FLOATS_PER_BLOCK (pair, training link) terms.
        ends = np.cumsum(degree)
        bounds = np.unique(np.r_[0, np.searchsorted(
            ends, np.arange(_FLOATS_PER_BLOCK, ends[-1], _FLOATS_PER_BLOCK), side="right"),
            flat_rows.size])
        for start, stop in pairwise(bounds):
            terms = degree[start:stop]
            pair = np.repeat(np.arange(stop - start), terms)
            offset = np.arange(pair.size) - np.repeat(np.cumsum(terms) - terms, terms)
            mine = self.links.indices[self.links.indptr[flat_rows[start:stop]][pair] + offset]
            keys = mine.astype(np.int64) * n_links + flat_links[start:stop][pair]
            at = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
            cosines = np.where(self.keys[at] == keys, self.similarity.data[at], 0.0)
            out[start:stop] = np.bincount(pair, weights=cosines, minlength=stop - start)
        return out.reshape(links.shape)

    def dense(self, rows, columns=None):
        similarity = self.similarity
        if columns is not None:
            if self._columns is not columns:
                self._columns, self._similarity_columns = columns, similarity[:, columns]
            similarity = self._similarity_columns
        return np.asarray((self.links[rows] @ similarity).todense())


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


def _auc(positives, negatives):
    """ROC-AUC of ``positives`` against ``negatives``, a tie counting half.

    The value of :func:`~sklearn.metrics.roc_auc_score` (to rounding), from one sort of
    the negatives and a binary search of each positive: ~10x faster on the millions of
    candidate scores of a scorer's fold, where ``roc_auc_score`` sorts all scores
    stably and checks its labels.
    """
    negatives = np.sort(negatives)
    below = np.searchsorted(negatives, positives, side="left").sum(dtype=np.int64)
    up_to = np.searchsorted(negatives, positives, side="right").sum(dtype=np.int64)
    return float((below + up_to) / (2 * positives.size * negatives.size))


class _ValidationRanking:
    """Recall@10 of held-out pairs over all links, for early stopping after each epoch.

    ``train`` and ``held_out`` are CSR rows x links (the pairs trained on and those kept
    aside); at most ``n_rows`` rows with held-out pairs, drawn from ``random_state``, are
    ranked. ``score(R, V, bias)`` ranks with unit row vectors ``R`` (all rows) against
    link vectors ``V`` plus ``bias``, as the model scores pairs.
    """

    def __init__(self, train, held_out, n_rows, random_state):
        self.train, self.held_out = train.tocsr(), held_out.tocsr()
        rows = np.flatnonzero(np.diff(self.held_out.indptr) > 0)
        if rows.size > n_rows:
            rows = np.sort(check_random_state(random_state).choice(rows, n_rows, replace=False))
        self.rows = rows

    def score(self, R, V, bias):
        scorer = _CosineScorer(R, V, bias)
        return _full_ranking(scorer.dense, self.rows, self.train, self.held_out, _RANK_AT)[0]


def _full_ranking(dense, rows, exclude, relevant, k):
    """Mean Recall@k and NDCG@k of ``rows``, ranking every column but the excluded ones.

    ``dense(block)`` scores the rows of ``block`` against every column (an array of shape
    ``(block.size, n_columns)``); ``exclude`` (CSR, n_rows x n_columns) marks the columns
    each row does not rank (its training links), ``relevant`` (CSR, disjoint from
    ``exclude``) its held-out links, at least one for each of ``rows``. A held-out link
    below ``g`` scores and tied with ``t`` (itself included) takes each place
    ``g + 1 .. g + t`` with equal chance: it is in the first ``k`` with probability
    ``clip(k - g, 0, t) / t`` and its expected gain is the mean discount of those of its
    places within the first ``k``. Rows are scored in blocks of ``_FLOATS_PER_BLOCK``
    scores.
    """
    if rows.size == 0:
        return float("nan"), float("nan")
    # discount[n]: the DCG of the first n places all relevant.
    discount = np.r_[0.0, np.cumsum(1 / np.log2(np.arange(k) + 2))]
    recall, ndcg = np.empty(rows.size), np.empty(rows.size)
    step = max(1, _FLOATS_PER_BLOCK // max(exclude.shape[1], 1))
    for start in range(0, rows.size, step):
        block = rows[start:start + step]
        scores = np.asarray(dense(block))
        local = np.arange(block.size)
        excluded = exclude[block]
        scores[np.repeat(local, np.diff(excluded.indptr)), excluded.indices] = -np.inf
        held = relevant[block]
        n_held = np.diff(held.indptr)
        owner = np.repeat(local, n_held)
        greater, ties = _places(scores, owner, scores[owner, held.indices], k)
        hit = np.clip(k - greater, 0, ties) / ties
        gain = (discount[np.minimum(greater + ties, k)] - discount[np.minimum(greater, k)]) / ties
        ideal = np.minimum(n_held, k)
        recall[start:start + step] = np.bincount(owner, hit, block.size) / ideal
        ndcg[start:start + step] = np.bincount(owner, gain, block.size) / discount[ideal]
    return float(recall.mean()), float(ndcg.mean())


def _places(scores, owner, values, k):
    """Scores greater than and equal to each ``values[i]`` in row ``owner[i]`` of ``scores``.

    ``greater`` is exact below ``k`` (``k`` otherwise), ``ties`` (``values[i]`` itself
    included, at least 1) exact wherever ``greater`` is below ``k``: only each row's
    ``k`` best scores are compared, and the whole row for a value tied with the k-th best.
    """
    n_rows, n_columns = scores.shape
    if n_columns > k:
        top = _top_k(scores, k)
        kth = top.min(axis=1)
    else:
        top, kth = scores, np.full(n_rows, -np.inf)
    best = top[owner]
    greater = np.count_nonzero(best > values[:, None], axis=1)
    ties = np.count_nonzero(best == values[:, None], axis=1)
    # A value tied with the k-th best may have ties beyond the k best: count the row's.
    at_kth = np.flatnonzero(values == kth[owner])
    if at_kth.size:
        need = np.unique(owner[at_kth])
        count = np.zeros(n_rows, dtype=np.int64)
        count[need] = np.count_nonzero(scores[need] == kth[need, None], axis=1)
        ties[at_kth] = count[owner[at_kth]]
    return greater, np.maximum(ties, 1)


def _top_k(scores, k):
    """The ``k`` greatest scores of each row, in no order.

    ``np.partition`` of whole rows costs ~10x a pass over them, so rows are first cut to
    the scores at least a lower bound of their k-th greatest: the k-th greatest of a
    sample of ``_SAMPLE_PER_K * k`` of their columns. About ``_SAMPLE_PER_K * k`` scores a
    row are left to partition.
    """
    n_rows, n_columns = scores.shape
    stride = n_columns // (_SAMPLE_PER_K * k)
    if stride > 1:
        sample = scores[:, ::stride]
        bound = np.partition(sample, sample.shape[1] - k, axis=1)[:, sample.shape[1] - k]
        above = scores >= bound[:, None]
        counts = np.count_nonzero(above, axis=1)
        width = int(counts.max())
        if width <= n_columns // 2:
            cut = np.full((n_rows, width), -np.inf, dtype=scores.dtype)
            cut[np.arange(width) < counts[:, None]] = scores[above]  # row by row, in order
            scores, n_columns = cut, width
    return np.partition(scores, n_columns - k, axis=1)[:, n_columns - k:]


def _link_columns(model):
    """Column of ``X_train`` of each link vector of a LinkEmbedder fitted on a matrix."""
    return np.asarray(model.vocabulary_.columns, dtype=np.int64)


def _resolve(model_or_vectors, X_train, fitted_input, min_count):
    """The scorer, the mask of links with a vector (None: all) and the min_count used."""
    n_rows, n_links = X_train.shape
    if isinstance(model_or_vectors, str):
        baselines = {"popularity": _PopularityScorer, "item-knn": _ItemKNNScorer}
        if model_or_vectors.lower() not in baselines:
            raise ValueError("model_or_vectors must be a fitted LinkEmbedder, a tuple "
                             "(row_vectors, link_vectors), 'popularity' or 'item-knn', got "
                             f"{model_or_vectors!r}.")
        return (baselines[model_or_vectors.lower()](X_train), None,
                _DEFAULT_MIN_COUNT if min_count is None else min_count)
    if _is_embedder(model_or_vectors):
        model = model_or_vectors
        if _input_kind(model) == "matrix":
            if getattr(model, "n_features_in_", n_links) != n_links:
                raise ValueError(f"The model was fitted on {model.n_features_in_} columns, "
                                 f"X_train has {n_links}.")
            columns = _link_columns(model)
        else:  # X_train's columns start with links_ (_check_inputs)
            columns = np.arange(len(model.links_))
        V = np.zeros((n_links, model.link_vectors_.vectors.shape[1]), dtype=np.float32)
        V[columns] = model.link_output_vectors_.vectors
        bias = np.zeros(n_links, dtype=np.float32)
        bias[columns] = model.link_bias_
        has_vector = np.zeros(n_links, dtype=bool)
        has_vector[columns] = True
        R = _unit(np.asarray(model.transform(fitted_input), dtype=np.float32))
        return (_CosineScorer(R, V, bias), has_vector,
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
        return (_CosineScorer(_unit(R), _unit(V)), has_vector,
                _DEFAULT_MIN_COUNT if min_count is None else min_count)
    raise TypeError("model_or_vectors must be a fitted LinkEmbedder, a tuple (row_vectors, "
                    f"link_vectors), 'popularity' or 'item-knn', got "
                    f"{type(model_or_vectors).__name__}.")


def _known_links(X_train, has_vector, min_count):
    known = np.diff(X_train.tocsc().indptr) >= min_count
    return known if has_vector is None else known & has_vector


def _vectors(estimator, X, visible):
    """The model's scorer of the rows inferred from their ``visible`` links."""
    R = np.asarray(estimator.transform(_like_input(estimator, X, visible)), dtype=np.float32)
    return _unit(R), estimator.link_output_vectors_.vectors, estimator.link_bias_


def _like_input(estimator, X, visible):
    """``visible`` (over the estimator's known links) in the kind ``X`` came in."""
    if _input_kind(estimator) == "matrix":
        columns = _link_columns(estimator)
        out = sp.csr_matrix((visible.data, columns[visible.indices], visible.indptr),
                            shape=(visible.shape[0], estimator.n_features_in_))
        out.sort_indices()
        return out
    names = list(estimator.links_)  # names may be tuples: no object array
    flat = list(map(names.__getitem__, visible.indices.tolist()))
    ends = visible.indptr[1:].tolist()
    return [flat[start:end] for start, end in zip([0, *ends[:-1]], ends)]


def _format_report(report, *, known_only, min_count, digits):
    measures = [*_SAMPLED, *_RANKED]
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
    ranked = (f"Recall@{_RANK_AT} and NDCG@{_RANK_AT}: {counts['n_ranked_rows']:,} rows, "
              f"each ranking the {counts['n_known_links']:,} {'known ' if known_only else ''}"
              "links but its training links")
    lines += ["", scored, sampled, ranked]
    return "\n".join(lines)
