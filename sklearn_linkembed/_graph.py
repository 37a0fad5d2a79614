"""Turn user inputs (link lists, matrices, pandas) into a CSR rows x links graph."""

from dataclasses import dataclass
from itertools import chain
from numbers import Number

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_non_negative, validate_data

__all__ = ["Graph", "is_link_lists", "graph_from_input"]


@dataclass
class Graph:
    """A rows x links graph: ``csr`` holds the edge weights of the known links.

    ``link_keys`` names the columns of ``csr``; ``row_keys`` names its rows
    (``None`` when the input carried no names: rows are then known by position).
    """

    csr: sp.csr_matrix
    link_keys: list
    row_keys: list | None = None


def is_link_lists(X):
    """Whether ``X`` is a collection of link lists rather than a matrix.

    Matrices are scipy sparse matrices, DataFrames, numpy arrays (but 1-D
    object arrays), array-likes and nested lists of floats; other Python
    sequences, 1-D object arrays and pandas Series are link lists (``X[i]`` is
    the links of row ``i``), whatever the type of the links (str, int, ...).
    """
    if sp.issparse(X):
        return False
    if isinstance(X, (str, bytes)):
        raise TypeError(
            "X is a single string; expected an iterable of link lists "
            "(e.g. [['George Lucas', 'Harrison Ford'], ...]) or a rows x links matrix."
        )
    if isinstance(X, np.ndarray):
        return X.ndim == 1 and X.dtype == object
    if isinstance(X, (list, tuple)) and X and _is_float_row(X[0]):
        return False  # nested lists of floats are a dense matrix, as everywhere in sklearn
    if hasattr(X, "columns") or hasattr(X, "__array__") and not hasattr(X, "index"):
        return False  # DataFrame or array-like wrapper
    if hasattr(X, "index") and getattr(X, "ndim", None) == 1:
        return True  # pandas Series of link lists
    return hasattr(X, "__iter__")


def _is_float_row(row):
    return (isinstance(row, (list, tuple)) and len(row) > 0
            and all(isinstance(v, (float, np.floating)) for v in row))


def _rows_of(X):
    """Materialise the rows of a link-list input and check each one is a collection."""
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
    keys = np.unique(row_ids[keep] * n_links + link_ids[keep])
    rows, cols = np.divmod(keys, n_links)
    data = np.ones(len(keys), dtype=np.float32)
    return sp.csr_matrix((data, (rows, cols)), shape=(n_rows, n_links), dtype=np.float32)


def _row_keys_of(X):
    if hasattr(X, "index") and getattr(X, "ndim", None) == 1:
        keys = list(X.index)
        if len(set(keys)) != len(keys):
            raise ValueError(
                "The index of the Series X names the rows and must be unique; "
                f"{len(keys) - len(set(keys))} duplicate names found."
            )
        return keys
    return None


def graph_from_input(estimator, X, *, min_count, reset):
    """Build the :class:`Graph` of ``X``.

    With ``reset=True`` (fit) the link vocabulary is learnt from ``X``: links in
    at least ``min_count`` rows, in order of first appearance, as the seed
    notebook's ``top_links``; the estimator gets ``_input_kind`` and, for
    matrices, ``n_features_in_`` (and ``feature_names_in_``). With
    ``reset=False`` (transform) the fitted vocabulary is used and unknown links
    are ignored.
    """
    if reset:
        estimator._input_kind = "link_lists" if is_link_lists(X) else "matrix"
    if estimator._input_kind == "link_lists":
        if not is_link_lists(X):
            raise TypeError(
                "This LinkEmbedder was fitted on link lists; transform expects link lists too, "
                f"got {type(X).__name__}."
            )
        rows = _rows_of(X)
        if reset:
            if not rows:
                raise ValueError("X has 0 rows; at least one row of links is required.")
            vocabulary = {}
            row_ids, ids = _link_ids(rows, vocabulary, grow=True)
            all_keys = list(vocabulary)
            full = _dedup_csr(row_ids, ids, len(rows), len(all_keys))
            kept = np.flatnonzero(np.diff(full.tocsc().indptr) >= min_count)
            csr = full[:, kept]
            return Graph(csr, [all_keys[i] for i in kept], _row_keys_of(X))
        key_to_index = {k: i for i, k in enumerate(estimator.links_)}
        row_ids, ids = _link_ids(rows, key_to_index, grow=False)
        return Graph(_dedup_csr(row_ids, ids, len(rows), len(key_to_index)), estimator.links_,
                     _row_keys_of(X))

    if is_link_lists(X):
        raise TypeError(
            "This LinkEmbedder was fitted on a rows x links matrix; transform expects a matrix "
            f"with {estimator.n_features_in_} columns, got link lists."
        )
    X = validate_data(
        estimator, X, accept_sparse="csr", dtype=(np.float32, np.float64), reset=reset
    )
    X = sp.csr_matrix(X, dtype=np.float32)  # a copy: the caller's matrix is never changed
    check_non_negative(X, "LinkEmbedder (X holds edge weights)")
    X.eliminate_zeros()
    X.sum_duplicates()
    if reset:
        kept = np.flatnonzero(np.diff(X.tocsc().indptr) >= min_count)
        names = getattr(estimator, "feature_names_in_", None)
        link_keys = [names[i] for i in kept] if names is not None else kept.tolist()
        estimator._link_columns = kept
        return Graph(X[:, kept], link_keys)
    return Graph(X[:, estimator._link_columns], estimator.links_)
