"""Small numeric helpers shared across modules (numpy only)."""

import numpy as np

__all__ = ["unit_rows"]


def unit_rows(a):
    """Rows of ``a`` scaled to unit L2 norm (float32); all-zero rows stay zero.

    Row-wise (einsum, no BLAS): each row's result depends only on that row.
    """
    a = np.asarray(a, dtype=np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", a, a))[:, None]
    return np.divide(a, norms, out=np.zeros_like(a), where=norms > 0)
