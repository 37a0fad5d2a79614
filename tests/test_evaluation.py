"""Tests of the evaluation module: link split, link-prediction scores, scorer, recovery."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import digamma
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_linkembed import LinkEmbedder, make_bipartite_graph
from sklearn_linkembed.evaluation import (
    community_recovery_score,
    link_prediction_report,
    link_prediction_scores,
    make_link_prediction_scorer,
    train_test_split_links,
)

FAST = {"embedding_size": 16, "epochs": 4, "batch_size": 256, "learning_rate": 0.01}
MEASURES = ["roc_auc", "mrr", "hits@10"]


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
    assert set(report) == {"model", "popularity"}
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
    text = link_prediction_report(model, X_train, X_test)
    lines = text.splitlines()
    assert lines[0].split() == MEASURES
    assert lines[1].split()[0] == "model" and lines[2].split()[0] == "popularity"
    assert float(lines[1].split()[1]) == pytest.approx(report["model"]["roc_auc"], abs=5e-4)
    assert f"excluded (no vector or < 3 training rows): {alone['n_excluded']}" in text


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
