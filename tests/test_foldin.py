"""Tests of the fold-in: row vectors against frozen link vectors, row by row."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_linkembed._foldin import fold_in
from sklearn_linkembed._utils import unit_rows
from tests.conftest import random_graph


@pytest.fixture(scope="module")
def links():
    return np.random.RandomState(0).normal(size=(300, 16)).astype(np.float32)


@pytest.mark.parametrize("loss", ["cosine_mse", "logistic"])
def test_fold_in_is_row_wise_bit_for_bit(links, loss):
    X = random_graph(2000, 300, 0.03, seed=0)
    X.sort_indices()
    settings = {"loss": loss, "seed": 3, "negative_ratio": 5, "n_steps": 4}
    whole = fold_in(X, links, **settings)
    rows = np.random.RandomState(1).permutation(2000)[:500]
    part = X[rows]
    part.sort_indices()
    np.testing.assert_array_equal(fold_in(part, links, **settings), whole[rows])


def test_rows_without_links_get_zero_and_one_link_rows_point_at_it(links):
    X = sp.csr_matrix((np.ones(2, np.float32), ([1, 2], [7, 42])), shape=(3, 300))
    out = unit_rows(fold_in(X, links, loss="cosine_mse", seed=0, negative_ratio=5, n_steps=5))
    assert not out[0].any()
    cosine = np.einsum("ij,ij->i", out[1:], unit_rows(links[[7, 42]]))
    assert (cosine > 0.9).all()


def test_negatives_of_a_logistic_fold_in_depend_on_the_seed(links):
    X = random_graph(50, 300, 0.05, seed=2)
    X.sort_indices()
    a, b = (fold_in(X, links, loss="logistic", seed=s, negative_ratio=5, n_steps=3)
            for s in (0, 1))
    assert not np.array_equal(a, b)
