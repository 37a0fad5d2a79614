"""Fold-in: fit row vectors against frozen link vectors, one row at a time (numpy only).

This is gensim's ``infer_vector`` for this model. A row starts from the
normalised weighted sum of its link vectors and takes a few gradient steps of
the training loss against its own links and negatives:

* for ``cosine_mse`` the negatives enter through their exact expectation under
  the negative distribution ``p`` over links: with unit vectors,
  ``E[(cos + 1)^2]``'s gradient is ``2 (M u + mu - (u.M u + u.mu) u)`` where
  ``M = sum_l p_l v_l v_l^T`` and ``mu = sum_l p_l v_l`` — a ``d x d`` product
  per row instead of ``negative_ratio`` sampled links per link, and no noise;
* for ``logistic`` (no closed form) ``negative_ratio`` negatives per link are
  drawn from a hash of (seed, the row's links).

Every per-row operation is row-wise (no BLAS, no reduction across rows), so a
row's vector depends only on its own links: ``transform(X[rows]) ==
transform(X)[rows]`` bit for bit.
"""

import itertools

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from ._pairs import Pairs
from ._utils import unit_rows as _unit

__all__ = ["fold_in"]

# Chunks of about this many (row, link) entries keep the per-entry temporaries
# (entries x dim floats) in cache: 3.5x faster than chunks of 8,192 rows.
_ENTRIES_PER_CHUNK = 16384


def _mix(x):
    """splitmix64's finaliser: a fast, well-spread hash of uint64 values."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def fold_in(csr, link_vectors, *, loss, seed, negative_ratio, link_probability=None,
            n_steps=10, learning_rate=None):
    """Row vectors (float32; zero for rows with no known link) of ``csr``'s rows.

    ``link_probability`` is the distribution of negative links (``None``:
    uniform), as in training. ``csr`` must have sorted indices.
    """
    n_links, dim = link_vectors.shape
    p = (np.full(n_links, 1.0 / n_links) if link_probability is None
         else np.asarray(link_probability, dtype=np.float64))
    lr = learning_rate or (0.5 if loss == "cosine_mse" else 2.0)
    if loss == "cosine_mse":
        V = _unit(link_vectors)
        # einsum, not BLAS: the same bits whatever the thread count.
        moments = (np.einsum("li,lj->ij", V * p[:, None].astype(np.float32), V),
                   np.einsum("l,lj->j", p.astype(np.float32), V))
    else:
        V = np.asarray(link_vectors, dtype=np.float32)
        moments = np.cumsum(p)
    out = np.zeros((csr.shape[0], dim), dtype=np.float32)
    # Chunk boundaries: the first row past each multiple of _ENTRIES_PER_CHUNK entries.
    ends = np.searchsorted(csr.indptr, np.arange(_ENTRIES_PER_CHUNK, csr.nnz,
                                                 _ENTRIES_PER_CHUNK), side="right")
    bounds = np.unique(np.r_[0, ends, csr.shape[0]])
    for start, stop in itertools.pairwise(bounds):
        out[start:stop] = _fold_in_chunk(csr[start:stop], V, loss, seed, negative_ratio,
                                         moments, n_steps, lr)
    return out


def _fold_in_chunk(csr, V, loss, seed, k, moments, n_steps, lr):
    n_rows = csr.shape[0]
    degree = np.diff(csr.indptr)
    has = degree > 0
    starts = csr.indptr[:-1][has]
    links = csr.indices
    weights = csr.data.astype(np.float32)
    rows = np.repeat(np.arange(n_rows), degree)
    pos_weight = np.add.reduceat(weights, starts)[:, None] if len(starts) else np.zeros((0, 1))

    u = np.zeros((n_rows, V.shape[1]), dtype=np.float32)
    if not has.any():
        return u
    u[has] = _unit(np.add.reduceat(V[links] * weights[:, None], starts))
    if loss == "cosine_mse":
        M, mu = moments
        Vp = V[links]
        total = (1 + k) * pos_weight
        for _ in range(n_steps):
            uh = u[has]
            s = np.einsum("ij,ij->i", u[rows], Vp)
            # d/du (cos - 1)^2 with |u| = |v| = 1 is c (v - cos u), c = 2 (cos - 1)
            c = 2 * weights * (s - 1)
            g = (np.add.reduceat(c[:, None] * Vp, starts)
                 - np.add.reduceat(c * s, starts)[:, None] * uh)
            Mu = np.einsum("ij,jk->ik", uh, M)
            a = Mu + mu
            b = np.einsum("ij,ij->i", uh, Mu) + np.einsum("ij,j->i", uh, mu)
            g += 2 * k * pos_weight * (a - b[:, None] * uh)
            u[has] = _unit(uh - lr * g / total)
        return u

    # logistic: k sampled negatives per link, from a hash of (seed, the row's links)
    cdf = moments
    with np.errstate(over="ignore"):
        row_hash = np.zeros(n_rows, dtype=np.uint64)
        row_hash[has] = np.add.reduceat(_mix(links.astype(np.uint64) + np.uint64(1)), starts)
        row_hash = _mix(row_hash ^ _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF)))
        n_neg = degree * k
        neg_rows = np.repeat(np.arange(n_rows), n_neg)
        offsets = np.arange(len(neg_rows)) - np.repeat(np.cumsum(n_neg) - n_neg, n_neg)
        draws = _mix(row_hash[neg_rows] + _mix(offsets.astype(np.uint64) + np.uint64(1)))
    uniform = (draws >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    neg_links = np.minimum(np.searchsorted(cdf, uniform, side="right"), len(V) - 1)
    # A negative that is one of the row's own links is dropped (weight 0).
    own = Pairs.from_csr(sp.csr_matrix((weights, links, csr.indptr), shape=(n_rows, len(V))))
    neg_weights = (~own.contains(neg_rows, neg_links)).astype(np.float32)

    ex_rows = np.concatenate([rows, neg_rows])
    order = np.argsort(ex_rows, kind="stable")  # each row's examples contiguous
    ex_rows = ex_rows[order]
    Vx = V[np.concatenate([links, neg_links])[order]]
    labels = np.concatenate([np.ones(len(links), np.float32),
                             -np.ones(len(neg_links), np.float32)])[order]
    w = np.concatenate([weights, neg_weights])[order]
    ex_starts = np.searchsorted(ex_rows, np.flatnonzero(has))
    w_sum = np.add.reduceat(w, ex_starts)[:, None]
    # Dot-product scores need a scale: start at the mean norm of the row's links.
    u[has] *= (np.add.reduceat(np.sqrt(np.einsum("ij,ij->i", V[links], V[links])), starts)
               / degree[has])[:, None]
    for _ in range(n_steps):
        s = np.einsum("ij,ij->i", u[ex_rows], Vx)
        # d/du softplus(-y u.v) = -y sigmoid(-y u.v) v
        g = np.add.reduceat((-w * labels * expit(-labels * s))[:, None] * Vx, ex_starts)
        u[has] -= lr * g / np.maximum(w_sum, 1e-12)
    return u
