"""Tests for sklearn_linkembed.datasets: the film loaders and the graph generator."""

import gzip
import json

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_linkembed.datasets import (
    load_wikipedia_movies,
    make_bipartite_graph,
    make_seed_shaped_graph,
    read_movies_ndjson,
)

N_FILMS = 36_116


@pytest.fixture(scope="module")
def movies():
    return load_wikipedia_movies()


@pytest.fixture(scope="module")
def movies_frame():
    return load_wikipedia_movies(as_frame=True)


@pytest.fixture(scope="module")
def graph():
    return make_bipartite_graph(random_state=0)


@pytest.fixture(scope="module")
def seed_graph():
    return make_seed_shaped_graph(random_state=0)


def _link_degrees(X):
    return np.bincount(X.indices, minlength=X.shape[1])


def _row_degrees(X):
    return np.diff(X.indptr)


def _within_share(X, row_communities, link_communities):
    rows = np.repeat(np.arange(X.shape[0]), _row_degrees(X))
    return np.mean(row_communities[rows] == link_communities[X.indices])


# --- the bundled films ------------------------------------------------------


def test_load_counts(movies):
    assert len(movies.titles) == N_FILMS
    assert len(movies.links) == N_FILMS
    assert len(movies.properties) == N_FILMS
    assert sum(len(links) for links in movies.links) == 285_907
    assert len({link for links in movies.links for link in links}) == 41_315
    assert np.count_nonzero(np.isfinite(movies.rotten_tomatoes)) == 2_147
    assert np.count_nonzero(np.isfinite(movies.imdb_rating)) == 2_479


def test_load_titles_unique(movies):
    assert len(set(movies.titles)) == N_FILMS
    assert all(isinstance(title, str) for title in movies.titles)


def test_load_rotten_tomatoes_are_fractions(movies):
    scores = movies.rotten_tomatoes
    assert scores.dtype == np.float64
    assert scores.shape == (N_FILMS,)
    known = scores[np.isfinite(scores)]
    assert np.all((known >= 0) & (known <= 1))
    # The README's figures, computed independently when the file was built.
    assert known.mean() == pytest.approx(0.5388, abs=1e-4)
    assert known.std() == pytest.approx(0.2805, abs=1e-4)


def test_load_imdb_ratings_out_of_ten(movies):
    known = movies.imdb_rating[np.isfinite(movies.imdb_rating)]
    assert np.all((known >= 1) & (known <= 10))


def test_load_links_are_the_notebooks_movie_2(movies):
    with gzip.open(movies.filename, "rt", encoding="utf-8") as f:
        first = json.loads(f.readline())
    assert movies.titles[0] == first[0] == "Che (2008 film)"
    assert movies.links[0] == first[2]
    assert movies.links[0][-2:] == ["Biography", "2008 in film"]
    assert all(isinstance(links, list) for links in movies.links)


def test_load_descr_carries_provenance_and_licences(movies):
    assert "prust/wikipedia-movie-data" in movies.DESCR
    assert "CC BY-SA 4.0" in movies.DESCR
    assert "BSD-3-Clause" in movies.DESCR


OUTSIDE_REFERENCES = ["tools/", "shared/", "../"]


def test_load_descr_points_nowhere_outside_the_package(movies):
    for needle in OUTSIDE_REFERENCES:
        assert needle not in movies.DESCR
    assert "prust/wikipedia-movie-data" in movies.DESCR
    assert "vega-datasets 3.2.1" in movies.DESCR
    # The notebook this file stands in for: Deep Learning Cookbook, notebook 04.2.
    assert "04.2" in movies.DESCR
    assert "wp_movies_10k.ndjson" in movies.DESCR
    assert "DOsinga/deep_learning_cookbook" in movies.DESCR


def test_dataset_docstrings_point_nowhere_outside_the_package():
    from sklearn_linkembed import datasets
    from sklearn_linkembed.datasets import _movies, _synthetic

    documented = [datasets, _movies, _synthetic] + [
        getattr(datasets, name) for name in datasets.__all__
    ]
    for obj in documented:
        for needle in OUTSIDE_REFERENCES:
            assert needle not in (obj.__doc__ or ""), (obj, needle)
    assert "04.2" in load_wikipedia_movies.__doc__
    assert "prust/wikipedia-movie-data" in load_wikipedia_movies.__doc__


def test_load_properties(movies):
    years = np.array([p["year"] for p in movies.properties])
    assert years.min() >= 1900
    assert years.max() <= 2030
    assert sum("distributor" in p for p in movies.properties) == 2_555


def test_load_as_frame_index_is_titles(movies, movies_frame):
    frame = movies_frame.frame
    assert frame.index.name == "title"
    assert frame.index.tolist() == movies.titles
    assert frame.columns.tolist() == ["links", "rotten_tomatoes", "imdb_rating", "year", "genres"]
    assert frame["year"].dtype == np.int64
    np.testing.assert_array_equal(frame["rotten_tomatoes"].to_numpy(), movies.rotten_tomatoes)
    assert frame.loc["Che (2008 film)", "genres"] == ["Biography"]


def test_load_as_frame_links_series(movies, movies_frame):
    links = movies_frame.links
    assert links.index.name == "title"
    assert links.index.tolist() == movies.titles
    assert links.iloc[0] == movies.links[0]
    assert links.map(len).sum() == 285_907
    # The plain fields stay as they are.
    assert movies_frame.titles == movies.titles


SCORE_FIELDS = [("rotten_tomatoes", 2_147), ("imdb_rating", 2_479)]


@pytest.mark.parametrize("field, _", SCORE_FIELDS)
def test_load_as_frame_scores_are_series_on_the_links_index(movies, movies_frame, field, _):
    pd = pytest.importorskip("pandas")
    scores = movies_frame[field]
    assert isinstance(scores, pd.Series)
    assert scores.name == field
    assert scores.dtype == np.float64
    assert scores.index.equals(movies_frame.links.index)
    assert scores.index.name == "title"
    np.testing.assert_array_equal(scores.to_numpy(), movies[field])
    # The frame's column is the same data on the same index.
    pd.testing.assert_series_equal(movies_frame.frame[field], scores)


@pytest.mark.parametrize("field, n_known", SCORE_FIELDS)
def test_load_as_frame_dropna_keeps_exactly_the_known_scores(
    movies, movies_frame, field, n_known
):
    known = movies_frame[field].dropna()
    mask = ~np.isnan(movies[field])
    assert len(known) == n_known == np.count_nonzero(mask)
    assert known.index.tolist() == [t for t, keep in zip(movies.titles, mask) if keep]
    np.testing.assert_array_equal(known.to_numpy(), movies[field][mask])
    # Titles select the matching links.
    assert movies_frame.links[known.index].index.equals(known.index)


def test_load_as_frame_false_keeps_arrays_and_lists(movies):
    assert isinstance(movies.titles, list)
    assert isinstance(movies.links, list)
    assert isinstance(movies.properties, list)
    for field, _ in SCORE_FIELDS:
        assert type(movies[field]) is np.ndarray
        assert movies[field].shape == (N_FILMS,)
    assert "frame" not in movies


def test_load_as_frame_alien_scores(movies_frame):
    assert movies_frame.rotten_tomatoes["Alien (film)"] == pytest.approx(0.97)
    assert movies_frame.imdb_rating["Alien (film)"] == pytest.approx(8.5)
    assert movies_frame.rotten_tomatoes.dropna()["Alien (film)"] == pytest.approx(0.97)


# --- read_movies_ndjson ------------------------------------------------------

TINY = [
    ["Alien (film)", {"year": 1979}, ["Ridley Scott", "Sigourney Weaver"], "98%", "8.5/10"],
    ["Blade Runner", {"year": 1982}, ["Ridley Scott", "Harrison Ford"], None, None],
    ["Zero", None, [], "0%", "7/10"],
    # An extra field between the links and the ratings, as other layouts have.
    ["Heat (1995 film)", {}, ["Al Pacino"], {"extra": 1}, "87%", "8.3/10"],
    ["Empty", {}, ["Al Pacino"], "", 1234],
]


def _write(path, lines, *, compress):
    data = "".join(line if isinstance(line, str) else json.dumps(line) + "\n" for line in lines)
    path.write_bytes(gzip.compress(data.encode()) if compress else data.encode())
    return path


@pytest.mark.parametrize(
    "name, compress",
    [
        ("movies.ndjson", False),
        ("movies.ndjson.gz", True),
        # Compression is read from the magic bytes, not from the name.
        ("movies.gz", False),
        ("movies.ndjson", True),
    ],
)
def test_read_tiny_file(tmp_path, name, compress):
    path = _write(tmp_path / name, TINY, compress=compress)
    movies = read_movies_ndjson(path)
    assert movies.titles == ["Alien (film)", "Blade Runner", "Zero", "Heat (1995 film)", "Empty"]
    assert movies.links[1] == ["Ridley Scott", "Harrison Ford"]
    assert movies.links[2] == []
    np.testing.assert_allclose(movies.rotten_tomatoes, [0.98, np.nan, 0.0, 0.87, np.nan])
    np.testing.assert_allclose(movies.imdb_rating, [8.5, np.nan, 7.0, 8.3, np.nan])
    assert movies.properties[0] == {"year": 1979}
    assert movies.properties[2] == {}
    assert movies.filename == str(path)


def test_read_matches_the_notebooks_parsing(tmp_path):
    path = _write(tmp_path / "movies.ndjson", TINY, compress=False)
    movies = read_movies_ndjson(str(path))
    expected = [float(movie[-2][:-1]) / 100 for movie in TINY if movie[-2]]
    np.testing.assert_array_equal(
        movies.rotten_tomatoes[np.isfinite(movies.rotten_tomatoes)], expected
    )


def test_read_skips_blank_lines(tmp_path):
    path = _write(tmp_path / "movies.ndjson", [TINY[0], "\n", TINY[1]], compress=False)
    assert read_movies_ndjson(path).titles == ["Alien (film)", "Blade Runner"]


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("not json\n", "not valid JSON"),
        ('{"title": "Alien"}\n', "expected a JSON array"),
        ('["Alien", {}, ["Ridley Scott"]]\n', "at least 5 fields"),
        ('[3, {}, ["Ridley Scott"], null, null]\n', "title must be a string"),
        ('["Alien", [], ["Ridley Scott"], null, null]\n', "properties must be"),
        ('["Alien", {}, "Ridley Scott", null, null]\n', "links must be an array of strings"),
        ('["Alien", {}, ["Ridley Scott", 3], null, null]\n', "links must be an array of strings"),
        ('["Alien", {}, ["Ridley Scott"], "98", null]\n', "Rotten Tomatoes"),
        ('["Alien", {}, ["Ridley Scott"], "120%", null]\n', "Rotten Tomatoes"),
        ('["Alien", {}, ["Ridley Scott"], null, "good/10"]\n', "IMDB"),
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_read_malformed_line_names_file_and_line(tmp_path, bad_line, message, compress):
    # Line 2 is blank, so the bad line is the file's third.
    path = _write(tmp_path / "movies.ndjson", [TINY[0], "\n", bad_line], compress=compress)
    with pytest.raises(ValueError, match=message) as excinfo:
        read_movies_ndjson(path)
    assert f"{path}, line 3:" in str(excinfo.value)


# --- make_bipartite_graph ----------------------------------------------------


def test_graph_shape_and_format(graph):
    X, row_communities, link_communities = graph
    assert isinstance(X, sp.csr_matrix)
    assert X.shape == (1000, 2000)
    assert X.nnz == 20_000
    assert X.dtype == np.float32
    np.testing.assert_array_equal(X.data, 1.0)
    assert row_communities.shape == (1000,)
    assert link_communities.shape == (2000,)
    assert set(np.unique(row_communities)) == set(range(10))
    assert set(np.unique(link_communities)) == set(range(10))
    # Communities are balanced.
    assert np.ptp(np.bincount(row_communities)) <= 1
    assert np.ptp(np.bincount(link_communities)) <= 1


def test_graph_has_no_duplicates_and_sorted_indices(graph):
    X = graph[0]
    rows = np.repeat(np.arange(X.shape[0]), _row_degrees(X))
    keys = rows.astype(np.int64) * X.shape[1] + X.indices
    # Row-major keys strictly increase iff indices are sorted and distinct.
    assert np.all(np.diff(keys) > 0)
    assert X.has_canonical_format


def test_graph_every_row_and_link_has_a_pair(graph):
    X = graph[0]
    assert _row_degrees(X).min() >= 1
    assert _link_degrees(X).min() >= 1


def test_graph_is_deterministic_for_a_seed():
    X1, r1, l1 = make_bipartite_graph(n_rows=200, n_links=400, n_pairs=3000, random_state=42)
    X2, r2, l2 = make_bipartite_graph(n_rows=200, n_links=400, n_pairs=3000, random_state=42)
    X3, r3, _ = make_bipartite_graph(n_rows=200, n_links=400, n_pairs=3000, random_state=43)
    assert (X1 != X2).nnz == 0
    np.testing.assert_array_equal(r1, r2)
    np.testing.assert_array_equal(l1, l2)
    assert (X1 != X3).nnz > 1000
    assert not np.array_equal(r1, r3)


def test_graph_accepts_a_random_state_instance():
    X1 = make_bipartite_graph(random_state=np.random.RandomState(5))[0]
    X2 = make_bipartite_graph(random_state=5)[0]
    assert (X1 != X2).nnz == 0


def test_graph_link_popularity_is_heavy_tailed(graph):
    degrees = _link_degrees(graph[0])
    assert np.median(degrees) <= 5
    assert degrees.max() >= 40 * np.median(degrees)
    # The head holds far more than its share of pairs.
    top = np.sort(degrees)[::-1][: degrees.size // 100]
    assert top.sum() >= 0.1 * degrees.sum()


def test_graph_row_degrees_vary(graph):
    degrees = _row_degrees(graph[0])
    assert degrees.max() >= 4 * np.median(degrees)
    assert degrees.min() <= np.median(degrees) / 4


@pytest.mark.parametrize("n_communities", [5, 20])
@pytest.mark.parametrize("mixing", [0.0, 0.1, 0.3, 1.0])
def test_graph_within_community_share_follows_mixing(mixing, n_communities):
    X, row_communities, link_communities = make_bipartite_graph(
        n_communities=n_communities, mixing=mixing, random_state=0
    )
    # Mixed draws land in the row's community by chance about 1 / n_communities
    # of the time, less the duplicates they make there.
    expected = 1 - mixing + mixing / n_communities
    share = _within_share(X, row_communities, link_communities)
    assert share == pytest.approx(expected, abs=0.03)
    assert share <= expected + 0.01


def test_graph_rows_of_a_community_share_links(graph):
    X, row_communities, _ = graph
    shared = (X @ X.T).toarray()
    same = row_communities[:, None] == row_communities[None, :]
    np.fill_diagonal(same, False)
    across = row_communities[:, None] != row_communities[None, :]
    assert shared[same].mean() >= 5 * shared[across].mean()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_rows": 0}, ValueError, "'n_rows' parameter"),
        ({"n_links": -3}, ValueError, "'n_links' parameter"),
        ({"n_pairs": 1.5}, TypeError, "'n_pairs' parameter"),
        ({"n_communities": 0}, ValueError, "'n_communities' parameter"),
        ({"mixing": 1.5}, ValueError, "'mixing' parameter"),
        ({"popularity_exponent": -1}, ValueError, "'popularity_exponent' parameter"),
        ({"random_state": "zero"}, ValueError, "'random_state' parameter"),
        ({"n_communities": 1001}, ValueError, "n_communities must be at most"),
        ({"n_pairs": 2999}, ValueError, r"n_pairs must be at least n_rows \+ n_links = 3000"),
        ({"n_pairs": 1_000_001}, ValueError, "n_pairs must be at most half"),
    ],
)
def test_graph_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_bipartite_graph(**kwargs)


def test_graph_too_concentrated_raises():
    with pytest.raises(ValueError, match="too concentrated"):
        make_bipartite_graph(
            n_rows=50, n_links=100, n_pairs=2000, popularity_exponent=8, mixing=0, random_state=0
        )


def test_graph_positional_sizes_only():
    with pytest.raises(TypeError):
        make_bipartite_graph(10, 20, 100, 2)


# --- make_seed_shaped_graph --------------------------------------------------


def test_seed_graph_shape(seed_graph):
    X, row_communities, link_communities = seed_graph
    assert X.shape == (10_000, 66_913)
    assert X.nnz == 949_544
    assert set(np.unique(row_communities)) == set(range(50))
    assert set(np.unique(link_communities)) == set(range(50))


def test_seed_graph_degrees(seed_graph):
    X = seed_graph[0]
    links = _link_degrees(X)
    assert links.min() >= 1
    assert np.median(links) <= 5
    # A few links in thousands of rows, like the notebook's "Rotten Tomatoes".
    assert links.max() >= 5_000
    assert 5 <= np.count_nonzero(links >= 1_000) <= 50
    assert _row_degrees(X).min() >= 1


def test_seed_graph_within_share(seed_graph):
    assert _within_share(*seed_graph) == pytest.approx(0.9 + 0.1 / 50, abs=0.01)
