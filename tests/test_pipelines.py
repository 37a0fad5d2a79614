"""LinkEmbedder inside scikit-learn pipelines, searches and frozen estimators."""

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from sklearn_linkembed import LinkEmbedder, make_bipartite_graph

PARAMS = {"epochs": 3, "batch_size": 256, "random_state": 0}


@pytest.fixture(scope="module")
def graph():
    X, rows, _ = make_bipartite_graph(300, 200, 4000, n_communities=3, mixing=0.1,
                                      random_state=1)
    return X, rows


def test_pipeline_with_svc_classifies_communities(graph):
    X, rows = graph
    pipe = Pipeline([("emb", LinkEmbedder(embedding_size=8, **PARAMS)), ("svm", SVC())])
    scores = cross_val_score(pipe, X, rows == 0, cv=3)
    assert scores.mean() > 0.9


def test_grid_search_over_embedding_size_in_two_processes(graph):
    X, rows = graph
    pipe = Pipeline([("emb", LinkEmbedder(**PARAMS)), ("svm", SVC())])
    search = GridSearchCV(pipe, {"emb__embedding_size": [2, 16]}, cv=2, n_jobs=2)
    search.fit(X, rows == 1)
    assert search.best_params_["emb__embedding_size"] in (2, 16)
    assert search.best_score_ > 0.85
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_pipeline_ahead_of_linear_regression(graph):
    X, rows = graph
    target = (rows == 2).astype(float) + np.random.RandomState(0).normal(0, 0.1, len(rows))
    pipe = Pipeline([("emb", LinkEmbedder(embedding_size=8, **PARAMS)),
                     ("reg", LinearRegression())])
    r2 = cross_val_score(pipe, X, target, cv=3).mean()
    assert r2 > 0.6


def test_frozen_embedder_fitted_on_all_rows_then_svm_on_few(graph):
    # The notebook's recipe: embed every row once, then learn from 16 labelled rows.
    X, rows = graph
    emb = LinkEmbedder(embedding_size=8, **PARAMS).fit(X)
    frozen = FrozenEstimator(emb)
    labelled = np.r_[np.flatnonzero(rows == 0)[:8], np.flatnonzero(rows == 1)[:8]]
    pipe = Pipeline([("emb", frozen), ("svm", SVC(kernel="linear"))])
    pipe.fit(X[labelled], rows[labelled] == 0)
    np.testing.assert_array_equal(pipe.named_steps["emb"].transform(X[:5]), emb.transform(X[:5]))
    keep = np.isin(rows, [0, 1])
    accuracy = (pipe.predict(X[keep]) == (rows[keep] == 0)).mean()
    assert accuracy > 0.9


def _tensorflow_threads_in_worker():
    import os

    import tensorflow as tf

    X, _, _ = make_bipartite_graph(50, 40, 300, n_communities=2, random_state=0)
    LinkEmbedder(embedding_size=2, epochs=1, random_state=0).fit(X)
    return (os.environ.get("OMP_NUM_THREADS"),
            tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads())


def test_joblib_workers_size_tensorflow_threads_to_their_share():
    from joblib import Parallel, delayed

    results = Parallel(n_jobs=2)(delayed(_tensorflow_threads_in_worker)() for _ in range(2))
    for omp, intra, inter in results:
        assert omp is not None and int(omp) >= 1
        assert intra == inter == int(omp)
