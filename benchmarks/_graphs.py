"""Large synthetic link graphs made directly with numpy, for the scaling benchmarks.

``make_bipartite_graph`` plants communities and guarantees every link a row;
these benchmarks only need a realistic degree profile at sizes up to 10^8
pairs, so pairs are drawn directly: rows uniformly, links from a Zipf-like
popularity, duplicates dropped.
"""

import numpy as np
import scipy.sparse as sp


def power_law_graph(n_pairs, *, rows_per_pair=0.01, links_per_pair=0.07, exponent=1.1,
                    random_state=0):
    """A CSR rows x links graph of about ``n_pairs`` distinct pairs (float32 ones)."""
    rng = np.random.default_rng(random_state)
    n_rows = max(10, int(n_pairs * rows_per_pair))
    n_links = max(10, int(n_pairs * links_per_pair))
    weights = 1.0 / np.arange(1, n_links + 1) ** exponent
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < n_pairs:
        need = int((n_pairs - len(keys)) * 1.1) + 1000
        rows = rng.integers(0, n_rows, need, dtype=np.int64)
        links = np.searchsorted(cdf, rng.random(need)).astype(np.int64)
        keys = np.sort(np.concatenate([keys, rows * n_links + links]))
        # Drop duplicates of the sorted keys (np.unique hashes: minutes at 10^8).
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    keys = keys[np.sort(rng.choice(len(keys), n_pairs, replace=False))] if len(keys) > n_pairs \
        else keys
    rows, links = np.divmod(keys, n_links)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return sp.csr_matrix((np.ones(len(keys), np.float32), links.astype(np.int32), indptr),
                         shape=(n_rows, n_links))
