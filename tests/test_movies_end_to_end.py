"""End to end on the bundled Wikipedia films: the notebook's uses, in a few lines."""

import numpy as np
import pytest

from sklearn_linkembed import LinkEmbedder, load_wikipedia_movies


@pytest.fixture(scope="module")
def movies():
    return load_wikipedia_movies(as_frame=True)


@pytest.fixture(scope="module")
def model(movies):
    return LinkEmbedder(random_state=0).fit(movies.links)  # the defaults: ~6 s on 2 cores


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


def test_links_like_george_lucas_are_star_wars_people(model):
    neighbours = [name for name, _ in model.most_similar("George Lucas", topn=30, query="link")]
    star_wars = {"Mark Hamill", "Carrie Fisher", "Lucasfilm", "Anthony Daniels", "Ahmed Best",
                 "Kenny Baker", "Peter Mayhew", "Frank Oz", "Ewan McGregor", "Ian McDiarmid",
                 "Natalie Portman", "Hayden Christensen", "Harrison Ford", "Billy Dee Williams"}
    assert len(star_wars & set(neighbours)) >= 2


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
