"""Synthetic bipartite graphs of rows and links with planted communities."""

from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_bipartite_graph", "make_seed_shaped_graph"]

# Spread of the log-normal row weights: the busiest of 10,000 rows gets about
# nine times the links of the median row, as long film articles do.
_ROW_WEIGHT_SIGMA = 0.75
# Above half of all cells, dropping duplicates stops being a sensible way to
# draw distinct pairs (and the graph is no longer sparse).
_MAX_DENSITY = 0.5
_MAX_ROUNDS = 30

# The shape of the seed notebook's graph: films, links kept (>= 3 films), pairs.
_SEED_N_ROWS = 10_000
_SEED_N_LINKS = 66_913
_SEED_N_PAIRS = 949_544
_SEED_N_COMMUNITIES = 50


@validate_params(
    {
        "n_rows": [Interval(Integral, 1, None, closed="left")],
        "n_links": [Interval(Integral, 1, None, closed="left")],
        "n_pairs": [Interval(Integral, 1, None, closed="left")],
        "n_communities": [Interval(Integral, 1, None, closed="left")],
        "mixing": [Interval(Real, 0, 1, closed="both")],
        "popularity_exponent": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_bipartite_graph(
    n_rows=1000,
    n_links=2000,
    n_pairs=20000,
    *,
    n_communities=10,
    mixing=0.1,
    popularity_exponent=1.2,
    random_state=None,
):
    """Generate a bipartite rows x links graph with communities and popular links.

    Rows (films, say) and links (the articles they link to) are split evenly
    into ``n_communities`` random communities. Every link has a popularity
    weight following Zipf's law, ``rank ** -popularity_exponent`` for a
    random ranking, and every row a log-normal activity weight. Each pair
    takes a row drawn by activity and a link drawn by popularity, from the
    row's community with probability ``1 - mixing`` and from all links
    otherwise. A few links thus appear in most rows of their community (and,
    through mixing, in many others) while most links appear in a handful of
    rows, as in real link graphs.

    Exactly ``n_pairs`` distinct pairs are kept, and every row and every link
    is in at least one of them: each row and each link first gets one pair
    drawn the same way, then pairs are drawn and duplicates dropped until
    enough are distinct. The community draws and the mixed draws are topped
    up separately, so that a fraction ``1 - mixing`` of the distinct pairs
    comes from community draws even though duplicates are likelier there.

    Parameters
    ----------
    n_rows : int, default=1000
        The number of rows.

    n_links : int, default=2000
        The number of links (columns).

    n_pairs : int, default=20000
        The number of distinct (row, link) pairs, the number of stored
        entries of ``X``. At least ``n_rows + n_links`` and at most half of
        ``n_rows * n_links``.

    n_communities : int, default=10
        The number of communities; at most ``min(n_rows, n_links)``.

    mixing : float, default=0.1
        The probability that a pair's link is drawn from all links instead of
        from its row's community, in [0, 1]. With ``mixing=1`` there is no
        community structure.

    popularity_exponent : float, default=1.2
        The exponent of the Zipf weights of the links. Larger values put more
        pairs on the most popular links; 0 makes all links equally popular.

    random_state : int, RandomState instance or None, default=None
        Determines the communities, the weights and the pairs. Pass an int
        for reproducible output across multiple function calls.
        See :term:`Glossary <random_state>`.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_rows, n_links), dtype float32
        The graph: 1.0 where a row links to a link. No duplicate entries,
        indices sorted.

    row_communities : ndarray of shape (n_rows,), dtype int64
        The community of each row, in ``range(n_communities)``.

    link_communities : ndarray of shape (n_links,), dtype int64
        The community of each link, in ``range(n_communities)``.

    Raises
    ------
    ValueError
        If an argument is out of range, or if the pairs are too concentrated
        on a few cells for ``n_pairs`` distinct ones to be drawn.

    See Also
    --------
    make_seed_shaped_graph : A graph of the seed notebook's shape.
    sklearn.datasets.make_biclusters : Dense matrices with planted biclusters.

    Notes
    -----
    The share of pairs whose link is in their row's community is
    ``1 - mixing`` plus the mixed draws that land in the row's community by
    chance, about ``mixing / n_communities`` (a little less, as those are
    likelier duplicates).

    With the defaults, half the links are in at most 4 rows and the most
    popular in about 400 of the 1000 rows; two rows of one community share
    about 6 links, two rows of different communities about 0.4.

    Examples
    --------
    >>> from sklearn_linkembed.datasets import make_bipartite_graph
    >>> X, row_communities, link_communities = make_bipartite_graph(
    ...     n_rows=100, n_links=300, n_pairs=2000, n_communities=5, random_state=0
    ... )
    >>> X.shape, X.nnz, X.dtype
    ((100, 300), 2000, dtype('float32'))
    >>> bool(X.sum(axis=1).min() >= 1 and X.sum(axis=0).min() >= 1)
    True
    >>> row_communities.shape, link_communities.shape
    ((100,), (300,))
    """
    _check_sizes(n_rows, n_links, n_pairs, n_communities)
    rng = check_random_state(random_state)

    # Balanced sizes, random membership.
    row_communities = rng.permutation(np.arange(n_rows) % n_communities)
    link_communities = rng.permutation(np.arange(n_links) % n_communities)
    link_weights = (1.0 + rng.permutation(n_links)) ** -float(popularity_exponent)
    row_weights = rng.lognormal(sigma=_ROW_WEIGHT_SIGMA, size=n_rows)
    rows = _CommunitySampler(row_weights, row_communities, n_communities)
    links = _CommunitySampler(link_weights, link_communities, n_communities)

    # One pair per row and per link first: top-ups keep pairs in order of
    # first appearance, so every row and every link keeps its pair.
    row_local = rng.random_sample(n_rows) >= mixing
    link_local = rng.random_sample(n_links) >= mixing
    keys = np.concatenate(
        [
            np.arange(n_rows) * n_links + links.draw(row_communities, row_local, rng),
            rows.draw(link_communities, link_local, rng) * n_links + np.arange(n_links),
        ]
    )
    keys, first = _unique_in_order(keys)
    n_local = np.count_nonzero(np.concatenate([row_local, link_local])[first])

    # Duplicates are likelier inside a community, where the popular links
    # saturate; topping up each kind of draw to its own quota keeps the share
    # of community draws at 1 - mixing among the distinct pairs.
    n_extra = n_pairs - keys.size
    n_extra_local = min(max(round((1 - mixing) * n_pairs) - n_local, 0), n_extra)

    def draw(n, local):
        row_ids = rows.draw_all(n, rng)
        return row_ids * n_links + links.draw(row_communities[row_ids], np.full(n, local), rng)

    for n_wanted, local in [(n_extra_local, True), (n_extra - n_extra_local, False)]:
        keys = _top_up(keys, n_wanted, partial(draw, local=local), max_draws=8 * n_pairs)
        if keys is None:
            raise ValueError(
                f"Could not draw n_pairs={n_pairs} distinct pairs: "
                f"the links are too concentrated. Lower n_pairs, popularity_exponent "
                f"(got {popularity_exponent}) or n_communities (got {n_communities}), "
                f"or raise mixing (got {mixing})."
            )

    keys = np.sort(keys[:n_pairs])
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // n_links, minlength=n_rows), out=indptr[1:])
    X = sp.csr_matrix(
        (np.ones(n_pairs, dtype=np.float32), keys % n_links, indptr),
        shape=(n_rows, n_links),
    )
    X.has_sorted_indices = True
    return X, row_communities, link_communities


@validate_params({"random_state": ["random_state"]}, prefer_skip_nested_validation=True)
def make_seed_shaped_graph(random_state=0):
    """Generate a synthetic graph of the seed notebook's shape.

    The seed notebook is notebook 04.2, "Build a recommender system based on
    outgoing Wikipedia links", of the Deep Learning Cookbook (Douwe Osinga,
    O'Reilly 2018; https://github.com/DOsinga/deep_learning_cookbook). From
    its ``wp_movies_10k.ndjson`` it kept 66,913 links occurring in at least
    three of 10,000 films, for 949,544 (film, link) pairs. This preset calls
    :func:`make_bipartite_graph` with that shape, 50 communities and the
    default ``mixing`` and ``popularity_exponent``. Half the links appear in
    at most 5 rows while about 15 appear in over 1,000, the first in about
    7,800 (the notebook's most common link was in 9,393 films); rows have 78
    links at the median and up to about 700. Two rows of one community share
    about 28 links, two rows of different communities fewer than 2. It takes
    one or two seconds.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=0
        Determines the graph. See :term:`Glossary <random_state>`.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (10000, 66913), dtype float32
        The graph, with 949,544 stored ones.

    row_communities : ndarray of shape (10000,), dtype int64
        The community of each row, in ``range(50)``.

    link_communities : ndarray of shape (66913,), dtype int64
        The community of each link, in ``range(50)``.

    See Also
    --------
    make_bipartite_graph : The generator, with every parameter.
    load_wikipedia_movies : Real film links, with 36,116 films.

    Examples
    --------
    >>> from sklearn_linkembed.datasets import make_seed_shaped_graph
    >>> X, row_communities, link_communities = make_seed_shaped_graph()
    >>> X.shape, X.nnz
    ((10000, 66913), 949544)
    """
    return make_bipartite_graph(
        _SEED_N_ROWS,
        _SEED_N_LINKS,
        _SEED_N_PAIRS,
        n_communities=_SEED_N_COMMUNITIES,
        random_state=random_state,
    )


def _check_sizes(n_rows, n_links, n_pairs, n_communities):
    if n_communities > min(n_rows, n_links):
        raise ValueError(
            f"n_communities must be at most min(n_rows, n_links) = {min(n_rows, n_links)} "
            f"so that every community has rows and links, got n_communities={n_communities}."
        )
    if n_pairs < n_rows + n_links:
        raise ValueError(
            f"n_pairs must be at least n_rows + n_links = {n_rows + n_links} so that every "
            f"row and every link has a pair, got n_pairs={n_pairs}."
        )
    n_cells = n_rows * n_links
    if n_pairs > _MAX_DENSITY * n_cells:
        raise ValueError(
            f"n_pairs must be at most half of n_rows * n_links = {n_cells}, i.e. "
            f"{int(_MAX_DENSITY * n_cells)}; got n_pairs={n_pairs}. Graphs that dense are "
            f"not sparse graphs; ask for fewer pairs or more rows or links."
        )


def _unique_in_order(keys):
    """Drop repeated keys, keeping the first occurrence of each in order.

    Returns the kept keys and their positions in ``keys``.
    """
    _, first = np.unique(keys, return_index=True)
    first.sort()
    return keys[first], first


def _top_up(keys, n_wanted, draw, *, max_draws):
    """Append exactly ``n_wanted`` new distinct keys from ``draw(n)``; None if it cannot."""
    n_target = keys.size + n_wanted
    yield_rate = 1.0
    for _ in range(_MAX_ROUNDS):
        missing = n_target - keys.size
        if missing <= 0:
            return keys[:n_target]
        # Enough draws to cover the duplicates seen so far, within memory bounds.
        n_draws = min(int(missing / yield_rate * 1.1) + 100, max_draws)
        n_before = keys.size
        keys, _ = _unique_in_order(np.concatenate([keys, draw(n_draws)]))
        if keys.size == n_before:
            break
        yield_rate = max((keys.size - n_before) / n_draws, 1e-3)
    return keys[:n_target] if keys.size >= n_target else None


class _CommunitySampler:
    """Draw items by weight, either from a given community or from all items.

    Items are sorted by community so that each community is a contiguous
    stretch of one cumulative weight array; one ``searchsorted`` then serves
    draws from any mix of communities.
    """

    def __init__(self, weights, communities, n_communities):
        self.order = np.argsort(communities, kind="stable")
        self.cumulative = np.cumsum(weights[self.order])
        bounds = np.searchsorted(communities[self.order], np.arange(n_communities + 1))
        self.start, self.stop = bounds[:-1], bounds[1:]
        cumulative0 = np.concatenate([[0.0], self.cumulative])
        self.low, self.high = cumulative0[self.start], cumulative0[self.stop]

    def draw(self, communities, local, rng):
        """Draw one item per entry: from ``communities`` where ``local``, else from all."""
        n = communities.size
        low = np.where(local, self.low[communities], 0.0)
        high = np.where(local, self.high[communities], self.cumulative[-1])
        start = np.where(local, self.start[communities], 0)
        stop = np.where(local, self.stop[communities], self.cumulative.size)
        u = low + rng.random_sample(n) * (high - low)
        # Rounding may put u on a neighbouring community's edge.
        position = np.clip(np.searchsorted(self.cumulative, u, side="right"), start, stop - 1)
        return self.order[position]

    def draw_all(self, n, rng):
        """Draw ``n`` items from all communities."""
        u = rng.random_sample(n) * self.cumulative[-1]
        position = np.minimum(
            np.searchsorted(self.cumulative, u, side="right"), self.cumulative.size - 1
        )
        return self.order[position]
