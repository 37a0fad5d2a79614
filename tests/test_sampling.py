"""Tests of NegativeSampler: the vectorised batchifier."""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_linkembed import NegativeSampler


def _random_graph(n_rows, n_links, density, seed=0):
    X = sp.random(n_rows, n_links, density=density, format="csr", random_state=seed,
                  dtype=np.float32)
    X.data[:] = 1.0
    return X


def _true_pairs(X):
    return set(zip(*X.nonzero()))


@pytest.mark.parametrize("density", [0.05, 0.4, 0.8])
def test_negatives_are_never_true_pairs(density):
    X = _random_graph(60, 40, density)
    sampler = NegativeSampler(X, min_count=1, random_state=0)
    rows, links = sampler.draw_negatives(20_000, random_state=1)
    truth = _true_pairs(X[:, np.flatnonzero(np.diff(X.tocsc().indptr) >= 1)])
    assert not truth & set(zip(rows.tolist(), links.tolist()))
    # The draw still covers the non-pairs, not a handful of them.
    assert len(set(zip(rows.tolist(), links.tolist()))) > 0.5 * min(
        20_000, 60 * 40 - len(truth))


def test_epoch_holds_every_pair_once_with_exact_ratio():
    X = _random_graph(300, 80, 0.05)
    sampler = NegativeSampler(X, batch_size=64, negative_ratio=7, min_count=1, random_state=0)
    seen = []
    n_batches = 0
    for rows, links, labels in sampler.batches(epochs=1):
        n_pos = int((labels == 1).sum())
        assert (labels == -1).sum() == 7 * n_pos
        assert np.all(labels[:n_pos] == 1)
        seen.extend(zip(rows[:n_pos].tolist(), links[:n_pos].tolist()))
        n_batches += 1
    assert n_batches == len(sampler)
    assert sorted(seen) == sorted(zip(sampler.pair_rows.tolist(), sampler.pair_links.tolist()))
    assert len(seen) == sampler.n_pairs == X.nnz


def test_complete_graph_is_an_error_not_a_hang():
    X = np.ones((5, 4))
    with pytest.raises(ValueError, match="complete"):
        NegativeSampler(X, min_count=1)


def test_single_free_cell_is_always_found():
    X = np.ones((6, 5))
    X[2, 3] = 0
    sampler = NegativeSampler(X, min_count=1, random_state=0)
    rows, links = sampler.draw_negatives(50, random_state=0)
    assert set(zip(rows.tolist(), links.tolist())) == {(2, 3)}


def test_no_pairs_left_after_min_count_is_an_error():
    with pytest.raises(ValueError, match="min_count=3"):
        NegativeSampler([["a"], ["b"], ["a", "c"]], min_count=3)


def test_same_seed_same_batches_other_seed_other_batches():
    X = _random_graph(100, 50, 0.1)

    def first_batch(seed):
        return next(NegativeSampler(X, batch_size=32, min_count=1, random_state=seed).batches())

    a, b, c = first_batch(3), first_batch(3), first_batch(4)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[1], c[1])


def test_degree_weighted_negatives_follow_degree_power():
    # Link j appears in j + 1 rows, so draws with power 1 are proportional to j + 1.
    n_links = 20
    X = np.zeros((200, n_links))
    for j in range(n_links):
        X[: (j + 1) * 5, j] = 1
    sampler = NegativeSampler(X, min_count=1, negative_power=1.0, random_state=0)
    _, links = sampler.draw_negatives(200_000, random_state=0)
    freq = np.bincount(links, minlength=n_links) / len(links)
    # Rejection of true pairs bends the distribution a little; it stays increasing.
    assert np.corrcoef(freq, np.arange(1, n_links + 1))[0, 1] > 0.95
    uniform = NegativeSampler(X, min_count=1, negative_power=0.0, random_state=0)
    _, links = uniform.draw_negatives(200_000, random_state=0)
    assert freq[-1] / freq[0] > 3 * np.bincount(links)[-1] / np.bincount(links)[0]


def test_link_lists_keep_names_and_min_count():
    links = [["a", "b"], ["a", "c"], ["a", "b", "d"], ["b"]]
    sampler = NegativeSampler(links, min_count=2)
    assert sampler.link_keys == ["a", "b"]
    assert sampler.n_pairs == 6


def test_tf_dataset_has_the_notebook_layout():
    import tensorflow as tf

    X = _random_graph(50, 30, 0.2)
    sampler = NegativeSampler(X, batch_size=16, negative_ratio=2, min_count=1, random_state=0)
    features, labels = next(iter(sampler.as_tf_dataset(epochs=1)))
    assert set(features) == {"link", "movie"}
    assert features["link"].dtype == tf.int32 and labels.shape == (48,)
    rows, links, expected = next(sampler.batches())
    np.testing.assert_array_equal(features["movie"].numpy(), rows)
    np.testing.assert_array_equal(features["link"].numpy(), links)
    np.testing.assert_array_equal(labels.numpy(), expected)
    assert len(list(sampler.as_tf_dataset(epochs=2))) == 2 * len(sampler)


def test_pair_bitmap_marks_exactly_the_true_pairs():
    X = _random_graph(70, 45, 0.2, seed=3)
    sampler = NegativeSampler(X, min_count=1)
    words = sampler.pair_bitmap().view(np.uint32)
    cells = np.arange(sampler.n_rows * sampler.n_links)
    marked = (words[cells >> 5] >> (cells & 31).astype(np.uint32)) & 1
    rows, links = np.divmod(cells, sampler.n_links)
    np.testing.assert_array_equal(marked.astype(bool), sampler.is_pair(rows, links))
    assert marked.sum() == sampler.n_pairs


def test_engine_masks_exactly_the_negatives_that_are_true_pairs(make_trainer):
    import tensorflow as tf

    X = _random_graph(40, 30, 0.3, seed=1)
    sampler = NegativeSampler(X, min_count=1)
    trainer = make_trainer(sampler, embedding_size=4, loss="cosine_mse", optimizer="sgd",
                           learning_rate=0.1, seed=0)
    rows, links, ok = trainer._negatives(5000, tf.constant([1, 2], tf.int64))
    expected = ~sampler.is_pair(rows.numpy(), links.numpy())
    np.testing.assert_array_equal(ok.numpy().astype(bool), expected)
    assert 0.2 < 1 - expected.mean() < 0.4  # about the density: some were caught


def test_link_corruption_keeps_the_row_and_never_emits_a_true_pair():
    X = _random_graph(80, 60, 0.3, seed=2)
    sampler = NegativeSampler(X, batch_size=16, negative_ratio=4, min_count=1,
                              negative_sampling="link", random_state=0)
    truth = _true_pairs(X)
    for rows, links, labels in sampler.batches(epochs=1):
        n = int((labels == 1).sum())
        np.testing.assert_array_equal(rows[n:], np.repeat(rows[:n], 4))
        assert not truth & set(zip(rows[n:].tolist(), links[n:].tolist()))


def test_link_corruption_falls_back_to_pairs_for_a_row_that_links_to_everything():
    X = np.zeros((10, 4))
    X[:, 0] = 1
    X[3] = 1
    sampler = NegativeSampler(X, min_count=1, negative_sampling="link", random_state=0)
    rows, links = sampler.draw_negatives(200, random_state=0, rows=np.full(200, 3))
    assert not sampler.is_pair(rows, links).any()
    assert 3 not in set(rows.tolist())


def test_hashed_bitmap_never_misses_a_true_pair_and_rarely_flags_a_non_pair(monkeypatch):
    from sklearn_linkembed import _pairs

    monkeypatch.setattr(_pairs, "_SMALL_BITMAP_BITS", 0)
    monkeypatch.setattr(_pairs, "_MAX_BITMAP_BITS_PER_PAIR", 0)  # force hashing
    X = _random_graph(3000, 2000, 0.002, seed=4)
    sampler = NegativeSampler(X, min_count=1)
    assert sampler.bitmap_hash_bits == int(np.ceil(np.log2(32 * sampler.n_pairs)))
    words = sampler.pair_bitmap().view(np.uint32)
    assert 4 * sampler.n_pairs <= words.nbytes <= 8 * sampler.n_pairs  # 32 to 64 bits a pair

    def marked(rows, links):
        index = sampler.bitmap_index(np.asarray(rows, np.int64) * sampler.n_links + links)
        return ((words[index >> 5] >> (index & 31).astype(np.uint32)) & 1).astype(bool)

    assert marked(sampler.pair_rows, sampler.pair_links).all()
    rows, links = sampler.draw_negatives(50_000, random_state=0)
    assert marked(rows, links).mean() < 0.035  # at most 1 bit in 32 is set


def test_engine_hashed_mask_matches_the_sampler(monkeypatch, make_trainer):
    import tensorflow as tf

    from sklearn_linkembed import _pairs

    monkeypatch.setattr(_pairs, "_SMALL_BITMAP_BITS", 0)
    monkeypatch.setattr(_pairs, "_MAX_BITMAP_BITS_PER_PAIR", 0)
    X = _random_graph(300, 200, 0.05, seed=5)
    sampler = NegativeSampler(X, min_count=1)
    trainer = make_trainer(sampler, embedding_size=4, loss="cosine_mse", optimizer="sgd",
                           learning_rate=0.1, seed=0)
    rows, links, ok = trainer._negatives(20_000, tf.constant([3, 4], tf.int64))
    rows, links, ok = rows.numpy(), links.numpy(), ok.numpy().astype(bool)
    words = sampler.pair_bitmap().view(np.uint32)
    index = sampler.bitmap_index(rows.astype(np.int64) * sampler.n_links + links)
    expected = ((words[index >> 5] >> (index & 31).astype(np.uint32)) & 1) == 0
    np.testing.assert_array_equal(ok, expected)
    assert not sampler.is_pair(rows[ok], links[ok]).any()  # a kept negative is never true
