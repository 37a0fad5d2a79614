"""User inputs (link lists, mappings, matrices, pandas) to a CSR rows x links graph, through a fitted vocabulary."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain
from numbers import Number

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array
from sklearn.utils.validation import check_non_negative

__all__ = ["Graph", "LinkVocabulary", "column_counts", "is_link_lists"]

# Fold-in sums a row's weights (times up to 4) in float32; a bound on the total keeps
# every such sum finite.
_MAX_TOTAL_WEIGHT = float(np.finfo(np.float32).max) / 8


@dataclass
class Graph:
    """A rows x links graph: ``csr`` holds the edge weights of the known links.

    ``link_keys`` names the columns of ``csr``; ``row_keys`` names its rows
    (``None`` when the input carried no names: rows are then known by position).
    """

    csr: sp.csr_matrix
    link_keys: list
    row_keys: list | None = None


def column_counts(csr):
    """Non-zeros per column of a CSR matrix, without a CSC copy of it."""
    return np.bincount(csr.indices, minlength=csr.shape[1])


def is_link_lists(X):
    """Whether ``X`` is a collection of link lists rather than a matrix.

    Matrices are scipy sparse matrices, DataFrames, numpy arrays (but 1-D
    object arrays), array-likes and nested lists of floats; other Python
    sequences, 1-D object arrays, pandas Series and mappings ``{row name:
    links}`` are link lists (``X[i]`` is the links of row ``i``), whatever the
    type of the links (str, int, ...).
    """
    if sp.issparse(X):
        return False
    if isinstance(X, (str, bytes)):
        raise TypeError(
            "X is a single string; expected an iterable of link lists "
            "(e.g. [['George Lucas', 'Harrison Ford'], ...]) or a rows x links matrix."
        )
    if isinstance(X, Mapping):
        return True  # {row name: links}: the keys name the rows, as a Series' index
    if isinstance(X, np.ndarray):
        # 1-D arrays of str are link lists too, so that their rows are refused as strings
        return X.ndim == 1 and X.dtype.kind in "OUS"
    if isinstance(X, (list, tuple)) and X and _is_float_row(X[0]):
        return False  # nested lists of floats are a dense matrix, as everywhere in sklearn
    if hasattr(X, "columns") or hasattr(X, "__array__") and not hasattr(X, "index"):
        return False  # DataFrame or array-like wrapper
    if hasattr(X, "index") and getattr(X, "ndim", None) == 1:
        return True  # pandas Series of link lists
    if not hasattr(X, "__iter__"):
        raise TypeError(
            f"X is {X!r:.40} of type {type(X).__name__}; expected an iterable of link lists "
            "(e.g. [['George Lucas', 'Harrison Ford'], ...]) or a rows x links matrix "
            "(array-like or scipy sparse)."
        )
    return True


def _is_float_row(row):
    return (isinstance(row, (list, tuple)) and len(row) > 0
            and all(isinstance(v, (float, np.floating)) for v in row))


def _rows_of(X):
    """Materialise the rows of a link-list input and check each one is a collection."""
    if isinstance(X, Mapping):
        X = list(X.values())
    rows = list(X.tolist() if hasattr(X, "tolist") and not isinstance(X, list) else X)
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)):
            raise TypeError(
                f"X[{i}] is a string ({row[:40]!r}); each row of X must be a list of links, "
                f"not a single link. Wrap it in a list: [{row[:40]!r}]."
            )
        if isinstance(row, (Number, type(None))) or not hasattr(row, "__iter__"):
            raise TypeError(
                f"X[{i}] is {row!r} of type {type(row).__name__}; each row of X must be an "
                "iterable of links (list, tuple, set or 1-D array). Use [] for a row with no links."
            )
    return rows


def _is_missing(link):
    return link is None or isinstance(link, (float, np.floating)) and not math.isfinite(link)


def _check_no_missing_links(rows, vocabulary):
    """Refuse None, NaN and inf links: missing values, not names (NaN != NaN breaks lookups)."""
    missing = [k for k in vocabulary if _is_missing(k)]
    if missing:
        i = next(i for i, row in enumerate(rows) if any(map(_is_missing, row)))
        raise ValueError(
            f"X[{i}] holds the link {missing[0]!r}, a missing value; links must be names "
            "(str, int, ...), not None, NaN or inf. Drop missing values from the link lists."
        )


def _link_ids(rows, key_to_index, *, grow):
    """Map each row's links to integer ids, one flat array plus row boundaries."""
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    flat = chain.from_iterable(rows)
    try:
        if grow:
            ids = [key_to_index.setdefault(k, len(key_to_index)) for k in flat]
        else:
            ids = [key_to_index.get(k, -1) for k in flat]
    except TypeError as exc:
        raise TypeError(
            f"Every link must be hashable (a str, int, ...): {exc}. Rows of X must be flat "
            "lists of links, not nested lists."
        ) from None
    row_ids = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    return row_ids, np.asarray(ids, dtype=np.int64)


def _dedup_csr(row_ids, link_ids, n_rows, n_links):
    """CSR of ones with one entry per distinct (row, link); unknown links (-1) dropped."""
    keep = link_ids >= 0
    # Sort and drop repeats: numpy 2's np.unique hashes int64 keys, ~75x slower here.
    keys = np.sort(row_ids[keep] * n_links + link_ids[keep])
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    rows, cols = np.divmod(keys, n_links)
    data = np.ones(len(keys), dtype=np.float32)
    return sp.csr_matrix((data, (rows, cols)), shape=(n_rows, n_links), dtype=np.float32)


def _row_keys_of(X):
    if isinstance(X, Mapping):
        return list(X)  # a mapping's keys are unique already
    if hasattr(X, "index") and getattr(X, "ndim", None) == 1:
        keys = list(X.index)
        if len(set(keys)) != len(keys):
            raise ValueError(
                "The index of the Series X names the rows and must be unique; "
                f"{len(keys) - len(set(keys))} duplicate names found."
            )
        return keys
    return None


class LinkVocabulary:
    """The fitted mapping between an input's links and the columns of the graph.

    :meth:`fit_encode` learns it from training data: for link lists, the links
    in at least ``min_count`` rows, in order of first appearance (the seed
    notebook's ``top_links``); for a rows x links matrix, its columns with at
    least ``min_count`` non-zeros. :meth:`encode` maps any later input of the
    same kind onto those links (unknown links are ignored), :meth:`decode`
    maps column ids back to link names. It holds no row data and saves as
    plain arrays (:meth:`to_arrays`, :meth:`from_arrays`).

    Attributes (after fitting): ``input_kind`` ("link_lists" or "matrix"),
    ``link_keys`` (the name of each column), and for matrices ``columns``
    (the input columns kept) and ``n_features`` (the input's column count).
    """

    def __init__(self, min_count=1):
        self.min_count = min_count

    def __len__(self):
        return len(self.link_keys)

    def fit_encode(self, X, *, link_names=None):
        """Learn the vocabulary from ``X`` and return its :class:`Graph`.

        ``link_names`` names a matrix's columns (a DataFrame's); by default they
        are the column indices.
        """
        if is_link_lists(X):
            rows = _rows_of(X)
            if not rows:
                raise ValueError("X has 0 rows; at least one row of links is required.")
            vocabulary = {}
            row_ids, ids = _link_ids(rows, vocabulary, grow=True)
            _check_no_missing_links(rows, vocabulary)
            all_keys = list(vocabulary)
            full = _dedup_csr(row_ids, ids, len(rows), len(all_keys))
            kept = np.flatnonzero(column_counts(full) >= self.min_count)
            self.input_kind, self.columns, self.n_features = "link_lists", None, None
            self.link_keys = [all_keys[i] for i in kept]
            self._index = None
            return Graph(full[:, kept], self.link_keys, _row_keys_of(X))
        X = _check_matrix(X, per_row=False)
        kept = np.flatnonzero(column_counts(X) >= self.min_count)
        self.input_kind, self.columns, self.n_features = "matrix", kept, X.shape[1]
        self.link_keys = ([link_names[i] for i in kept] if link_names is not None
                          else kept.tolist())
        # X is this vocabulary's own copy already: no second one when every column stays
        return Graph(X if len(kept) == X.shape[1] else X[:, kept], self.link_keys)

    def encode(self, X):
        """The :class:`Graph` of ``X`` over the fitted links; unknown links are ignored."""
        if self.input_kind == "link_lists":
            if not is_link_lists(X):
                raise TypeError(
                    "This model was fitted on link lists; transform expects link lists too, "
                    f"got {type(X).__name__}."
                )
            rows = _rows_of(X)
            if getattr(self, "_index", None) is None:
                self._index = {k: i for i, k in enumerate(self.link_keys)}
            row_ids, ids = _link_ids(rows, self._index, grow=False)
            return Graph(_dedup_csr(row_ids, ids, len(rows), len(self.link_keys)),
                         self.link_keys, _row_keys_of(X))
        if is_link_lists(X):
            raise TypeError(
                "This model was fitted on a rows x links matrix; transform expects a matrix "
                f"with {self.n_features} columns, got link lists."
            )
        X = _check_matrix(X, per_row=True)
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} columns, but the model was fitted on "
                             f"{self.n_features}.")
        return Graph(X[:, self.columns], self.link_keys)

    def decode(self, ids):
        """The link names of column ids ``ids``."""
        return [self.link_keys[i] for i in np.asarray(ids, dtype=np.int64).ravel()]

    def to_arrays(self):
        """``(arrays, meta)`` for an archive; the link names travel with the link vectors."""
        arrays = {} if self.columns is None else {"vocabulary_columns": self.columns}
        return arrays, {"input_kind": self.input_kind, "n_features": self.n_features,
                        "min_count": self.min_count}

    @classmethod
    def from_arrays(cls, arrays, meta, link_keys):
        """The vocabulary written by :meth:`to_arrays`, with its ``link_keys``."""
        vocabulary = cls(meta["min_count"])
        vocabulary.input_kind = meta["input_kind"]
        if vocabulary.input_kind not in ("link_lists", "matrix"):
            raise ValueError(f"unknown input kind {vocabulary.input_kind!r}")
        vocabulary.n_features = meta["n_features"]
        vocabulary.columns = arrays.get("vocabulary_columns")
        vocabulary.link_keys = list(link_keys)
        vocabulary._index = None
        return vocabulary


def _check_matrix(X, *, per_row):
    """A validated float32 CSR copy of a rows x links matrix of edge weights."""
    try:
        X = check_array(X, accept_sparse="csr", dtype=(np.float32, np.float64))
    except ValueError as exc:
        raise _unreadable_matrix_error(exc) from exc
    with np.errstate(over="ignore"):  # weights beyond float32 are refused just below
        X = sp.csr_matrix(X, dtype=np.float32, copy=True)  # the caller's matrix is never changed
    check_non_negative(X, "LinkEmbedder (X holds edge weights)")
    _check_weight_range(X, per_row=per_row)
    X.eliminate_zeros()
    X.sum_duplicates()
    return X


def _unreadable_matrix_error(exc):
    """A clearer error for matrices numpy cannot read as numbers; others pass through."""
    message = str(exc)
    if "could not convert" in message:
        return ValueError(
            f"X was read as a rows x links matrix but holds non-numeric values ({message}); "
            "a matrix holds numeric edge weights. To pass link names, give link lists: a list "
            "or pandas Series of lists of links (X.tolist() for a 2-D array of names)."
        )
    if "inhomogeneous" in message or "setting an array element" in message:
        return ValueError(
            f"X was read as a dense rows x links matrix (nested lists of floats) but its rows "
            f"differ in length or type ({message}). Pass rows of equal length, a scipy sparse "
            "matrix, or link lists (lists of link names)."
        )
    return exc


def _check_weight_range(X, *, per_row):
    """Refuse weights that overflow float32 (e.g. 1e300 becomes inf when cast)."""
    if not X.nnz:
        return
    total = np.asarray(X.sum(axis=1 if per_row else None, dtype=np.float64)).max()
    if not total <= _MAX_TOTAL_WEIGHT:
        raise ValueError(
            f"X holds edge weights too large for float32: they sum to {total:.3g}"
            f"{' in one row' if per_row else ''}, and must sum to at most "
            f"{_MAX_TOTAL_WEIGHT:.3g} (float32 overflows beyond). Divide X by a constant."
        )

