"""Fold-in: fit row vectors against frozen link vectors, one row at a time (numpy only).

This is gensim's ``infer_vector`` for this model. A row starts from the
normalised weighted sum of its link vectors and takes a few gradient steps of
the training loss against its own links and negatives. The negatives are drawn
from a hash of (seed, the row's links), and every operation is row-wise
(no BLAS, no reduction across rows), so a row's vector depends only on its own
links: ``transform(X[rows]) == transform(X)[rows]`` bit for bit.
"""

import numpy as np

__all__ = ["fold_in"]

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_ROWS_PER_CHUNK = 4096


def _mix(x):
    """splitmix64's finaliser: a fast, well-spread hash of uint64 values."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def fold_in(csr, link_vectors, *, loss, seed, negative_ratio, link_cdf=None, n_steps=10,
            learning_rate=None):
    """Row vectors (float32; zero for rows with no known link) of ``csr``'s rows.

    ``link_cdf`` is the cumulative distribution of negative links (``None``:
    uniform), as in training.
    """
    n_rows = csr.shape[0]
    out = np.zeros((n_rows, link_vectors.shape[1]), dtype=np.float32)
    if loss == "cosine_mse":
        link_vectors = link_vectors / np.maximum(
            np.linalg.norm(link_vectors, axis=1, keepdims=True), 1e-12)
    for start in range(0, n_rows, _ROWS_PER_CHUNK):
        chunk = csr[start:start + _ROWS_PER_CHUNK]
        out[start:start + chunk.shape[0]] = _fold_in_chunk(
            chunk, link_vectors, loss, seed, negative_ratio, link_cdf, n_steps,
            learning_rate or (0.5 if loss == "cosine_mse" else 2.0))
    return out


def _fold_in_chunk(csr, V, loss, seed, k, link_cdf, n_steps, lr):
    n_rows, n_links = csr.shape
    degree = np.diff(csr.indptr)
    has = degree > 0
    links = csr.indices.astype(np.int64)
    weights = csr.data.astype(np.float32)
    pos_rows = np.repeat(np.arange(n_rows), degree)

    # Negatives: k per link of the row, from a hash of (seed, the row's links).
    with np.errstate(over="ignore"):
        row_hash = np.zeros(n_rows, dtype=np.uint64)
        row_hash[has] = np.add.reduceat(_mix(links.astype(np.uint64) + np.uint64(1)),
                                        csr.indptr[:-1][has])
        row_hash = _mix(row_hash ^ _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF)))
        n_neg = degree * k
        neg_rows = np.repeat(np.arange(n_rows), n_neg)
        offsets = np.arange(len(neg_rows)) - np.repeat(np.cumsum(n_neg) - n_neg, n_neg)
        draws = _mix(row_hash[neg_rows] + _mix(offsets.astype(np.uint64) + np.uint64(1)))
    uniform = (draws >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    if link_cdf is None:
        neg_links = np.minimum((uniform * n_links).astype(np.int64), n_links - 1)
    else:
        neg_links = np.minimum(np.searchsorted(link_cdf, uniform, side="right"), n_links - 1)
    # A negative that is one of the row's own links is dropped (weight 0).
    keys = pos_rows * n_links + links
    neg_keys = neg_rows * n_links + neg_links
    hit = np.minimum(np.searchsorted(keys, neg_keys), max(len(keys) - 1, 0))
    neg_weights = (keys[hit] != neg_keys).astype(np.float32) if len(keys) else np.zeros(0)

    rows = np.concatenate([pos_rows, neg_rows])
    order = np.argsort(rows, kind="stable")  # group each row's examples contiguously
    rows = rows[order]
    ex_links = np.concatenate([links, neg_links])[order]
    labels = np.concatenate([np.ones(len(links), np.float32),
                             -np.ones(len(neg_links), np.float32)])[order]
    w = np.concatenate([weights, neg_weights]).astype(np.float32)[order]
    starts = np.searchsorted(rows, np.arange(n_rows))[has]
    w_sum = np.add.reduceat(w, starts)[:, None]

    Vx = V[ex_links]
    u = np.zeros((n_rows, V.shape[1]), dtype=np.float32)
    u[has] = np.add.reduceat(V[links] * weights[:, None], csr.indptr[:-1][has])
    u[has] = _unit(u[has])
    if loss == "logistic":
        # Dot-product scores need a scale: start at the mean norm of the row's links.
        u[has] *= np.add.reduceat(np.linalg.norm(V[links], axis=1), csr.indptr[:-1][has]
                                  )[:, None] / degree[has][:, None]
    for _ in range(n_steps):
        ux = u[rows]
        s = np.einsum("ij,ij->i", ux, Vx)
        if loss == "cosine_mse":
            # d/du (cos - y)^2 with |u| = 1, |v| = 1: 2 (cos - y) (v - cos u)
            g = (2 * w * (s - labels))[:, None] * (Vx - s[:, None] * ux)
        else:
            # d/du softplus(-y u.v) = -y sigmoid(-y u.v) v
            g = (-w * labels / (1 + np.exp(labels * s)))[:, None] * Vx
        u[has] -= lr * np.add.reduceat(g, starts) / np.maximum(w_sum, 1e-12)
        if loss == "cosine_mse":
            u[has] = _unit(u[has])
    return u


def _unit(a):
    norms = np.sqrt(np.einsum("ij,ij->i", a, a))[:, None]
    return np.where(norms > 0, a / np.where(norms > 0, norms, 1), 0).astype(np.float32)
