"""Tests of the fitted vocabulary: inputs to a rows x links graph and back."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_linkembed._graph import LinkVocabulary

FILMS = [["Harrison Ford", "George Lucas", "space"],
         ["Harrison Ford", "Steven Spielberg"],
         ["Mark Hamill", "George Lucas", "space", "space"]]


def test_links_in_min_count_rows_are_kept_in_order_of_first_appearance():
    vocabulary = LinkVocabulary(min_count=2)
    graph = vocabulary.fit_encode(FILMS)
    assert vocabulary.link_keys == ["Harrison Ford", "George Lucas", "space"]
    assert vocabulary.input_kind == "link_lists" and len(vocabulary) == 3
    # duplicates count once; unknown links are dropped from the graph
    np.testing.assert_array_equal(graph.csr.toarray(), [[1, 1, 1], [1, 0, 0], [0, 1, 1]])
    assert graph.row_keys is None


def test_encode_maps_new_rows_and_ignores_unknown_links():
    vocabulary = LinkVocabulary(min_count=2)
    vocabulary.fit_encode(FILMS)
    graph = vocabulary.encode([["space", "never seen", "Harrison Ford"], []])
    np.testing.assert_array_equal(graph.csr.toarray(), [[1, 0, 1], [0, 0, 0]])
    assert vocabulary.decode([2, 0]) == ["space", "Harrison Ford"]


@pytest.mark.parametrize("as_mapping", [True, False])
def test_row_names_come_from_a_mapping_or_a_series(as_mapping):
    titles = ["Star Wars", "Jaws", "Star Wars II"]
    if as_mapping:
        X = dict(zip(titles, FILMS))
    else:
        pd = pytest.importorskip("pandas")
        X = pd.Series(FILMS, index=titles)
    graph = LinkVocabulary(min_count=1).fit_encode(X)
    assert graph.row_keys == titles and graph.csr.shape == (3, 5)


def test_matrix_columns_below_min_count_are_dropped_and_named():
    X = sp.csr_matrix(np.array([[1, 0, 2.5], [1, 0, 0], [0, 1, 1]]))
    vocabulary = LinkVocabulary(min_count=2)
    graph = vocabulary.fit_encode(X, link_names=np.array(["a", "b", "c"], dtype=object))
    assert vocabulary.link_keys == ["a", "c"] and vocabulary.n_features == 3
    np.testing.assert_array_equal(graph.csr.toarray(), [[1, 2.5], [1, 0], [0, 1]])
    with pytest.raises(ValueError, match="X has 2 columns, but the model was fitted on 3"):
        vocabulary.encode(np.ones((1, 2)))
    with pytest.raises(TypeError, match="fitted on a rows x links matrix"):
        vocabulary.encode([["a"]])


def test_the_callers_matrix_is_never_changed():
    X = sp.csr_matrix(np.array([[1.0, 0, 2], [0, 3, 0]], dtype=np.float32))
    X.data[1] = 0  # an explicit zero, which the vocabulary eliminates from its copy
    before = X.data.copy(), X.indices.copy(), X.indptr.copy()
    LinkVocabulary(min_count=1).fit_encode(X)
    for old, new in zip(before, (X.data, X.indices, X.indptr)):
        np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize("X", [FILMS, np.array([[1, 0, 1], [1, 1, 0]], dtype=float)])
def test_arrays_round_trip(X):
    vocabulary = LinkVocabulary(min_count=1)
    vocabulary.fit_encode(X)
    arrays, meta = vocabulary.to_arrays()
    copy = LinkVocabulary.from_arrays(arrays, meta, vocabulary.link_keys)
    new = [["space", "Mark Hamill"]] if X is FILMS else np.array([[0, 1, 1.0]])
    assert (copy.encode(new).csr != vocabulary.encode(new).csr).nnz == 0


def test_pairs_build_rows_keys_and_bitmap_from_csr_alone(monkeypatch):
    """Training needs only the CSR arrays: rows, keys and the bitmap come from them,
    block by block, and equal what the full arrays give."""
    import scipy.sparse as sp

    from sklearn_linkembed import _pairs

    rng = np.random.default_rng(0)
    X = sp.random(300, 200, density=0.05, random_state=0, format="csr", dtype=np.float32)
    X.data[:] = 1.0
    X[5] = 0  # an empty row in the middle
    X.eliminate_zeros()
    pairs = _pairs.Pairs.from_csr(X)
    assert pairs.weights is None  # binary: no weight array
    np.testing.assert_array_equal(pairs.pair_weights(), np.ones(X.nnz, np.float32))
    rows = np.repeat(np.arange(300), np.diff(X.indptr))
    np.testing.assert_array_equal(pairs.rows, rows)
    np.testing.assert_array_equal(pairs.keys, rows.astype(np.int64) * 200 + X.indices)
    assert pairs.links.base is X.indices or pairs.links is X.indices  # no copy

    whole = pairs.bitmap()
    monkeypatch.setattr(_pairs, "_BITMAP_BLOCK", 7)  # blocks that split rows
    blocks = _pairs.Pairs.from_csr(X)
    np.testing.assert_array_equal(blocks.bitmap(), whole)
    for start, stop in [(0, 7), (3, 50), (40, X.nnz)]:
        np.testing.assert_array_equal(blocks._keys(start, stop), pairs.keys[start:stop])

    X.data = rng.uniform(1, 3, X.nnz).astype(np.float32)
    weighted = _pairs.Pairs.from_csr(X)
    np.testing.assert_allclose(weighted.weights.mean(), 1.0, rtol=1e-6)
