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
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._graph import Graph, LinkVocabulary
from ._pairs import Pairs

__all__ = ["NegativeSampler"]


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
        graph = X if isinstance(X, Graph) else LinkVocabulary(min_count).fit_encode(X)
        self.batch_size = batch_size
        self.negative_ratio = negative_ratio
        self.negative_power = negative_power
        self.negative_label = negative_label
        self.negative_sampling = negative_sampling
        self.random_state = random_state
        self.link_keys = graph.link_keys
        self.row_keys = graph.row_keys
        self.pairs = Pairs.from_csr(graph.csr)
        self.n_rows, self.n_links = graph.csr.shape
        self.n_pairs = self.pairs.n_pairs
        if self.negative_ratio or self.n_pairs == 0:
            self.pairs.check_samplable(min_count)  # no pair, no non-pair, or too dense
        self._complement = self.pairs.complement()
        self._link_table = self.pairs.unigram_table(negative_power)

    @property
    def pair_rows(self):
        """Row id of each true pair (int32, CSR order)."""
        return self.pairs.rows

    @property
    def pair_links(self):
        """Link id of each true pair (int32, CSR order)."""
        return self.pairs.links

    @property
    def pair_weights(self):
        """Weight of each true pair's loss (float32, mean 1; all ones for binary graphs)."""
        return self.pairs.pair_weights()

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
        return self.pairs.contains(rows, links)

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
        return self.pairs.bitmap()

    @property
    def bitmap_hash_bits(self):
        """``None`` when :meth:`pair_bitmap` has a bit per cell, else its size as a power of 2."""
        return self.pairs.bitmap_hash_bits

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
        return self.pairs.bitmap_index(keys)

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
            full = np.flatnonzero(self.pairs.full_rows()[rows])
            if len(full):
                rows[full], links[full] = self.draw_negatives(len(full), rng)
            bad = np.flatnonzero(self.is_pair(rows, links))
            # Every remaining row misses a link, so each round fixes some in expectation.
            while len(bad):
                links[bad] = self._draw_links(rng, len(bad))
                bad = bad[self.is_pair(rows[bad], links[bad])]
            return rows, links
        if self._complement is not None:
            rows, links = np.divmod(self._complement[rng.randint(len(self._complement), size=n)],
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
        if self._link_table is None:
            return rng.randint(self.n_links, size=n).astype(np.int32)
        return self._link_table[rng.randint(len(self._link_table), size=n)]

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
                rows = (np.repeat(self.pairs.rows[pos], self.negative_ratio)
                        if self.negative_sampling == "link" else None)
                neg_rows, neg_links = self.draw_negatives(len(pos) * self.negative_ratio, rng,
                                                          rows=rows)
                labels = np.full(len(pos) * (1 + self.negative_ratio), self.negative_label,
                                 dtype=np.float32)
                labels[:len(pos)] = 1.0
                yield (np.concatenate([self.pairs.rows[pos], neg_rows]),
                       np.concatenate([self.pairs.links[pos], neg_links]), labels)
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
