"""Tests of the evaluation module: link split, link-prediction scores, scorer, recovery."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import digamma
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_linkembed import LinkEmbedder, make_bipartite_graph
from sklearn_linkembed.evaluation import (
    _auc,
    _full_ranking,
    _ItemKNNScorer,
    _keys,
    _KeySet,
    _top_k,
    community_recovery_score,
    link_prediction_report,
    link_prediction_scores,
    make_link_prediction_scorer,
    train_test_split_links,
)

FAST = {"embedding_size": 16, "epochs": 4, "batch_size": 256}
MEASURES = ["roc_auc", "mrr", "hits@10"]
RANKED = ["recall@10", "ndcg@10"]


@pytest.fixture(scope="module")
def planted():
    return make_bipartite_graph(400, 300, 6000, n_communities=4, mixing=0.1, random_state=0)


@pytest.fixture(scope="module")
def split(planted):
    X, _, _ = planted
    return train_test_split_links(X, 0.1, random_state=0)


@pytest.fixture(scope="module")
def model(split):
    X_train, _ = split
    return LinkEmbedder(**FAST, random_state=0).fit(X_train)


def _degree(X):
    return np.diff(sp.csc_matrix(X).indptr)


# ---------------------------------------------------------------- split

@pytest.mark.parametrize("test_size", [0.1, 0.3, 0.5])
def test_split_partitions_x_and_keeps_a_training_link_per_row(planted, test_size):
    X, _, _ = planted
    X_train, X_test = train_test_split_links(X, test_size, random_state=0)
    assert sp.isspmatrix_csr(X_train) and sp.isspmatrix_csr(X_test)
    assert X_train.shape == X_test.shape == X.shape
    assert X_train.dtype == X_test.dtype == X.dtype
    assert X_train.multiply(X_test).nnz == 0  # disjoint
    assert abs(X_train + X_test - X).sum() == 0  # union is X
    degree = np.diff(X.indptr)
    kept = np.diff(X_train.indptr)
    assert kept[degree > 0].min() >= 1
    held = np.diff(X_test.indptr)
    # every row holds out floor or ceil of test_size * d (less only to keep one link)
    assert np.all(held >= np.minimum(np.floor(test_size * degree), degree - 1))
    assert np.all(held <= np.ceil(test_size * degree))
    assert X_test.nnz / X.nnz == pytest.approx(test_size, abs=0.02)


def test_split_single_link_rows_keep_their_link():
    X = sp.csr_matrix(np.array([[1, 0, 0], [0, 2, 0], [1, 1, 1], [0, 0, 0]], dtype=float))
    X_train, X_test = train_test_split_links(X, 0.9, random_state=0)
    np.testing.assert_array_equal(X_train[:2].toarray(), X[:2].toarray())
    assert X_test[:2].nnz == 0 and X_train[2].nnz == 1 and X_test[2].nnz == 2
    assert X_train[3].nnz == X_test[3].nnz == 0


def test_split_is_reproducible_and_depends_on_the_seed(planted):
    X, _, _ = planted
    first = train_test_split_links(X, 0.2, random_state=3)[1]
    again = train_test_split_links(X, 0.2, random_state=3)[1]
    other = train_test_split_links(X, 0.2, random_state=4)[1]
    assert (first != again).nnz == 0
    assert (first != other).nnz > 0


def test_split_leaves_the_input_alone_and_takes_dense_arrays():
    X = sp.csr_matrix(([1.0, 1.0, 0.0, 1.0], ([0, 0, 0, 1], [0, 1, 2, 1])), shape=(2, 3))
    before = X.copy()
    X_train, X_test = train_test_split_links(X.toarray(), 0.5, random_state=0)
    assert (X != before).nnz == 0 and X.nnz == 4  # the stored zero is still there
    assert X_train.nnz + X_test.nnz == 3


@pytest.mark.parametrize("test_size", [0, 1, 1.5, -0.1])
def test_split_rejects_test_sizes_outside_0_1(test_size):
    with pytest.raises(InvalidParameterError):
        train_test_split_links(np.eye(3), test_size)


def _as_lists(X, prefix="link"):
    return [[f"{prefix} {j}" for j in X[i].indices] for i in range(X.shape[0])]


def test_split_of_link_lists_round_trips_and_follows_the_matrix_split(planted):
    X, _, _ = planted
    lists = _as_lists(X[:200])
    lists[0] = lists[0] + lists[0][:2]  # a repeated link goes, every time, to one side
    train, test = train_test_split_links(lists, 0.3, random_state=0)
    assert type(train) is list and type(test) is list and len(train) == len(test) == 200
    for row, kept, held in zip(lists, train, test):
        assert sorted(kept + held) == sorted(row)  # each row's links, no more, no less
        assert not set(kept) & set(held)
        assert kept == [link for link in row if link in set(kept)]  # the input's order
    assert set(train[0]) | set(test[0]) == set(lists[0])
    # The same split as the matrix of distinct links, columns in order of first appearance
    vocabulary = {}
    for row in lists:
        for link in row:
            vocabulary.setdefault(link, len(vocabulary))
    matrix = sp.lil_matrix((200, len(vocabulary)))
    for i, row in enumerate(lists):
        matrix[i, [vocabulary[link] for link in row]] = 1
    _, held = train_test_split_links(matrix.tocsr(), 0.3, random_state=0)
    names = list(vocabulary)
    assert [sorted(names[j] for j in held[i].indices) for i in range(200)] == [
        sorted(set(row)) for row in test]
    again = train_test_split_links(lists, 0.3, random_state=0)
    assert again == (train, test)
    assert train_test_split_links(lists, 0.3, random_state=1) != (train, test)


def test_split_of_a_series_keeps_its_index_and_name():
    pd = pytest.importorskip("pandas")
    films = pd.Series([["Ford", "Lucas", "Hamill", "Fisher"], ["Lucas"],
                       ("Ford", "Hamill", "Fisher", "Spielberg"), []],
                      index=["Star Wars", "THX 1138", "Hooper", "Empty"], name="links")
    train, test = train_test_split_links(films, 0.5, random_state=0)
    for part in (train, test):
        assert isinstance(part, pd.Series) and part.name == "links"
        assert part.index.equals(films.index) and part.dtype == object
    assert train.tolist() == [["Lucas", "Fisher"], ["Lucas"], ["Hamill", "Spielberg"], []]
    assert test.tolist() == [["Ford", "Hamill"], [], ["Ford", "Fisher"], []]
    # the matrix of the links, columns Ford, Lucas, Hamill, Fisher, Spielberg, splits so
    matrix = np.array([[1, 1, 1, 1, 0], [0, 1, 0, 0, 0], [1, 0, 1, 1, 1], [0, 0, 0, 0, 0]])
    held = train_test_split_links(matrix, 0.5, random_state=0)[1].toarray()
    np.testing.assert_array_equal(held, [[1, 0, 1, 0, 0], [0] * 5, [1, 0, 0, 1, 0], [0] * 5])
    as_list = train_test_split_links(films.tolist(), 0.5, random_state=0)
    assert (train.tolist(), test.tolist()) == as_list


# ---------------------------------------------------------------- scores

def test_an_oracle_of_the_held_out_links_scores_perfectly(split):
    X_train, X_test = split
    oracle = (X_test.toarray(), np.eye(X_train.shape[1]))
    scores = link_prediction_scores(oracle, X_train, X_test)
    assert (scores["roc_auc"], scores["mrr"], scores["hits@10"]) == (1.0, 1.0, 1.0)
    reverse = (-X_test.toarray(), np.eye(X_train.shape[1]))
    scores = link_prediction_scores(reverse, X_train, X_test)
    assert scores["roc_auc"] == 0.0 and scores["hits@10"] == 0.0
    assert scores["mrr"] == pytest.approx(1 / 101)


def test_the_planted_communities_score_high(planted, split):
    _, rows, links = planted
    X_train, X_test = split
    scores = link_prediction_scores((np.eye(4)[rows], np.eye(4)[links]), X_train, X_test)
    # about 92% of pairs are in-community against 25% of random non-pairs, and ties
    # among same-community links count half: AUC about 0.92 * 0.75 + 0.5 * 0.25
    assert scores["roc_auc"] > 0.8


def test_random_vectors_score_chance(split):
    X_train, X_test = split
    rng = np.random.RandomState(0)
    noise = (rng.normal(size=(X_train.shape[0], 16)), rng.normal(size=(X_train.shape[1], 16)))
    scores = link_prediction_scores(noise, X_train, X_test)
    assert scores["roc_auc"] == pytest.approx(0.5, abs=0.06)
    # chance: the true link's rank is uniform in 1..101
    assert scores["mrr"] == pytest.approx((digamma(102) + np.euler_gamma) / 101, abs=0.03)
    assert scores["hits@10"] == pytest.approx(10 / 101, abs=0.04)


def test_ties_are_broken_at_random_in_expectation(split):
    X_train, X_test = split
    constant = (np.ones((X_train.shape[0], 2)), np.ones((X_train.shape[1], 2)))
    scores = link_prediction_scores(constant, X_train, X_test, n_candidates=100)
    assert scores["roc_auc"] == 0.5
    assert scores["mrr"] == pytest.approx((digamma(102) + np.euler_gamma) / 101)
    assert scores["hits@10"] == pytest.approx(10 / 101)


def test_scores_count_what_they_use_and_are_reproducible(split):
    X_train, X_test = split
    rng = np.random.RandomState(0)
    noise = (rng.normal(size=(X_train.shape[0], 4)), rng.normal(size=(X_train.shape[1], 4)))
    scores = link_prediction_scores(noise, X_train, X_test, n_queries=50, n_candidates=20)
    assert scores["n_queries"] == 50 and scores["n_candidates"] == 20
    assert scores["n_negatives"] == scores["n_positives"]
    assert scores == link_prediction_scores(noise, X_train, X_test, n_queries=50,
                                            n_candidates=20)


def test_a_fitted_model_beats_the_popularity_baseline(model, split):
    X_train, X_test = split
    report = link_prediction_report(model, X_train, X_test, output_dict=True)
    assert list(report) == ["model", "popularity", "item-kNN"]
    # measured: model 0.906 / 0.461 / 0.676, popularity 0.753 / 0.232 / 0.418
    assert report["model"]["roc_auc"] > report["popularity"]["roc_auc"] + 0.05
    assert report["model"]["mrr"] > report["popularity"]["mrr"] + 0.1
    assert report["model"]["hits@10"] > report["popularity"]["hits@10"] + 0.1


def test_popularity_alone_scores_well_above_chance(split):
    """The lesson behind the baseline: degree alone beats uniform non-pairs."""
    X_train, X_test = split
    scores = link_prediction_scores("popularity", X_train, X_test)
    assert scores["roc_auc"] > 0.65  # measured 0.75 on three planted graphs
    assert scores["hits@10"] > 3 * 10 / 101


def test_the_report_scores_both_on_the_same_pairs(model, split):
    X_train, X_test = split
    report = link_prediction_report(model, X_train, X_test, output_dict=True)
    alone = link_prediction_scores("popularity", X_train, X_test, min_count=model.min_count)
    assert report["popularity"] == alone
    counts = [k for k in report["model"] if k.startswith("n_")]
    assert {k: report["model"][k] for k in counts} == {k: alone[k] for k in counts}
    knn = link_prediction_scores("item-knn", X_train, X_test, min_count=model.min_count)
    assert report["item-kNN"] == knn
    text = link_prediction_report(model, X_train, X_test)
    lines = text.splitlines()
    assert lines[0].split() == MEASURES + RANKED
    assert [line.split()[0] for line in lines[1:4]] == ["model", "popularity", "item-kNN"]
    for line, name in zip(lines[1:4], report):
        expected = [report[name][m] for m in MEASURES + RANKED]
        assert [float(v) for v in line.split()[1:]] == pytest.approx(expected, abs=5e-4)
    assert f"excluded (no vector or < 3 training rows): {alone['n_excluded']}" in text
    assert (f"Recall@10 and NDCG@10: {alone['n_ranked_rows']} rows, each ranking the "
            f"{alone['n_known_links']} known links but its training links") in text


def test_known_only_excludes_pairs_to_links_the_model_lacks(model, split):
    X_train, X_test = split
    known = np.zeros(X_train.shape[1], dtype=bool)
    known[model.links_] = True
    expected = np.count_nonzero(~known[X_test.indices])
    assert expected > 0
    scores = link_prediction_scores(model, X_train, X_test)
    assert scores["n_excluded"] == expected
    assert scores["n_positives"] == X_test.nnz - expected
    assert scores["n_known_links"] == known.sum()
    everything = link_prediction_scores(model, X_train, X_test, known_only=False)
    assert everything["n_excluded"] == 0 and everything["n_positives"] == X_test.nnz
    assert everything["n_known_links"] == X_train.shape[1]


def test_known_only_keeps_unknown_links_out_of_negatives_and_candidates(split):
    """Rare links score above everything here: they must not be drawn when excluded."""
    X_train, X_test = split
    rare = _degree(X_train) < 3
    assert rare.any()
    n_links = X_train.shape[1]
    rows = np.hstack([X_test.toarray(), np.full((X_train.shape[0], 1), 10.0)])
    links = np.hstack([np.eye(n_links), np.zeros((n_links, 1))])
    links[rare] = 0
    links[rare, -1] = 1
    scores = link_prediction_scores((rows, links), X_train, X_test)
    assert (scores["roc_auc"], scores["mrr"], scores["hits@10"]) == (1.0, 1.0, 1.0)
    assert scores["n_excluded"] == np.count_nonzero(rare[X_test.indices])
    assert scores["n_known_links"] == np.count_nonzero(~rare)
    everything = link_prediction_scores((rows, links), X_train, X_test, known_only=False)
    assert everything["mrr"] < 0.9


def test_links_without_a_vector_are_unknown(split):
    X_train, X_test = split
    links = np.eye(X_train.shape[1])
    links[::2] = np.nan
    links[1::4] = 0
    scores = link_prediction_scores((X_test.toarray(), links), X_train, X_test, min_count=1)
    has = np.zeros(X_train.shape[1], dtype=bool)
    has[3::4] = True
    assert scores["n_known_links"] == np.count_nonzero(has & (_degree(X_train) >= 1))
    assert scores["n_excluded"] == np.count_nonzero(~has[X_test.indices])
    assert scores["mrr"] == 1.0


def test_scores_reject_bad_inputs(split, planted):
    X_train, X_test = split
    with pytest.raises(ValueError, match="same shape"):
        link_prediction_scores("popularity", X_train, X_test[:, :10])
    with pytest.raises(ValueError, match="shapes"):
        link_prediction_scores((np.ones((3, 2)), np.ones((3, 2))), X_train, X_test)
    with pytest.raises(ValueError, match="popularity"):
        link_prediction_scores("degree", X_train, X_test)
    with pytest.raises(TypeError, match="popularity"):
        link_prediction_report("popularity", X_train, X_test)
    with pytest.raises(ValueError, match="No held-out pair"):
        link_prediction_scores("popularity", X_train, sp.csr_matrix(X_train.shape))
    lists = [[str(j) for j in X_train[i].indices] for i in range(20)]
    fitted_on_lists = LinkEmbedder(embedding_size=2, epochs=1, min_count=1).fit(lists)
    with pytest.raises(TypeError, match="link lists"):
        link_prediction_scores(fitted_on_lists, X_train, X_test)


# ---------------------------------------------------------------- full ranking

def _ranking(scores, train, test, k):
    scores = np.asarray(scores, dtype=float)
    exclude, relevant = sp.csr_matrix(np.array(train)), sp.csr_matrix(np.array(test))
    rows = np.arange(scores.shape[0])
    return _full_ranking(lambda block: scores[block].copy(), rows, exclude, relevant, k)


def test_recall_and_ndcg_of_a_hand_ranked_example():
    # row 0 ranks links 1, 2, 3, 4 (link 0 is a training link), held out: 2 and 4;
    # row 1 ranks links 3, 2, 1, 0 (link 4 is a training link), held out: 3.
    scores = [[0.9, 0.8, 0.7, 0.6, 0.5], [0.1, 0.2, 0.3, 0.4, 0.5]]
    train = [[1, 0, 0, 0, 0], [0, 0, 0, 0, 1]]
    test = [[0, 0, 1, 0, 1], [0, 0, 0, 1, 0]]
    log3, log5 = np.log2(3), np.log2(5)
    # k=2: row 0 finds 2 (place 2) of min(2, 2); row 1 finds 3 (place 1) of min(2, 1)
    recall, ndcg = _ranking(scores, train, test, 2)
    assert recall == 0.75
    assert ndcg == pytest.approx(((1 / log3) / (1 + 1 / log3) + 1) / 2, rel=1e-12)
    # k=4: row 0 finds both, at places 2 and 4
    recall, ndcg = _ranking(scores, train, test, 4)
    assert recall == 1.0
    assert ndcg == pytest.approx(((1 / log3 + 1 / log5) / (1 + 1 / log3) + 1) / 2, rel=1e-12)
    # k=1: row 0 finds nothing (link 1 comes first), row 1 finds its link
    assert _ranking(scores, train, test, 1) == (0.5, 0.5)


def test_full_ranking_breaks_ties_at_random_in_expectation():
    # all 5 links tie: the held-out one is at each place with chance 1/5
    recall, ndcg = _ranking([[0.0] * 5], [[0] * 5], [[0, 0, 1, 0, 0]], 2)
    assert recall == pytest.approx(2 / 5, rel=1e-12)
    assert ndcg == pytest.approx((1 + 1 / np.log2(3)) / 5, rel=1e-12)
    # two held-out links tied for places 2-3 with one other link, k=2: 1/3 of place 2 each
    recall, ndcg = _ranking([[9.0, 1.0, 1.0, 1.0]], [[0] * 4], [[0, 1, 0, 1]], 2)
    assert recall == pytest.approx((2 / 3) / 2, rel=1e-12)
    assert ndcg == pytest.approx((2 / 3) * (1 / np.log2(3)) / (1 + 1 / np.log2(3)), rel=1e-12)


def test_top_k_finds_the_k_best_of_long_rows():
    rng = np.random.RandomState(0)
    scores = rng.normal(size=(40, 5000)).astype(np.float32)
    scores[:, ::7] = -np.inf
    scores[3] = 1.0  # a row of ties
    scores[5, :100] = 50.0  # a row whose best are all at the front
    expected = np.sort(np.partition(scores, 4990, axis=1)[:, 4990:], axis=1)
    np.testing.assert_array_equal(np.sort(_top_k(scores, 10), axis=1), expected)


def test_ranked_measures_of_vectors_with_a_known_order():
    # scores decrease with the link's index: cos(10 degrees * link)
    angles = np.radians(10 * np.arange(12))
    links = np.c_[np.cos(angles), np.sin(angles)]
    rows = np.array([[1.0, 0.0], [1.0, 0.0]])
    X_train = sp.csr_matrix(([1.0, 1.0, 1.0], ([0, 1, 1], [0, 0, 1])), shape=(2, 12))
    X_test = sp.csr_matrix(([1.0, 1.0, 1.0], ([0, 0, 1], [1, 11, 2])), shape=(2, 12))
    scores = link_prediction_scores((rows, links), X_train, X_test, known_only=False)
    # row 0 ranks 1 .. 11: finds 1 first, 11 is 11th; row 1 ranks 2 .. 11: finds 2 first
    assert scores["recall@10"] == 0.75
    assert scores["ndcg@10"] == pytest.approx((1 / (1 + 1 / np.log2(3)) + 1) / 2, rel=1e-12)
    assert scores["n_ranked_rows"] == 2 and scores["n_known_links"] == 12


def test_ranked_measures_of_the_oracle_and_its_reverse(split):
    X_train, X_test = split
    oracle = (X_test.toarray(), np.eye(X_train.shape[1]))
    scores = link_prediction_scores(oracle, X_train, X_test)
    assert (scores["recall@10"], scores["ndcg@10"]) == (1.0, 1.0)
    reverse = (-X_test.toarray(), np.eye(X_train.shape[1]))
    scores = link_prediction_scores(reverse, X_train, X_test)
    assert (scores["recall@10"], scores["ndcg@10"]) == (0.0, 0.0)


def test_n_queries_bounds_the_rows_ranked(split):
    X_train, X_test = split
    everything = link_prediction_scores("popularity", X_train, X_test, n_queries=None)
    rows_with_a_known_held_out_link = np.count_nonzero(
        np.diff(X_test[:, _degree(X_train) >= 3].tocsr().indptr))
    assert everything["n_ranked_rows"] == rows_with_a_known_held_out_link
    some = link_prediction_scores("popularity", X_train, X_test, n_queries=50)
    assert some["n_ranked_rows"] == 50 and some["n_queries"] == 50
    assert some == link_prediction_scores("popularity", X_train, X_test, n_queries=50)


# ---------------------------------------------------------------- item-kNN

ITEM_KNN_X = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 1, 1]], dtype=float)


def test_item_knn_sums_the_cosines_of_the_rows_links():
    # columns (1,0,1), (1,1,0), (0,1,1), (0,0,1): cosines 1/2 between the first three,
    # 1/sqrt(2) for (0, 3) and (2, 3), 0 for (1, 3)
    r = 1 / np.sqrt(2)
    expected = np.array([[1 + 1 / 2, 1 / 2 + 1, 1 / 2 + 1 / 2, r + 0],
                         [1 / 2 + 1 / 2, 1 + 1 / 2, 1 / 2 + 1, 0 + r],
                         [1 + 1 / 2 + r, 1 / 2 + 1 / 2 + 0, 1 / 2 + 1 + r, r + r + 1]])
    knn = _ItemKNNScorer(sp.csr_matrix(ITEM_KNN_X))
    np.testing.assert_allclose(knn.dense(np.arange(3)), expected, rtol=1e-12)
    np.testing.assert_allclose(knn.dense(np.array([2, 0]), np.array([1, 3])),
                               expected[[2, 0]][:, [1, 3]], rtol=1e-12)
    rows = np.array([0, 1, 2, 2, 0])
    links = np.array([[3, 2], [0, 3], [1, 0], [3, 3], [0, 0]])
    np.testing.assert_allclose(knn(rows, links), expected[rows[:, None], links], rtol=1e-12)


def test_item_knn_baseline_scores_a_hand_computed_example():
    X_test = sp.csr_matrix(np.array([[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]], dtype=float))
    scores = link_prediction_scores("item-knn", ITEM_KNN_X, X_test, known_only=False,
                                    n_candidates=1)
    # full ranking: row 0 ranks link 2 (1) above its link 3 (0.707); rows 1 and 2 put
    # theirs first. Sampled: the only non-link of row 0 (link 2) beats its link (rank
    # 2), that of row 1 (link 3) does not (rank 1), and row 2 has none (rank 1).
    assert scores["recall@10"] == 1.0
    assert scores["ndcg@10"] == pytest.approx((1 / np.log2(3) + 2) / 3, rel=1e-12)
    assert scores["mrr"] == pytest.approx(5 / 6, rel=1e-12)
    assert scores["hits@10"] == 1.0
    assert link_prediction_scores("item-kNN", ITEM_KNN_X, X_test, known_only=False,
                                  n_candidates=1) == scores


def test_item_knn_beats_popularity_on_planted_communities(split):
    X_train, X_test = split
    knn = link_prediction_scores("item-knn", X_train, X_test)
    popularity = link_prediction_scores("popularity", X_train, X_test)
    # measured 0.929 / 0.471 / 0.742 / 0.417 against 0.753 / 0.232 / 0.418 / 0.184
    for measure in ["roc_auc", "mrr", "hits@10", "ndcg@10"]:
        assert knn[measure] > popularity[measure] + 0.05, measure


# ---------------------------------------------------------------- link lists

def test_scores_of_link_lists_equal_those_of_their_matrix(planted):
    X, _, _ = planted
    train, test = train_test_split_links(_as_lists(X), 0.1, random_state=0)
    vocabulary = {}  # train's links, then test's, in order of first appearance
    for row in train + test:
        for link in row:
            vocabulary.setdefault(link, len(vocabulary))

    def matrix(lists):
        out = sp.lil_matrix((len(lists), len(vocabulary)))
        for i, row in enumerate(lists):
            out[i, [vocabulary[link] for link in row]] = 1
        return out.tocsr()

    for baseline in ["popularity", "item-knn"]:
        from_lists = link_prediction_scores(baseline, train, test)
        assert from_lists == link_prediction_scores(baseline, matrix(train), matrix(test))


def test_a_model_fitted_on_link_lists_is_scored_on_link_lists(planted):
    pd = pytest.importorskip("pandas")
    X, _, _ = planted
    films = pd.Series(_as_lists(X), index=[f"film {i}" for i in range(X.shape[0])])
    train, test = train_test_split_links(films, 0.1, random_state=0)
    # one link table (link_context=0): the model scores by cosine, as its vectors do below
    model = LinkEmbedder(**FAST, link_context=0, random_state=0).fit(train)
    report = link_prediction_report(model, train, test, output_dict=True)
    assert list(report) == ["model", "popularity", "item-kNN"]
    scores = report["model"]
    known = set(model.links_)
    assert scores["n_known_links"] == len(known)
    assert scores["n_test_pairs"] == sum(map(len, test))
    assert scores["n_excluded"] == sum(link not in known for row in test for link in row)
    assert all(0 < scores[measure] <= 1 for measure in MEASURES + RANKED)
    # a Series or its list of lists: the same rows, the same scores
    assert link_prediction_scores(model, train.tolist(), test.tolist()) == scores
    # the same as its vectors over the matrix whose columns start with links_
    vocabulary = {link: j for j, link in enumerate(model.links_)}
    for row in [*train, *test]:
        for link in row:
            vocabulary.setdefault(link, len(vocabulary))
    shape = (len(train), len(vocabulary))
    X_train, X_test = (sp.csr_matrix(
        (np.ones(sum(map(len, part))),
         ([i for i, row in enumerate(part) for _ in row],
          [vocabulary[link] for row in part for link in row])), shape=shape)
        for part in (train, test))
    link_vectors = np.zeros((len(vocabulary), model.embedding_size))
    link_vectors[:len(model.links_)] = model.link_vectors_.vectors
    vectors = (model.transform(train), link_vectors)
    same = link_prediction_scores(vectors, X_train, X_test, min_count=model.min_count)
    assert {k: v for k, v in same.items() if k.startswith("n_")} == {
        k: v for k, v in scores.items() if k.startswith("n_")}
    for measure in MEASURES + RANKED:  # equal here; float32 and float64 cosines may
        assert same[measure] == pytest.approx(scores[measure], abs=2e-3)  # swap a near tie


def test_scores_refuse_mixed_inputs(split):
    X_train, X_test = split
    lists = _as_lists(X_train)
    with pytest.raises(TypeError, match="same kind"):
        link_prediction_scores("popularity", lists, X_test)
    with pytest.raises(ValueError, match="same rows"):
        link_prediction_scores("popularity", lists, lists[:10])
    with pytest.raises(TypeError, match="matrices"):
        link_prediction_scores((np.ones((400, 2)), np.ones((300, 2))), lists, lists)
    fitted_on_a_matrix = LinkEmbedder(embedding_size=2, epochs=1).fit(X_train)
    with pytest.raises(TypeError, match="rows x links matrix"):
        link_prediction_scores(fitted_on_a_matrix, lists, lists)


# ---------------------------------------------------------------- helpers

def test_fast_auc_equals_roc_auc_score_with_ties():
    rng = np.random.RandomState(0)
    positives = rng.randint(0, 20, size=500).astype(np.float32)
    negatives = rng.randint(0, 15, size=3000).astype(np.float32)
    labels = np.r_[np.ones(500), np.zeros(3000)]
    assert _auc(positives, negatives) == pytest.approx(
        roc_auc_score(labels, np.r_[positives, negatives]), abs=1e-12)
    assert _auc(np.ones(3), np.ones(4)) == 0.5
    assert _auc(np.full(3, 2.0), np.ones(4)) == 1.0


@pytest.mark.parametrize("bitmap", [True, False])
def test_key_set_finds_exactly_the_keys(planted, bitmap, monkeypatch):
    X, _, _ = planted
    if not bitmap:
        monkeypatch.setattr("sklearn_linkembed.evaluation._MAX_BITMAP_BYTES", 0)
    keys = _keys(X)
    found = _KeySet(keys, X.shape)
    assert (found.bits is not None) == bitmap
    every = np.arange(X.shape[0] * X.shape[1], dtype=np.int64)
    np.testing.assert_array_equal(np.flatnonzero(found.contains(every)), keys)


# ---------------------------------------------------------------- scorer

class _RecordingEmbedder(LinkEmbedder):
    def transform(self, X):
        self.seen_ = X
        return super().transform(X)


def test_scorer_folds_rows_in_from_part_of_their_links(planted):
    X, _, _ = planted
    model = _RecordingEmbedder(**FAST, random_state=0).fit(X[:300])
    fold = X[300:]
    score = make_link_prediction_scorer("mrr", holdout=0.5)(model, fold)
    assert 0 < score <= 1
    known = np.zeros(X.shape[1], dtype=bool)
    known[model.links_] = True
    fold_known = fold[:, known]
    eligible = np.diff(fold_known.indptr) >= 2
    visible = model.seen_
    assert visible.shape == (eligible.sum(), X.shape[1])
    assert (visible - visible.multiply(fold[eligible])).nnz == 0  # a part of each row
    n_visible = np.diff(visible.indptr)
    n_known = np.diff(fold_known.indptr)[eligible]
    assert n_visible.min() >= 1 and np.all(n_visible < n_known)
    assert n_visible.sum() == pytest.approx(0.5 * n_known.sum(), rel=0.1)


def test_scorer_is_reproducible_and_depends_on_the_seed(model, planted):
    X, _, _ = planted
    scorer = make_link_prediction_scorer("roc_auc", random_state=0)
    assert scorer(model, X[:100]) == scorer(model, X[:100])
    other = make_link_prediction_scorer("roc_auc", random_state=1)(model, X[:100])
    assert other != scorer(model, X[:100])


def test_scorer_works_on_link_lists(planted):
    X, _, _ = planted
    lists = [[f"link {j}" for j in X[i].indices] for i in range(X.shape[0])]
    model = LinkEmbedder(**FAST, random_state=0).fit(lists[:300])
    score = make_link_prediction_scorer("roc_auc")(model, lists[300:])
    assert score > 0.8  # measured 0.90 on the matrix


def test_scorer_needs_a_plain_link_embedder(planted):
    X, _, _ = planted
    pipe = make_pipeline(FunctionTransformer(), LinkEmbedder(**FAST, random_state=0)).fit(X)
    with pytest.raises(TypeError, match="Pipeline"):
        make_link_prediction_scorer()(pipe, X)
    with pytest.raises(InvalidParameterError):
        make_link_prediction_scorer("precision")


@pytest.mark.parametrize("metric", MEASURES)
def test_grid_search_prefers_a_real_size_and_is_reproducible(planted, metric):
    X, _, _ = planted
    params = {**FAST, "random_state": 0}
    del params["embedding_size"]

    def search():
        grid = GridSearchCV(LinkEmbedder(**params), {"embedding_size": [2, 32]},
                            scoring=make_link_prediction_scorer(metric, random_state=0),
                            cv=KFold(3, shuffle=True, random_state=0), refit=False)
        return grid.fit(X).cv_results_

    results = search()
    # measured on two planted graphs, mean over folds, sizes 2 / 32:
    # roc_auc 0.71 / 0.90, mrr 0.20 / 0.45, hits@10 0.42 / 0.69
    assert results["rank_test_score"].tolist() == [2, 1]
    low, high = results["mean_test_score"]
    assert high > low + 0.1
    if metric == "mrr":
        again = search()
        for k in range(3):
            np.testing.assert_array_equal(results[f"split{k}_test_score"],
                                          again[f"split{k}_test_score"])


@pytest.mark.parametrize("metric", RANKED)
def test_scorer_ranks_all_known_links_but_the_visible_ones(planted, metric):
    X, _, _ = planted
    model = _RecordingEmbedder(**FAST, random_state=0).fit(X[:300])
    fold = X[300:]
    score = make_link_prediction_scorer(metric, holdout=0.5)(model, fold)
    assert 0 < score <= 1
    # the same from the visible links the scorer folded in, ranked by hand row by row
    visible = model.seen_
    columns = np.asarray(model.links_)
    known = fold[:, columns]
    known = known[np.diff(known.tocsr().indptr) >= 2].toarray() > 0
    shown = visible[:, columns].toarray() > 0
    scores = model.link_scores(visible)  # the model's own ranking of every link
    values = []
    for i in range(known.shape[0]):
        ranked = np.where(shown[i], -np.inf, scores[i])
        top = np.argsort(-ranked, kind="stable")[:10]
        hidden = known[i] & ~shown[i]
        hits = hidden[top]
        if metric == "recall@10":
            values.append(hits.sum() / min(10, hidden.sum()))
        else:
            ideal = (1 / np.log2(np.arange(min(10, hidden.sum())) + 2)).sum()
            values.append((hits / np.log2(np.arange(10) + 2)).sum() / ideal)
    assert score == pytest.approx(np.mean(values), abs=1e-4)  # float32 scores


def test_scorer_ranked_metrics_are_reproducible_and_take_n_queries(model, planted):
    X, _, _ = planted
    scorer = make_link_prediction_scorer("ndcg@10", n_queries=40, random_state=0)
    assert scorer(model, X[:100]) == scorer(model, X[:100])
    assert 0 < scorer(model, X[:100]) <= 1
    other = make_link_prediction_scorer("ndcg@10", n_queries=40, random_state=1)
    assert other(model, X[:100]) != scorer(model, X[:100])


def test_scorer_folds_in_only_the_rows_it_scores(planted):
    X, _, _ = planted
    model = _RecordingEmbedder(**FAST, random_state=0).fit(X[:300])
    make_link_prediction_scorer("recall@10", n_queries=40)(model, X[300:])
    assert model.seen_.shape[0] == 40
    make_link_prediction_scorer("mrr", n_queries=30)(model, X[300:])
    assert 0 < model.seen_.shape[0] <= 30


# ---------------------------------------------------------------- recovery

def test_row_vectors_recover_the_planted_communities(planted):
    X, rows, _ = planted
    model = LinkEmbedder(**FAST, random_state=0).fit(X)
    # ARI measured over graph seeds 0, 1, 2 x model seeds 0, 1, 2:
    # 1.0 1.0 1.0 / 0.987 0.987 0.987 / 0.993 1.0 0.993; 0.9 leaves a wide margin
    assert community_recovery_score(model.row_vectors_, rows) > 0.9


def test_recovery_score_is_chance_for_noise_and_checks_lengths():
    rng = np.random.RandomState(0)
    communities = np.repeat(np.arange(4), 50)
    assert abs(community_recovery_score(rng.normal(size=(200, 8)), communities)) < 0.05
    assert community_recovery_score(np.eye(4)[communities], communities) == 1.0
    with pytest.raises(ValueError, match="entries"):
        community_recovery_score(np.ones((3, 2)), [0, 1])
