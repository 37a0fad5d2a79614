"""Vectors keyed by name, and the neighbour queries users know from gensim.

A fitted ``LinkEmbedder`` holds two tables of vectors: ``row_vectors_`` (one vector per
row entity, e.g. a film) and ``link_vectors_`` (one per link, e.g. an actor). Both are
:class:`KeyedVectors`, a read-only mapping from keys to ``float32`` vectors with the
neighbour API of gensim's ``KeyedVectors``. Querying, saving and loading them needs
neither TensorFlow nor the model that produced them.

Building and looking up
-----------------------
Keys are hashable, usually strings; integers when rows had no names.

>>> import numpy as np
>>> from sklearn_linkembed.keyedvectors import KeyedVectors, most_similar
>>> films = KeyedVectors(
...     [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]],
...     ["Alien", "Aliens", "Amélie", "Up"],
... )
>>> films
KeyedVectors(n_keys=4, vector_size=2)
>>> "Aliens" in films, len(films), films.get_index("Amélie")
(True, 4, 2)
>>> films["Aliens"]
array([0.8, 0.6], dtype=float32)
>>> round(films.similarity("Alien", "Aliens"), 3)
0.8

Unknown keys raise a :class:`KeyError` that suggests the closest known keys: one equal but
for case, accents or spacing first, then one equal, or beginning or extending the key, once a
trailing disambiguator such as ``" (film)"`` is set aside (``"Star Wars"`` suggests
``"Star Wars (film)"``), then keys sharing its rarer words, then near spellings:

>>> films["Allien"]
Traceback (most recent call last):
    ...
KeyError: "Key 'Allien' not present in vocabulary; closest known keys: 'Alien', 'Aliens', 'Amélie'"

Neighbours
----------
:meth:`KeyedVectors.most_similar` ranks keys by cosine similarity to the (weighted) mean of
the query's unit vectors, leaving the query keys out:

>>> [(key, round(score, 3)) for key, score in films.most_similar("Alien", topn=2)]
[('Aliens', 0.8), ('Amélie', 0.0)]
>>> [(key, round(score, 3)) for key, score in films.most_similar(
...     positive=["Amélie"], negative=["Alien"], topn=1)]
[('Up', 0.99)]
>>> [key for key, _ in films.similar_by_vector(np.array([0.0, 1.0]), topn=2)]
['Amélie', 'Up']

Candidates can be limited, as in gensim, to the first ``restrict_vocab`` keys (tables in
order of frequency keep their rare keys out), or to any set of keys with ``restrict_to``:

>>> [key for key, _ in films.most_similar("Up", restrict_vocab=2)]
['Aliens', 'Alien']
>>> [key for key, _ in films.most_similar("Up", restrict_to=["Alien", "Amélie"])]
['Amélie', 'Alien']

Many queries at once are answered by :meth:`KeyedVectors.most_similar_batch`, one matrix
product per block of candidates:

>>> [[key for key, _ in hits] for hits in films.most_similar_batch(["Alien", "Up"], topn=1)]
[['Aliens'], ['Amélie']]

Across two tables
-----------------
Tables trained in one space, such as the rows and the links of a fitted ``LinkEmbedder``,
answer cross-type questions ("which links best describe this film"): the query is resolved
in one table by :meth:`KeyedVectors.query_vector` and the other is searched with
:meth:`KeyedVectors.similar_by_vector`. ``LinkEmbedder.most_similar(..., query="row",
target="link")`` does exactly that, and the module function :func:`most_similar` passes
such a question on to the model.

>>> actors = KeyedVectors([[0.9, 0.1], [0.1, 0.9]], ["Weaver", "Tautou"])
>>> [key for key, _ in actors.similar_by_vector(films.query_vector("Amélie"), topn=1)]
['Tautou']

Saving and exporting
--------------------
:meth:`KeyedVectors.save` writes a safe, versioned ``.npz`` archive (no pickle, see
:mod:`sklearn_linkembed._persistence`) that :meth:`KeyedVectors.load` reads back exactly.
:meth:`KeyedVectors.save_word2vec_format` writes files that gensim and the original word2vec
tools read, :meth:`KeyedVectors.load_word2vec_format` reads theirs (and ours), and
:meth:`KeyedVectors.export_projector` writes the two TSV files of the TensorBoard Embedding
Projector. The file formats themselves live in :mod:`sklearn_linkembed._persistence`.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = films.save(os.path.join(folder, "films.npz"))
>>> KeyedVectors.load(path).index_to_key
['Alien', 'Aliens', 'Amélie', 'Up']
>>> text = films.save_word2vec_format(os.path.join(folder, "films.txt"))
>>> KeyedVectors.load_word2vec_format(text).index_to_key
['Alien', 'Aliens', 'Amélie', 'Up']
>>> [os.path.basename(p) for p in films.export_projector(os.path.join(folder, "projector"))]
['vectors.tsv', 'metadata.tsv']
"""

import logging
import numbers
import os

import numpy as np
from sklearn.utils import assert_all_finite

from sklearn_linkembed._persistence import (
    load_archive,
    read_word2vec,
    save_archive,
    vectors_from_arrays,
    vectors_to_arrays,
    write_projector,
    write_word2vec,
)
from sklearn_linkembed._suggest import SuggestIndex, close_keys
from sklearn_linkembed._utils import unit_rows

__all__ = ["KeyedVectors", "most_similar"]

logger = logging.getLogger(__name__)

# Candidate vectors scored per block, and the most query x candidate scores held at once
# (2**22 float32 = 16 MiB, plus 32 MiB of int64 positions while selecting): memory stays
# bounded whatever the sizes of the table and of the batch.
_CHUNK_SIZE = 131_072
_BLOCK_ELEMENTS = 1 << 22

class KeyedVectors:
    """Read-only mapping from keys to float32 vectors, with cosine neighbour queries.

    The vectors are stored once as a C-contiguous, read-only ``float32`` array; their unit
    length versions are computed on the first query and cached (the vectors never change).
    Queries score candidates by blocks of vectors with one matrix product per block and keep
    the best ``topn`` of each block with :func:`numpy.argpartition`, so memory stays bounded
    and no full sort is ever done.

    Read more in the module documentation, :mod:`sklearn_linkembed.keyedvectors`.

    Parameters
    ----------
    vectors : array-like of shape (n_keys, vector_size)
        The vectors, converted to ``float32``. They must be finite.
    index_to_key : sequence of hashable
        The key of each row of ``vectors``; keys must be unique.
    copy : bool, default=True
        Copy ``vectors``. With ``copy=False`` a ``float32`` C-contiguous array is used
        as is (through a read-only view): the caller must then not modify it.

    Attributes
    ----------
    vectors : ndarray of shape (n_keys, vector_size)
        The vectors, a read-only ``float32`` array.
    index_to_key : list
        The key of each row of :attr:`vectors`.
    key_to_index : dict
        The row of :attr:`vectors` of each key.
    vector_size : int
        The number of dimensions.

    See Also
    --------
    most_similar : Neighbour queries over a fitted embedder, rows and links.
    gensim.models.KeyedVectors : The API this class follows.

    Notes
    -----
    Cosine similarity with an all-zero vector (e.g. a row without any known link) is 0.

    Differences from gensim: raw vectors in a query are normalised like keys before
    averaging, a ``(key, weight)`` pair in ``negative`` subtracts ``weight`` times the key's
    unit vector (gensim adds it), ``restrict_to`` limits the candidates to any set of keys
    besides gensim's ``restrict_vocab`` (a prefix length, which must be at least 1 here,
    where gensim reads 0 as no limit), and keys must be unique and vectors finite.

    Examples
    --------
    >>> from sklearn_linkembed.keyedvectors import KeyedVectors
    >>> kv = KeyedVectors([[3.0, 4.0], [4.0, 3.0], [0.0, 0.0]], ["a", "b", "c"])
    >>> kv.vectors.shape, kv.vector_size
    ((3, 2), 2)
    >>> kv.get_vector("a", norm=True)
    array([0.6, 0.8], dtype=float32)
    >>> [(key, round(score, 2)) for key, score in kv.most_similar("a")]
    [('b', 0.96), ('c', 0.0)]
    """

    _chunk_size = _CHUNK_SIZE

    def __init__(self, vectors, index_to_key, *, copy=True):
        if copy:
            vectors = np.array(vectors, dtype=np.float32, order="C", copy=True)
        else:
            vectors = np.ascontiguousarray(vectors, dtype=np.float32).view()
        keys = list(index_to_key)
        if vectors.ndim != 2:
            raise ValueError(
                f"vectors must be 2-dimensional (n_keys, vector_size), got shape {vectors.shape}."
            )
        if vectors.shape[0] != len(keys):
            raise ValueError(
                f"vectors has {vectors.shape[0]} rows but index_to_key has {len(keys)} keys."
            )
        if not _all_finite(vectors):
            raise ValueError("vectors contain NaN or infinite values.")
        key_to_index = {key: i for i, key in enumerate(keys)}
        if len(key_to_index) != len(keys):
            seen, duplicates = set(), []
            for key in keys:
                if key in seen and len(duplicates) < 5:
                    duplicates.append(key)
                seen.add(key)
            raise ValueError(f"index_to_key must be unique; duplicated keys: {duplicates}.")
        vectors.flags.writeable = False
        self._vectors = vectors
        self._index_to_key = keys
        self._key_to_index = key_to_index
        self._normed = None
        self._suggest_cache = None

    @property
    def vectors(self):
        """ndarray of shape (n_keys, vector_size): the read-only ``float32`` vectors."""
        return self._vectors

    @property
    def index_to_key(self):
        """list: the key of each row of :attr:`vectors`."""
        return self._index_to_key

    @property
    def key_to_index(self):
        """dict: the row of :attr:`vectors` of each key."""
        return self._key_to_index

    @property
    def vector_size(self):
        """int: the number of dimensions of the vectors."""
        return self._vectors.shape[1]

    def __len__(self):
        return len(self._index_to_key)

    def __contains__(self, key):
        return self._has_key(key)

    def __iter__(self):
        return iter(self._index_to_key)

    def __repr__(self):
        return f"{type(self).__name__}(n_keys={len(self)}, vector_size={self.vector_size})"

    def __getitem__(self, key_or_keys):
        """Vector of one key, or a 2-D array of the vectors of a list of keys (copies)."""
        if self._is_single_key(key_or_keys):
            return self.get_vector(key_or_keys)
        keys = key_or_keys.tolist() if isinstance(key_or_keys, np.ndarray) else key_or_keys
        indices = np.fromiter((self.get_index(k) for k in keys), dtype=np.intp)
        return self._vectors[indices]

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_normed"] = None
        state["_suggest_cache"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._vectors.flags.writeable = False

    def get_index(self, key, default=None):
        """Row of ``key`` in :attr:`vectors`.

        Parameters
        ----------
        key : hashable
            The key to look up.
        default : int, default=None
            Returned when ``key`` is unknown; ``None`` raises instead.

        Returns
        -------
        index : int
            The row of ``key``, or ``default`` when ``key`` is unknown.

        Raises
        ------
        KeyError
            If ``key`` is unknown and ``default`` is None. The message names the key and
            the closest known keys, and the error's ``missing_key`` attribute holds the
            key (every query of this class raises such an error for an unknown key).

        See Also
        --------
        KeyedVectors.get_vector : The vector of a key.

        Examples
        --------
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[1, 0], [0, 1]], ["Alien", "Up"])
        >>> kv.get_index("Up")
        1
        >>> kv.get_index("Amélie", default=-1)
        -1
        """
        try:
            return self._key_to_index[key]
        except KeyError:
            if default is not None:
                return default
            raise self._missing_key_error(key) from None

    def get_vector(self, key, norm=False):
        """Vector of ``key``, a copy.

        Parameters
        ----------
        key : hashable
            The key to look up.
        norm : bool, default=False
            Return the unit-length vector (all zeros for a zero vector).

        Returns
        -------
        vector : ndarray of shape (vector_size,)
            A writable ``float32`` copy.

        See Also
        --------
        KeyedVectors.get_normed_vectors : All unit-length vectors at once.

        Examples
        --------
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[3, 4], [0, 1]], ["a", "b"])
        >>> kv.get_vector("a")
        array([3., 4.], dtype=float32)
        >>> kv.get_vector("a", norm=True)
        array([0.6, 0.8], dtype=float32)
        """
        table = self.get_normed_vectors() if norm else self._vectors
        return table[self.get_index(key)].copy()

    def get_normed_vectors(self):
        """All vectors scaled to unit length, computed once and cached.

        Zero vectors stay zero, so their cosine with anything is 0, never NaN.

        Returns
        -------
        normed : ndarray of shape (n_keys, vector_size)
            A read-only ``float32`` array.

        See Also
        --------
        KeyedVectors.get_vector : One vector, raw or unit-length.

        Examples
        --------
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[3, 4], [0, 0]], ["a", "b"])
        >>> kv.get_normed_vectors()
        array([[0.6, 0.8],
               [0. , 0. ]], dtype=float32)
        """
        if self._normed is None:
            normed = self._unit_rows(self._vectors)
            normed.flags.writeable = False
            self._normed = normed
        return self._normed

    def similarity(self, key1, key2):
        """Cosine similarity of two keys' vectors (0 when either is a zero vector).

        Parameters
        ----------
        key1, key2 : hashable
            Two known keys.

        Returns
        -------
        similarity : float
            The cosine, in [-1, 1].

        See Also
        --------
        KeyedVectors.most_similar : The keys most similar to a query.

        Examples
        --------
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[3, 4], [0, 1], [0, 0]], ["a", "b", "c"])
        >>> round(kv.similarity("a", "b"), 3), kv.similarity("a", "c")
        (0.8, 0.0)
        """
        normed = self.get_normed_vectors()
        return float(normed[self.get_index(key1)] @ normed[self.get_index(key2)])

    def most_similar(self, positive=None, negative=None, topn=10, restrict_to=None, *,
                     restrict_vocab=None):
        """Keys whose vectors have the highest cosine similarity to a query.

        The query is the weighted mean of the unit vectors of its terms (weight +1 for
        ``positive``, -1 for ``negative`` unless given), scaled back to unit length: the
        vector :meth:`query_vector` returns. Keys used in the query are left out of the
        results.

        Parameters
        ----------
        positive : key, ndarray, or list of keys, ndarrays or (key or ndarray, float) pairs, \
default=None
            Terms that pull the query towards them. A single key or a 1-D vector may be
            passed bare. A pair gives a term its weight. A 1-D numeric ndarray is always a
            raw vector: pass integer keys in a list.
        negative : same as positive, default=None
            Terms that push the query away; a pair ``(term, w)`` counts ``-w``.
        topn : int or None, default=10
            How many keys to return. ``None`` returns the cosine of every candidate as an
            array instead, query keys included.
        restrict_to : iterable of keys, boolean mask or ndarray of int, default=None
            Limit the candidates: a boolean array of shape ``(n_keys,)``, a numpy integer
            array of row positions, or any other iterable of keys. ``None`` searches all.
        restrict_vocab : int or None, default=None
            Limit the candidates to the first ``restrict_vocab`` keys of
            :attr:`index_to_key`, as gensim does (tables sorted by frequency thus leave
            their rare keys out). With ``restrict_to`` too, the candidates are the keys of
            ``restrict_to`` among those first ones. ``None`` searches all.

        Returns
        -------
        neighbours : list of (key, float) or ndarray of shape (n_candidates,)
            Best first. With ``topn=None``, a ``float32`` array of cosines in the order of
            the candidates (``restrict_to``'s order, or index order).

        Raises
        ------
        KeyError
            If a query key or a ``restrict_to`` key is unknown.
        ValueError
            If the query is empty, a raw vector has the wrong size, or ``restrict_vocab``
            is below 1.

        See Also
        --------
        KeyedVectors.similar_by_vector : The same query from a raw vector.
        KeyedVectors.most_similar_batch : Many queries at once.
        most_similar : Queries across the row and link tables of a fitted model.

        Examples
        --------
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[1, 0], [1, 1], [0, 1], [-1, 1]], ["w", "x", "y", "z"])
        >>> [key for key, _ in kv.most_similar("x", topn=2)]
        ['w', 'y']
        >>> [key for key, _ in kv.most_similar([("w", 1.0), ("y", 3.0)], topn=1)]
        ['x']
        >>> [(key, round(score, 3)) for key, score in kv.most_similar("x", restrict_to=["z", "y"])]
        [('y', 0.707), ('z', 0.0)]
        >>> [key for key, _ in kv.most_similar("z", restrict_vocab=2)]
        ['x', 'w']
        >>> kv.most_similar("w", topn=None).round(3)
        array([ 1.   ,  0.707,  0.   , -0.707], dtype=float32)
        """
        query, used = self._query(positive, negative)
        if isinstance(topn, numbers.Integral) and topn < 1:
            return []
        return self._search(query, topn, self._candidates(restrict_to, restrict_vocab), used)

    def similar_by_vector(self, vector, topn=10, restrict_to=None, *, restrict_vocab=None):
        """Keys whose vectors have the highest cosine similarity to ``vector``.

        Nothing is left out of the results: this is the search half of
        :meth:`most_similar`, and searches one table with a vector from another (see
        :meth:`query_vector`).

        Parameters
        ----------
        vector : ndarray of shape (vector_size,)
            The query vector.
        topn : int or None, default=10
            As in :meth:`most_similar`.
        restrict_to : iterable of keys, boolean mask or ndarray of int, default=None
            As in :meth:`most_similar`.
        restrict_vocab : int or None, default=None
            Only the first ``restrict_vocab`` keys are candidates, as in
            :meth:`most_similar`.

        Returns
        -------
        neighbours : list of (key, float) or ndarray of shape (n_candidates,)
            As in :meth:`most_similar`.

        See Also
        --------
        KeyedVectors.most_similar : The same query from keys, vectors or weighted terms.
        KeyedVectors.query_vector : The query vector of keys, vectors or weighted terms.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[1, 0], [1, 1], [0, 1]], ["w", "x", "y"])
        >>> [(key, round(score, 3)) for key, score in kv.similar_by_vector(np.array([0.0, 2.0]))]
        [('y', 1.0), ('x', 0.707), ('w', 0.0)]
        >>> [key for key, _ in kv.similar_by_vector(np.array([0.0, 2.0]), restrict_vocab=2)]
        ['x', 'w']
        """
        return self.most_similar(positive=[np.asarray(vector)], topn=topn,
                                 restrict_to=restrict_to, restrict_vocab=restrict_vocab)

    def query_vector(self, positive=None, negative=None):
        """The unit query vector of :meth:`most_similar` for these terms.

        The weighted mean of the unit vectors of the terms (weight +1 for ``positive``, -1
        for ``negative`` unless given), scaled to unit length; all zeros when the terms
        cancel out. Searching another table in the same space with it,
        ``other.similar_by_vector(kv.query_vector(...))``, answers cross-table questions
        (gensim computes the same vector with ``get_mean_vector(..., post_normalize=True)``).

        Parameters
        ----------
        positive : key, ndarray, or list of keys, ndarrays or (key or ndarray, float) pairs, \
default=None
            As in :meth:`most_similar`.
        negative : same as positive, default=None
            As in :meth:`most_similar`.

        Returns
        -------
        vector : ndarray of shape (vector_size,)
            A writable ``float32`` vector of length 1 (or 0).

        Raises
        ------
        KeyError
            If a query key is unknown.
        ValueError
            If the query is empty or a raw vector has the wrong size.

        See Also
        --------
        KeyedVectors.similar_by_vector : Search this or another table with the vector.
        KeyedVectors.most_similar : Query and search in one call.

        Examples
        --------
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> films = KeyedVectors([[1, 0], [0, 1]], ["Alien", "Amélie"])
        >>> actors = KeyedVectors([[0.9, 0.1], [0.1, 0.9], [0.6, -0.5]],
        ...                       ["Weaver", "Tautou", "Holm"])
        >>> films.query_vector(positive=["Alien"], negative=["Amélie"]).round(3)
        array([ 0.707, -0.707], dtype=float32)
        >>> [key for key, _ in actors.similar_by_vector(films.query_vector("Alien"), topn=2)]
        ['Weaver', 'Holm']
        """
        return self._query(positive, negative)[0]

    def most_similar_batch(self, queries, topn=10, restrict_to=None, exclude_self=True, *,
                           restrict_vocab=None, return_indices=False):
        """Neighbours of many queries, scored with one matrix product per block.

        Equivalent to calling :meth:`most_similar` on each key (or
        :meth:`similar_by_vector` on each row), but the scores of a block of queries
        against a block of candidates come from a single matrix product.

        Parameters
        ----------
        queries : list of keys or ndarray of shape (n_queries, vector_size)
            Keys, or raw vectors (a 2-D numeric array), one query each.
        topn : int, default=10
            Neighbours per query.
        restrict_to : iterable of keys, boolean mask or ndarray of int, default=None
            As in :meth:`most_similar`.
        exclude_self : bool, default=True
            Leave each query key out of its own results (ignored for raw vectors).
        restrict_vocab : int or None, default=None
            Only the first ``restrict_vocab`` keys are candidates, as in
            :meth:`most_similar`.
        return_indices : bool, default=False
            Return arrays of row indices and scores instead of lists of pairs.

        Returns
        -------
        neighbours : list of list of (key, float)
            One list per query, best first. When ``return_indices=True``, a pair
            ``(indices, scores)`` of arrays of shape ``(n_queries, min(topn, n_candidates))``
            instead: ``int64`` rows of :attr:`vectors` and ``float32`` cosines, best first,
            padded with index -1 and score ``-inf`` where a query has fewer neighbours (its
            own key left out).

        See Also
        --------
        KeyedVectors.most_similar : One query, with negative and weighted terms.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[1, 0], [1, 1], [0, 1], [-1, 1]], ["w", "x", "y", "z"])
        >>> [[key for key, _ in hits] for hits in kv.most_similar_batch(["w", "z"], topn=2)]
        [['x', 'y'], ['y', 'x']]
        >>> indices, scores = kv.most_similar_batch(np.eye(2), topn=1, return_indices=True)
        >>> indices
        array([[0],
               [2]])
        """
        if not isinstance(topn, numbers.Integral) or isinstance(topn, bool):
            raise TypeError(f"topn must be an int, got {topn!r}.")
        if topn < 1:
            raise ValueError(f"topn must be at least 1, got {topn}.")
        normed = self.get_normed_vectors()
        if (isinstance(queries, np.ndarray) and queries.ndim == 2
                and queries.dtype.kind in "fiu"):
            query_index = None
            matrix = self._unit_rows(self._check_raw(queries, name="queries"))
        else:
            if isinstance(queries, str):
                raise TypeError("queries must be a list of keys or a 2-D array, not a str.")
            keys = queries.tolist() if isinstance(queries, np.ndarray) else list(queries)
            query_index = np.fromiter((self.get_index(k) for k in keys), dtype=np.int64,
                                      count=len(keys))
            matrix = normed[query_index]
        candidates = self._candidates(restrict_to, restrict_vocab)
        if exclude_self and query_index is not None:
            found, positions = self._positions(candidates, query_index)
            ex_rows, ex_cols = np.flatnonzero(found), positions[found]
        else:
            ex_rows = ex_cols = np.empty(0, dtype=np.int64)
        indices, scores = self._top_k(matrix, int(topn), candidates, ex_rows, ex_cols)
        if return_indices:
            return indices, scores
        keys = self._index_to_key
        return [
            [(keys[i], s) for i, s in zip(row_indices, row_scores) if i >= 0]
            for row_indices, row_scores in zip(indices.tolist(), scores.tolist())
        ]

    def save(self, path):
        """Save to a safe, versioned ``.npz`` archive.

        The format is described in :mod:`sklearn_linkembed._persistence`.

        Keys must be all str or all int; they come back with their type.

        Parameters
        ----------
        path : str or path-like
            Destination, written atomically and exactly there (no suffix is added).

        Returns
        -------
        path : str
            The path written.

        See Also
        --------
        KeyedVectors.load : Read the archive back.
        KeyedVectors.save_word2vec_format : Write files that gensim reads.

        Examples
        --------
        >>> import os, tempfile
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[3, 4], [0, 1]], ["a", "b"])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = kv.save(os.path.join(folder, "vectors.npz"))
        ...     saved = os.path.basename(path)
        >>> saved
        'vectors.npz'
        """
        arrays, meta = self._to_arrays()
        path = save_archive(path, "KeyedVectors", arrays, meta)
        logger.info("saved %d x %d vectors to %s", len(self), self.vector_size, path)
        return path

    @classmethod
    def load(cls, path):
        """Load vectors saved by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            A file written by :meth:`save`.

        Returns
        -------
        kv : KeyedVectors
            The vectors and keys saved, keys with their type.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not a valid KeyedVectors archive, or has a newer format version.

        See Also
        --------
        KeyedVectors.save : Write the archive.

        Examples
        --------
        >>> import os, tempfile
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[3, 4], [0, 1]], [10, 20])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     loaded = KeyedVectors.load(kv.save(os.path.join(folder, "vectors.npz")))
        >>> loaded.index_to_key, loaded[20]
        ([10, 20], array([0., 1.], dtype=float32))
        """
        arrays, meta = load_archive(path, "KeyedVectors")
        try:
            return cls._from_arrays(arrays, meta)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Cannot load {os.fspath(path)!r}: {exc}") from exc

    def _to_arrays(self, prefix=""):
        """:func:`~sklearn_linkembed._persistence.vectors_to_arrays` of this table."""
        return vectors_to_arrays(self._index_to_key, self._vectors, prefix)

    @classmethod
    def _from_arrays(cls, arrays, meta, prefix=""):
        """Inverse of :meth:`_to_arrays`."""
        keys, vectors = vectors_from_arrays(arrays, meta, prefix)
        return cls(vectors, keys, copy=False)

    def save_word2vec_format(self, path, binary=False):
        """Write the vectors in the word2vec text or binary format.

        The files are those of the original C tool, which
        ``gensim.models.KeyedVectors.load_word2vec_format(path, binary=...)`` reads: a header
        line ``"n_keys vector_size"``, then one entry per key in index order. Text: the key
        and the values separated by single spaces, one line per key, values printed with 9
        significant digits (enough to read back the same float32). Binary: the key, a space,
        ``vector_size`` little-endian float32 values, and a newline.

        Keys are written as ``str(key)``, so integer keys come back as strings. Both
        formats end a key at its first space (and the text format at a newline), so every
        whitespace character in a key is replaced by ``"_"``: ``"Rogue One"`` is written
        ``"Rogue_One"``.

        Parameters
        ----------
        path : str or path-like
            Destination, written atomically.
        binary : bool, default=False
            Write the binary format instead of text.

        Returns
        -------
        path : str
            The path written.

        Raises
        ------
        ValueError
            If two keys become equal once converted (e.g. ``"Rogue One"`` and
            ``"Rogue_One"``), or a key is empty: readers would lose a vector.

        See Also
        --------
        KeyedVectors.load_word2vec_format : Read the file back.
        KeyedVectors.save : The library's own format, which keeps keys exactly.
        KeyedVectors.export_projector : Files for the TensorBoard Embedding Projector.

        Examples
        --------
        >>> import os, tempfile
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[3, 4], [0, 0.5]], ["Rogue One", "Up"])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = kv.save_word2vec_format(os.path.join(folder, "vectors.txt"))
        ...     with open(path, encoding="utf-8") as f:
        ...         lines = f.read().splitlines()
        >>> lines
        ['2 2', 'Rogue_One 3 4', 'Up 0 0.5']
        """
        return write_word2vec(path, self._index_to_key, self._vectors, binary)

    @classmethod
    def load_word2vec_format(cls, path, binary=False, *, limit=None, encoding="utf-8"):
        """Read vectors in the word2vec text or binary format.

        Reads what gensim's ``KeyedVectors.save_word2vec_format``, the original C tool and
        :meth:`save_word2vec_format` write: a header line ``"n_keys vector_size"``, then
        one entry per key. Text: the key and the values separated by single spaces, a line
        per key. Binary: the key, a space, ``vector_size`` little-endian float32 values, and
        an optional newline. As gensim does, only the entries the header announces are
        read, and a key that comes again keeps its first vector (with a warning).

        Parameters
        ----------
        path : str or path-like
            The file to read.
        binary : bool, default=False
            Read the binary format instead of text.
        limit : int or None, default=None
            Read only the first ``limit`` entries (gensim's ``limit``; a file sorted by
            frequency keeps its most frequent keys). ``None`` reads them all.
        encoding : str, default="utf-8"
            The encoding of the keys.

        Returns
        -------
        kv : KeyedVectors
            The vectors, keyed by ``str`` keys in the order of the file.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is truncated or malformed; the message names the line (text) or
            the entry and its byte offset (binary), and what was wrong. Also for a value
            that is NaN or infinite, and a ``limit`` below 1.

        See Also
        --------
        KeyedVectors.save_word2vec_format : Write the file.
        KeyedVectors.load : Read the library's own format.

        Notes
        -----
        The text format gives back the ``float32`` vectors :meth:`save_word2vec_format`
        wrote exactly (9 significant digits), and the binary format bit for bit. Keys
        written with a space in them come back with ``"_"``.

        Examples
        --------
        >>> import os, tempfile
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[3, 4], [0, 0.5], [1, 1]], ["Rogue One", "Amélie", "Up"])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = kv.save_word2vec_format(os.path.join(folder, "v.bin"), binary=True)
        ...     loaded = KeyedVectors.load_word2vec_format(path, binary=True)
        ...     first = KeyedVectors.load_word2vec_format(path, binary=True, limit=2)
        >>> loaded.index_to_key, loaded["Amélie"]
        (['Rogue_One', 'Amélie', 'Up'], array([0. , 0.5], dtype=float32))
        >>> first
        KeyedVectors(n_keys=2, vector_size=2)
        """
        keys, vectors = read_word2vec(path, binary, limit=limit, encoding=encoding)
        kv = cls(vectors, keys, copy=False)
        logger.info("loaded %d x %d vectors from %s", len(kv), kv.vector_size, os.fspath(path))
        return kv

    def export_projector(self, directory, metadata=None):
        """Write ``vectors.tsv`` and ``metadata.tsv`` for the TensorBoard Embedding Projector.

        ``vectors.tsv`` has one tab-separated line of values per key, no header.
        ``metadata.tsv`` has the key of each line: a single column without a header, or,
        with ``metadata``, a header line ``key<TAB>name...`` then one column per entry
        (the layout the projector expects). Tabs and newlines inside values are replaced
        by spaces. Load both files at https://projector.tensorflow.org or point
        TensorBoard's projector plugin at them.

        Parameters
        ----------
        directory : str or path-like
            Created if needed.
        metadata : dict of str to sequence, or pandas.DataFrame, default=None
            Extra columns, one value per key. Sequences are aligned with
            :attr:`index_to_key` by position. A DataFrame whose index holds every key is
            aligned by label, any other DataFrame by position.

        Returns
        -------
        paths : tuple of str
            The paths of ``vectors.tsv`` and ``metadata.tsv``.

        See Also
        --------
        KeyedVectors.save_word2vec_format : Files that gensim and word2vec read.

        Examples
        --------
        >>> import os, tempfile
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[3, 4], [0, 0.5]], ["Alien", "Up"])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     vectors_path, metadata_path = kv.export_projector(
        ...         folder, metadata={"year": [1979, 2009]})
        ...     with open(metadata_path, encoding="utf-8") as f:
        ...         metadata = f.read().splitlines()
        >>> metadata
        ['key\\tyear', 'Alien\\t1979', 'Up\\t2009']
        """
        return write_projector(directory, self._index_to_key, self._vectors, metadata)

    # ------------------------------------------------------------------ private helpers

    def _has_key(self, key):
        try:
            return key in self._key_to_index
        except TypeError:  # unhashable
            return False

    def _is_single_key(self, value):
        if self._has_key(value):
            return True
        if isinstance(value, np.ndarray):
            return False
        return isinstance(value, (str, bytes, numbers.Number)) or not _is_iterable(value)

    def _check_raw(self, vectors, name="vector"):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape[-1:] != (self.vector_size,):
            raise ValueError(f"{name} must have {self.vector_size} values per vector, got "
                             f"shape {vectors.shape}.")
        if not _all_finite(vectors):
            raise ValueError(f"{name} contains NaN or infinite values.")
        return vectors

    _unit_rows = staticmethod(unit_rows)

    def _as_terms(self, value):
        """A positive/negative argument as a list of terms (a bare term gets wrapped)."""
        if value is None:
            return []
        if isinstance(value, np.ndarray):
            if value.ndim == 0:
                return [value.item()]
            if value.dtype.kind in "fiu":
                return [value] if value.ndim == 1 else list(value.reshape(-1, value.shape[-1]))
            return value.ravel().tolist()
        if self._is_single_key(value):
            return [value]
        return list(value)

    def _resolve_term(self, term):
        """``(index, None)`` for a key, ``(None, unit_vector)`` for a raw vector."""
        if isinstance(term, np.ndarray) and term.dtype.kind in "fiu":
            if term.ndim != 1:
                raise ValueError(f"A raw vector in a query must be 1-D, got shape {term.shape}.")
            return None, self._unit_rows(self._check_raw(term))
        return self.get_index(term), None

    def _query_terms(self, positive, negative):
        """Unit vectors, weights and key indices of a query's terms."""
        vectors, weights, used = [], [], []
        normed = self.get_normed_vectors()
        for sign, group in ((1.0, positive), (-1.0, negative)):
            for term in self._as_terms(group):
                weight = 1.0
                if (isinstance(term, (tuple, list)) and len(term) == 2
                        and not self._has_key(term)
                        and isinstance(term[1], numbers.Real) and not isinstance(term[1], bool)):
                    term, weight = term[0], float(term[1])
                    if not np.isfinite(weight):
                        raise ValueError(f"Term weights must be finite, got {weight}.")
                index, vector = self._resolve_term(term)
                if index is not None:
                    used.append(index)
                    vector = normed[index]
                vectors.append(vector)
                weights.append(sign * weight)
        if not vectors:
            raise ValueError("Cannot compute similarity with no input: give positive and/or "
                             "negative terms.")
        return np.vstack(vectors), np.asarray(weights), np.asarray(used, dtype=np.int64)

    def _query(self, positive, negative):
        """The unit query vector and the rows of the keys used in it."""
        vectors, weights, used = self._query_terms(positive, negative)
        mean = weights @ vectors.astype(np.float64)
        return self._unit_rows(mean.astype(np.float32)), used

    def _candidates(self, restrict_to, restrict_vocab=None):
        """The candidate rows: an int ``stop`` for rows ``0..stop-1``, or an array of rows.

        An array holds no duplicates and keeps ``restrict_to``'s order; ``restrict_vocab``
        drops the rows from ``restrict_vocab`` on.
        """
        n = len(self)
        stop = n
        if restrict_vocab is not None:
            if not isinstance(restrict_vocab, numbers.Integral) or isinstance(restrict_vocab,
                                                                              bool):
                raise TypeError(f"restrict_vocab must be an int or None, got {restrict_vocab!r}.")
            if restrict_vocab < 1:
                raise ValueError(f"restrict_vocab must be at least 1, got {restrict_vocab}.")
            stop = min(int(restrict_vocab), n)
        if restrict_to is None:
            return stop
        if not isinstance(restrict_to, (list, tuple, set, frozenset, str)) and hasattr(
                restrict_to, "dtype"):
            array = np.asarray(restrict_to)
            if array.dtype == bool:
                if array.shape != (n,):
                    raise ValueError(f"A boolean restrict_to must have shape ({n},), got "
                                     f"{array.shape}.")
                return np.flatnonzero(array[:stop])
            if isinstance(restrict_to, np.ndarray) and array.dtype.kind in "iu":
                indices = array.astype(np.int64).ravel()
                if indices.size and (indices.min() < 0 or indices.max() >= n):
                    raise IndexError(f"restrict_to positions must lie in [0, {n}).")
                return _unique_in_order(indices[indices < stop])
            restrict_to = array.ravel().tolist()
        if self._is_single_key(restrict_to):
            restrict_to = [restrict_to]
        indices = np.fromiter((self.get_index(k) for k in restrict_to), dtype=np.int64)
        return _unique_in_order(indices[indices < stop])

    @staticmethod
    def _positions(candidates, indices):
        """Where each row index sits among the candidates: (found mask, positions)."""
        if isinstance(candidates, int):
            return indices < candidates, indices
        order = np.argsort(candidates, kind="stable")
        sorted_candidates = candidates[order]
        slots = np.searchsorted(sorted_candidates, indices)
        slots = np.minimum(slots, max(len(candidates) - 1, 0))
        if len(candidates) == 0:
            return np.zeros(len(indices), dtype=bool), np.zeros(len(indices), dtype=np.int64)
        found = sorted_candidates[slots] == indices
        return found, order[slots]

    def _search(self, query, topn, candidates, used):
        if topn is None:
            return self._all_scores(query, candidates)
        if not isinstance(topn, numbers.Integral) or isinstance(topn, bool):
            raise TypeError(f"topn must be an int or None, got {topn!r}.")
        found, positions = self._positions(candidates, used)
        positions = positions[found]
        indices, scores = self._top_k(query[None, :], int(topn), candidates,
                                      np.zeros(len(positions), dtype=np.int64), positions)
        keys = self._index_to_key
        return [(keys[i], s) for i, s in zip(indices[0].tolist(), scores[0].tolist()) if i >= 0]

    def _blocks(self, candidates):
        """Yield ``(start, block)``: unit vectors of the candidates, a block at a time."""
        normed = self.get_normed_vectors()
        n_candidates = _n_candidates(candidates)
        step = max(1, int(self._chunk_size))
        for start in range(0, n_candidates, step):
            stop = min(start + step, n_candidates)
            if isinstance(candidates, int):
                yield start, normed[start:stop]
            else:
                yield start, normed[candidates[start:stop]]

    def _all_scores(self, query, candidates):
        n_candidates = _n_candidates(candidates)
        scores = np.empty(n_candidates, dtype=np.float32)
        for start, block in self._blocks(candidates):
            scores[start:start + len(block)] = block @ query
        return scores

    def _top_k(self, queries, k, candidates, ex_rows, ex_cols):
        """Best ``k`` candidates of each query row, best first.

        ``ex_rows``/``ex_cols`` are (query row, candidate position) pairs left out. Returns
        row indices (-1 where fewer than ``k`` remain) and float32 scores (-inf there).
        """
        n_candidates = _n_candidates(candidates)
        n_queries = len(queries)
        k = min(k, n_candidates)
        indices = np.full((n_queries, k), -1, dtype=np.int64)
        scores = np.full((n_queries, k), -np.inf, dtype=np.float32)
        if k == 0 or n_queries == 0:
            return indices, scores
        step = max(1, int(self._chunk_size))
        query_step = max(1, _BLOCK_ELEMENTS // min(step, n_candidates))
        for q_start in range(0, n_queries, query_step):
            q_stop = min(q_start + query_step, n_queries)
            batch = queries[q_start:q_stop]
            mine = (ex_rows >= q_start) & (ex_rows < q_stop)
            rows, cols = ex_rows[mine] - q_start, ex_cols[mine]
            best_scores, best_positions = [], []
            for start, block in self._blocks(candidates):
                block_scores = batch @ block.T
                hit = (cols >= start) & (cols < start + len(block))
                block_scores[rows[hit], cols[hit] - start] = -np.inf
                positions, top = _row_top_k(block_scores, k)
                best_positions.append(positions + start)
                best_scores.append(top)
            top = np.concatenate(best_scores, axis=1)
            positions = np.concatenate(best_positions, axis=1)
            if top.shape[1] > k:
                keep, top = _row_top_k(top, k)
                positions = np.take_along_axis(positions, keep, axis=1)
            # sort only the k kept, ties by position so results are deterministic
            order = np.lexsort((positions, -top), axis=1)
            top = np.take_along_axis(top, order, axis=1)
            positions = np.take_along_axis(positions, order, axis=1)
            if not isinstance(candidates, int):
                positions = candidates[positions]
            positions[np.isneginf(top)] = -1
            indices[q_start:q_stop] = positions
            scores[q_start:q_stop] = top
        return indices, scores

    def _missing_key_error(self, key):
        message = f"Key {key!r} not present in vocabulary"
        hints = close_keys(key, self._key_to_index, self._suggest_index)
        if hints:
            message += "; closest known keys: " + ", ".join(repr(h) for h in hints)
        error = KeyError(message)
        error.missing_key = key  # lets LinkEmbedder.most_similar say which table has the key
        return error

    def _suggest_index(self):
        """The :class:`~sklearn_linkembed._suggest.SuggestIndex` of the keys, built once."""
        if self._suggest_cache is None:
            self._suggest_cache = SuggestIndex(self._index_to_key)
        return self._suggest_cache


def most_similar(model, positive=None, negative=None, topn=10, *, query="row", target=None,
                 restrict_to=None, restrict_vocab=None):
    """Nearest neighbours over keyed vectors or a fitted embedder, across rows and links.

    One function for every neighbour question. For a :class:`KeyedVectors` it is
    :meth:`KeyedVectors.most_similar`. Anything else is asked through its own
    ``most_similar(positive, negative, topn, query=, target=, restrict_to=,
    restrict_vocab=)`` method: a fitted ``LinkEmbedder`` answers "films like this film"
    (rows to rows), "links like this link", and the cross-type "which links best describe
    this film" (``query="row", target="link"``) and "which films best match this link"
    (``query="link", target="row"``).

    Parameters
    ----------
    model : KeyedVectors or fitted embedder
        A :class:`KeyedVectors`, or an object with a ``most_similar`` method taking these
        arguments, such as a fitted ``LinkEmbedder``.
    positive, negative : as in :meth:`KeyedVectors.most_similar`
        Query terms: keys of the ``query`` table, raw vectors, or (term, weight) pairs.
    topn : int or None, default=10
        How many neighbours; ``None`` returns the scores of every candidate.
    query : {"row", "link"}, default="row"
        The table where the query keys live.
    target : {"row", "link"} or None, default=None
        The table to search; ``None`` searches the ``query`` table.
    restrict_to : iterable of keys, boolean mask or ndarray of int, default=None
        Candidates of the ``target`` table, as in :meth:`KeyedVectors.most_similar`.
    restrict_vocab : int or None, default=None
        Only the first ``restrict_vocab`` keys of the ``target`` table are candidates, as
        in :meth:`KeyedVectors.most_similar`.

    Returns
    -------
    neighbours : list of (key, float) or ndarray
        Keys of the ``target`` table with their cosine similarity, best first.

    Raises
    ------
    KeyError
        If a query key is not in the ``query`` table (a ``LinkEmbedder`` says so when it is
        a key of the other table, and which ``query`` to pass), or a ``restrict_to`` key is
        not in the ``target`` table.
    TypeError
        If ``model`` is neither a :class:`KeyedVectors` nor has a ``most_similar`` method.
    ValueError
        If ``query`` or ``target`` is not ``"row"`` or ``"link"``, or a cross-type query is
        asked of a single :class:`KeyedVectors`.

    See Also
    --------
    KeyedVectors.most_similar : Neighbours within one table.
    LinkEmbedder.most_similar : Neighbours within and across the tables of a fitted model.

    Notes
    -----
    A :class:`KeyedVectors` holds a single table, so ``target`` may only repeat ``query``.

    Examples
    --------
    >>> from sklearn_linkembed.keyedvectors import KeyedVectors, most_similar
    >>> films = KeyedVectors([[1, 0], [0.9, 0.2], [0, 1]], ["Alien", "Aliens", "Amélie"])
    >>> [key for key, _ in most_similar(films, "Alien", topn=1)]
    ['Aliens']
    >>> most_similar(films, "Alien", target="link")
    Traceback (most recent call last):
        ...
    ValueError: A KeyedVectors holds a single table: a cross-type query (target != query) \
needs a fitted embedder.
    """
    if isinstance(model, KeyedVectors):
        for name, value in (("query", query), ("target", target)):
            if value not in ("row", "link") and not (name == "target" and value is None):
                raise ValueError(f"{name} must be 'row' or 'link', got {value!r}.")
        if target not in (None, query):
            raise ValueError("A KeyedVectors holds a single table: a cross-type query "
                             "(target != query) needs a fitted embedder.")
        return model.most_similar(positive, negative, topn, restrict_to,
                                  restrict_vocab=restrict_vocab)
    method = getattr(model, "most_similar", None)
    if not callable(method):
        raise TypeError("model must be a KeyedVectors or have a most_similar(..., query=, "
                        f"target=) method, such as a fitted LinkEmbedder; got "
                        f"{type(model).__name__}.")
    return method(positive, negative, topn, query=query, target=target,
                  restrict_to=restrict_to, restrict_vocab=restrict_vocab)


def _row_top_k(scores, k):
    """Positions and values of the ``k`` largest scores of each row, unordered."""
    n = scores.shape[1]
    if k >= n:
        return np.broadcast_to(np.arange(n), scores.shape).copy(), scores
    positions = np.argpartition(scores, n - k, axis=1)[:, n - k:]
    return positions, np.take_along_axis(scores, positions, axis=1)


def _n_candidates(candidates):
    """How many candidates ``KeyedVectors._candidates`` describes."""
    return candidates if isinstance(candidates, int) else len(candidates)


def _unique_in_order(indices):
    _, first = np.unique(indices, return_index=True)
    return indices[np.sort(first)]


def _is_iterable(value):
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _all_finite(vectors):
    """Whether ``vectors`` has no NaN or infinity, without a mask as large as it.

    scikit-learn's check sums first and looks element by element only when
    the sum is not finite; ``np.isfinite(vectors).all()`` made a boolean copy
    (100 MB for 1,000,000 x 100 vectors). It skips, as everywhere in
    scikit-learn, under ``sklearn.set_config(assume_finite=True)``.
    """
    try:
        assert_all_finite(vectors)
    except ValueError:
        return False
    return True
