"""End to end on the bundled Wikipedia films: the notebook's uses, in a few lines."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_linkembed import LinkEmbedder, load_wikipedia_movies


@pytest.fixture(scope="module")
def movies():
    return load_wikipedia_movies(as_frame=True)


@pytest.fixture(scope="module")
def model(movies):
    return LinkEmbedder(random_state=0).fit(movies.links)  # the defaults: ~3 s on 2 cores


def test_vocabulary_matches_the_notebooks_rule(movies, model):
    # The data README: 13,091 links occur in >= 3 films, 252,049 pairs remain.
    assert len(model.links_) == 13_091
    assert model.link_counts_.sum() == 252_049
    assert len(model.row_vectors_) == 36_116


@pytest.mark.parametrize("film, sequel", [("Toy Story", "Toy Story 2"),
                                          ("The Godfather", "The Godfather Part II"),
                                          ("Star Wars (film)", "The Empire Strikes Back")])
def test_nearest_films_of_a_franchise_film_include_the_franchise(model, film, sequel):
    neighbours = [title for title, _ in model.most_similar(film, topn=10)]
    assert sequel in neighbours
    assert film not in neighbours


def test_nearest_links_appear_in_the_same_films(movies, model):
    # "Links like George Lucas": the 10 nearest links of each of 500 links in
    # >= 20 films share a film with it 45% of the time with the defaults
    # (random links: 2%). One query's list is too noisy to test.
    index = {link: i for i, link in enumerate(model.links_)}
    pairs = [(r, index[link]) for r, links in enumerate(movies.links) for link in set(links)
             if link in index]
    rows, cols = np.array(pairs).T
    A = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(movies.links), len(index)))
    together = (A.T @ A).tocsr()
    V = model.link_vectors_.vectors / np.linalg.norm(model.link_vectors_.vectors, axis=1,
                                                     keepdims=True)
    queries = np.flatnonzero(model.link_counts_ >= 20)[:500]
    similarity = V[queries] @ V.T
    similarity[np.arange(len(queries)), queries] = -np.inf
    nearest = np.argsort(-similarity, axis=1)[:, :10]
    shared = np.mean([together[q, nearest[i]].toarray() > 0 for i, q in enumerate(queries)])
    assert shared > 0.35


def test_rotten_tomatoes_regression_beats_the_mean(movies, model):
    from sklearn.dummy import DummyRegressor
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold, cross_val_score

    rated = ~np.isnan(movies.rotten_tomatoes)
    X, y = model.row_vectors_.vectors[rated], movies.rotten_tomatoes[rated]
    cv = KFold(5, shuffle=True, random_state=0)
    mse = -cross_val_score(LinearRegression(), X, y, cv=cv, scoring="neg_mean_squared_error")
    base = -cross_val_score(DummyRegressor(), X, y, cv=cv, scoring="neg_mean_squared_error")
    assert mse.mean() < 0.92 * base.mean()


def test_main_job_prints_the_notebooks_answers(capsys, monkeypatch):
    from sklearn_linkembed.__main__ import main

    assert main(["--epochs", "1", "--quiet", "--embedding-size", "16"]) == 0
    out = capsys.readouterr().out
    assert "Films like 'Rogue One'" in out and "Links like 'George Lucas'" in out
    assert "SVM" in out and "just the mean" in out
