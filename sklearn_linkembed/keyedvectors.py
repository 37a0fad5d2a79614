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

Many queries at once are answered by :meth:`KeyedVectors.most_similar_batch`, one matrix
product per block of candidates:

>>> [[key for key, _ in hits] for hits in films.most_similar_batch(["Alien", "Up"], topn=1)]
[['Aliens'], ['Amélie']]

Rows and links together
-----------------------
Rows and links live in one space, so the module function :func:`most_similar` also answers
cross-type questions on a fitted model (anything with ``row_vectors_`` and
``link_vectors_``), such as "which links best describe this film":

>>> from types import SimpleNamespace
>>> actors = KeyedVectors([[0.9, 0.1], [0.1, 0.9]], ["Weaver", "Tautou"])
>>> model = SimpleNamespace(row_vectors_=films, link_vectors_=actors)
>>> [key for key, _ in most_similar(model, "Amélie", query="row", target="link", topn=1)]
['Tautou']

Saving and exporting
--------------------
:meth:`KeyedVectors.save` writes a safe, versioned ``.npz`` archive (no pickle, see
:mod:`sklearn_linkembed._persistence`) that :meth:`KeyedVectors.load` reads back exactly.
:meth:`KeyedVectors.save_word2vec_format` writes files that gensim and the original word2vec
tools read, and :meth:`KeyedVectors.export_projector` writes the two TSV files of the
TensorBoard Embedding Projector.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = films.save(os.path.join(folder, "films.npz"))
>>> KeyedVectors.load(path).index_to_key
['Alien', 'Aliens', 'Amélie', 'Up']
>>> [os.path.basename(p) for p in films.export_projector(os.path.join(folder, "projector"))]
['vectors.tsv', 'metadata.tsv']
"""

import bisect
import difflib
import itertools
import logging
import numbers
import os
import re
import unicodedata

import numpy as np

from sklearn_linkembed._persistence import (
    _atomic_write,
    decode_keys,
    encode_keys,
    load_archive,
    save_archive,
)

__all__ = ["KeyedVectors", "most_similar"]

logger = logging.getLogger(__name__)

# Candidate vectors scored per block, and the most query x candidate scores held at once
# (2**22 float32 = 16 MiB, plus 32 MiB of int64 positions while selecting): memory stays
# bounded whatever the sizes of the table and of the batch.
_CHUNK_SIZE = 131_072
_BLOCK_ELEMENTS = 1 << 22

# KeyError suggestions (see _SuggestIndex): at most _N_SUGGEST keys; difflib and the
# prefix scan see at most _SUGGEST_POOL keys, queries are cut to _MAX_QUERY_CHARS
# characters and _MAX_QUERY_TOKENS words, and shared words count from a weighted Jaccard
# similarity of _TOKEN_MIN_SCORE.
_SUGGEST_POOL = 5_000
_N_SUGGEST = 3
_MAX_QUERY_CHARS = 256
_MAX_QUERY_TOKENS = 32
_TOKEN_MIN_SCORE = 0.5
_CUT_WORD_COST = 2
_NO_KEY = object()
_DISAMBIGUATOR = re.compile(r"\s*\([^()]*\)?$")
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHE = re.compile(r"['\u2019]")

_WHITESPACE = re.compile(r"\s")
_TSV_SPECIAL = re.compile(r"[\t\n\r]")


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
    unit vector (gensim adds it), and ``restrict_to`` takes any set of keys where gensim's
    ``restrict_vocab`` takes a prefix length.

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
        if not np.isfinite(vectors).all():
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
            the closest known keys.

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

    def most_similar(self, positive=None, negative=None, topn=10, restrict_to=None):
        """Keys whose vectors have the highest cosine similarity to a query.

        The query is the weighted mean of the unit vectors of its terms (weight +1 for
        ``positive``, -1 for ``negative`` unless given), scaled back to unit length. Keys
        used in the query are left out of the results.

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
            If the query is empty or a raw vector has the wrong size.

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
        >>> kv.most_similar("w", topn=None).round(3)
        array([ 1.   ,  0.707,  0.   , -0.707], dtype=float32)
        """
        query, used = self._query_vector(positive, negative)
        if isinstance(topn, numbers.Integral) and topn < 1:
            return []
        return self._search(query, topn, restrict_to, used)

    def similar_by_vector(self, vector, topn=10, restrict_to=None):
        """Keys whose vectors have the highest cosine similarity to ``vector``.

        Parameters
        ----------
        vector : ndarray of shape (vector_size,)
            The query vector.
        topn : int or None, default=10
            As in :meth:`most_similar`.
        restrict_to : iterable of keys, boolean mask or ndarray of int, default=None
            As in :meth:`most_similar`.

        Returns
        -------
        neighbours : list of (key, float) or ndarray of shape (n_candidates,)
            As in :meth:`most_similar`.

        See Also
        --------
        KeyedVectors.most_similar : The same query from keys, vectors or weighted terms.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_linkembed.keyedvectors import KeyedVectors
        >>> kv = KeyedVectors([[1, 0], [1, 1], [0, 1]], ["w", "x", "y"])
        >>> [(key, round(score, 3)) for key, score in kv.similar_by_vector(np.array([0.0, 2.0]))]
        [('y', 1.0), ('x', 0.707), ('w', 0.0)]
        """
        return self.most_similar(positive=[np.asarray(vector)], topn=topn,
                                 restrict_to=restrict_to)

    def most_similar_batch(self, queries, topn=10, restrict_to=None, exclude_self=True, *,
                           return_indices=False):
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
        candidates = self._candidates(restrict_to)
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
        """Arrays and metadata entries that describe these vectors, for an archive.

        ``prefix`` lets several tables share one archive (e.g. ``"row_"`` and ``"link_"``).
        """
        keys, key_type = encode_keys(self._index_to_key)
        arrays = {f"{prefix}vectors": self._vectors, f"{prefix}keys": keys}
        meta = {f"{prefix}key_type": key_type}
        return arrays, meta

    @classmethod
    def _from_arrays(cls, arrays, meta, prefix=""):
        """Inverse of :meth:`_to_arrays`."""
        vectors = arrays[f"{prefix}vectors"]
        if vectors.dtype != np.float32:
            raise ValueError(f"vectors must be float32, got {vectors.dtype}.")
        keys = decode_keys(arrays[f"{prefix}keys"], meta[f"{prefix}key_type"])
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
        path = os.fspath(path)
        names = [_WHITESPACE.sub("_", str(key)) for key in self._index_to_key]
        if "" in names:
            raise ValueError("An empty key cannot be written in the word2vec format.")
        if len(set(names)) != len(names):
            seen, clashes = {}, []
            for key, name in zip(self._index_to_key, names):
                if name in seen and len(clashes) < 5:
                    clashes.append((seen[name], key))
                seen.setdefault(name, key)
            raise ValueError(
                "Keys collide once whitespace is replaced by '_' for the word2vec format: "
                + ", ".join(f"{a!r} and {b!r}" for a, b in clashes)
            )
        n, dim = self._vectors.shape

        def write(fh):
            fh.write(f"{n} {dim}\n".encode())
            step = 8192
            if binary:
                little = self._vectors.astype("<f4", copy=False)
                for start in range(0, n, step):
                    fh.write(b"".join(
                        name.encode("utf-8") + b" " + row.tobytes() + b"\n"
                        for name, row in zip(names[start:start + step], little[start:start + step])
                    ))
            else:
                fmt = " ".join(["%.9g"] * dim)
                for start in range(0, n, step):
                    rows = self._vectors[start:start + step].tolist()
                    fh.write("".join(
                        f"{name} {fmt % tuple(row)}\n"
                        for name, row in zip(names[start:start + step], rows)
                    ).encode("utf-8"))

        _atomic_write(path, write)
        return path

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
        directory = os.fspath(directory)
        columns = self._projector_columns(metadata)
        os.makedirs(directory, exist_ok=True)
        vectors_path = os.path.join(directory, "vectors.tsv")
        metadata_path = os.path.join(directory, "metadata.tsv")
        n, dim = self._vectors.shape
        step = 8192
        fmt = "\t".join(["%.9g"] * dim)

        def write_vectors(fh):
            for start in range(0, n, step):
                rows = self._vectors[start:start + step].tolist()
                fh.write("".join(f"{fmt % tuple(row)}\n" for row in rows).encode("utf-8"))

        def write_metadata(fh):
            names = list(columns)
            if len(names) > 1:
                fh.write(("\t".join(_tsv_cell(name) for name in names) + "\n").encode("utf-8"))
            values = [columns[name] for name in names]
            for start in range(0, n, step):
                fh.write("".join(
                    "\t".join(_tsv_cell(v) for v in row) + "\n"
                    for row in zip(*(col[start:start + step] for col in values))
                ).encode("utf-8"))

        _atomic_write(vectors_path, write_vectors)
        _atomic_write(metadata_path, write_metadata)
        return vectors_path, metadata_path

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

    def _projector_columns(self, metadata):
        n = len(self)
        columns = {"key": self._index_to_key}
        if metadata is None:
            return columns
        if hasattr(metadata, "columns") and hasattr(metadata, "iloc"):  # a DataFrame
            frame = metadata
            positions = None
            if frame.index.is_unique:
                positions = frame.index.get_indexer(self._index_to_key)
                if (positions < 0).any():
                    positions = None
            if positions is None:
                if len(frame) != n:
                    raise ValueError(
                        f"metadata has {len(frame)} rows and its index does not hold every "
                        f"key; expected {n} rows aligned with index_to_key."
                    )
                positions = np.arange(n)
            frame = frame.iloc[positions]
            items = [(name, frame[name].tolist()) for name in frame.columns]
        else:
            items = [(name, list(values)) for name, values in dict(metadata).items()]
        for name, values in items:
            if str(name) in columns:
                raise ValueError(f"metadata column {name!r} clashes with another column.")
            if len(values) != n:
                raise ValueError(f"metadata column {name!r} has {len(values)} values, "
                                 f"expected {n} (one per key).")
            columns[str(name)] = values
        return columns

    def _check_raw(self, vectors, name="vector"):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape[-1:] != (self.vector_size,):
            raise ValueError(f"{name} must have {self.vector_size} values per vector, got "
                             f"shape {vectors.shape}.")
        if not np.isfinite(vectors).all():
            raise ValueError(f"{name} contains NaN or infinite values.")
        return vectors

    @staticmethod
    def _unit_rows(matrix):
        """Rows scaled to unit length; zero rows stay zero (never NaN)."""
        # einsum avoids the full-size temporary of np.linalg.norm (30x faster on 1M rows)
        norms = np.sqrt(np.einsum("...i,...i->...", matrix, matrix))[..., None]
        return np.divide(matrix, norms, out=np.zeros(matrix.shape, np.float32), where=norms > 0)

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

    def _query_vector(self, positive, negative):
        vectors, weights, used = self._query_terms(positive, negative)
        mean = weights @ vectors.astype(np.float64)
        return self._unit_rows(mean.astype(np.float32)), used

    def _candidates(self, restrict_to):
        """Row indices of the candidates (no duplicates), or None for all rows."""
        if restrict_to is None:
            return None
        n = len(self)
        if not isinstance(restrict_to, (list, tuple, set, frozenset, str)) and hasattr(
                restrict_to, "dtype"):
            array = np.asarray(restrict_to)
            if array.dtype == bool:
                if array.shape != (n,):
                    raise ValueError(f"A boolean restrict_to must have shape ({n},), got "
                                     f"{array.shape}.")
                return np.flatnonzero(array)
            if isinstance(restrict_to, np.ndarray) and array.dtype.kind in "iu":
                indices = array.astype(np.int64).ravel()
                if indices.size and (indices.min() < 0 or indices.max() >= n):
                    raise IndexError(f"restrict_to positions must lie in [0, {n}).")
                return _unique_in_order(indices)
            restrict_to = array.ravel().tolist()
        if self._is_single_key(restrict_to):
            restrict_to = [restrict_to]
        indices = np.fromiter((self.get_index(k) for k in restrict_to), dtype=np.int64)
        return _unique_in_order(indices)

    @staticmethod
    def _positions(candidates, indices):
        """Where each row index sits among the candidates: (found mask, positions)."""
        if candidates is None:
            return np.ones(len(indices), dtype=bool), indices
        order = np.argsort(candidates, kind="stable")
        sorted_candidates = candidates[order]
        slots = np.searchsorted(sorted_candidates, indices)
        slots = np.minimum(slots, max(len(candidates) - 1, 0))
        if len(candidates) == 0:
            return np.zeros(len(indices), dtype=bool), np.zeros(len(indices), dtype=np.int64)
        found = sorted_candidates[slots] == indices
        return found, order[slots]

    def _search(self, query, topn, restrict_to, used):
        candidates = self._candidates(restrict_to)
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
        n_candidates = len(normed) if candidates is None else len(candidates)
        step = max(1, int(self._chunk_size))
        for start in range(0, n_candidates, step):
            stop = min(start + step, n_candidates)
            if candidates is None:
                yield start, normed[start:stop]
            else:
                yield start, normed[candidates[start:stop]]

    def _all_scores(self, query, candidates):
        n_candidates = len(self) if candidates is None else len(candidates)
        scores = np.empty(n_candidates, dtype=np.float32)
        for start, block in self._blocks(candidates):
            scores[start:start + len(block)] = block @ query
        return scores

    def _top_k(self, queries, k, candidates, ex_rows, ex_cols):
        """Best ``k`` candidates of each query row, best first.

        ``ex_rows``/``ex_cols`` are (query row, candidate position) pairs left out. Returns
        row indices (-1 where fewer than ``k`` remain) and float32 scores (-inf there).
        """
        n_candidates = len(self) if candidates is None else len(candidates)
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
            if candidates is not None:
                positions = candidates[positions]
            positions[np.isneginf(top)] = -1
            indices[q_start:q_stop] = positions
            scores[q_start:q_stop] = top
        return indices, scores

    def _missing_key_error(self, key):
        message = f"Key {key!r} not present in vocabulary"
        hints = self._close_keys(key)
        if hints:
            message += "; closest known keys: " + ", ".join(repr(h) for h in hints)
        error = KeyError(message)
        error.missing_key = key  # lets most_similar say which table holds the key
        return error

    def _close_keys(self, key):
        """Up to ``_N_SUGGEST`` known keys close to ``key``, best first.

        An int/str mix-up (``"3"`` for ``3`` or the reverse) comes first. String keys are
        then ranked by :class:`_SuggestIndex`, built on the first miss and cached.
        """
        hints = []
        # the usual int/str mix-up: "3" for 3, or 3 for "3"
        if isinstance(key, str) and key.strip().lstrip("-").isdigit():
            if self._has_key(int(key)):
                hints.append(int(key))
        elif isinstance(key, (int, np.integer)) and self._has_key(str(key)):
            hints.append(str(key))
        if not isinstance(key, str) or not key.strip():
            return hints
        if self._suggest_cache is None:
            self._suggest_cache = _SuggestIndex(self._index_to_key)
        for hint in self._suggest_cache.suggest(key, _N_SUGGEST):
            if len(hints) >= _N_SUGGEST:
                break
            if hint not in hints:
                hints.append(hint)
        return hints[:_N_SUGGEST]


def most_similar(model, positive=None, negative=None, topn=10, *, query="row", target=None,
                 restrict_to=None):
    """Nearest neighbours over a fitted embedder or keyed vectors, across rows and links.

    One function for every neighbour question: "films like this film" (rows to rows),
    "links like this link", and the cross-type ones, "which links best describe this film"
    (``query="row", target="link"``) and "which films best match this link"
    (``query="link", target="row"``).

    Cross-type questions make sense because the model puts rows and links in one space: it
    is trained so that a row's vector and a link's vector score high (by dot product, hence
    high cosine when norms are comparable) for true (row, link) pairs and low for random
    non-pairs drawn by negative sampling. A link near a row is thus one the model expects
    that row to have, and vice versa.

    Parameters
    ----------
    model : KeyedVectors or fitted embedder
        A :class:`KeyedVectors`, or any object with ``row_vectors_`` and ``link_vectors_``
        :class:`KeyedVectors` attributes, such as a fitted ``LinkEmbedder``.
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

    Returns
    -------
    neighbours : list of (key, float) or ndarray
        Keys of the ``target`` table with their cosine similarity, best first.

    Raises
    ------
    KeyError
        If a query key is not in the ``query`` table (the message says so when it is a key
        of the other table, and which ``query`` to pass), or a ``restrict_to`` key is not in
        the ``target`` table.

    See Also
    --------
    KeyedVectors.most_similar : Neighbours within one table.
    LinkEmbedder.most_similar : This function as a method of the fitted model.

    Notes
    -----
    Within one table the query keys are left out of the results. Across tables nothing is
    left out: the query terms are resolved to unit vectors in the ``query`` table, averaged
    as in :meth:`KeyedVectors.most_similar`, and the ``target`` table is searched with that
    vector. Ranking is by cosine; where the model scores pairs by dot product and link norms
    differ widely (frequent links often get longer vectors), the model's own ranking of
    links for a row can differ from this one.

    For a :class:`KeyedVectors` there is a single table, so ``target`` may only repeat
    ``query``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from sklearn_linkembed.keyedvectors import KeyedVectors, most_similar
    >>> films = KeyedVectors([[1, 0], [0.9, 0.2], [0, 1]], ["Alien", "Aliens", "Amélie"])
    >>> actors = KeyedVectors([[1, 0.1], [0.1, 1]], ["Weaver", "Tautou"])
    >>> model = SimpleNamespace(row_vectors_=films, link_vectors_=actors)
    >>> [key for key, _ in most_similar(model, "Alien", topn=1)]
    ['Aliens']
    >>> [key for key, _ in most_similar(model, "Alien", query="row", target="link")]
    ['Weaver', 'Tautou']
    >>> [key for key, _ in most_similar(model, "Tautou", query="link", target="row", topn=1)]
    ['Amélie']
    >>> most_similar(model, "Weaver")
    Traceback (most recent call last):
        ...
    KeyError: "'Weaver' is not a row key; it is a link key: pass query='link'"
    """
    for name, value in (("query", query), ("target", target)):
        if value not in ("row", "link") and not (name == "target" and value is None):
            raise ValueError(f"{name} must be 'row' or 'link', got {value!r}.")
    target = query if target is None else target
    if isinstance(model, KeyedVectors):
        if target != query:
            raise ValueError("A KeyedVectors holds a single table: a cross-type query "
                             "(target != query) needs a fitted embedder.")
        return model.most_similar(positive, negative, topn=topn, restrict_to=restrict_to)
    tables = {}
    for name in ("row", "link"):
        table = getattr(model, f"{name}_vectors_", None)
        if table is None:
            if hasattr(model, "fit"):
                from sklearn.exceptions import NotFittedError

                raise NotFittedError(f"This {type(model).__name__} instance is not fitted yet: "
                                     "call 'fit' before querying its neighbours.")
            raise TypeError("model must be a KeyedVectors or a fitted embedder with "
                            f"row_vectors_ and link_vectors_, got {type(model).__name__}.")
        tables[name] = table
    source, searched = tables[query], tables[target]
    if source is not searched and source.vector_size != searched.vector_size:
        raise ValueError(f"The {query} vectors have {source.vector_size} dimensions and the "
                         f"{target} vectors {searched.vector_size}: they share no space.")
    try:
        vector, used = source._query_vector(positive, negative)
    except KeyError as error:
        # a link queried as a row (or the reverse) gets a pointer to the right table
        other = "link" if query == "row" else "row"
        key = getattr(error, "missing_key", _NO_KEY)
        if (key is not _NO_KEY and tables[other] is not source
                and tables[other]._has_key(key) and not source._has_key(key)):
            message = f"{key!r} is not a {query} key; it is a {other} key: pass query={other!r}"
            wrong_table = KeyError(message)
            wrong_table.missing_key = key
            raise wrong_table from None
        raise
    if isinstance(topn, numbers.Integral) and topn < 1:
        return []
    if source is not searched:
        used = np.empty(0, dtype=np.int64)  # nothing is left out across tables
    return searched._search(vector, topn, restrict_to, used)


class _SuggestIndex:
    """Lookup tables that rank known string keys by closeness to a missing one.

    Built once per :class:`KeyedVectors` (on its first missing key) in one pass over the
    keys; each query then costs a bounded amount of work whatever the vocabulary size. Keys
    are compared in a folded form (:func:`_fold`: case, accents and runs of whitespace
    ignored), and ranked in tiers, each tier only filling the places the ones before left:

    1. the folded key equals the folded query;
    2. the two are equal, or one is a prefix of the other, once a trailing parenthetical
       disambiguator such as ``" (film)"`` or ``" (2014 film)"`` is stripped from both:
       equality first, then prefixes, fewest extra characters first (a prefix that cuts a
       word, like ``"rogue one"`` of ``"rogue ones"``, counts ``_CUT_WORD_COST`` more and
       needs 4 characters);
    3. the two share words: ranked by the IDF-weighted Jaccard similarity of their word
       sets (rare shared words count most), kept from ``_TOKEN_MIN_SCORE``;
    4. :func:`difflib.get_close_matches` (ratio 0.6 or more) over at most
       ``_SUGGEST_POOL`` keys of a plausible length, keys sharing a word or the first
       character with the query examined first.

    Ties go to the key listed first in the vocabulary.

    Parameters
    ----------
    keys : list
        The vocabulary, ``index_to_key``; keys that are not ``str`` are left out.
    """

    def __init__(self, keys):
        # comprehensions and numpy rather than one loop: about 1 s for 200,000 keys
        self.keys = [key for key in keys if isinstance(key, str)]
        n = self.n = len(self.keys)
        self.folds = folds = [" ".join(key.casefold().split()) if key.isascii() else _fold(key)
                              for key in self.keys]
        self.bases = bases = [_strip_disambiguator(fold) if "(" in fold else fold
                              for fold in folds]
        self.by_fold = _Groups(folds)
        self.by_base = _Groups(bases)
        self.sorted_bases = sorted(self.by_base)
        self.lengths = np.fromiter(map(len, folds), dtype=np.int64, count=n)
        self.first_chars = np.array([fold[:1] for fold in folds], dtype="<U1")
        # each word gets the position of its first occurrence, made dense by np.unique
        words = [dict.fromkeys(_tokens(base)) for base in bases]
        counts = np.fromiter(map(len, words), dtype=np.int64, count=n)
        flat = list(itertools.chain.from_iterable(words))
        self.vocabulary = vocabulary = {}
        first = np.fromiter(map(vocabulary.setdefault, flat, itertools.count()),
                            dtype=np.int64, count=len(flat))
        self.word_ids, token_ids = np.unique(first, return_inverse=True)
        # word -> entries, and IDF weights: a word in every key weighs log 2
        owners = np.repeat(np.arange(n, dtype=np.int64), counts)
        df = np.bincount(token_ids, minlength=len(self.word_ids))
        self.postings = owners[np.argsort(token_ids, kind="stable")]
        self.posting_starts = np.concatenate([[0], np.cumsum(df)])
        self.weights = np.log1p(n / np.maximum(df, 1))
        self.key_weights = np.bincount(owners, weights=self.weights[token_ids], minlength=n)

    def suggest(self, query, k):
        """Up to ``k`` keys close to the string ``query``, best first.

        Parameters
        ----------
        query : str
            The missing key.
        k : int
            The most keys to return.

        Returns
        -------
        keys : list of str
            Known keys, best first.
        """
        if not self.n or k < 1:
            return []
        fold = _fold(query)
        chosen = []

        def take(entries):
            for entry in entries:
                if len(chosen) >= k:
                    return True
                if entry not in chosen:
                    chosen.append(entry)
            return len(chosen) >= k

        if take(self.by_fold.get(fold, ())):
            return self._as_keys(chosen)
        fold = fold[:_MAX_QUERY_CHARS]
        if not fold:
            return self._as_keys(chosen)
        base = _strip_disambiguator(fold)
        if take(self._prefix_matches(fold, base)):
            return self._as_keys(chosen)
        overlap = self._overlap(base)
        if take(self._token_matches(fold, base, overlap)):
            return self._as_keys(chosen)
        take(self._difflib_matches(fold, overlap, k + len(chosen)))
        return self._as_keys(chosen)

    def _as_keys(self, entries):
        return [self.keys[entry] for entry in entries]

    def _prefix_matches(self, fold, base):
        """Entries whose base equals, extends or begins the query's base, best first."""
        ranked = [(0, abs(len(self.folds[e]) - len(fold)), 0, e)
                  for e in self.by_base.get(base, ())]
        # bases that start with the query's base: one contiguous run of the sorted bases,
        # read until _SUGGEST_POOL entries are found
        start = bisect.bisect_right(self.sorted_bases, base)
        for other in self.sorted_bases[start:start + _SUGGEST_POOL]:
            if not other.startswith(base) or len(ranked) >= _SUGGEST_POOL:
                break
            cost = _prefix_cost(base, other)
            if cost is not None:
                ranked.extend((1, *cost, e) for e in self.by_base[other])
        # bases that begin the query's base: one dictionary look-up per prefix
        for stop in range(2, len(base)):
            prefix = base[:stop]
            if prefix in self.by_base:
                cost = _prefix_cost(prefix, base)
                if cost is not None:
                    ranked.extend((1, *cost, e) for e in self.by_base[prefix])
        return [entry for *_, entry in sorted(ranked)]

    def _overlap(self, base):
        """IDF weight of the query's words, and the weight each entry shares with it."""
        tokens = list(dict.fromkeys(_tokens(base)))[:_MAX_QUERY_TOKENS]
        ids = [self.vocabulary.get(token) for token in tokens]
        known = np.searchsorted(self.word_ids, [i for i in ids if i is not None]).tolist()
        # a word no key has weighs like one key's word: the most a word can
        query_weight = float(self.weights[known].sum()) + (len(ids) - len(known)) * np.log1p(
            self.n)
        shared = np.zeros(self.n)
        for i in known:
            entries = self.postings[self.posting_starts[i]:self.posting_starts[i + 1]]
            shared[entries] += self.weights[i]
        return query_weight, shared

    def _token_matches(self, fold, base, overlap):
        """Entries sharing enough weighted words with the query, best first."""
        query_weight, shared = overlap
        entries = np.flatnonzero(shared)
        if not len(entries):
            return []
        union = query_weight + self.key_weights[entries] - shared[entries]
        scores = shared[entries] / np.maximum(union, 1e-12)
        keep = scores >= _TOKEN_MIN_SCORE
        entries, scores = entries[keep], scores[keep]
        gaps = np.abs(self.lengths[entries] - len(fold))
        order = np.lexsort((entries, gaps, -scores))
        return entries[order[:_SUGGEST_POOL]].tolist()

    def _difflib_matches(self, fold, overlap, n):
        """Entries :func:`difflib.get_close_matches` finds, from a bounded pool."""
        # difflib's ratio 2M/(a+b) >= 0.6 needs 3/7 <= len(a)/len(b) <= 7/3
        length = len(fold)
        plausible = np.flatnonzero((7 * self.lengths >= 3 * length)
                                   & (3 * self.lengths <= 7 * length))
        if len(plausible) > _SUGGEST_POOL:
            shares_word = overlap[1][plausible] > 0
            same_first = self.first_chars[plausible] == fold[0]
            order = np.lexsort((plausible, ~same_first, ~shares_word))
            plausible = plausible[order[:_SUGGEST_POOL]]
        pool = {}
        for entry in plausible.tolist():
            pool.setdefault(self.folds[entry], entry)
        return [pool[match] for match in difflib.get_close_matches(fold, pool, n=n, cutoff=0.6)]


def _fold(text):
    """``text`` without case, accents or repeated whitespace, for comparing keys."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text)
                       if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


class _Groups:
    """The positions of each value of a list, as a read-only mapping to lists.

    Built at C speed for the common case of few repeated values: a dict of first
    positions, and lists only for values seen more than once.
    """

    def __init__(self, values):
        n = len(values)
        self._first = first = dict(zip(reversed(values), range(n - 1, -1, -1)))
        self._more = {}
        if len(first) < n:
            firsts = np.fromiter(map(first.__getitem__, values), dtype=np.int64, count=n)
            for position in np.flatnonzero(firsts != np.arange(n)).tolist():
                self._more.setdefault(int(firsts[position]), []).append(position)

    def __contains__(self, value):
        return value in self._first

    def __iter__(self):
        return iter(self._first)

    def get(self, value, default=()):
        position = self._first.get(value)
        if position is None:
            return default
        return [position, *self._more.get(position, ())]

    def __getitem__(self, value):
        return [self._first[value], *self._more.get(self._first[value], ())]


def _strip_disambiguator(fold):
    """A folded key without its trailing parenthetical, e.g. ``" (2014 film)"``.

    An unclosed one (``"titanic (1997"``, a query cut short) is stripped too.
    """
    return _DISAMBIGUATOR.sub("", fold) or fold


def _tokens(text):
    """The words of ``text`` (letters and digits; apostrophes dropped)."""
    if "'" in text or "\u2019" in text:
        text = _APOSTROPHE.sub("", text)
    return _WORD.findall(text)


def _prefix_cost(prefix, text):
    """How far ``text`` is from its proper prefix ``prefix``, as a sort key, or None.

    ``(characters text adds, 0)`` when the prefix ends at a word boundary of ``text``;
    ``(characters added + _CUT_WORD_COST, 1)`` when it cuts a word (a truncated or mistyped word), kept
    only for prefixes of at least 4 characters; None otherwise.
    """
    extra = len(text) - len(prefix)
    if not prefix[-1].isalnum() or not text[len(prefix)].isalnum():
        return extra, 0
    return (extra + _CUT_WORD_COST, 1) if len(prefix) >= 4 else None


def _row_top_k(scores, k):
    """Positions and values of the ``k`` largest scores of each row, unordered."""
    n = scores.shape[1]
    if k >= n:
        return np.broadcast_to(np.arange(n), scores.shape).copy(), scores
    positions = np.argpartition(scores, n - k, axis=1)[:, n - k:]
    return positions, np.take_along_axis(scores, positions, axis=1)


def _unique_in_order(indices):
    _, first = np.unique(indices, return_index=True)
    return indices[np.sort(first)]


def _is_iterable(value):
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _tsv_cell(value):
    return _TSV_SPECIAL.sub(" ", str(value))
