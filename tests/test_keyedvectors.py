"""Tests of KeyedVectors, LinkEmbedder.most_similar and the most_similar helper."""

import ast
import csv
import inspect
import pickle
import re
import time

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_linkembed import LinkEmbedder
from sklearn_linkembed import _suggest as suggest_module
from sklearn_linkembed import keyedvectors as kv_module
from sklearn_linkembed.keyedvectors import KeyedVectors, most_similar

N_KEYS, DIM = 300, 12


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(42)
    vectors = rng.standard_normal((N_KEYS, DIM)).astype(np.float32)
    keys = [f"key {i}" for i in range(N_KEYS)]
    return vectors, keys


@pytest.fixture(scope="module")
def kv(table):
    vectors, keys = table
    return KeyedVectors(vectors, keys)


def brute_force(vectors, keys, positive, negative=(), exclude=(), candidates=None, topn=10):
    """Reference answer: float64 cosines, a full stable sort, a Python filter."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1)
    unit = np.divide(vectors, norms[:, None], out=np.zeros_like(vectors),
                     where=norms[:, None] > 0)
    index = {k: i for i, k in enumerate(keys)}

    def as_unit(term):
        if isinstance(term, np.ndarray):
            term = term.astype(np.float64)
            norm = np.linalg.norm(term)
            return term / norm if norm else term
        return unit[index[term]]

    mean = np.zeros(vectors.shape[1])
    for sign, group in ((1, positive), (-1, negative)):
        for term in group:
            weight = 1.0
            if isinstance(term, tuple):
                term, weight = term
            mean += sign * weight * as_unit(term)
    mean /= np.linalg.norm(mean) or 1.0
    scores = unit @ mean
    order = np.argsort(-scores, kind="stable")
    allowed = set(range(len(keys))) if candidates is None else {index[c] for c in candidates}
    skip = {index[e] for e in exclude}
    hits = [(keys[i], scores[i]) for i in order if i in allowed and i not in skip]
    return hits if topn is None else hits[:topn]


def assert_same_hits(found, expected, atol=1e-5):
    assert [key for key, _ in found] == [key for key, _ in expected]
    np.testing.assert_allclose([s for _, s in found], [s for _, s in expected], atol=atol)
    assert all(type(s) is float for _, s in found)


@pytest.mark.parametrize("topn", [1, 10, 57])
@pytest.mark.parametrize("query", ["key 0", "key 123", "key 299"])
def test_most_similar_matches_brute_force(kv, table, query, topn):
    """Same keys, same order, same scores as a full sort, query key left out."""
    found = kv.most_similar(query, topn=topn)
    expected = brute_force(*table, [query], exclude=[query], topn=topn)
    assert len(found) == topn
    assert_same_hits(found, expected)


def test_most_similar_excludes_every_query_key(kv, table):
    positive, negative = ["key 1", "key 2"], ["key 3"]
    found = kv.most_similar(positive, negative, topn=N_KEYS)
    keys = {key for key, _ in found}
    assert not keys & {"key 1", "key 2", "key 3"}
    assert len(found) == N_KEYS - 3
    assert_same_hits(found, brute_force(*table, positive, negative,
                                        exclude=positive + negative, topn=None))


def test_negative_query_matches_brute_force(kv, table):
    found = kv.most_similar(positive=["key 10", "key 20"], negative=["key 30"], topn=15)
    expected = brute_force(*table, ["key 10", "key 20"], ["key 30"],
                           exclude=["key 10", "key 20", "key 30"], topn=15)
    assert_same_hits(found, expected)


def test_weighted_pairs_match_brute_force(kv, table):
    positive = [("key 5", 2.0), "key 6"]
    negative = [("key 7", 0.5)]
    found = kv.most_similar(positive, negative, topn=12)
    expected = brute_force(*table, positive, negative, exclude=["key 5", "key 6", "key 7"],
                           topn=12)
    assert_same_hits(found, expected)
    unweighted = kv.most_similar(["key 5", "key 6"], ["key 7"], topn=12)
    assert [k for k, _ in found] != [k for k, _ in unweighted]


def test_negative_pair_weight_subtracts(kv):
    """A (key, w) pair in negative counts -w, like a bare negative key when w=1."""
    assert kv.most_similar(["key 1"], [("key 2", 1.0)]) == kv.most_similar(["key 1"], ["key 2"])


def test_raw_vector_queries_match_brute_force(kv, table):
    vectors, keys = table
    vector = vectors[42] + 0.1
    found = kv.similar_by_vector(vector, topn=10)
    assert_same_hits(found, brute_force(vectors, keys, [vector], topn=10))
    assert kv.most_similar(vector, topn=10) == found
    assert kv.most_similar([vector], topn=10) == found


def test_raw_vector_query_does_not_exclude_its_own_key(kv, table):
    vectors, _ = table
    (key, score), *_ = kv.similar_by_vector(vectors[42])
    assert key == "key 42"
    assert score == pytest.approx(1.0, abs=1e-6)


def test_raw_vectors_are_normalised_like_keys(kv, table):
    vectors, _ = table
    mixed = kv.most_similar([vectors[3] * 100.0, "key 4"], topn=8)
    expected = brute_force(*table, [vectors[3], "key 4"], exclude=["key 4"], topn=8)
    assert_same_hits(mixed, expected)


@pytest.mark.parametrize("form", ["keys", "set", "mask", "positions", "series"])
def test_restrict_to_limits_candidates(kv, table, form):
    vectors, keys = table
    chosen = [f"key {i}" for i in range(0, N_KEYS, 7)]
    positions = np.arange(0, N_KEYS, 7)
    restrict = {
        "keys": chosen,
        "set": set(chosen),
        "mask": np.isin(np.arange(N_KEYS), positions),
        "positions": positions,
        "series": __import__("pandas").Series(chosen),
    }[form]
    found = kv.most_similar("key 1", topn=20, restrict_to=restrict)
    assert {key for key, _ in found} <= set(chosen)
    assert_same_hits(found, brute_force(vectors, keys, ["key 1"], exclude=["key 1"],
                                        candidates=chosen, topn=20))


def test_restrict_to_drops_the_query_key_when_listed(kv):
    found = kv.most_similar("key 0", topn=5, restrict_to=["key 0", "key 1", "key 2"])
    assert [key for key, _ in found] in (["key 1", "key 2"], ["key 2", "key 1"])


def test_restrict_to_single_key_and_empty(kv):
    assert [k for k, _ in kv.most_similar("key 0", restrict_to="key 9")] == ["key 9"]
    assert kv.most_similar("key 0", restrict_to=[]) == []


def test_restrict_to_unknown_key_or_bad_mask_raises(kv):
    with pytest.raises(KeyError, match="nope"):
        kv.most_similar("key 0", restrict_to=["key 1", "nope"])
    with pytest.raises(ValueError, match="shape"):
        kv.most_similar("key 0", restrict_to=np.ones(3, dtype=bool))
    with pytest.raises(IndexError):
        kv.most_similar("key 0", restrict_to=np.array([N_KEYS]))


@pytest.mark.parametrize("restrict_vocab", [1, 40, N_KEYS, 10 * N_KEYS])
def test_restrict_vocab_keeps_the_first_keys(kv, table, restrict_vocab):
    vectors, keys = table
    found = kv.most_similar("key 1", ["key 250"], topn=20, restrict_vocab=restrict_vocab)
    assert_same_hits(found, brute_force(vectors, keys, ["key 1"], ["key 250"],
                                        exclude=["key 1", "key 250"],
                                        candidates=keys[:restrict_vocab], topn=20))
    vector = vectors[7] - vectors[3]
    assert_same_hits(kv.similar_by_vector(vector, topn=20, restrict_vocab=restrict_vocab),
                     brute_force(vectors, keys, [vector], candidates=keys[:restrict_vocab],
                                 topn=20))
    scores = kv.most_similar("key 1", topn=None, restrict_vocab=restrict_vocab)
    np.testing.assert_allclose(scores, kv.most_similar("key 1", topn=None)[:restrict_vocab],
                               atol=1e-6)


def test_restrict_vocab_means_what_it_means_in_gensim(table):
    gensim_models = pytest.importorskip("gensim.models")
    vectors, keys = table
    theirs = gensim_models.KeyedVectors(DIM)
    theirs.add_vectors(keys, vectors)
    ours = KeyedVectors(vectors, keys)
    for query, restrict_vocab in [("key 3", 50), ("key 120", 50), ("key 120", 121)]:
        assert_same_hits(ours.most_similar(query, topn=12, restrict_vocab=restrict_vocab),
                         theirs.most_similar(query, topn=12, restrict_vocab=restrict_vocab))
        assert_same_hits(ours.similar_by_vector(vectors[5], topn=9, restrict_vocab=restrict_vocab),
                         theirs.similar_by_vector(vectors[5], topn=9,
                                                  restrict_vocab=restrict_vocab))


def test_restrict_vocab_with_restrict_to_keeps_both_limits(kv):
    chosen = ["key 90", "key 3", "key 60", "key 4", "key 200"]
    found = kv.most_similar("key 0", topn=None, restrict_to=chosen, restrict_vocab=61)
    np.testing.assert_array_equal(
        found, kv.most_similar("key 0", topn=None, restrict_to=["key 3", "key 60", "key 4"]))
    mask = np.zeros(N_KEYS, dtype=bool)
    mask[[2, 5, 150]] = True
    assert [k for k, _ in kv.most_similar("key 0", restrict_to=mask, restrict_vocab=100)] == \
        [k for k, _ in kv.most_similar("key 0", restrict_to=["key 2", "key 5"])]
    positions = np.array([150, 5, 2])
    assert {k for k, _ in kv.most_similar("key 0", restrict_to=positions, restrict_vocab=6)} \
        == {"key 5", "key 2"}
    batch = kv.most_similar_batch(["key 0", "key 1"], topn=3, restrict_to=chosen,
                                  restrict_vocab=61)
    for hits, query in zip(batch, ["key 0", "key 1"]):
        assert_same_hits(hits, kv.most_similar(query, topn=3,
                                               restrict_to=["key 3", "key 60", "key 4"]))


def test_restrict_vocab_leaves_a_query_key_beyond_it_out_of_nothing(kv):
    """A query key past the first restrict_vocab keys is not a candidate anyway."""
    found = kv.most_similar("key 250", topn=None, restrict_vocab=10)
    assert found.shape == (10,)
    assert len(kv.most_similar("key 250", topn=50, restrict_vocab=10)) == 10
    assert len(kv.most_similar("key 5", topn=50, restrict_vocab=10)) == 9


@pytest.mark.parametrize("restrict_vocab, error", [(0, ValueError), (-3, ValueError),
                                                   (2.5, TypeError), (True, TypeError),
                                                   ("10", TypeError)])
def test_restrict_vocab_must_be_a_positive_int(kv, restrict_vocab, error):
    with pytest.raises(error, match="restrict_vocab"):
        kv.most_similar("key 0", restrict_vocab=restrict_vocab)
    with pytest.raises(error, match="restrict_vocab"):
        kv.most_similar_batch(["key 0"], restrict_vocab=restrict_vocab)


def test_restrict_vocab_on_the_fitted_model(model):
    rows, links = model.row_vectors_, model.link_vectors_
    assert model.most_similar("film 3", topn=5, restrict_vocab=10) == rows.most_similar(
        "film 3", topn=5, restrict_vocab=10)
    across = model.most_similar("film 3", target="link", topn=None, restrict_vocab=4)
    np.testing.assert_allclose(
        across, links.similar_by_vector(rows.get_vector("film 3", norm=True), topn=None,
                                        restrict_vocab=4), atol=1e-6)
    assert {k for k, _ in most_similar(model, "film 3", target="link", restrict_vocab=4)} == \
        set(links.index_to_key[:4])


def test_query_vector_is_the_unit_weighted_mean(kv, table):
    vectors, _ = table
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    mean = 2 * unit[3] + unit[4] - unit[5] + vectors[6] / np.linalg.norm(vectors[6])
    query = kv.query_vector([("key 3", 2.0), "key 4", vectors[6]], ["key 5"])
    assert query.dtype == np.float32 and query.shape == (DIM,) and query.flags.writeable
    np.testing.assert_allclose(query, mean / np.linalg.norm(mean), atol=1e-6)
    np.testing.assert_allclose(kv.most_similar("key 3", topn=None),
                               kv.get_normed_vectors() @ kv.query_vector("key 3"), atol=1e-6)
    assert not kv.query_vector(["key 1"], ["key 1"]).any()
    with pytest.raises(KeyError, match="'nope'") as info:
        kv.query_vector(["key 1", "nope"])
    assert info.value.missing_key == "nope"
    with pytest.raises(ValueError, match="no input"):
        kv.query_vector()


def test_topn_none_returns_all_scores(kv, table):
    vectors, keys = table
    scores = kv.most_similar("key 8", topn=None)
    assert isinstance(scores, np.ndarray) and scores.shape == (N_KEYS,)
    expected = dict(brute_force(vectors, keys, ["key 8"], topn=None))
    np.testing.assert_allclose(scores, [expected[k] for k in keys], atol=1e-5)
    assert scores[8] == pytest.approx(1.0, abs=1e-6)


def test_topn_none_with_restrict_to_follows_its_order(kv):
    scores = kv.most_similar("key 8", topn=None, restrict_to=["key 3", "key 1"])
    full = kv.most_similar("key 8", topn=None)
    np.testing.assert_allclose(scores, full[[3, 1]], atol=1e-6)


def test_topn_zero_and_larger_than_table(kv):
    assert kv.most_similar("key 0", topn=0) == []
    assert len(kv.most_similar("key 0", topn=10 * N_KEYS)) == N_KEYS - 1


def test_empty_query_raises(kv):
    with pytest.raises(ValueError, match="no input"):
        kv.most_similar()


def test_raw_vector_of_wrong_size_raises(kv):
    with pytest.raises(ValueError, match=f"{DIM} values"):
        kv.similar_by_vector(np.ones(DIM + 1))


def test_batch_equals_single_queries(kv):
    queries = ["key 0", "key 17", "key 256", "key 17"]
    batch = kv.most_similar_batch(queries, topn=9)
    assert len(batch) == len(queries)
    for query, hits in zip(queries, batch):
        assert_same_hits(hits, kv.most_similar(query, topn=9), atol=1e-6)


def test_batch_with_restrict_to_and_without_self_exclusion(kv):
    restrict = [f"key {i}" for i in range(50)]
    batch = kv.most_similar_batch(["key 3", "key 70"], topn=5, restrict_to=restrict,
                                  exclude_self=False)
    assert batch[0][0][0] == "key 3"
    assert_same_hits(batch[1], kv.most_similar("key 70", topn=5, restrict_to=restrict))


def test_batch_of_raw_vectors_equals_similar_by_vector(kv, table):
    vectors, _ = table
    matrix = vectors[[5, 9]] * np.array([[3.0], [0.5]], dtype=np.float32)
    batch = kv.most_similar_batch(matrix, topn=6)
    for row, hits in zip(matrix, batch):
        assert_same_hits(hits, kv.similar_by_vector(row, topn=6), atol=1e-6)


def test_batch_return_indices_pads_missing_neighbours(kv):
    indices, scores = kv.most_similar_batch(["key 2", "key 4"], topn=3,
                                            restrict_to=["key 2", "key 3", "key 4"],
                                            return_indices=True)
    assert indices.shape == scores.shape == (2, 3)
    assert indices.dtype == np.int64 and scores.dtype == np.float32
    assert sorted(indices[0, :2]) == [3, 4] and indices[0, 2] == -1
    assert np.isneginf(scores[:, 2]).all()
    assert scores[0, 0] >= scores[0, 1]


def test_batch_of_nothing(kv):
    assert kv.most_similar_batch([], topn=3) == []


def test_chunked_search_equals_unchunked(table, monkeypatch):
    """Tiny candidate blocks and query blocks give the same answers as one block.

    Scores may differ in the last bit: BLAS sums in another order for other shapes.
    """
    vectors, keys = table
    whole = KeyedVectors(vectors, keys)
    chunked = KeyedVectors(vectors, keys)
    chunked._chunk_size = 7
    monkeypatch.setattr(kv_module, "_BLOCK_ELEMENTS", 20)
    restrict = [f"key {i}" for i in range(3, N_KEYS, 2)]
    queries = [f"key {i}" for i in range(0, N_KEYS, 11)]
    for kwargs in [{}, {"restrict_to": restrict}, {"restrict_vocab": 150},
                   {"restrict_to": restrict, "restrict_vocab": 100}]:
        assert_same_hits(chunked.most_similar("key 5", topn=25, **kwargs),
                         whole.most_similar("key 5", topn=25, **kwargs), atol=1e-6)
        np.testing.assert_allclose(chunked.most_similar("key 5", topn=None, **kwargs),
                                   whole.most_similar("key 5", topn=None, **kwargs), atol=1e-6)
        for small, large in zip(chunked.most_similar_batch(queries, topn=13, **kwargs),
                                whole.most_similar_batch(queries, topn=13, **kwargs)):
            assert_same_hits(small, large, atol=1e-6)


def test_zero_vectors_give_zero_scores_not_nan():
    vectors = np.array([[1, 0], [0, 0], [0.6, 0.8], [0, 0]], dtype=np.float32)
    kv = KeyedVectors(vectors, ["a", "empty", "b", "void"])
    normed = kv.get_normed_vectors()
    assert np.isfinite(normed).all()
    np.testing.assert_array_equal(normed[1], [0, 0])
    assert kv.similarity("a", "empty") == 0.0
    assert kv.similarity("empty", "void") == 0.0
    hits = kv.most_similar("a", topn=None)
    assert np.isfinite(hits).all()
    from_empty = kv.most_similar("empty")
    assert [s for _, s in from_empty] == [0.0, 0.0, 0.0]
    assert kv.most_similar("a") == [("b", pytest.approx(0.6)), ("empty", 0.0), ("void", 0.0)]
    assert np.isfinite(kv.similar_by_vector(np.zeros(2), topn=None)).all()
    assert kv.most_similar(["a"], ["a"]) == [("empty", 0.0), ("b", 0.0), ("void", 0.0)]


def test_unknown_key_error_names_the_key_and_close_keys():
    kv = KeyedVectors(np.eye(4), ["Rogue One", "Star Wars", "Alien", "Amélie"])
    with pytest.raises(KeyError) as info:
        kv["Rouge One"]
    message = str(info.value)
    assert "'Rouge One'" in message and "'Rogue One'" in message
    with pytest.raises(KeyError, match="'Star Wars'"):
        kv.most_similar("star wars")
    with pytest.raises(KeyError, match="not present") as info:
        kv.get_vector("zzzzzz")
    assert "closest" not in str(info.value)


def test_unknown_key_error_points_out_int_str_mixups():
    ints = KeyedVectors(np.eye(3), [10, 11, 12])
    with pytest.raises(KeyError, match="closest known keys: 11"):
        ints["11"]
    strs = KeyedVectors(np.eye(3), ["10", "11", "12"])
    with pytest.raises(KeyError, match="closest known keys: '12'"):
        strs.get_index(12)


def test_suggestions_are_fast_on_a_large_vocabulary():
    rng = np.random.default_rng(0)
    syllables = np.array(["ka", "lo", "mi", "ne", "ru", "ta", "shi", "vo", "an", "el"])
    parts = rng.integers(0, len(syllables), size=(100_000, 6))
    keys = sorted({"".join(syllables[row]).title() + f" {i % 97}"
                   for i, row in enumerate(parts)})
    kv = KeyedVectors(np.zeros((len(keys), 1)), keys)
    target = keys[len(keys) // 2]
    start = time.perf_counter()
    with pytest.raises(KeyError) as info:
        kv[target.lower() + "x"]
    elapsed = time.perf_counter() - start
    assert repr(target) in str(info.value)
    assert elapsed < 2.0  # about 0.1 s; generous for slow machines


def suggestions(kv, key):
    """The keys a KeyError for ``key`` suggests, best first ([] when none)."""
    with pytest.raises(KeyError) as info:
        kv[key]
    message = info.value.args[0]
    assert message.startswith(f"Key {key!r} not present in vocabulary")
    if "; closest known keys: " not in message:
        return []
    return ast.literal_eval("[" + message.split("; closest known keys: ", 1)[1] + "]")


@pytest.fixture(scope="module")
def films():
    """The bundled film titles, with random vectors (suggestions ignore the vectors)."""
    from sklearn_linkembed import load_wikipedia_movies

    titles = load_wikipedia_movies().titles
    return KeyedVectors(np.random.default_rng(0).random((len(titles), 4)), titles)


def test_suggestions_strip_a_disambiguator_before_fuzzy_matching(films):
    """A title without, or with a needless, " (film)" finds the title, not a look-alike."""
    assert "Star Wars" not in films and "The Dark Knight (film)" not in films
    star_wars = suggestions(films, "Star Wars")
    assert star_wars[0] == "Star Wars (film)"
    assert "Stark Fear" not in star_wars
    dark_knight = suggestions(films, "The Dark Knight (film)")
    assert dark_knight[0] == "The Dark Knight"
    assert "The Green Knight (film)" not in dark_knight
    assert len(star_wars) == len(dark_knight) == suggest_module._N_SUGGEST


def test_suggestions_put_a_case_fold_match_first(films):
    assert suggestions(films, "star wars (film)")[0] == "Star Wars (film)"
    assert suggestions(films, "THE  DARK KNIGHT")[0] == "The Dark Knight"
    accents = KeyedVectors(np.eye(3), ["Amelia", "Amélie", "Amelie Nothomb Story"])
    assert suggestions(accents, "AMELIE")[0] == "Amélie"


def test_suggestions_are_empty_when_nothing_is_close(films):
    assert suggestions(films, "zzzzqqq") == []
    assert suggestions(films, "  ") == []


def test_suggestion_tiers_come_in_order(monkeypatch):
    """Case-fold match, disambiguator or prefix match, shared words, then difflib."""
    keys = ["Unrelated", "Alien Sago", "Saga: Alien", "Alien Saga 2", "Alien Saga (2019 film)",
            "ALIEN SAGA"]
    kv = KeyedVectors(np.eye(len(keys)), keys)
    monkeypatch.setattr(suggest_module, "_N_SUGGEST", 10)
    assert suggestions(kv, "alien saga") == ["ALIEN SAGA", "Alien Saga (2019 film)",
                                             "Alien Saga 2", "Saga: Alien", "Alien Sago"]
    monkeypatch.setattr(suggest_module, "_N_SUGGEST", 3)
    assert suggestions(kv, "alien saga") == ["ALIEN SAGA", "Alien Saga (2019 film)",
                                             "Alien Saga 2"]


def test_suggestions_prefer_a_close_prefix_to_a_distant_one():
    """A mistyped last word ("Rogue Ones") beats a shorter prefix, fewer extra characters first."""
    kv = KeyedVectors(np.eye(4), ["Rogue", "Rogue One", "Rogue Ones Two Three", "Roguelike"])
    assert suggestions(kv, "Rogue Ones") == ["Rogue One", "Rogue", "Rogue Ones Two Three"]


def test_suggestions_in_a_200k_key_vocabulary_use_a_cached_index():
    """A 200,000-key vocabulary answers, builds its index once, and a pickle drops it."""
    rng = np.random.default_rng(1)
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "vo", "an", "el"]
    words = sorted({"".join(syllables[s] for s in rng.integers(0, 10, size=n)).title()
                    for n in rng.integers(1, 4, size=2_000)})
    picks = rng.integers(0, len(words), size=(250_000, 4)).tolist()
    sizes = rng.integers(1, 5, size=250_000).tolist()
    years = np.where(rng.random(250_000) < 0.3, rng.integers(1950, 2024, size=250_000), 0)
    titles = {" ".join(words[w] for w in pick[:size]) + (f" ({year} film)" if year else "")
              for pick, size, year in zip(picks, sizes, years.tolist())}
    keys = sorted(titles)[:200_000]
    assert len(keys) == 200_000
    kv = KeyedVectors(np.zeros((len(keys), 1)), keys)
    assert kv._suggest_cache is None
    target = next(key for key in keys[len(keys) // 2:] if key.endswith(" film)"))
    base = target.rsplit(" (", 1)[0]
    if base in kv:  # the bare title exists too: it is then the case-fold match
        target = base
    assert suggestions(kv, base.upper())[0] == target
    cache = kv._suggest_cache
    assert cache is not None
    typo = keys[1234][:-1] + "q"
    assert isinstance(suggestions(kv, typo), list)
    assert suggestions(kv, "qqqqqqqq qqqq") == []
    assert suggestions(kv, "x" * 5_000) == []
    assert kv._suggest_cache is cache
    assert pickle.loads(pickle.dumps(kv))._suggest_cache is None


def test_get_index_default_and_contains(kv):
    assert kv.get_index("key 7") == 7
    assert kv.get_index("missing", default=-1) == -1
    assert "key 7" in kv and "missing" not in kv and [1] not in kv
    assert len(kv) == N_KEYS and list(kv)[:2] == ["key 0", "key 1"]


def test_getitem_returns_copies(kv, table):
    vectors, _ = table
    one = kv["key 3"]
    many = kv[["key 3", "key 5"]]
    np.testing.assert_array_equal(one, vectors[3])
    np.testing.assert_array_equal(many, vectors[[3, 5]])
    one[:] = 0
    many[:] = 0
    np.testing.assert_array_equal(kv["key 3"], vectors[3])


def test_vectors_are_read_only_and_detached(table):
    vectors, keys = table
    source = vectors.copy()
    kv = KeyedVectors(source, keys)
    with pytest.raises(ValueError):
        kv.vectors[0, 0] = 1.0
    with pytest.raises(ValueError):
        kv.get_normed_vectors()[0, 0] = 1.0
    source[0] = 0
    np.testing.assert_array_equal(kv.vectors[0], vectors[0])
    assert kv.vectors.dtype == np.float32 and kv.vectors.flags.c_contiguous
    assert kv.get_normed_vectors() is kv.get_normed_vectors()


def test_get_vector_norm(kv, table):
    vectors, _ = table
    np.testing.assert_allclose(kv.get_vector("key 9", norm=True),
                               vectors[9] / np.linalg.norm(vectors[9]), rtol=1e-6)
    assert kv.similarity("key 9", "key 9") == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    "vectors, keys, message",
    [
        (np.ones((2, 2)), ["a", "a"], "unique"),
        (np.ones((3, 2)), ["a", "b"], "rows"),
        (np.ones(3), ["a", "b", "c"], "2-dimensional"),
        (np.array([[np.nan, 1.0]]), ["a"], "NaN"),
    ],
)
def test_invalid_construction_raises(vectors, keys, message):
    with pytest.raises(ValueError, match=message):
        KeyedVectors(vectors, keys)


def test_int_and_tuple_keys(table):
    vectors, _ = table
    ints = KeyedVectors(vectors[:5], [0, 1, 2, 3, 4])
    assert [k for k, _ in ints.most_similar(2, topn=4)] == \
        [k for k, _ in ints.most_similar([2], topn=4)]
    assert 2 not in [k for k, _ in ints.most_similar(2)]
    pairs = KeyedVectors(vectors[:3], [("a", 1), ("b", 2), ("c", 3)])
    assert ("a", 1) not in [k for k, _ in pairs.most_similar(("a", 1))]


def test_pickle_keeps_vectors_read_only(kv):
    clone = pickle.loads(pickle.dumps(kv))
    assert not clone.vectors.flags.writeable
    assert clone.most_similar("key 1") == kv.most_similar("key 1")


# ------------------------------------------- LinkEmbedder.most_similar and the helper


def embedder_with(rows, links):
    """A LinkEmbedder holding these two tables, as fit leaves a one-table model
    (``link_context=0``: links scored by cosine), nothing trained."""
    emb = LinkEmbedder(link_context=0)
    emb.row_vectors_, emb.link_vectors_ = rows, links
    emb.link_output_vectors_ = KeyedVectors(links.get_normed_vectors(), links.index_to_key)
    emb.link_bias_ = np.zeros(len(links), dtype=np.float32)
    emb._rows_are_means = False
    return emb


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(7)
    rows = KeyedVectors(rng.standard_normal((40, 6)), [f"film {i}" for i in range(40)])
    # a link named like a film: cross-type queries must not exclude it
    links = KeyedVectors(rng.standard_normal((25, 6)),
                         ["film 0"] + [f"actor {i}" for i in range(1, 25)])
    return embedder_with(rows, links)


def test_helper_same_table_equals_method(model):
    rows, links = model.row_vectors_, model.link_vectors_
    assert most_similar(model, "film 3", topn=5) == rows.most_similar("film 3", topn=5)
    assert most_similar(model, "actor 2", query="link") == links.most_similar("actor 2")
    assert most_similar(rows, ["film 1"], ["film 2"]) == rows.most_similar(["film 1"],
                                                                           ["film 2"])


@pytest.mark.parametrize("query, target", [("row", "link"), ("link", "row")])
def test_helper_cross_type_matches_brute_force(model, query, target):
    tables = {"row": model.row_vectors_, "link": model.link_vectors_}
    source, searched = tables[query], tables[target]
    key = source.index_to_key[0]
    found = most_similar(model, key, topn=len(searched), query=query, target=target)
    query_vector = source.get_vector(key, norm=True)
    expected = brute_force(searched.vectors, searched.index_to_key, [query_vector],
                           topn=None)
    assert_same_hits(found, expected)
    assert "film 0" in [k for k, _ in found]  # nothing excluded across tables


def test_helper_cross_type_with_negative_and_restrict_to(model):
    rows, links = model.row_vectors_, model.link_vectors_
    found = most_similar(model, ["film 1", "film 2"], ["film 3"], topn=4, target="link",
                         restrict_to=["actor 5", "actor 6", "actor 7", "actor 8", "film 0"])
    mean = (rows.get_vector("film 1", norm=True) + rows.get_vector("film 2", norm=True)
            - rows.get_vector("film 3", norm=True))
    expected = links.similar_by_vector(
        mean, topn=4, restrict_to=["actor 5", "actor 6", "actor 7", "actor 8", "film 0"])
    assert_same_hits(found, expected, atol=1e-6)


def test_helper_cross_type_unknown_key_is_looked_up_in_query_table(model):
    with pytest.raises(KeyError, match="actor 3"):
        most_similar(model, "actor 3", query="row", target="link")


@pytest.fixture(scope="module")
def films_and_people():
    rows = KeyedVectors([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]],
                        ["Star Wars (film)", "Alien", "George Lucas (film)"])
    links = KeyedVectors([[0.9, 0.1], [0.1, 0.9], [0.8, 0.3]],
                         ["George Lucas", "Sigourney Weaver", "Alien"])
    return embedder_with(rows, links)


@pytest.mark.parametrize("target", [None, "row", "link"])
def test_helper_names_the_table_of_a_key_of_the_other_table(films_and_people, target):
    model = films_and_people
    message = "'George Lucas' is not a row key; it is a link key: pass query='link'"
    with pytest.raises(KeyError, match=re.escape(message)):
        most_similar(model, "George Lucas", target=target)
    with pytest.raises(KeyError, match=re.escape(message)):
        most_similar(model, "Alien", negative=[("George Lucas", 2.0)], target=target)
    message = "'Star Wars (film)' is not a link key; it is a row key: pass query='row'"
    with pytest.raises(KeyError, match=re.escape(message)):
        most_similar(model, ["Star Wars (film)"], query="link", target=target)
    # the suggested call works
    assert most_similar(model, "George Lucas", query="link", target=target)


def test_helper_keeps_the_usual_error_for_keys_of_neither_table(films_and_people):
    model = films_and_people
    with pytest.raises(KeyError, match="not present") as info:
        most_similar(model, "Star Warz (film)", target="link")
    assert "'Star Wars (film)'" in str(info.value) and "pass query" not in str(info.value)
    # a restrict_to key is looked up in the target table: no hint about query=
    with pytest.raises(KeyError, match="'Sigourney Weaver' not present") as info:
        most_similar(model, "Alien", restrict_to=["Sigourney Weaver"])
    assert "pass query" not in str(info.value)
    # a key in both tables is answered from the query table
    assert [k for k, _ in most_similar(model, "Alien", query="link", topn=1)] == ["George Lucas"]
    assert [k for k, _ in most_similar(model, "Alien", topn=1)] == ["Star Wars (film)"]


def test_helper_rejects_bad_arguments(model):
    with pytest.raises(ValueError, match="query"):
        most_similar(model, "film 1", query="film")
    with pytest.raises(ValueError, match="target"):
        most_similar(model, "film 1", target="rows")
    with pytest.raises(ValueError, match="single table"):
        most_similar(model.row_vectors_, "film 1", target="link")
    with pytest.raises(ValueError, match="query"):
        most_similar(model.row_vectors_, "film 1", query="film")
    with pytest.raises(TypeError, match="most_similar"):
        most_similar(object(), "film 1")
    with pytest.raises(NotFittedError):
        most_similar(LinkEmbedder(), "film 1")


def test_helper_passes_every_argument_to_a_model_method():
    class Model:
        def most_similar(self, *args, **kwargs):
            return args, kwargs

    args, kwargs = most_similar(Model(), "a", ["b"], 3, query="link", target="row",
                                restrict_to=["c"], restrict_vocab=7)
    assert args == ("a", ["b"], 3)
    assert kwargs == {"query": "link", "target": "row", "restrict_to": ["c"],
                      "restrict_vocab": 7}


def test_method_and_helper_agree(model):
    for kwargs in ({}, {"query": "link"}, {"target": "link"}, {"query": "link", "target": "row"}):
        key = "film 3" if kwargs.get("query", "row") == "row" else "actor 3"
        assert model.most_similar(key, topn=6, **kwargs) == most_similar(model, key, topn=6,
                                                                         **kwargs)


def test_cross_table_queries_use_only_the_public_keyedvectors_api():
    """LinkEmbedder.most_similar calls no private KeyedVectors method."""
    source = inspect.getsource(LinkEmbedder.most_similar)
    assert not re.findall(r"(?<!self)\._[a-z]\w*\(", source)  # its own helpers are fine
    helper = inspect.getsource(kv_module.most_similar).split('"""')[-1]  # its code
    assert "row_vectors_" not in helper  # no guessing a model by its attributes


def test_cross_table_equals_query_vector_then_similar_by_vector(model):
    rows, links = model.row_vectors_, model.link_vectors_
    terms = {"positive": ["film 1", ("film 2", 0.5)], "negative": ["film 3"]}
    expected = links.similar_by_vector(rows.query_vector(**terms), topn=None)
    np.testing.assert_array_equal(model.most_similar(**terms, target="link", topn=None),
                                  expected)
    assert model.most_similar(**terms, target="link", topn=0) == []


# ------------------------------------------------------------------- saving, exporting

TITLES = ["Rogue One", "Amélie", "千と千尋の神隠し", "Alien", "Léon: The Professional",
          "Crouching Tiger, Hidden Dragon", "WALL·E", "Up"]


@pytest.fixture(scope="module")
def titles():
    rng = np.random.default_rng(3)
    return KeyedVectors(rng.standard_normal((len(TITLES), 5)), TITLES)


@pytest.mark.parametrize("keys", [TITLES, list(range(len(TITLES))),
                                  [10**12 + i for i in range(len(TITLES))]])
def test_save_load_round_trip_is_exact(tmp_path, titles, keys):
    kv = KeyedVectors(titles.vectors, keys)
    path = kv.save(tmp_path / "vectors.npz")
    loaded = KeyedVectors.load(path)
    assert loaded.vectors.tobytes() == kv.vectors.tobytes()
    assert loaded.vectors.dtype == np.float32 and not loaded.vectors.flags.writeable
    assert loaded.index_to_key == keys
    assert [type(k) for k in loaded.index_to_key] == [type(k) for k in keys]
    assert loaded.most_similar(keys[0]) == kv.most_similar(keys[0])


def test_load_refuses_other_kinds(tmp_path):
    from sklearn_linkembed._persistence import save_archive

    path = save_archive(tmp_path / "model.npz", "LinkEmbedder", {"x": np.zeros(1)})
    with pytest.raises(ValueError, match="expected 'KeyedVectors'"):
        KeyedVectors.load(path)


def test_save_refuses_mixed_keys(tmp_path):
    kv = KeyedVectors(np.eye(2), ["a", 1])
    with pytest.raises(TypeError, match="all str or all int"):
        kv.save(tmp_path / "x.npz")


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_round_trip_through_gensim(tmp_path, titles, binary):
    gensim_models = pytest.importorskip("gensim.models")
    path = titles.save_word2vec_format(tmp_path / "vectors.w2v", binary=binary)
    loaded = gensim_models.KeyedVectors.load_word2vec_format(path, binary=binary)
    names = [t.replace(" ", "_") for t in TITLES]
    assert loaded.index_to_key == names
    # 9 significant digits read back the same float32 in the text format too
    np.testing.assert_array_equal(loaded.vectors, titles.vectors)
    for title, name in zip(TITLES, names):
        ours = titles.most_similar(title, topn=4)
        theirs = loaded.most_similar(name, topn=4)
        assert [k.replace(" ", "_") for k, _ in ours] == [k for k, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-6)


def test_word2vec_file_layout(tmp_path):
    kv = KeyedVectors([[0.5, -1.0], [0.25, 2.0]], ["a b", "c\td"])
    text = kv.save_word2vec_format(tmp_path / "v.txt")
    with open(text, encoding="utf-8") as fh:
        assert fh.read() == "2 2\na_b 0.5 -1\nc_d 0.25 2\n"
    binary = kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    with open(binary, "rb") as fh:
        assert fh.read() == (b"2 2\na_b " + np.array([0.5, -1.0], "<f4").tobytes() + b"\n"
                             + b"c_d " + np.array([0.25, 2.0], "<f4").tobytes() + b"\n")


def test_word2vec_int_keys_come_back_as_strings(tmp_path):
    gensim_models = pytest.importorskip("gensim.models")
    kv = KeyedVectors(np.eye(3), [7, 8, 9])
    loaded = gensim_models.KeyedVectors.load_word2vec_format(
        kv.save_word2vec_format(tmp_path / "v.bin", binary=True), binary=True)
    assert loaded.index_to_key == ["7", "8", "9"]


def test_word2vec_refuses_keys_that_collide(tmp_path):
    kv = KeyedVectors(np.eye(2), ["Rogue One", "Rogue_One"])
    with pytest.raises(ValueError, match="'Rogue One' and 'Rogue_One'"):
        kv.save_word2vec_format(tmp_path / "v.txt")
    assert not list(tmp_path.iterdir())


# keys without spaces, non-ASCII ones among them; values of every magnitude
W2V_KEYS = ["Rogue_One", "Amélie", "千と千尋の神隠し", "Léon:_The_Professional", "WALL·E",
            "Crouching_Tiger,_Hidden_Dragon", "Ünïcødé_ключ", "Up", "x" * 300, "12"]


@pytest.fixture(scope="module")
def w2v_table():
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((len(W2V_KEYS), 7)) * 10.0 ** rng.integers(
        -30, 30, size=(len(W2V_KEYS), 7))
    vectors = vectors.astype(np.float32)
    vectors[0, :3] = [0.0, -0.0, np.finfo(np.float32).tiny / 8]  # zeros and a subnormal
    vectors[1, :2] = [np.finfo(np.float32).max, np.finfo(np.float32).min]
    return vectors


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_round_trip_ours_to_ours(tmp_path, w2v_table, binary):
    kv = KeyedVectors(w2v_table, W2V_KEYS)
    path = kv.save_word2vec_format(tmp_path / "v.w2v", binary=binary)
    loaded = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert loaded.index_to_key == W2V_KEYS
    assert loaded.vectors.dtype == np.float32 and not loaded.vectors.flags.writeable
    # bit for bit: binary stores the float32 bytes, text 9 significant digits
    assert loaded.vectors.tobytes() == kv.vectors.tobytes()


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_written_by_gensim_is_read(tmp_path, w2v_table, binary):
    gensim_models = pytest.importorskip("gensim.models")
    theirs = gensim_models.KeyedVectors(w2v_table.shape[1])
    theirs.add_vectors(W2V_KEYS, w2v_table)
    path = str(tmp_path / "gensim.w2v")
    theirs.save_word2vec_format(path, binary=binary)  # binary: no newline after a vector
    loaded = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert loaded.index_to_key == W2V_KEYS
    np.testing.assert_array_equal(loaded.vectors, w2v_table)
    first = KeyedVectors.load_word2vec_format(path, binary=binary, limit=3)
    again = gensim_models.KeyedVectors.load_word2vec_format(path, binary=binary, limit=3)
    assert first.index_to_key == again.index_to_key == W2V_KEYS[:3]
    np.testing.assert_array_equal(first.vectors, again.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_written_by_us_is_read_by_gensim(tmp_path, w2v_table, binary):
    gensim_models = pytest.importorskip("gensim.models")
    path = KeyedVectors(w2v_table, W2V_KEYS).save_word2vec_format(tmp_path / "v", binary=binary)
    loaded = gensim_models.KeyedVectors.load_word2vec_format(path, binary=binary)
    assert loaded.index_to_key == W2V_KEYS
    np.testing.assert_array_equal(loaded.vectors, w2v_table)


def test_word2vec_limit_encoding_and_duplicates(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("3 2\ncafé 1 2\nthé 3 4\ncafé 5 6\n".encode("latin-1"))
    with pytest.warns(UserWarning, match="duplicate keys.*'café'.*kept the first"):
        kv = KeyedVectors.load_word2vec_format(path, encoding="latin-1")
    assert kv.index_to_key == ["café", "thé"] and kv["café"].tolist() == [1.0, 2.0]
    assert KeyedVectors.load_word2vec_format(path, encoding="latin-1", limit=1).index_to_key \
        == ["café"]
    with pytest.raises(ValueError, match="line 2.*not valid utf-8"):
        KeyedVectors.load_word2vec_format(path)
    for limit in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="limit must be a positive int"):
            KeyedVectors.load_word2vec_format(path, limit=limit)
    with pytest.raises(FileNotFoundError):
        KeyedVectors.load_word2vec_format(tmp_path / "missing.txt")


def test_word2vec_load_then_query(tmp_path, titles):
    path = titles.save_word2vec_format(tmp_path / "v.bin", binary=True)
    loaded = KeyedVectors.load_word2vec_format(path, binary=True)
    for title in TITLES:
        ours = titles.most_similar(title, topn=3)
        theirs = loaded.most_similar(title.replace(" ", "_"), topn=3)
        assert [k.replace(" ", "_") for k, _ in ours] == [k for k, _ in theirs]


def _read_tsv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_projector_files_without_metadata(tmp_path, titles):
    vectors_path, metadata_path = titles.export_projector(tmp_path / "proj")
    rows = _read_tsv(vectors_path)
    assert len(rows) == len(TITLES) and all(len(r) == 5 for r in rows)
    np.testing.assert_array_equal(np.array(rows, dtype=np.float32), titles.vectors)
    assert _read_tsv(metadata_path) == [[t] for t in TITLES]


def test_projector_metadata_columns_and_sanitising(tmp_path):
    kv = KeyedVectors(np.eye(3), ["tab\there", "new\nline", "plain"])
    _, metadata_path = kv.export_projector(
        tmp_path, metadata={"year": [1999, 2001, 2016], "genre": ["sci\tfi", "drama", "x"]})
    rows = _read_tsv(metadata_path)
    assert rows[0] == ["key", "year", "genre"]
    assert rows[1:] == [["tab here", "1999", "sci fi"], ["new line", "2001", "drama"],
                        ["plain", "2016", "x"]]


def test_projector_dataframe_is_aligned_by_label(tmp_path, titles):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"rank": range(len(TITLES))}, index=TITLES).iloc[::-1]
    _, metadata_path = titles.export_projector(tmp_path, metadata=frame)
    rows = _read_tsv(metadata_path)
    assert rows[0] == ["key", "rank"]
    assert rows[1:] == [[t, str(i)] for i, t in enumerate(TITLES)]
    positional = pd.DataFrame({"n": list(range(len(TITLES)))})
    rows = _read_tsv(titles.export_projector(tmp_path, metadata=positional)[1])
    assert rows[2] == [TITLES[1], "1"]


def test_projector_metadata_of_wrong_length_raises(tmp_path, titles):
    with pytest.raises(ValueError, match="expected 8"):
        titles.export_projector(tmp_path, metadata={"year": [1, 2]})


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_vectors_with_nan_or_infinity_are_refused_and_huge_finite_ones_kept(bad):
    huge = np.full((3, 2), np.finfo(np.float32).max / 2, dtype=np.float32)  # their sum overflows
    kv = KeyedVectors(huge, ["a", "b", "c"], copy=False)
    assert np.shares_memory(kv.vectors, huge) and not kv.vectors.flags.writeable
    vectors = huge.copy()
    vectors[1, 0] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        KeyedVectors(vectors, ["a", "b", "c"])
    with pytest.raises(ValueError, match="NaN or infinite"):
        kv.most_similar(vectors[1], topn=1)
