"""Negative sampling: the seed notebook's batchifier, vectorised.

A batch holds ``batch_size`` true (row, link) pairs, each followed by
``negative_ratio`` random non-pairs. Non-pairs are drawn as the notebook drew
them: a uniformly random row with a random link (uniform, or in proportion to
``degree ** negative_power`` as word2vec does), re-drawn while it is in fact a
true pair. Memory is a few arrays of ``n_pairs`` integers; no Python set of
pairs and no Python loop per pair.

Examples
--------
>>> from sklearn_linkembed import NegativeSampler
>>> links = [["a", "b"], ["b", "c"], ["a", "c"], ["d"], ["a", "d"]]
>>> sampler = NegativeSampler(links, batch_size=2, negative_ratio=3, min_count=1,
...                           random_state=0)
>>> rows, link_ids, labels = next(sampler.batches())
>>> len(rows), int((labels == 1).sum()), int((labels == -1).sum())
(8, 2, 6)
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._graph import Graph, graph_from_input

__all__ = ["NegativeSampler"]

# Above this density rejection sampling wastes most draws: sample the
# complement (the non-pairs), enumerated, instead.
_DENSE = 0.5
_MAX_CELLS_ENUMERATED = 2**26
# Size of the word2vec-style table that makes degree-weighted link draws O(1).
_TABLE_SIZE = 2**22
# A bit per (row, link) cell answers "is this a true pair?" in the engine with
# one lookup instead of a binary search over the sorted pair keys, the slowest
# part of a step before. It is exact while small (<= 128 MiB) or no larger than
# 4x those keys (density >= 1/256); past that the cells are hashed into 64 bits
# per pair, so memory stays O(pairs): no true pair is ever missed, and at most
# about 1.5% of the non-pairs share a bit with a true pair and are dropped too.
_MAX_BITMAP_BITS_PER_PAIR = 256
_SMALL_BITMAP_BITS = 2**30
_HASHED_BITS_PER_PAIR = 64
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing's multiplier


class _GraphHolder(BaseEstimator):
    """Lets :func:`graph_from_input` validate a matrix outside an estimator."""


class NegativeSampler:
    """Batches of true (row, link) pairs and random non-pairs.

    This is the seed notebook's ``batchifier`` made fast and safe: batches are
    vectorised, a negative is never a true pair, and a graph so dense that no
    non-pair exists is an error instead of an endless loop. It is what
    :class:`LinkEmbedder` trains on (its TensorFlow engine draws the same
    negatives inside the graph) and it hands users the notebook's batches as a
    ``tf.data.Dataset`` for their own Keras models.

    Parameters
    ----------
    X : iterable of link lists, sparse matrix or array of shape (n_rows, n_links)
        The graph, in any input :class:`LinkEmbedder` accepts.
    batch_size : int, default=512
        True pairs per batch.
    negative_ratio : int, default=10
        Non-pairs per true pair.
    negative_power : float, default=0.0
        Links of non-pairs are drawn in proportion to ``degree ** negative_power``:
        0 is uniform (the notebook), 0.75 is word2vec's choice.
    min_count : int, default=3
        Links in fewer rows than this are dropped, as in the notebook.
    negative_label : float, default=-1.0
        Label of non-pairs (true pairs are labelled 1). Use 0 for a sigmoid model.
    negative_sampling : {"pair", "link"}, default="pair"
        ``"pair"``: a non-pair is a random row with a random link (the notebook).
        ``"link"``: it keeps its true pair's row and draws only the link
        (word2vec's corruption), so every row sees ``negative_ratio`` non-pairs
        per link it has.
    random_state : int, RandomState instance or None, default=None
        Seeds the order of true pairs and the draw of non-pairs. With an int,
        every pass over :meth:`batches` or the dataset repeats the same batches.

    Attributes
    ----------
    n_rows, n_links, n_pairs : int
        Size of the graph after ``min_count``.
    link_keys : list
        Name of each link id.
    row_keys : list or None
        Name of each row id (``None``: rows are known by position).

    See Also
    --------
    LinkEmbedder : Trains embeddings on these batches.

    Examples
    --------
    >>> from sklearn_linkembed import NegativeSampler
    >>> films = [["Harrison Ford", "George Lucas"], ["Harrison Ford", "Steven Spielberg"],
    ...          ["Mark Hamill", "George Lucas"]]
    >>> sampler = NegativeSampler(films, batch_size=2, negative_ratio=3, min_count=1,
    ...                           random_state=0)
    >>> sampler.n_rows, sampler.n_links, sampler.n_pairs, len(sampler)
    (3, 4, 6, 3)
    >>> sampler.link_keys
    ['Harrison Ford', 'George Lucas', 'Steven Spielberg', 'Mark Hamill']
    >>> rows, links, labels = next(sampler.batches())
    >>> labels.tolist()
    [1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0]
    """

    @validate_params(
        {
            "batch_size": [Interval(Integral, 1, None, closed="left")],
            "negative_ratio": [Interval(Integral, 0, None, closed="left")],
            "negative_power": [Interval(Real, 0, None, closed="left")],
            "min_count": [Interval(Integral, 1, None, closed="left")],
            "negative_label": [Real],
            "negative_sampling": [StrOptions({"pair", "link"})],
            "random_state": ["random_state"],
        },
        prefer_skip_nested_validation=True,
    )
    def __init__(self, X, *, batch_size=512, negative_ratio=10, negative_power=0.0,
                 min_count=3, negative_label=-1.0, negative_sampling="pair", random_state=None):
        graph = X if isinstance(X, Graph) else graph_from_input(
            _GraphHolder(), X, min_count=min_count, reset=True)
        self.batch_size = batch_size
        self.negative_ratio = negative_ratio
        self.negative_power = negative_power
        self.negative_label = negative_label
        self.negative_sampling = negative_sampling
        self.random_state = random_state
        self.link_keys = graph.link_keys
        self.row_keys = graph.row_keys
        csr = graph.csr
        self.n_rows, self.n_links = csr.shape
        self.n_pairs = csr.nnz
        if self.n_pairs == 0:
            raise ValueError(
                f"The graph has no (row, link) pairs left after min_count={min_count}: no link "
                f"occurs in {min_count} or more rows (got {self.n_rows} sample"
                f"{'' if self.n_rows == 1 else 's'}). Lower min_count or pass more rows."
            )
        csr.sort_indices()
        self.pair_rows = np.repeat(np.arange(self.n_rows, dtype=np.int32), np.diff(csr.indptr))
        self.pair_links = csr.indices.astype(np.int32)
        # Edge weights scale each true pair's loss; binary graphs give all ones.
        self.pair_weights = (csr.data / csr.data.mean()).astype(np.float32)
        # Sorted because CSR is sorted by row then link: membership is a binary search.
        self._pair_keys = self.pair_rows.astype(np.int64) * self.n_links + self.pair_links
        self._init_negatives()

    def _init_negatives(self):
        cells = self.n_rows * self.n_links
        n_free = cells - self.n_pairs
        if self.negative_ratio and n_free == 0:
            raise ValueError(
                f"The graph is complete: all {self.n_rows} rows link to all {self.n_links} links, "
                "so no negative (row, link) non-pair exists. Negative sampling needs a sparser "
                "graph (or negative_ratio=0)."
            )
        # A row linked to every link has no non-link of its own: under "link"
        # sampling its non-pairs are drawn as under "pair".
        self._full_rows = (np.bincount(self.pair_rows, minlength=self.n_rows) == self.n_links)
        self.complement = None
        if self.n_pairs / cells > _DENSE:
            if cells > _MAX_CELLS_ENUMERATED:
                raise ValueError(
                    f"The graph is too dense to draw negatives from: {self.n_pairs} of "
                    f"{cells} possible pairs are true pairs (density "
                    f"{self.n_pairs / cells:.2f} > {_DENSE}). Raise min_count or drop links "
                    "present in most rows."
                )
            free = np.ones(cells, dtype=bool)
            free[self._pair_keys] = False
            self.complement = np.flatnonzero(free).astype(np.int64)
        self.link_table = None
        if self.negative_power > 0:
            degree = np.bincount(self.pair_links, minlength=self.n_links).astype(np.float64)
            p = degree**self.negative_power
            self.link_table = _unigram_table(p / p.sum(), max(_TABLE_SIZE, 16 * self.n_links))

    def __len__(self):
        """Batches per epoch (every true pair once)."""
        return (self.n_pairs + self.batch_size - 1) // self.batch_size

    def is_pair(self, rows, links):
        """Whether each (row, link) is a true pair of the graph.

        Parameters
        ----------
        rows : array-like of int
            Row ids, in ``range(n_rows)``.
        links : array-like of int
            Link ids, in ``range(n_links)`` (positions in :attr:`link_keys`), one per
            row id.

        Returns
        -------
        is_pair : ndarray of bool
            True where ``(rows[i], links[i])`` is a true pair.

        See Also
        --------
        NegativeSampler.draw_negatives : Random non-pairs, never true pairs.
        NegativeSampler.pair_bitmap : The same answer as a bitmap of the graph.

        Examples
        --------
        >>> from sklearn_linkembed import NegativeSampler
        >>> sampler = NegativeSampler([["a", "b"], ["b"]], min_count=1)
        >>> sampler.is_pair([0, 1, 1], [0, 0, 1]).tolist()
        [True, False, True]
        """
        keys = np.asarray(rows, dtype=np.int64) * self.n_links + np.asarray(links)
        pos = np.minimum(np.searchsorted(self._pair_keys, keys), self.n_pairs - 1)
        return self._pair_keys[pos] == keys

    def pair_bitmap(self):
        """The true pairs as bits of int32 words, for O(1) membership tests.

        Bit ``i % 32`` of word ``i // 32`` is set for the true pair with key
        ``row * n_links + link`` and ``i = bitmap_index(key)``: the key itself
        while the graph is small or dense enough (one bit per cell), else a
        hash of it into ``2 ** bitmap_hash_bits`` bits (64 per pair), where a
        few non-pairs share a true pair's bit.

        Returns
        -------
        bitmap : ndarray of int32
            The bits.

        See Also
        --------
        NegativeSampler.is_pair : Look pairs up without a bitmap.

        Examples
        --------
        >>> from sklearn_linkembed import NegativeSampler
        >>> sampler = NegativeSampler([["a", "b"], ["b"]], min_count=1)
        >>> sampler.pair_bitmap()  # keys 0, 1 and 3: 0b1011
        array([11], dtype=int32)
        """
        index = self.bitmap_index(self._pair_keys)
        n_bits = (self.n_rows * self.n_links if self.bitmap_hash_bits is None
                  else 1 << self.bitmap_hash_bits)
        words = np.zeros(-(-n_bits // 32), dtype=np.uint32)
        if self.bitmap_hash_bits is not None:  # hashing loses the keys' order
            index = np.sort(index)
        bits = np.left_shift(np.uint32(1), (index & 31).astype(np.uint32))
        word = index >> 5
        starts = np.flatnonzero(np.r_[True, word[1:] != word[:-1]])
        words[word[starts]] = np.bitwise_or.reduceat(bits, starts)
        return words.view(np.int32)

    @property
    def bitmap_hash_bits(self):
        """``None`` when :meth:`pair_bitmap` has a bit per cell, else its size as a power of 2."""
        cells = self.n_rows * self.n_links
        if cells <= max(_MAX_BITMAP_BITS_PER_PAIR * self.n_pairs, _SMALL_BITMAP_BITS):
            return None
        return int(np.ceil(np.log2(_HASHED_BITS_PER_PAIR * self.n_pairs)))

    def bitmap_index(self, keys):
        """Bit of :meth:`pair_bitmap` that stands for each pair key.

        Parameters
        ----------
        keys : array-like of int
            Pair keys ``row * n_links + link``.

        Returns
        -------
        index : ndarray of int64
            The key itself when the bitmap has a bit per cell, else its
            Fibonacci hash into ``2 ** bitmap_hash_bits`` bits.

        See Also
        --------
        NegativeSampler.pair_bitmap : The bits these indices address.

        Examples
        --------
        >>> from sklearn_linkembed import NegativeSampler
        >>> sampler = NegativeSampler([["a", "b"], ["b"]], min_count=1)
        >>> sampler.bitmap_index([0, 3])  # a small graph: one bit per cell
        array([0, 3])
        """
        keys = np.asarray(keys, dtype=np.int64)
        if self.bitmap_hash_bits is None:
            return keys
        with np.errstate(over="ignore"):
            hashed = keys.astype(np.uint64) * _GOLDEN
        return (hashed >> np.uint64(64 - self.bitmap_hash_bits)).astype(np.int64)

    def draw_negatives(self, n, random_state=None, rows=None):
        """Draw ``n`` random non-pairs ``(rows, links)``; none is a true pair.

        With ``rows`` (length ``n``) given, only the links are drawn.

        Parameters
        ----------
        n : int
            Number of non-pairs.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw.
        rows : array-like of int of shape (n,), default=None
            Row ids of the non-pairs (``negative_sampling="link"``); ``None`` draws
            them uniformly too.

        Returns
        -------
        rows : ndarray of shape (n,), dtype int32
            Row ids.
        links : ndarray of shape (n,), dtype int32
            Link ids, drawn uniformly or in proportion to ``degree ** negative_power``.

        See Also
        --------
        NegativeSampler.batches : True pairs with their non-pairs, batch by batch.

        Examples
        --------
        >>> from sklearn_linkembed import NegativeSampler
        >>> sampler = NegativeSampler([["a", "b"], ["b", "c"], ["a", "c"], ["d"]],
        ...                           min_count=1)
        >>> rows, links = sampler.draw_negatives(6, random_state=0)
        >>> rows.shape, links.shape, bool(sampler.is_pair(rows, links).any())
        ((6,), (6,), False)
        """
        rng = check_random_state(random_state)
        if rows is not None:
            rows = np.array(rows, dtype=np.int32)
            links = self._draw_links(rng, len(rows))
            full = np.flatnonzero(self._full_rows[rows])
            if len(full):
                rows[full], links[full] = self.draw_negatives(len(full), rng)
            bad = np.flatnonzero(self.is_pair(rows, links))
            # Every remaining row misses a link, so each round fixes some in expectation.
            while len(bad):
                links[bad] = self._draw_links(rng, len(bad))
                bad = bad[self.is_pair(rows[bad], links[bad])]
            return rows, links
        if self.complement is not None:
            rows, links = np.divmod(self.complement[rng.randint(len(self.complement), size=n)],
                                    self.n_links)
            return rows.astype(np.int32), links.astype(np.int32)
        rows = rng.randint(self.n_rows, size=n).astype(np.int32)
        links = self._draw_links(rng, n)
        bad = np.flatnonzero(self.is_pair(rows, links))
        # Density <= 1/2, so each round at least halves the rejects in expectation.
        for _ in range(200):
            if not len(bad):
                return rows, links
            rows[bad] = rng.randint(self.n_rows, size=len(bad))
            links[bad] = self._draw_links(rng, len(bad))
            bad = bad[self.is_pair(rows[bad], links[bad])]
        raise RuntimeError("Could not draw non-pairs; the graph is too dense.")  # pragma: no cover

    def _draw_links(self, rng, n):
        if self.link_table is None:
            return rng.randint(self.n_links, size=n).astype(np.int32)
        return self.link_table[rng.randint(len(self.link_table), size=n)]

    def batches(self, epochs=1):
        """Yield ``(rows, links, labels)`` batches for ``epochs`` passes over the pairs.

        Each batch is ``batch_size`` true pairs (labelled 1; the last batch of an
        epoch may be smaller) then ``negative_ratio`` non-pairs per true pair
        (labelled ``negative_label``). Pass ``epochs=None`` to repeat forever.

        Parameters
        ----------
        epochs : int or None, default=1
            Passes over all true pairs, each in a new random order.

        Yields
        ------
        rows : ndarray of shape (n_examples,), dtype int32
            Row ids, true pairs first.
        links : ndarray of shape (n_examples,), dtype int32
            Link ids.
        labels : ndarray of shape (n_examples,), dtype float32
            1 for a true pair, ``negative_label`` for a non-pair.

        See Also
        --------
        NegativeSampler.as_tf_dataset : The same batches as a ``tf.data.Dataset``.

        Examples
        --------
        >>> from sklearn_linkembed import NegativeSampler
        >>> sampler = NegativeSampler([["a", "b"], ["b", "c"], ["a", "c"], ["d"]],
        ...                           batch_size=2, negative_ratio=1, min_count=1,
        ...                           random_state=0)
        >>> [labels.tolist() for _, _, labels in sampler.batches(epochs=1)]
        [[1.0, 1.0, -1.0, -1.0], [1.0, 1.0, -1.0, -1.0], [1.0, 1.0, -1.0, -1.0], [1.0, -1.0]]
        """
        rng = check_random_state(self.random_state)
        epoch = 0
        while epochs is None or epoch < epochs:
            order = rng.permutation(self.n_pairs)
            for start in range(0, self.n_pairs, self.batch_size):
                pos = order[start:start + self.batch_size]
                rows = (np.repeat(self.pair_rows[pos], self.negative_ratio)
                        if self.negative_sampling == "link" else None)
                neg_rows, neg_links = self.draw_negatives(len(pos) * self.negative_ratio, rng,
                                                          rows=rows)
                labels = np.full(len(pos) * (1 + self.negative_ratio), self.negative_label,
                                 dtype=np.float32)
                labels[:len(pos)] = 1.0
                yield (np.concatenate([self.pair_rows[pos], neg_rows]),
                       np.concatenate([self.pair_links[pos], neg_links]), labels)
            epoch += 1

    def as_tf_dataset(self, epochs=None, *, row_name="movie", link_name="link"):
        """The batches as a ``tf.data.Dataset`` of ``({link_name: ..., row_name: ...}, label)``.

        This is the seed notebook's generator output, ready for ``model.fit`` of a
        Keras model with two integer inputs (``steps_per_epoch=len(sampler)``).

        Parameters
        ----------
        epochs : int or None, default=None
            Passes over all true pairs; ``None`` repeats forever, as the notebook's
            generator did.
        row_name : str, default="movie"
            Key of the row ids in the features (the name of the model's row input).
        link_name : str, default="link"
            Key of the link ids in the features.

        Returns
        -------
        dataset : tf.data.Dataset
            Elements ``({link_name: int32 ids, row_name: int32 ids}, float32 labels)``,
            one per batch of :meth:`batches`, prefetched.

        See Also
        --------
        NegativeSampler.batches : The same batches as numpy arrays.

        Examples
        --------
        >>> from sklearn_linkembed import NegativeSampler
        >>> sampler = NegativeSampler([["a", "b"], ["b", "c"], ["a", "c"], ["d"]],
        ...                           batch_size=2, negative_ratio=3, min_count=1)
        >>> features, labels = next(iter(sampler.as_tf_dataset(epochs=1)))
        >>> sorted(features), features["movie"].dtype.name, tuple(labels.shape)
        (['link', 'movie'], 'int32', (8,))
        """
        import tensorflow as tf

        def generate():
            for rows, links, labels in self.batches(epochs):
                yield {link_name: links, row_name: rows}, labels

        spec = tf.TensorSpec(shape=(None,), dtype=tf.int32)
        return tf.data.Dataset.from_generator(
            generate,
            output_signature=({link_name: spec, row_name: spec},
                              tf.TensorSpec(shape=(None,), dtype=tf.float32)),
        ).prefetch(tf.data.AUTOTUNE)


def _unigram_table(p, size):
    """int32 table in which link ``i`` fills about ``p[i] * size`` cells (word2vec's trick)."""
    counts = np.floor(p * size).astype(np.int64)
    # Largest remainders get the cells lost to flooring, so the table has exactly `size` cells.
    short = size - counts.sum()
    if short > 0:
        counts[np.argsort(counts - p * size)[:short]] += 1
    return np.repeat(np.arange(len(p), dtype=np.int32), counts)
